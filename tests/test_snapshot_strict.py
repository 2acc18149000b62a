"""Snapshots are read strictly: what is absent was not collected, and only a present, empty list means "none"."""

from __future__ import annotations

import copy
import hashlib
import json
import pickle
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from dr_audit.engine import evaluate
from dr_audit.estate import (
    ABSENT_FROM_SNAPSHOT,
    Bucket,
    CbsState,
    CosState,
    Disk,
    Estate,
    EstateError,
    ObjectLock,
    SnapshotPolicy,
    SnapshotSchedule,
)
from dr_audit.estate.base import STRICT_SNAPSHOT
from dr_audit.findings import Status
from dr_audit.packs import load_pack
from dr_audit.scenarios import build

from .conftest import ACCOUNT, NOW, make_estate, run_check


@pytest.fixture(scope="module")
def scenario() -> dict[str, Any]:
    """The weimob-2020 scenario as a snapshot document (built directly: no emulator needed to test loading)."""
    estate = build("weimob-2020", now=NOW).model_copy(update={"source": "snapshot"})
    return json.loads(estate.to_json())


def load(tmp_path: Path, document: dict[str, Any]) -> Estate:
    path = tmp_path / "snapshot.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    return Estate.load(path)


def statuses(registry, estate: Estate, prefix: str = "") -> dict[tuple[str, str], Status]:
    pack = load_pack(None, registry)
    return {(f.check_id, f.resource.id): f.status for f in evaluate(estate, pack, registry).findings
            if f.check_id.startswith(prefix)}


def test_a_snapshot_of_only_a_schema_version_is_bad_input(tmp_path):
    with pytest.raises(EstateError, match="collected_at is missing"):
        load(tmp_path, {"schema_version": 1})


def test_a_snapshot_with_no_sections_passes_nothing(tmp_path, registry):
    estate = load(tmp_path, {"schema_version": 1, "collected_at": NOW.isoformat(), "accounts": [ACCOUNT]})
    found = statuses(registry, estate)
    assert found and Status.PASS not in found.values()
    assert {g.service for g in estate.gaps} >= {"cam", "cbs", "cos", "cdb", "vpc", "cvm", "dasb", "cloudaudit"}


def test_a_missing_section_makes_its_checks_error_not_pass(tmp_path, registry, scenario):
    full = statuses(registry, load(tmp_path, scenario), "cam_")
    assert Status.PASS in full.values()
    without = load(tmp_path, {k: v for k, v in scenario.items() if k != "cam"})
    found = statuses(registry, without, "cam_")
    assert found and set(found.values()) == {Status.ERROR}
    assert any("section 'cam'" in g.message for g in without.gaps_for("cam"))


def test_a_missing_inventory_inside_a_section_is_a_gap_naming_it(tmp_path, registry, scenario):
    document = json.loads(json.dumps(scenario))
    del document["cam"]["users"]
    estate = load(tmp_path, document)
    assert [g.message for g in estate.gaps_for("cam")] == [f"cam.users is {ABSENT_FROM_SNAPSHOT}, so it was not "
                                                           "collected"]
    assert Status.PASS not in statuses(registry, estate, "cam_").values()


def test_only_a_present_empty_list_means_none(tmp_path, registry):
    estate = make_estate(cbs=CbsState(disks=[]))
    path = tmp_path / "empty.json"
    estate.save(path)
    findings = run_check(registry, "cbs_daily_snapshot_policy", Estate.load(path))
    assert [(f.status, f.message[:10]) for f in findings] == [(Status.PASS, "0 examined")]
    document = json.loads(path.read_text())
    del document["cbs"]["disks"]
    findings = run_check(registry, "cbs_daily_snapshot_policy", load(tmp_path, document))
    assert [f.status for f in findings] == [Status.ERROR] and "cbs.disks" in findings[0].message


def test_a_missing_list_of_failed_reads_leaves_every_service_unknown(tmp_path, registry, scenario):
    estate = load(tmp_path, {k: v for k, v in scenario.items() if k != "gaps"})
    assert {g.service for g in estate.gaps} == set(estate.services)
    assert Status.PASS not in statuses(registry, estate).values()


