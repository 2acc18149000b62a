"""Fuzzing every file dr-audit reads: hostile variants of valid bundled examples never crash the CLI.

Each test mutates a valid file (a wrong type at any path, huge integers, deep nesting, impossible dates, odd
unicode, truncation, binary junk, an empty file) and runs the CLI in-process on it. Whatever the file, the exit code
is 0-3 (never 4, dr-audit's own bug), nothing prints a traceback, and bad input is one `dr-audit: error:` line.
FIFOs, directories and devices where a file is expected are tried for every kind of file, without hypothesis.

The example budget is fixed (BUDGET) and the derandomized run is the same on every machine; the whole module runs
in well under two minutes on two cores.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dr_audit.resources import bundled_dir
from dr_audit.scenarios import build

from .conftest import NOW
from .inprocess import cli

ROOT = Path(__file__).resolve().parent.parent
PLAN_JSON = ROOT / "tests" / "fixtures" / "terraform" / "estate.plan.json"
TF_DIR = ROOT / "tests" / "fixtures" / "terraform" / "estate"
WAIVERS = ROOT / "examples" / "ci" / "dr-audit-waivers.yaml"

# Examples per kind of file (nine kinds), at 0.1-0.3 s an example. DR_AUDIT_FUZZ_EXAMPLES raises it for a longer
# hunt on a developer's machine; CI keeps the fixed budget.
BUDGET = int(os.environ.get("DR_AUDIT_FUZZ_EXAMPLES", "25"))
FUZZ = settings(max_examples=BUDGET, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.function_scoped_fixture])
SECONDS_PER_RUN = 60  # a run on a hostile file that takes longer than this is a hang, and fails

# Values that are wrong somewhere: wrong types, edges of numbers, impossible dates, markup and control characters,
# bidi overrides and characters outside the BMP. Sentinels are replaced in the serialized text (see `_expand`).
HOSTILE_VALUES: list[Any] = [
    None, True, False, 0, -1, 2**63, -(2**64), 1.5, -0.0, 1e308, float("nan"), "", "x", "2026-02-30",
    "2026-13-01T25:61:00Z", "1e400", "-1", "9" * 30, "[/]", "[link=https://evil.example]x[/link]",
    "\x1b[2J\x1b]0;t\x07",
    "\u202e\u0000\ufeff", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢", "\ud800x", "a" * 5000, [], {}, [[[[]]]], {"a": {"b": [None]}}, ["x", 1, None],
    "__HUGE_INT__", "__DEEP__", "__BAD_DATE__", "__INF__",
]


def _expand(text: str, fmt: str) -> str:
    """Put into the text what no serializer writes: an integer of 5,000 digits, 100k levels of nesting, 2026-02-30
    unquoted (a YAML date), 1e400."""
    quote = "'" if fmt == "yaml" and "'__" in text else '"'
    deep = "[" * 100_000 + "]" * 100_000
    for sentinel, raw in (("__HUGE_INT__", "9" * 5000), ("__DEEP__", deep), ("__BAD_DATE__", "2026-02-30"),
                          ("__INF__", "1e400")):
        text = text.replace(f"{quote}{sentinel}{quote}", raw).replace(sentinel, raw)
    return text


def _paths(data: Any) -> list[tuple[Any, ...]]:
    found: list[tuple[Any, ...]] = [()]
    stack: list[tuple[Any, tuple[Any, ...]]] = [(data, ())]
    while stack:
        value, path = stack.pop()
        children = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else []
        for key, child in children:
            found.append((*path, key))
            stack.append((child, (*path, key)))
    return found


def _replace(data: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    parent = data
    for key in path[:-1]:
        parent = parent[key]
    parent[path[-1]] = value
    return data


def _dump(data: Any, fmt: str, ascii_only: bool) -> str:
    if fmt == "json":  # as \\uXXXX escapes, a lone surrogate reaches the parser; as UTF-8 it is an encoding error
        return json.dumps(data, ensure_ascii=ascii_only)
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


@st.composite
def hostile_bytes(draw: st.DrawFn, seed: str, fmt: str) -> bytes:
    """A hostile variant of `seed` (JSON or YAML text): values replaced at any paths, then maybe raw damage."""
    parse: Callable[[str], Any] = json.loads if fmt == "json" else yaml.safe_load
    data = parse(seed)
    for _ in range(draw(st.integers(1, 3))):
        paths = _paths(data)
        path = paths[draw(st.integers(0, len(paths) - 1))]
        value = draw(st.sampled_from(HOSTILE_VALUES) | st.text(max_size=12) | st.integers())
        data = _replace(data, path, value)
    text = _expand(_dump(data, fmt, draw(st.booleans())), fmt)
    raw = text.encode("utf-8", errors="surrogatepass")
    damage = draw(st.sampled_from(["none", "none", "truncate", "junk", "empty", "bom", "latin1"]))
    if damage == "truncate":
        raw = raw[:draw(st.integers(0, max(len(raw) - 1, 0)))]
    elif damage == "junk":
        at = draw(st.integers(0, len(raw)))
        raw = raw[:at] + draw(st.binary(min_size=1, max_size=64)) + raw[at:]
    elif damage == "empty":
        raw = b""
    elif damage == "bom":
        raw = b"\xef\xbb\xbf" + raw
    elif damage == "latin1":
        raw = text.encode("latin-1", errors="replace")
    return Drawn(raw)


@st.composite
def hostile_text_bytes(draw: st.DrawFn, seed: str) -> bytes:
    """A hostile variant of a text file with no tree to walk (.tf): lines damaged, nested, cut or replaced."""
    lines = seed.splitlines(keepends=True)
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, len(lines)))
        insert = draw(st.sampled_from([
            "{" * 5000, "}" * 3, 'x = "' + "a" * 5000, "n = " + "9" * 5000 + "\n", "d = 2026-02-30\n",
            'resource "tencentcloud_cbs_storage" "[/]" {\n', "\x00\x1b[2J\u202e\n", "<<EOF\n", "${", "#",
            'resource "tencentcloud_instance" "x" { disks = [[[[[[' + "[" * 2000 + "\n",
        ]) | st.text(max_size=40))
        if draw(st.booleans()) and lines:
            lines[min(at, len(lines) - 1)] = insert
        else:
            lines.insert(at, insert)
    raw = "".join(lines).encode("utf-8", errors="surrogatepass")
    if draw(st.booleans()):
        raw = raw[:draw(st.integers(0, len(raw)))]
    if draw(st.booleans()):
        raw += draw(st.binary(max_size=32))
    return Drawn(raw)


# -- running the CLI ---------------------------------------------------------------------------------------------


def _now() -> str:
    """A step time after the drill opened (a step cannot begin before its drill)."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def run_cli(argv: list[str]) -> tuple[int, str, str]:
    return cli(*argv, seconds=SECONDS_PER_RUN)


