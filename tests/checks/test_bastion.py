"""Bastion checks: an active bastion manages every prod host, admin ports open only to it, and scoped ACLs."""

from __future__ import annotations

from datetime import timedelta

from dr_audit.engine import evaluate
from dr_audit.estate import (
    BastionAcl,
    BastionDevice,
    BastionResource,
    CvmState,
    DasbState,
    Instance,
    SecurityGroup,
    SecurityGroupRule,
    VpcState,
)
from dr_audit.packs import PackCheck, PromisePack
from dr_audit.scope import Scope

from ..conftest import ACCOUNT, NOW, by_resource, gap, make_estate, run_check, scenario_findings

REGION = "ap-shanghai"
BASTION_IDS = ["bastion_covers_production_hosts", "bastion_only_admin_path", "bastion_acls_least_privilege"]
BASTION_IP = "10.0.0.10"


def bastion(bastion_id: str = "bh-1", **fields) -> BastionResource:
    values = {"status": 1, "deployed": True, "expired": False, "private_ips": [BASTION_IP]} | fields
    return BastionResource(account=ACCOUNT, region=REGION, bastion_id=bastion_id, **values)


def host(instance_id: str, env: str = "prod", *groups: str, **extra) -> Instance:
    return Instance(account=ACCOUNT, region=extra.pop("region", REGION), instance_id=instance_id, vpc_id="vpc-prod",
                    tags={"env": env}, security_group_ids=list(groups or ("sg-prod",)), **extra)


def device(device_id: str, instance_id: str | None, bastion_id: str | None = "bh-1", **extra) -> BastionDevice:
    return BastionDevice(account=ACCOUNT, region=REGION, device_id=device_id, instance_id=instance_id,
                         bastion_resource_id=bastion_id, **extra)


def acl(acl_id: str, **fields) -> BastionAcl:
    return BastionAcl(account=ACCOUNT, region=REGION, acl_id=acl_id, **({"status": 1} | fields))


def rule(action: str, port: str, source: str, protocol: str = "tcp") -> SecurityGroupRule:
    if source.startswith("sg-"):
        where = {"source_security_group_id": source}
    elif source.startswith("ipm"):
        where = {"address_template": source}
    else:
        where = {"cidr": source}
    return SecurityGroupRule(action=action, protocol=protocol, port=port, **where)


def group(group_id: str, *ingress: SecurityGroupRule, **extra) -> SecurityGroup:
    return SecurityGroup(account=ACCOUNT, region=REGION, security_group_id=group_id, ingress=list(ingress), **extra)


def run_with_bastion_groups(registry, check_id: str, estate, *groups: str):
    """Run one check under a pack whose scope names the bastion's security groups."""
    pack = PromisePack(name="test", scope=Scope(bastion_security_groups=list(groups)), checks={check_id: PackCheck()})
    return evaluate(estate, pack, registry, only=[check_id]).findings


# bastion_covers_production_hosts

def test_every_prod_host_managed_by_an_active_bastion_passes(registry):
    estate = make_estate(
        dasb=DasbState(resources=[bastion()], devices=[device("1", "ins-p1"), device("2", "ins-p2")]),
        cvm=CvmState(instances=[host("ins-p1"), host("ins-p2"), host("ins-t1", "test")]),
    )
    assert by_resource(run_check(registry, "bastion_covers_production_hosts", estate)) == {
        ACCOUNT: "PASS", "ins-p1": "PASS", "ins-p2": "PASS"}


def test_unmanaged_hosts_and_inactive_bastions_fail(registry):
    estate = make_estate(
        dasb=DasbState(resources=[bastion(), bastion("bh-old", expired=True, status=2)],
                       devices=[device("1", "ins-p1"), device("2", "ins-p2", None), device("3", "ins-p3", "bh-old")]),
        cvm=CvmState(instances=[host("ins-p1"), host("ins-p2"), host("ins-p3"), host("ins-p4")]),
    )
    assert by_resource(run_check(registry, "bastion_covers_production_hosts", estate)) == {
        ACCOUNT: "PASS", "ins-p1": "PASS", "ins-p2": "FAIL", "ins-p3": "FAIL", "ins-p4": "FAIL"}


def test_no_active_bastion_fails_on_the_account(registry):
    for resources in ([], [bastion(expired=True)], [bastion(deployed=False)], [bastion(status=2)]):
        estate = make_estate(dasb=DasbState(resources=resources, devices=[device("1", "ins-p1")]),
                             cvm=CvmState(instances=[host("ins-p1")]))
        findings = run_check(registry, "bastion_covers_production_hosts", estate)
        assert by_resource(findings) == {ACCOUNT: "FAIL", "ins-p1": "FAIL"}, resources


