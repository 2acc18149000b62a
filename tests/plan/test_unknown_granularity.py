"""A value unknown until apply makes unknown only what reads it: the rule, or the Estate attribute, it sits in.

Real plans carry computed values everywhere (a rule's `policy_index`, ids, descriptions from variables); a known
0.0.0.0/0 to TCP 22 next to them is still a FAIL, while an unknown value that decides a verdict is still an ERROR.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from dr_audit.collect.hcl import UNKNOWN_VALUE, directory_resources, split_unknown
from dr_audit.collect.terraform import build_estate
from dr_audit.collect.tfinput import TfResource

from .helpers import CAM_PLAN, FIXTURES, edited_plan, plan_report
from .test_unknown_leaves import with_unknown

NETWORK_PLAN = FIXTURES / "network_rules.plan.json"
APP = "tencentcloud_security_group.app"
APP_RULES = "tencentcloud_security_group_rule_set.app"
PUBLIC_ADMIN = "sg_no_public_admin_ports"
CROSS_ENV = "sg_no_cross_environment_ingress"


def findings(tmp_path: Path, target: Path, *extra: str) -> dict[tuple[str, str], dict[str, Any]]:
    code, report = plan_report(tmp_path, target, *extra)
    assert code in (0, 1, 3), code
    return {(f["check_id"], f["resource"]["id"]): f for f in report["findings"]}


def unknown_leaf(tmp_path: Path, address: str, *path: str | int) -> Path:
    """The network plan with one value of `address` unknown until apply, written as Terraform writes it."""
    plan = with_unknown(json.loads(NETWORK_PLAN.read_text()), address, path)
    return edited_plan(tmp_path, NETWORK_PLAN, lambda p: p.update(plan))


def test_rule_set_with_unknown_policy_index_and_known_rules_fails_on_public_ssh(tmp_path):
    plan = json.loads(NETWORK_PLAN.read_text())
    change = next(c["change"] for c in plan["resource_changes"] if c["address"] == APP_RULES)
    assert all(rule == {"policy_index": True} for rule in change["after_unknown"]["ingress"])
    assert all("policy_index" not in rule for rule in change["after"]["ingress"])
    found = findings(tmp_path, NETWORK_PLAN)
    app = found[(PUBLIC_ADMIN, APP)]
    assert app["status"] == "FAIL"
    assert "port 22" in app["message"] and "0.0.0.0/0" in app["message"]
    # The rules' order is known even though their indexes are not: the DROP of the dev range comes first.
    assert found[(CROSS_ENV, APP)]["status"] == "PASS"


def test_unknown_description_next_to_known_rule_still_fails(tmp_path):
    found = findings(tmp_path, NETWORK_PLAN)
    assert found[(PUBLIC_ADMIN, "tencentcloud_security_group.db")]["status"] == "FAIL"
    described = findings(tmp_path, unknown_leaf(tmp_path, APP_RULES, "ingress", 1, "description"))
    assert described[(PUBLIC_ADMIN, APP)]["status"] == "FAIL"


def test_unknown_group_tags_leave_rule_verdicts_known(tmp_path):
    found = findings(tmp_path, unknown_leaf(tmp_path, APP, "tags", "env"))
    assert found[(PUBLIC_ADMIN, APP)]["status"] == "FAIL"  # reads the rules, not the tags


def test_unknown_source_of_the_deciding_rule_is_error(tmp_path):
    found = findings(tmp_path, unknown_leaf(tmp_path, APP_RULES, "ingress", 1, "cidr_block"))
    app = found[(PUBLIC_ADMIN, APP)]
    assert app["status"] == "ERROR" and "unknown until apply" in app["message"]
    # The other groups' rules are not touched by it.
    assert found[(PUBLIC_ADMIN, "tencentcloud_security_group.db")]["status"] == "FAIL"
    assert found[(PUBLIC_ADMIN, "tencentcloud_security_group.ops")]["status"] == "FAIL"


def test_unknown_port_or_action_of_the_deciding_rule_is_error(tmp_path):
    for part in ("port", "protocol", "action"):
        found = findings(tmp_path, unknown_leaf(tmp_path, APP_RULES, "ingress", 1, part))
        assert found[(PUBLIC_ADMIN, APP)]["status"] == "ERROR", part


def test_an_unknown_drop_before_a_known_accept_makes_it_error(tmp_path):
    # The first rule DROPs the dev range; with its source unknown it might drop the internet too, or nothing.
    found = findings(tmp_path, unknown_leaf(tmp_path, APP_RULES, "ingress", 0, "cidr_block"))
    assert found[(PUBLIC_ADMIN, APP)]["status"] == "ERROR"
    assert found[(CROSS_ENV, APP)]["status"] == "ERROR"


def test_an_unknown_rule_after_the_deciding_accept_leaves_it_fail(tmp_path):
    found = findings(tmp_path, unknown_leaf(tmp_path, APP_RULES, "ingress", 2))
    assert found[(PUBLIC_ADMIN, APP)]["status"] == "FAIL"


def test_a_wholly_unknown_rule_list_is_error_for_its_group_only(tmp_path):
    found = findings(tmp_path, unknown_leaf(tmp_path, APP_RULES, "ingress"))
    assert found[(PUBLIC_ADMIN, APP)]["status"] == "ERROR"
    assert found[(PUBLIC_ADMIN, "tencentcloud_security_group.ops")]["status"] == "FAIL"


def test_a_rule_of_unknown_direction_is_judged_as_either(tmp_path):
    found = findings(tmp_path, unknown_leaf(tmp_path, "tencentcloud_security_group_rule.db_mysql", "type"))
    assert found[(PUBLIC_ADMIN, "tencentcloud_security_group.db")]["status"] == "FAIL"
    found = findings(tmp_path, unknown_leaf(tmp_path, "tencentcloud_security_group_rule.db_mysql", "cidr_ip"))
    assert found[(PUBLIC_ADMIN, "tencentcloud_security_group.db")]["status"] == "ERROR"


def test_unknown_lite_rule_entry_is_error_only_when_it_could_decide(tmp_path):
    lite = "tencentcloud_security_group_lite_rule.ops"
    assert findings(tmp_path, unknown_leaf(tmp_path, lite, "ingress", 1))[
        (PUBLIC_ADMIN, "tencentcloud_security_group.ops")]["status"] == "ERROR"
    assert findings(tmp_path, unknown_leaf(tmp_path, lite, "ingress", 2))[
        (PUBLIC_ADMIN, "tencentcloud_security_group.ops")]["status"] == "FAIL"


def test_an_unknown_source_group_is_the_one_the_configuration_names(tmp_path):
    cache = "tencentcloud_security_group.cache"
    found = findings(tmp_path, NETWORK_PLAN)
    # Redis is open only to the app group, made in the same change (its id unknown until apply).
    assert found[(PUBLIC_ADMIN, cache)]["status"] == "PASS"
    assert found[(CROSS_ENV, cache)]["status"] == "PASS"

    def forget_reference(plan: dict[str, Any]) -> None:
        rules = next(r for r in plan["configuration"]["root_module"]["resources"]
                     if r["address"] == "tencentcloud_security_group_rule_set.cache")
        del rules["expressions"]["ingress"][0]["source_security_id"]

    unnamed = findings(tmp_path, edited_plan(tmp_path, NETWORK_PLAN, forget_reference))
    assert unnamed[(PUBLIC_ADMIN, cache)]["status"] == "ERROR"


def test_a_known_name_matching_a_user_whose_name_is_unknown_cannot_pass(tmp_path):
    plan = json.loads(CAM_PLAN.read_text())
    assert any(c["address"] == "tencentcloud_cam_user.analyst" for c in plan["resource_changes"])
    before = findings(tmp_path, CAM_PLAN, "--check", "cam_no_full_admin_principals")
    changed = with_unknown(plan, "tencentcloud_cam_user.analyst", ("name",))
    after = findings(tmp_path, edited_plan(tmp_path, CAM_PLAN, lambda p: p.update(changed)),
                     "--check", "cam_no_full_admin_principals")
    user = ("cam_no_full_admin_principals", "tencentcloud_cam_user.analyst")
    assert before[user]["status"] != "PASS"
    assert after[user]["status"] == "ERROR"


def test_lifecycle_rule_id_unknown_leaves_the_lifecycle_known():
    bucket = TfResource(address="tencentcloud_cos_bucket.b", type="tencentcloud_cos_bucket", name="b",
                        values={"bucket": "b-1250000001", "lifecycle_rules": [
                            {"filter_prefix": "", "expiration": [{"days": 30}]}]},
                        unknown={"lifecycle_rules"}, unknown_leaves={"lifecycle_rules": [{"id": True}]})
    model = build_estate([bucket]).cos.buckets[0]
    assert "lifecycle" not in model.unreadable
    assert model.lifecycle[0].expiration_days == 30
    bucket.unknown_leaves = {"lifecycle_rules": [{"expiration": [{"days": True}]}]}
    assert build_estate([bucket]).cos.buckets[0].unreadable["lifecycle"] == "unknown until apply"


def test_unknown_at_follows_the_after_unknown_shape():
    rules = TfResource(address="a", type="tencentcloud_security_group_rule_set", name="a",
                       values={"ingress": [{"port": "22"}, None]}, unknown={"ingress", "id"},
                       unknown_leaves={"ingress": [{"policy_index": True}, True]})
    assert rules.unknown_at("ingress") and rules.unknown_at("ingress", 0)
    assert rules.unknown_at("ingress", 0, "policy_index") and not rules.unknown_at("ingress", 0, "port")
    assert rules.unknown_at("ingress", 1, "port")  # inside a wholly unknown entry
    assert not rules.wholly_unknown("ingress") and rules.wholly_unknown("id")
    assert not rules.unknown_at("egress") and rules.known("egress")


def test_split_unknown_writes_what_a_plan_would():
    value = {"env": "prod", "owner": UNKNOWN_VALUE, "rules": [{"port": "22", "note": UNKNOWN_VALUE}, UNKNOWN_VALUE]}
    known, shape = split_unknown(value)
    assert known == {"env": "prod", "rules": [{"port": "22"}, None]}
    assert shape == {"owner": True, "rules": [{"note": True}, True]}
    assert split_unknown(UNKNOWN_VALUE) == (None, True)


TF_RULES = '''
variable "note" {}
variable "admin_range" {}
variable "owner" {}

resource "tencentcloud_security_group" "app" {
  name = "app"
  tags = { env = "prod", owner = var.owner }
}

resource "tencentcloud_security_group_rule_set" "app" {
  security_group_id = tencentcloud_security_group.app.id
  ingress {
    action      = "ACCEPT"
    cidr_block  = "0.0.0.0/0"
    protocol    = "TCP"
    port        = "22"
    description = var.note
  }
}

resource "tencentcloud_security_group" "ops" {
  name = "ops"
}

resource "tencentcloud_security_group" "cache" {
  name = "cache"
}

resource "tencentcloud_security_group_rule_set" "cache" {
  security_group_id = tencentcloud_security_group.cache.id
  ingress {
    action             = "ACCEPT"
    source_security_id = tencentcloud_security_group.app.id
    protocol           = "TCP"
    port               = "6379"
  }
}

resource "tencentcloud_security_group_rule_set" "ops" {
  security_group_id = tencentcloud_security_group.ops.id
  ingress {
    action      = "ACCEPT"
    cidr_block  = var.admin_range
    protocol    = "TCP"
    port        = "3389"
  }
  ingress {
    action      = "ACCEPT"
    cidr_block  = "10.0.0.0/8"
    protocol    = "TCP"
    port        = "443"
    description = var.note
  }
}
'''


def test_tf_input_confines_an_unresolved_variable_to_its_leaf(tmp_path):
    directory = tmp_path / "tf"
    directory.mkdir()
    (directory / "main.tf").write_text(TF_RULES)
    resources = {r.address: r for r in directory_resources(directory)}
    rules = resources["tencentcloud_security_group_rule_set.app"]
    assert rules.values["ingress"][0]["cidr_block"] == "0.0.0.0/0"
    assert rules.unknown_at("ingress", 0, "description") and not rules.unknown_at("ingress", 0, "port")
    found = findings(tmp_path, directory, "--check", PUBLIC_ADMIN)
    assert found[(PUBLIC_ADMIN, "tencentcloud_security_group.app")]["status"] == "FAIL"
    ops = found[(PUBLIC_ADMIN, "tencentcloud_security_group.ops")]
    assert ops["status"] == "ERROR" and "unknown until apply" in ops["message"]
    # A source group's id is unknown until apply, but the block says which group it is.
    assert resources["tencentcloud_security_group_rule_set.cache"].block_refs["ingress"] == [
        {"source_security_id": ["tencentcloud_security_group.app#id"]}]
    assert found[(PUBLIC_ADMIN, "tencentcloud_security_group.cache")]["status"] == "PASS"


def test_computed_storage_ids_leave_an_audit_track_judged(tmp_path):
    services = FIXTURES / "services.plan.json"
    plan = json.loads(services.read_text())
    track = next(c["change"] for c in plan["resource_changes"] if c["address"] == "tencentcloud_audit_track.all")
    assert track["after_unknown"]["storage"] == [{"storage_account_id": True, "storage_app_id": True}]
    found = findings(tmp_path, services, "--check", "cloudaudit_tracking_enabled")
    tracked = found[("cloudaudit_tracking_enabled", "terraform")]
    assert tracked["status"] == "FAIL" and "object lock" in tracked["message"]
    changed = with_unknown(plan, "tencentcloud_audit_track.all", ("storage", 0, "storage_name"))
    found = findings(tmp_path, edited_plan(tmp_path, services, lambda p: p.update(changed)),
                     "--check", "cloudaudit_tracking_enabled")
    assert found[("cloudaudit_tracking_enabled", "terraform")]["status"] == "ERROR"


def test_a_rule_whose_source_is_unknown_says_so_in_words():
    from dr_audit.estate import SecurityGroupRule
    from dr_audit.estate.base import UNKNOWN_UNTIL_APPLY
    from dr_audit.netrules import unresolved_source

    rule = SecurityGroupRule(protocol="TCP", port="22", address_template=UNKNOWN_UNTIL_APPLY)
    assert unresolved_source(rule) == "its source is unknown until apply"
