"""A large run's findings stored by a child process while the outputs are written (history/recorder.py): the store
holds exactly what recording in this process holds, the outputs' failure stores nothing, a child that cannot start
or dies leaves the run to this process, and a store that refuses the run says so in the same words either way."""

from __future__ import annotations

import io
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dr_audit.cores import NO_FORK_ENV
from dr_audit.errors import BadInput
from dr_audit.history import HistoryStore
from dr_audit.history import runs as history_runs
from dr_audit.history.recorder import Recorder
from dr_audit.history.runs import Recorded, record_report
from dr_audit.history.store import finding_columns, run_row
from dr_audit.options import RunOptions
from dr_audit.render import json_report
from dr_audit.render.json_report import FindingLines, finding_text

from .conftest import raw_database, report, sql

FINDING_ROW = ("seq, finding_id, check_id, status, severity, promise, resource_type, resource_id, region, account, "
               "body_json")
RUN_ROW = "kind, started_at, finished_at, source, pack, pack_sha256, estate_sha256, tool_version, who, " \
          "summary_json, report_json, finding_count"


@pytest.fixture
def apart(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every run, however small, stored by the recorder child (whatever the machine's load)."""
    monkeypatch.setattr(history_runs, "RECORD_APART_FROM", 1)
    monkeypatch.setattr(history_runs, "spare_core", lambda: True)


def record(document: dict[str, Any], url: str) -> tuple[Recorded, str]:
    """Record as `dr-audit run` does: the JSON report written first, then the run stored."""
    written = io.StringIO()

    def write(render_options: dict[str, Any]) -> None:
        json_report.write(document, written, **render_options)

    return record_report(document, RunOptions(history_url=url, formats=["json"]), write), written.getvalue()


def stored(url: str, run_id: str | None) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    return (sql(url, f"SELECT {RUN_ROW} FROM runs WHERE id = ?", (run_id,)),
            sql(url, f"SELECT {FINDING_ROW} FROM findings WHERE run_id = ? ORDER BY seq", (run_id,)))


def test_a_run_stored_by_the_recorder_is_stored_as_this_process_stores_it(store_url: str,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    document = report(4500)  # a few batches and a part of one
    document["findings"][7]["message"] = "half a pair \ud800 and 磁盘-①"
    here, report_here = record(document, store_url)
    monkeypatch.setattr(history_runs, "RECORD_APART_FROM", 1)
    monkeypatch.setattr(history_runs, "spare_core", lambda: True)
    apart_, report_apart = record(document, store_url)
    assert here.error is None and apart_.error is None and here.run_id != apart_.run_id
    assert report_here == report_apart
    assert stored(store_url, apart_.run_id) == stored(store_url, here.run_id)
    assert len(stored(store_url, apart_.run_id)[1]) == 4500
    with HistoryStore.open(url=store_url) as store:
        assert store.get_run(str(apart_.run_id))["findings"] == document["findings"]


def test_a_run_whose_outputs_fail_is_not_stored(store_url: str, apart: None) -> None:
    document = report(5000)

    def write(render_options: dict[str, Any]) -> None:
        lines: FindingLines = render_options["finding_lines"]
        for position, _ in enumerate(lines.texts()):  # the child has been handed rows when the disk fills up
            if position == 4100:
                raise BadInput("--output report.json: cannot write it: No space left on device")

    with pytest.raises(BadInput, match="No space left"):
        record_report(document, RunOptions(history_url=store_url, formats=["json"]), write)
    assert sql(store_url, "SELECT COUNT(*) FROM runs") == [(0,)]
    assert sql(store_url, "SELECT COUNT(*) FROM findings") == [(0,)]


@pytest.mark.parametrize("executable", ["", "/bin/true", "/nonexistent/python"])
def test_a_recorder_that_cannot_start_or_ends_without_a_word_leaves_the_run_to_this_process(
        tmp_path: Path, apart: None, monkeypatch: pytest.MonkeyPatch, executable: str) -> None:
    url = f"sqlite:///{tmp_path / 'history.db'}"
    document = report(2500)
    monkeypatch.setattr(sys, "executable", executable)
    recorded, _ = record(document, url)
    assert recorded.error is None
    runs, findings = stored(url, recorded.run_id)
    assert len(runs) == 1 and len(findings) == 2500
    assert [body for *_, body in findings] == [finding_text(f) for f in document["findings"]]


def test_a_store_that_refuses_the_run_says_so_in_the_same_line_either_way(tmp_path: Path,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'history.db'}"
    HistoryStore.open(url=url).close()
    sql(url, "CREATE TRIGGER refuse BEFORE INSERT ON findings BEGIN SELECT RAISE(ABORT, 'store is read-only'); END")
    here, _ = record(report(1500), url)
    monkeypatch.setattr(history_runs, "RECORD_APART_FROM", 1)
    monkeypatch.setattr(history_runs, "spare_core", lambda: True)
    apart_, _ = record(report(1500), url)
    assert here.error is not None and "store is read-only" in here.error and "\n" not in here.error
    assert apart_.error == here.error
    assert sql(url, "SELECT COUNT(*) FROM runs") == [(0,)]


def test_with_helper_processes_switched_off_the_run_is_stored_in_this_process(
        tmp_path: Path, apart: None, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'history.db'}"
    started: list[str] = []
    monkeypatch.setattr(Recorder, "start", classmethod(lambda cls, url, row: started.append(url)))
    monkeypatch.setenv(NO_FORK_ENV, "1")
    recorded, _ = record(report(300), url)
    assert started == [] and len(stored(url, recorded.run_id)[1]) == 300
    monkeypatch.delenv(NO_FORK_ENV)
    recorded, _ = record(report(300), url)  # the same run with helpers allowed asks for one
    assert started == [url] and len(stored(url, recorded.run_id)[1]) == 300


def test_a_recorder_left_without_commit_stores_nothing(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'history.db'}"
    HistoryStore.open(url=url).close()
    document = report(10)
    recorder = Recorder.start(url, run_row("run-left", document, "run", None))
    assert recorder is not None
    with recorder:
        recorder.send(0, finding_columns(document["findings"], [finding_text(f) for f in document["findings"]]))
    assert sql(url, "SELECT COUNT(*) FROM runs") == [(0,)]


def test_the_store_url_and_its_password_never_reach_the_childs_command_line_or_its_reply() -> None:
    url = "postgresql://auditor:s3cret-pw@127.0.0.1:1/history"
    recorder = Recorder.start(url, run_row("run-x", report(1), "run", None))
    assert recorder is not None
    with recorder:
        assert not any("s3cret" in str(arg) or "postgresql" in str(arg) for arg in recorder._process.args)
        with pytest.raises(BadInput) as refused:
            recorder.stored()
    assert "s3cret" not in str(refused.value) and "\n" not in str(refused.value)


@settings(max_examples=40, deadline=None)
@given(count=st.integers(0, 4500), stops=st.lists(st.integers(0, 4500), max_size=3),
       batch=st.sampled_from([1, 7, 2000]))
def test_every_text_is_handed_on_once_in_order_whatever_the_passes(count: int, stops: list[int],
                                                                    batch: int) -> None:
    findings = [{"id": f"{i:x}", "n": i} for i in range(count)]
    handed: list[tuple[int, list[str]]] = []
    lines = FindingLines(findings, hand_on=lambda start, texts: handed.append((start, list(texts))))
    original, json_report.BATCH = json_report.BATCH, batch
    try:
        for stop in stops:  # passes a consumer gave up on, part of the way through
            for position, _ in enumerate(lines.texts()):
                if position >= stop:
                    break
        for _ in lines.texts():  # a complete pass (the JSON report)
            pass
        lines.hand_on_the_rest()
    finally:
        json_report.BATCH = original
    assert [text for _, texts in handed for text in texts] == [finding_text(f) for f in findings]
    starts = [start for start, _ in handed]
    assert starts == [sum(len(texts) for _, texts in handed[:i]) for i in range(len(handed))]


def test_an_in_memory_store_is_never_handed_to_a_child(apart: None, monkeypatch: pytest.MonkeyPatch,
                                                         tmp_path: Path) -> None:
    """A child opening `sqlite://` would store the run in a database of its own, lost when it ends."""
    started: list[str] = []
    monkeypatch.setattr(Recorder, "start", classmethod(lambda cls, url, row: started.append(url)))
    recorded, _ = record(report(300), "sqlite://")
    assert recorded.error is None and started == []
    with HistoryStore.open(url="sqlite://") as memory:
        assert not memory.reachable_from_other_processes
    with HistoryStore.open(url=f"sqlite:///{tmp_path / 'history.db'}") as on_disk:
        assert on_disk.reachable_from_other_processes


def test_the_child_imports_nothing_from_the_working_directory(tmp_path: Path, apart: None,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """In CI the working directory is often the audited repository: a json.py there must not run in the child,
    which is handed the store's URL and its password."""
    planted = tmp_path / "repository"
    planted.mkdir()
    marker = tmp_path / "imported"
    (planted / "json.py").write_text(f"open({str(marker)!r}, 'w').close()\nfrom _json import *\n")
    monkeypatch.chdir(planted)
    url = f"sqlite:///{tmp_path / 'history.db'}"
    recorded, _ = record(report(1200), url)
    assert recorded.error is None and len(stored(url, recorded.run_id)[1]) == 1200
    assert not marker.exists()


def test_findings_marshal_cannot_carry_are_stored_by_this_process(tmp_path: Path, apart: None) -> None:
    class Text(str):
        pass

    url = f"sqlite:///{tmp_path / 'history.db'}"
    document = report(2500)
    document["findings"][2100]["check_id"] = Text("cbs_snapshot_fresh")
    recorded, written = record(document, url)
    assert recorded.error is None and written.count('"check_id"') == 2500
    assert len(stored(url, recorded.run_id)[1]) == 2500


def batches_of(document: dict[str, Any], size: int) -> list[tuple[int, tuple[list[Any], ...]]]:
    findings = document["findings"]
    return [(start, finding_columns(batch, [finding_text(f) for f in batch]))
            for start in range(0, len(findings), size) for batch in [findings[start:start + size]]]


def test_the_write_lock_is_taken_with_the_first_batch_not_before(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'history.db'}"
    document = report(30)
    free_before_the_first: list[bool] = []

    def handed_on() -> Any:
        with raw_database(url) as other:  # another writer of the store, while the outputs are still rendering
            other.execute("BEGIN IMMEDIATE")
            other.execute("ROLLBACK")
            free_before_the_first.append(True)
        yield from batches_of(document, 7)

    with HistoryStore.open(url=url) as store:
        store.record_batches(run_row("run-lock", document, "run", None), handed_on())
    assert free_before_the_first == [True] and len(stored(url, "run-lock")[1]) == 30


@pytest.mark.parametrize("change", ["a batch lost", "a batch twice", "one finding short"])
def test_findings_handed_on_wrong_store_nothing(tmp_path: Path, change: str) -> None:
    url = f"sqlite:///{tmp_path / 'history.db'}"
    document = report(30)
    batches = batches_of(document, 7)
    if change == "a batch lost":
        del batches[2]
    elif change == "a batch twice":
        batches.insert(2, batches[1])
    else:
        start, columns = batches[-1]
        batches[-1] = (start, tuple(column[:-1] for column in columns))
    with HistoryStore.open(url=url) as store, pytest.raises(ValueError):
        store.record_batches(run_row("run-wrong", document, "run", None), iter(batches))
    assert sql(url, "SELECT COUNT(*) FROM runs") == [(0,)]
