"""The drill sign-off report (HTML and Markdown): everything an approver needs, from the records that verify."""

from __future__ import annotations

import json
from typing import Any

from ..history.store import HistoryStore
from ..render.html import environment, objectives_svg
from .bundle import seal_line
from .integrity import Verification
from .service import DrillState, drill_summary_rows, load_state, verify_drill
from .times import stamp

MAX_FINDINGS = 500  # open findings listed in the report; the count says how many there were


def _step_rows(state: DrillState, store: HistoryStore) -> list[dict[str, Any]]:
    files: dict[str, list[dict[str, Any]]] = {}
    automated: dict[str, dict[str, Any]] = {}
    for item in state.evidence:
        if item.get("automated"):
            automated[item["step"]] = item
        else:
            files.setdefault(item["step"], []).append(item)
    rows = []
    for step in state.plan.steps:
        recorded = state.steps.get(step.name)
        step_files = []
        for item in files.get(step.name, []):
            if recorded and item["sha256"] in recorded.get("evidence", []):
                step_files.append(item | {"stored": store.blob(item["sha256"]) is not None})
        rows.append({"plan": step, "recorded": recorded, "files": step_files,
                     "automated": (automated.get(step.name) or {}).get("data")})
    return rows


def _approvals(state: DrillState, verification: Verification) -> list[dict[str, Any]]:
    """Each approver of the plan with their sign-off (if any), its record and signature as verification judged it."""
    judged = {signoff.seq: signoff for signoff in verification.signoffs}
    by_name: dict[str, dict[str, Any]] = {}
    for row in state.records:
        if row["kind"] != "signoff":
            continue
        body = json.loads(row["content_json"])["body"]
        signoff = judged.get(row["seq"])
        by_name.setdefault(body["by"].casefold(), {
            "seq": row["seq"], "hash": row["hash"], "signed_at": body.get("signed_at", ""),
            "verified": bool(signoff and signoff.verified), "signature": signoff.signature if signoff else None,
            "fingerprint": (signoff.key_fingerprint if signoff else None) or body.get("key_fingerprint"),
            "head": body.get("head"), "failed_steps": body.get("failed_steps") or []})
    return [{"name": a.name, "role": a.role, "pinned": a.pinned, "signoff": by_name.get(a.name.casefold())}
            for a in state.plan.approvers]


def drill_context(store: HistoryStore, drill_id: str) -> dict[str, Any]:
    state = load_state(store, drill_id)
    verification = verify_drill(store, drill_id)
    measures = state.measures()
    svg_rows = []
    for m in measures:
        svg_rows.append({"label": m.tier, "objective": "RTO", "target": m.rto_target, "measured": m.rto_measured})
        svg_rows.append({"label": m.tier, "objective": "RPO", "target": m.rpo_target, "measured": m.rpo_measured})
    history_rows = []
    for row in drill_summary_rows(store, [d["id"] for d in store.drills()])[-10:]:
        if row["rto_target_minutes"] is None:
            continue
        label = f"{row['started_at'][:10]} {row['kind']}" + (" (this)" if row["id"] == drill_id else "")
        history_rows.append({"label": label, "objective": "RTO", "target": row["rto_target_minutes"],
                             "measured": row["rto_measured_minutes"]})
        history_rows.append({"label": label, "objective": "RPO", "target": row["rpo_target_minutes"],
                             "measured": row["rpo_measured_minutes"]})
    open_findings: list[dict[str, Any]] = []
    open_total = 0
    run_id = state.opened.get("run_id")
    summary = None
    if run_id and store.has_run(run_id):
        run = store.get_run(run_id)
        summary = run["summary"]
        bad = [f for f in run["findings"] if f["status"] in ("FAIL", "ERROR")]
        open_total, open_findings = len(bad), bad[:MAX_FINDINGS]
    signed_off_at = state.signed_off_at
    return {
        "drill_id": drill_id, "state": state, "plan": state.plan, "opened": state.opened,
        "opened_at": stamp(state.opened_at), "started_at": stamp(state.started_at),
        "finished_at": stamp(state.finished_at) if state.finished_at else None,
        "signed_off_at": stamp(signed_off_at) if signed_off_at else None,
        "measures": measures, "head": state.headline(), "steps": _step_rows(state, store),
        "approvals": _approvals(state, verification), "verification": verification,
        "failed_steps": state.failed_steps, "seal": seal_line(verification), "run_id": run_id, "run_summary": summary,
        "open_findings": open_findings, "open_total": open_total, "max_findings": MAX_FINDINGS,
        "svg": objectives_svg(svg_rows), "history_svg": objectives_svg(history_rows) if len(history_rows) > 2 else "",
    }


def render_drill(store: HistoryStore, drill_id: str, fmt: str) -> str:
    template = environment().get_template("drill.html.j2" if fmt == "html" else "drill.md.j2")
    return template.render(**drill_context(store, drill_id))
