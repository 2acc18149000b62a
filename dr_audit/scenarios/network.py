"""Scenario part: network. The world's VPCs, their security groups and rules, and the links between VPCs.

Before the incident SSH and MySQL were open to the internet on the production group, the test range was let into
production and a peering joined the production and test VPCs; the self-built jump host took SSH from anywhere.
Hardened: admin ports only from the bastion (its group first, then a DROP for everyone else), no link between
environments, and one CCN joining only the production VPCs in Shanghai and Beijing.
"""

from __future__ import annotations

from ..estate import Ccn, CcnAttachment, Estate, Peering, SecurityGroup, SecurityGroupRule, Vpc
from .world import ACCOUNT, BASTION_SG, PRIMARY, World

PROD_SG = "sg-prod0001"
TEST_SG = "sg-test0001"
DEV_SG = "sg-dev00001"
DR_CCN = "ccn-proddr01"
BASTION_PRIVATE_IP = "10.0.0.10"  # the bastion's address inside vpc-prod01 (see scenarios/bastion.py)
OFFICE_CIDR = "203.0.113.0/24"  # the company's office egress range


def build(world: World, estate: Estate) -> None:
    for network in world.networks:
        estate.vpc.vpcs.append(Vpc(account=ACCOUNT, region=network.region, vpc_id=network.vpc_id, name=network.name,
                                   cidr=network.cidr, tags={"env": network.env}))
    estate.vpc.security_groups.extend(_security_groups(world))
    estate.vpc.peerings.extend(_peerings(world))
    estate.vpc.ccns.extend(_ccns(world))


def _accept(protocol: str, port: str, source: str, description: str = "") -> SecurityGroupRule:
    return _rule("ACCEPT", protocol, port, source, description)


def _drop(protocol: str, port: str, source: str, description: str = "") -> SecurityGroupRule:
    return _rule("DROP", protocol, port, source, description)


def _rule(action: str, protocol: str, port: str, source: str, description: str) -> SecurityGroupRule:
    where = {"source_security_group_id": source} if source.startswith("sg-") else (
        {"ipv6_cidr": source} if ":" in source else {"cidr": source})
    return SecurityGroupRule(action=action, protocol=protocol, port=port, description=description, **where)


def _group(group_id: str, name: str, env: str, ingress: list[SecurityGroupRule]) -> SecurityGroup:
    return SecurityGroup(account=ACCOUNT, region=PRIMARY, security_group_id=group_id, name=name, tags={"env": env},
                         ingress=ingress, egress=[_accept("ALL", "ALL", "0.0.0.0/0")])


def _security_groups(world: World) -> list[SecurityGroup]:
    if world.hardened:
        return [
            _group(PROD_SG, "prod-app", "prod", [
                _accept("TCP", "22,3389", BASTION_SG, "admin through the bastion only"),
                _accept("tcp", "22", BASTION_PRIVATE_IP, "bastion SSH proxy"),
                _drop("TCP", "22,3389", "0.0.0.0/0", "no other admin path"),
                _drop("TCP", "22,3389", "::/0", "no other admin path"),
                _accept("TCP", "80,443", "0.0.0.0/0", "web"),
                _accept("TCP", "80,443", "::/0", "web"),
                _accept("ALL", "ALL", "10.100.0.0/16", "DR replication from Beijing (over the prod CCN)"),
                _accept("tcp", "3306,6379", "10.0.0.0/16", "app tier to MySQL and Redis"),
                _accept("tcp", "8080-8090", "10.0.0.0/16", "internal services"),
            ]),
            _group(TEST_SG, "test-app", "test", [
                _accept("TCP", "22", BASTION_SG, "admin through the bastion"),
                _accept("TCP", "8080", "10.20.0.0/16", "test services"),
            ]),
            _group(DEV_SG, "dev-app", "dev", [
                _accept("TCP", "22", "10.30.0.0/16", "developers inside the dev VPC"),
                _accept("TCP", "8080", "0.0.0.0/0", "preview builds"),
            ]),
            _group(BASTION_SG, "bastion", "prod", [
                _accept("TCP", "443", OFFICE_CIDR, "bastion web console from the office"),
                _accept("TCP", "60022", OFFICE_CIDR, "bastion SSH gateway from the office"),
            ]),
        ]
    return [
        _group(PROD_SG, "prod-app", "prod", [
            _accept("TCP", "22", "0.0.0.0/0", "ops SSH from home"),
            _accept("tcp", "3306", "0.0.0.0/0", "MySQL for the data team"),
            _accept("TCP", "80,443", "0.0.0.0/0", "web"),
            _accept("ALL", "ALL", "10.20.0.0/16", "let test call prod"),
            _accept("ALL", "ALL", "10.0.0.0/16", "inside the VPC"),
        ]),
        _group(TEST_SG, "test-app", "test", [
            _accept("TCP", "22", "0.0.0.0/0", "ops SSH"),
            _accept("ALL", "ALL", "10.0.0.0/16", "prod calls test"),
        ]),
        _group(DEV_SG, "dev-app", "dev", [
            _accept("TCP", "22", "10.30.0.0/16", "developers inside the dev VPC"),
            _accept("TCP", "8080", "0.0.0.0/0", "preview builds"),
        ]),
        _group(BASTION_SG, "jumphost", "prod", [
            _accept("TCP", "22", "0.0.0.0/0", "self-built jump host"),
        ]),
    ]


def _peerings(world: World) -> list[Peering]:
    if world.hardened:
        return []
    return [
        Peering(account=ACCOUNT, region=PRIMARY, peering_id="pcx-prodtest", name="prod-to-test",
                source_vpc_id="vpc-prod01", peer_vpc_id="vpc-test01", source_region=PRIMARY,
                destination_region=PRIMARY, state="ACTIVE"),
        Peering(account=ACCOUNT, region=PRIMARY, peering_id="pcx-proddrbj", name="prod-to-dr-beijing",
                source_vpc_id="vpc-prod01", peer_vpc_id="vpc-drbj01", source_region=PRIMARY,
                destination_region="ap-beijing", state="ACTIVE"),
    ]


def _ccns(world: World) -> list[Ccn]:
    if not world.hardened:
        return []
    prod = [n for n in world.networks if n.env == "prod"]
    # A CCN is account-wide (DescribeCcns answers alike in every region): kept once, under its home region.
    return [Ccn(account=ACCOUNT, region=PRIMARY, ccn_id=DR_CCN, name="prod-dr", state="AVAILABLE", attachments=[
        CcnAttachment(instance_type="VPC", instance_id=n.vpc_id, instance_region=n.region, instance_uin=ACCOUNT,
                      state="ACTIVE", cidrs=[n.cidr]) for n in prod])]
