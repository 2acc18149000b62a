"""Drills as the history store keeps them: open one, record steps, sign it off, verify its chain, measure it.

Every fact about a drill is a hash-chained record (opened, evidence, step, signoff); its state is recomputed from
those records each time, so what is reported is exactly what verification covers.

Definitions (documented in the plan templates too):
- simulated failure: the moment `drill start` ran; recovery points are judged as of then.
- measured RPO of a tier: the largest age, at the simulated failure, of the newest recovery point of any resource
  in the tier (for COS replicas: how much newer the source's newest object is than the replica's).
- measured RTO of a tier: from the start of the drill's first step to the finish of its last recovery step
  (`recovery: true`, for that tier or for every tier). Unknown while a recovery step is unrecorded or failed.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..errors import BadInput
from ..estate import DrillRecord, Estate
from ..history.chain import GENESIS, SigningKey, canonical, key_fingerprint, record_hash, signature_valid
from ..history.store import HistoryStore, new_id, who_ran
from ..inputs import read_bytes
from . import evidence as gather
from .plan import DrillPlan
from .times import parse_stamp, stamp

MAX_EVIDENCE_BYTES = 50 * 1024 * 1024


@dataclass
class Readers:
    """Where the automated steps read objects from; a None reader carries the reason it is unavailable."""

    cos: gather.ObjectReader | None = None
    cos_problem: str = "no COS endpoint or credentials were given"
    offsite: gather.ObjectReader | None = None
    offsite_problem: str = "no off-site endpoint or credentials were given"


# -- opening a drill ------------------------------------------------------------------------------------------------

def start_drill(store: HistoryStore, plan: DrillPlan, plan_text: str, estate: Estate, *,
                open_findings_report: dict[str, Any] | None, readers: Readers) -> str:
    """Open a drill, record the findings open now, and run its automated steps; returns the drill id."""
    failure_at = datetime.now(UTC).replace(microsecond=0)
    scoped = gather.Scoped(estate, plan)
    # The run is stored with the drill, in its transaction: a failure on the way leaves neither.
    run_id = new_id("run") if open_findings_report else None
    opened_by = who_ran()
    body: dict[str, Any] = {
        "plan": plan.model_dump(mode="json"),
        "plan_sha256": hashlib.sha256(plan_text.encode()).hexdigest(),
        "source": estate.source,
        "estate_sha256": estate.sha256(),
        "accounts": scoped.accounts(),
        "regions": [r for r in estate.regions if not plan.scope.regions or r in plan.scope.regions],
        "failure_at": stamp(failure_at),
        "run_id": run_id,
        "opened_by": opened_by,
    }
    opened = store.open_drill(kind=plan.kind, name=plan.name or f"{plan.kind} drill", opened_by=opened_by,
                              run_id=run_id, body=body, report=open_findings_report)
    drill_id = opened["drill_id"]
    for step in plan.steps:
        if step.type != "automated":
            continue
        started = datetime.now(UTC)
        if step.action == "recovery_points":
            data = gather.recovery_points(scoped, failure_at, readers.cos, readers.cos_problem)
            outcome, notes = gather.recovery_outcome(data)
        else:
            data = gather.replica_checksums(scoped, step.sample, readers.cos, readers.cos_problem,
                                            readers.offsite, readers.offsite_problem)
            outcome, notes = gather.replica_outcome(data)
        finished = datetime.now(UTC)
        store.append_records(drill_id, [
            ("evidence", {"step": step.name, "automated": True, "action": step.action, "data": data}),
            ("step", {"step": step.name, "started": _precise(started), "finished": _precise(finished),
                      "outcome": outcome, "notes": notes, "automated": True, "by": who_ran(), "evidence": []}),
        ])
    return drill_id


def _precise(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


# -- recording manual steps -----------------------------------------------------------------------------------------

def record_step(store: HistoryStore, drill_id: str, step_name: str, started: datetime, finished: datetime,
                outcome: str, notes: str, evidence_files: list[Path]) -> dict[str, Any]:
    state = load_state(store, drill_id)
    step = state.plan.step(step_name)
    if step.type == "automated":
        raise BadInput(f"step {step_name!r} is automated: its evidence was gathered when the drill started")
    if finished < started:
        raise BadInput(f"--finished {stamp(finished)} is before --started {stamp(started)}")
    if outcome not in ("pass", "fail"):
        raise BadInput(f"--outcome must be pass or fail, not {outcome!r}")
    if state.signoffs:
        raise BadInput(f"drill {drill_id} has sign-offs; its records are closed")
    files = []
    for path in evidence_files:
        try:  # a regular file within the limit: a FIFO or /dev/zero would hang or exhaust memory
            content = read_bytes(path, "file", limit=MAX_EVIDENCE_BYTES)
        except BadInput as exc:
            raise BadInput(f"--evidence {exc}") from None
        files.append((path.name, content))
    items: list[tuple[str, dict[str, Any]]] = []
    digests = []
    for name, content in files:
        digest = store.put_blob(content)
        digests.append(digest)
        items.append(("evidence", {"step": step_name, "automated": False, "file": name, "sha256": digest,
                                   "size": len(content)}))
    items.append(("step", {"step": step_name, "started": stamp(started), "finished": stamp(finished),
                           "outcome": outcome, "notes": notes, "automated": False, "by": who_ran(),
                           "evidence": digests}))
    return store.append_records(drill_id, items)[-1]


# -- signing off ----------------------------------------------------------------------------------------------------

def sign_drill(store: HistoryStore, drill_id: str, by: str, role: str, key: SigningKey | None) -> DrillState:
    state = load_state(store, drill_id)
    approver = state.plan.approver(by, role)
    if any(s["by"].casefold() == approver.name.casefold() for s in state.signoffs):
        raise BadInput(f"{approver.name} has already signed drill {drill_id}")
    missing = [s.name for s in state.plan.steps if s.name not in state.steps]
    if missing:
        raise BadInput(f"drill {drill_id} cannot be signed yet: steps not recorded: {', '.join(missing)}")
    check = verify_drill(store, drill_id)
    if not check.intact:
        raise BadInput(f"drill {drill_id} fails verification, refusing to sign: {check.problem}")
    body = {"by": approver.name, "role": approver.role, "signed_at": stamp(datetime.now(UTC)),
            "key_fingerprint": key_fingerprint(key.public_pem) if key else None, "os_user": who_ran()}
    store.append_record(drill_id, "signoff", body, key)
    return load_state(store, drill_id)


# -- verification ---------------------------------------------------------------------------------------------------

@dataclass
class Verification:
    drill_id: str
    intact: bool
    records: int
    signatures: int = 0
    problem: str = ""

    def line(self) -> str:
        if self.intact:
            return f"{self.drill_id}: intact ({self.records} records, {self.signatures} signatures verified)"
        return f"{self.drill_id}: TAMPERED: {self.problem}"


def _label(row: dict[str, Any]) -> str:
    try:
        body = json.loads(row["content_json"]).get("body", {})
    except (ValueError, AttributeError):
        body = {}
    detail = body.get("step") or body.get("by") or ""
    return f"record #{row['seq']} ({row['kind']}{' ' + repr(detail) if detail else ''})"


def verify_drill(store: HistoryStore, drill_id: str) -> Verification:
    """Walk the chain: every record's content, position, predecessor, signature, and the stored head."""
    rows = store.records(drill_id)
    result = Verification(drill_id, intact=False, records=len(rows))
    try:
        drill = store.drill(drill_id)
    except BadInput:
        if not rows:
            raise
        result.problem = f"the drill's own row is missing (deleted) while {len(rows)} records remain"
        return result
    previous = GENESIS
    for position, row in enumerate(rows, 1):
        label = _label(row)
        if row["seq"] != position:
            result.problem = f"record #{position} is missing (deleted); the next stored is #{row['seq']}"
            return result
        try:
            content = json.loads(row["content_json"])
        except ValueError:
            result.problem = f"{label}: content is not valid JSON (edited)"
            return result
        if not isinstance(content, dict) or content.get("drill_id") != drill_id or content.get("seq") != position:
            claimed = content.get("seq") if isinstance(content, dict) else "?"
            result.problem = (f"{label}: position #{position} holds the content of record #{claimed} "
                              f"(records reordered or moved)")
            return result
        if row["prev_hash"] != previous:
            result.problem = f"{label}: does not follow record #{position - 1} (a record was deleted or reordered)"
            return result
        if canonical(content) != row["content_json"] or record_hash(previous, row["content_json"]) != row["hash"] \
                or content.get("kind") != row["kind"] or content.get("created_at") != row["created_at"]:
            result.problem = f"{label}: content does not match its hash (edited)"
            return result
        if row["signature"] or row["public_key"]:
            if not (row["signature"] and row["public_key"]
                    and signature_valid(row["public_key"], row["signature"], row["hash"])):
                result.problem = f"{label}: Ed25519 signature does not verify"
                return result
            result.signatures += 1
        previous = row["hash"]
    if not rows or rows[0]["kind"] != "opened":
        result.problem = "record #1 (opened) is missing (deleted)"
        return result
    if drill["record_count"] != len(rows) or drill["head_hash"] != previous:
        result.problem = (f"the drill's head says {drill['record_count']} records but {len(rows)} remain: "
                          f"record #{len(rows) + 1} onwards were deleted" if drill["record_count"] > len(rows)
                          else "the drill's head hash does not match its last record (edited)")
        return result
    result.intact = True
    return result


