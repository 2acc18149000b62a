"""The cloud bastion host (W1.3): an active DASB bastion manages every prod host, admin ports open only to it,
and its access rules are fine-grained (no any-account-on-any-device rule, high-risk commands blocked on prod).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from pydantic import Field

from dr_audit.api import (
    BastionAcl,
    BastionResource,
    CheckParams,
    Estate,
    Instance,
    Result,
    Scope,
    SecurityGroupRule,
    account_ref,
    check,
    netrules,
)

ADMIN_PORTS = [22, 3389]


class CoverageParams(CheckParams):
    pass


class AdminPathParams(CheckParams):
    admin_ports: list[int] = Field(default_factory=lambda: list(ADMIN_PORTS), min_length=1)


class AclParams(CheckParams):
    pass


def active_bastions(estate: Estate, account: str | None = None) -> list[BastionResource]:
    return [r for r in estate.dasb.resources
            if (account is None or r.account == account) and not _unreadable_state(r) and r.active]


def _unreadable_state(resource: BastionResource) -> str | None:
    return resource.unknown("status", "deployed", "expired")


def _state(resource: BastionResource) -> str:
    words = {0: "not initialised", 1: "normal", 2: "isolated", 3: "destroyed", 4: "failed to initialise",
             5: "initialising"}
    parts = [words.get(resource.status, f"status {resource.status}") if resource.status is not None else "no status"]
    if not resource.deployed:
        parts.append("not deployed")
    if resource.expired:
        parts.append("expired")
    return f"{resource.bastion_id} ({', '.join(parts)})"


def prod_instances(estate: Estate, scope: Scope) -> Iterator[Instance | Result]:
    """Prod CVMs, or an ERROR result for an instance whose environment cannot be read."""
    for instance, env in zip(estate.cvm.instances, estate.cvm.environments(scope), strict=True):
        if instance.unreadable and (reason := instance.unknown("tags")):
            yield Result.error(instance, f"cannot tell whether it is a prod host: {reason}")
        elif env == "prod":
            yield instance


@check(
    id="bastion_covers_production_hosts",
    promise="W1.3",
    severity="high",
    title="An active cloud bastion host exists and manages every prod CVM",
    remediation="Buy or renew the cloud bastion host (DASB), deploy it in the production VPC, and import every prod "
    "CVM as a managed device (console: Bastion Host > Assets > Import; tccli dasb ImportExternalDevice / "
    "BindDeviceResource).",
    requires=("dasb", "cvm"),
    risk="Hosts reached around the bastion leave no session recording and no command blocking: one engineer can "
    "wipe production unseen, as in the 2020 incident.",
)
def bastion_covers_production_hosts(estate: Estate, params: CoverageParams) -> Iterator[Result]:
    blind = {gap.account: gap.describe() for gap in estate.gaps_for("dasb")}
    for account in estate.accounts:
        owned = [r for r in estate.dasb.resources if r.account == account]
        unreadable = [f"{r.bastion_id}: {why}" for r in owned if (why := _unreadable_state(r))]
        if account in blind:
            unreadable.append(blind[account])
        if active := active_bastions(estate, account):
            yield Result.ok(account_ref(account), f"active bastion {', '.join(r.bastion_id for r in active)}",
                            bastions=[r.bastion_id for r in active])
        elif unreadable:
            yield Result.error(account_ref(account), f"cannot tell whether a bastion is active: {unreadable[0]}")
        else:
            found = ", ".join(_state(r) for r in owned) or "none"
            yield Result.fail(account_ref(account), f"no active bastion host (found: {found})",
                              bastions=[r.bastion_id for r in owned])
    active_ids = {r.bastion_id for r in active_bastions(estate)}
    devices: dict[str, list] = {}
    for device in estate.dasb.devices:
        if device.instance_id:
            devices.setdefault(device.instance_id, []).append(device)
    for item in prod_instances(estate, params.scope):
        if isinstance(item, Result):
            yield item
            continue
        managed = devices.get(item.instance_id, [])
        bound = [d for d in managed if not d.unknown("bastion_resource_id") and d.bastion_resource_id in active_ids]
        unread = [d.unknown("bastion_resource_id") for d in managed if d.unknown("bastion_resource_id")]
        if bound:
            yield Result.ok(item, f"managed as device {bound[0].device_id} of {bound[0].bastion_resource_id}",
                            devices=[d.device_id for d in bound])
        elif unread or item.account in blind:
            why = unread[0] if unread else blind[item.account]
            yield Result.error(item, f"cannot tell which bastion manages it: {why}")
        elif managed:
            where = ", ".join(f"{d.device_id} -> {d.bastion_resource_id or 'no bastion'}" for d in managed)
            yield Result.fail(item, f"is a device only of an inactive or no bastion ({where})",
                              devices=[d.device_id for d in managed])
        else:
            yield Result.fail(item, "is not a managed device of any bastion host")


@check(
    id="bastion_only_admin_path",
    promise="W1.3",
    severity="high",
    title="Prod CVMs admit admin ports only from the bastion host",
    remediation="In every security group of the prod host, accept ports {admin_ports} only from the bastion's "
    "security group or addresses, and put a DROP rule for those ports from 0.0.0.0/0 and ::/0 right after them.",
    requires=("cvm", "vpc", "dasb"),
    risk="Any other way to SSH or RDP into prod bypasses the bastion's recording, approval and command blocking.",
)
def bastion_only_admin_path(estate: Estate, params: AdminPathParams) -> Iterator[Result]:
    bastion_groups = set(params.scope.bastion_security_groups)
    bastion_addresses: list[netrules.Network] = []
    for bastion in active_bastions(estate):
        for address in bastion.addresses:
            try:
                bastion_addresses.append(netrules.parse_network(address))
            except ValueError:
                continue
    others = netrules.AddressSet(netrules.INTERNET, bastion_addresses)
    shown = [str(a) for a in bastion_addresses]
    probes = [netrules.Probe("tcp", port) for port in params.admin_ports]
    # Where the bastion inventory could not be read, an address rule may be the bastion's own: not a FAIL.
    blind = {gap.account: gap.describe() for gap in estate.gaps_for("dasb")}
    # Hosts of one application share their groups: judge each (account, groups) once, and sift each group's rules
    # for the admin ports once.
    verdicts: dict[tuple[str, tuple[str, ...]], tuple[str, str, dict[str, Any]]] = {}
    sifted: dict[str, _GroupRules | str] = {}
    for item in prod_instances(estate, params.scope):
        if isinstance(item, Result):
            yield item
            continue
        if item.unreadable and (reason := item.unknown("security_group_ids")):
            yield Result.error(item, reason)
            continue
        key = (item.account, tuple(item.security_group_ids))
        if key not in verdicts:
            groups = []
            for group_id in item.security_group_ids:
                if (group := sifted.get(group_id)) is None:
                    group = sifted[group_id] = _sift(estate, group_id, probes, others)
                groups.append(group)
            verdicts[key] = _admin_path(item, groups, probes, bastion_groups, shown, others,
                                        blind.get(item.account))
        status, message, evidence = verdicts[key]
        yield _RESULTS[status](item, message, **evidence)


_RESULTS: dict[str, Callable[..., Result]] = {"PASS": Result.ok, "FAIL": Result.fail, "ERROR": Result.error}
_DENIED = netrules.Admission.DENIED


@dataclass(frozen=True)
class _GroupRules:
    """A security group's ingress rules that may concern each admin-port probe, the groups its rules name, and for
    each probe whether addresses other than the bastion's reach it by this group's rules alone."""

    per_probe: tuple[list[SecurityGroupRule], ...]
    named_groups: frozenset[str]
    by_address: tuple[netrules.Verdict, ...]


def _sift(estate: Estate, group_id: str, probes: list[netrules.Probe],
          others: netrules.AddressSet) -> _GroupRules | str:
    """The group's rules for each probe, or why they cannot be read."""
    group = estate.vpc.security_group(group_id)
    if group is None:
        return f"its security group {group_id} is not in the inventory"
    if reason := group.unknown("ingress"):
        return f"{group_id}: {reason}"
    per_probe = tuple(netrules.probed(group.ingress, probe) for probe in probes)
    return _GroupRules(per_probe,
                       frozenset(r.source_security_group_id for r in group.ingress if r.source_security_group_id),
                       tuple(netrules.admits_addresses(rules, probe, others)
                             for rules, probe in zip(per_probe, probes, strict=True)))


