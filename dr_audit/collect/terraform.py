"""Terraform as a source: a plan (`terraform show -json`) or .tf files become the same Estate the live collectors fill.

Both inputs are first reduced to `TfResource`s (address, values, what is unknown until apply, and which resources
each attribute refers to); `build_estate` then maps the tencentcloud provider's resources onto the Estate models.
Cloud ids are often unknown at plan time, so links between resources are resolved through configuration
references, and each Estate resource carries its Terraform address in `origin` (reports name it by that address).
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from ..estate import (
    AuditTrack,
    BackupConfig,
    BastionAcl,
    BastionDevice,
    BastionResource,
    Bucket,
    BucketAcl,
    CamGroup,
    CamPolicy,
    CamRole,
    CamUser,
    Ccn,
    CcnAttachment,
    Disk,
    DrLink,
    Estate,
    Instance,
    LifecycleRule,
    MysqlInstance,
    ObjectLock,
    Origin,
    Peering,
    RemoteBackupConfig,
    Replication,
    ReplicationRule,
    Resource,
    SecurityGroup,
    SecurityGroupRule,
    SnapshotPolicy,
    SnapshotSchedule,
    Transition,
    Vpc,
)
from ..estate.base import UNKNOWN_UNTIL_APPLY
from .tfinput import TfResource, any_leaf, service_of

UNKNOWN = UNKNOWN_UNTIL_APPLY
NOT_DECLARED = "not declared in the Terraform configuration"
# A plan names no account; every finding from it is filed under this one.
PLAN_ACCOUNT = "terraform"
# Identifiers the cloud assigns when it creates a resource.
_ASSIGNED_IDS = frozenset({"id", "uin", "uid"})
# --- building the Estate ------------------------------------------------------------------------------------------


class _Index:
    """Finds the resources an attribute points at: by its known value, else through configuration references."""

    def __init__(self, resources: list[TfResource]) -> None:
        self.by_base: dict[str, list[TfResource]] = defaultdict(list)
        self.by_type: dict[str, list[TfResource]] = defaultdict(list)
        self._values: dict[tuple[str, str], dict[str, TfResource]] = {}
        self._unknown: dict[tuple[str, str], bool] = {}
        for resource in resources:
            self.by_base[resource.base_address].append(resource)
            self.by_type[resource.type].append(resource)

    def _by_value(self, resource_type: str, key: str) -> dict[str, TfResource]:
        """Resources of a type by the value of one attribute, built once: plans hold thousands of resources."""
        index = self._values.get((resource_type, key))
        if index is None:
            index = {}
            for resource in self.by_type.get(resource_type, []):
                value = resource.values.get(key)
                if value is not None:
                    index.setdefault(str(value), resource)
            self._values[(resource_type, key)] = index
        return index

    def _unknown_value(self, resource_type: str, key: str) -> bool:
        """Whether a resource of the type has a chosen (not cloud-assigned) `key` unknown until apply."""
        if key in _ASSIGNED_IDS:
            return False  # an id the cloud assigns on creation cannot be one the configuration already names
        found = self._unknown.get((resource_type, key))
        if found is None:
            found = self._unknown[(resource_type, key)] = any(
                not r.known(key) for r in self.by_type.get(resource_type, []))
        return found

    def targets(self, source: TfResource, attribute: str, types: tuple[str, ...],
                keys: tuple[str, ...] = ("id",)) -> tuple[list[tuple[TfResource, str]], list[str]] | None:
        """([(resource, attribute read)], [known values matching no resource]), or None when it cannot be told."""
        if source.known(attribute) and source.values.get(attribute) not in (None, "", []):
            value = source.values[attribute]
            values = [str(v) for v in (value if isinstance(value, list) else [value])]
            found: list[tuple[TfResource, str]] = []
            external: list[str] = []
            for item in values:
                match = next((hit for t in types for k in keys
                              if (hit := self._by_value(t, k).get(item)) is not None), None)
                if match is not None:
                    found.append((match, ""))
                elif any(self._unknown_value(t, k) for t in types for k in keys):
                    return None  # the value may be that of a resource whose own value is not known yet
                else:
                    external.append(item)
            return found, external
        return self.referenced(source, source.refs.get(attribute) or [], types)

    def referenced(self, source: TfResource, references: list[str],
                   types: tuple[str, ...]) -> tuple[list[tuple[TfResource, str]], list[str]] | None:
        """The resources of `types` that configuration references name, or None when they name none."""
        if not references:
            return None
        found: list[tuple[TfResource, str]] = []
        for reference in references:
            base, _, tail = reference.partition("#")
            candidates = [r for r in self.by_base.get(base, []) if r.type in types]
            if not candidates:
                continue
            if len(candidates) > 1:
                same = [r for r in candidates if r.index == source.index and source.index is not None]
                candidates = same or candidates
            found.extend((c, tail) for c in candidates)
        # Terraform lists both `x.id` and `x`: keep each resource once, with the attribute read when one is named.
        unique: dict[str, tuple[TfResource, str]] = {}
        for resource, tail in found:
            if resource.address not in unique or not unique[resource.address][1]:
                unique[resource.address] = (resource, tail)
        return (list(unique.values()), []) if unique else None


def _origin(resource: TfResource) -> Origin:
    return Origin(address=resource.address, file=resource.file, line=resource.line)


def ident(resource: TfResource) -> str:
    """The id a resource is known by in the Estate: its cloud id when already known, else its address."""
    value = resource.values.get("id")
    return str(value) if value not in (None, "") and resource.known("id") else resource.address


# Keys inside nested blocks that only label what they sit in (a lifecycle or replication rule's id, a rule's
# description, the index the cloud assigns): unknown, they leave the verdicts on the block known.
_LABELS = frozenset({"id", "description", "policy_index", "remark"})


def _decisive_unknown(node: Any, inside: bool = False) -> bool:
    """Whether an `after_unknown` shape marks a value unknown other than a label of a nested block."""
    if node is True:
        return True
    if isinstance(node, dict):
        return any(_decisive_unknown(v, True) for k, v in node.items() if not (inside and k in _LABELS))
    if isinstance(node, list):
        return any(_decisive_unknown(v, True) for v in node)
    return False


def _unknown_in(resource: TfResource, attribute: str) -> bool:
    """Whether the attribute holds an unknown value that decides something (see `_LABELS` for what does not)."""
    return not resource.known(attribute) and _decisive_unknown(resource.unknown_leaves.get(attribute, True))


def _mark(model: Resource, resource: TfResource, mapping: dict[str, tuple[str, ...]]) -> None:
    """Record every Estate attribute whose Terraform attributes hold a deciding value unknown until apply."""
    if not resource.unknown:  # most resources of a plan: nothing to look up
        return
    for estate_attribute, tf_attributes in mapping.items():
        if any(_unknown_in(resource, a) for a in tf_attributes):
            model.unreadable[estate_attribute] = UNKNOWN


def _tags(resource: TfResource) -> dict[str, str]:
    tags = resource.values.get("tags") or {}
    return {str(k): str(v) for k, v in tags.items()} if isinstance(tags, dict) else {}


def _json_document(resource: TfResource, attribute: str, model: Resource, estate_attribute: str) -> dict | None:
    if not resource.known(attribute):
        model.unreadable[estate_attribute] = UNKNOWN
        return None
    text = resource.values.get(attribute)
    if text in (None, ""):
        return None
    if isinstance(text, dict):
        return text
    try:
        document = json.loads(str(text))
    except json.JSONDecodeError:
        model.unreadable[estate_attribute] = "the document is not valid JSON"
        return None
    return document if isinstance(document, dict) else None


def _strs(value: Any) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in (value if isinstance(value, list) else [value]) if v not in (None, "")]


def _int(value: Any) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


class _Builder:
    def __init__(self, resources: list[TfResource], account: str) -> None:
        self.resources = resources
        self.account = account
        self.index = _Index(resources)
        self.models: dict[str, Resource] = {}  # address -> model (the main model of a resource)

    def of(self, resource_type: str) -> list[TfResource]:
        return self.index.by_type.get(resource_type, [])

    def common(self, resource: TfResource) -> dict[str, Any]:
        return {"account": self.account, "region": resource.region, "origin": _origin(resource)}

    def model_of(self, resource: TfResource) -> Resource | None:
        return self.models.get(resource.address)

    def linked(self, source: TfResource, attribute: str, types: tuple[str, ...],
               keys: tuple[str, ...] = ("id",)) -> tuple[list[tuple[TfResource, str]], list[str]] | None:
        return self.index.targets(source, attribute, types, keys)

    # The order matters: principals and disks exist before the attachments that point at them.
    def build(self, estate: Estate) -> None:
        self.cam(estate)
        self.cvm_and_cbs(estate)
        self.vpc(estate)
        self.cos(estate)
        self.cdb(estate)
        self.cloudaudit(estate)
        self.dasb(estate)

    # CAM --------------------------------------------------------------------------------------------------------
    def cam(self, estate: Estate) -> None:
        for r in self.of("tencentcloud_cam_policy"):
            policy = CamPolicy(policy_id=ident(r), name=str(r.get("name", r.name)), kind="custom", **self.common(r))
            policy.document = _json_document(r, "document", policy, "document")
            self._add(estate.cam.policies, r, policy)
        for r in self.of("tencentcloud_cam_user"):
            user = CamUser(uin=str(r.get("uin")) if r.known("uin") and r.get("uin") else r.address,
                           name=str(r.get("name", r.name)), console_login=bool(r.get("console_login", False)),
                           **self.common(r))
            _mark(user, r, {"console_login": ("console_login",)})
            if r.get("use_api") or not r.known("use_api"):
                user.unreadable["access_keys"] = "key use is not visible in a Terraform plan"
            self._add(estate.cam.users, r, user)
        for r in self.of("tencentcloud_cam_group"):
            self._add(estate.cam.groups, r, CamGroup(group_id=ident(r), name=str(r.get("name", r.name)),
                                                     **self.common(r)))
        for r in self.of("tencentcloud_cam_role"):
            role = CamRole(role_id=ident(r), name=str(r.get("name", r.name)), role_type="user", **self.common(r))
            role.trust_document = _json_document(r, "document", role, "trust_document")
            self._add(estate.cam.roles, r, role)
        self._cam_attachments()
        self._cam_memberships()
        self._cam_mfa(estate)

    def _cam_attachments(self) -> None:
        kinds = (("tencentcloud_cam_user_policy_attachment", ("user_name", "user_id"), "tencentcloud_cam_user",
                  ("name", "id", "uid")),
                 ("tencentcloud_cam_group_policy_attachment", ("group_id",), "tencentcloud_cam_group", ("id",)),
                 ("tencentcloud_cam_role_policy_attachment", ("role_id",), "tencentcloud_cam_role", ("id", "name")))
        for attachment_type, principal_attributes, principal_type, keys in kinds:
            for r in self.of(attachment_type):
                attribute = next((a for a in principal_attributes if r.values.get(a) or r.refs.get(a)
                                  or not r.known(a)), principal_attributes[0])
                principals = self.linked(r, attribute, (principal_type,), keys)
                policies = self.linked(r, "policy_id", ("tencentcloud_cam_policy",))
                if principals is None:
                    # Which principal gains the policy is unknown: every principal of that kind may hold it.
                    for p in self.of(principal_type):
                        self._unknown(p, "policy_ids", f"{r.address} attaches a policy to a principal {UNKNOWN}")
                    continue
                for principal, _ in principals[0]:
                    model = self.model_of(principal)
                    if model is None:
                        continue
                    if policies is None:
                        model.unreadable["policy_ids"] = f"{r.address} attaches a policy {UNKNOWN}"
                        continue
                    ids = [self._ident_of(p) for p, _ in policies[0]] + policies[1]
                    model.policy_ids.extend(i for i in ids if i not in model.policy_ids)  # type: ignore[attr-defined]

    def _cam_memberships(self) -> None:
        for r in self.of("tencentcloud_cam_group_membership"):
            groups = self.linked(r, "group_id", ("tencentcloud_cam_group",))
            attribute = "user_names" if (r.values.get("user_names") or r.refs.get("user_names")
                                         or not r.known("user_names")) else "user_ids"
            users = self.linked(r, attribute, ("tencentcloud_cam_user",), ("name", "id", "uid"))
            if groups is None or users is None:
                for u in self.of("tencentcloud_cam_user"):
                    self._unknown(u, "group_ids", f"{r.address} adds users to a group {UNKNOWN}")
                continue
            group_ids = [self._ident_of(g) for g, _ in groups[0]] + groups[1]
            for user, _ in users[0]:
                model = self.model_of(user)
                if isinstance(model, CamUser):
                    model.group_ids.extend(g for g in group_ids if g not in model.group_ids)

    def _cam_mfa(self, estate: Estate) -> None:
        flagged: set[str] = set()
        for r in self.of("tencentcloud_cam_mfa_flag"):
            users = self.linked(r, "op_uin", ("tencentcloud_cam_user",), ("uin",))
            if users is None:
                for u in self.of("tencentcloud_cam_user"):
                    self._unknown(u, "login_protection", f"{r.address} sets MFA for a user {UNKNOWN}")
                    self._unknown(u, "action_protection", f"{r.address} sets MFA for a user {UNKNOWN}")
                continue
            for user, _ in users[0]:
                model = self.model_of(user)
                if not isinstance(model, CamUser):
                    continue
                flagged.add(user.address)
                for attribute, target in (("login_flag", "login_protection"), ("action_flag", "action_protection")):
                    if not r.known(attribute):
                        model.unreadable[target] = UNKNOWN
                        continue
                    factors = sorted(k for k, v in r.block(attribute).items() if _int(v) == 1)
                    setattr(model, target, factors)
        # Without a declared flag the plan cannot say which MFA factors a user has: never assume none, never some.
        for cam_user in estate.cam.users:
            if cam_user.origin is not None and cam_user.origin.address not in flagged:
                cam_user.unreadable.setdefault("login_protection", f"MFA flags are {NOT_DECLARED}")
                cam_user.unreadable.setdefault("action_protection", f"MFA flags are {NOT_DECLARED}")

    # CVM and CBS ------------------------------------------------------------------------------------------------
    def cvm_and_cbs(self, estate: Estate) -> None:
        disks_of_instance: dict[str, list[Disk]] = {}
        for r in self.of("tencentcloud_instance"):
            running = r.get("running_flag", True)
            instance = Instance(
                instance_id=ident(r), name=str(r.get("instance_name", "")), zone=str(r.get("availability_zone", "")),
                state="RUNNING" if running else "STOPPED", vpc_id=self._one_id(r, "vpc_id", "tencentcloud_vpc"),
                subnet_id=r.get("subnet_id"), security_group_ids=self._ids(
                    r, "orderly_security_groups" if r.values.get("orderly_security_groups") or
                    r.refs.get("orderly_security_groups") else "security_groups", "tencentcloud_security_group"),
                private_ips=_strs(r.get("private_ip")), public_ips=_strs(r.get("public_ip")), tags=_tags(r),
                **self.common(r))
            _mark(instance, r, {"tags": ("tags",), "zone": ("availability_zone",)})
            # Links resolved through references are known even when the ids themselves are not yet.
            if instance.vpc_id is None and not r.known("vpc_id"):
                instance.unreadable["vpc_id"] = UNKNOWN
            groups_attribute = "orderly_security_groups" if "orderly_security_groups" in r.refs or \
                r.values.get("orderly_security_groups") else "security_groups"
            if not instance.security_group_ids and not r.known(groups_attribute):
                instance.unreadable["security_group_ids"] = UNKNOWN
            self._add(estate.cvm.instances, r, instance)
            # The instance's own system and data disks are CVM disks too, named by their place in the instance.
            disks = [self._instance_disk(r, instance, "system_disk", r.get("system_disk_id"), "SYSTEM_DISK")]
            for position, data_disk in enumerate(r.get("data_disks") or []):
                disks.append(self._instance_disk(r, instance, f"data_disks[{position}]",
                                                 (data_disk or {}).get("data_disk_id"), "DATA_DISK"))
            disks_of_instance[r.address] = disks
            instance.disk_ids = [d.disk_id for d in disks]
            estate.cbs.disks.extend(disks)
        for r in self.of("tencentcloud_cbs_storage"):
            disk = Disk(disk_id=ident(r), usage="DATA_DISK", zone=str(r.get("availability_zone", "")), tags=_tags(r),
                        attached=False, state="UNATTACHED", **self.common(r))
            _mark(disk, r, {"tags": ("tags",)})
            self._add(estate.cbs.disks, r, disk)
        for r in self.of("tencentcloud_cbs_storage_attachment"):
            storages = self.linked(r, "storage_id", ("tencentcloud_cbs_storage",))
            instances = self.linked(r, "instance_id", ("tencentcloud_instance",))
            for storage, _ in (storages or ([], []))[0]:
                attached = self.model_of(storage)
                if not isinstance(attached, Disk):
                    continue
                disk = attached
                if instances is None:
                    disk.unreadable["instance_id"] = f"{r.address} attaches it to an instance {UNKNOWN}"
                    disk.instance_id = r.address  # attached to something: judge it as a CVM disk
                else:
                    disk.instance_id = next((self._ident_of(i) for i, _ in instances[0]), None) or \
                        next(iter(instances[1]), None)
                disk.attached = True
                disk.state = "ATTACHED"
                instance_model = self.model_of(instances[0][0][0]) if instances and instances[0] else None
                if isinstance(instance_model, Instance) and disk.disk_id not in instance_model.disk_ids:
                    instance_model.disk_ids.append(disk.disk_id)
        for r in self.of("tencentcloud_cbs_snapshot_policy"):
            weekdays = [int(d) for d in r.get("repeat_weekdays", []) if _int(d) is not None]
            policy = SnapshotPolicy(
                policy_id=ident(r), name=str(r.get("snapshot_policy_name", "")), activated=True, state="NORMAL",
                schedules=[SnapshotSchedule(days_of_week=weekdays,
                                            hours=[int(h) for h in r.get("repeat_hours", []) if _int(h) is not None])],
                retention_days=_int(r.get("retention_days", 7)), **self.common(r))
            _mark(policy, r, {"schedules": ("repeat_weekdays", "repeat_hours"),
                              "retention_days": ("retention_days",)})
            self._add(estate.cbs.policies, r, policy)
        self._snapshot_bindings(estate, disks_of_instance)

    def _instance_disk(self, r: TfResource, instance: Instance, part: str, disk_id: Any, usage: str) -> Disk:
        address = f"{r.address}.{part}"
        disk = Disk(disk_id=str(disk_id) if disk_id else address, usage=usage, instance_id=instance.instance_id,
                    attached=True, zone=instance.zone, tags=dict(instance.tags), account=self.account,
                    region=r.region, origin=Origin(address=address, file=r.file, line=r.line))
        # What the disk takes from its instance is unknown where the instance's is.
        disk.unreadable.update({a: why for a in ("tags", "zone") if (why := instance.unreadable.get(a))})
        return disk

    def _snapshot_bindings(self, estate: Estate, disks_of_instance: dict[str, list[Disk]]) -> None:
        disk_types = ("tencentcloud_cbs_storage", "tencentcloud_instance")
        disks_by_id = {d.disk_id: d for d in estate.cbs.disks}
        policies_by_id = {p.policy_id: p for p in estate.cbs.policies}
        for r in self.of("tencentcloud_cbs_snapshot_policy_attachment"):
            policies = self.linked(r, "snapshot_policy_id", ("tencentcloud_cbs_snapshot_policy",))
            attribute = "storage_ids" if (r.values.get("storage_ids") or r.refs.get("storage_ids")) else "storage_id"
            storages = self.linked(r, attribute, disk_types, ("id", "system_disk_id"))
            if storages is None:
                for disk in estate.cbs.disks:
                    disk.unreadable["policy_ids"] = f"{r.address} binds a policy to a disk {UNKNOWN}"
                continue
            disks: list[Disk] = []
            for target, tail in storages[0]:
                if target.type == "tencentcloud_cbs_storage":
                    model = self.model_of(target)
                    disks.extend([model] if isinstance(model, Disk) else [])
                else:
                    disks.extend(self._instance_disks_named(target, tail, disks_of_instance))
            disks.extend(disks_by_id[i] for i in storages[1] if i in disks_by_id)
            for disk in disks:
                if policies is None:
                    disk.unreadable["policy_ids"] = f"{r.address} binds a policy {UNKNOWN}"
                    continue
                ids = [self._ident_of(p) for p, _ in policies[0]] + policies[1]
                disk.policy_ids.extend(i for i in ids if i not in disk.policy_ids)
                for policy_id in ids:
                    policy = policies_by_id.get(policy_id)
                    if policy is not None and disk.disk_id not in policy.disk_ids:
                        policy.disk_ids.append(disk.disk_id)

    @staticmethod
    def _instance_disks_named(instance: TfResource, tail: str, disks_of_instance: dict[str, list[Disk]]) -> list[Disk]:
        disks = disks_of_instance.get(instance.address, [])
        if tail.startswith("system_disk"):
            return disks[:1]
        match = re.match(r"data_disks\.?(\d+)?", tail)
        if match and match.group(1) is not None and int(match.group(1)) + 1 < len(disks):
            return [disks[int(match.group(1)) + 1]]
        return []

    # VPC --------------------------------------------------------------------------------------------------------
    def vpc(self, estate: Estate) -> None:
        for r in self.of("tencentcloud_vpc"):
            vpc = Vpc(vpc_id=ident(r), name=str(r.get("name", "")), cidr=str(r.get("cidr_block", "")),
                      extra_cidrs=_strs(r.get("assistant_cidrs")), is_default=bool(r.get("is_default", False)),
                      tags=_tags(r), **self.common(r))
            _mark(vpc, r, {"tags": ("tags",), "cidr": ("cidr_block",), "extra_cidrs": ("assistant_cidrs",)})
            self._add(estate.vpc.vpcs, r, vpc)
        for r in self.of("tencentcloud_security_group"):
            group = SecurityGroup(security_group_id=ident(r), name=str(r.get("name", "")), tags=_tags(r),
                                  **self.common(r))
            _mark(group, r, {"tags": ("tags",)})
            self._add(estate.vpc.security_groups, r, group)
        for rule_type in ("tencentcloud_security_group_rule_set", "tencentcloud_security_group_lite_rule",
                          "tencentcloud_security_group_rule"):
            for r in self.of(rule_type):
                self._security_group_rules(estate, r)
        for r in self.of("tencentcloud_vpc_peer_connect_manager"):
            peering = Peering(peering_id=ident(r), name=str(r.get("peering_connection_name", "")),
                              source_vpc_id=self._one_id(r, "source_vpc_id", "tencentcloud_vpc") or "",
                              peer_vpc_id=self._one_id(r, "destination_vpc_id", "tencentcloud_vpc") or "",
                              source_region=r.region, destination_region=str(r.get("destination_region", "")),
                              state="ACTIVE", **self.common(r))
            for attribute, value in (("source_vpc_id", peering.source_vpc_id), ("peer_vpc_id", peering.peer_vpc_id)):
                if not value:
                    peering.unreadable[attribute] = UNKNOWN
            self._add(estate.vpc.peerings, r, peering)
        ccns: dict[str, Ccn] = {}
        for r in self.of("tencentcloud_ccn"):
            ccn = Ccn(ccn_id=ident(r), name=str(r.get("name", "")), **self.common(r))
            ccns[ccn.ccn_id] = ccn
            self._add(estate.vpc.ccns, r, ccn)
        for r in self.of("tencentcloud_ccn_attachment"):
            ccn_id = self._one_id(r, "ccn_id", "tencentcloud_ccn")
            instance_id = self._one_id(r, "instance_id", "tencentcloud_vpc")
            if ccn_id is None:
                ccn_id = r.address
            known = ccns.get(ccn_id)
            if known is None:  # a CCN made elsewhere: it still joins whatever is attached to it
                ccn = Ccn(ccn_id=ccn_id, account=self.account, region=r.region, origin=_origin(r))
                ccns[ccn_id] = ccn
                estate.vpc.ccns.append(ccn)
            else:
                ccn = known
            if instance_id is None:
                ccn.unreadable["attachments"] = f"{r.address} attaches an instance {UNKNOWN}"
                continue
            ccn.attachments.append(CcnAttachment(
                instance_type=str(r.get("instance_type", "VPC")), instance_id=instance_id,
                instance_region=str(r.get("instance_region", "")), instance_uin=str(r.get("ccn_uin", "") or ""),
                state="ACTIVE"))

    def _security_group_rules(self, estate: Estate, r: TfResource) -> None:
        groups = self.linked(r, "security_group_id", ("tencentcloud_security_group",))
        if groups is None:
            for group in estate.vpc.security_groups:
                group.unreadable["ingress"] = f"{r.address} adds rules to a group {UNKNOWN}"
            return
        targets = [m for g, _ in groups[0] if isinstance(m := self.model_of(g), SecurityGroup)]
        for external in groups[1]:  # rules on a group made elsewhere: judge that group by these rules
            group = SecurityGroup(security_group_id=external, account=self.account, region=r.region,
                                  origin=_origin(r))
            estate.vpc.security_groups.append(group)
            targets.append(group)
        for group in targets:
            for direction in ("ingress", "egress"):
                if r.type != "tencentcloud_security_group_rule" and r.wholly_unknown(direction):
                    group.unreadable[direction] = UNKNOWN
                    continue
                getattr(group, direction).extend(self._rules(r, direction))

    def _referenced_group(self, r: TfResource, direction: str, position: int, count: int) -> str | None:
        """The group a rule-set entry's unknown source_security_id names in the configuration, when it names one."""
        blocks = r.block_refs.get(direction) or []
        if len(blocks) != count:  # blocks made by `dynamic` do not line up with the configuration's
            return None
        groups = self.index.referenced(r, blocks[position].get("source_security_id") or [],
                                       ("tencentcloud_security_group",))
        if groups is None or len(groups[0]) != 1:
            return None
        return self._ident_of(groups[0][0][0])

    def _rules(self, r: TfResource, direction: str) -> list[SecurityGroupRule]:
        if r.type == "tencentcloud_security_group_rule":
            # A rule whose direction is unknown is judged in both: it may be either.
            if r.known("type") and str(r.get("type", "")).lower() != direction:
                return []
            template = r.block("address_template")
            rule = SecurityGroupRule(
                protocol=str(r.get("ip_protocol", "ALL")).upper(), port=str(r.get("port_range", "ALL")).upper(),
                cidr=r.get("cidr_ip"), source_security_group_id=self._one_id(r, "source_sgid",
                                                                              "tencentcloud_security_group"),
                address_template=template.get("template_id") or template.get("group_id"),
                action=str(r.get("policy", "ACCEPT")).upper(), description=str(r.get("description", "")))
            if not r.known("cidr_ip") or not r.known("address_template") or (
                    not r.known("source_sgid") and rule.source_security_group_id is None):
                rule.cidr = rule.source_security_group_id = None
                rule.address_template = UNKNOWN
            if not r.known("ip_protocol"):
                rule.protocol = UNKNOWN
            if not r.known("port_range"):
                rule.port = UNKNOWN
            if not r.known("policy"):
                rule.action = UNKNOWN
            return [rule]
        rules = []
        entries = r.get(direction, [])
        for position, entry in enumerate(entries):
            if entry is None or r.type == "tencentcloud_security_group_lite_rule" and r.unknown_at(direction, position):
                # The whole entry is unknown: it may admit or drop anything, wherever it stands in the order.
                rules.append(SecurityGroupRule(protocol=UNKNOWN, port=UNKNOWN, address_template=UNKNOWN,
                                               action=UNKNOWN))
                continue
            if r.type == "tencentcloud_security_group_lite_rule":
                # [action]#[source]#[port]#[protocol], source being a CIDR, a group id or an address template.
                action, source, port, protocol = (str(entry).split("#") + ["", "", "", ""])[:4]
                rule = SecurityGroupRule(protocol=protocol.upper() or "ALL", port=port.upper() or "ALL",
                                         action=action.upper())
                if source.startswith("sg-"):
                    rule.source_security_group_id = source
                elif source.startswith(("ipm-", "ipmg-")):
                    rule.address_template = source
                elif ":" in source:
                    rule.ipv6_cidr = source
                else:
                    rule.cidr = source
            else:
                rule = SecurityGroupRule(
                    protocol=str(entry.get("protocol") or "ALL").upper(), port=str(entry.get("port") or "ALL").upper(),
                    cidr=entry.get("cidr_block") or None, ipv6_cidr=entry.get("ipv6_cidr_block") or None,
                    source_security_group_id=entry.get("source_security_id") or None,
                    address_template=entry.get("address_template_id") or entry.get("address_template_group") or None,
                    service_template=entry.get("service_template_id") or entry.get("service_template_group") or None,
                    action=str(entry.get("action") or "ACCEPT").upper(),
                    description=str(entry.get("description") or ""))
                shape = r.unknown_shape(direction, position)
                if shape:
                    resolved = None
                    if _unknown_part(shape, ("source_security_id",)) and not _unknown_part(shape, _RULE_ADDRESSES):
                        # Unknown because it names a group made in this change: the configuration says which.
                        resolved = self._referenced_group(r, direction, position, len(entries))
                        rule.source_security_group_id = resolved
                    _unknown_rule_parts(rule, shape, known_source=resolved)
            rules.append(rule)
        return rules

    # COS --------------------------------------------------------------------------------------------------------
    def cos(self, estate: Estate) -> None:
        for r in self.of("tencentcloud_cos_bucket"):
            bucket = Bucket(name=str(r.get("bucket", r.address)), tags=_tags(r), **self.common(r))
            _mark(bucket, r, {"tags": ("tags",), "versioning": ("versioning_enable",),
                              "replication": ("replica_role", "replica_rules"), "lifecycle": ("lifecycle_rules",),
                              "object_lock": ("object_lock_configuration",), "acl": ("acl", "acl_body"),
                              "logging_target": ("log_enable", "log_target_bucket")})
            bucket.versioning = "Enabled" if r.get("versioning_enable") else "Suspended"
            bucket.replication = self._replication(r, bucket)
            # An entry unknown as a whole is null in the list; the mark above already says the lifecycle is unknown.
            bucket.lifecycle = [self._lifecycle(rule) for rule in r.get("lifecycle_rules", []) if rule]
            lock = r.block("object_lock_configuration")
            if lock:
                rule = (lock.get("rule") or [{}])[0] or {}
                bucket.object_lock = ObjectLock(enabled=bool(lock.get("enabled")), mode="COMPLIANCE",
                                                days=_int(rule.get("days")))
            bucket.acl = _bucket_acl(str(r.get("acl", "private")), r.get("acl_body"))
            bucket.logging_target = str(r.get("log_target_bucket")) if r.get("log_enable") else None
            self._add(estate.cos.buckets, r, bucket)
        for r in self.of("tencentcloud_cos_bucket_policy"):
            buckets = self.linked(r, "bucket", ("tencentcloud_cos_bucket",), ("bucket", "id"))
            if buckets is None:  # which bucket the policy is for is unknown: any of them may carry it
                for bucket in estate.cos.buckets:
                    bucket.unreadable["policy"] = f"{r.address} sets a policy on a bucket {UNKNOWN}"
                continue
            for target, _ in buckets[0]:
                model = self.model_of(target)
                if isinstance(model, Bucket):
                    model.policy = _json_document(r, "policy", model, "policy")

    def _replication(self, r: TfResource, bucket: Bucket) -> Replication | None:
        rules = r.get("replica_rules") or []
        if not rules:
            return None
        replication = Replication(role=str(r.get("replica_role", "")))
        for rule in rules:
            if not rule:
                continue  # unknown as a whole: `replication` is already marked unknown
            destination = str(rule.get("destination_bucket") or "")
            match = re.match(r"qcs::cos:([^:]*):[^:]*:(.+)$", destination)
            if match is None:
                bucket.unreadable["replication"] = f"replication destination {destination or '?'} is {UNKNOWN}"
                continue
            marker = (rule.get("delete_marker_replication") or [{}])[0] or {}
            replication.rules.append(ReplicationRule(
                id=str(rule.get("id") or ""), enabled=str(rule.get("status", "Enabled")) == "Enabled",
                prefix=str(rule.get("prefix") or ""), destination_bucket=match.group(2),
                destination_region=match.group(1), storage_class=rule.get("destination_storage_class") or None,
                delete_marker_replication=(str(marker.get("status")) == "Enabled") if marker.get("status") else None))
        return replication

    @staticmethod
    def _lifecycle(rule: dict[str, Any]) -> LifecycleRule:
        expiration = (rule.get("expiration") or [{}])[0] or {}
        noncurrent = (rule.get("non_current_expiration") or [{}])[0] or {}
        return LifecycleRule(
            id=str(rule.get("id") or ""), enabled=True, prefix=str(rule.get("filter_prefix") or ""),
            transitions=[Transition(days=_int(t.get("days")), date=t.get("date") or None,
                                    storage_class=str(t.get("storage_class")))
                         for t in rule.get("transition") or [] if t],
            noncurrent_transitions=[Transition(days=_int(t.get("non_current_days")),
                                               storage_class=str(t.get("storage_class")))
                                    for t in rule.get("non_current_transition") or [] if t],
            expiration_days=_int(expiration.get("days")), expiration_date=expiration.get("date") or None,
            expired_object_delete_marker=bool(expiration.get("delete_marker", False)),
            noncurrent_expiration_days=_int(noncurrent.get("non_current_days")))

    # TencentDB for MySQL ----------------------------------------------------------------------------------------
    def cdb(self, estate: Estate) -> None:
        for r in self.of("tencentcloud_mysql_instance"):
            mode = _int(r.get("slave_deploy_mode", 0))
            instance = MysqlInstance(
                instance_id=ident(r), name=str(r.get("instance_name", "")), role="master",
                zone=str(r.get("availability_zone", "")), multi_az=mode == 1 if mode is not None else None,
                replica_zones=_strs([r.get("first_slave_zone"), r.get("second_slave_zone")]), tags=_tags(r),
                **self.common(r))
            _mark(instance, r, {"tags": ("tags",), "zone": ("availability_zone",), "multi_az": ("slave_deploy_mode",),
                                "replica_zones": ("first_slave_zone",)})  # a second replica is optional
            instance.unreadable["backup_config"] = f"the backup policy is {NOT_DECLARED}"
            self._add(estate.cdb.instances, r, instance)
        for r in self.of("tencentcloud_mysql_dr_instance"):
            dr = MysqlInstance(instance_id=ident(r), name=str(r.get("instance_name", "")), role="dr",
                               zone=str(r.get("availability_zone", "")), tags=_tags(r),
                               master_region=r.get("master_region"),
                               master_instance_id=self._one_id(r, "master_instance_id", "tencentcloud_mysql_instance"),
                               **self.common(r))
            self._add(estate.cdb.instances, r, dr)
            for master in self._masters(r, "master_instance_id"):
                master.dr_links.append(DrLink(instance_id=dr.instance_id, region=dr.region, zone=dr.zone))
                # Whether the copy is in sync is known only once it runs.
                master.unreadable["dr_links"] = f"replication state of {dr.instance_id} is {UNKNOWN}"
        for r in self.of("tencentcloud_mysql_backup_policy"):
            for master in self._masters(r, "mysql_id"):
                master.unreadable.pop("backup_config", None)
                master.backup_config = BackupConfig(backup_expire_days=_int(r.get("retention_period", 7)),
                                                    binlog_expire_days=_int(r.get("binlog_period")),
                                                    method=r.get("backup_model"))
                _mark(master, r, {"backup_config": ("retention_period", "binlog_period")})
        for r in self.of("tencentcloud_mysql_remote_backup_config"):
            for master in self._masters(r, "instance_id"):
                master.remote_backup = RemoteBackupConfig(
                    backup_enabled=str(r.get("remote_backup_save", "off")) == "on",
                    binlog_enabled=str(r.get("remote_binlog_save", "off")) == "on",
                    regions=_strs(r.get("remote_region")), expire_days=_int(r.get("expire_days")))
                _mark(master, r, {"remote_backup": ("remote_backup_save", "remote_region")})

    def _masters(self, r: TfResource, attribute: str) -> list[MysqlInstance]:
        targets = self.linked(r, attribute, ("tencentcloud_mysql_instance",))
        if targets is None:
            return []
        return [m for t, _ in targets[0] if isinstance(m := self.model_of(t), MysqlInstance)]

    # CloudAudit and the bastion ---------------------------------------------------------------------------------
    def cloudaudit(self, estate: Estate) -> None:
        for r in self.of("tencentcloud_audit_track"):
            storage = r.block("storage")
            track = AuditTrack(
                track_id=ident(r), name=str(r.get("name", "")), status=_int(r.get("status", 0)) or 0,
                action_type=str(r.get("action_type", "")), resource_type=str(r.get("resource_type", "")),
                event_names=_strs(r.get("event_names")), storage_type=storage.get("storage_type"),
                storage_region=storage.get("storage_region"), storage_name=storage.get("storage_name"),
                storage_prefix=storage.get("storage_prefix"), **self.common(r))
            _mark(track, r, {"status": ("status",), "action_type": ("action_type",),
                             "resource_type": ("resource_type",), "event_names": ("event_names",)})
            for part in ("storage_type", "storage_region", "storage_name", "storage_prefix"):
                if r.unknown_at("storage", 0, part) or r.unknown_at("storage", part) or r.wholly_unknown("storage"):
                    track.unreadable[part] = UNKNOWN
            self._add(estate.cloudaudit.tracks, r, track)

    def dasb(self, estate: Estate) -> None:
        for r in self.of("tencentcloud_dasb_resource"):
            bastion = BastionResource(bastion_id=ident(r), status=1, deployed=True,
                                      vpc_id=self._one_id(r, "vpc_id", "tencentcloud_vpc"),
                                      subnet_id=r.get("subnet_id"), **self.common(r))
            bastion.unreadable["addresses"] = UNKNOWN
            self._add(estate.dasb.resources, r, bastion)
        for r in self.of("tencentcloud_dasb_device"):
            device = BastionDevice(device_id=ident(r), name=str(r.get("name", "")), private_ip=r.get("ip"),
                                   **self.common(r))
            self._add(estate.dasb.devices, r, device)
        for r in self.of("tencentcloud_dasb_bind_device_resource"):
            bastions = self.linked(r, "resource_id", ("tencentcloud_dasb_resource",))
            devices = self.linked(r, "device_id_set", ("tencentcloud_dasb_device",))
            bastion_id = None if bastions is None else next(
                iter([self._ident_of(b) for b, _ in bastions[0]] + bastions[1]), None)
            if devices is None:
                for device in estate.dasb.devices:
                    device.unreadable["bastion_resource_id"] = f"{r.address} binds a device {UNKNOWN}"
                continue
            for target, _ in devices[0]:
                bound = self.model_of(target)
                if isinstance(bound, BastionDevice):
                    bound.bastion_resource_id = bastion_id
                    if bastion_id is None:
                        bound.unreadable["bastion_resource_id"] = UNKNOWN
        for r in self.of("tencentcloud_dasb_acl"):
            acl = BastionAcl(
                acl_id=ident(r), name=str(r.get("name", "")), allow_any_account=bool(r.get("allow_any_account")),
                allow_file_delete=bool(r.get("allow_file_del", False)),
                cmd_template_ids=_strs(r.get("cmd_template_id_set")), user_ids=_strs(r.get("user_id_set")),
                user_group_ids=_strs(r.get("user_group_id_set")),
                device_ids=self._ids(r, "device_id_set", "tencentcloud_dasb_device"),
                device_group_ids=_strs(r.get("device_group_id_set")), accounts=_strs(r.get("account_set")),
                validate_to=_time(r.get("validate_to")), status=1, **self.common(r))
            _mark(acl, r, {"allow_any_account": ("allow_any_account",), "cmd_template_ids": ("cmd_template_id_set",),
                           "device_ids": ("device_id_set",), "device_group_ids": ("device_group_id_set",),
                           "validate_to": ("validate_to",), "allow_file_delete": ("allow_file_del",),
                           "user_ids": ("user_id_set",), "user_group_ids": ("user_group_id_set",),
                           "accounts": ("account_set",)})
            self._add(estate.dasb.acls, r, acl)
        if any(acl.device_group_ids or "device_group_ids" in acl.unreadable for acl in estate.dasb.acls):
            # An ACL reaches devices through groups whose members a plan does not declare here: which devices it
            # covers is unknown, and an ACL on production must not pass for want of that fact.
            for device in estate.dasb.devices:
                device.unreadable.setdefault("group_ids", "device group membership is not in the plan")

    # helpers ----------------------------------------------------------------------------------------------------
    def _add(self, target: list[Any], resource: TfResource, model: Resource) -> None:
        target.append(model)
        self.models[resource.address] = model

    def _ident_of(self, resource: TfResource) -> str:
        """The id other resources hold to point at this one (policy_id, disk_id, uin…), as the model carries it."""
        model = self.model_of(resource)
        name = _ID_FIELDS.get(type(model).__name__, "") if model is not None else ""
        value = getattr(model, name, None) if name else None
        return value if isinstance(value, str) else ident(resource)

    def _unknown(self, resource: TfResource, attribute: str, reason: str) -> None:
        model = self.model_of(resource)
        if model is not None:
            model.unreadable[attribute] = reason

    def _one_id(self, r: TfResource, attribute: str, resource_type: str) -> str | None:
        ids = self._ids(r, attribute, resource_type)
        return ids[0] if ids else None

    def _ids(self, r: TfResource, attribute: str, resource_type: str) -> list[str]:
        targets = self.linked(r, attribute, (resource_type,))
        if targets is None:
            return []
        return [self._ident_of(t) for t, _ in targets[0]] + targets[1]


