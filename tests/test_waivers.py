"""Waivers: valid ones waive a FAIL, expired ones stop applying, stale ones are listed, bad files name the line."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest

from dr_audit.cli import main
from dr_audit.waivers import WaiverError, apply_waivers, load_waivers, resource_matches

from .plan.helpers import BUCKET_PLAN, PACK

TODAY = date(2026, 11, 20)


def waiver_file(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "waivers.yaml"
    path.write_text(body)
    return path


def entry(check: str = "cos_versioning_enabled", resource: str = "tencentcloud_cos_bucket.media",
          expires: date = TODAY + timedelta(days=30), **extra: str) -> str:
    lines = [f"  - check: {check}", f"    resource: \"{resource}\"", "    reason: migration to a versioned bucket",
             "    owner: storage-team", "    approved_by: ciso", "    ticket: OPS-1234", f"    expires: {expires}"]
    lines += [f"    {k}: {v}" for k, v in extra.items()]
    return "\n".join(lines) + "\n"


def report(*findings: tuple[str, str, str]) -> dict:
    return {"findings": [{"id": f"id-{i}", "check_id": c, "status": s, "severity": "high", "promise": "W2.4",
                          "resource": {"type": "cos.bucket", "id": r, "region": "ap-shanghai", "account": "terraform"}}
                         for i, (c, r, s) in enumerate(findings)],
            "summary": {}}


def test_a_valid_waiver_turns_fail_into_waived_and_carries_the_waiver(tmp_path):
    waivers = load_waivers(waiver_file(tmp_path, "waivers:\n" + entry()), max_days=90, today=TODAY)
    doc = report(("cos_versioning_enabled", "tencentcloud_cos_bucket.media", "FAIL"),
                 ("cos_versioning_enabled", "tencentcloud_cos_bucket.other", "FAIL"))
    notes = apply_waivers(doc, waivers, today=TODAY)
    assert [f["status"] for f in doc["findings"]] == ["WAIVED", "FAIL"]
    assert doc["findings"][0]["waiver"]["owner"] == "storage-team"
    assert doc["findings"][0]["waiver"]["line"] == 2
    assert doc["summary"]["WAIVED"] == 1 and doc["summary"]["FAIL"] == 1
    assert [w["matches"] for w in doc["waivers"]["applied"]] == [1]
    assert notes == []


def test_an_expired_waiver_no_longer_applies_and_is_reported(tmp_path):
    waivers = load_waivers(waiver_file(tmp_path, "waivers:\n" + entry(expires=TODAY - timedelta(days=1))),
                           max_days=90, today=TODAY)
    doc = report(("cos_versioning_enabled", "tencentcloud_cos_bucket.media", "FAIL"))
    notes = apply_waivers(doc, waivers, today=TODAY)
    assert doc["findings"][0]["status"] == "FAIL"
    assert doc["waivers"]["expired"][0]["resource"] == "tencentcloud_cos_bucket.media"
    assert "expired on 2026-11-19" in notes[0]


def test_a_waiver_matching_no_fail_is_stale(tmp_path):
    waivers = load_waivers(waiver_file(tmp_path, "waivers:\n" + entry(resource="tencentcloud_cos_bucket.gone")),
                           max_days=90, today=TODAY)
    doc = report(("cos_versioning_enabled", "tencentcloud_cos_bucket.media", "FAIL"))
    notes = apply_waivers(doc, waivers, today=TODAY)
    assert doc["findings"][0]["status"] == "FAIL"
    assert [w["resource"] for w in doc["waivers"]["stale"]] == ["tencentcloud_cos_bucket.gone"]
    assert "matches no FAIL" in notes[0]


def test_resource_patterns_are_exact_or_globs_never_substrings():
    assert resource_matches("tencentcloud_cos_bucket.media", "tencentcloud_cos_bucket.media")
    assert not resource_matches("cos_bucket.media", "tencentcloud_cos_bucket.media")  # no substring
    assert not resource_matches("tencentcloud_cos_bucket.media", "tencentcloud_cos_bucket.media_dr")
    assert resource_matches("tencentcloud_cos_bucket.media*", "tencentcloud_cos_bucket.media_dr")
    assert resource_matches("tencentcloud_cbs_storage.data[0]", "tencentcloud_cbs_storage.data[0]")
    assert not resource_matches("tencentcloud_cbs_storage.data[0]", "tencentcloud_cbs_storage.data0")


def test_a_pathological_glob_waives_exactly_what_it_matches(tmp_path):
    # `*?` eight times then X took 20 s against a 58-character address with a backtracking regex (issue 11).
    pattern = "*?" * 8 + "X"
    waivers = load_waivers(waiver_file(tmp_path, "waivers:\n" + entry(resource=pattern)), max_days=90, today=TODAY)
    unmatched = "tencentcloud_cos_bucket.media_archive_primary_replica_abcd"
    matched = "tencentcloud_cos_bucket.media_archive_primary_replica_X"
    doc = report(*[("cos_versioning_enabled", address, "FAIL") for address in (unmatched, matched, "1234567X")])
    apply_waivers(doc, waivers, today=TODAY)
    assert len(unmatched) == 58
    assert [f["status"] for f in doc["findings"]] == ["FAIL", "WAIVED", "FAIL"]


def test_account_and_region_narrow_a_waiver(tmp_path):
    waivers = load_waivers(waiver_file(tmp_path, "waivers:\n" + entry(region="ap-beijing")), 90, today=TODAY)
    doc = report(("cos_versioning_enabled", "tencentcloud_cos_bucket.media", "FAIL"))
    apply_waivers(doc, waivers, today=TODAY)
    assert doc["findings"][0]["status"] == "FAIL"


@pytest.mark.parametrize(("body", "message"), [
    ("waivers:\n  - check: [unclosed\n", r"waivers\.yaml:\d+: not valid YAML"),
    ("waivers:\n" + entry() + entry().replace("    owner: storage-team\n", ""), r"waivers\.yaml:9: waiver 2: owner"),
    ("waivers:\n" + entry().replace("    expires: ", "    expires: not-a-date #"),
     r"waivers\.yaml:8: waiver 1: expires"),
    ("waivers:\n" + entry(expires=TODAY + timedelta(days=400)),
     r"waivers\.yaml:8: .*more than the pack's max_waiver_days"),
    ("waivers:\n" + entry(colour="blue"), r"waivers\.yaml:9: waiver 1: colour"),
    ("rules: []\n", r"waivers\.yaml:1: unknown top-level key 'rules'"),
    ("waivers: nope\n", r"expected a list of waivers"),
])
def test_malformed_waiver_files_name_the_file_and_line(tmp_path, body, message):
    with pytest.raises(WaiverError, match=message):
        load_waivers(waiver_file(tmp_path, body), max_days=90, today=TODAY)


def test_waivers_work_end_to_end_on_a_plan(tmp_path, capsys):
    today = date.today()
    path = waiver_file(tmp_path, "waivers:\n" + entry(expires=today + timedelta(days=10))
                       + entry(check="cos_cross_region_replication", expires=today - timedelta(days=1))
                       + entry(check="cos_not_public", resource="tencentcloud_cos_bucket.nothing*",
                               expires=today + timedelta(days=10)))
    output = tmp_path / "report.json"
    code = main(["plan", str(BUCKET_PLAN), "--pack", PACK, "--waivers", str(path), "--format", "json",
                 "--output", str(output)])
    doc = json.loads(output.read_text())
    statuses = {(f["check_id"], f["resource"]["id"]): f["status"] for f in doc["findings"]}
    assert statuses[("cos_versioning_enabled", "tencentcloud_cos_bucket.media")] == "WAIVED"
    assert statuses[("cos_cross_region_replication", "tencentcloud_cos_bucket.media")] == "FAIL"  # expired
    assert code == 1
    assert len(doc["waivers"]["expired"]) == 1 and len(doc["waivers"]["stale"]) == 1
    err = capsys.readouterr().err
    assert "expired on" in err and "matches no FAIL" in err


def test_a_bad_waivers_file_is_exit_2_before_anything_runs(tmp_path, capsys):
    path = waiver_file(tmp_path, "waivers:\n  - check: x\n")
    assert main(["plan", str(BUCKET_PLAN), "--pack", PACK, "--waivers", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("dr-audit: error: ") and "waivers.yaml:2:" in err and err.count("\n") == 1


def test_waivers_apply_the_same_way_to_run(tmp_path):
    from dr_audit.estate import Bucket, CosState

    from .conftest import ACCOUNT, make_estate

    snapshot = tmp_path / "estate.json"
    make_estate(services=["cos"], cos=CosState(buckets=[
        Bucket(account=ACCOUNT, region="ap-shanghai", name="media-1250000001", versioning="Suspended")])
    ).save(snapshot)
    path = waiver_file(tmp_path, "- check: cos_versioning_enabled\n  resource: media-*\n  reason: moving\n"
                                 f"  owner: storage\n  approved_by: ciso\n  expires: {date.today()}\n")
    output = tmp_path / "report.json"
    code = main(["run", "--from-snapshot", str(snapshot), "--pack", PACK, "--check", "cos_versioning_enabled",
                 "--waivers", str(path), "--format", "json", "--output", str(output)])
    doc = json.loads(output.read_text())
    assert [f["status"] for f in doc["findings"]] == ["WAIVED"]
    assert doc["findings"][0]["waiver"]["resource"] == "media-*"
    assert code == 0
