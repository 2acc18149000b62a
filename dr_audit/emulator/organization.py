"""An emulated Tencent Cloud Organization: a management account and many members, each with a small estate of its
own and the member-access role TCO creates in it, for `run --organization` tests and the benchmark.

    estate, organization = organization_estate(12)
    with EmulatedCloud(estate, organization=organization, cos=False) as cloud:
        cloud.faults.deny_roles.add(member_role_arn(organization.members[3].account, DEFAULT_MEMBER_ROLE))
        ... collect with the management account's keys (DEMO_SECRET_ID): the first account of the estate ...
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from pydantic import BaseModel

from ..estate import AuditTrack, CamAccount, CamGroup, CamPolicy, CamRole, CamUser, Estate
from ..readonly import DEFAULT_MEMBER_ROLE
from .services.organization import OrganizationSpec, OrgMember, Unit
from .synthetic import ACCOUNT as SYNTHETIC_ACCOUNT
from .synthetic import synthetic_estate

MANAGEMENT = "300000000000"
# Root, two top units and a unit inside production: filters by a unit reach the members of the units below it.
UNITS = (Unit(1, "Root"), Unit(10, "Production", 1), Unit(11, "Non-production", 1), Unit(12, "Payments", 10))
MEMBER_UNITS = (10, 11, 12)


def member_account(n: int) -> str:
    """The UIN of member `n` (1-based); the management account is n = 0."""
    return f"3{n:011d}"


def member_name(n: int) -> str:
    return "management" if n == 0 else f"member-{n:03d}"


def organization_estate(members: int = 12, *, role: str = DEFAULT_MEMBER_ROLE, now: datetime | None = None,
                        regions: int = 1) -> tuple[Estate, OrganizationSpec]:
    """One Estate holding the management account and `members` member accounts (their units in turn), each a small
    generated estate with the member role in CAM, and the organization that lists them."""
    spec = OrganizationSpec(org_id=4200, management=MANAGEMENT, units=list(UNITS))
    estate = Estate(source="demo")
    for n in range(members + 1):
        account = member_account(n)
        spec.members.append(OrgMember(account, member_name(n), 1 if n == 0 else MEMBER_UNITS[(n - 1) % 3]))
        part = synthetic_estate(regions=regions, disks=4, users=2, buckets=0, mysql=1, now=now, seed=n)
        if n == 0:
            estate.collected_at = part.collected_at
        _own(part, n, account, estate)
        estate.cam.roles.append(CamRole(account=account, role_id=f"46116860{n:010d}", name=role, role_type="user"))
    return estate, spec


def _own(part: Estate, n: int, account: str, into: Estate) -> None:
    """Move every resource of generated part `n` into `into` as `account`'s, each id made the member's own.

    Every part is generated with the same ids; left so, a collector that filed one account's answer under another
    account would go unseen, since the resource it filed would exist there too.
    """
    into.accounts.append(account)
    into.regions.extend(r for r in part.regions if r not in into.regions)
    presets = {policy.policy_id for policy in part.cam.policies if policy.kind == "preset"}
    for domain_name in ("cam", "cvm", "cbs", "vpc", "cos", "offsite", "cdb", "dasb", "cloudaudit"):
        domain, target = getattr(part, domain_name), getattr(into, domain_name)
        for list_name in type(domain).model_fields:
            for resource in getattr(domain, list_name):
                if isinstance(resource, CamPolicy) and resource.policy_id in presets:
                    resource.account = account  # a preset policy has the same id in every account
                else:
                    _rename(resource, MemberIds(n, account, presets))
                if isinstance(resource, CamAccount):
                    resource.uin = account
                elif isinstance(resource, CamUser):
                    resource.uin = str(SUB_USER_UINS + n * 1_000_000 + int(resource.uin) % 1_000_000)
                if n and isinstance(resource, NAMED_BY_NAME) and not (isinstance(resource, CamPolicy)
                                                                      and resource.policy_id in presets):
                    resource.name = f"{resource.name}-m{n:04d}"  # their name is their id in the Estate
                getattr(target, list_name).append(resource)


# Resources the Estate knows by name: a member's get the member's number in it.
NAMED_BY_NAME = (CamUser, CamGroup, CamRole, CamPolicy, AuditTrack)
# Sub-users' UINs: apart from every account's (3...), and per member.
SUB_USER_UINS = 700_000_000_000
# Numeric ids (CAM groups, custom policies and roles, DASB devices and ACLs, CDB backups, CloudAudit tracks): the
# member's number times this is added, which keeps them numeric (the wire carries them as integers) and apart.
NUMERIC_STRIDE = 10**13
_NUMERIC_FIELDS = frozenset({"group_id", "group_ids", "policy_id", "policy_ids", "role_id", "device_id",
                             "device_ids", "acl_id", "backup_id", "track_id", "user_group_ids", "device_group_ids",
                             "user_ids", "cmd_template_ids"})
_PREFIXED = re.compile(r"^(?P<prefix>[a-z]+(?:-[a-z]+)*)-(?P<rest>[0-9a-z]+)$")


class MemberIds:
    """How member `n` spells an id of the generated estate: `ins-00000001` becomes `ins-m0007x00000001`, a numeric
    id gains n * NUMERIC_STRIDE, and the generated account's UIN becomes the member's, wherever they appear. The
    management account (n = 0) keeps the generated prefixed and numeric ids."""

    def __init__(self, n: int, account: str, presets: set[str]) -> None:
        self.n, self.account, self.presets = n, account, presets

    def field(self, name: str, value: str) -> str:
        if name.endswith(("_id", "_ids")) and self.n:
            if value.isdigit() and name in _NUMERIC_FIELDS and not (name.startswith("policy_")
                                                                    and value in self.presets):
                return str(int(value) + self.n * NUMERIC_STRIDE)
            found = _PREFIXED.match(value)
            if found:
                return f"{found['prefix']}-m{self.n:04d}x{found['rest']}"
        return value.replace(SYNTHETIC_ACCOUNT, self.account)


def _rename(value: Any, ids: MemberIds, name: str = "") -> Any:
    """`value` with every id in it spelled as the member's (models are changed in place)."""
    if isinstance(value, BaseModel):
        for field_name in type(value).model_fields:
            if field_name == "account":
                setattr(value, field_name, ids.account)
            else:
                setattr(value, field_name, _rename(getattr(value, field_name), ids, field_name))
        return value
    if isinstance(value, str):
        return ids.field(name, value)
    if isinstance(value, list):
        return [_rename(item, ids, name) for item in value]
    if isinstance(value, dict):
        return {key: _rename(item, ids, key if isinstance(key, str) else name) for key, item in value.items()}
    return value
