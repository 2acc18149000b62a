"""The installed command behaves like the checkout: bundled checks, packs and reports travel in the wheel.

These run the `dr-audit` console script from an empty directory, so what is imported is the installed package
(CI installs it non-editable into a fresh virtual environment).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FAMILIES = ("cam_", "cbs_", "cos_", "cdb_", "vpc_|sg_", "bastion_", "cloudaudit_", "drill_", "offsite_", "cvm_")
CATALOGUE_IDS = {
    "cam_no_full_admin_principals", "cam_no_wildcard_destructive_grants", "cam_operation_protection_enabled",
    "cam_login_protection_enabled", "cam_separation_of_duties", "cam_access_key_hygiene",
    "cloudaudit_tracking_enabled", "vpc_environment_isolation", "vpc_no_cross_environment_links",
    "sg_no_cross_environment_ingress", "sg_no_public_admin_ports", "bastion_covers_production_hosts",
    "bastion_only_admin_path", "bastion_acls_least_privilege", "cbs_daily_snapshot_policy", "cbs_snapshot_fresh",
    "cbs_snapshot_cross_region_copy", "cos_versioning_enabled", "cos_cross_region_replication", "cos_replica_healthy",
    "cos_cold_storage_tier", "cos_object_lock_enabled", "cos_no_destructive_lifecycle", "cos_not_public",
    "offsite_cold_copy", "cdb_multi_az", "cdb_backup_retention", "cdb_cross_region_dr", "cdb_backup_fresh",
    "cvm_multi_az", "drill_monthly_cadence", "drill_quarterly_cadence", "drill_objectives_met",
}


def dr_audit(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = shutil.which("dr-audit") or str(Path(sys.executable).with_name("dr-audit"))
    return subprocess.run([command, *args], cwd=tmp_path, capture_output=True, text=True, timeout=300,
                          env={"PATH": str(Path(sys.executable).parent), "HOME": str(tmp_path), "CI": "true"})


def test_the_installed_catalogue_lists_every_catalogue_id(tmp_path):
    result = dr_audit(tmp_path, "checks", "list", "--format", "json")
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert {row["id"] for row in rows} == CATALOGUE_IDS
    assert all(set(row) == {"id", "title", "severity", "promise", "sources"} for row in rows)


def test_the_demo_fails_in_every_family_and_exits_1(tmp_path):
    result = dr_audit(tmp_path, "run", "--demo", "--format", "json", "--history", str(tmp_path / "h.db"))
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    failing = {f["check_id"] for f in report["findings"] if f["status"] == "FAIL"}
    for family in FAMILIES:
        prefixes = tuple(family.split("|"))
        assert any(c.startswith(prefixes) for c in failing), f"no FAIL in the {family} family"


def test_the_hardened_demo_keeps_every_promise(tmp_path):
    result = dr_audit(tmp_path, "run", "--demo", "--scenario", "hardened", "--format", "json",
                      "--history", str(tmp_path / "h.db"))
    report = json.loads(result.stdout)
    problems = [(f["check_id"], f["resource"]["id"], f["message"]) for f in report["findings"]
                if f["status"] in ("FAIL", "ERROR")]
    assert problems == [] and result.returncode == 0, result.stderr


@pytest.mark.parametrize("args", [["--help"], ["run", "--help"]])
def test_help_answers(tmp_path, args):
    assert dr_audit(tmp_path, *args).returncode == 0


def test_the_cli_imports_no_heavy_module_before_a_command_needs_it():
    # `dr-audit --help` must answer fast; its time is measured in bench/, this guards the cause.
    code = ("import sys, dr_audit.cli; heavy = [m for m in ('sqlite3', 'psycopg', 'boto3', 'botocore', 'moto',"
            " 'tencentcloud', 'jinja2', 'hcl2', 'cryptography', 'pydantic') if m in sys.modules];"
            " print(','.join(heavy))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and result.stdout.strip() == ""


@pytest.mark.parametrize("target", ["estate", "estate.plan.json"])
def test_a_plan_imports_no_sdk_driver_template_engine_or_slow_parser(tmp_path, target):
    # A plan of 1,000 resources is mostly starting up (BENCHMARKS.md); this guards what it must never start with.
    # Everything is read in the one process here, so the check covers what a reading child would import too.
    fixture = ROOT / "tests" / "fixtures" / "terraform" / target
    code = ("import sys; from dr_audit.cli import main; code = main(sys.argv[1:]);"
            " heavy = sorted({m.split('.')[0] for m in sys.modules} & {'sqlite3', 'psycopg', 'boto3', 'botocore',"
            " 'moto', 'tencentcloud', 'jinja2', 'hcl2', 'lark', 'cryptography', 'requests', 'urllib3', 'ssl'});"
            " print(code, ','.join(heavy))")
    result = subprocess.run([sys.executable, "-c", code, "plan", str(fixture), "--format", "json", "--output",
                             str(tmp_path / "report.json")], capture_output=True, text=True, timeout=120, cwd=tmp_path,
                            env={**os.environ, "DR_AUDIT_NO_FORK": "1", "DR_AUDIT_NO_INSTANCE_ROLE": "1"})
    code, _, heavy = result.stdout.strip().partition(" ")
    assert code in ("0", "1", "3"), result.stderr
    assert heavy == ""
