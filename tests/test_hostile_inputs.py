"""Regression tests for the hostile inputs found in issue 11: each is exit 2 with one line naming the file, flag or
limit, found before any API call, and leaves nothing half-done behind (no run without its outputs or its drill, no
temporary file)."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from dr_audit.history import HistoryStore
from dr_audit.inputs import Limits, read_bytes
from dr_audit.outputs import write_atomic
from dr_audit.resources import bundled_dir
from dr_audit.scenarios import build

from .conftest import NOW
from .inprocess import cli

ROOT = Path(__file__).resolve().parent.parent
PLAN_JSON = ROOT / "tests" / "fixtures" / "terraform" / "estate.plan.json"
TF_DIR = ROOT / "tests" / "fixtures" / "terraform" / "estate"


def refused(*argv: Any, naming: str) -> str:
    """Exit 2, one `dr-audit: error:` line that contains `naming`, no traceback, nothing on stdout."""
    code, out, err = cli(*argv)
    assert code == 2, err
    assert err.startswith("dr-audit: error: ") and err.count("\n") == 1, err
    assert naming in err, err
    assert "Traceback" not in err and out == ""
    return err


@pytest.fixture
def snapshot(tmp_path: Path) -> Path:
    path = tmp_path / "estate.json"
    build("weimob-2020", NOW).save(path)
    return path


@pytest.fixture
def report(tmp_path: Path, snapshot: Path) -> Path:
    path = tmp_path / "report.json"
    code, _, err = cli("run", "--from-snapshot", snapshot, "--format", "json", "--output", path,
                       "--history", tmp_path / "reports.db")
    assert code in (0, 1, 3), err
    return path


@pytest.fixture
def drill_plan(tmp_path: Path) -> Path:
    path = tmp_path / "drill-plan.yaml"
    shutil.copy(bundled_dir("reports") / "drill-plan-monthly.yaml", path)
    return path


def runs_in(store_path: Path) -> list[dict[str, Any]]:
    if not store_path.exists():
        return []
    with HistoryStore.open(store_path) as store:
        return store.list_runs(kind=None)


def drills_in(store_path: Path) -> list[dict[str, Any]]:
    if not store_path.exists():
        return []
    with HistoryStore.open(store_path) as store:
        return store.drills()


# -- JSON: huge integers and deep nesting in every JSON file ------------------------------------------------------


def _json_command(kind: str, path: Path, tmp_path: Path, report: Path) -> list[Any]:
    return {"snapshot": ["run", "--from-snapshot", path, "--history", tmp_path / "h.db"],
            "plan": ["plan", path],
            "report": ["diff", path, report]}[kind]


@pytest.mark.parametrize("kind", ["snapshot", "plan", "report"])
def test_an_integer_of_5000_digits_is_exit_2(tmp_path: Path, report: Path, kind: str) -> None:
    path = tmp_path / "huge.json"
    path.write_text('{"schema_version": 1, "format_version": "1.2", "n": ' + "9" * 5000 + "}")
    refused(*_json_command(kind, path, tmp_path, report), naming="integers must fit in 64 bits")


@pytest.mark.parametrize("kind", ["snapshot", "plan", "report"])
def test_100k_levels_of_nesting_is_exit_2(tmp_path: Path, report: Path, kind: str) -> None:
    path = tmp_path / "deep.json"
    path.write_text('{"schema_version": 1, "format_version": "1.2", "n": ' + "[" * 100_000 + "]" * 100_000 + "}")
    refused(*_json_command(kind, path, tmp_path, report), naming="nested deeper than")


@pytest.mark.parametrize("kind", ["snapshot", "plan", "report"])
def test_nesting_past_the_depth_limit_that_python_could_parse_is_exit_2(tmp_path: Path, report: Path,
                                                                        kind: str) -> None:
    path = tmp_path / "deep.json"
    depth = Limits().depth + 5
    path.write_text('{"schema_version": 1, "format_version": "1.2", "n": ' + "[" * depth + "]" * depth + "}")
    refused(*_json_command(kind, path, tmp_path, report), naming="DR_AUDIT_MAX_DEPTH")


def test_nan_infinity_and_1e400_in_json_are_exit_2(tmp_path: Path, snapshot: Path) -> None:
    for number in ("NaN", "Infinity", "1e400"):
        text = snapshot.read_text().replace('"schema_version": 1', f'"schema_version": 1, "x": {number}', 1)
        path = tmp_path / "numbers.json"
        path.write_text(text)
        refused("run", "--from-snapshot", path, "--history", tmp_path / "h.db", naming=str(path))


# -- impossible dates, numbers out of range -----------------------------------------------------------------------


def test_an_impossible_date_in_waivers_is_exit_2_at_its_line(tmp_path: Path, snapshot: Path) -> None:
    waivers = tmp_path / "waivers.yaml"
    waivers.write_text("waivers:\n- check: cos_versioning_enabled\n  resource: x\n  reason: r\n  owner: o\n"
                       "  approved_by: a\n  expires: 2026-02-30\n")
    refused("run", "--from-snapshot", snapshot, "--waivers", waivers, naming=f"{waivers}:7:")


def test_a_waiver_expiring_in_the_year_9999_is_exit_2(tmp_path: Path, snapshot: Path) -> None:
    waivers = tmp_path / "waivers.yaml"
    waivers.write_text("- check: cos_versioning_enabled\n  resource: x\n  reason: r\n  owner: o\n"
                       "  approved_by: a\n  expires: 9999-12-31\n")
    refused("run", "--from-snapshot", snapshot, "--waivers", waivers, naming="expires")


def test_an_impossible_date_in_a_pack_is_exit_2(tmp_path: Path, snapshot: Path) -> None:
    pack = tmp_path / "pack.yaml"
    pack.write_text("name: t\ntitle: 2026-02-30\nchecks:\n  cos_versioning_enabled: {}\n")
    refused("run", "--from-snapshot", snapshot, "--pack", pack, naming=f"{pack}:2:")


def test_an_impossible_date_in_a_drill_plan_is_exit_2(tmp_path: Path, snapshot: Path, drill_plan: Path) -> None:
    drill_plan.write_text(drill_plan.read_text().replace("kind: monthly", "kind: monthly\nname: 2026-02-30", 1))
    refused("drill", "start", drill_plan, "--from-snapshot", snapshot, "--history", tmp_path / "h.db",
            naming="is not a valid date")


def test_max_waiver_days_of_a_trillion_is_exit_2(tmp_path: Path, snapshot: Path) -> None:
    pack = tmp_path / "pack.yaml"
    pack.write_text("name: t\nmax_waiver_days: 999999999999\nchecks:\n  cos_versioning_enabled: {}\n")
    refused("run", "--from-snapshot", snapshot, "--pack", pack, naming="max_waiver_days")


@pytest.mark.parametrize("value", ["1e400", "'1e400'", "inf", "'nan'", "99999999999"])
def test_a_check_parameter_that_is_infinite_or_absurd_is_exit_2(tmp_path: Path, snapshot: Path, value: str) -> None:
    pack = tmp_path / "pack.yaml"
    pack.write_text(f"name: t\nchecks:\n  cbs_daily_snapshot_policy:\n    params:\n      min_retention_days: {value}\n")
    refused("run", "--from-snapshot", snapshot, "--pack", pack, naming="min_retention_days")


def test_rto_minutes_1e400_is_exit_2_before_collecting_and_records_nothing(tmp_path: Path, snapshot: Path,
                                                                           drill_plan: Path) -> None:
    drill_plan.write_text(re.sub(r"rto_minutes: [0-9.]+", "rto_minutes: 1e400", drill_plan.read_text(), count=1))
    store = tmp_path / "h.db"
    refused("drill", "start", drill_plan, "--from-snapshot", snapshot, "--history", store, naming="rto_minutes")
    assert runs_in(store) == [] and drills_in(store) == []


# -- plans whose parts are of the wrong type ----------------------------------------------------------------------


@pytest.mark.parametrize(("where", "value", "naming"), [
    (("resource_changes",), "oops", "resource_changes: expected a list"),
    (("planned_values",), [], "planned_values"),
    (("planned_values", "root_module", "resources"), {"a": 1}, "planned_values.root_module.resources"),
    (("configuration", "root_module", "module_calls"), "db", "module_calls"),
    (("variables",), {"region": "ap-shanghai"}, "variables.region"),
])
def test_a_plan_section_of_the_wrong_type_is_exit_2_naming_it(tmp_path: Path, where: tuple[str, ...], value: Any,
                                                               naming: str) -> None:
    plan = json.loads(PLAN_JSON.read_text())
    parent = plan
    for key in where[:-1]:
        parent = parent[key]
    parent[where[-1]] = value
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(plan))
    refused("plan", path, naming=naming)


def test_a_resource_attribute_of_a_type_terraform_never_writes_is_exit_2(tmp_path: Path) -> None:
    plan = json.loads(PLAN_JSON.read_text())
    for resource in plan["prior_state"]["values"]["root_module"]["resources"]:
        if resource["values"].get("object_lock_configuration"):
            resource["values"]["object_lock_configuration"] = [{"enabled": True, "rule": True}]
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(plan))
    refused("plan", path, naming="a resource attribute holds a value of a type Terraform does not write")


# -- outputs and drivers checked before any API call --------------------------------------------------------------


@pytest.fixture
def endpoint(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, socket.socket]]:
    """A listening socket standing for the cloud: any API call would leave a connection in its backlog."""
    monkeypatch.setenv("TENCENTCLOUD_SECRET_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("TENCENTCLOUD_SECRET_KEY", "example-key")
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    server.setblocking(False)
    yield f"http://127.0.0.1:{server.getsockname()[1]}", server
    server.close()


def no_connection_was_made(server: socket.socket) -> bool:
    try:
        connection, _ = server.accept()
    except BlockingIOError:
        return True
    connection.close()
    return False


@pytest.mark.parametrize(("flag", "target", "naming"), [
    ("--output", "missing/report.json", "does not exist"),
    ("--output", "a-directory", "is a directory"),
    ("--save-snapshot", "missing/estate.json", "does not exist"),
    ("--save-snapshot", "a-directory", "is a directory"),
    ("--output-dir", "a-file/reports", "is not a directory"),
    ("--output-dir", "a-file", "is not a directory"),
])
def test_an_unwritable_output_is_exit_2_before_any_api_call(tmp_path: Path, endpoint: tuple[str, socket.socket],
                                                            flag: str, target: str, naming: str) -> None:
    url, server = endpoint
    (tmp_path / "a-directory").mkdir()
    (tmp_path / "a-file").write_text("x")
    extra = ["--format", "json", "--format", "csv"] if flag == "--output-dir" else []
    refused("run", "--endpoint-url", url, "--cos-endpoint-url", url, "--region", "ap-shanghai",
            flag, tmp_path / target, *extra, "--history", tmp_path / "h.db", naming=flag)
    assert no_connection_was_made(server)
    assert runs_in(tmp_path / "h.db") == []
    assert not list(tmp_path.rglob("*.tmp"))


def test_an_output_on_a_filesystem_that_takes_no_files_is_exit_2(tmp_path: Path, snapshot: Path) -> None:
    refused("run", "--from-snapshot", snapshot, "--output-dir", "/proc/dr-audit", "--history", tmp_path / "h.db",
            naming="--output-dir /proc/dr-audit")


@pytest.mark.parametrize("command", ["diff", "drill-report", "plan"])
def test_other_commands_check_their_output_before_reading(tmp_path: Path, report: Path, command: str) -> None:
    missing = tmp_path / "missing" / "out.txt"
    argv: list[Any] = {"diff": ["diff", report, report, "--output", missing],
                       "drill-report": ["drill", "report", "drill-none", "--output", missing,
                                        "--history", tmp_path / "h.db"],
                       "plan": ["plan", PLAN_JSON, "--output", missing]}[command]
    refused(*argv, naming="--output")


def test_a_history_url_without_its_driver_is_exit_2_before_any_api_call(endpoint: tuple[str, socket.socket],
                                                                        tmp_path: Path) -> None:
    url, server = endpoint
    err = refused("run", "--endpoint-url", url, "--cos-endpoint-url", url, "--region", "ap-shanghai",
                  "--history-url", "mysql://auditor:s3cret@db.example/audit", naming="'mysql' is not supported")
    assert "s3cret" not in err
    assert no_connection_was_made(server)


def test_a_plan_recorded_in_a_store_without_its_driver_is_exit_2(tmp_path: Path) -> None:
    refused("plan", PLAN_JSON, "--history-url", "mysql://u@h/db", naming="'mysql' is not supported")


# -- what is not a regular file: FIFOs, devices ------------------------------------------------------------------


@pytest.fixture
def fifo(tmp_path: Path) -> Path:
    path = tmp_path / "fifo"
    os.mkfifo(path)
    return path


def test_a_fifo_as_snapshot_is_exit_2_not_a_hang(tmp_path: Path, fifo: Path) -> None:
    refused("run", "--from-snapshot", fifo, "--history", tmp_path / "h.db", naming="not a regular file")


def test_a_fifo_as_a_tf_file_is_exit_2_not_a_hang(tmp_path: Path) -> None:
    tf_dir = tmp_path / "tf"
    shutil.copytree(TF_DIR, tf_dir)
    os.mkfifo(tf_dir / "extra.tf")
    refused("plan", tf_dir, naming="extra.tf: is not a regular file")


@pytest.fixture
def drill_id(tmp_path: Path, snapshot: Path, drill_plan: Path) -> str:
    code, out, err = cli("drill", "start", drill_plan, "--from-snapshot", snapshot, "--history", tmp_path / "h.db")
    assert code == 0, err
    return out.strip().splitlines()[-1]


@pytest.mark.parametrize("evidence", ["fifo", "/dev/zero", "/dev/urandom"])
def test_evidence_that_is_a_fifo_or_a_device_is_exit_2(tmp_path: Path, drill_id: str, fifo: Path,
                                                       evidence: str) -> None:
    path = fifo if evidence == "fifo" else Path(evidence)
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")  # the step ran after the drill opened
    refused("drill", "record", drill_id, "--step", "restore-disk", "--started", now,
            "--finished", now, "--outcome", "pass", "--evidence", path,
            "--history", tmp_path / "h.db", naming=f"--evidence {path}: is not a regular file")


# -- memory: long strings, large files ----------------------------------------------------------------------------


def test_a_4mb_account_id_is_refused_by_the_string_limit(tmp_path: Path, snapshot: Path) -> None:
    data = json.loads(snapshot.read_text())
    data["accounts"] = ["1" * 4_000_000]
    snapshot.write_text(json.dumps(data))
    refused("run", "--from-snapshot", snapshot, "--history", tmp_path / "h.db", naming="DR_AUDIT_MAX_STRING_CHARS")


def test_an_id_past_the_name_limit_is_refused_and_the_limit_can_be_raised(tmp_path: Path, snapshot: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    data = json.loads(snapshot.read_text())
    long_id = "disk-" + "x" * 2000
    data["cbs"]["disks"][0]["disk_id"] = long_id
    snapshot.write_text(json.dumps(data))
    refused("run", "--from-snapshot", snapshot, "--history", tmp_path / "h.db", naming="DR_AUDIT_MAX_NAME_CHARS")
    monkeypatch.setenv("DR_AUDIT_MAX_NAME_CHARS", "4096")
    code, out, err = cli("run", "--from-snapshot", snapshot, "--format", "json", "--history", tmp_path / "h.db")
    assert code in (0, 1, 3), err
    assert long_id in out


def test_a_snapshot_over_the_size_limit_is_refused_and_the_limit_can_be_raised(
        tmp_path: Path, snapshot: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Whitespace pads the file past 1 MB without changing what it says.
    snapshot.write_text(snapshot.read_text() + " " * (1024 * 1024 + 1))
    monkeypatch.setenv("DR_AUDIT_MAX_FILE_MB", "1")
    refused("run", "--from-snapshot", snapshot, "--history", tmp_path / "h.db",
            naming="larger than the limit of 1 MB (raise it with DR_AUDIT_MAX_FILE_MB)")
    monkeypatch.setenv("DR_AUDIT_MAX_FILE_MB", "2")
    code, _, err = cli("run", "--from-snapshot", snapshot, "--format", "json", "--history", tmp_path / "h.db")
    assert code in (0, 1, 3), err


def test_a_limit_that_is_not_a_number_is_exit_2(tmp_path: Path, snapshot: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DR_AUDIT_MAX_FILE_MB", "lots")
    refused("run", "--from-snapshot", snapshot, "--history", tmp_path / "h.db", naming="DR_AUDIT_MAX_FILE_MB")


def test_a_yaml_alias_bomb_is_refused(tmp_path: Path, snapshot: Path) -> None:
    lines = ["name: t", "a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 9)]
    pack = tmp_path / "bomb.yaml"
    pack.write_text("\n".join(lines) + "\n")
    refused("run", "--from-snapshot", snapshot, "--pack", pack, naming="more than")


def test_a_file_growing_past_the_limit_while_read_is_cut_at_the_limit(tmp_path: Path) -> None:
    path = tmp_path / "f.json"
    path.write_bytes(b"x" * 100)
    assert read_bytes(path, "file", limit=100) == b"x" * 100
    path.write_bytes(b"x" * 101)
    with pytest.raises(Exception, match="larger than the limit"):
        read_bytes(path, "file", limit=100)


# -- diff reports -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("change", "naming"), [
    (lambda r: r["findings"][0].update(status="BOGUS"), "status 'BOGUS'"),
    (lambda r: r.update(schema_version=True), "schema_version 1"),
    (lambda r: r["findings"][0].update(severity="apocalyptic"), "severity 'apocalyptic'"),
    (lambda r: r["findings"][0].update(status=["FAIL"]), "status"),
    (lambda r: r["findings"][0].update(resource="disk-1"), "resource is not an object"),
])
def test_a_report_with_values_dr_audit_never_writes_is_exit_2(tmp_path: Path, report: Path, change: Any,
                                                              naming: str) -> None:
    data = json.loads(report.read_text())
    change(data)
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(data))
    refused("diff", bad, report, naming=naming)
    refused("diff", report, bad, naming=naming)


# -- atomic runs --------------------------------------------------------------------------------------------------


def test_a_run_whose_outputs_cannot_be_written_is_not_recorded(tmp_path: Path, snapshot: Path) -> None:
    out_dir = tmp_path / "reports"
    (out_dir / "dr-audit.json").mkdir(parents=True)  # the directory takes files, but not this one
    store = tmp_path / "h.db"
    refused("run", "--from-snapshot", snapshot, "--format", "csv", "--format", "json", "--output-dir", out_dir,
            "--history", store, naming="dr-audit.json")
    assert runs_in(store) == []
    assert not list(out_dir.rglob("*.tmp"))


def test_a_run_that_writes_its_outputs_is_recorded_once_with_its_trend(tmp_path: Path, snapshot: Path) -> None:
    store = tmp_path / "h.db"
    for _ in range(2):
        code, _, err = cli("run", "--from-snapshot", snapshot, "--format", "html", "--output", tmp_path / "r.html",
                           "--history", store)
        assert code in (0, 1, 3), err
    runs = runs_in(store)
    assert len(runs) == 2
    # The chart shows the stored run and this one: its label spans two runs.
    assert "over the last 2 runs" in (tmp_path / "r.html").read_text()


def test_a_drill_start_that_fails_to_open_its_drill_leaves_no_run(tmp_path: Path, snapshot: Path,
                                                                  drill_plan: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from dr_audit.history.store import HistoryUnavailable

    def refuse(*_: Any, **__: Any) -> Any:
        raise HistoryUnavailable("history store: cannot open the drill: disk full")

    store = tmp_path / "h.db"
    HistoryStore.open(store).close()
    monkeypatch.setattr(HistoryStore, "_append", refuse)
    refused("drill", "start", drill_plan, "--from-snapshot", snapshot, "--history", store, naming="disk full")
    monkeypatch.undo()
    assert runs_in(store) == [] and drills_in(store) == []


def test_save_snapshot_into_a_directory_leaves_no_temporary_file(tmp_path: Path, snapshot: Path) -> None:
    target = tmp_path / "snapshots"
    target.mkdir()
    refused("run", "--from-snapshot", snapshot, "--save-snapshot", target, "--history", tmp_path / "h.db",
            naming="--save-snapshot")
    assert list(tmp_path.glob("*.tmp")) == [] and list(target.iterdir()) == []


def test_a_write_that_fails_midway_leaves_the_old_file_and_no_temporary_file(tmp_path: Path) -> None:
    path = tmp_path / "report.txt"
    path.write_text("old")
    with pytest.raises(UnicodeEncodeError):
        write_atomic(path, "new \ud800 text")  # a lone surrogate cannot be written as UTF-8
    assert path.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.txt"]


def test_an_atomic_write_keeps_the_permissions_a_plain_write_would_give(tmp_path: Path) -> None:
    path = tmp_path / "new.txt"
    write_atomic(path, "x")
    umask = os.umask(0o022)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask
    path.chmod(0o640)
    write_atomic(path, "y")
    assert path.stat().st_mode & 0o777 == 0o640 and path.read_text() == "y"


def test_a_fifo_as_signing_key_is_exit_2_not_a_hang(tmp_path: Path, drill_id: str, fifo: Path) -> None:
    refused("drill", "sign", drill_id, "--by", "someone", "--role", "owner", "--key", fifo,
            "--history", tmp_path / "h.db", naming="key file")


def test_evidence_over_its_limit_is_refused_naming_the_variable_that_raises_it(
        tmp_path: Path, drill_id: str, monkeypatch: pytest.MonkeyPatch) -> None:
    evidence = tmp_path / "restore.log"
    evidence.write_bytes(b"x" * (1024 * 1024 + 1))
    monkeypatch.setenv("DR_AUDIT_MAX_EVIDENCE_MB", "1")
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    refused("drill", "record", drill_id, "--step", "restore-disk", "--started", now, "--finished", now,
            "--outcome", "pass", "--evidence", evidence, "--history", tmp_path / "h.db",
            naming="larger than the limit of 1 MB (raise it with DR_AUDIT_MAX_EVIDENCE_MB)")


def test_a_fifo_in_a_checks_directory_is_exit_2_not_a_hang(tmp_path: Path, snapshot: Path) -> None:
    checks = tmp_path / "checks"
    checks.mkdir()
    os.mkfifo(checks / "acme.py")
    refused("run", "--from-snapshot", snapshot, "--checks-dir", checks, "--history", tmp_path / "h.db",
            naming="acme.py: is not a regular file")


def test_a_credentials_file_that_is_not_utf8_is_exit_2_without_its_bytes(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "home"
    (home / ".tencentcloud").mkdir(parents=True)
    (home / ".tencentcloud" / "credentials").write_bytes(b"[default]\nsecret_id = AKID\xff\xfe\nsecret_key = k\n")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("TENCENTCLOUD_SECRET_ID", raising=False)
    monkeypatch.delenv("TENCENTCLOUD_SECRET_KEY", raising=False)
    err = refused("run", "--endpoint-url", "http://127.0.0.1:9", "--region", "ap-shanghai",
                  "--history", tmp_path / "h.db", naming="cannot read credentials file: UnicodeDecodeError")
    assert "AKID" not in err


def test_an_atomic_write_through_a_symlink_updates_its_target(tmp_path: Path) -> None:
    target = tmp_path / "reports" / "latest.txt"
    target.parent.mkdir()
    target.write_text("old")
    link = tmp_path / "report.txt"
    link.symlink_to(target)
    write_atomic(link, "new")
    assert link.is_symlink() and target.read_text() == "new"


def test_an_integer_of_5000_digits_in_a_tf_file_is_exit_2(tmp_path: Path) -> None:
    tf_dir = tmp_path / "tf"
    shutil.copytree(TF_DIR, tf_dir)
    (tf_dir / "huge.tf").write_text("locals {\n  n = " + "9" * 5000 + "\n}\n")
    refused("plan", tf_dir, naming="huge.tf")
