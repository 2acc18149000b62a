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
from typing import Any, Literal

from ..errors import BadInput
from ..estate import DrillRecord, Estate
from ..history import clock
from ..history.chain import SigningKey, key_fingerprint, signoff_statement
from ..history.store import HistoryStore, new_id, who_ran
from ..inputs import limits, read_bytes
from . import evidence as gather
from .integrity import Verification, label, verify_rows
from .plan import DrillPlan
from .times import CLOCK_SKEW, parse_stamp, stamp


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
    failure_at = clock.utc_now().replace(microsecond=0)
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
        started = clock.utc_now()
        if step.action == "recovery_points":
            data = gather.recovery_points(scoped, failure_at, readers.cos, readers.cos_problem)
            outcome, notes = gather.recovery_outcome(data)
        else:
            data = gather.replica_checksums(scoped, step.sample, readers.cos, readers.cos_problem,
                                            readers.offsite, readers.offsite_problem)
            outcome, notes = gather.replica_outcome(data)
        finished = clock.utc_now()
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
    _within_window(state, started, finished, clock.utc_now())
    if outcome not in ("pass", "fail"):
        raise BadInput(f"--outcome must be pass or fail, not {outcome!r}")
    if state.signoffs:
        raise BadInput(f"drill {drill_id} has sign-offs; its records are closed")
    files = []
    for path in evidence_files:
        try:  # a regular file within the limit: a FIFO or /dev/zero would hang or exhaust memory
            content = read_bytes(path, "file", limit=limits().evidence_bytes)
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


def _within_window(state: DrillState, started: datetime, finished: datetime, now: datetime) -> None:
    """opened <= started <= finished <= now (+ skew): a step cannot begin before its drill, nor end in the future.

    The opening is taken to the second, as people type times: a step typed as starting in the drill's opening
    second belongs to it.
    """
    opened = state.opened_at.replace(microsecond=0)
    if started < opened:
        raise BadInput(f"--started {stamp(started)} is before drill {state.drill_id} opened ({stamp(opened)}): "
                       "a step of the drill cannot have begun earlier")
    if finished < started:
        raise BadInput(f"--finished {stamp(finished)} is before --started {stamp(started)}")
    if finished > now + CLOCK_SKEW:
        raise BadInput(f"--finished {stamp(finished)} is in the future (now {stamp(now)})")


# -- signing off ----------------------------------------------------------------------------------------------------

def sign_drill(store: HistoryStore, drill_id: str, by: str, role: str, key: SigningKey | None) -> DrillState:
    """Approve the drill as it stands: the sign-off records every step's outcome and, with a key, signs the head."""
    state = load_state(store, drill_id)
    approver = state.plan.approver(by, role)
    if any(s["by"].casefold() == approver.name.casefold() for s in state.signoffs):
        raise BadInput(f"{approver.name} has already signed drill {drill_id}")
    missing = [s.name for s in state.plan.steps if s.name not in state.steps]
    if missing:
        raise BadInput(f"drill {drill_id} cannot be signed yet: steps not recorded: {', '.join(missing)}")
    pin = approver.pinned
    if pin is not None and key is None:
        raise BadInput(f"the drill's plan pins {approver.name}'s key ({pin}): sign with --key")
    if pin is not None and key is not None and key_fingerprint(key.public_pem) != pin:
        raise BadInput(f"--key is {key_fingerprint(key.public_pem)}, not the key the plan pins for {approver.name} "
                       f"({pin})")
    check = verify_drill(store, drill_id)
    if not check.intact:
        raise BadInput(f"drill {drill_id} fails verification, refusing to sign: {check.problem}")
    statement = signoff_statement(drill_id, check.sealed_head, check.sealed_records, approver.name, approver.role)
    signature = key.sign_text(statement) if key else None
    body = {"by": approver.name, "role": approver.role, "signed_at": stamp(clock.utc_now()),
            "head": check.sealed_head, "records": check.sealed_records,
            "steps": {name: step["outcome"] for name, step in state.steps.items()},
            "failed_steps": state.failed_steps,
            "key_fingerprint": key_fingerprint(key.public_pem) if key else None,
            "public_key": key.public_pem if key else None, "signature": signature, "os_user": who_ran()}
    store.append_record(drill_id, "signoff", body, (signature, key.public_pem) if key and signature else None)
    return load_state(store, drill_id)


# -- verification ---------------------------------------------------------------------------------------------------

