"""Emulated Tencent Cloud Organization (TCO, API 2021-03-31): the organization, its units and its members.

The management account sees everything; a member sees its organization (not a manager) and is refused the member
list; an account outside the organization has none. Paging is Offset/Limit with Limit 1..50, as documented.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ...estate import Estate
from ..protocol import ApiError, Call, Item, offset_limit, window
from . import ServiceBackend, action

MAX_PAGE = 50


@dataclass(frozen=True)
class Unit:
    """A TCO unit (node); the root has no parent."""

    node_id: int
    name: str
    parent_id: int | None = None


@dataclass(frozen=True)
class OrgMember:
    account: str
    name: str
    node_id: int


@dataclass
class OrganizationSpec:
    """The organization an emulated cloud serves: id, management account, units and members (the management
    account is a member too, as in TCO)."""

    org_id: int
    management: str
    units: list[Unit] = field(default_factory=list)
    members: list[OrgMember] = field(default_factory=list)

    def unit(self, node_id: int) -> Unit | None:
        return next((u for u in self.units if u.node_id == node_id), None)

    @property
    def root(self) -> Unit:
        return next(u for u in self.units if u.parent_id is None)


class OrganizationBackend(ServiceBackend):
    service = "organization"
    version = "2021-03-31"
    regional = False

    def __init__(self, estate: Estate, account: str, spec: OrganizationSpec | None = None) -> None:
        super().__init__(estate, account)
        self.organization = spec

    def _member(self) -> OrgMember | None:
        if self.organization is None:
            return None
        return next((m for m in self.organization.members if m.account == self.account), None)

    def _manager(self) -> OrganizationSpec:
        if self._member() is None or self.organization is None:
            raise ApiError("ResourceNotFound.OrganizationNotExist", "the caller belongs to no organization")
        if self.organization.management != self.account:
            raise ApiError("FailedOperation.OrganizationPermissionIllegal",
                           "only the organization's management account may list it")
        return self.organization

    @action("DescribeOrganization")
    def describe_organization(self, call: Call) -> Item:
        member = self._member()
        if member is None or self.organization is None:
            raise ApiError("ResourceNotFound.OrganizationNotExist", "the caller belongs to no organization")
        org = self.organization
        return {"OrgId": org.org_id, "HostUin": int(org.management), "NickName": "management", "OrgType": 1,
                "IsManager": org.management == self.account, "OrgPolicyType": "Financial",
                "OrgPolicyName": "self-pay", "OrgPermission": [], "RootNodeId": org.root.node_id,
                "CreateTime": "2024-01-02 10:00:00", "JoinTime": "2024-01-02 10:00:00", "IsAllowQuit": "Denied",
                "PayUin": "", "PayName": "", "IsAssignManager": False, "IsAuthManager": False}

    @action("DescribeOrganizationNodes")
    def describe_organization_nodes(self, call: Call) -> Item:
        org = self._manager()
        offset, limit = offset_limit(call.params, default=10, maximum=MAX_PAGE)
        items = [{"NodeId": u.node_id, "Name": u.name, "ParentNodeId": u.parent_id or 0, "Remark": "",
                  "CreateTime": "2024-01-02 10:00:00", "UpdateTime": "2024-01-02 10:00:00", "Tags": []}
                 for u in org.units]
        return {"Total": len(items), "Items": window(items, offset, limit)}

    @action("DescribeOrganizationMembers")
    def describe_organization_members(self, call: Call) -> Item:
        org = self._manager()
        offset, limit = offset_limit(call.params, default=10, maximum=MAX_PAGE)
        items = []
        for member in org.members:
            unit = org.unit(member.node_id)
            items.append({"MemberUin": int(member.account), "Name": member.name,
                          "MemberType": "Create" if member.account != org.management else "Invite",
                          "OrgPolicyType": "Financial", "OrgPolicyName": "self-pay", "OrgPermission": [],
                          "NodeId": member.node_id, "NodeName": unit.name if unit else "", "Remark": "",
                          "CreateTime": "2024-01-02 10:00:00", "UpdateTime": "2024-01-02 10:00:00",
                          "IsAllowQuit": "Denied", "PayUin": "", "PayName": "",
                          "OrgIdentity": [{"IdentityId": 1, "IdentityAliasName": "admin"}],
                          "BindStatus": "Success", "PermissionStatus": "Confirmed", "Tags": [], "NickName": ""})
        return {"Total": len(items), "Items": window(items, offset, limit)}
