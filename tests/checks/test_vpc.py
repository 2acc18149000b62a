"""Network isolation checks: mixed VPCs, cross-environment links and ingress, and admin ports open to the internet."""

from __future__ import annotations

from dr_audit.estate import (
    Ccn,
    CcnAttachment,
    CvmState,
    Instance,
    Peering,
    SecurityGroup,
    SecurityGroupRule,
    Vpc,
    VpcState,
)

from ..conftest import ACCOUNT, by_resource, gap, make_estate, run_check, scenario_findings

REGION = "ap-shanghai"
VPC_IDS = ["vpc_environment_isolation", "vpc_no_cross_environment_links", "sg_no_cross_environment_ingress",
           "sg_no_public_admin_ports"]


def vpc(vpc_id: str, env: str | None, cidr: str = "10.0.0.0/16", **extra) -> Vpc:
    tags = {"env": env} if env else {}
    return Vpc(account=ACCOUNT, region=extra.pop("region", REGION), vpc_id=vpc_id, cidr=cidr, tags=tags, **extra)


def host(instance_id: str, vpc_id: str, env: str, *groups: str, **extra) -> Instance:
    return Instance(account=ACCOUNT, region=REGION, instance_id=instance_id, vpc_id=vpc_id, tags={"env": env},
                    security_group_ids=list(groups), **extra)


def accept(port: str, source: str, protocol: str = "tcp") -> SecurityGroupRule:
    return _rule("ACCEPT", port, source, protocol)


def drop(port: str, source: str, protocol: str = "tcp") -> SecurityGroupRule:
    return _rule("DROP", port, source, protocol)


def _rule(action: str, port: str, source: str, protocol: str) -> SecurityGroupRule:
    if source.startswith("sg-"):
        where = {"source_security_group_id": source}
    elif source.startswith("ipm"):
        where = {"address_template": source}
    else:
        where = {"ipv6_cidr": source} if ":" in source else {"cidr": source}
    return SecurityGroupRule(action=action, protocol=protocol, port=port, **where)


def group(group_id: str, *ingress: SecurityGroupRule, env: str | None = None, **extra) -> SecurityGroup:
    return SecurityGroup(account=ACCOUNT, region=REGION, security_group_id=group_id, tags={"env": env} if env else {},
                         ingress=list(ingress), **extra)


def peering(peering_id: str, source: str, peer: str, state: str = "ACTIVE", **extra) -> Peering:
    return Peering(account=ACCOUNT, region=REGION, peering_id=peering_id, source_vpc_id=source, peer_vpc_id=peer,
                   state=state, **extra)


def ccn(ccn_id: str, *vpc_ids: str, state: str = "AVAILABLE", attachment_state: str = "ACTIVE") -> Ccn:
    return Ccn(account=ACCOUNT, region=REGION, ccn_id=ccn_id, state=state, attachments=[
        CcnAttachment(instance_id=v, state=attachment_state) for v in vpc_ids])


VPCS = [vpc("vpc-prod", "prod", "10.0.0.0/16"), vpc("vpc-test", "test", "10.20.0.0/16"),
        vpc("vpc-dev", "dev", "10.30.0.0/16"), vpc("vpc-dr", "production", "10.100.0.0/16", region="ap-beijing")]


# vpc_environment_isolation

def test_a_vpc_holding_two_environments_fails_and_single_environment_vpcs_pass(registry):
    estate = make_estate(
        vpc=VpcState(vpcs=[*VPCS, Vpc(account=ACCOUNT, region=REGION, vpc_id="vpc-named", name="prod-shop")]),
        cvm=CvmState(instances=[
            host("ins-p1", "vpc-prod", "prod"), host("ins-t1", "vpc-test", "test"),
            host("ins-stray", "vpc-dev", "prd"),  # a prod host in the dev VPC
            Instance(account=ACCOUNT, region=REGION, instance_id="ins-q", vpc_id="vpc-named", tags={"env": "qa"}),
        ]),
    )
    findings = run_check(registry, "vpc_environment_isolation", estate)
    assert by_resource(findings) == {"vpc-prod": "PASS", "vpc-test": "PASS", "vpc-dev": "FAIL", "vpc-dr": "PASS",
                                     "vpc-named": "FAIL"}
    dev = next(f for f in findings if f.resource.id == "vpc-dev")
    assert "ins-stray (prod)" in dev.message
    assert dev.evidence["resources_by_environment"] == {"dev": ["vpc-dev"], "prod": ["ins-stray"]}