# The parts of a rule-set entry that decide what it lets in, by the rule field that carries each. A value unknown
# until apply is written into that field as UNKNOWN, which the rule evaluation reads as unreadable (a protocol or
# port it cannot parse, an action neither ACCEPT nor DROP, a source given only as an unresolved template), so only
# the traffic that rule could decide is in doubt; the other rules of the set, and the description or computed
# policy_index of this one, are judged as known.
_RULE_SOURCE = ("cidr_block", "ipv6_cidr_block", "source_security_id", "address_template_id",
                "address_template_group")
_RULE_ADDRESSES = tuple(key for key in _RULE_SOURCE if key != "source_security_id")


def _unknown_part(shape: Any, keys: tuple[str, ...]) -> bool:
    """Whether an entry's `after_unknown` shape marks any of `keys` unknown."""
    return shape is True or isinstance(shape, dict) and any(
        (part := shape.get(key)) is True or part and any_leaf(part, _is_true) for key in keys)


def _is_true(value: Any) -> bool:
    return value is True


def _unknown_rule_parts(rule: SecurityGroupRule, shape: Any, known_source: str | None = None) -> None:
    """Write UNKNOWN into the parts of the rule that `shape` (its entry's `after_unknown`) marks unknown."""
    if known_source is None and _unknown_part(shape, _RULE_SOURCE):
        rule.cidr = rule.ipv6_cidr = rule.source_security_group_id = None
        rule.address_template = UNKNOWN
    if _unknown_part(shape, ("protocol",)):
        rule.protocol = UNKNOWN
    if _unknown_part(shape, ("port",)):
        rule.port = UNKNOWN
    if _unknown_part(shape, ("service_template_id", "service_template_group")):
        rule.service_template = UNKNOWN  # a template stands for protocol and ports: which, is unknown
    if _unknown_part(shape, ("action",)):
        rule.action = UNKNOWN