def test_unreadable_bastion_devices_or_hosts_are_errors(registry):
    estate = make_estate(
        dasb=DasbState(resources=[bastion(status=None, unreadable={"status": "InternalError"})],
                       devices=[device("1", "ins-p1", unreadable={"bastion_resource_id": "denied"})]),
        cvm=CvmState(instances=[host("ins-p1"), host("ins-x", unreadable={"tags": "RequestLimitExceeded"})]),
    )
    assert by_resource(run_check(registry, "bastion_covers_production_hosts", estate)) == {
        ACCOUNT: "ERROR", "ins-p1": "ERROR", "ins-x": "ERROR"}


def test_a_dasb_gap_never_reads_as_no_bastion(registry):
    estate = make_estate(cvm=CvmState(instances=[host("ins-p1", region="ap-beijing")]),
                         gaps=[gap("dasb", region=REGION)])
    findings = run_check(registry, "bastion_covers_production_hosts", estate)
    assert {f.status.value for f in findings} == {"ERROR"}
    assert by_resource(findings)[ACCOUNT] == "ERROR"


# bastion_only_admin_path

HARDENED_RULES = (rule("ACCEPT", "22,3389", "sg-bastion"), rule("ACCEPT", "22", BASTION_IP),
                  rule("DROP", "22,3389", "0.0.0.0/0"), rule("ACCEPT", "80,443", "0.0.0.0/0"),
                  rule("ACCEPT", "ALL", "10.100.0.0/16", "ALL"))


def admin_estate(*groups: SecurityGroup, hosts: list[Instance] | None = None, **parts) -> object:
    return make_estate(dasb=DasbState(resources=[bastion()]), vpc=VpcState(security_groups=list(groups)),
                       cvm=CvmState(instances=hosts or [host("ins-p1")]), **parts)


def test_admin_only_from_the_bastion_passes(registry):
    estate = admin_estate(group("sg-prod", *HARDENED_RULES))
    findings = run_with_bastion_groups(registry, "bastion_only_admin_path", estate, "sg-bastion")
    assert by_resource(findings) == {"ins-p1": "PASS"}


def test_other_admin_sources_fail(registry):
    estate = admin_estate(
        group("sg-wide", rule("ACCEPT", "22", "10.0.0.0/24")),  # holds the bastion's address, and more
        group("sg-peer", rule("ACCEPT", "3389", "sg-ops")),
        group("sg-closed", rule("DROP", "ALL", "0.0.0.0/0", "ALL")),
        group("sg-open-all", rule("ACCEPT", "ALL", "0.0.0.0/0", "ALL")),
        hosts=[host("ins-wide", "prod", "sg-wide"), host("ins-peer", "prod", "sg-peer"),
               host("ins-first", "prod", "sg-closed", "sg-open-all"),  # the first group's DROP wins
               host("ins-second", "prod", "sg-wide", "sg-closed"),
               host("ins-test", "test", "sg-open-all")],  # not prod: not examined
    )
    findings = run_with_bastion_groups(registry, "bastion_only_admin_path", estate, "sg-b")
    assert by_resource(findings) == {"ins-wide": "FAIL", "ins-peer": "FAIL", "ins-first": "PASS",
                                     "ins-second": "FAIL"}
    assert "group sg-ops" in next(f for f in findings if f.resource.id == "ins-peer").message


def test_without_a_bastion_every_admin_source_fails(registry):
    estate = make_estate(vpc=VpcState(security_groups=[group("sg-prod", rule("ACCEPT", "22", BASTION_IP))]),
                         cvm=CvmState(instances=[host("ins-p1")]))
    assert by_resource(run_check(registry, "bastion_only_admin_path", estate)) == {"ins-p1": "FAIL"}


def test_unreadable_admin_paths_are_errors(registry):
    estate = admin_estate(
        group("sg-template", rule("ACCEPT", "22", "ipm-ops")),
        group("sg-unread", unreadable={"ingress": "UnauthorizedOperation"}),
        hosts=[host("ins-template", "prod", "sg-template"), host("ins-unread", "prod", "sg-unread"),
               host("ins-missing", "prod", "sg-gone"), host("ins-x", unreadable={"security_group_ids": "denied"})],
    )
    assert by_resource(run_check(registry, "bastion_only_admin_path", estate)) == {
        "ins-template": "ERROR", "ins-unread": "ERROR", "ins-missing": "ERROR", "ins-x": "ERROR"}