def test_an_estate_naming_no_account_passes_nothing(tmp_path, registry, scenario):
    full = statuses(registry, load(tmp_path, scenario))
    estate = load(tmp_path, {**scenario, "accounts": []})
    found = statuses(registry, estate)
    assert Status.PASS not in found.values()
    for check_id in ("cloudaudit_tracking_enabled", "drill_monthly_cadence", "drill_quarterly_cadence",
                     "drill_objectives_met"):
        assert any(c == check_id for c, _ in found), check_id
    # FAILs of resources are still evidence of a broken promise: they stay (account-wide checks iterate the
    # accounts the estate names, so theirs have no account to stand on).
    failed = {k for k, s in full.items() if s is Status.FAIL and k[1] != ACCOUNT}
    assert failed and failed <= {k for k, s in found.items() if s is Status.FAIL}


def test_a_field_absent_from_a_snapshot_resource_is_unknown_not_its_default(tmp_path, registry):
    daily = SnapshotSchedule(days_of_week=list(range(7)))
    estate = make_estate(cbs=CbsState(
        disks=[Disk(account=ACCOUNT, region="ap-shanghai", disk_id="disk-1", instance_id="ins-1", policy_ids=["p"])],
        policies=[SnapshotPolicy(account=ACCOUNT, region="ap-shanghai", policy_id="p", activated=True,
                                 schedules=[daily], retention_days=7)]))
    path = tmp_path / "full.json"
    estate.save(path)
    assert [f.status for f in run_check(registry, "cbs_daily_snapshot_policy", Estate.load(path))] == [Status.PASS]
    document = json.loads(path.read_text())
    del document["cbs"]["disks"][0]["instance_id"]
    loaded = load(tmp_path, document)
    assert loaded.cbs.disks[0].unreadable == {"instance_id": ABSENT_FROM_SNAPSHOT}
    findings = run_check(registry, "cbs_daily_snapshot_policy", loaded)
    assert [f.status for f in findings] == [Status.ERROR] and "instance_id: absent from snapshot" in findings[0].message


def test_a_nested_field_absent_makes_its_resource_field_unknown(tmp_path, registry):
    bucket = Bucket(account=ACCOUNT, region="ap-shanghai", name="orders-1250000001", versioning="Enabled",
                    tags={"dr-audit:role": "backup"}, object_lock=ObjectLock(enabled=True, mode="COMPLIANCE", days=30))
    path = tmp_path / "bucket.json"
    make_estate(cos=CosState(buckets=[bucket])).save(path)
    assert [f.status for f in run_check(registry, "cos_object_lock_enabled", Estate.load(path))] == [Status.PASS]
    document = json.loads(path.read_text())
    del document["cos"]["buckets"][0]["object_lock"]["days"]
    loaded = load(tmp_path, document).cos.buckets[0]
    assert loaded.unknown("object_lock") == f"object_lock: object_lock.days {ABSENT_FROM_SNAPSHOT}"
    findings = run_check(registry, "cos_object_lock_enabled", load(tmp_path, document))
    assert [(f.resource.id, f.status) for f in findings] == [("orders-1250000001", Status.ERROR)]


def test_models_built_with_partial_arguments_outside_snapshots_keep_their_defaults():
    # Collectors and plans build models from what they read; only snapshot loading reads absence as unknown.
    disk = Disk(account=ACCOUNT, disk_id="disk-1")
    assert disk.unreadable == {} and disk.policy_ids == []
    assert Disk.model_validate({"account": ACCOUNT, "disk_id": "disk-1"}).unreadable == {}


def test_a_resource_without_its_record_of_failed_reads_is_unknown_throughout(tmp_path, registry):
    disk = Disk(account=ACCOUNT, region="ap-shanghai", disk_id="disk-1", instance_id="ins-1",
                unreadable={"policy_ids": "AuthFailure: denied"})
    path = tmp_path / "disk.json"
    make_estate(cbs=CbsState(disks=[disk])).save(path)
    assert [f.status for f in run_check(registry, "cbs_daily_snapshot_policy", Estate.load(path))] == [Status.ERROR]
    document = json.loads(path.read_text())
    del document["cbs"]["disks"][0]["unreadable"]
    loaded = load(tmp_path, document)
    assert {"policy_ids", "instance_id", "tags"} <= set(loaded.cbs.disks[0].unreadable)
    assert [f.status for f in run_check(registry, "cbs_daily_snapshot_policy", loaded)] == [Status.ERROR]