def test_unreadable_tags_or_vpc_make_isolation_an_error_unless_already_mixed(registry):
    estate = make_estate(
        vpc=VpcState(vpcs=[vpc("vpc-prod", "prod"), vpc("vpc-test", "test"),
                           vpc("vpc-dark", None, unreadable={"tags": "UnauthorizedOperation"})]),
        cvm=CvmState(instances=[
            host("ins-p1", "vpc-prod", "prod"), host("ins-x", "vpc-prod", "prod", unreadable={"tags": "denied"}),
            host("ins-t1", "vpc-test", "test"), host("ins-p2", "vpc-test", "prod"),
            host("ins-t2", "vpc-test", "test", unreadable={"tags": "denied"}),
            host("ins-where", "", "prod", unreadable={"vpc_id": "InternalError"}),
            host("ins-lost", "vpc-gone", "prod"),
        ]),
    )
    assert by_resource(run_check(registry, "vpc_environment_isolation", estate)) == {
        "vpc-prod": "ERROR", "vpc-test": "FAIL", "vpc-dark": "ERROR", "ins-where": "ERROR", "ins-lost": "ERROR"}


def test_a_cvm_gap_is_an_error_never_a_pass(registry):
    estate = make_estate(vpc=VpcState(vpcs=[vpc("vpc-prod", "prod")]), gaps=[gap("cvm", region=REGION)])
    findings = run_check(registry, "vpc_environment_isolation", estate)
    assert {f.status.value for f in findings} == {"ERROR"}


# vpc_no_cross_environment_links

def test_links_between_prod_and_other_environments_fail(registry):
    estate = make_estate(vpc=VpcState(
        vpcs=[*VPCS, vpc("vpc-untagged", None, "10.50.0.0/16")],
        peerings=[peering("pcx-dr", "vpc-prod", "vpc-dr"), peering("pcx-test", "vpc-test", "vpc-prod", "active"),
                  peering("pcx-old", "vpc-prod", "vpc-dev", "DELETED"), peering("pcx-td", "vpc-test", "vpc-dev"),
                  peering("pcx-unt", "vpc-prod", "vpc-untagged")],
        ccns=[ccn("ccn-prod", "vpc-prod", "vpc-dr"), ccn("ccn-mixed", "vpc-prod", "vpc-dr", "vpc-dev"),
              ccn("ccn-pending", "vpc-prod", "vpc-test", attachment_state="PENDING"),
              ccn("ccn-isolated", "vpc-prod", "vpc-test", state="ISOLATED")],
    ))
    findings = run_check(registry, "vpc_no_cross_environment_links", estate)
    assert by_resource(findings) == {
        "pcx-dr": "PASS", "pcx-test": "FAIL", "pcx-old": "PASS", "pcx-td": "PASS", "pcx-unt": "FAIL",
        "ccn-prod": "PASS", "ccn-mixed": "FAIL", "ccn-pending": "PASS", "ccn-isolated": "PASS"}
    mixed = next(f for f in findings if f.resource.id == "ccn-mixed")
    assert "vpc-dev (dev)" in mixed.message


