"""VPC networking: VPCs, security groups and their rules, peering and CCN links."""

from __future__ import annotations

from pydantic import Field

from ..fields import new_dict, new_list
from .base import Model, Resource
from .index import Indexed


class Vpc(Resource):
    RESOURCE_TYPE = "vpc.vpc"

    vpc_id: str
    name: str = ""
    cidr: str = ""
    extra_cidrs: list[str] = Field(default_factory=new_list)
    is_default: bool = False
    tags: dict[str, str] = Field(default_factory=new_dict)

    @property
    def resource_id(self) -> str:
        return self.vpc_id


class SecurityGroupRule(Model):
    """One ingress or egress entry, in the API's terms (protocol and port kept as strings: `tcp`, `22,3389`, `ALL`).

    A group's rules are kept in evaluation order (PolicyIndex ascending): the first rule that matches decides.
    `address_template` is the AddressTemplate's AddressId or AddressGroupId (`ipm-…`/`ipmg-…`) and
    `service_template` its ServiceTemplate's ServiceId or ServiceGroupId (`ppm-…`/`ppmg-…`, which replaces
    Protocol and Port).
    """

    protocol: str = "ALL"
    port: str = "ALL"
    cidr: str | None = None
    ipv6_cidr: str | None = None
    source_security_group_id: str | None = None
    address_template: str | None = None
    service_template: str | None = None
    action: str = "ACCEPT"
    description: str = ""


class SecurityGroup(Resource):
    """A security group; `unreadable["ingress"]` when DescribeSecurityGroupPolicies failed for it."""

    RESOURCE_TYPE = "vpc.security_group"

    security_group_id: str
    name: str = ""
    tags: dict[str, str] = Field(default_factory=new_dict)
    ingress: list[SecurityGroupRule] = Field(default_factory=new_list)
    egress: list[SecurityGroupRule] = Field(default_factory=new_list)

    @property
    def resource_id(self) -> str:
        return self.security_group_id


class Peering(Resource):
    RESOURCE_TYPE = "vpc.peering"

    peering_id: str
    name: str = ""
    source_vpc_id: str
    peer_vpc_id: str
    source_region: str = ""
    destination_region: str = ""
    state: str = "ACTIVE"

    @property
    def resource_id(self) -> str:
        return self.peering_id


class CcnAttachment(Model):
    instance_type: str = "VPC"
    instance_id: str
    instance_region: str = ""
    instance_uin: str = ""
    state: str = "ACTIVE"
    cidrs: list[str] = Field(default_factory=new_list)


class Ccn(Resource):
    RESOURCE_TYPE = "vpc.ccn"

    ccn_id: str
    name: str = ""
    state: str = "AVAILABLE"
    attachments: list[CcnAttachment] = Field(default_factory=new_list)

    @property
    def resource_id(self) -> str:
        return self.ccn_id


class VpcState(Indexed):
    vpcs: list[Vpc] = Field(default_factory=new_list)
    security_groups: list[SecurityGroup] = Field(default_factory=new_list)
    peerings: list[Peering] = Field(default_factory=new_list)
    ccns: list[Ccn] = Field(default_factory=new_list)

    def vpc(self, vpc_id: str) -> Vpc | None:
        return self._first("vpcs", self.vpcs, lambda v: v.vpc_id, vpc_id)

    def security_group(self, security_group_id: str) -> SecurityGroup | None:
        return self._first("security_groups", self.security_groups, lambda g: g.security_group_id,
                           security_group_id)
