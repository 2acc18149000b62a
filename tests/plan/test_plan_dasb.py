"""Bastion resources in a plan: an ACL that reaches devices through groups is never judged on a guess."""

from __future__ import annotations

from typing import Any

from dr_audit.collect.terraform import build_estate
from dr_audit.collect.tfinput import plan_resources


def resource(kind: str, name: str, values: dict[str, Any]) -> dict[str, Any]:
    return {"address": f"{kind}.{name}", "mode": "managed", "type": kind, "name": name,
            "provider_name": "registry.terraform.io/tencentcloudstack/tencentcloud", "values": values}


def plan(*resources: dict[str, Any]) -> dict[str, Any]:
    return {"format_version": "1.2", "planned_values": {"root_module": {"resources": list(resources)}},
            "configuration": {"root_module": {"resources": []}}}


DEVICE = resource("tencentcloud_dasb_device", "web", {"name": "web-prod-1", "ip": "10.0.1.11", "os_type": "Linux"})


def test_device_groups_named_by_an_acl_make_membership_unknown():
    acl = resource("tencentcloud_dasb_acl", "ops", {"name": "ops", "allow_any_account": False,
                                                     "device_group_id_set": [7], "cmd_template_id_set": []})
    estate = build_estate(plan_resources(plan(DEVICE, acl)))
    assert estate.dasb.devices[0].unreadable["group_ids"] == "device group membership is not in the plan"


def test_without_group_acls_devices_keep_their_known_membership():
    acl = resource("tencentcloud_dasb_acl", "ops", {"name": "ops", "allow_any_account": False,
                                                     "device_id_set": [1], "cmd_template_id_set": [1]})
    estate = build_estate(plan_resources(plan(DEVICE, acl)))
    assert "group_ids" not in estate.dasb.devices[0].unreadable
