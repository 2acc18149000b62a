"""Reading a plan's input in a child process: the result is the same however it was computed, and failures surface
from the parent exactly as without the child."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from dr_audit.collect.background import Background, forking_allowed
from dr_audit.errors import BadInput

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "terraform"
ROOT = Path(__file__).resolve().parents[2]

needs_fork = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the child is used on Linux only")


@pytest.fixture
def forkable(monkeypatch):
    """The child is only used when no other thread runs; other tests' servers may have left one behind."""
    monkeypatch.delenv("DR_AUDIT_NO_FORK", raising=False)
    monkeypatch.setattr(threading, "active_count", lambda: 1)


@needs_fork
def test_the_function_runs_in_a_child_and_its_result_comes_back(forkable):
    parent = os.getpid()
    with Background(lambda: {"pid": os.getpid(), "items": [1, "two", None]}) as job:
        value = job.result()
    assert value["pid"] != parent
    assert value["items"] == [1, "two", None]


@needs_fork
def test_a_failure_in_the_child_is_reproduced_in_the_parent(forkable):
    parent = os.getpid()
    ran_in: list[int] = []

    def read() -> None:
        ran_in.append(os.getpid())
        raise BadInput("plan.json: not a JSON plan (line 1: Expecting value)")

    with Background(read) as job, pytest.raises(BadInput, match="not a JSON plan"):
        job.result()
    assert ran_in == [parent]  # the child's attempt is not visible here; the parent's own raised


@needs_fork
def test_a_child_that_dies_without_answering_leaves_the_work_to_the_parent(forkable):
    parent = os.getpid()

    def read() -> int:
        if os.getpid() != parent:
            os.kill(os.getpid(), signal.SIGKILL)
        return os.getpid()

    with Background(read) as job:
        assert job.result() == parent


@needs_fork
def test_an_unwanted_result_stops_and_reaps_the_child(forkable):
    with pytest.raises(BadInput), Background(lambda: __import__("time").sleep(30)) as job:
        child = job._pid
        assert child is not None
        raise BadInput("--pack: no such pack")  # the pack was bad: the input is never needed
    with pytest.raises(ChildProcessError):
        os.waitpid(child, os.WNOHANG)  # already reaped, not left running for 30 s


def test_without_fork_the_function_runs_here(monkeypatch):
    monkeypatch.setenv("DR_AUDIT_NO_FORK", "1")
    assert not forking_allowed()
    with Background(os.getpid) as job:
        assert job.result() == os.getpid()


def test_threads_running_disable_the_child(monkeypatch):
    monkeypatch.delenv("DR_AUDIT_NO_FORK", raising=False)
    monkeypatch.setattr(threading, "active_count", lambda: 2)
    assert not forking_allowed()


@pytest.mark.parametrize("target", ["estate.plan.json", "estate"])
def test_the_plan_report_is_the_same_with_and_without_the_child(tmp_path, target):
    path = FIXTURES / target
    reports = []
    for no_fork in ("", "1"):
        out = tmp_path / f"report{no_fork}.json"
        env = {**os.environ, "DR_AUDIT_NO_FORK": no_fork, "DR_AUDIT_NO_INSTANCE_ROLE": "1"}
        done = subprocess.run([sys.executable, "-m", "dr_audit.cli", "plan", str(path), "--format", "json",
                               "--output", str(out)], env=env, cwd=tmp_path, capture_output=True, text=True)
        assert done.returncode in (0, 1, 3), done.stderr
        report = json.loads(out.read_text())
        reports.append((report["summary"], report["findings"], done.returncode))
    assert reports[0] == reports[1]
    assert reports[0][1]  # something was judged


@pytest.mark.parametrize(("broken", "args", "says"), [
    ("plan.json", [], "not a JSON plan"),
    ("pack.yaml", ["--pack"], "not valid YAML"),
])
def test_bad_input_is_one_line_whether_or_not_a_child_read_it(tmp_path, broken, args, says):
    (tmp_path / "plan.json").write_text("{not json" if broken == "plan.json" else
                                        (FIXTURES / "bucket_versioning_disabled.plan.json").read_text())
    (tmp_path / "pack.yaml").write_text("name: [unclosed\n")
    argv = ["plan", str(tmp_path / "plan.json"), *[a for flag in args for a in (flag, str(tmp_path / "pack.yaml"))]]
    lines = []
    for no_fork in ("", "1"):
        env = {**os.environ, "DR_AUDIT_NO_FORK": no_fork, "DR_AUDIT_NO_INSTANCE_ROLE": "1"}
        done = subprocess.run([sys.executable, "-m", "dr_audit.cli", *argv], env=env, capture_output=True, text=True,
                              cwd=ROOT)
        assert done.returncode == 2, done.stderr
        lines.append(done.stderr)
    assert lines[0] == lines[1] and lines[0].count("\n") == 1 and says in lines[0]
