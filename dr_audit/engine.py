"""The engine: runs a promise pack's checks over an Estate and turns their results into findings, failing closed.

A check never sees the network. What the Estate could not read becomes ERROR here, before and after the check runs:
a service that was not collected, a (service, region) whose inventory failed, or a check that crashed. A check that
examined nothing PASSes only when that emptiness was read completely, and an estate that names no account PASSes
nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from .estate import Estate, ResourceRef, account_ref
from .findings import Finding, Result, Status, finding_id
from .packs import PromisePack
from .registry import CheckParams, CheckSpec, Registry

_STATUS_WEIGHT = {Status.PASS: 0, Status.MANUAL: 1, Status.FAIL: 2, Status.ERROR: 3, Status.WAIVED: 2}


@dataclass
class CheckOutcome:
    """How one check went: how many resources it examined and whether it applied to this source at all."""

    check_id: str
    applicable: bool = True
    examined: int = 0
    note: str = ""
    counts: dict[str, int] = field(default_factory=dict)


@dataclass
class Evaluation:
    findings: list[Finding]
    outcomes: list[CheckOutcome]


def evaluate(estate: Estate, pack: PromisePack, registry: Registry, *, only: Iterable[str] = ()) -> Evaluation:
    selected = set(only)
    findings: list[Finding] = []
    outcomes: list[CheckOutcome] = []
    for spec in registry:
        entry = pack.checks.get(spec.id)
        if entry is None or not entry.enabled or (selected and spec.id not in selected):
            continue
        params = pack.params_for(spec)
        severity = entry.severity or spec.severity
        promise = entry.promise or spec.promise
        outcome = CheckOutcome(spec.id)
        results = _judge(spec, estate, params, outcome)
        remediation = spec.remediation_for(params)
        # One finding per result, made inline in Finding's field order (id, check_id, status, severity, promise,
        # resource, message, remediation, evidence): a function call and keywords per finding were a third of it.
        check_id = spec.id
        made = [Finding(finding_id(check_id, result.resource), check_id, result.status, severity, promise,
                        result.resource, result.message,
                        (result.remediation or remediation) if result.status is not Status.PASS else "",
                        result.evidence)
                for result in results]
        counts = outcome.counts
        for finding in made:
            counts[finding.status] = counts.get(finding.status, 0) + 1
        findings += made
        outcomes.append(outcome)
    return Evaluation(findings, outcomes)


def _judge(spec: CheckSpec, estate: Estate, params: CheckParams, outcome: CheckOutcome) -> list[Result]:
    accounts = estate.accounts or [""]
    if estate.source not in spec.sources:
        outcome.applicable = False
        outcome.note = f"does not apply to a {estate.source} source"
        return []
    # A check that names no inventory could read any of them: it is judged as needing them all.
    requires = spec.requires or tuple(estate.services)
    missing = [service for service in requires if service not in estate.services]
    if missing and estate.source == "plan":
        outcome.applicable = False
        outcome.note = f"the plan holds no {', '.join(missing)} resources"
        return []
    if missing:
        reason = f"{', '.join(missing)} was not collected for this run"
        return [Result.error(account_ref(account), reason) for account in accounts]

    gaps = [gap for service in requires for gap in estate.gaps_for(service)]
    results: list[Result] = [
        Result.error(ResourceRef(type="service", id=gap.service, region=gap.region, account=gap.account),
                     gap.describe(), code=gap.code)
        for gap in gaps
    ]
    try:
        produced = list(spec.run(estate, params))
    except Exception as exc:  # a crashing check must never read as PASS
        reason = f"check failed to evaluate: {type(exc).__name__}: {exc}"
        return results + [Result.error(account_ref(account), reason) for account in accounts]

    # Gaps grow with the accounts (an unreadable member has one per service): look them up, never scan per result.
    blind: dict[str, set[str]] = {}
    for gap in gaps:
        blind.setdefault(gap.account, set()).add(gap.region)
    judged = [r for r in produced if not _covered(blind, r.resource.account, r.resource.region)] if blind else produced
    merged = _merge(judged)
    outcome.examined = len(merged)
    if not merged and not gaps:
        outcome.note = "0 examined: the estate has no such resources"
        merged = [_vacuous(spec, account) for account in accounts]
    results += merged
    if not estate.accounts:
        results = [_unattributed(result) for result in results]
    return results


def _covered(blind: dict[str, set[str]], account: str, region: str) -> bool:
    """Whether a gap covers the place (a gap with no region covers its whole account), as Gap.covers says."""
    regions = blind.get(account)
    return regions is not None and ("" in regions or region in regions)


def _vacuous(spec: CheckSpec, account: str) -> Result:
    """The result of a check that found nothing to examine in an account.

    Only reached when every service it requires was collected and no read of them failed, so the emptiness was
    read completely; the message says so, because a PASS over nothing is easy to mistake for a PASS over something.
    """
    inventories = ", ".join(spec.requires) or "none"
    return Result.ok(account_ref(account), f"0 examined: no resources of this kind exist (every inventory it needs "
                     f"was read completely: {inventories})", examined=0, inventories=list(spec.requires))


def _unattributed(result: Result) -> Result:
    """Without an identified account nothing proves whose estate was read, so a PASS is not evidence."""
    if result.status is not Status.PASS:
        return result
    reason = "the estate identifies no account, so no result can PASS"
    message = f"{reason} (the check found: {result.message})" if result.message else reason
    return Result.error(result.resource, message, **result.evidence)


def _merge(results: list[Result]) -> list[Result]:
    """One result per resource: the worst status wins and the messages are kept together."""
    # Most checks yield each resource once: ids all distinct settle that in one pass over cached string hashes,
    # without a key tuple per result.
    if len({result.resource.id for result in results}) == len(results):
        return results
    by_resource: dict[tuple[str, str, str, str], Result] = {}
    for result in results:
        ref = result.resource
        key = (ref.account, ref.region, ref.type, ref.id)
        kept = by_resource.get(key)
        if kept is None:
            by_resource[key] = result
            continue
        worse, other = (result, kept) if _STATUS_WEIGHT[result.status] > _STATUS_WEIGHT[kept.status] else (kept, result)
        if other.status == worse.status and other.message and other.message not in worse.message:
            worse.message = f"{worse.message}; {other.message}" if worse.message else other.message
        by_resource[key] = worse
    return list(by_resource.values())
