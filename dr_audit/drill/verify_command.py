"""`drill verify`: the store's drills, an exported bundle, a printed report or the plan file, judged together."""

from __future__ import annotations

import hashlib
from pathlib import Path

from ..errors import BadInput
from ..inputs import read_config_text
from .integrity import Verification, compare_seal, verify_rows
from .plan import load_plan


def verify_command(drill_id: str | None, report_file: Path | None, bundle: Path | None, plan_file: Path | None,
                   history: Path | None, history_url: str | None) -> tuple[list[str], bool]:
    """The lines to print and whether everything checked is proven (exit 0)."""
    seal = None
    if report_file is not None:
        from .bundle import read_seal

        seal = read_seal(report_file)
        if drill_id is not None and drill_id != seal["drill_id"]:
            raise BadInput(f"--report {report_file} is of drill {seal['drill_id']}, not {drill_id}")
        drill_id = seal["drill_id"]
    results = [_from_bundle(bundle, drill_id)] if bundle is not None else _from_store(drill_id, history, history_url)
    if (seal is not None or plan_file is not None) and len(results) != 1:
        raise BadInput("--report and --plan check one drill: name it")
    lines = [result.line() for result in results]
    ok = all(r.proven for r in results)
    if seal is not None:
        problem = compare_seal(seal, results[0])
        lines.append(f"report {report_file}: " + (f"DOES NOT MATCH: {problem}" if problem else
                                                 f"matches the records (head {results[0].head[:16]}…)"))
        ok = ok and problem is None
    if plan_file is not None:
        problem = _plan_differs(plan_file, results[0])
        lines.append(f"plan {plan_file}: " + (f"DOES NOT MATCH: {problem}" if problem else
                                             "is the plan the drill recorded, with the same pinned keys"))
        ok = ok and problem is None
    if not results:
        lines.append("no drills in the history store")
    return lines, ok


def _from_bundle(bundle: Path, drill_id: str | None) -> Verification:
    from .bundle import load_bundle

    bundled_id, drill, rows = load_bundle(bundle)
    if drill_id is not None and drill_id != bundled_id:
        raise BadInput(f"--bundle {bundle} holds drill {bundled_id}, not {drill_id}")
    return verify_rows(bundled_id, drill, rows)


def _from_store(drill_id: str | None, history: Path | None, history_url: str | None) -> list[Verification]:
    from ..history import HistoryStore
    from .service import verify_drill

    with HistoryStore.open(history, history_url) as store:
        ids = [drill_id] if drill_id else store.drill_ids()
        return [verify_drill(store, one) for one in ids]


def _plan_differs(plan_file: Path, result: Verification) -> str | None:
    plan = load_plan(plan_file)
    digest = hashlib.sha256(read_config_text(plan_file, "drill plan").encode()).hexdigest()
    pinned = {a.name: a.pinned for a in plan.approvers if a.pinned}
    if pinned != result.pinned:
        return "the approvers' pinned keys differ from the ones the drill recorded"
    if digest != result.plan_sha256:
        return f"its SHA-256 {digest[:16]}… is not the recorded plan's ({result.plan_sha256[:16]}…)"
    return None
