"""Emulated VPC (2017-03-12, regional): VPCs, security groups and their rules, peering connections and CCNs.

VPC's Offset and Limit are strings in the SDK; both forms are accepted. CCN is a global resource: every region
lists every CCN of the account, as the real API does.
"""

from __future__ import annotations

from ...estate import Ccn, Estate, Peering, SecurityGroup, SecurityGroupRule, Vpc
from ..protocol import (
    ApiError,
    Call,
    FilterSet,
    Item,
    field_of,
    list_param,
    numeric_id,
    offset_limit,
    str_param,
    tag_list,
)
from . import ServiceBackend, action, by_region, refuse_unreadable

MAX_LIMIT = 100
MAX_IDS = 100
CREATED = "2019-04-01 10:00:00"


def vpc_item(vpc: Vpc) -> Item:
    return {
        "VpcName": vpc.name, "VpcId": vpc.vpc_id, "CidrBlock": vpc.cidr, "IsDefault": vpc.is_default,
        "EnableMulticast": False, "CreatedTime": CREATED, "DnsServerSet": ["183.60.83.19", "183.60.82.98"],
        "DomainName": "", "DhcpOptionsId": "", "EnableDhcp": True, "Ipv6CidrBlock": "", "TagSet": tag_list(vpc.tags),
        "AssistantCidrSet": [{"VpcId": vpc.vpc_id, "CidrBlock": cidr, "AssistantType": 0}
                             for cidr in vpc.extra_cidrs],
    }


def security_group_item(group: SecurityGroup) -> Item:
    return {"SecurityGroupId": group.security_group_id, "SecurityGroupName": group.name,
            "SecurityGroupDesc": "", "ProjectId": "0", "IsDefault": False, "CreatedTime": CREATED,
            "TagSet": tag_list(group.tags), "UpdateTime": CREATED}


def rule_item(rule: SecurityGroupRule, index: int) -> Item:
    template = rule.address_template or ""
    return {
        "PolicyIndex": index, "Protocol": rule.protocol, "Port": rule.port,
        "ServiceTemplate": {"ServiceId": "", "ServiceGroupId": ""},
        # Absent values are empty strings on the wire, not null.
        "CidrBlock": rule.cidr or "", "Ipv6CidrBlock": rule.ipv6_cidr or "",
        "SecurityGroupId": rule.source_security_group_id or "",
        "AddressTemplate": {"AddressId": "" if template.startswith("ipmg-") else template,
                            "AddressGroupId": template if template.startswith("ipmg-") else ""},
        "Action": rule.action, "PolicyDescription": rule.description, "ModifyTime": CREATED,
    }


def peering_item(peering: Peering, account: str) -> Item:
    return {
        "SourceVpcId": peering.source_vpc_id, "PeerVpcId": peering.peer_vpc_id,
        "PeeringConnectionId": peering.peering_id, "PeeringConnectionName": peering.name, "State": peering.state,
        "IsNgw": False, "Bandwidth": 10, "SourceRegion": peering.source_region or peering.region,
        "DestinationRegion": peering.destination_region or peering.region, "CreateTime": CREATED,
        "ChargeType": "POSTPAID_BY_DAY_MAX", "SourceUin": numeric_id(account), "DestinationUin": numeric_id(account),
        "TagSet": [], "QosLevel": "AU", "Type": "VPC_PEER", "DestinationVpcId": peering.peer_vpc_id,
    }


def ccn_item(ccn: Ccn) -> Item:
    return {"CcnId": ccn.ccn_id, "CcnName": ccn.name, "CcnDescription": "", "InstanceCount": len(ccn.attachments),
            "CreateTime": CREATED, "State": ccn.state, "QosLevel": "AU", "InstanceChargeType": "POSTPAID",
            "BandwidthLimitType": "OUTER_REGION_LIMIT", "TagSet": [], "RoutePriorityFlag": False,
            "RouteTableCount": 1, "RouteTableFlag": False}


def attachment_items(ccn: Ccn, account: str) -> list[Item]:
    return [{"CcnId": ccn.ccn_id, "InstanceType": a.instance_type, "InstanceId": a.instance_id, "InstanceName": "",
             "InstanceRegion": a.instance_region, "InstanceUin": a.instance_uin or account,
             "CidrBlock": list(a.cidrs), "State": a.state, "AttachedTime": CREATED, "CcnUin": account,
             "InstanceArea": "china", "Description": "", "RouteTableId": "ccnrtb-default", "RouteTableName": "default"}
            for a in ccn.attachments]


def _tags(item: Item) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in item.get("TagSet") or []}