def verify_drill(store: HistoryStore, drill_id: str) -> Verification:
    """Walk the chain and judge the sign-offs (integrity.verify_rows); BadInput for a drill the store never had."""
    rows = store.records(drill_id)
    try:
        drill: dict[str, Any] | None = store.drill(drill_id)
    except BadInput:
        if not rows:
            raise
        drill = None
    return verify_rows(drill_id, drill, rows)


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
    def failed_steps(self) -> list[str]:
        """Steps of the plan recorded with an outcome other than pass, in the plan's order."""
        return [s.name for s in self.plan.steps if s.name in self.steps and self.steps[s.name]["outcome"] != "pass"]

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


class DrillUnreadable(BadInput):
    """A drill whose stored records cannot be read as a drill: that drill is ERROR, every other one is judged."""


def load_state(store: HistoryStore, drill_id: str) -> DrillState:
    """The drill's state from its records; DrillUnreadable naming the first record that cannot be read."""
    rows = store.records(drill_id)
    if not rows:
        store.drill(drill_id)  # raises BadInput for an unknown id
        raise DrillUnreadable(f"drill {drill_id} has no records (see `dr-audit drill verify {drill_id}`)")
    contents = []
    for row in rows:
        try:
            content = json.loads(row["content_json"])
        except (ValueError, TypeError):
            content = None
        if not isinstance(content, dict) or not isinstance(content.get("body"), dict):
            raise DrillUnreadable(f"drill {drill_id}: {label(row)} is unreadable (run `dr-audit drill verify`)")
        contents.append((row, content))
    opened = next((c for _, c in contents if c.get("kind") == "opened"), None)
    if opened is None:
        raise DrillUnreadable(f"drill {drill_id}: its opening record is missing (run `dr-audit drill verify`)")
    try:
        plan = DrillPlan.model_validate(opened["body"]["plan"])
        state = DrillState(drill_id, plan, opened["body"], parse_stamp(opened["created_at"]), records=rows)
        state.failure_at  # noqa: B018 - read now: a bad stamp fails here, not halfway through a report
    except (KeyError, TypeError, ValueError) as exc:  # pydantic's ValidationError is a ValueError
        raise DrillUnreadable(f"drill {drill_id}: its opening record cannot be read: {_reason(exc)}") from None
    for row, content in contents:
        try:
            _apply(state, content)
        except (KeyError, TypeError, ValueError) as exc:
            raise DrillUnreadable(f"drill {drill_id}: {label(row)} cannot be read: {_reason(exc)}") from None
    return state


def _reason(exc: Exception) -> str:
    text = " ".join(str(exc).split())[:200]
    return f"missing {text}" if isinstance(exc, KeyError) else text or type(exc).__name__


def _apply(state: DrillState, content: dict[str, Any]) -> None:
    """Fold one record into the state, checking what later arithmetic relies on: times and outcomes."""
    body = content["body"]
    kind = content.get("kind")
    if kind == "step":
        name, started, finished = body["step"], parse_stamp(body["started"]), parse_stamp(body["finished"])
        if name not in {s.name for s in state.plan.steps}:
            raise ValueError(f"step {name!r} is not in the drill's plan")
        if body["outcome"] not in ("pass", "fail"):
            raise ValueError(f"outcome {body['outcome']!r} is neither pass nor fail")
        if started < state.opened_at.replace(microsecond=0) or finished < started:
            raise ValueError(f"step {name!r} is dated {body['started']} to {body['finished']}, outside the drill's "
                             f"window (opened {stamp(state.opened_at)})")
        if finished > parse_stamp(content["created_at"]) + CLOCK_SKEW:
            raise ValueError(f"step {name!r} finished {body['finished']}, after it was recorded")
        state.steps[name] = body
    elif kind == "evidence":
        state.evidence.append(body)
    elif kind == "signoff":
        if not isinstance(body["by"], str):
            raise ValueError("the sign-off names no approver")
        parse_stamp(body["signed_at"])
        state.signoffs.append(body | {"created_at": content.get("created_at")})


# Reading a stored drill can fail on anything its records hold; these are the failures of reading data.
UNREADABLE = (BadInput, KeyError, TypeError, ValueError, AttributeError)


