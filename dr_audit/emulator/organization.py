"""An emulated Tencent Cloud Organization: a management account and many members, each with a small estate of its
own and the member-access role TCO creates in it, for `run --organization` tests and the benchmark.

    estate, organization = organization_estate(12)
    with EmulatedCloud(estate, organization=organization, cos=False) as cloud:
        cloud.faults.deny_roles.add(member_role_arn(organization.members[3].account, DEFAULT_MEMBER_ROLE))
        ... collect with the management account's keys (DEMO_SECRET_ID): the first account of the estate ...
"""

from __future__ import annotations

from datetime import datetime

from ..estate import CamRole, Estate
from ..readonly import DEFAULT_MEMBER_ROLE
from .services.organization import OrganizationSpec, OrgMember, Unit
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
        part.cam.roles.append(CamRole(account=account, role_id=f"46116860{n:010d}", name=role, role_type="user"))
        _own(part, account, estate)
    return estate, spec


def _own(part: Estate, account: str, into: Estate) -> None:
    """Move every resource of a generated part into `into`, as `account`'s."""
    into.accounts.append(account)
    into.regions.extend(r for r in part.regions if r not in into.regions)
    for domain_name in ("cam", "cvm", "cbs", "vpc", "cos", "offsite", "cdb", "dasb", "cloudaudit"):
        domain, target = getattr(part, domain_name), getattr(into, domain_name)
        for list_name in type(domain).model_fields:
            for resource in getattr(domain, list_name):
                resource.account = account
                getattr(target, list_name).append(resource)
