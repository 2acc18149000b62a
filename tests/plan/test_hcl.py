"""`dr-audit plan` on a directory of .tf files: the same verdicts as the plan, lines for SARIF, unknowns as ERROR."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from dr_audit.cli import main
from dr_audit.collect.hcl import directory_resources
from dr_audit.collect.terraform import build_estate
from dr_audit.errors import BadInput

from .helpers import ESTATE_PLAN, ESTATE_TF, PACK, plan_report, verdicts


def test_tf_directory_and_plan_json_give_the_same_verdicts(tmp_path):
    _, from_plan = plan_report(tmp_path, ESTATE_PLAN)
    _, from_tf = plan_report(tmp_path, ESTATE_TF)
    assert verdicts(from_tf) == verdicts(from_plan)
    statuses = set(verdicts(from_plan).values())
    assert {"PASS", "FAIL", "ERROR"} <= statuses  # the comparison covers every kind of verdict
    assert len(verdicts(from_plan)) >= 20
    assert all("change" not in f for f in from_tf["findings"])  # no prior state to compare with


def test_variables_locals_jsonencode_and_references_resolve_where_literal():
    resources = {r.address: r for r in directory_resources(ESTATE_TF)}
    media = resources["tencentcloud_cos_bucket.media"]
    assert media.values["bucket"] == "media-1250000001"  # "media-${local.appid}"
    # "qcs::cos:${var.dr_region}::${tencentcloud_cos_bucket.media_dr.bucket}": a literal of another resource.
    assert media.values["replica_rules"][0]["destination_bucket"] == "qcs::cos:ap-beijing::media-dr-1250000001"
    assert json.loads(resources["tencentcloud_cam_policy.ops"].values["document"])["statement"][0]["action"] == ["*"]
    assert resources["tencentcloud_cos_bucket.media_dr"].region == "ap-beijing"  # provider = tencentcloud.dr
    attachment = resources["tencentcloud_cbs_snapshot_policy_attachment.data"]
    assert "storage_id" in attachment.unknown
    assert attachment.refs["storage_id"] == ["tencentcloud_cbs_storage.data#id"]
    assert resources["module.db.tencentcloud_mysql_instance.main"].values["instance_name"] == "orders-prod"


def test_resources_carry_their_file_and_line(tmp_path):
    resources = {r.address: r for r in directory_resources(ESTATE_TF)}
    bucket = resources["tencentcloud_cos_bucket.scratch"]
    lines = (ESTATE_TF / "main.tf").read_text().splitlines()
    assert lines[bucket.line - 1].startswith('resource "tencentcloud_cos_bucket" "scratch"')
    assert bucket.file.endswith("estate/main.tf")
    db = resources["module.db.tencentcloud_mysql_instance.main"]
    assert db.file.endswith("modules/db/main.tf") and db.line == 5
    # Paths stay as the user gave them (SARIF wants them relative to the repository), never made absolute.
    relative = Path(os.path.relpath(ESTATE_TF))
    assert all(not Path(r.file).is_absolute() for r in directory_resources(relative))


def test_unresolvable_values_are_unknown_and_judged_error(tmp_path):
    (tmp_path / "main.tf").write_text(
        'variable "env" {}\n'
        'resource "tencentcloud_cos_bucket" "b" {\n'
        '  bucket            = "b-1250000001"\n'
        '  versioning_enable = var.versioning_wanted ? true : false\n'
        '  tags              = { env = var.env }\n'
        '}\n'
        'resource "tencentcloud_cbs_storage" "d" {\n'
        '  count             = 2\n'
        '  storage_name      = "d-${count.index}"\n'
        '  storage_type      = "CLOUD_PREMIUM"\n'
        '  storage_size      = 50\n'
        '  availability_zone = "ap-guangzhou-3"\n'
        '}\n')
    resources = {r.address: r for r in directory_resources(tmp_path)}
    assert {"versioning_enable", "tags"} <= resources["tencentcloud_cos_bucket.b"].unknown
    assert resources["tencentcloud_cbs_storage.d[1]"].values["storage_name"] == "d-1"
    estate = build_estate(resources.values())
    assert estate.cos.buckets[0].unreadable["versioning"] == "unknown until apply"
    output = tmp_path / "r.json"
    main(["plan", str(tmp_path), "--pack", PACK, "--check", "cos_versioning_enabled", "--format", "json",
          "--output", str(output)])
    assert {f["status"] for f in json.loads(output.read_text())["findings"]} == {"ERROR"}


def test_bad_hcl_and_empty_directories_are_bad_input(tmp_path, capsys):
    (tmp_path / "broken.tf").write_text('resource "tencentcloud_vpc" "v" {\n  name = \n}\n')
    with pytest.raises(BadInput, match=r"broken\.tf:\d+: not valid HCL"):
        directory_resources(tmp_path)
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["plan", str(empty), "--pack", PACK]) == 2
    assert "no .tf files" in capsys.readouterr().err