# The field of each model that other resources use to point at it (a user is pointed at by its uin).
_ID_FIELDS = {"CamPolicy": "policy_id", "CamGroup": "group_id", "CamRole": "role_id", "CamUser": "uin",
              "Disk": "disk_id", "SnapshotPolicy": "policy_id", "Instance": "instance_id", "Vpc": "vpc_id",
              "SecurityGroup": "security_group_id", "Peering": "peering_id", "Ccn": "ccn_id", "Bucket": "name",
              "MysqlInstance": "instance_id", "AuditTrack": "track_id", "BastionResource": "bastion_id",
              "BastionDevice": "device_id", "BastionAcl": "acl_id"}


def _bucket_acl(canned: str, body: Any) -> BucketAcl:
    acl = BucketAcl(public_read=canned in ("public-read", "public-read-write"),
                    public_write=canned == "public-read-write")
    if not body:
        return acl
    import xml.etree.ElementTree as ElementTree  # an ACL body is rare in a configuration: load XML only then

    try:
        root = ElementTree.fromstring(str(body))
    except ElementTree.ParseError:
        return acl
    for grant in root.iter():
        if not grant.tag.endswith("Grant"):
            continue
        uri = "".join(e.text or "" for e in grant.iter() if e.tag.endswith("URI"))
        permission = "".join(e.text or "" for e in grant.iter() if e.tag.endswith("Permission"))
        if uri.endswith("/AllUsers"):
            acl.public_read |= permission in ("READ", "FULL_CONTROL")
            acl.public_write |= permission in ("WRITE", "FULL_CONTROL")
    return acl


def _time(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        return None


def build_estate(resources: Iterable[TfResource], *, account: str = PLAN_ACCOUNT) -> Estate:
    """The Estate the resources describe, covering only the services they hold resources of."""
    resources = list(resources)
    services = sorted({s for r in resources if (s := service_of(r.type))})
    estate = Estate(source="plan", accounts=[account], services=services,  # type: ignore[arg-type]
                    regions=sorted({r.region for r in resources if r.region}))
    _Builder(resources, account).build(estate)
    return estate
