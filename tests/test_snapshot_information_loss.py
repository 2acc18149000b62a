"""Information loss never helps: removing any section or field from the demo snapshot moves no finding to PASS.

The demo snapshot is the one `dr-audit run --demo --save-snapshot` writes (collected from the emulated cloud by the
real collectors). Its key paths are enumerated from the JSON itself, walked alongside the Estate's models so that
free-form values (tags, policy documents, the `unreadable` map) count as one field each rather than as schema.

Sampling: for every distinct key path (list positions folded, e.g. `cbs.disks[].tags`), two variants: the key
removed from every element that has it, and the key removed from one element only (the element whose findings in
the full run are worst, so the single removal lands where a wrong PASS would show). weimob-2020's matrix runs in
parts, by section; the hardened run removes only the paths weimob-2020 does not hold. Each variant is loaded
through `Estate.load` (as `--from-snapshot` does) and evaluated in-process by the engine with the default pack.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, get_args, get_origin

import pytest
from pydantic import BaseModel

from dr_audit.engine import evaluate
from dr_audit.errors import BadInput
from dr_audit.estate import Estate
from dr_audit.findings import Status
from dr_audit.options import RunOptions
from dr_audit.packs import PromisePack, load_pack
from dr_audit.registry import Registry, load_registry
from dr_audit.runner import exit_code_for

Path_ = tuple[str, ...]  # a key path; "[]" stands for "every element of this list"
LIST = "[]"

# How good an exit code is for a CI gate. Only a clean 0 is better than the others: a FAIL may turn ERROR when its
# evidence is removed (so 1 may become 3), and a snapshot rejected as bad input (2) gives no verdict at all.
EXIT_RANK = {0: 0, 1: 1, 3: 1, 2: 1}


# weimob-2020 breaks most promises, so it has FAILs to lose; hardened keeps them all and is the only scenario with
# off-site copies and CCNs, so its run covers those key paths (there the property is that nothing crashes and the
# clean exit stays earned: every PASS it keeps was a PASS before).
SCENARIOS = ("weimob-2020", "hardened")

# What each scenario's full run must give, so the matrix starts from the verdicts it is meant to protect.
EXPECTED_FULL_EXIT = {"weimob-2020": 1, "hardened": 0}

# The weimob-2020 matrix in parts of a few seconds each, by top-level section (so that parallel workers share it);
# "rest" is every other section of the Estate, whatever sections it grows.
PARTS: dict[str, tuple[str, ...]] = {part: (part,) for part in
                                     ("cam", "vpc", "dasb", "cbs", "cos", "cdb", "cvm", "drills", "cloudaudit")}
PARTS["rest"] = tuple(name for name in Estate.model_fields if all(name not in held for held in PARTS.values()))


class Demo:
    """A scenario's demo snapshot, collected once for the module, and its full run's verdicts. The matrix removes
    keys in place and puts them back (a deep copy per variant cost a fifth of the module's time); `text` is the
    snapshot as collected, to prove nothing was left changed."""

    def __init__(self, scenario: str, engine: tuple[Registry, PromisePack], scratch: Path) -> None:
        from dr_audit.demo import demo_estate

        self.text = demo_estate(RunOptions(demo=True, scenario=scenario)).to_json()
        self.snapshot: dict[str, Any] = json.loads(self.text)
        self.full_exit, self.full = judge(self.snapshot, engine, scratch / f"{scenario}.json")
        self.worst = {key[2] for key, status in self.full.items() if status is not Status.PASS}
        self.paths = set(key_paths(self.snapshot, Estate))

    def unchanged(self) -> bool:
        return json.dumps(self.snapshot) == json.dumps(json.loads(self.text))


@pytest.fixture(scope="module")
def engine() -> tuple[Registry, PromisePack]:
    registry = load_registry()
    return registry, load_pack(None, registry)


@pytest.fixture(scope="module")
def demos(engine: tuple[Registry, PromisePack],
          tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Demo]:
    made: dict[str, Demo] = {}
    scratch = tmp_path_factory.mktemp("demo-snapshots")

    def demo(scenario: str) -> Demo:
        if scenario not in made:
            made[scenario] = Demo(scenario, engine, scratch)
        return made[scenario]
    return demo


def model_of(annotation: Any) -> type[BaseModel] | None:
    """The model a field holds directly, optionally or as list items; None for plain and free-form values."""
    if isinstance(annotation, type):
        return annotation if issubclass(annotation, BaseModel) else None
    if get_origin(annotation) is dict:
        return None
    return next((found for arg in get_args(annotation) if (found := model_of(arg)) is not None), None)


def key_paths(data: dict[str, Any], model: type[BaseModel], prefix: Path_ = ()) -> Iterator[Path_]:
    for key, value in data.items():
        path = (*prefix, key)
        yield path
        info = model.model_fields.get(key)
        nested = model_of(info.annotation) if info is not None else None
        if nested is None:
            continue
        if isinstance(value, dict):
            yield from key_paths(value, nested, path)
        elif isinstance(value, list):
            for item in value:
                if isinstance(item, dict):
                    yield from key_paths(item, nested, (*path, LIST))


def holders(data: Any, path: Path_, where: Path_ = ()) -> Iterator[tuple[Path_, dict[str, Any]]]:
    """(concrete position, dict) of every dict that holds the last key of `path`."""
    head, *rest = path
    if head == LIST:
        for n, item in enumerate(data if isinstance(data, list) else []):
            yield from holders(item, tuple(rest), (*where, str(n)))
    elif not rest:
        if isinstance(data, dict) and head in data:
            yield where, data
    elif isinstance(data, dict) and head in data:
        yield from holders(data[head], tuple(rest), (*where, head))


@contextmanager
def removed(snapshot: dict[str, Any], path: Path_, positions: set[Path_]) -> Iterator[dict[str, Any]]:
    """The snapshot without the last key of `path` in the dicts at `positions`; each dict is put back as it was,
    keys in their order, afterwards."""
    saved = [(held, list(held.items())) for pos, held in list(holders(snapshot, path)) if pos in positions]
    for held, _ in saved:
        del held[path[-1]]
    try:
        yield snapshot
    finally:
        for held, items in saved:
            held.clear()
            held.update(items)


def judge(snapshot: dict[str, Any], engine: tuple[Registry, PromisePack],
          tmp: Path) -> tuple[int, dict[tuple[str, str, str, str], Status]]:
    """The exit code and each finding's status, keyed by (check, resource type, id, account), as a CLI run gives."""
    tmp.write_text(json.dumps(snapshot), encoding="utf-8")
    try:
        estate = Estate.load(tmp).model_copy(update={"source": "snapshot"})
    except BadInput:
        return 2, {}
    registry, pack = engine
    findings = evaluate(estate, pack, registry).findings
    statuses: dict[tuple[str, str, str, str], Status] = {}
    for f in findings:
        key = (f.check_id, f.resource.type, f.resource.id, f.resource.account)
        statuses[key] = f.status if key not in statuses or f.status is not Status.PASS else statuses[key]
    return exit_code_for([f.report_dict() for f in findings], RunOptions().fail_on), statuses


def matrix(demo: Demo, paths: list[Path_], engine: tuple[Registry, PromisePack], tmp_path: Path) -> None:
    """Remove each key path everywhere and once; no variant may improve the exit code or move a finding to PASS."""
    started = time.perf_counter()
    assert demo.full_exit in (0, 1) and demo.full
    snapshot, scratch = demo.snapshot, tmp_path / "variant.json"
    variants = 0
    problems: list[str] = []
    for path in paths:
        found = list(holders(snapshot, path))
        # The element whose resource has a FAIL or ERROR in the full run, else the first one.
        single = next((pos for pos, _ in found if _names_any(_resource_at(snapshot, pos), demo.worst)), found[0][0])
        for label, positions in (("everywhere", {pos for pos, _ in found}), ("once", {single})):
            if label == "once" and len(found) == 1:
                continue
            variants += 1
            with removed(snapshot, path, positions) as variant:
                code, statuses = judge(variant, engine, scratch)
            where = ".".join(path) + f" ({label})"
            if EXIT_RANK[code] < EXIT_RANK[demo.full_exit]:
                problems.append(f"{where}: exit {demo.full_exit} -> {code}")
            problems += [f"{where}: {key} {demo.full.get(key, 'absent')} -> PASS"
                         for key, status in statuses.items() if status is Status.PASS and _moved(key, demo.full)]
    elapsed = time.perf_counter() - started
    print(f"\n{len(paths)} of {len(demo.paths)} key paths, {variants} variants judged in {elapsed:.1f} s")
    assert demo.unchanged(), "a variant's removal was not put back: the later variants would judge the wrong file"
    assert not problems, "\n".join(problems[:40]) + f"\n({len(problems)} in all)"


@pytest.mark.parametrize("part", sorted(PARTS))
def test_removing_any_field_of_the_weimob_snapshot_never_moves_a_finding_to_pass(part, demos, engine, tmp_path):
    demo = demos("weimob-2020")
    paths = sorted(path for path in demo.paths if path[0] in PARTS[part])
    assert paths, f"no key path of {PARTS[part]} in the snapshot: the part proves nothing"
    matrix(demo, paths, engine, tmp_path)


def test_removing_any_field_only_the_hardened_snapshot_has_never_moves_a_finding_to_pass(demos, engine, tmp_path):
    # A key path the weimob-2020 matrix removes (it has FAILs to lose) is not removed again from hardened, whose
    # run is there for the paths only it holds.
    demo = demos("hardened")
    paths = sorted(demo.paths - demos("weimob-2020").paths)
    assert paths
    matrix(demo, paths, engine, tmp_path)


def _moved(key: tuple[str, str, str, str], full: dict[tuple[str, str, str, str], Status]) -> bool:
    """Whether a PASS in a variant is one the full run did not give.

    A resource judged only in the variant (say a bucket whose role changed when its source's replication went
    missing) passes on its own fields, which were read; but a new account-wide PASS, such as "0 examined", claims
    something about the whole inventory, so it counts as moved.
    """
    before = full.get(key)
    if before is None:
        return key[1] == "account"
    return before is not Status.PASS


def _resource_at(snapshot: dict[str, Any], position: Path_) -> dict[str, Any]:
    """The resource (an element of a section's inventory) that holds `position`, or {} above that level."""
    if len(position) < 3:
        return {}
    section, inventory, index = position[:3]
    resource = snapshot[section][inventory][int(index)]
    return resource if isinstance(resource, dict) else {}


def _names_any(resource: dict[str, Any], ids: set[str]) -> bool:
    return any(isinstance(value, str) and value in ids for value in resource.values())


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_the_full_demo_snapshots_give_the_scenarios_verdicts(scenario, demos):
    demo = demos(scenario)
    assert demo.full_exit == EXPECTED_FULL_EXIT[scenario]
    statuses = demo.full
    if scenario == "weimob-2020":  # FAILs to lose, and PASSes that must stay earned
        assert Status.FAIL in statuses.values() and Status.PASS in statuses.values()
    else:
        assert set(statuses.values()) == {Status.PASS}


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_every_section_and_inventory_is_enumerated(scenario, demos):
    # The enumeration must reach every section and the fields of the resources inside them, or it proves little.
    demo = demos(scenario)
    paths = demo.paths
    for section, state in demo.snapshot.items():
        if not isinstance(state, dict):
            continue
        assert (section,) in paths
        for inventory, items in state.items():
            assert (section, inventory) in paths
            if items:
                assert any(p[:3] == (section, inventory, LIST) and len(p) == 4 for p in paths), (section, inventory)