def _admin_path(item: Instance, groups: list[_GroupRules | str], probes: list[netrules.Probe],
                bastion_groups: set[str], bastion_addresses: list[str], others: netrules.AddressSet,
                blind: str | None) -> tuple[str, str, dict[str, Any]]:
    """(status, message, evidence) for a prod host's admin ports, from the rules of its security groups (in the
    host's order: the first group to decide a packet decides it)."""
    rules: list[list[SecurityGroupRule]] = [[] for _ in probes]
    named: set[str] = set()
    for group in groups:
        if isinstance(group, str):
            return "ERROR", group, {}
        for kept, sifted in zip(rules, group.per_probe, strict=True):
            kept.extend(sifted)
        named |= group.named_groups
    referenced = named - bastion_groups
    tally = netrules.Tally()
    first = groups[0] if groups else None
    for n, (probe, probed) in enumerate(zip(probes, rules, strict=True)):
        # The host's rules are walked in order and the walk stops at the first ACCEPT that lets addresses in: when
        # its first group's rules alone do (worked out once per group), the walk of all of them stops there too.
        by_address = first.by_address[n] if isinstance(first, _GroupRules) and first.by_address[n].admitted \
            else netrules.admits_addresses(probed, probe, others)
        if by_address.admitted and blind is not None:
            by_address = netrules.Verdict(netrules.Admission.UNKNOWN, by_address.rule,
                                          f"{by_address.reason} may be the bastion's ({blind})")
        tally.add("addresses other than the bastion's", probe, by_address)
        verdicts = netrules.admits_groups(probed, probe, referenced)
        # The tally keeps no denials, and most groups are denied: sort only the others.
        for group_id in sorted([g for g, v in verdicts.items() if v.admission is not _DENIED]):
            tally.add(f"group {group_id}", probe, verdicts[group_id])
    evidence: dict[str, Any] = {"security_groups": item.security_group_ids,
                                "bastion_addresses": list(bastion_addresses), **tally.evidence()}
    if admitted := tally.admitted_lines():
        return "FAIL", f"admin ports reachable around the bastion: {'; '.join(admitted[:3])}", evidence
    if undecided := tally.undecided_lines():
        return "ERROR", f"cannot tell: {undecided[0]}", evidence
    return "PASS", "", evidence


