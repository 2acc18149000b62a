"""CAM (W1.1, W1.2): least privilege, second authorisation, separation of duties and API-key hygiene.

Every question "can this principal do X" goes through the CAM policy evaluator (dr_audit.cam_policy): direct and
group-inherited policies, explicit deny winning, and an unreadable or unevaluable policy making the answer ERROR.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache
from typing import overload

from pydantic import Field

from dr_audit.api import (
    EVIDENCE_SOURCES,
    Bucket,
    CamAccount,
    CamGroup,
    CamRole,
    CamUser,
    CheckParams,
    Disk,
    Estate,
    Instance,
    Result,
    Scope,
    Snapshot,
    account_ref,
    cam_policy,
    check,
)

Principal = CamUser | CamGroup | CamRole
Decision = cam_policy.Decision
ResourceName = cam_policy.ResourceName


def principals(estate: Estate) -> Iterator[Principal]:
    yield from estate.cam.users
    yield from estate.cam.groups
    yield from estate.cam.roles


def identifiers(principal: Principal) -> tuple[str, ...]:
    """What a pack's break-glass list may name: the principal's name, or its UIN / group id / role id."""
    if isinstance(principal, CamUser):
        return (principal.name, principal.uin)
    if isinstance(principal, CamGroup):
        return (principal.name, principal.group_id)
    return (principal.name, principal.role_id)


def kind(principal: Principal) -> str:
    return {CamUser: "user", CamGroup: "group", CamRole: "role"}[type(principal)]


def unknown_message(decision: Decision) -> str:
    return f"cannot tell: {decision.why_unknown}"


# --------------------------------------------------------------------------------------------- full admin


class FullAdminParams(CheckParams):
    pass


@check(
    id="cam_no_full_admin_principals",
    promise="W1.2",
    severity="critical",
    title="No user, group or role outside the break-glass list holds * on * (AdministratorAccess or equivalent)",
    remediation="Detach AdministratorAccess (or the custom policy allowing action * on resource *) and grant the "
    "principal only the actions its job needs (console: CAM > Users/User groups/Roles > Permissions; "
    "tccli cam DetachUserPolicy / DetachGroupPolicy / DetachRolePolicy). Keep full rights for the pack's "
    "break-glass principals only.",
    requires=("cam",),
    risk="One principal with unrestricted rights can delete production and every backup, as in the Weimob incident.",
)
def no_full_admin_principals(estate: Estate, params: FullAdminParams) -> Iterator[Result]:
    evaluator = cam_policy.Evaluator.of(estate.cam)
    for principal in principals(estate):
        if params.scope.is_break_glass(*identifiers(principal)):
            yield Result.ok(principal, "break-glass principal: exempt from this check", break_glass=True)
            continue
        decision = evaluator.is_full_admin(principal)
        if decision.allowed is None:
            yield Result.error(principal, unknown_message(decision), kind=kind(principal),
                               unevaluated=[str(u) for u in decision.unevaluated])
        elif decision.allowed:
            via = ", ".join(decision.allowed_by)
            yield Result.fail(principal, f"{kind(principal)} holds * on * through {via}", kind=kind(principal),
                              policies=list(decision.allowed_by))
        else:
            yield Result.ok(principal, kind=kind(principal))


# ------------------------------------------------------------------------------- wildcard destructive grants


class WildcardGrantParams(CheckParams):
    destructive_actions: list[str] = Field(default_factory=cam_policy.destructive_action_names)


@check(
    id="cam_no_wildcard_destructive_grants",
    promise="W1.2",
    severity="high",
    title="No custom policy grants destructive actions through wildcards on resource *",
    remediation="Replace wildcard actions (`*`, `svc:*`, `svc:Delete*`, `svc:Terminate*`) on resource `*` with the "
    "explicit actions the job needs, and name the resources they apply to (console: CAM > Policies > edit; "
    "tccli cam CreatePolicyVersion with SetAsDefault).",
    requires=("cam",),
    risk="A wildcard written for convenience silently includes every delete and terminate action of the service.",
)
def no_wildcard_destructive_grants(estate: Estate, params: WildcardGrantParams) -> Iterator[Result]:
    for policy in estate.cam.policies:
        if policy.kind != "custom":
            continue
        if reason := policy.unknown("document"):
            yield Result.error(policy, reason)
            continue
        if policy.document is None:
            yield Result.error(policy, "policy document was not collected")
            continue
        try:
            grants = cam_policy.wildcard_destructive_grants(policy.document, params.destructive_actions)
        except cam_policy.MalformedPolicy as exc:
            yield Result.error(policy, f"policy document cannot be evaluated: {exc}")
            continue
        if not grants:
            yield Result.ok(policy)
            continue
        parts = []
        for grant in grants:
            shown = ", ".join(grant.actions[:4]) + (f" (+{len(grant.actions) - 4} more)" if len(grant.actions) > 4
                                                    else "")
            under = f" under conditions {'; '.join(grant.conditions)}" if grant.conditions else ""
            parts.append(f"{grant.pattern!r} on * grants {shown}{under}")
        yield Result.fail(policy, "; ".join(parts),
                          grants={g.pattern: list(g.actions) for g in grants})


# ------------------------------------------------------------------------------------------ MFA protection


class OperationProtectionParams(CheckParams):
    high_risk_actions: list[str] = Field(default_factory=cam_policy.destructive_action_names)


@check(
    id="cam_operation_protection_enabled",
    promise="W1.2",
    severity="critical",
    title="Every sub-user who can perform a high-risk action has operation protection (second authorisation)",
    remediation="Turn on operation protection for the sub-user (console: CAM > Users > user > Security > "
    "Operation protection: MFA device or security phone), or remove its high-risk permissions.",
    requires=("cam",),
    risk="Without a second factor on sensitive operations, one stolen password or one moment of anger destroys data.",
)
def operation_protection_enabled(estate: Estate, params: OperationProtectionParams) -> Iterator[Result]:
    evaluator = cam_policy.Evaluator.of(estate.cam)
    for user in estate.cam.users:
        if reason := user.unknown("action_protection"):
            yield Result.error(user, reason)
            continue
        if user.action_protection:
            yield Result.ok(user, factors=list(user.action_protection))
            continue
        decision, action = evaluator.decide_any(user, params.high_risk_actions, cam_policy.SOME_RESOURCE)
        if decision.allowed is None:
            yield Result.error(user, f"no operation protection, and whether it can perform {action} is unknown: "
                                     f"{decision.why_unknown}")
        elif decision.allowed:
            yield Result.fail(user, f"can perform {action} (through {', '.join(decision.allowed_by)}) without "
                                    "operation protection", action=action, policies=list(decision.allowed_by))
        else:
            yield Result.ok(user, "no high-risk permission", factors=[])


class LoginProtectionParams(CheckParams):
    pass


@check(
    id="cam_login_protection_enabled",
    promise="W1.1",
    severity="high",
    title="Every sub-user who can log in to the console has login protection (MFA)",
    remediation="Turn on login protection for the sub-user (console: CAM > Users > user > Security > Login "
    "protection: MFA device or security phone), or disable its console access if it only uses API keys.",
    requires=("cam",),
    risk="A console password alone is one phishing e-mail away from an attacker.",
)
def login_protection_enabled(estate: Estate, params: LoginProtectionParams) -> Iterator[Result]:
    for user in estate.cam.users:
        if reason := user.unknown("console_login", "login_protection"):
            yield Result.error(user, reason)
        elif not user.console_login:
            continue
        elif user.login_protection:
            yield Result.ok(user, factors=list(user.login_protection))
        else:
            yield Result.fail(user, "console login without login protection")


# -------------------------------------------------------------------------------------- separation of duties

# Actions that destroy primary data, and actions that destroy its backups, per data domain (see DESTRUCTIVE_ACTIONS).
CVM_DATA_ACTIONS = ("cvm:TerminateInstances",)
DISK_DATA_ACTIONS = ("cbs:TerminateDisks",)
SNAPSHOT_BACKUP_ACTIONS = ("cbs:DeleteSnapshots",)
BUCKET_ACTIONS = ("cos:DeleteObject", "cos:DeleteMultipleObject", "cos:DeleteBucket", "cos:PutBucketLifecycle")
MYSQL_DATA_ACTIONS = ("cdb:IsolateDBInstance", "cdb:OfflineIsolatedInstances")
MYSQL_BACKUP_ACTIONS = ("cdb:DeleteBackup",)
# Every destructive right over data, and over copies (a DR instance is a copy), for domains the estate cannot list.
ALL_DATA_ACTIONS = (*CVM_DATA_ACTIONS, *DISK_DATA_ACTIONS, *BUCKET_ACTIONS, *MYSQL_DATA_ACTIONS)
ALL_BACKUP_ACTIONS = (*SNAPSHOT_BACKUP_ACTIONS, *BUCKET_ACTIONS, *MYSQL_BACKUP_ACTIONS, *MYSQL_DATA_ACTIONS)


@dataclass(frozen=True)
class Target:
    actions: tuple[str, ...]
    resource: ResourceName
    label: str


@dataclass(frozen=True)
class DataDomain:
    """Primary data and its backups: no single principal may be able to destroy both."""

    name: str
    data: tuple[Target, ...]
    backups: tuple[Target, ...]


# Domains of one class (the same actions on resources of the same service, region and owner, on both sides) get
# the same answer from a principal whose policies do not tell resources apart by path.
DomainClass = tuple[frozenset[tuple[object, ...]], frozenset[tuple[object, ...]]]


def domain_class(domain: DataDomain) -> DomainClass:
    def classes(targets: tuple[Target, ...]) -> frozenset[tuple[object, ...]]:
        return frozenset((t.actions, t.resource.service, t.resource.region, t.resource.owners) for t in targets)

    return classes(domain.data), classes(domain.backups)


class _Domains(Sequence[DataDomain]):
    """Every data domain, counted at once but built on first use: most estates never need more than one domain
    of each class, and a large estate has tens of thousands."""

    def __init__(self, count: int, build: Callable[[], list[DataDomain]]) -> None:
        self._count, self._build = count, build
        self._built: list[DataDomain] | None = None

    def _all(self) -> list[DataDomain]:
        if self._built is None:
            self._built = self._build()
        return self._built

    def __len__(self) -> int:
        return self._count

    @overload
    def __getitem__(self, index: int) -> DataDomain: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[DataDomain]: ...

    def __getitem__(self, index: int | slice) -> DataDomain | Sequence[DataDomain]:
        return self._all()[index]

    def __iter__(self) -> Iterator[DataDomain]:
        return iter(self._all())


_APPID = re.compile(r"-(\d+)$")


@lru_cache(maxsize=4096)
def _uin(account: str) -> tuple[str, ...]:
    return (f"uin/{account}",)


def _bucket_resource(bucket: Bucket) -> ResourceName:
    owners = _uin(bucket.account)
    if m := _APPID.search(bucket.name):
        owners = (f"uid/{m[1]}", *owners)
    # `<bucket>/*` is how CAM names the bucket and every object in it.
    return ResourceName("cos", bucket.region, f"{bucket.name}/*", owners)


def data_domains(estate: Estate, params: CheckParams) -> list[DataDomain]:
    disks = _prod_disks(estate, params.scope)
    return [_disk_domain(*disk) for disk in disks] + _other_domains(estate, params)


ProdDisk = tuple[Disk, Instance | None, Sequence[Snapshot]]


def _prod_disks(estate: Estate, scope: Scope) -> list[ProdDisk]:
    """The prod disks that have snapshots (each a data domain), with their host when it is known and their
    snapshots."""
    # (account, instance id) -> the instance and whether it is a prod host; a repeated id keeps its last instance
    instances: dict[tuple[str, str], tuple[Instance, bool]] = {}
    for instance, env in zip(estate.cvm.instances, estate.cvm.environments(scope), strict=True):
        instances[(instance.account, instance.instance_id)] = (instance, env == "prod")
    snapshots = estate.cbs.snapshots_by_disk()
    found: list[ProdDisk] = []
    for disk, env in zip(estate.cbs.disks, estate.cbs.environments(scope), strict=True):
        if (taken := snapshots.get(disk.disk_id)) is None:
            continue
        host = instances.get((disk.account, disk.instance_id or ""))
        if env == "prod" or (host is not None and host[1]):
            found.append((disk, host[0] if host is not None else None, taken))
    return found


def _disk_domain(disk: Disk, instance: Instance | None, snapshots: Sequence[Snapshot]) -> DataDomain:
    data = [Target(DISK_DATA_ACTIONS, ResourceName("cvm", disk.region, f"volume/{disk.disk_id}", _uin(disk.account)),
                   disk.disk_id)]
    if instance is not None:
        data.append(Target(CVM_DATA_ACTIONS, ResourceName("cvm", instance.region, f"instance/{instance.instance_id}",
                                                          _uin(instance.account)), instance.instance_id))
    backups = [Target(SNAPSHOT_BACKUP_ACTIONS, ResourceName("cvm", s.region, f"snapshot/{s.snapshot_id}",
                                                            _uin(s.account)), s.snapshot_id)
               for s in snapshots]
    return DataDomain(f"disk {disk.disk_id}", tuple(data), tuple(backups))


def _disk_class(disk: Disk, instance: Instance | None, snapshots: Sequence[Snapshot]) -> DomainClass:
    """`domain_class(_disk_domain(…))`, without building the domain."""
    host = (instance.region, instance.account) if instance is not None else None
    return _class_of(disk.region, disk.account, host, tuple([(s.region, s.account) for s in snapshots]))


@lru_cache(maxsize=65536)
def _class_of(region: str, account: str, host: tuple[str, str] | None,
              places: tuple[tuple[str, str], ...]) -> DomainClass:
    # Disks sit in a handful of places, and so do their hosts and snapshots: spell each combination out once.
    data = {(DISK_DATA_ACTIONS, "cvm", region, _uin(account))}
    if host is not None:
        data.add((CVM_DATA_ACTIONS, "cvm", host[0], _uin(host[1])))
    return frozenset(data), frozenset((SNAPSHOT_BACKUP_ACTIONS, "cvm", where, _uin(owner)) for where, owner in places)


def _other_domains(estate: Estate, params: CheckParams) -> list[DataDomain]:
    """Protected buckets with their copies, and prod MySQL masters with their backups and DR instances."""
    scope = params.scope
    domains: list[DataDomain] = []
    roles = estate.cos.roles(scope, estate.cloudaudit.tracks)
    protected, backup = roles.protected, roles.backup
    destinations = {rule.destination_bucket
                    for b in estate.cos.buckets if b.replication for rule in b.replication.rules}
    # A backup bucket nobody replicates into (tagged or named in the pack) may hold a copy of any protected bucket.
    unattached: dict[str, list[Bucket]] = {}
    for b in backup:
        if b.name not in destinations:
            unattached.setdefault(b.account, []).append(b)
    for bucket in protected:
        replicas = [estate.cos.bucket(rule.destination_bucket) for rule in bucket.replication.rules] \
            if bucket.replication else []
        copies = [r for r in replicas if r is not None] + unattached.get(bucket.account, [])
        unique = {c.name: c for c in copies}.values()
        bucket_copies = tuple(Target(BUCKET_ACTIONS, _bucket_resource(c), c.name) for c in unique)
        if bucket_copies:
            domains.append(DataDomain(f"bucket {bucket.name}",
                                      (Target(BUCKET_ACTIONS, _bucket_resource(bucket), bucket.name),), bucket_copies))

    for db in estate.cdb.instances:
        if db.role != "master" or not scope.is_prod(db.tags, db.name):
            continue
        resource = ResourceName("cdb", db.region, f"instanceId/{db.instance_id}", _uin(db.account))
        db_copies = [Target(MYSQL_BACKUP_ACTIONS, resource, f"{db.instance_id} backups")]
        db_copies += [Target(MYSQL_DATA_ACTIONS, ResourceName("cdb", link.region, f"instanceId/{link.instance_id}",
                                                            _uin(db.account)), f"DR instance {link.instance_id}")
                    for link in db.dr_links]
        domains.append(DataDomain(f"MySQL {db.instance_id}", (Target(MYSQL_DATA_ACTIONS, resource, db.instance_id),),
                                  tuple(db_copies)))
    return domains


def domain_doubts(estate: Estate, params: CheckParams) -> list[str]:
    """Why some data domain may be missing from data_domains: a resource whose production status, placement or
    backups are unknown might form one, so no principal able to destroy data and backups can be cleared."""
    scope = params.scope
    # Most resources were read in full: asking those with nothing unreadable is a walk of the estate for nothing.
    doubts = [f"disk {d.disk_id} {r}" for d in estate.cbs.disks
              if d.unreadable and (r := d.unknown("tags", "instance_id", "region", "snapshots"))]
    doubts += [f"instance {i.instance_id} {r}" for i in estate.cvm.instances
               if i.unreadable and (r := i.unknown("tags", "name"))]
    doubts += [f"snapshot {s.snapshot_id} {r}" for s in estate.cbs.snapshots
               if s.unreadable and (r := s.unknown("region"))]
    roles = estate.cos.roles(scope, estate.cloudaudit.tracks)
    doubts += [f"bucket {b.name}: {why}" for b, why in roles.undetermined]
    doubts += [f"bucket {b.name} {r}" for b in estate.cos.buckets if (r := b.unknown("replication", "region"))]
    doubts += [f"MySQL {db.instance_id} {r}" for db in estate.cdb.instances
               if (r := db.unknown("role", "tags", "name", "region", "dr_links"))]
    # An inventory that could not be read may hold a domain nobody has seen.
    doubts += [g.describe() for s in ("cvm", "cbs", "cos", "cdb") for g in estate.gaps_for(s)]
    return doubts


def _can_destroy(evaluator: cam_policy.Evaluator, principal: Principal,
                 targets: tuple[Target, ...]) -> tuple[bool | None, str, Decision | None]:
    """Can the principal destroy at least one target? With the first proof (or the first unknown) found."""
    unknown: tuple[str, Decision] | None = None
    for target in targets:
        decision, action = evaluator.decide_any(principal, target.actions, target.resource)
        if decision.allowed:
            return True, f"{action} on {target.label}", decision
        if decision.allowed is None and unknown is None:
            unknown = (f"{action} on {target.label}", decision)
    if unknown is not None:
        return None, unknown[0], unknown[1]
    return False, "", None


class SeparationOfDutiesParams(CheckParams):
    pass


@check(
    id="cam_separation_of_duties",
    promise="W1.2",
    severity="critical",
    title="No single principal can both destroy production data and destroy its backups",
    remediation="Split the rights: production operators must not be able to delete snapshots, replica buckets or "
    "database backups, and backup administrators must not be able to terminate production hosts, disks, "
    "buckets or databases (CAM: separate groups with resource-scoped policies; add explicit deny statements "
    "for the other side).",
    requires=("cam", "cvm", "cbs", "cos", "cdb"),
    risk="Whoever can destroy both the data and its backups can make a loss unrecoverable, alone.",
)
def separation_of_duties(estate: Estate, params: SeparationOfDutiesParams) -> Iterator[Result]:
    evaluator = cam_policy.Evaluator.of(estate.cam)
    duties = Duties.of_estate(estate, params, domain_doubts(estate, params))
    # Principals holding the same policies get the same verdict: judge each distinct set of policies once.
    verdicts: dict[tuple[object, ...], tuple[str, str, dict[str, object]]] = {}
    for principal in principals(estate):
        if params.scope.is_break_glass(*identifiers(principal)):
            yield Result.ok(principal, "break-glass principal: exempt from this check", break_glass=True)
            continue
        signature = evaluator.signature(principal)
        if signature not in verdicts:
            verdicts[signature] = duties.verdict(evaluator, principal)
        status, message, evidence = verdicts[signature]
        if status == "FAIL":
            yield Result.fail(principal, message, kind=kind(principal), **evidence)
        elif status == "ERROR":
            yield Result.error(principal, message, kind=kind(principal), **evidence)
        else:
            yield Result.ok(principal, message, kind=kind(principal), **evidence)


@dataclass(frozen=True)
class Duties:
    """The data domains of an estate, with what every principal's verdict needs computed once.

    `representatives` is the first domain of each class (same actions on resources of the same service, region and
    owner). Principals whose policies do not tell resources apart by path (Evaluator.paths_matter) answer every
    domain of a class alike, so for them the first stands for all: the verdict, and the domain a FAIL or ERROR
    names, are those of the full walk.
    """

    domains: Sequence[DataDomain]
    representatives: list[DataDomain]
    data_actions: tuple[str, ...]
    backup_actions: tuple[str, ...]
    doubts: tuple[str, ...] = ()  # why a domain may be missing (domain_doubts)

    @classmethod
    def of(cls, domains: Sequence[DataDomain], doubts: list[str] | None = None,
           representatives: list[DataDomain] | None = None) -> Duties:
        if representatives is None:
            first: dict[DomainClass, DataDomain] = {}
            for domain in domains:
                first.setdefault(domain_class(domain), domain)
            representatives = list(first.values())
        # Every domain has the actions of its class's first domain, which comes no later: the same actions in the
        # same order as over every domain.
        return cls(domains, representatives,
                   tuple(dict.fromkeys(a for d in representatives for t in d.data for a in t.actions)),
                   tuple(dict.fromkeys(a for d in representatives for t in d.backups for a in t.actions)),
                   tuple(doubts or ()))

    @classmethod
    def of_estate(cls, estate: Estate, params: CheckParams, doubts: list[str] | None = None) -> Duties:
        """`of(data_domains(estate, params), doubts)`, building a disk's domain only when it is the first of its
        class: the others are built only if some principal's policies tell resources apart by path."""
        disks = _prod_disks(estate, params.scope)
        others = _other_domains(estate, params)
        first: dict[DomainClass, DataDomain] = {}
        for disk in disks:
            key = _disk_class(*disk)
            if key not in first:
                first[key] = _disk_domain(*disk)
        for domain in others:
            first.setdefault(domain_class(domain), domain)
        domains = _Domains(len(disks) + len(others), lambda: [_disk_domain(*disk) for disk in disks] + others)
        return cls.of(domains, doubts, list(first.values()))

    def verdict(self, evaluator: cam_policy.Evaluator, principal: Principal) -> tuple[str, str, dict[str, object]]:
        """("FAIL" | "ERROR" | "PASS", message, evidence) for one principal's permissions over every data domain."""
        passed: tuple[str, str, dict[str, object]] = ("PASS", "", {"domains": len(self.domains)})
        # Most principals hold no destructive right at all: settle them without walking every resource.
        some = cam_policy.SOME_RESOURCE
        data_actions = ALL_DATA_ACTIONS if self.doubts else self.data_actions
        backup_actions = ALL_BACKUP_ACTIONS if self.doubts else self.backup_actions
        if (not self.domains and not self.doubts) \
                or evaluator.decide_any(principal, data_actions, some)[0].allowed is False \
                or evaluator.decide_any(principal, backup_actions, some)[0].allowed is False:
            return passed
        unknown: tuple[str, Decision | None] | None = None
        for domain in self.domains if evaluator.paths_matter(principal) else self.representatives:
            data_ok, data_how, data_decision = _can_destroy(evaluator, principal, domain.data)
            if data_ok is False:
                continue
            backup_ok, backup_how, backup_decision = _can_destroy(evaluator, principal, domain.backups)
            if data_ok and backup_ok and data_decision is not None and backup_decision is not None:
                via = sorted({*data_decision.allowed_by, *backup_decision.allowed_by})
                message = (f"can destroy {domain.name} ({data_how}) and its backups ({backup_how}) "
                           f"through {', '.join(via)}")
                return "FAIL", message, {"domain": domain.name, "data": data_how, "backup": backup_how,
                                         "policies": via}
            if backup_ok is not False and unknown is None:
                undecided = data_decision if data_ok is None else backup_decision
                unknown = (f"{domain.name}: {data_how if data_ok is None else backup_how}", undecided)
        if unknown is not None:
            where, decision = unknown
            why = decision.why_unknown if decision is not None else "unknown"
            return "ERROR", f"cannot tell whether it can destroy {where}: {why}", {}
        if self.doubts:
            more = f" (and {len(self.doubts) - 1} more)" if len(self.doubts) > 1 else ""
            return "ERROR", (f"can destroy some data and some backups, and not every production data domain is "
                             f"known: {self.doubts[0]}{more}"), {"unknown_domains": list(self.doubts)}
        return passed


