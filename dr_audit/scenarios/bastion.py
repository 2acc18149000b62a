"""Scenario part: bastion. The cloud bastion host (DASB), the hosts it manages and its access rules.

Before the incident operations used a self-built jump host: the only DASB resource is a trial that expired and was
isolated, two hosts still listed as its devices, and one rule granting every host account on every device.
Hardened: an active bastion in the production VPC manages every host, and its rules name their devices, with a
high-risk command template on every rule that reaches production.
"""

from __future__ import annotations

from ..estate import BastionAcl, BastionDevice, BastionResource, Estate
from .network import BASTION_PRIVATE_IP
from .world import ACCOUNT, BASTION_ID, PRIMARY, Host, World

TRIAL_ID = "bh-saas-trial001"
BASTION_SUBNET = "subnet-prod012"
BASTION_PUBLIC_IP = "203.0.113.200"
HIGH_RISK_TEMPLATE = "1"  # CmdTemplate ids are numbers on the wire
KIND_LINUX = 1


def build(world: World, estate: Estate) -> None:
    if world.hardened:
        estate.dasb.resources.append(BastionResource(
            account=ACCOUNT, region=PRIMARY, bastion_id=BASTION_ID, status=1, deployed=True, expired=False,
            expire_at=world.ago(days=-200), vpc_id="vpc-prod01", subnet_id=BASTION_SUBNET,
            private_ips=[BASTION_PRIVATE_IP], public_ips=[BASTION_PUBLIC_IP]))
        devices = [_device(index, host, BASTION_ID) for index, host in enumerate(world.hosts, start=1)]
        prod = [d.device_id for d, h in zip(devices, world.hosts, strict=True) if h.env == "prod"]
        other = [d.device_id for d, h in zip(devices, world.hosts, strict=True) if h.env != "prod"]
        estate.dasb.devices.extend(devices)
        estate.dasb.acls.extend([
            _acl("1", "prod-ops", world, device_ids=prod, accounts=["ops"], cmd_template_ids=[HIGH_RISK_TEMPLATE]),
            # Test and dev may use any host account, on their own devices only.
            _acl("2", "test-dev", world, device_ids=other, allow_any_account=True),
        ])
        return
    estate.dasb.resources.append(BastionResource(
        account=ACCOUNT, region=PRIMARY, bastion_id=TRIAL_ID, status=2, deployed=True, expired=True,
        expire_at=world.ago(days=412, hours=3), vpc_id="vpc-prod01", subnet_id=BASTION_SUBNET,
        private_ips=[BASTION_PRIVATE_IP]))
    mall = [h for h in world.prod_hosts if h.app == "mall"]
    estate.dasb.devices.extend(_device(index, host, TRIAL_ID) for index, host in enumerate(mall, start=1))
    estate.dasb.acls.append(_acl("1", "ops-everything", world, allow_any_account=True, allow_file_delete=True))


def _device(index: int, host: Host, bastion_id: str) -> BastionDevice:
    return BastionDevice(account=ACCOUNT, region=host.region, device_id=str(index), instance_id=host.instance_id,
                         name=host.name, private_ip=host.private_ip, kind=KIND_LINUX, bastion_resource_id=bastion_id,
                         vpc_id=host.vpc_id)


def _acl(acl_id: str, name: str, world: World, **fields: object) -> BastionAcl:
    return BastionAcl(account=ACCOUNT, region=PRIMARY, acl_id=acl_id, name=name, status=1,
                      validate_to=world.ago(days=-365), **fields)  # type: ignore[arg-type]
