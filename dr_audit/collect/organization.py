"""Tencent Cloud Organization (TCO): find the member accounts `run --organization` audits, with read-only calls, and
choose among them by id, name or unit (`--accounts`, `--exclude-accounts`)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..errors import BadInput
from ..shards import Elsewhere, Shard, take
from .client import ApiClient, Endpoint
from .errors import CallError, Secrets

if TYPE_CHECKING:
    from ..estate import Estate
    from ..options import RunOptions
    from .config import CollectConfig

SERVICE = "organization"
PAGE = 50  # the most DescribeOrganizationMembers and DescribeOrganizationNodes return a page
ROLE_NAME = re.compile(r"^[\w+=,.@-]{1,128}$")


@dataclass(frozen=True)
class Member:
    """One member account: its UIN, name, and unit (TCO node) with the names of every unit above it."""

    account: str
    name: str = ""
    unit: str = ""
    unit_id: str = ""
    parent_units: tuple[str, ...] = ()

    def matches(self, selector: str) -> bool:
        """An id matches exactly; a name or unit name (the member's unit or any unit above it) case-insensitively."""
        wanted = selector.strip()
        if wanted in (self.account, self.unit_id):
            return True
        folded = wanted.casefold()
        return any(folded == name.casefold() for name in (self.name, self.unit, *self.parent_units) if name)


@dataclass(frozen=True)
class Organization:
    """What the organization API says: its id, the management account, and every member."""

    org_id: str
    management_account: str
    members: tuple[Member, ...]


def check_member_role(name: str) -> str:
    """A role name as CAM spells them; anything else is bad input before any call is made."""
    if not ROLE_NAME.match(name):
        raise BadInput(f"--member-role {name!r} is not a CAM role name (letters, digits and +=,.@_- only)")
    return name


def discover(client: ApiClient) -> Organization:
    """The organization of the caller's keys and all its members. A read that fails is bad input for the run (no
    member list, nothing to audit), naming the call and its error code."""
    try:
        organization = client.call(SERVICE, "DescribeOrganization", {"Lang": "en"})
        units = {str(node.get("NodeId")): node for node in client.offset_pages(
            SERVICE, "DescribeOrganizationNodes", {}, "Items", limit=PAGE, total_key="Total")}
        listed = list(client.offset_pages(SERVICE, "DescribeOrganizationMembers", {"Lang": "en"}, "Items",
                                          limit=PAGE, total_key="Total"))
    except CallError as error:
        raise BadInput(f"--organization: the organization's members could not be listed: {error.reason}") from None
    if not organization.get("OrgId"):
        raise BadInput("--organization: these keys belong to no organization (DescribeOrganization gave no OrgId)")
    members = []
    for entry in listed:
        uin = entry.get("MemberUin")
        if uin in (None, ""):
            raise BadInput("--organization: DescribeOrganizationMembers listed a member without MemberUin")
        unit_id = "" if entry.get("NodeId") is None else str(entry["NodeId"])
        members.append(Member(account=str(uin), name=str(entry.get("Name") or ""),
                              unit=str(entry.get("NodeName") or units.get(unit_id, {}).get("Name") or ""),
                              unit_id=unit_id, parent_units=tuple(_parents(unit_id, units))))
    unique = {member.account: member for member in members}  # a member listed on two pages counts once
    return Organization(org_id=str(organization["OrgId"]), management_account=str(organization.get("HostUin") or ""),
                        members=tuple(sorted(unique.values(), key=lambda m: m.account)))


def _parents(unit_id: str, units: dict[str, dict]) -> list[str]:
    """The names of the units above `unit_id`, nearest first (a loop in the tree ends the walk)."""
    names: list[str] = []
    seen = {unit_id}
    parent = str(units.get(unit_id, {}).get("ParentNodeId") or "")
    while parent and parent not in seen and parent in units:
        seen.add(parent)
        names.append(str(units[parent].get("Name") or ""))
        parent = str(units[parent].get("ParentNodeId") or "")
    return names


@dataclass(frozen=True)
class Selection:
    """The members to audit, those the filters left out with the reason, and those other shards audit."""

    chosen: tuple[Member, ...]
    excluded: tuple[tuple[Member, str], ...]
    elsewhere: tuple[tuple[Member, Elsewhere], ...] = ()


def select(members: Iterable[Member], accounts: Iterable[str] = (), exclude: Iterable[str] = ()) -> Selection:
    """Members matching any `accounts` selector (all when none is given), minus those matching an `exclude` one.
    A selector that matches no member is bad input: a typo must not quietly audit less than was asked."""
    members = list(members)
    wanted, unwanted = _selectors(accounts), _selectors(exclude)
    for flag, selectors in (("--accounts", wanted), ("--exclude-accounts", unwanted)):
        for selector in selectors:
            if not any(member.matches(selector) for member in members):
                raise BadInput(f"{flag} {selector!r} matches no member account, name or unit of the organization")
    chosen: list[Member] = []
    excluded: list[tuple[Member, str]] = []
    for member in members:
        if wanted and not any(member.matches(s) for s in wanted):
            excluded.append((member, "not selected by --accounts"))
        elif hit := next((s for s in unwanted if member.matches(s)), None):
            excluded.append((member, f"excluded by --exclude-accounts {hit}"))
        else:
            chosen.append(member)
    return Selection(tuple(chosen), tuple(excluded))


def take_share(selection: Selection, shard: Shard | None) -> Selection:
    """`--shard I/N`: this shard's share of the chosen members; the others are left to the shards that audit them."""
    mine, others = take(selection.chosen, lambda m: m.account, shard)
    return Selection(tuple(mine), selection.excluded, tuple(others))


def _selectors(values: Iterable[str]) -> list[str]:
    """Flag values, each possibly a comma-separated list."""
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def collect_organization(base: Secrets, config: CollectConfig, options: RunOptions) -> Estate:
    """`run --organization`: list the members with the caller's keys, keep those the filters choose, and read each
    through its member role (the caller's own account with its own keys), exactly as `--role-arn` runs do."""
    # Imported here, not above: `policy --organization` needs only check_member_role, not the collectors and models.
    from ..readonly import member_role_arn
    from .credentials import account_id
    from .members import Excluded, Target, collect_targets

    role = check_member_role(options.member_role)
    client = ApiClient(base, endpoint=Endpoint(config.endpoint_url), retry=config.retry, timeout=config.timeout,
                       budget=config.budget())
    organization = discover(client)
    chosen = take_share(select(organization.members, options.accounts, options.exclude_accounts), options.shard)
    try:
        caller = account_id(client)
    except CallError:
        caller = ""  # then every member, the management account too, is reached through its role
    targets = [Target(account=m.account, role_arn=None if m.account == caller else member_role_arn(m.account, role),
                      name=m.name, unit=m.unit) for m in chosen.chosen]
    excluded = [Excluded(account=m.account, reason=why, name=m.name, unit=m.unit) for m, why in chosen.excluded]
    excluded += [Excluded(account=m.account, reason=where.reason, name=m.name, unit=m.unit, shard=where.index)
                 for m, where in chosen.elsewhere]
    if not targets:
        raise BadInput("--organization: the filters leave no member account to audit")
    return collect_targets(base, targets, config, max_parallel=options.max_parallel_accounts, excluded=excluded,
                           role_source=None)
