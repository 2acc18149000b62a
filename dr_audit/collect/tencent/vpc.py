"""VPC (regional): VPCs, security groups with their rules, peering connections and CCNs with their attachments."""

from __future__ import annotations

from typing import Any

from ...estate import Ccn, CcnAttachment, Peering, SecurityGroup, SecurityGroupRule, Vpc
from ..answers import MissingField, require_object
from .common import AccountRun, fit, items, optional_text, tags, text

SERVICE = "vpc"


def collect(run: AccountRun, region: str) -> None:
    run.spawn_inventory(SERVICE, region, vpcs, run, region)
    run.spawn_inventory(SERVICE, region, security_groups, run, region)
    run.spawn_inventory(SERVICE, region, peerings, run, region)
    if run.regions and region == run.regions[0]:
        # A CCN spans regions and every region lists all of them: read them once, shown under the first region.
        run.spawn_inventory(SERVICE, "", ccns, run, region)


def vpcs(run: AccountRun, region: str) -> None:
    found = [
        Vpc(account=run.account, region=region, vpc_id=text(e.get("VpcId")), name=text(e.get("VpcName")),
            cidr=text(e.get("CidrBlock")), is_default=bool(e.get("IsDefault")), tags=tags(e.get("TagSet")),
            extra_cidrs=[text(c.get("CidrBlock")) for c in items(e.get("AssistantCidrSet"))
                         if isinstance(c, dict) and c.get("CidrBlock")])
        # VPC takes Offset and Limit as strings.
        for e in run.client.offset_pages(SERVICE, "DescribeVpcs", {}, "VpcSet", region=region, as_strings=True)
    ]
    run.harvest.add(run.estate.vpc.vpcs, found)


def security_groups(run: AccountRun, region: str) -> None:
    found = [
        SecurityGroup(account=run.account, region=region, security_group_id=text(e.get("SecurityGroupId")),
                      name=text(e.get("SecurityGroupName")), tags=tags(e.get("TagSet")))
        for e in run.client.offset_pages(SERVICE, "DescribeSecurityGroups", {}, "SecurityGroupSet", region=region,
                                         as_strings=True)
    ]
    run.harvest.add(run.estate.vpc.security_groups, found)
    for group in found:
        run.spawn_detail(SERVICE, group, ("ingress", "egress"), group_rules, run, group)


def group_rules(run: AccountRun, group: SecurityGroup) -> None:
    response = run.client.call(SERVICE, "DescribeSecurityGroupPolicies", {"SecurityGroupId": group.security_group_id},
                               group.region)
    action = "DescribeSecurityGroupPolicies"
    policy_set = require_object(response, "SecurityGroupPolicySet", SERVICE, action, group.region)
    # Each direction must be there (null is no rules); an absent one would read as "no rules" and hide a hole.
    for direction in ("Ingress", "Egress"):
        if direction not in policy_set:
            raise MissingField(SERVICE, action, group.region, f"SecurityGroupPolicySet.{direction}")
    group.ingress = rules(policy_set.get("Ingress"))
    group.egress = rules(policy_set.get("Egress"))


def rules(raw: Any) -> list[SecurityGroupRule]:
    entries = [e for e in items(raw) if isinstance(e, dict)]
    # The first matching rule decides, so keep evaluation order (PolicyIndex ascending) whatever the answer's order.
    entries.sort(key=lambda e: e["PolicyIndex"] if isinstance(e.get("PolicyIndex"), int) else 0)
    return [rule(e) for e in entries]


def rule(entry: dict[str, Any]) -> SecurityGroupRule:
    address = entry.get("AddressTemplate") or {}
    service = entry.get("ServiceTemplate") or {}
    return fit(
        SecurityGroupRule,
        protocol=text(entry.get("Protocol")) or "ALL", port=text(entry.get("Port")) or "ALL",
        cidr=optional_text(entry.get("CidrBlock")), ipv6_cidr=optional_text(entry.get("Ipv6CidrBlock")),
        source_security_group_id=optional_text(entry.get("SecurityGroupId")),
        address_template=optional_text(address.get("AddressId")) or optional_text(address.get("AddressGroupId"))
        if isinstance(address, dict) else None,
        service_template=optional_text(service.get("ServiceId")) or optional_text(service.get("ServiceGroupId"))
        if isinstance(service, dict) else None,
        action=text(entry.get("Action")) or "ACCEPT", description=text(entry.get("PolicyDescription")),
    )


def peerings(run: AccountRun, region: str) -> None:
    found = [
        Peering(account=run.account, region=region, peering_id=text(e.get("PeeringConnectionId")),
                name=text(e.get("PeeringConnectionName")), source_vpc_id=text(e.get("SourceVpcId")),
                peer_vpc_id=text(e.get("PeerVpcId") or e.get("DestinationVpcId")),
                source_region=text(e.get("SourceRegion")), destination_region=text(e.get("DestinationRegion")),
                state=text(e.get("State")))
        for e in run.client.offset_pages(SERVICE, "DescribeVpcPeeringConnections", {}, "PeerConnectionSet",
                                         region=region)
    ]
    run.harvest.add(run.estate.vpc.peerings, found)


def ccns(run: AccountRun, region: str) -> None:
    found = [
        Ccn(account=run.account, region=region, ccn_id=text(e.get("CcnId")), name=text(e.get("CcnName")),
            state=text(e.get("State")))
        for e in run.client.offset_pages(SERVICE, "DescribeCcns", {}, "CcnSet", region=region)
    ]
    run.harvest.add(run.estate.vpc.ccns, found)
    for ccn in found:
        run.spawn_detail(SERVICE, ccn, ("attachments",), attachments, run, ccn)


def attachments(run: AccountRun, ccn: Ccn) -> None:
    ccn.attachments = [
        CcnAttachment(instance_type=text(e.get("InstanceType")) or "VPC", instance_id=text(e.get("InstanceId")),
                      instance_region=text(e.get("InstanceRegion")), instance_uin=text(e.get("InstanceUin")),
                      state=text(e.get("State")), cidrs=[text(c) for c in items(e.get("CidrBlock"))])
        for e in run.client.offset_pages(SERVICE, "DescribeCcnAttachedInstances", {"CcnId": ccn.ccn_id},
                                         "InstanceSet", region=ccn.region)
    ]