def drill_records(store: HistoryStore) -> list[DrillRecord]:
    """The history store's drills as the drill_* checks read them (Estate.drills): one record per drill and account.

    A drill whose chain does not verify, or whose records cannot be read, is not evidence: it is marked unreadable,
    so the checks say ERROR for it unless another, intact drill proves the cadence. Other drills are unaffected.
    """
    records: list[DrillRecord] = []
    for row in store.drills():
        check: Verification | None = None
        try:
            check = verify_drill(store, row["id"])
            records += _drill_records(store, row["id"], check)
        except UNREADABLE as exc:
            reason = str(exc)
            if check is not None and not check.intact:
                reason = f"drill records fail verification: {check.problem}"
            records.append(_unreadable_record(row, reason))
    return records


def _drill_records(store: HistoryStore, drill_id: str, check: Verification) -> list[DrillRecord]:
    state = load_state(store, drill_id)
    head = state.headline()
    unreadable = {} if check.intact else {"signed_off_at": f"drill records fail verification: {check.problem}"}
    return [DrillRecord(
        account=account, drill_id=state.drill_id, kind=state.plan.kind, started_at=state.started_at,
        finished_at=state.finished_at, signed_off_at=state.signed_off_at,
        approvers=[a.name for a in state.plan.approvers], rto_target_minutes=head.rto_target,
        rpo_target_minutes=head.rpo_target, rto_measured_minutes=head.rto_measured,
        rpo_measured_minutes=head.rpo_measured, failed_steps=state.failed_steps, unreadable=dict(unreadable))
        for account in state.opened.get("accounts") or [""]]


def _unreadable_record(row: dict[str, Any], reason: str) -> DrillRecord:
    """A drill that cannot be read: every deciding field unknown, for every account (its own may be unreadable)."""
    why = reason.removeprefix(f"drill {row['id']}: ")  # the checks name the drill themselves
    try:
        started = parse_stamp(row["opened_at"])
    except (TypeError, ValueError):
        started = datetime(2000, 1, 1, tzinfo=UTC)  # a placeholder the checks never read: started_at is unknown
    kind: Literal["monthly", "quarterly"] = "quarterly" if row.get("kind") == "quarterly" else "monthly"
    return DrillRecord(account="", drill_id=str(row["id"]), kind=kind, started_at=started,
                       unreadable={name: why for name in ("signed_off_at", "kind", "started_at", "rto_target_minutes",
                                                          "rpo_target_minutes", "rto_measured_minutes",
                                                          "rpo_measured_minutes")})


def drill_summary_rows(store: HistoryStore, drill_ids: list[str]) -> list[dict[str, Any]]:
    """One line per drill for `drill list` and the start summary; a drill that cannot be read says why."""
    rows = []
    for drill_id in drill_ids:
        try:
            check = verify_drill(store, drill_id)
        except BadInput as exc:
            rows.append(_summary_of_unreadable(store, drill_id, {"id": drill_id, "intact": False,
                                                                  "integrity_problem": str(exc)}, str(exc)))
            continue
        row: dict[str, Any] = {"id": drill_id, "intact": check.intact, "integrity_problem": check.problem or None,
                               "signatures_pinned": bool(check.pinned)}
        try:
            rows.append(row | _summary(load_state(store, drill_id)))
        except UNREADABLE as exc:
            rows.append(_summary_of_unreadable(store, drill_id, row, str(exc)))
    return rows


def _summary(state: DrillState) -> dict[str, Any]:
    head = state.headline()
    return {
        "kind": state.plan.kind, "name": state.plan.name, "started_at": stamp(state.started_at),
        "finished_at": stamp(state.finished_at) if state.finished_at else None,
        "signed_off_at": stamp(state.signed_off_at) if state.signed_off_at else None,
        "rto_target_minutes": head.rto_target, "rto_measured_minutes": head.rto_measured,
        "rpo_target_minutes": head.rpo_target, "rpo_measured_minutes": head.rpo_measured,
        "signed_by": [s["by"] for s in state.signoffs], "failed_steps": state.failed_steps,
        "automated": {name: body["outcome"] for name, body in state.steps.items() if body.get("automated")},
    }


def _summary_of_unreadable(store: HistoryStore, drill_id: str, row: dict[str, Any], problem: str) -> dict[str, Any]:
    try:
        stored = store.drill(drill_id)
    except BadInput:
        stored = {}
    return row | {"kind": stored.get("kind"), "name": stored.get("name"), "started_at": stored.get("opened_at"),
                  "finished_at": None, "signed_off_at": None, "rto_target_minutes": None,
                  "rto_measured_minutes": None, "rpo_target_minutes": None, "rpo_measured_minutes": None,
                  "signed_by": [], "failed_steps": [], "problem": problem, "automated": {}}