class VpcBackend(ServiceBackend):
    service = "vpc"
    version = "2017-03-12"

    def __init__(self, estate: Estate, account: str) -> None:
        super().__init__(estate, account)
        self.vpcs = by_region([(v.region, vpc_item(v)) for v in self.mine(estate.vpc.vpcs)])
        groups = self.mine(estate.vpc.security_groups)
        self.groups = by_region([(g.region, security_group_item(g)) for g in groups])
        self.group_models = {(g.region, g.security_group_id): g for g in groups}
        self.rules: dict[tuple[str, str], Item] = {(g.region, g.security_group_id): {
            "Version": "1",
            "Ingress": [rule_item(r, n) for n, r in enumerate(g.ingress)],
            "Egress": [rule_item(r, n) for n, r in enumerate(g.egress)],
        } for g in groups}
        self.peerings = by_region([(p.region, peering_item(p, account)) for p in self.mine(estate.vpc.peerings)])
        ccns = self.mine(estate.vpc.ccns)
        self.ccn_models = ccns
        self.ccns = [ccn_item(c) for c in ccns]
        self.attachments = [item for c in ccns for item in attachment_items(c, account)]
        self.vpc_filters = FilterSet({
            "vpc-id": field_of("VpcId"), "vpc-name": field_of("VpcName"), "is-default": field_of("IsDefault"),
            "cidr-block": field_of("CidrBlock")}, tags_of=_tags)
        self.group_filters = FilterSet({
            "security-group-id": field_of("SecurityGroupId"), "security-group-name": field_of("SecurityGroupName"),
            "project-id": field_of("ProjectId")}, tags_of=_tags)
        self.peering_filters = FilterSet({
            "peering-connection-id": field_of("PeeringConnectionId"),
            "peering-connection-name": field_of("PeeringConnectionName"), "state": field_of("State"),
            "vpc-id": lambda item: [item["SourceVpcId"], item["PeerVpcId"]]}, tags_of=_tags)
        self.ccn_filters = FilterSet({"ccn-id": field_of("CcnId"), "ccn-name": field_of("CcnName"),
                                      "ccn-description": field_of("CcnDescription"), "state": field_of("State")},
                                     tags_of=_tags)
        self.attachment_filters = FilterSet({
            "ccn-id": field_of("CcnId"), "instance-type": field_of("InstanceType"),
            "instance-region": field_of("InstanceRegion"), "instance-id": field_of("InstanceId")})

    @staticmethod
    def _select(call: Call, items: list[Item], ids_param: str, id_field: str, filters: FilterSet,
                maximum: int | None = MAX_LIMIT) -> tuple[int, list[Item]]:
        ids = list_param(call.params, ids_param, maximum=MAX_IDS)
        raw_filters = list_param(call.params, "Filters")
        if ids and raw_filters:
            raise ApiError("InvalidParameterCombination", f"{ids_param} and Filters cannot be given together")
        offset, limit = offset_limit(call.params, maximum=maximum)
        if ids:
            wanted = set(ids)
            selected = [i for i in items if i[id_field] in wanted]
        else:
            selected = filters.apply(items, raw_filters)
        return len(selected), selected[offset:offset + limit]

    @action("DescribeVpcs")
    def describe_vpcs(self, call: Call) -> Item:
        total, page = self._select(call, self.vpcs.get(call.region, []), "VpcIds", "VpcId", self.vpc_filters)
        return {"TotalCount": total, "VpcSet": page}

    @action("DescribeSecurityGroups")
    def describe_security_groups(self, call: Call) -> Item:
        total, page = self._select(call, self.groups.get(call.region, []), "SecurityGroupIds", "SecurityGroupId",
                                   self.group_filters)
        return {"SecurityGroupSet": page, "TotalCount": total}

    @action("DescribeSecurityGroupPolicies")
    def describe_security_group_policies(self, call: Call) -> Item:
        group_id = str_param(call.params, "SecurityGroupId", required=True)
        rules = self.rules.get((call.region, group_id or ""))
        if rules is None:
            raise ApiError("ResourceNotFound", f"the security group {group_id} does not exist in {call.region}")
        refuse_unreadable(self.group_models[(call.region, group_id or "")], "ingress", "egress")
        ingress, egress = rules["Ingress"], rules["Egress"]
        statistics = {
            "IngressIPv4TotalCount": sum(not r["Ipv6CidrBlock"] for r in ingress),
            "IngressIPv6TotalCount": sum(bool(r["Ipv6CidrBlock"]) for r in ingress),
            "EgressIPv4TotalCount": sum(not r["Ipv6CidrBlock"] for r in egress),
            "EgressIPv6TotalCount": sum(bool(r["Ipv6CidrBlock"]) for r in egress),
        }
        return {"SecurityGroupPolicySet": rules | {"PolicyStatistics": statistics}}

    @action("DescribeVpcPeeringConnections")
    def describe_vpc_peering_connections(self, call: Call) -> Item:
        total, page = self._select(call, self.peerings.get(call.region, []), "PeeringConnectionIds",
                                   "PeeringConnectionId", self.peering_filters, maximum=None)
        return {"TotalCount": total, "PeerConnectionSet": page}

    @action("DescribeCcns")
    def describe_ccns(self, call: Call) -> Item:
        total, page = self._select(call, self.ccns, "CcnIds", "CcnId", self.ccn_filters, maximum=None)
        return {"TotalCount": total, "CcnSet": page}

    @action("DescribeCcnAttachedInstances")
    def describe_ccn_attached_instances(self, call: Call) -> Item:
        ccn_id = str_param(call.params, "CcnId")
        raw_filters = list_param(call.params, "Filters")
        if ccn_id is None and not raw_filters:
            raise ApiError("MissingParameter", "give CcnId or a ccn-id filter")
        offset, limit = offset_limit(call.params)
        items = self.attachment_filters.apply(self.attachments, raw_filters)
        if ccn_id is not None:
            items = [i for i in items if i["CcnId"] == ccn_id]
        for ccn in self.ccn_models:
            if any(i["CcnId"] == ccn.ccn_id for i in items) or ccn.ccn_id == ccn_id:
                refuse_unreadable(ccn, "attachments")
        return {"TotalCount": len(items), "InstanceSet": items[offset:offset + limit]}
