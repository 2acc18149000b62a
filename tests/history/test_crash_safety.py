"""A process killed with SIGKILL while writing a run loses nothing committed and leaves no half-written run."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from dr_audit.history import HistoryStore

WRITER = textwrap.dedent("""
    import sys
    from pathlib import Path
    from dr_audit.history import HistoryStore
    from tests.history.conftest import report

    store = HistoryStore.open(Path(sys.argv[1]))
    for day in range(1, 4):
        store.record_run(report(50, started=f"2026-11-0{day}T00:00:00Z"), run_id=f"run-small-{day}")
        print("committed", day, flush=True)
    big = report(400_000, started="2026-11-09T00:00:00Z")
    print("writing big run", flush=True)
    store.record_run(big, run_id="run-big")
    print("big run committed", flush=True)
""")


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")
def test_sigkill_in_the_middle_of_a_run_keeps_every_earlier_run(tmp_path: Path) -> None:
    db = tmp_path / "history.db"
    wal = tmp_path / "history.db-wal"
    root = Path(__file__).resolve().parents[2]
    child = subprocess.Popen([sys.executable, "-c", WRITER, str(db)], cwd=root, stdout=subprocess.PIPE, text=True,
                             env={**os.environ, "PYTHONPATH": str(root)})
    assert child.stdout is not None
    lines = [child.stdout.readline().strip() for _ in range(4)]
    assert lines[-1] == "writing big run", lines
    # Wait until the uncommitted transaction has spilled pages into the write-ahead log: the kill then lands
    # in the middle of writing the run's findings, not before it starts.
    baseline = wal.stat().st_size if wal.exists() else 0
    deadline = time.monotonic() + 60
    while (not wal.exists() or wal.stat().st_size < baseline + 4_000_000) and time.monotonic() < deadline:
        assert child.poll() is None, "the writer finished before it could be killed mid-write"
        time.sleep(0.02)
    assert child.poll() is None
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL

    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    with HistoryStore.open(db) as store:
        runs = {r["id"]: r for r in store.list_runs()}
        assert set(runs) == {"run-small-1", "run-small-2", "run-small-3"}  # no trace of the half-written run
        for run_id in runs:
            assert len(store.get_run(run_id)["findings"]) == runs[run_id]["finding_count"] == 50
        with sqlite3.connect(db) as conn:
            orphans = conn.execute("SELECT COUNT(*) FROM findings WHERE run_id NOT IN (SELECT id FROM runs)").fetchone()
        assert orphans == (0,)
        store.record_run(store.get_run("run-small-1") | {"history": None}, run_id="run-after-crash")
        assert len(store.list_runs()) == 4  # the store takes new runs after the crash