def assert_handled(argv: list[str]) -> tuple[int, str]:
    code, out, err = run_cli(argv)
    assert code in (0, 1, 2, 3), f"exit {code} for {argv}: {err[-2000:]}"
    assert "Traceback" not in out and "Traceback" not in err, err[-2000:]
    if code == 2:
        assert err.startswith("dr-audit: error: ") and err.count("\n") == 1, err[-2000:]
    return code, err


# -- the valid seeds and the commands that read each kind of file -------------------------------------------------


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    base = tmp_path_factory.mktemp("fuzz")
    patch = pytest.MonkeyPatch()
    patch.setenv("DR_AUDIT_NO_FORK", "1")  # read plans in this process: one process per example is slower
    patch.delenv("NO_COLOR", raising=False)
    snapshot = base / "seed-snapshot.json"
    build("weimob-2020", NOW).save(snapshot)
    history = base / "history.db"
    report = base / "seed-report.json"
    code, _, err = run_cli(["run", "--from-snapshot", snapshot, "--format", "json", "--output", report,
                            "--history", history])
    assert code in (0, 1, 3), err
    plan = base / "seed-drill-plan.yaml"
    shutil.copy(bundled_dir("reports") / "drill-plan-monthly.yaml", plan)
    code, out, err = run_cli(["drill", "start", plan, "--from-snapshot", snapshot, "--history", history])
    assert code == 0, err
    tf_dir = base / "tf"
    shutil.copytree(TF_DIR, tf_dir)
    yield {"base": base, "snapshot": snapshot, "history": history, "report": report, "drill_plan": plan,
           "drill_id": out.strip().splitlines()[-1], "tf_dir": tf_dir}
    patch.undo()


# Each kind: how to find its valid seed, its format, and the command reading a file of that kind at FILE.
def _commands(w: dict[str, Any]) -> dict[str, tuple[Path, str, Callable[[Path], list[Any]]]]:
    snapshot, history = w["snapshot"], w["history"]
    return {
        "snapshot": (snapshot, "json", lambda f: ["run", "--from-snapshot", f, "--format", "json",
                                                   "--history", history]),
        "plan-json": (PLAN_JSON, "json", lambda f: ["plan", f, "--format", "json"]),
        "report": (w["report"], "json", lambda f: ["diff", f, w["report"], "--format", "json"]),
        "baseline": (w["report"], "json", lambda f: ["run", "--from-snapshot", snapshot, "--format", "json",
                                                     "--baseline", f, "--history", history]),
        "waivers": (WAIVERS, "yaml", lambda f: ["run", "--from-snapshot", snapshot, "--format", "json",
                                                "--waivers", f, "--history", history]),
        "pack": (bundled_dir("policies") / "weimob-2020.yaml", "yaml",
                 lambda f: ["run", "--from-snapshot", snapshot, "--format", "json", "--pack", f,
                            "--history", history]),
        "drill-plan": (w["drill_plan"], "yaml", lambda f: ["drill", "start", f, "--from-snapshot", snapshot,
                                                           "--history", history]),
    }