def _named(acl: BastionAcl, text: str) -> str:
    """A finding's message led by the ACL's name: its numeric id alone ("1") tells a reader nothing."""
    return f'ACL "{acl.name}": {text}' if acl.name else text


def _in_effect(acl: BastionAcl, estate: Estate) -> bool:
    """ACL status 1 is in effect (2 not yet, 3 expired); one past its ValidateTo grants nothing."""
    if acl.status is not None and acl.status != 1:
        return False
    return acl.validate_to is None or acl.validate_to > estate.collected_at


@check(
    id="bastion_acls_least_privilege",
    promise="W1.3",
    severity="medium",
    title="No bastion ACL allows any account on any device, and ACLs over prod devices block high-risk commands",
    remediation="Scope each bastion access rule to named devices or device groups and named host accounts, and bind "
    "a high-risk command template (rm -rf, mkfs, dd, shutdown…) to every rule that reaches prod devices "
    "(console: Bastion Host > Access control; tccli dasb ModifyAcl).",
    requires=("dasb", "cvm"),
    risk="A rule granting every account on every host is the unrestricted access the 2020 incident was made of; "
    "without a command template nothing stops `rm -rf /` on prod.",
)
def bastion_acls_least_privilege(estate: Estate, params: AclParams) -> Iterator[Result]:
    scope = params.scope
    prod_devices: set[str] = set()
    undecided_devices: dict[str, str] = {}
    members: dict[str, set[str]] = {}
    unknown_membership: dict[str, str] = {}
    for device in estate.dasb.devices:
        for group_id in device.group_ids:
            members.setdefault(group_id, set()).add(device.device_id)
        if reason := device.unknown("group_ids"):
            unknown_membership[device.device_id] = reason
        instance = estate.cvm.instance(device.instance_id) if device.instance_id else None
        if instance is not None and (reason := instance.unknown("tags")):
            undecided_devices[device.device_id] = reason
        elif scope.is_prod(instance.tags if instance else None, instance.name if instance else device.name):
            prod_devices.add(device.device_id)
    for acl in estate.dasb.acls:
        if reason := acl.unknown("status", "validate_to"):
            yield Result.error(acl, _named(acl, reason))
            continue
        if not _in_effect(acl, estate):
            yield Result.ok(acl, _named(acl, f"not in effect (status {acl.status}, valid to {acl.validate_to})"))
            continue
        if reason := acl.unknown("allow_any_account", "device_ids", "device_group_ids", "cmd_template_ids"):
            yield Result.error(acl, _named(acl, reason))
            continue
        any_device = not acl.device_ids and not acl.device_group_ids
        evidence: dict[str, Any] = {"name": acl.name, "allow_any_account": acl.allow_any_account,
                    "devices": acl.device_ids, "device_groups": acl.device_group_ids,
                    "cmd_templates": acl.cmd_template_ids}
        if acl.allow_any_account and any_device:
            yield Result.fail(acl, _named(acl, "allows any host account on any device"), **evidence)
            continue
        if acl.cmd_template_ids:
            yield Result.ok(acl, **evidence)
            continue
        reached = set(acl.device_ids) | {d for g in acl.device_group_ids for d in members.get(g, ())}
        on_prod = sorted(prod_devices if any_device else reached & prod_devices)
        if on_prod:
            yield Result.fail(acl, _named(acl, f"reaches prod devices {', '.join(on_prod)} with no high-risk command "
                                         "template"), **evidence)
        elif undecided := [f"{d}: {undecided_devices[d]}" for d in sorted(reached) if d in undecided_devices]:
            yield Result.error(acl, _named(acl, f"cannot tell whether its devices are prod: {undecided[0]}"),
                               **evidence)
        elif acl.device_group_ids and (doubtful := sorted(unknown_membership)):
            yield Result.error(acl, _named(acl, f"cannot tell which devices its groups hold: {doubtful[0]}: "
                                           f"{unknown_membership[doubtful[0]]}"), **evidence)
        else:
            yield Result.ok(acl, **evidence)
