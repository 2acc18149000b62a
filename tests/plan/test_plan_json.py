"""`dr-audit plan` on Terraform plan JSON: verdicts, changes against prior state, unknown values, applicability."""

from __future__ import annotations

import json
from pathlib import Path

from dr_audit.cli import main
from dr_audit.collect.terraform import UNKNOWN, build_estate
from dr_audit.collect.tfinput import load_plan, plan_resources

from .helpers import BUCKET_PLAN, CAM_PLAN, ESTATE_PLAN, PACK, edited_plan, plan_report, verdicts


def test_turning_versioning_off_is_a_weakened_fail_listed_first_and_exits_1(tmp_path, capsys):
    code, report = plan_report(tmp_path, BUCKET_PLAN)
    assert code == 1
    finding = next(f for f in report["findings"] if f["check_id"] == "cos_versioning_enabled"
                   and f["resource"]["id"] == "tencentcloud_cos_bucket.media")
    assert finding["status"] == "FAIL"
    assert finding["change"] == "weakened"
    assert report["run"]["source"] == "plan"

    assert main(["plan", str(BUCKET_PLAN), "--pack", PACK, "--format", "markdown"]) == 1
    markdown = capsys.readouterr().out
    rows = [line for line in markdown.splitlines() if line.startswith("| ") and not line.startswith("| change")]
    assert rows[0].startswith("| weakened | FAIL |")
    assert "`cos_versioning_enabled`" in rows[0] and "tencentcloud_cos_bucket.media" in rows[0]
    assert "1 safeguard(s) weakened" in markdown


def test_turning_versioning_on_is_improved(tmp_path):
    def reverse(plan):
        for resource in plan["planned_values"]["root_module"]["resources"]:
            resource["values"]["versioning_enable"] = True
        plan["prior_state"]["values"]["root_module"]["resources"][0]["values"]["versioning_enable"] = False

    _, report = plan_report(tmp_path, edited_plan(tmp_path, BUCKET_PLAN, reverse))
    finding = next(f for f in report["findings"] if f["check_id"] == "cos_versioning_enabled"
                   and f["resource"]["id"] == "tencentcloud_cos_bucket.media")
    assert (finding["status"], finding["change"]) == ("PASS", "improved")


def test_unchanged_and_new_resources_are_classified(tmp_path):
    _, report = plan_report(tmp_path, ESTATE_PLAN)
    changes = {(f["check_id"], f["resource"]["id"]): f.get("change") for f in report["findings"]}
    # The buckets exist in prior_state with the same configuration; everything else is created by the plan.
    assert changes[("cos_not_public", "tencentcloud_cos_bucket.scratch")] == "unchanged"
    assert changes[("cbs_daily_snapshot_policy", "tencentcloud_cbs_storage.data")] == "new"
    assert changes[("cdb_multi_az", "module.db.tencentcloud_mysql_instance.main")] == "new"


def test_unknown_policy_document_makes_cam_checks_error_never_pass(tmp_path):
    cam_checks = ["cam_no_full_admin_principals", "cam_no_wildcard_destructive_grants",
                  "cam_operation_protection_enabled"]
    code, report = plan_report(tmp_path, CAM_PLAN, *[arg for c in cam_checks for arg in ("--check", c)])
    statuses = {f["check_id"]: f["status"] for f in report["findings"]}
    assert statuses == dict.fromkeys(cam_checks, "ERROR")
    assert all("unknown until apply" in f["message"] for f in report["findings"])
    assert code == 3  # nothing failed, but something could not be told


def test_attributes_unknown_until_apply_are_unreadable_in_the_estate():
    plan = load_plan(CAM_PLAN)
    estate = build_estate(plan_resources(plan))
    policy = estate.cam.policies[0]
    assert policy.document is None and policy.unreadable["document"] == UNKNOWN
    user = estate.cam.users[0]
    # The attachment and MFA flag point at the user through configuration references (its uin is unknown).
    assert user.policy_ids == [policy.policy_id]
    assert user.login_protection == ["phone"] and user.action_protection == []
    assert policy.origin is not None and policy.origin.address == "tencentcloud_cam_policy.reports_admin"
    assert policy.ref().id == "tencentcloud_cam_policy.reports_admin"