# -- state and measurement ------------------------------------------------------------------------------------------

@dataclass
class TierMeasure:
    tier: str
    rto_target: float
    rpo_target: float
    rto_measured: float | None
    rpo_measured: float | None
    rto_note: str = ""
    rpo_note: str = ""

    @property
    def rto_met(self) -> bool | None:
        return None if self.rto_measured is None else self.rto_measured <= self.rto_target

    @property
    def rpo_met(self) -> bool | None:
        return None if self.rpo_measured is None else self.rpo_measured <= self.rpo_target


@dataclass
class DrillState:
    drill_id: str
    plan: DrillPlan
    opened: dict[str, Any]
    opened_at: datetime
    steps: dict[str, dict[str, Any]] = field(default_factory=dict)  # the latest record per step name
    evidence: list[dict[str, Any]] = field(default_factory=list)
    signoffs: list[dict[str, Any]] = field(default_factory=list)
    records: list[dict[str, Any]] = field(default_factory=list)

    @property
    def failure_at(self) -> datetime:
        return parse_stamp(self.opened["failure_at"])

    @property
    def signed_off_at(self) -> datetime | None:
        """When the last required approver signed; None until every approver has."""
        signed: dict[str, datetime] = {}
        for signoff in self.signoffs:
            signed.setdefault(signoff["by"].casefold(), parse_stamp(signoff["signed_at"]))
        needed = [a.name.casefold() for a in self.plan.approvers]
        if all(name in signed for name in needed):
            return max(signed[name] for name in needed)
        return None

    @property
    def complete(self) -> bool:
        return self.signed_off_at is not None

    @property
    def started_at(self) -> datetime:
        starts = [parse_stamp(s["started"]) for s in self.steps.values()]
        return min([*starts, self.failure_at])

    @property
    def finished_at(self) -> datetime | None:
        if any(s.name not in self.steps for s in self.plan.steps):
            return None
        return max(parse_stamp(s["finished"]) for s in self.steps.values())

    def automated_data(self, action: str) -> dict[str, Any] | None:
        for item in reversed(self.evidence):
            if item.get("automated") and item.get("action") == action:
                data: dict[str, Any] = item["data"]
                return data
        return None

    def measures(self) -> list[TierMeasure]:
        points = (self.automated_data("recovery_points") or {}).get("points")
        first_start = min((parse_stamp(s["started"]) for s in self.steps.values()), default=None)
        result = []
        for tier in self.plan.tiers:
            measure = TierMeasure(tier.name, tier.rto_minutes, tier.rpo_minutes, None, None)
            recovery = [s for s in self.plan.steps if s.recovery and s.tier in (None, tier.name)]
            unrecorded = [s.name for s in recovery if s.name not in self.steps]
            failed = [s.name for s in recovery if s.name in self.steps and self.steps[s.name]["outcome"] != "pass"]
            if not recovery:
                measure.rto_note = "the plan has no recovery step for this tier"
            elif unrecorded:
                measure.rto_note = f"recovery steps not recorded: {', '.join(unrecorded)}"
            elif failed:
                measure.rto_note = f"recovery steps failed: {', '.join(failed)}: the tier was not recovered"
            elif first_start is not None:
                last = max(parse_stamp(self.steps[s.name]["finished"]) for s in recovery)
                measure.rto_measured = round((last - first_start).total_seconds() / 60, 2)
            if points is None:
                measure.rpo_note = "no recovery-point evidence was gathered"
            else:
                mine = [p for p in points if p["tier"] == tier.name]
                unknown = [p for p in mine if p["age_minutes"] is None]
                if unknown:
                    measure.rpo_note = (f"{len(unknown)} resources without a readable recovery point "
                                        f"(e.g. {unknown[0]['resource_id']}: {unknown[0].get('problem', '')})")
                elif not mine:
                    measure.rpo_note = "no resource of this tier was found"
                else:
                    measure.rpo_measured = max(p["age_minutes"] for p in mine)
            result.append(measure)
        return result

    def headline(self) -> TierMeasure:
        """The drill's RTO and RPO as one pair each: the tier that did worst against its target (or did not measure)."""
        measures = self.measures()

        def rank(measured: float | None, target: float) -> float:
            return float("inf") if measured is None else measured / target

        rto = max(measures, key=lambda m: rank(m.rto_measured, m.rto_target))
        rpo = max(measures, key=lambda m: rank(m.rpo_measured, m.rpo_target))
        return TierMeasure(f"{rto.tier}/{rpo.tier}", rto.rto_target, rpo.rpo_target, rto.rto_measured,
                           rpo.rpo_measured, rto.rto_note, rpo.rpo_note)


