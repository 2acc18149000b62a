"""SARIF 2.1.0: valid against the OASIS schema, rules from check metadata, locations at the .tf line."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema

from dr_audit.cli import main

from ..plan.helpers import BUCKET_PLAN, ESTATE_TF, PACK

SCHEMA = json.loads((Path(__file__).resolve().parents[1] / "fixtures" / "sarif" / "sarif-schema-2.1.0.json")
                    .read_text())


def sarif_of(tmp_path: Path, target: Path, *extra: str) -> dict:
    output = tmp_path / f"{target.name}.sarif"
    main(["plan", str(target), "--pack", PACK, "--format", "sarif", "--output", str(output), *extra])
    return json.loads(output.read_text())


def test_sarif_validates_and_points_at_tf_lines(tmp_path):
    sarif = sarif_of(tmp_path, ESTATE_TF)
    jsonschema.Draft4Validator(SCHEMA).validate(sarif)
    run = sarif["runs"][0]
    rules = {r["id"]: r for r in run["tool"]["driver"]["rules"]}
    public = next(r for r in run["results"] if r["ruleId"] == "cos_not_public")
    assert public["level"] == "error" and public["kind"] == "fail"
    location = public["locations"][0]
    assert location["logicalLocations"][0]["fullyQualifiedName"] == "tencentcloud_cos_bucket.scratch"
    uri = location["physicalLocation"]["artifactLocation"]["uri"]
    line = location["physicalLocation"]["region"]["startLine"]
    assert uri.endswith("estate/main.tf")
    assert (ESTATE_TF / "main.tf").read_text().splitlines()[line - 1] == \
        'resource "tencentcloud_cos_bucket" "scratch" {'
    rule = rules["cos_not_public"]
    assert rule["shortDescription"]["text"] and rule["help"]["text"]
    assert rule["defaultConfiguration"]["level"] == "error"
    assert run["tool"]["driver"]["rules"][public["ruleIndex"]]["id"] == "cos_not_public"
    # ERROR results are "open" (could not tell), never a pass; PASS results are not reported at all.
    assert all(r["kind"] in ("fail", "open", "review") for r in run["results"])
    assert any(r["kind"] == "open" and r["level"] == "none" for r in run["results"])


def test_sarif_for_a_plan_json_carries_change_and_waiver_suppression(tmp_path):
    from datetime import date, timedelta

    waivers = tmp_path / "w.yaml"
    waivers.write_text(
        "- check: cos_versioning_enabled\n  resource: tencentcloud_cos_bucket.media\n  reason: migrating\n"
        f"  owner: storage\n  approved_by: ciso\n  expires: {date.today() + timedelta(days=5)}\n")
    sarif = sarif_of(tmp_path, BUCKET_PLAN, "--waivers", str(waivers))
    jsonschema.Draft4Validator(SCHEMA).validate(sarif)
    result = next(r for r in sarif["runs"][0]["results"] if r["ruleId"] == "cos_versioning_enabled")
    assert result["properties"]["change"] == "weakened"
    assert result["suppressions"][0]["kind"] == "external"
    uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri.endswith("bucket_versioning_disabled.plan.json")
