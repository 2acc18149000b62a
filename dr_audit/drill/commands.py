"""The work behind the drill commands that is more than one call: starting a drill and listing drills."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..history import HistoryStore
from ..inputs import read_config_text
from .plan import load_plan
from .service import drill_summary_rows, start_drill

if TYPE_CHECKING:
    from ..options import RunOptions


def start_command(plan_path: Path, options: RunOptions) -> tuple[list[str], str]:
    from ..engine import evaluate
    from ..packs import load_pack
    from ..registry import load_registry
    from ..report import RunInfo, build_report, utc_stamp
    from .sources import drill_sources

    if options.demo:
        from ..demo import use_demo_store

        use_demo_store(options)  # a demo drill is evidence for the demo only
    plan = load_plan(plan_path)
    plan_text = read_config_text(plan_path, "drill plan")
    registry = load_registry(options.checks_dirs)
    pack = load_pack(options.pack, registry)
    HistoryStore.open(options.history, options.history_url).close()  # an unusable store fails before collecting
    started = datetime.now(UTC)
    with drill_sources(options) as (estate, readers):
        evaluation = evaluate(estate, pack, registry)
        run = RunInfo(source=estate.source, pack=pack.name, pack_sha256=pack.sha256, started_at=started,
                      accounts=estate.accounts, regions=estate.regions, estate_sha256=estate.sha256(),
                      finished_at=datetime.now(UTC))
        report = build_report(run, evaluation, registry)
        with HistoryStore.open(options.history, options.history_url) as store:
            drill_id = start_drill(store, plan, plan_text, estate, open_findings_report=report, readers=readers)
            rows = drill_summary_rows(store, [drill_id])
    row = rows[0]
    lines = [f"opened {plan.kind} drill {drill_id} at {utc_stamp(started)} against a {estate.source} estate",
             f"findings open now: {report['summary'].get('FAIL', 0)} FAIL, {report['summary'].get('ERROR', 0)} ERROR"]
    lines += [f"automated step {name}: {outcome}" for name, outcome in row["automated"].items()]
    manual = [s.name for s in plan.steps if s.type == "manual"]
    if manual:
        lines.append(f"record the manual steps: {', '.join(manual)} (dr-audit drill record {drill_id} --step …)")
    return lines, drill_id


def list_command(store: HistoryStore, fmt: str) -> str:
    rows = drill_summary_rows(store, [d["id"] for d in store.drills()])
    for row in rows:
        row.pop("automated", None)
    if fmt == "json":
        return json.dumps(rows, indent=2) + "\n"
    if not rows:
        return "no drills in the history store\n"
    headers = ["id", "kind", "started", "RTO (min)", "RPO (min)", "signed off", "integrity"]

    def objective(measured: Any, target: Any) -> str:
        return "/".join("?" if value is None else f"{value:g}" for value in (measured, target))

    def signed_off(row: dict[str, Any]) -> str:
        if not row["signed_off_at"]:
            return "no"
        return f"{row['signed_off_at']} FAILED" if row.get("failed_steps") else row["signed_off_at"]

    def integrity(row: dict[str, Any]) -> str:
        if not row["intact"]:
            return "TAMPERED"
        return "UNREADABLE" if row.get("problem") else "intact"

    table = [[r["id"], r["kind"] or "?", r["started_at"] or "?",
              objective(r["rto_measured_minutes"], r["rto_target_minutes"]),
              objective(r["rpo_measured_minutes"], r["rpo_target_minutes"]), signed_off(r),
              integrity(r)] for r in rows]
    widths = [max(len(str(x)) for x in column) for column in zip(headers, *table, strict=False)]
    lines = ["  ".join(str(v).ljust(w) for v, w in zip(line, widths, strict=True)).rstrip()
             for line in [headers, *table]]
    return "\n".join(lines) + "\n"
