from dr_audit.estate import CvmState, Instance

from ..conftest import ACCOUNT, by_resource, gap, make_estate, run_check, scenario_findings


def host(instance_id: str, app: str | None, zone: str, env: str = "prod", **extra) -> Instance:
    tags = {"env": env} | ({"app": app} if app is not None else {})
    values = {"region": "ap-shanghai", "state": "RUNNING"} | extra
    return Instance(account=ACCOUNT, instance_id=instance_id, zone=zone, tags=tags, **values)


def test_apps_spread_over_two_zones_pass_and_single_zone_apps_fail(registry):
    estate = make_estate(cvm=CvmState(instances=[
        host("ins-1", "mall", "ap-shanghai-2"), host("ins-2", "mall", "ap-shanghai-3"),
        host("ins-3", "crm", "ap-shanghai-2"), host("ins-4", "crm", "ap-shanghai-2"),
        # a stopped instance's zone serves nothing
        host("ins-5", "pay", "ap-shanghai-2"), host("ins-6", "pay", "ap-shanghai-4", state="STOPPED"),
        # non-production apps are not judged
        host("ins-7", "lab", "ap-shanghai-2", env="dev"),
    ]))
    findings = run_check(registry, "cvm_multi_az", estate)
    assert by_resource(findings) == {"mall": "PASS", "crm": "FAIL", "pay": "FAIL"}
    assert {f.resource.type for f in findings} == {"cvm.app"}
    crm = next(f for f in findings if f.resource.id == "crm")
    assert "only in ap-shanghai-2" in crm.message and crm.evidence["instances"] == ["ins-3", "ins-4"]


def test_min_zones_is_a_parameter(registry):
    estate = make_estate(cvm=CvmState(instances=[host("ins-1", "mall", "ap-shanghai-2"),
                                                 host("ins-2", "mall", "ap-shanghai-3")]))
    assert by_resource(run_check(registry, "cvm_multi_az", estate, min_zones=3)) == {"mall": "FAIL"}


def test_apps_in_two_regions_are_judged_per_region(registry):
    estate = make_estate(cvm=CvmState(instances=[host("ins-1", "mall", "ap-shanghai-2"),
                                                 host("ins-2", "mall", "ap-beijing-3", region="ap-beijing")]))
    findings = run_check(registry, "cvm_multi_az", estate)
    assert sorted((f.resource.region, f.status.value) for f in findings) == [("ap-beijing", "FAIL"),
                                                                             ("ap-shanghai", "FAIL")]


def test_production_instances_without_an_app_tag_are_reported(registry):
    estate = make_estate(cvm=CvmState(instances=[host("ins-1", None, "ap-shanghai-2"),
                                                 host("ins-2", "   ", "ap-shanghai-2")]))
    findings = run_check(registry, "cvm_multi_az", estate)
    assert by_resource(findings) == {"ins-1": "FAIL", "ins-2": "FAIL"}
    assert "'app' tag" in findings[0].message


def test_app_tag_key_comes_from_the_scope(registry):
    from dr_audit.engine import evaluate
    from dr_audit.packs import PackCheck, PromisePack
    from dr_audit.scope import Scope

    estate = make_estate(cvm=CvmState(instances=[
        Instance(account=ACCOUNT, region="ap-shanghai", instance_id="ins-1", zone="ap-shanghai-2",
                 tags={"env": "prod", "service": "mall"}),
        Instance(account=ACCOUNT, region="ap-shanghai", instance_id="ins-2", zone="ap-shanghai-3",
                 tags={"env": "prod", "service": "mall"})]))
    pack = PromisePack(name="t", scope=Scope(app_tag_key="service"), checks={"cvm_multi_az": PackCheck()})
    assert by_resource(evaluate(estate, pack, registry, only=["cvm_multi_az"]).findings) == {"mall": "PASS"}


def test_unreadable_tags_zones_and_regions_are_errors(registry):
    estate = make_estate(
        cvm=CvmState(instances=[
            host("ins-1", None, "", unreadable={"tags": "RequestLimitExceeded"}),
            host("ins-2", "mall", "ap-shanghai-2"), host("ins-3", "mall", "", unreadable={"zone": "InternalError"}),
            host("ins-4", "crm", "ap-beijing-3", region="ap-beijing"),
        ]),
        gaps=[gap("cvm", region="ap-beijing")],
    )
    findings = run_check(registry, "cvm_multi_az", estate)
    assert by_resource(findings) == {"ins-1": "ERROR", "mall": "ERROR", "cvm": "ERROR"}


def test_hardened_scenario_spreads_every_production_app(registry):
    findings = scenario_findings(registry, "hardened", ["cvm_multi_az"])
    assert by_resource(findings) == {"mall": "PASS", "crm": "PASS"}


def test_weimob_2020_scenario_runs_the_mall_in_one_zone(registry):
    findings = scenario_findings(registry, "weimob-2020", ["cvm_multi_az"])
    assert by_resource(findings) == {"mall": "FAIL", "crm": "PASS"}