class Drawn(bytes):
    """Drawn file content whose repr (in hypothesis' failure report) is its start and end, not megabytes."""

    def __repr__(self) -> str:
        return f"<{len(self)} bytes: {bytes(self[:300])!r} ... {bytes(self[-200:])!r}>"


def _fuzz_one(world: dict[str, Any], kind: str, content: bytes) -> None:
    seed, fmt, command = _commands(world)[kind]
    target = world["base"] / f"hostile-{kind}.{fmt}"
    target.write_bytes(content)
    assert_handled(command(target))


def _seed_text(world: dict[str, Any], kind: str) -> tuple[str, str]:
    seed, fmt, _ = _commands(world)[kind]
    return seed.read_text(encoding="utf-8"), fmt


# The strategies need the seed's text, which the module fixture makes; hypothesis draws from it through `data`.


@pytest.mark.parametrize("kind", ["snapshot", "plan-json", "report", "baseline", "waivers", "pack", "drill-plan"])
@FUZZ
@given(data=st.data())
def test_a_hostile_structured_file_is_exit_0_to_3_and_never_a_traceback(world: dict[str, Any], kind: str,
                                                                       data: st.DataObject) -> None:
    seed, fmt = _seed_text(world, kind)
    _fuzz_one(world, kind, data.draw(hostile_bytes(seed, fmt), label="file"))


@FUZZ
@given(data=st.data())
def test_a_hostile_tf_file_is_exit_0_to_3_and_never_a_traceback(world: dict[str, Any], data: st.DataObject) -> None:
    main_tf = world["tf_dir"] / "main.tf"
    seed = (TF_DIR / "main.tf").read_text(encoding="utf-8")
    main_tf.write_bytes(data.draw(hostile_text_bytes(seed), label="main.tf"))
    assert_handled(["plan", world["tf_dir"], "--format", "json"])


@FUZZ
@given(content=st.binary(max_size=2048) | st.sampled_from([b"", b"\x00" * 4096, "é\u202e".encode() * 100]))
def test_any_evidence_file_is_recorded_or_refused_in_one_line(world: dict[str, Any], content: bytes) -> None:
    evidence = world["base"] / "evidence.bin"
    evidence.write_bytes(content)
    assert_handled(["drill", "record", world["drill_id"], "--step", "restore-disk", "--started",
                    _now(), "--finished", _now(), "--outcome", "pass",
                    "--evidence", evidence, "--history", world["history"]])


# -- what is not a regular file ----------------------------------------------------------------------------------


def _not_a_file(base: Path, what: str) -> Path:
    path = base / f"special-{what}"
    if path.exists() or path.is_symlink():
        return path
    if what == "fifo":
        os.mkfifo(path)
    elif what == "directory":
        path.mkdir()
    elif what == "device":
        path.symlink_to("/dev/zero")
    elif what == "missing":
        pass
    return path


@pytest.mark.parametrize("what", ["fifo", "directory", "device", "missing"])
@pytest.mark.parametrize("kind", ["snapshot", "plan-json", "report", "baseline", "waivers", "pack", "drill-plan",
                                  "evidence", "tf"])
def test_a_fifo_directory_or_device_where_a_file_is_expected_is_exit_2(world: dict[str, Any], kind: str,
                                                                         what: str) -> None:
    path = _not_a_file(world["base"], what)
    if kind == "evidence":
        argv: list[Any] = ["drill", "record", world["drill_id"], "--step", "restore-disk", "--started",
                           _now(), "--finished", _now(), "--outcome", "pass",
                           "--evidence", path, "--history", world["history"]]
    elif kind == "tf":
        tf_dir = world["base"] / f"tf-{what}"
        tf_dir.mkdir(exist_ok=True)
        shutil.copy(TF_DIR / "main.tf", tf_dir / "main.tf")
        special = tf_dir / "extra.tf"
        if not (special.exists() or special.is_symlink()):
            if what == "fifo":
                os.mkfifo(special)
            elif what == "device":
                special.symlink_to("/dev/zero")
            elif what == "directory":
                special.mkdir()
        argv = ["plan", tf_dir, "--format", "json"]
    else:
        argv = _commands(world)[kind][2](path)
    code, err = assert_handled(argv)
    if kind == "tf" and what in ("directory", "missing"):
        return  # a directory named *.tf is skipped like any directory, and nothing is missing
    if kind == "plan-json" and what == "directory":
        return  # a directory is a Terraform configuration: read as one (here, an empty one)
    assert code == 2, err
