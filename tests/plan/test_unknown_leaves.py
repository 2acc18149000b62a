"""Unknown values decide only what reads them: a plan that knows less never passes more.

The property: making any one value of a resource's planned `after` unknown until apply (as Terraform shows it: the
value dropped from `after` and `planned_values`, `true` at its path in `after_unknown`) never moves a finding to
PASS from FAIL or ERROR, and never improves the exit status. The same holds for .tf input when one written value is
an unresolved variable.
"""

from __future__ import annotations

import contextlib
import copy
import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dr_audit.collect.hcl import directory_resources, parse_files
from dr_audit.collect.planinput import PlanInput
from dr_audit.collect.tfinput import plan_index, plan_resources
from dr_audit.findings import Severity, Status
from dr_audit.packs import load_pack
from dr_audit.plan import build_estates, evaluate_plan
from dr_audit.registry import load_registry
from dr_audit.runner import exit_code_for

from .helpers import ESTATE_TF, FIXTURES, PACK

PLANS = sorted(FIXTURES.glob("*.plan.json"))
Path_ = tuple[str | int, ...]


@cache
def _judge() -> tuple[Any, Any]:
    registry = load_registry()
    return registry, load_pack(PACK, registry)


def outcome(plan: dict[str, Any]) -> tuple[dict[str, tuple[Status, str]], int]:
    """(finding id -> (status, check), exit code at --fail-on high) of `dr-audit plan` on this plan, in-process."""
    registry, pack = _judge()
    index = plan_index(plan)
    before = plan_resources(plan, prior=True, index=index) if plan.get("prior_state") else []
    estates = build_estates(PlanInput(plan_resources(plan, index=index), before, "plan.json"))
    findings = evaluate_plan(estates, pack, registry).findings
    code = exit_code_for(({"status": f.status, "severity": f.severity.value} for f in findings), Severity.HIGH)
    return {f.id: (f.status, f.check_id) for f in findings}, code


def _planned(plan: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Each planned resource's record (address -> the dict holding `values`), child modules included."""
    found: dict[str, dict[str, Any]] = {}

    def walk(module: dict[str, Any]) -> None:
        for resource in module.get("resources") or []:
            found[resource["address"]] = resource
        for child in module.get("child_modules") or []:
            walk(child)

    walk((plan.get("planned_values") or {}).get("root_module") or {})
    return found


def value_paths(value: Any, path: Path_ = ()) -> list[Path_]:
    """Every path inside `value`: leaves, and the lists and objects holding them (any of which may be unknown)."""
    found: list[Path_] = [path] if path else []
    if isinstance(value, dict):
        for key, item in value.items():
            found.extend(value_paths(item, (*path, key)))
    elif isinstance(value, list):
        for position, item in enumerate(value):
            found.extend(value_paths(item, (*path, position)))
    return found


def leaf_choices(plan: dict[str, Any]) -> list[tuple[str, Path_]]:
    """(resource address, path in its values) for every value of every managed resource the plan creates or keeps."""
    return [(address, path) for address, resource in _planned(plan).items() if resource.get("mode") == "managed"
            for path in value_paths(resource.get("values") or {})]


def _drop(values: Any, path: Path_) -> None:
    """Remove the value at `path` as Terraform's JSON does: an object drops the key, a list keeps a null."""
    parent = values
    for key in path[:-1]:
        parent = parent[key]
    if isinstance(parent, dict):
        parent.pop(path[-1], None)
    else:
        parent[path[-1]] = None


def _mark_unknown(after_unknown: dict[str, Any], values: dict[str, Any], path: Path_) -> None:
    """Set `true` at `path` of `after_unknown`, building the objects and lists on the way in the values' shape."""
    node: Any = after_unknown
    shape: Any = values
    for key in path[:-1]:
        shape = shape[key]
        child = node[key] if isinstance(node, list) else node.get(key)
        if child is True:
            return  # already unknown as a whole
        if not isinstance(child, dict | list):
            child = [False] * len(shape) if isinstance(shape, list) else {}
            node[key] = child
        node = child
    node[path[-1]] = True


def with_unknown(plan: dict[str, Any], address: str, path: Path_) -> dict[str, Any]:
    """A copy of `plan` where the value at `path` of `address`'s planned values is unknown until apply."""
    changed = copy.deepcopy(plan)
    planned = _planned(changed)[address]
    values = planned.setdefault("values", {})
    original = copy.deepcopy(values)
    _drop(values, path)
    change = next((c.setdefault("change", {}) for c in changed.get("resource_changes") or []
                   if c.get("address") == address), None)
    if change is None:
        change = {"actions": ["create"], "after": copy.deepcopy(original)}
        changed.setdefault("resource_changes", []).append({"address": address, "change": change})
    # `after` may lack what planned_values holds; the planned values are what is read.
    with contextlib.suppress(KeyError, IndexError, TypeError):
        _drop(change["after"], path)
    unknown = change.get("after_unknown")
    if not isinstance(unknown, dict):
        unknown = change["after_unknown"] = {}
    _mark_unknown(unknown, original, path)
    return changed


@cache
def _fixture(path: Path) -> str:
    return path.read_text()


def load(path: Path) -> dict[str, Any]:
    return json.loads(_fixture(path))


@cache
def _original(path: Path) -> tuple[tuple[tuple[str, tuple[Status, str]], ...], int]:
    statuses, code = outcome(load(path))
    return tuple(statuses.items()), code


def assert_no_gain(path: Path, address: str, leaf: Path_) -> None:
    before, before_code = _original(path)
    after, after_code = outcome(with_unknown(load(path), address, leaf))
    where = f"{path.name}: {address} {'.'.join(map(str, leaf))} unknown"
    # A finding may leave only when its check still answers FAIL or ERROR elsewhere: an application's finding gives
    # way to an ERROR on the instance whose tags (so whose application) became unknown.
    still_judged = {check for status, check in after.values() if status is not Status.PASS}
    gained = [f"{finding} {check} {status.value} -> {after[finding][0].value if finding in after else 'absent'}"
              for finding, (status, check) in before if status is not Status.PASS
              and (after[finding][0] is Status.PASS if finding in after else check not in still_judged)]
    assert not gained, f"{where}: {gained}"
    # FAIL (1) may become ERROR (3) when the unknown value decides it; nothing may become clean.
    assert not (before_code != 0 and after_code == 0), f"{where}: exit {before_code} -> {after_code}"


CHOICES = [(plan, address, leaf) for plan in PLANS for address, leaf in leaf_choices(load(plan))]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(CHOICES))
def test_an_unknown_leaf_never_moves_a_finding_to_pass(choice: tuple[Path, str, Path_]) -> None:
    assert_no_gain(*choice)