def load_state(store: HistoryStore, drill_id: str) -> DrillState:
    rows = store.records(drill_id)
    if not rows:
        store.drill(drill_id)  # raises BadInput for an unknown id
        raise BadInput(f"drill {drill_id} has no records (see `dr-audit drill verify {drill_id}`)")
    contents = []
    for row in rows:
        try:
            contents.append(json.loads(row["content_json"]))
        except ValueError:
            raise BadInput(f"drill {drill_id}: {_label(row)} is unreadable (run `dr-audit drill verify`)") from None
    opened = next((c for c in contents if c.get("kind") == "opened"), None)
    if opened is None:
        raise BadInput(f"drill {drill_id}: its opening record is missing (run `dr-audit drill verify`)")
    plan = DrillPlan.model_validate(opened["body"]["plan"])
    state = DrillState(drill_id, plan, opened["body"], parse_stamp(opened["created_at"]), records=rows)
    for content in contents:
        body = content.get("body", {})
        if content.get("kind") == "step":
            state.steps[body["step"]] = body
        elif content.get("kind") == "evidence":
            state.evidence.append(body)
        elif content.get("kind") == "signoff":
            state.signoffs.append(body | {"created_at": content.get("created_at")})
    return state


def drill_records(store: HistoryStore) -> list[DrillRecord]:
    """The history store's drills as the drill_* checks read them (Estate.drills): one record per drill and account.

    A drill whose chain does not verify is not evidence: its sign-off is marked unreadable, so the checks say ERROR
    unless another, intact drill proves the cadence.
    """
    records: list[DrillRecord] = []
    for row in store.drills():
        check = verify_drill(store, row["id"])
        try:
            state = load_state(store, row["id"])
        except BadInput as exc:
            records.append(DrillRecord(account="", drill_id=row["id"], kind=row["kind"],
                                       started_at=parse_stamp(row["opened_at"]),
                                       unreadable={"signed_off_at": str(exc), "kind": str(exc)}))
            continue
        head = state.headline()
        unreadable = {} if check.intact else {"signed_off_at": f"drill records fail verification: {check.problem}"}
        for account in state.opened.get("accounts") or [""]:
            records.append(DrillRecord(
                account=account, drill_id=state.drill_id, kind=state.plan.kind, started_at=state.started_at,
                finished_at=state.finished_at, signed_off_at=state.signed_off_at,
                approvers=[a.name for a in state.plan.approvers], rto_target_minutes=head.rto_target,
                rpo_target_minutes=head.rpo_target, rto_measured_minutes=head.rto_measured,
                rpo_measured_minutes=head.rpo_measured, unreadable=dict(unreadable)))
    return records