# --------------------------------------------------------------------------------------- access key hygiene


class AccessKeyParams(CheckParams):
    max_unused_days: int = Field(90, ge=1)


@check(
    id="cam_access_key_hygiene",
    promise="W1.1",
    severity="medium",
    title="The root account has no active API keys, and no active key has gone unused for too long",
    remediation="Delete the root account's API keys and use sub-user or role keys instead; disable and then delete "
    "keys unused for {max_unused_days} days (console: CAM > Access keys; tccli cam UpdateAccessKey / "
    "DeleteAccessKey).",
    requires=("cam",),
    # Key use is observed history: a Terraform plan declares no keys of the root account and no last-use dates.
    sources=EVIDENCE_SOURCES,
    risk="API calls with a SecretKey are not challenged by MFA; a forgotten or root key is a standing master key.",
)
def access_key_hygiene(estate: Estate, params: AccessKeyParams) -> Iterator[Result]:
    limit = timedelta(days=params.max_unused_days)
    # A root key and a sub-user's stale key are fixed differently; each finding says only its own fix.
    root_fix = ("Delete the root account's API keys and use sub-user or role keys instead (console, signed in as the "
                "root account: CAM > Access keys; tccli cam DeleteAccessKey).")
    user_fix = (f"Disable the sub-user's keys unused for {params.max_unused_days} days, then delete them once nothing "
                "broke (console: CAM > Users > the user > API keys; tccli cam UpdateAccessKey / DeleteAccessKey).")
    roots = {account.account: account for account in estate.cam.accounts}
    for account_id in estate.accounts:
        root: CamAccount | None = roots.get(account_id)
        if root is None:
            yield Result.error(account_ref(account_id), "the root account's API keys were not read")
        elif reason := root.unknown("root_access_keys"):
            yield Result.error(root, reason)
        elif root_active := [k.key_id for k in root.root_access_keys if k.status == "Active"]:
            yield Result.fail(root, f"the root account has {len(root_active)} active API key(s): "
                                    f"{', '.join(root_active)}", keys=root_active).fixed_by(root_fix)
        else:
            yield Result.ok(root, keys=len(root.root_access_keys))
    for user in estate.cam.users:
        if reason := user.unknown("access_keys"):
            yield Result.error(user, reason)
            continue
        active = [k for k in user.access_keys if k.status == "Active"]
        if not active:
            continue
        stale: list[str] = []
        unknown: list[str] = []
        for key in active:
            last = key.last_used_at or key.created_at  # never used: unused since it was created
            # A time after the collection is not an observation (a unit or time zone misread): it proves no use.
            if last is None or last - estate.collected_at > timedelta(hours=1):
                unknown.append(key.key_id)
            elif estate.collected_at - last >= limit:
                days = (estate.collected_at - last).days
                stale.append(f"{key.key_id} ({'never used, created' if key.last_used_at is None else 'last used'} "
                             f"{days} days ago)")
        if stale:
            yield Result.fail(user, f"active key unused for {params.max_unused_days}+ days: {', '.join(stale)}",
                              stale=stale).fixed_by(user_fix)
        elif unknown:
            yield Result.error(user, f"cannot tell when key {', '.join(unknown)} was created or last used")
        else:
            yield Result.ok(user, active_keys=len(active))