def test_unknown_versioning_is_error_not_pass(tmp_path):
    def unknown_versioning(plan):
        for resource in plan["planned_values"]["root_module"]["resources"]:
            resource["values"].pop("versioning_enable")
        for change in plan["resource_changes"]:
            change["change"]["after_unknown"]["versioning_enable"] = True

    _, report = plan_report(tmp_path, edited_plan(tmp_path, BUCKET_PLAN, unknown_versioning),
                            "--check", "cos_versioning_enabled")
    assert {f["status"] for f in report["findings"]} == {"ERROR"}


def test_links_resolve_through_references_regions_through_provider_aliases_and_modules():
    plan = load_plan(ESTATE_PLAN)
    estate = build_estate(plan_resources(plan))
    disks = {d.origin.address: d for d in estate.cbs.disks if d.origin}
    data = disks["tencentcloud_cbs_storage.data"]
    assert data.instance_id == "tencentcloud_instance.web"  # ids unknown at plan time: the address stands in
    assert data.policy_ids == ["tencentcloud_cbs_snapshot_policy.daily"]
    assert disks["tencentcloud_instance.web.system_disk"].policy_ids == []
    regions = {b.name: b.region for b in estate.cos.buckets}
    assert regions == {"media-1250000001": "ap-shanghai", "media-dr-1250000001": "ap-beijing",
                       "scratch-1250000001": "ap-shanghai"}
    mysql = estate.cdb.instances[0]
    assert mysql.origin.address == "module.db.tencentcloud_mysql_instance.main"
    assert mysql.backup_config is not None and mysql.backup_config.binlog_expire_days == 3
    instance = estate.cvm.instances[0]
    assert instance.security_group_ids == ["tencentcloud_security_group.web"]
    assert "vpc_id" not in instance.unreadable and instance.vpc_id == "tencentcloud_vpc.prod"
    assert sorted(estate.services) == ["cam", "cbs", "cdb", "cos", "cvm", "vpc"]


def test_an_attachment_to_an_unknown_disk_makes_every_disk_unreadable(tmp_path):
    def unresolvable(plan):
        for module in [plan["configuration"]["root_module"]]:
            for resource in module["resources"]:
                if resource["type"] == "tencentcloud_cbs_snapshot_policy_attachment":
                    resource["expressions"]["storage_id"] = {"references": ["var.disk_id"]}

    _, report = plan_report(tmp_path, edited_plan(tmp_path, ESTATE_PLAN, unresolvable),
                            "--check", "cbs_daily_snapshot_policy")
    assert set(verdicts(report).values()) == {"ERROR"}


def test_evidence_checks_and_absent_services_do_not_apply_to_plans(tmp_path):
    _, report = plan_report(tmp_path, BUCKET_PLAN)
    applicable = {c["id"]: c["applicable"] for c in report["checks"]}
    assert applicable["cbs_snapshot_fresh"] is False  # evidence: not in a plan
    assert applicable["drill_monthly_cadence"] is False
    assert applicable["cbs_daily_snapshot_policy"] is False  # the plan holds no CBS resources
    assert applicable["cos_versioning_enabled"] is True
    checked = {f["check_id"] for f in report["findings"]}
    assert not checked & {"cbs_snapshot_fresh", "drill_monthly_cadence", "cbs_daily_snapshot_policy"}


def test_bad_plans_are_one_line_and_exit_2(tmp_path, capsys):
    not_json = tmp_path / "plan.json"
    not_json.write_text("{ this is not json")
    state = tmp_path / "state.json"
    state.write_text(json.dumps({"format_version": "1.0", "values": {"root_module": {}}}))
    for path, expected in ((not_json, "not a JSON plan"), (state, "this is Terraform state, not a plan"),
                           (tmp_path / "missing.json", "no such plan file")):
        assert main(["plan", str(path), "--pack", PACK]) == 2
        err = capsys.readouterr().err
        assert expected in err and err.count("\n") == 1


def test_no_secret_from_the_plan_reaches_the_report(tmp_path):
    def with_secrets(plan):
        for resource in plan["planned_values"]["root_module"]["resources"]:
            if resource["type"] == "tencentcloud_cam_user":
                resource["values"]["password"] = "Sup3r-Secret-pw!"
                resource["values"]["secret_key"] = "AKIDsecretkeymaterial0000"

    path = edited_plan(tmp_path, CAM_PLAN, with_secrets)
    output = tmp_path / "out"
    assert main(["plan", str(path), "--pack", PACK, "--format", "json", "--format", "sarif", "--format", "csv",
                 "--output-dir", str(output)]) == 1
    for written in Path(output).iterdir():
        text = written.read_text()
        assert "Sup3r-Secret-pw!" not in text and "AKIDsecretkeymaterial0000" not in text