def test_a_peer_outside_the_estate_is_an_error_by_default_and_a_fail_when_the_pack_says_so(registry):
    estate = make_estate(vpc=VpcState(
        vpcs=[*VPCS, vpc("vpc-dark", None, unreadable={"tags": "RequestLimitExceeded"})],
        peerings=[peering("pcx-away", "vpc-prod", "vpc-elsewhere"), peering("pcx-dark", "vpc-prod", "vpc-dark"),
                  peering("pcx-broken", "vpc-prod", "vpc-test", unreadable={"state": "InternalError"})],
    ))
    assert by_resource(run_check(registry, "vpc_no_cross_environment_links", estate)) == {
        "pcx-away": "ERROR", "pcx-dark": "ERROR", "pcx-broken": "ERROR"}
    assert by_resource(run_check(registry, "vpc_no_cross_environment_links", estate, unknown_peer="fail"))[
        "pcx-away"] == "FAIL"


def test_a_vpc_gap_is_an_error(registry):
    findings = run_check(registry, "vpc_no_cross_environment_links", make_estate(gaps=[gap("vpc", REGION)]))
    assert {f.status.value for f in findings} == {"ERROR"}


# sg_no_cross_environment_ingress

def test_prod_groups_admitting_non_prod_ranges_or_groups_fail(registry):
    estate = make_estate(
        vpc=VpcState(vpcs=VPCS, security_groups=[
            group("sg-ok", accept("22", "sg-bastion"), accept("3306", "10.0.0.0/16"), accept("443", "0.0.0.0/0"),
                  accept("ALL", "10.100.0.0/16", "ALL"), env="prod"),
            group("sg-subnet", accept("8080", "10.20.1.0/24"), env="prod"),
            group("sg-broad", accept("ALL", "10.0.0.0/8", "ALL"), env="prod"),
            group("sg-peer", accept("80", "sg-testapp"), env="prod"),
            group("sg-shadowed", drop("ALL", "10.16.0.0/12", "ALL"), accept("ALL", "10.0.0.0/8", "ALL"), env="prod"),
            group("sg-half", drop("22", "10.20.0.0/16"), accept("ALL", "10.20.0.0/16", "ALL"), env="prod"),
            group("sg-used", accept("8080", "10.30.0.0/16")),  # untagged, but prod hosts use it
            group("sg-testapp", accept("ALL", "10.0.0.0/8", "ALL"), env="test"),  # not a prod group: not examined
        ]),
        cvm=CvmState(instances=[host("ins-p", "vpc-prod", "prod", "sg-used")]),
    )
    findings = run_check(registry, "sg_no_cross_environment_ingress", estate)
    assert by_resource(findings) == {"sg-ok": "PASS", "sg-subnet": "FAIL", "sg-broad": "FAIL", "sg-peer": "FAIL",
                                     "sg-shadowed": "PASS", "sg-half": "FAIL", "sg-used": "FAIL"}
    half = next(f for f in findings if f.resource.id == "sg-half")
    assert "tcp/22" not in str(half.evidence["admitted"])  # the DROP for port 22 is honoured
    assert "sg-testapp (test)" in next(f for f in findings if f.resource.id == "sg-peer").message


def test_internet_wide_rules_count_when_the_pack_asks(registry):
    estate = make_estate(vpc=VpcState(vpcs=VPCS, security_groups=[group("sg-web", accept("443", "0.0.0.0/0"),
                                                                        env="prod")]))
    assert by_resource(run_check(registry, "sg_no_cross_environment_ingress", estate)) == {"sg-web": "PASS"}
    assert by_resource(run_check(registry, "sg_no_cross_environment_ingress", estate, ignore_internet_wide=False)) == {
        "sg-web": "FAIL"}


def test_a_group_used_by_test_hosts_is_a_non_prod_source(registry):
    estate = make_estate(
        vpc=VpcState(vpcs=VPCS, security_groups=[group("sg-shared", accept("ALL", "sg-shared", "ALL"), env="prod")]),
        cvm=CvmState(instances=[host("ins-t", "vpc-prod", "test", "sg-shared")]),
    )
    assert by_resource(run_check(registry, "sg_no_cross_environment_ingress", estate)) == {"sg-shared": "FAIL"}