def test_resources_given_the_same_fields_share_one_set_of_their_names_and_each_still_changes_alone(tmp_path, scenario):
    document = json.loads(json.dumps(scenario))
    for disk in document["cbs"]["disks"][:2]:
        del disk["tags"]
    loaded = load(tmp_path, document)
    first, second = loaded.cbs.disks[:2]
    assert first.__pydantic_fields_set__ is second.__pydantic_fields_set__  # one set, not one per resource
    rules = [rule for group in loaded.vpc.security_groups for rule in group.ingress + group.egress]
    assert len({id(rule.__pydantic_fields_set__) for rule in rules}) < len(rules)  # nested models too
    shared = second.__pydantic_fields_set__
    given = set(shared)
    assert "tags" not in given
    # pydantic adds an assigned field to the model's own set: the other resources' sets stay as they were.
    first.tags = {"env": "prod"}
    assert first.model_fields_set == given | {"tags"} and second.model_fields_set == given == shared
    copied = second.model_copy(update={"tags": {}})
    assert copied.model_fields_set == given | {"tags"} and second.model_fields_set == given
    for twin in (copy.copy(second), copy.deepcopy(second), pickle.loads(pickle.dumps(second))):
        assert twin == second
        twin.tags = {"env": "test"}
        assert second.tags == {} and second.model_fields_set == given
    with pytest.raises(TypeError, match="never changed in place"):
        second.model_fields_set.add("tags")
    assert loaded.cbs.disks[0].unknown("tags") and loaded.cbs.disks[1].unknown("tags")  # still absent, unknown


def tree_load(path: Path) -> Estate:
    """Estate.load as it reads a snapshot pydantic-core does not validate from its bytes: through a tree of values."""
    from dr_audit.estate import TIMESTAMP, absent_section_gaps
    from dr_audit.inputs import read_json

    estate = Estate._validated(path, read_json(path, "snapshot file", "snapshot", EstateError))
    if why := TIMESTAMP.violation(estate.collected_at):
        raise EstateError(f"{path}: invalid snapshot: collected_at is implausible ({why})")
    estate.gaps.extend(absent_section_gaps(estate))
    return estate


def outcome(load_it: Any, path: Path) -> Any:
    try:
        estate = load_it(path)
    except EstateError as exc:
        return str(exc)
    given = [sorted(model.model_fields_set) for model in _models(estate)]
    return estate.model_dump(mode="json"), given


def _models(value: Any) -> Any:
    if isinstance(value, BaseModel):
        yield value
        for name in type(value).model_fields:
            yield from _models(getattr(value, name))
    elif isinstance(value, list):
        for item in value:
            yield from _models(item)


