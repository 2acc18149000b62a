"""Plausibility bounds: a value outside its declared range is unknown (ERROR naming field and value), never a PASS.

The bounded fields are found from the models' `Plausible` metadata, and the values to try are generated.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from dr_audit.engine import evaluate
from dr_audit.estate import (
    AccessKey,
    CamUser,
    CbsState,
    CdbState,
    Disk,
    Estate,
    MysqlInstance,
    Plausible,
    Resource,
    SnapshotPolicy,
    SnapshotSchedule,
)
from dr_audit.estate.base import STRICT_SNAPSHOT, _bounds_of, _nested_model
from dr_audit.estate.cdb import BackupConfig
from dr_audit.findings import Status
from dr_audit.packs import load_pack
from dr_audit.scenarios import build

from .conftest import ACCOUNT, NOW, make_estate, run_check

Sample = tuple[str, int, tuple[Any, ...], Plausible]  # (scenario, resource position, path in its dump, bounds)


def _resources(estate: Estate) -> list[Resource]:
    found: list[Resource] = []
    for section in type(estate).model_fields:
        state = getattr(estate, section)
        if isinstance(state, BaseModel):
            for name in type(state).model_fields:
                items = getattr(state, name)
                if isinstance(items, list):
                    found += [item for item in items if isinstance(item, Resource)]
    return found


def _bounded_paths(model: BaseModel, prefix: tuple[Any, ...] = ()) -> list[tuple[tuple[Any, ...], Plausible, type]]:
    """Every bounded field reachable in this model's values: (path, bounds, declaring model)."""
    bounded, _ = _bounds_of(type(model))
    paths = [((*prefix, name), plausible, type(model)) for name, plausible in bounded]
    for name, info in type(model).model_fields.items():
        if _nested_model(info.annotation) is None:
            continue
        value = getattr(model, name)
        if isinstance(value, BaseModel):
            paths += _bounded_paths(value, (*prefix, name))
        elif isinstance(value, list):
            for n, item in enumerate(value[:1]):
                if isinstance(item, BaseModel):
                    paths += _bounded_paths(item, (*prefix, name, n))
    return paths


SCENARIOS = {name: build(name, now=NOW) for name in ("weimob-2020", "hardened")}


def _samples() -> list[Sample]:
    """One occurrence of each bounded field (per declaring model) in the bundled scenarios."""
    seen: set[tuple[type, str]] = set()
    samples: list[Sample] = []
    for scenario, estate in SCENARIOS.items():
        for position, resource in enumerate(_resources(estate)):
            for path, plausible, owner in _bounded_paths(resource):
                if (owner, path[-1]) not in seen:
                    seen.add((owner, path[-1]))
                    samples.append((scenario, position, path, plausible))
    return samples


SAMPLES = _samples()


def declared_bounds() -> set[tuple[type, str]]:
    import dr_audit.estate as estate_models

    found = set()
    for obj in vars(estate_models).values():
        if isinstance(obj, type) and issubclass(obj, BaseModel):
            found |= {(obj, name) for name, _ in _bounds_of(obj)[0]}
    return found


def test_the_scenarios_hold_most_bounded_fields():
    # The generated cases reach only fields the scenarios hold; most must be there or the property proves little.
    reached = {(path[-1] if isinstance(path[-1], str) else path[-2]) for _, _, path, _ in SAMPLES}
    declared = {name for _, name in declared_bounds()}
    assert len(reached & declared) >= 0.75 * len(declared), sorted(declared - reached)


def out_of_range(plausible: Plausible) -> st.SearchStrategy[Any]:
    """Values outside the bounds, of the bounds' own kind."""
    options = []
    if isinstance(plausible.low, datetime) or isinstance(plausible.high, datetime):
        if plausible.low is not None:
            options.append(st.datetimes(max_value=plausible.low.replace(tzinfo=None) - timedelta(seconds=1),
                                        min_value=datetime(1, 1, 2), timezones=st.just(UTC)))
        if plausible.high is not None:
            options.append(st.datetimes(min_value=plausible.high.replace(tzinfo=None) + timedelta(seconds=1),
                                        timezones=st.just(UTC)))
        return st.one_of(options)
    if plausible.low is not None:
        options.append(st.integers(max_value=int(plausible.low) - 1, min_value=-10**30))
    if plausible.high is not None:
        options.append(st.integers(min_value=int(plausible.high) + 1, max_value=10**30))
    return st.one_of(options)


