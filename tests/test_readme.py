"""The README is executed: its demo command and its drill walkthrough run literally with bash in a scratch HOME,
with the installed `dr-audit` on PATH, and the drill changes the demo's verdict as the README says it does."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
SH_BLOCK = re.compile(r"```sh\n(.*?)```", re.DOTALL)


def marked_block(marker: str) -> str:
    """The shell block that follows `<!-- readme-test: MARKER -->` in the README."""
    text = README.read_text(encoding="utf-8")
    tag = f"<!-- readme-test: {marker} -->"
    assert text.count(tag) == 1, f"README.md should mark exactly one block with {tag}"
    block = SH_BLOCK.search(text, text.index(tag))
    assert block is not None and block.start() - text.index(tag) <= len(tag) + 1, f"{tag} is not right above a block"
    return block.group(1)


def top_commands() -> list[str]:
    """The README's first shell block: the two commands a new user runs first, one per line."""
    first = SH_BLOCK.search(README.read_text(encoding="utf-8"))
    assert first is not None
    return [line for line in first.group(1).splitlines() if line.strip()]


@pytest.fixture
def scratch(tmp_path: Path) -> dict[str, str]:
    """A fresh machine: an empty HOME and data directory, the installed console script first on PATH, no store
    named in the environment."""
    home = tmp_path / "home"
    home.mkdir()
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("DR_AUDIT_", "TENCENTCLOUD_", "AWS_"))}
    env.update(HOME=str(home), XDG_DATA_HOME=str(tmp_path / "data"),
               PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}")
    return env


def bash(script: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    # -x traces each command as it runs, PS4 marking the trace lines (set in the script: bash run as root ignores
    # PS4 from the environment), so the test can tell which command ended the script.
    return subprocess.run(["bash", "-c", "PS4='+README: '\nset -x -e -o pipefail\n" + script], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=600)


def monthly_cadence(cwd: Path, env: dict[str, str]) -> dict[str, object]:
    done = bash("dr-audit run --demo --format json || test $? -eq 1", cwd, env)
    assert done.returncode == 0, done.stderr
    (finding,) = [f for f in json.loads(done.stdout)["findings"] if f["check_id"] == "drill_monthly_cadence"]
    return finding


def test_the_top_demo_command_runs_as_written_and_exits_1(scratch, tmp_path):
    install, demo = top_commands()[0].split(" && ")
    assert install.startswith("pip install") and demo == "dr-audit run --demo"
    done = bash(demo, tmp_path, scratch)
    assert done.returncode == 1, done.stderr  # the Weimob estate breaks most of its promises
    assert "FAIL" in done.stdout and "Traceback" not in done.stderr


def test_the_drill_walkthrough_runs_literally_and_turns_the_monthly_cadence_to_pass(scratch, tmp_path):
    script = marked_block("drill")
    assert "--key" in script and "drill keygen" in script  # the keys it signs with are made in the walkthrough
    before = monthly_cadence(tmp_path, scratch)
    assert before["status"] == "FAIL"

    done = bash(script, tmp_path, scratch)
    traced = [line.removeprefix("+README: ") for line in done.stderr.splitlines() if line.startswith("+README: ")]
    # Every command before the last exits 0 (set -e stops at the first that does not); the last, the demo run,
    # exits 1 as the README says, because the demo estate still breaks other promises.
    commands = [line for line in script.splitlines() if line.startswith("dr-audit ")]
    assert commands[-1].split("#")[0].strip() == "dr-audit run --demo"
    assert done.returncode == 1, done.stderr
    assert traced[-1] == "dr-audit run --demo", done.stderr

    # Every approver the plan lists signed with the key pinned for them, and the store says the drill is intact.
    plan = (tmp_path / "monthly.yaml").read_text(encoding="utf-8")
    assert plan.count('public_key: "ed25519:') == 2
    assert "complete: every approver has signed" in done.stdout
    assert "2 signatures verified" in done.stdout and "matches the records" in done.stdout
    assert (tmp_path / "drill.html").is_file() and (tmp_path / "drill.json").is_file()

    after = monthly_cadence(tmp_path, scratch)
    drill_id = re.search(r"drill-\d{14}-[0-9a-f]+", done.stdout)
    assert drill_id is not None
    assert after["status"] == "PASS" and drill_id.group(0) in after["message"]
    # Nothing went into the user's own store: the demo keeps its own.
    listed = bash("dr-audit drill list", tmp_path, scratch)
    assert listed.returncode == 0 and listed.stdout == "no drills in the history store\n"