def test_unresolved_templates_and_unreadable_rules_are_errors(registry):
    estate = make_estate(vpc=VpcState(vpcs=VPCS, security_groups=[
        group("sg-template", accept("ALL", "ipm-office", "ALL"), env="prod"),
        group("sg-unread", env="prod", unreadable={"ingress": "UnauthorizedOperation"}),
        group("sg-service", SecurityGroupRule(action="DROP", service_template="ppmg-1", cidr="10.20.0.0/16"),
              accept("ALL", "10.20.0.0/16", "ALL"), env="prod"),
        group("sg-who", unreadable={"tags": "denied"}),
        group("sg-settled", accept("ALL", "10.20.0.0/16", "ALL"), accept("ALL", "ipm-office", "ALL"), env="prod"),
    ]))
    assert by_resource(run_check(registry, "sg_no_cross_environment_ingress", estate)) == {
        "sg-template": "ERROR", "sg-unread": "ERROR", "sg-service": "ERROR", "sg-who": "ERROR",
        "sg-settled": "FAIL"}


def test_a_non_prod_vpc_whose_ranges_cannot_be_read_is_an_error(registry):
    estate = make_estate(vpc=VpcState(
        vpcs=[vpc("vpc-test", "test", "", unreadable={"cidr": "InternalError"}), vpc("vpc-odd", "dev", "10.30.0.0/99")],
        security_groups=[group("sg-p", accept("443", "10.50.0.0/16"), env="prod"),
                         group("sg-web", accept("443", "0.0.0.0/0"), accept("22", "sg-bastion"), env="prod")]))
    assert by_resource(run_check(registry, "sg_no_cross_environment_ingress", estate)) == {
        "vpc-test": "ERROR", "vpc-odd": "ERROR", "sg-p": "ERROR", "sg-web": "PASS"}


# sg_no_public_admin_ports

def test_admin_ports_open_to_the_internet_fail_in_every_rule_shape(registry):
    estate = make_estate(vpc=VpcState(security_groups=[
        group("sg-all", accept("ALL", "0.0.0.0/0", "ALL")),
        group("sg-range", accept("20-25", "0.0.0.0/0", "TCP")),
        group("sg-list", accept("80,3389", "0.0.0.0/0", "tcp")),
        group("sg-v6", accept("3306", "::/0")),
        group("sg-zero8", accept("6379", "0.0.0.0/8")),  # Tencent maps 0.0.0.0/n to 0.0.0.0/0
        group("sg-partial-drop", drop("22", "10.0.0.0/8"), accept("22", "0.0.0.0/0")),
        group("sg-udp", accept("22", "0.0.0.0/0", "udp")),
        group("sg-dropped", drop("22,3389", "0.0.0.0/0"), accept("ALL", "0.0.0.0/0", "ALL"),
              accept("ALL", "10.0.0.0/8", "ALL"), drop("ALL", "::/0", "ALL")),
        group("sg-office", accept("22", "203.0.113.0/24"), accept("443", "0.0.0.0/0")),
    ]))
    findings = run_check(registry, "sg_no_public_admin_ports", estate)
    assert by_resource(findings) == {
        "sg-all": "FAIL", "sg-range": "FAIL", "sg-list": "FAIL", "sg-v6": "FAIL", "sg-zero8": "FAIL",
        "sg-partial-drop": "FAIL", "sg-udp": "PASS", "sg-dropped": "FAIL", "sg-office": "PASS"}
    dropped = next(f for f in findings if f.resource.id == "sg-dropped")
    assert "port 3306, 5432, 6379, 27017" in dropped.message  # 22 and 3389 were dropped first
    assert next(f for f in findings if f.resource.id == "sg-all").evidence["admitted"]