def _set(document: dict[str, Any], path: tuple[Any, ...], value: Any) -> None:
    target: Any = document
    for part in path[:-1]:
        target = target[part]
    current = target[path[-1]]
    target[path[-1]] = [value] if isinstance(current, list) else value


@st.composite
def implausible_cases(draw: st.DrawFn) -> tuple[Sample, Any]:
    sample = draw(st.sampled_from(SAMPLES))
    return sample, draw(out_of_range(sample[3]))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=implausible_cases())
def test_an_out_of_range_value_makes_its_resource_field_unknown(case):
    (scenario, position, path, _), value = case
    resource = _resources(SCENARIOS[scenario])[position]
    document = json.loads(resource.model_dump_json())
    _set(document, path, json.loads(json.dumps(value, default=lambda v: v.isoformat())))
    loaded = type(resource).model_validate(document)
    reason = loaded.unknown(path[0])
    assert reason is not None and "implausible value" in reason, (path, value)


def in_and_around(plausible: Plausible) -> st.SearchStrategy[Any]:
    """Values inside, at, just past and far from the bounds; times naive or in any whole-minute offset."""
    edges = [edge for edge in (plausible.low, plausible.high) if edge is not None]
    if isinstance(edges[0], datetime):
        offsets = st.integers(-23 * 60 - 59, 23 * 60 + 59).map(lambda minutes: timezone(timedelta(minutes=minutes)))
        zones = st.one_of(st.none(), st.just(UTC), offsets)
        anywhere = st.datetimes(min_value=datetime(1000, 1, 1), max_value=datetime(9000, 1, 1), timezones=zones)
        near_edge = st.builds(lambda edge, seconds, zone: (edge + timedelta(seconds=seconds)).astimezone(zone),
                              st.sampled_from(edges), st.integers(-2 * 86400, 2 * 86400), offsets)
        return st.one_of(anywhere, near_edge, st.sampled_from(edges))
    near_edge = st.builds(lambda edge, step: int(edge) + step, st.sampled_from(edges), st.integers(-2, 2))
    return st.one_of(near_edge, st.integers(-10**30, 10**30))


def _dotted(path: tuple[Any, ...]) -> str:
    return "".join(f"[{part}]" if isinstance(part, int) else f".{part}" if n else part for n, part in enumerate(path))


def _value_at(model: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        model = model[part] if isinstance(part, int) else getattr(model, part)
    return model


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sample=st.sampled_from(SAMPLES), data=st.data(), strict=st.booleans())
def test_a_value_is_marked_exactly_when_its_bounds_call_it_implausible(sample, data, strict):
    # The validator compares most values itself rather than asking Plausible.violation; it must agree with it.
    scenario, position, path, plausible = sample
    resource = _resources(SCENARIOS[scenario])[position]
    document = json.loads(resource.model_dump_json())
    assume(path[0] not in document["unreadable"])
    value = data.draw(in_and_around(plausible))
    _set(document, path, value.isoformat() if isinstance(value, datetime) else value)
    loaded = type(resource).model_validate(document, context={STRICT_SNAPSHOT: True} if strict else None)
    why = plausible.violation(_value_at(loaded, path))
    where = "" if len(path) == 1 else f"{_dotted(path)} = "
    assert loaded.unknown(path[0]) == (None if why is None else f"{path[0]}: implausible value {where}{why}")


REGISTRY_PACK: dict[str, Any] = {}


