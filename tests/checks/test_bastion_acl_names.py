"""bastion_acls_least_privilege names the ACL in what it says: the bastion's numeric ACL ids ("1") tell nobody which
rule to mend."""

from __future__ import annotations

from dr_audit.estate import BastionAcl, BastionDevice, BastionResource, CvmState, DasbState, Instance

from ..conftest import ACCOUNT, make_estate, run_check

REGION = "ap-shanghai"


def acl(acl_id: str, name: str, **fields) -> BastionAcl:
    return BastionAcl(account=ACCOUNT, region=REGION, acl_id=acl_id, name=name, **({"status": 1} | fields))


def estate(*acls: BastionAcl):
    prod = Instance(account=ACCOUNT, region=REGION, instance_id="ins-p1", vpc_id="vpc-prod", tags={"env": "prod"},
                    security_group_ids=["sg-prod"])
    bastion = BastionResource(account=ACCOUNT, region=REGION, bastion_id="bh-1", status=1, deployed=True,
                              expired=False, private_ips=["10.0.0.5"])
    device = BastionDevice(account=ACCOUNT, region=REGION, device_id="9", instance_id="ins-p1",
                           bastion_resource_id="bh-1")
    return make_estate(dasb=DasbState(resources=[bastion], devices=[device], acls=list(acls)),
                       cvm=CvmState(instances=[prod]))


def test_every_failed_or_unreadable_acl_is_named_in_its_message_and_evidence(registry):
    findings = run_check(registry, "bastion_acls_least_privilege", estate(
        acl("1", "ops-everything", allow_any_account=True),
        acl("2", "运维-prod", device_ids=["9"]),
        acl("3", "half-read", unreadable={"device_ids": "denied"}),
    ))
    by_id = {f.resource.id: f for f in findings}
    assert by_id["1"].status.value == "FAIL"
    assert by_id["1"].message == 'ACL "ops-everything": allows any host account on any device'
    assert by_id["1"].evidence["name"] == "ops-everything"
    assert by_id["2"].status.value == "FAIL"
    assert by_id["2"].message.startswith('ACL "运维-prod": reaches prod devices 9')
    assert by_id["3"].status.value == "ERROR" and by_id["3"].message.startswith('ACL "half-read": device_ids')


def test_an_acl_without_a_name_keeps_the_plain_message(registry):
    (finding,) = run_check(registry, "bastion_acls_least_privilege", estate(acl("4", "", allow_any_account=True)))
    assert finding.message == "allows any host account on any device"