def test_admin_ports_are_a_parameter(registry):
    estate = make_estate(vpc=VpcState(security_groups=[group("sg-1", accept("8080", "0.0.0.0/0"))]))
    assert by_resource(run_check(registry, "sg_no_public_admin_ports", estate)) == {"sg-1": "PASS"}
    assert by_resource(run_check(registry, "sg_no_public_admin_ports", estate, admin_ports=[8080])) == {"sg-1": "FAIL"}


def test_unreadable_public_port_rules_are_errors_never_pass(registry):
    estate = make_estate(
        vpc=VpcState(security_groups=[
            group("sg-template", accept("22", "ipm-anywhere")),
            group("sg-garbled", accept("ssh", "0.0.0.0/0")),
            group("sg-unread", unreadable={"ingress": "RequestLimitExceeded"}),
            group("sg-template-behind-drop", drop("ALL", "0.0.0.0/0", "ALL"), drop("ALL", "::/0", "ALL"),
                  accept("22", "ipm-anywhere")),
        ]),
        gaps=[gap("vpc", region="ap-beijing")],
    )
    findings = run_check(registry, "sg_no_public_admin_ports", estate)
    assert by_resource(findings) == {"sg-template": "ERROR", "sg-garbled": "ERROR", "sg-unread": "ERROR",
                                     "sg-template-behind-drop": "PASS", "vpc": "ERROR"}


def test_groups_sharing_their_address_rules_are_each_judged_as_if_alone(registry):
    # Alike in the rules about addresses, apart in those naming groups, a template, or a rule's description: the
    # check judges such groups once, and each must still get its own answer.
    rules = [drop("22", "10.0.0.0/8"), accept("22,3306", "0.0.0.0/0"), accept("ALL", "sg-peer", "ALL")]
    noted = [r.model_copy(update={"description": "office"}) for r in rules]
    groups = [
        group("sg-a", *rules),
        group("sg-b", *rules[:2], accept("3389", "sg-other")),
        group("sg-c", *noted),
        group("sg-d", *rules[:2], _rule("ACCEPT", "3389", "sg-peer", "tcp").model_copy(
            update={"address_template": "ipm-1"})),
        group("sg-e", drop("22", "10.0.0.0/8"), accept("22,3306", "::/0")),
    ]
    together = run_check(registry, "sg_no_public_admin_ports", make_estate(vpc=VpcState(security_groups=groups)))
    alone = [f for g in groups for f in run_check(registry, "sg_no_public_admin_ports",
                                                   make_estate(vpc=VpcState(security_groups=[g])))]
    assert [(f.resource.id, f.status, f.message, f.evidence) for f in together] == \
        [(f.resource.id, f.status, f.message, f.evidence) for f in alone]
    verdicts = {f.resource.id: f for f in together}
    assert verdicts["sg-d"].evidence["undecided"] and not verdicts["sg-a"].evidence["undecided"]
    assert "::/0" in verdicts["sg-e"].message and "::/0" not in verdicts["sg-a"].message


# scenarios

def test_hardened_scenario_keeps_every_network_promise(registry):
    findings = scenario_findings(registry, "hardened", VPC_IDS)
    assert findings
    assert [(f.check_id, f.resource.id, f.message) for f in findings if f.status.value in ("FAIL", "ERROR")] == []


def test_weimob_2020_scenario_breaks_the_network_promises(registry):
    failed = {(f.check_id, f.resource.id) for f in scenario_findings(registry, "weimob-2020", VPC_IDS)
              if f.status.value == "FAIL"}
    assert failed == {
        ("vpc_environment_isolation", "vpc-prod01"),
        ("vpc_no_cross_environment_links", "pcx-prodtest"),
        ("sg_no_cross_environment_ingress", "sg-prod0001"),
        ("sg_no_public_admin_ports", "sg-prod0001"),
        ("sg_no_public_admin_ports", "sg-test0001"),
        ("sg_no_public_admin_ports", "sg-bastion01"),
    }