# Every value of every fixture in turn costs seconds: sweep them all, one test per resource.
@pytest.mark.parametrize(("plan", "address"), sorted({(p, a) for p, a, _ in CHOICES}),
                         ids=lambda item: item.name if isinstance(item, Path) else item)
def test_every_value_of_every_fixture_unknown_in_turn(plan: Path, address: str) -> None:
    for leaf in value_paths(_planned(load(plan))[address].get("values") or {}):
        assert_no_gain(plan, address, leaf)


# --- .tf input: an unresolved variable in any one place of any resource block -----------------------------------

UNSET = "${var.not_set_anywhere}"  # a variable no file declares: unknown until apply


def _tf_outcome(parsed: dict[str, Any]) -> tuple[dict[str, tuple[Status, str]], int]:
    registry, pack = _judge()
    estates = build_estates(PlanInput(directory_resources(ESTATE_TF, parsed), None, str(ESTATE_TF)))
    findings = evaluate_plan(estates, pack, registry).findings
    code = exit_code_for(({"status": f.status, "severity": f.severity.value} for f in findings), Severity.HIGH)
    return {f.id: (f.status, f.check_id) for f in findings}, code


@cache
def _tf_parsed() -> dict[str, Any]:
    return parse_files(sorted(ESTATE_TF.rglob("*.tf")))


def _tf_places() -> list[tuple[str, int, Path_]]:
    """(file, resource block, path in its body) of every written value of every resource block."""
    places = []
    for file, (data, _) in _tf_parsed().items():
        for position, block in enumerate(data.get("resource") or []):
            places += [(file, position, path) for path in value_paths(block)
                       if not any(isinstance(k, str) and k.startswith("__") for k in path) and len(path) > 2]
    return places


def _tf_with_unset(file: str, position: int, path: Path_) -> dict[str, Any]:
    parsed = copy.deepcopy(_tf_parsed())
    node = parsed[file][0]["resource"][position]
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = UNSET
    return parsed


TF_PLACES = _tf_places()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(TF_PLACES))
def test_an_unresolved_variable_in_one_tf_value_never_moves_a_finding_to_pass(
        place: tuple[str, int, Path_]) -> None:
    before, before_code = _tf_outcome(_tf_parsed())
    after, after_code = _tf_outcome(_tf_with_unset(*place))
    still_judged = {check for status, check in after.values() if status is not Status.PASS}
    gained = [f"{finding} {check}" for finding, (status, check) in before.items() if status is not Status.PASS
              and (after[finding][0] is Status.PASS if finding in after else check not in still_judged)]
    assert not gained, f"{place}: {gained}"
    assert not (before_code != 0 and after_code == 0), f"{place}: exit {before_code} -> {after_code}"