def test_with_the_bastion_inventory_unread_an_address_rule_may_be_the_bastions(registry):
    estate = make_estate(vpc=VpcState(security_groups=[group("sg-prod", rule("ACCEPT", "22", BASTION_IP))]),
                         cvm=CvmState(instances=[host("ins-p1", region="ap-beijing")]),
                         gaps=[gap("dasb", region=REGION)])
    findings = run_check(registry, "bastion_only_admin_path", estate)
    assert by_resource(findings)["ins-p1"] == "ERROR"


# bastion_acls_least_privilege

def acl_estate(*acls: BastionAcl, **parts) -> object:
    return make_estate(
        dasb=DasbState(resources=[bastion()], acls=list(acls),
                       devices=[device("1", "ins-p1"), device("2", "ins-t1", group_ids=["g-test"]),
                                device("3", "ins-p2", group_ids=["g-prod"])]),
        cvm=CvmState(instances=[host("ins-p1"), host("ins-p2"), host("ins-t1", "test")]), **parts)


def test_scoped_acls_with_command_templates_pass(registry):
    estate = acl_estate(acl("10", device_ids=["1"], cmd_template_ids=["7"]),
                        acl("11", device_ids=["2"], allow_any_account=True),  # test devices only
                        acl("12", device_group_ids=["g-test"]),
                        acl("13", allow_any_account=True, validate_to=NOW - timedelta(days=1)),  # lapsed
                        acl("14", allow_any_account=True, status=3))  # expired
    assert by_resource(run_check(registry, "bastion_acls_least_privilege", estate)) == {
        "10": "PASS", "11": "PASS", "12": "PASS", "13": "PASS", "14": "PASS"}


def test_any_account_on_any_device_and_prod_without_templates_fail(registry):
    estate = acl_estate(acl("20", allow_any_account=True),
                        acl("21", allow_any_account=True, cmd_template_ids=["7"]),
                        acl("22", device_ids=["1", "2"]),
                        acl("23", device_group_ids=["g-prod"]),
                        acl("24", accounts=["root"]))  # every device, prod among them
    findings = run_check(registry, "bastion_acls_least_privilege", estate)
    assert by_resource(findings) == {"20": "FAIL", "21": "FAIL", "22": "FAIL", "23": "FAIL", "24": "FAIL"}
    assert "prod devices 3" in next(f for f in findings if f.resource.id == "23").message


def test_unreadable_acls_and_devices_are_errors(registry):
    estate = make_estate(
        dasb=DasbState(resources=[bastion()],
                       devices=[device("1", "ins-x"), device("2", "ins-t1", unreadable={"group_ids": "denied"})],
                       acls=[acl("30", unreadable={"cmd_template_ids": "InternalError"}),
                             acl("31", device_ids=["1"]),
                             acl("32", device_group_ids=["g-any"])]),
        cvm=CvmState(instances=[host("ins-x", unreadable={"tags": "RequestLimitExceeded"}), host("ins-t1", "test")]),
    )
    assert by_resource(run_check(registry, "bastion_acls_least_privilege", estate)) == {
        "30": "ERROR", "31": "ERROR", "32": "ERROR"}


def test_a_dasb_gap_is_an_error(registry):
    findings = run_check(registry, "bastion_acls_least_privilege", make_estate(gaps=[gap("dasb", REGION)]))
    assert {f.status.value for f in findings} == {"ERROR"}


# scenarios

def test_hardened_scenario_keeps_every_bastion_promise(registry):
    findings = scenario_findings(registry, "hardened", BASTION_IDS)
    assert {f.check_id for f in findings} == set(BASTION_IDS)
    assert [(f.check_id, f.resource.id, f.message) for f in findings if f.status.value in ("FAIL", "ERROR")] == []


def test_weimob_2020_scenario_had_no_bastion(registry):
    findings = scenario_findings(registry, "weimob-2020", BASTION_IDS)
    failed = {(f.check_id, f.resource.id) for f in findings if f.status.value == "FAIL"}
    prod_hosts = {"ins-mall0001", "ins-mall0002", "ins-crm00001", "ins-crm00002"}
    assert failed == {("bastion_covers_production_hosts", ACCOUNT), ("bastion_acls_least_privilege", "1"),
                      *{("bastion_covers_production_hosts", h) for h in prod_hosts},
                      *{("bastion_only_admin_path", h) for h in prod_hosts}}
    assert not [f for f in findings if f.status.value == "ERROR"]
