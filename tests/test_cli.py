"""The CLI contract: exit codes, one-line errors for bad input, JSON on stdout, custom checks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from dr_audit.cli import main
from dr_audit.estate import CbsState, Disk, SnapshotPolicy, SnapshotSchedule

from .conftest import ACCOUNT, gap, make_estate

CUSTOM_CHECK = '''
from dr_audit.api import CheckParams, Result, check, account_ref


class Params(CheckParams):
    limit: int = 1


@check(id="acme_disk_budget", title="Few disks", promise="W2.3", severity="low", remediation="Remove disks.",
       requires=("cbs",))
def disk_budget(estate, params: Params):
    for account in estate.accounts:
        count = len(estate.cbs.disks)
        yield (Result.fail if count > params.limit else Result.ok)(account_ref(account), f"{count} disks")
'''


def write_pack(tmp_path: Path, *check_ids: str, extra: str = "") -> Path:
    lines = ["name: t", "checks:"] + [f"  {c}: {{}}" for c in check_ids]
    path = tmp_path / "pack.yaml"
    path.write_text("\n".join(lines) + "\n" + extra)
    return path


def snapshot(tmp_path: Path, **parts) -> Path:
    path = tmp_path / "estate.json"
    make_estate(**parts).save(path)
    return path


def good_disks() -> CbsState:
    daily = SnapshotSchedule(days_of_week=list(range(7)))
    return CbsState(
        disks=[Disk(account=ACCOUNT, region="ap-shanghai", disk_id="disk-1", instance_id="ins-1", policy_ids=["asp"])],
        policies=[SnapshotPolicy(account=ACCOUNT, region="ap-shanghai", policy_id="asp", activated=True,
                                 schedules=[daily], retention_days=7)],
    )


def one_line_error(capsys, code: int, argv: list[str]) -> str:
    assert main(argv) == code
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("dr-audit: error: ") and "Traceback" not in err
    return err


@pytest.mark.parametrize("content, expected", [
    (None, "no such snapshot file"),
    ("{not json", "not a JSON snapshot"),
    ('{"schema_version": 99}', "schema_version 99"),
    ('{"schema_version": 1, "cbs": {"disks": [{"nope": 1}]}}', "invalid snapshot at cbs.disks.0"),
])
def test_bad_snapshots_are_one_line_and_exit_2(tmp_path, capsys, content, expected):
    path = tmp_path / "estate.json"
    if content is not None:
        path.write_text(content)
    pack = write_pack(tmp_path, "cbs_daily_snapshot_policy")
    assert expected in one_line_error(capsys, 2, ["run", "--pack", str(pack), "--from-snapshot", str(path)])


@pytest.mark.parametrize("body, expected", [
    ("name: t\nchecks:\n  no_such_check: {}\n", "checks.no_such_check: unknown check id"),
    ("name: t\nchecks:\n  cbs_daily_snapshot_policy:\n    params: {min_retention_days: lots}\n",
     "checks.cbs_daily_snapshot_policy.params.min_retention_days"),
    ("name: t\nchecks: [\n", "not valid YAML"),
    ("name: t\nsurprise: 1\n", "surprise: Extra inputs are not permitted"),
])
def test_invalid_packs_name_file_and_field(tmp_path, capsys, body, expected):
    pack = tmp_path / "pack.yaml"
    pack.write_text(body)
    err = one_line_error(capsys, 2, ["pack", "validate", str(pack)])
    assert str(pack) in err and expected in err


def test_bad_flags_and_unknown_check_ids_exit_2(tmp_path, capsys):
    path = snapshot(tmp_path, cbs=good_disks())
    pack = write_pack(tmp_path, "cbs_daily_snapshot_policy")
    assert "--fail-on" in one_line_error(capsys, 2, ["run", "--from-snapshot", str(path), "--fail-on", "bogus"])
    assert "unknown check id" in one_line_error(
        capsys, 2, ["run", "--pack", str(pack), "--from-snapshot", str(path), "--check", "nope"])
    assert "cannot be combined" in one_line_error(
        capsys, 2, ["run", "--pack", str(pack), "--from-snapshot", str(path), "--demo"])


def test_exit_codes_follow_the_contract(tmp_path, capsys):
    pack = str(write_pack(tmp_path, "cbs_daily_snapshot_policy"))
    clean = snapshot(tmp_path, cbs=good_disks())
    assert main(["run", "--pack", pack, "--from-snapshot", str(clean)]) == 0
    failing = good_disks()
    failing.disks[0].policy_ids = []
    path = snapshot(tmp_path, cbs=failing)
    assert main(["run", "--pack", pack, "--from-snapshot", str(path)]) == 1
    assert main(["run", "--pack", pack, "--from-snapshot", str(path), "--fail-on", "critical"]) == 0
    unreadable = snapshot(tmp_path, cbs=good_disks(), gaps=[gap("cbs")])
    assert main(["run", "--pack", pack, "--from-snapshot", str(unreadable)]) == 3
    capsys.readouterr()


def test_json_goes_alone_to_stdout_and_follows_the_schema(tmp_path, capsys):
    pack = str(write_pack(tmp_path, "cbs_daily_snapshot_policy"))
    path = snapshot(tmp_path, cbs=good_disks(), gaps=[gap("cbs", region="ap-beijing")])
    assert main(["run", "--pack", pack, "--from-snapshot", str(path), "--format", "json"]) == 3
    report = json.loads(capsys.readouterr().out)
    assert report["schema_version"] == 1 and report["run"]["source"] == "snapshot"
    assert set(report["run"]) >= {"pack", "pack_sha256", "started_at", "finished_at", "accounts", "regions",
                                  "estate_sha256"}
    assert report["summary"] == {"PASS": 1, "FAIL": 0, "ERROR": 1, "WAIVED": 0, "MANUAL": 0}
    for finding in report["findings"]:
        assert set(finding) >= {"id", "check_id", "status", "severity", "promise", "resource", "message",
                                "remediation", "evidence"}


def test_custom_checks_load_from_a_directory(tmp_path, capsys):
    checks_dir = tmp_path / "mychecks"
    checks_dir.mkdir()
    (checks_dir / "budget.py").write_text(CUSTOM_CHECK)
    pack = str(write_pack(tmp_path, "acme_disk_budget"))
    path = snapshot(tmp_path, cbs=good_disks())
    code = main(["run", "--pack", pack, "--from-snapshot", str(path), "--checks-dir", str(checks_dir),
                 "--format", "json", "--fail-on", "low", "--params-not-a-flag"][:-1])
    report = json.loads(capsys.readouterr().out)
    assert code == 0 and [f["check_id"] for f in report["findings"]] == ["acme_disk_budget"]


def test_a_broken_plugin_is_bad_input(tmp_path, capsys):
    checks_dir = tmp_path / "broken"
    checks_dir.mkdir()
    (checks_dir / "oops.py").write_text("import not_a_module_anywhere\n")
    err = one_line_error(capsys, 2, ["checks", "list", "--checks-dir", str(checks_dir)])
    assert "oops.py" in err and "ModuleNotFoundError" in err


def test_a_plugin_reusing_a_builtin_id_is_bad_input_and_does_not_leak(tmp_path, capsys):
    checks_dir = tmp_path / "clash"
    checks_dir.mkdir()
    (checks_dir / "clash.py").write_text(CUSTOM_CHECK.replace("acme_disk_budget", "cbs_daily_snapshot_policy"))
    err = one_line_error(capsys, 2, ["checks", "list", "--checks-dir", str(checks_dir)])
    assert "defined twice" in err
    assert main(["checks", "list", "--format", "json"]) == 0
    assert len(json.loads(capsys.readouterr().out)) == 33


def test_one_unreadable_service_turns_its_checks_to_error_and_exits_3(tmp_path, capsys, registry):
    from dr_audit.scenarios import build

    estate = build("hardened")
    estate.gaps.append(gap("cos", code="AuthFailure.UnauthorizedOperation"))
    path = tmp_path / "estate.json"
    estate.save(path)
    # Drill records come from the (here empty) history store for snapshots, so the drill checks are left out.
    selected = [arg for spec in registry if "drills" not in spec.requires for arg in ("--check", spec.id)]
    code = main(["run", "--from-snapshot", str(path), "--format", "json", "--history", str(tmp_path / "h.db"),
                 *selected])
    findings = json.loads(capsys.readouterr().out)["findings"]
    needing_cos = {spec.id for spec in registry if "cos" in spec.requires}
    assert code == 3 and {"cos_versioning_enabled", "offsite_cold_copy"} <= needing_cos
    assert {f["status"] for f in findings if f["check_id"] in needing_cos} == {"ERROR"}
    assert {f["status"] for f in findings if f["check_id"] not in needing_cos} == {"PASS"}


def _entry(*args: str, stdout: int = subprocess.PIPE) -> subprocess.CompletedProcess[str]:
    """Run the console script's function in a fresh process, as `dr-audit ARGS...` would."""
    code = f"import sys; sys.argv = ['dr-audit', *{list(args)!r}]; from dr_audit.cli import entry; entry()"
    env = {**os.environ, "DR_AUDIT_NO_INSTANCE_ROLE": "1"}
    return subprocess.run([sys.executable, "-c", code], stdout=stdout, stderr=subprocess.PIPE, text=True, env=env,
                          timeout=120)


