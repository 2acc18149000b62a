"""Where a plan's input is read: in a child only when a core is free for it, else here; the same input either way.
And the light parent: choosing the reader imports neither the .tf parser nor YAML (the children import what they use).
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from contextlib import ExitStack

import pytest

from dr_audit.collect import planinput
from dr_audit.collect.planinput import read_input, spare_core, start_reading

from .helpers import ESTATE_PLAN, ESTATE_TF


def _machine(monkeypatch: pytest.MonkeyPatch, cpus: int, load: float) -> None:
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(cpus)))
    monkeypatch.setattr(os, "getloadavg", lambda: (load, load, load))


@pytest.mark.parametrize(("cpus", "load", "spare"), [
    (1, 0.0, False),  # one usable CPU: a child could only take turns with this process
    (2, 0.0, True),
    (2, 1.2, True),  # this process's own runs keep one CPU busy; the other is free
    (2, 1.6, False),
    (2, 3.9, False),
    (8, 6.4, True),
    (8, 7.6, False),
])
def test_a_core_is_spare_only_when_the_load_leaves_one_free(monkeypatch, cpus, load, spare):
    _machine(monkeypatch, cpus, load)
    assert spare_core() is spare


def test_without_a_load_average_no_core_is_counted_spare(monkeypatch):
    def unavailable() -> tuple[float, float, float]:
        raise OSError("no load average")

    monkeypatch.setattr(os, "getloadavg", unavailable)
    assert spare_core() is False


class _Refused:
    """Stands in for a child process: starting one fails the test."""

    def __init__(self, function: object) -> None:
        raise AssertionError("a reading child was started on a busy machine")


@pytest.mark.parametrize("target", [ESTATE_PLAN, ESTATE_TF])
def test_a_busy_machine_reads_the_input_here_and_the_same(monkeypatch, target):
    _machine(monkeypatch, 2, 3.5)
    monkeypatch.setattr(planinput, "Background", _Refused)
    with ExitStack() as stack:
        read = start_reading(target, stack)
        assert read() == read_input(target)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the child is used on Linux only")
@pytest.mark.parametrize("target", [ESTATE_PLAN, ESTATE_TF])
def test_a_quiet_machine_reads_the_input_in_a_child_and_the_same(monkeypatch, target):
    _machine(monkeypatch, 2, 0.1)
    monkeypatch.delenv("DR_AUDIT_NO_FORK", raising=False)
    monkeypatch.setattr(threading, "active_count", lambda: 1)
    started: list[object] = []
    child = planinput.Background

    def counted(function: object) -> object:
        started.append(function)
        return child(function)  # type: ignore[arg-type]

    monkeypatch.setattr(planinput, "Background", counted)
    with ExitStack() as stack:
        read = start_reading(target, stack)
        assert read() == read_input(target)
    assert len(started) == 1


def test_choosing_the_reader_leaves_the_parsers_to_the_reading_side():
    code = ("import sys, dr_audit.collect.planinput; print(','.join(m for m in ('dr_audit.collect.hcl', "
            "'dr_audit.collect.hcl_reader', 'hcl2', 'lark', 'yaml') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and result.stdout.strip() == "", result.stdout + result.stderr
