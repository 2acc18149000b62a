"""What `dr-audit run` and `plan` do with the history store: record each report, read drills back into the Estate.

Every run is recorded. A plan describes a change not yet applied, so it is recorded only in a store the user names
(`--history`, `--history-url` or DR_AUDIT_HISTORY_URL): a CI runner's default store would be thrown away with it.
The store (and its database driver) is imported only when it is used.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..cores import helpers_switched_off, spare_core
from ..errors import BadInput
from ..estate import DrillState, Estate, Gap
from .location import store_named

if TYPE_CHECKING:
    from ..options import RunOptions
    from ..render.json_report import FindingLines
    from .store import HistoryStore

# Drill records come from the history store for these sources; the demo brings its own, a plan has none.
DRILL_SOURCES = ("live", "snapshot")


@dataclass
class Recorded:
    run_id: str | None = None
    error: str | None = None  # why the run could not be recorded; the CLI exits 2 after writing the report
    render_options: dict[str, Any] = field(default_factory=dict)


def fill_drills(estate: Estate, options: RunOptions) -> Estate:
    """Estate.drills from the history store for live and snapshot sources; a Gap per account when it cannot be read."""
    if estate.source not in DRILL_SOURCES:
        return estate
    from ..drill.service import drill_records
    from .store import HistoryStore

    try:
        with HistoryStore.open(options.history, options.history_url) as store:
            records = drill_records(store)
    except BadInput as exc:
        gaps = [gap for gap in estate.gaps if gap.service != "drills"] + [
            Gap(account=account, service="drills", operation="read history store", code="HistoryUnavailable",
                message=str(exc)) for account in (estate.accounts or [""])]
        return estate.model_copy(update={"drills": DrillState(), "gaps": gaps})
    # The store was read, so a gap about reading drills carried in (a snapshot without its drills section, a store
    # unavailable then) no longer applies; one for an account that could not be identified still does.
    kept = [gap for gap in estate.gaps
            if gap.service != "drills" or gap.operation not in ("read snapshot", "read history store")]
    return estate.model_copy(update={"drills": DrillState(records=records), "gaps": kept})


def record_report(report: dict[str, Any], options: RunOptions,
                  write: Callable[[dict[str, Any]], None]) -> Recorded:
    """Write the outputs with `write(render_options)`, then store the report: a run whose outputs could not be
    written (`write` raised) is never recorded. The HTML reporter gets the per-promise failure trend, this run
    included, read before the run is stored."""
    kind = "plan" if report.get("run", {}).get("source") == "plan" else "run"
    if options.run_group is not None and kind == "run":
        # Written into the report itself, so every output and the stored run say which shard of which group it is.
        shard = options.shard
        report["run"]["run_group"] = {"id": options.run_group, "shard": shard.index if shard else 1,
                                      "shards": shard.count if shard else 1}
    if kind == "plan" and not store_named(options.history, options.history_url):
        write({})
        return Recorded()
    from .store import HistoryStore, HistoryUnavailable, new_id

    try:
        store = HistoryStore.open(options.history, options.history_url)
    except BadInput as exc:
        write({})
        return Recorded(error=str(exc))
    with store:
        run_id = new_id("run")
        try:
            trend = _trend(store, report, run_id) if "html" in options.formats and kind == "run" else None
        except BadInput as exc:
            write({})
            return Recorded(error=str(exc))
        try:
            _store_after(report, kind, run_id, store, lambda lines: write(
                {"trend": trend, "finding_lines": lines} if trend else {"finding_lines": lines}))
        except HistoryUnavailable as exc:
            return Recorded(error=str(exc))
    return Recorded(run_id=run_id)


# From this many findings the store's inserts go to a child process while the outputs are written (recorder.py).
# Storing 85k findings takes about 1 s, 848k about 11 s (7.6 s inserting, 3.2 s committing); the child costs 0.15 s
# of CPU to start and this process about 3.5 µs a finding to hand on, so a smaller run would spend about as much CPU
# as the child hides (BENCHMARKS.md, the night of 2026-12-04).
RECORD_APART_FROM = 200_000


def _store_after(report: dict[str, Any], kind: str, run_id: str, store: HistoryStore,
                 write: Callable[[FindingLines], None]) -> None:
    """Write the outputs with `write(finding_lines)`, then store the run; the outputs' failure stores nothing."""
    from ..render.json_report import FindingLines
    from .recorder import Recorder
    from .store import finding_columns, run_row

    findings = report.get("findings", [])
    recorder = None
    if (len(findings) >= RECORD_APART_FROM and store.reachable_from_other_processes and not helpers_switched_off()
            and spare_core()):
        recorder = Recorder.start(store.url, run_row(run_id, report, kind, None))
    if recorder is None:
        # The findings' JSON texts are kept from the JSON report, if one is written, for the store.
        lines = FindingLines(findings, keep=True)
        write(lines)
        store.record_run(report, kind=kind, run_id=run_id, finding_lines=lines)
        return
    with recorder:
        lines = FindingLines(findings, hand_on=lambda start, texts: recorder.send(
            start, finding_columns(findings[start:start + len(texts)], texts)))
        write(lines)
        lines.hand_on_the_rest()
        if recorder.stored():
            return
    # The child ended without a word: the run is stored here, unless it was stored just before that.
    if not store.has_run(run_id):
        store.record_run(report, kind=kind, run_id=run_id, finding_lines=lines)


TREND_RUNS = 30


def _trend(store: HistoryStore, report: dict[str, Any], run_id: str) -> list[dict[str, Any]]:
    """The stored runs' failures per promise, then this run's, counted as the store counts them."""
    failures: dict[str, int] = {}
    for finding in report["findings"]:
        if finding["status"] == "FAIL":
            failures[finding["promise"]] = failures.get(finding["promise"], 0) + 1
    stored = store.failure_trend(limit=TREND_RUNS - 1, pack=report["run"]["pack"])
    return [*stored, {"run_id": run_id, "started_at": report["run"]["started_at"], "failures": failures}]