def _judged(estate: Estate) -> dict[tuple[str, str, str], Status]:
    from dr_audit.registry import load_registry

    if not REGISTRY_PACK:
        registry = load_registry()
        REGISTRY_PACK.update(registry=registry, pack=load_pack(None, registry))
    findings = evaluate(estate, REGISTRY_PACK["pack"], REGISTRY_PACK["registry"]).findings
    return {(f.check_id, f.resource.type, f.resource.id): f.status for f in findings}


BASELINES = {name: _judged(estate) for name, estate in SCENARIOS.items()}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=implausible_cases())
def test_an_out_of_range_value_never_moves_a_finding_to_pass(case):
    (scenario, position, path, _), value = case
    estate = SCENARIOS[scenario].model_copy(deep=True)
    resource = _resources(estate)[position]
    document = json.loads(resource.model_dump_json())
    _set(document, path, json.loads(json.dumps(value, default=lambda v: v.isoformat())))
    replacement = type(resource).model_validate(document)
    for name in type(resource).model_fields:
        setattr(resource, name, getattr(replacement, name))
    before = BASELINES[scenario]
    moved = [key for key, status in _judged(estate).items()
             if status is Status.PASS and before.get(key, Status.PASS) is not Status.PASS]
    assert not moved, (path, value, moved)


# ---------------------------------------------------------------------------------------------- examples


def _disk_with(policy: SnapshotPolicy) -> Estate:
    disk = Disk(account=ACCOUNT, region="ap-shanghai", disk_id="disk-1", instance_id="ins-1", policy_ids=["p"])
    return make_estate(cbs=CbsState(disks=[disk], policies=[policy]))


def test_a_retention_of_ten_to_the_thirtieth_days_is_an_error_not_a_pass(registry):
    daily = [SnapshotSchedule(days_of_week=list(range(7)))]
    short = SnapshotPolicy(account=ACCOUNT, policy_id="p", activated=True, schedules=daily, retention_days=3)
    assert [f.status for f in run_check(registry, "cbs_daily_snapshot_policy", _disk_with(short))] == [Status.FAIL]
    inflated = SnapshotPolicy.model_validate({**short.model_dump(), "retention_amount": 10**30})
    findings = run_check(registry, "cbs_daily_snapshot_policy", _disk_with(inflated))
    assert [f.status for f in findings] == [Status.ERROR]
    assert "retention_amount" in findings[0].message and str(10**30) in findings[0].message


def test_an_implausible_backup_retention_is_an_error_naming_field_and_value(registry):
    instance = MysqlInstance(account=ACCOUNT, region="ap-shanghai", instance_id="cdb-1",
                             backup_config=BackupConfig(backup_expire_days=10**30, binlog_expire_days=30))
    findings = run_check(registry, "cdb_backup_retention", make_estate(cdb=CdbState(instances=[instance])))
    assert [f.status for f in findings] == [Status.ERROR]
    assert "backup_config.backup_expire_days" in findings[0].message and str(10**30) in findings[0].message


def test_a_key_last_used_after_the_collection_proves_no_recent_use(registry):
    created = NOW - timedelta(days=400)
    key = AccessKey(key_id="AKID****abcd", status="Active", created_at=created,
                    last_used_at=NOW + timedelta(days=3650))
    user = CamUser(account=ACCOUNT, uin="1", name="ops", access_keys=[key])
    from dr_audit.estate import CamState

    findings = run_check(registry, "cam_access_key_hygiene", make_estate(cam=CamState(users=[user])))
    assert {f.resource.id: f.status for f in findings}["ops"] is Status.ERROR


@pytest.mark.parametrize("moment", [datetime(1970, 1, 1, tzinfo=UTC), datetime(2200, 1, 1, tzinfo=UTC)])
def test_a_timestamp_outside_2000_to_2100_is_unknown(moment):
    key = AccessKey(key_id="AKID****abcd", status="Active", created_at=moment)
    user = CamUser(account=ACCOUNT, uin="1", name="ops", access_keys=[key])
    assert user.unknown("access_keys") is not None and moment.isoformat() in user.unknown("access_keys")