def test_the_console_script_flushes_its_output_and_keeps_the_exit_code_when_it_ends_early():
    listed = _entry("checks", "list", "--format", "json")
    assert listed.returncode == 0 and len(json.loads(listed.stdout)) == 33  # every buffered byte reached the pipe
    plan = Path(__file__).parent / "fixtures" / "terraform" / "bucket_versioning_disabled.plan.json"
    planned = _entry("plan", str(plan), "--format", "json")
    assert planned.returncode == 1 and json.loads(planned.stdout)["summary"]["FAIL"] >= 1
    bad = _entry("plan", "/no/such/plan.json")
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "no such plan" in bad.stderr


def test_the_console_script_says_nothing_more_when_its_reader_goes_away():
    reader = subprocess.Popen(["head", "-c", "10"], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL)
    done = _entry("checks", "list", "--format", "markdown", stdout=reader.stdin)  # type: ignore[arg-type]
    reader.stdin.close()  # type: ignore[union-attr]
    reader.wait()
    assert "Traceback" not in done.stderr and "Exception ignored" not in done.stderr


@pytest.mark.parametrize("to_file", [False, True])
def test_a_recorded_run_stores_each_finding_as_its_json_report_line(tmp_path, capsys, to_file):
    from dr_audit.history import HistoryStore
    from dr_audit.scenarios import build

    path, store = tmp_path / "estate.json", tmp_path / "h.db"
    build("weimob-2020").save(path)
    output = ["--output", str(tmp_path / "r.json")] if to_file else []
    main(["run", "--from-snapshot", str(path), "--format", "json", "--history", str(store), *output])
    text = (tmp_path / "r.json").read_text() if to_file else capsys.readouterr().out
    lines = [line.strip().removesuffix(",") for line in text.splitlines() if line.startswith('    {"')]
    with HistoryStore.open(store) as history:
        [run] = history.list_runs()
        bodies = [body for (body,) in history.database.raw.execute(
            "SELECT body_json FROM findings WHERE run_id = ? ORDER BY seq", (run["id"],))]
    assert lines and bodies == lines
    assert [json.loads(body) for body in bodies] == json.loads(text)["findings"]