def drill_summary_rows(store: HistoryStore, drill_ids: list[str]) -> list[dict[str, Any]]:
    """One line per drill for `drill list` and the start summary."""
    rows = []
    for drill_id in drill_ids:
        check = verify_drill(store, drill_id)
        row: dict[str, Any] = {"id": drill_id, "intact": check.intact, "integrity_problem": check.problem or None}
        try:
            state = load_state(store, drill_id)
        except BadInput as exc:
            stored = store.drill(drill_id)
            rows.append(row | {"kind": stored["kind"], "name": stored["name"], "started_at": stored["opened_at"],
                               "finished_at": None, "signed_off_at": None, "rto_target_minutes": None,
                               "rto_measured_minutes": None, "rpo_target_minutes": None,
                               "rpo_measured_minutes": None, "signed_by": [], "problem": str(exc), "automated": {}})
            continue
        head = state.headline()
        rows.append(row | {
            "kind": state.plan.kind, "name": state.plan.name, "started_at": stamp(state.started_at),
            "finished_at": stamp(state.finished_at) if state.finished_at else None,
            "signed_off_at": stamp(state.signed_off_at) if state.signed_off_at else None,
            "rto_target_minutes": head.rto_target, "rto_measured_minutes": head.rto_measured,
            "rpo_target_minutes": head.rpo_target, "rpo_measured_minutes": head.rpo_measured,
            "signed_by": [s["by"] for s in state.signoffs],
            "automated": {name: body["outcome"] for name, body in state.steps.items() if body.get("automated")},
        })
    return rows