ODD_VALUES = [None, 0, -1, 1.5, 1.0, True, "x", "", "2026-01-01T00:00:00Z", "1", [], {}, ["x"], {"k": "v"}, 2 ** 40,
              2 ** 70, float("nan"), float("inf"), "NaN"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_a_snapshot_validated_from_its_bytes_is_the_one_validated_from_its_values(tmp_path, scenario, data):
    # Estate.load validates a snapshot straight from its bytes; any difference from the tree of values would be a
    # difference in what a run judges. Each case changes or removes a few values anywhere in a real snapshot.
    document = json.loads(json.dumps(scenario))
    for _ in range(data.draw(st.integers(1, 3))):
        parent, key = None, None
        node: Any = document
        for _ in range(data.draw(st.integers(1, 6))):
            if isinstance(node, dict) and node:
                parent, key = node, data.draw(st.sampled_from(sorted(node)))
            elif isinstance(node, list) and node:
                parent, key = node, data.draw(st.integers(0, len(node) - 1))
            else:
                break
            node = parent[key]
        if parent is None:
            continue
        if isinstance(parent, dict) and data.draw(st.booleans()):
            del parent[key]
        else:
            parent[key] = data.draw(st.sampled_from(ODD_VALUES))
    path = tmp_path / "snapshot.json"
    path.write_text(json.dumps(document, indent=data.draw(st.sampled_from([None, 1]))), encoding="utf-8")
    assert outcome(Estate.load, path) == outcome(tree_load, path)


def test_the_estate_digest_survives_a_snapshot_and_ignores_when_it_was_collected(tmp_path, scenario):
    live = Estate.model_validate(scenario)
    path = tmp_path / "snapshot.json"
    live.save(path)
    loaded = Estate.load(path)
    assert loaded.sha256() == live.sha256()
    assert live.model_copy(update={"collected_at": NOW.replace(year=2025)}).sha256() == live.sha256()
    changed = json.loads(path.read_text())
    changed["cbs"]["disks"][0]["disk_id"] += "x"
    assert load(tmp_path, changed).sha256() != live.sha256()
    # Digested section by section, it is the digest of the estate's JSON as pydantic writes it whole.
    assert live.sha256() == hashlib.sha256(live.model_dump_json(exclude={"collected_at"}).encode()).hexdigest()


def test_an_estate_holding_a_lone_surrogate_still_has_a_digest(scenario):
    # Collectors replace lone surrogates, but a digest is asked of every estate: it must never crash the run.
    document = json.loads(json.dumps(scenario))
    document["cbs"]["disks"][0]["disk_id"] = "disk-\ud800"
    estate = Estate.model_validate(document)
    assert len(estate.sha256()) == 64 and estate.sha256() != Estate.model_validate(scenario).sha256()


NUMBER = "__number__"


def with_number(tmp_path: Path, scenario: dict[str, Any], where: str, number: str) -> Path:
    document = json.loads(json.dumps(scenario))
    if where == "document":
        document["cam"]["policies"][0]["document"]["n"] = [NUMBER]
    elif where == "schedule":
        document["cbs"]["policies"][0]["schedules"][0]["hours"] = [1, NUMBER]
    else:
        document["cbs"]["policies"][0]["retention_days"] = NUMBER
    path = tmp_path / "numbers.json"
    path.write_text(json.dumps(document).replace(f'"{NUMBER}"', number), encoding="utf-8")
    return path


@pytest.mark.parametrize("where", ["document", "schedule", "retention"])
@pytest.mark.parametrize("number", ["NaN", "-Infinity", "1e400", str(2 ** 63), str(-(2 ** 63) - 1), "9" * 30])
def test_a_number_past_the_limits_is_bad_input_wherever_a_snapshot_takes_numbers(tmp_path, scenario, where, number):
    with pytest.raises(EstateError):
        Estate.load(with_number(tmp_path, scenario, where, number))


@pytest.mark.parametrize(("where", "number"), [
    *((where, number) for where in ("document", "schedule", "retention") for number in (str(2 ** 63 - 1), "-7")),
    ("document", str(-(2 ** 63))), ("document", "1e300"), ("document", "-0.5")])
def test_a_number_within_the_limits_loads_wherever_a_snapshot_takes_numbers(tmp_path, scenario, where, number):
    Estate.load(with_number(tmp_path, scenario, where, number))


@pytest.mark.parametrize("breaks", [(("accounts",), 5), (("cbs", "disks"), "x"), (("vpc", "vpcs"), 5), (("gaps",), {})])
def test_a_snapshot_invalid_in_several_places_names_what_validating_it_at_once_names(tmp_path, scenario, breaks):
    # Sections are validated one by one to free the tree as they go; the error named is still the first overall.
    document = json.loads(json.dumps(scenario))
    document["cos"]["buckets"][0]["versioning"] = ["not", "text"]
    document["drills"]["records"] = 7
    (*parents, key), value = breaks
    part = document
    for parent in parents:
        part = part[parent]
    part[key] = value
    with pytest.raises(ValidationError) as at_once:
        Estate.model_validate(document, context={STRICT_SNAPSHOT: True})
    first = ".".join(str(part) for part in at_once.value.errors()[0]["loc"])
    with pytest.raises(EstateError, match=f"invalid snapshot at {re.escape(first)}: "):
        load(tmp_path, document)
