"""The JSON report document (DESIGN.md §6, schema_version 1), the one thing every reporter renders."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from . import __version__
from .engine import Evaluation
from .findings import STATUS_ORDER, Finding, Severity, Status
from .registry import Registry

REPORT_SCHEMA_VERSION = 1


def utc_stamp(moment: datetime | None = None) -> str:
    moment = (moment or datetime.now(UTC)).astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class RunInfo:
    source: str
    pack: str
    pack_sha256: str
    started_at: datetime
    accounts: list[str] = field(default_factory=list)
    regions: list[str] = field(default_factory=list)
    estate_sha256: str = ""
    finished_at: datetime | None = None
    # Each account a --role-arn or --organization run set out to audit: account, status, name, unit, reason.
    account_status: list[dict[str, str]] = field(default_factory=list)


def summarise(findings: list[Finding] | list[dict[str, Any]]) -> dict[str, int]:
    counts = Counter(f.status if isinstance(f, Finding) else f["status"] for f in findings)
    return {status.value: counts.get(status, 0) for status in Status}


def build_report(run: RunInfo, evaluation: Evaluation, registry: Registry) -> dict[str, Any]:
    findings = sorted(evaluation.findings, key=_finding_order)
    outcomes = {o.check_id: o for o in evaluation.outcomes}
    checks = []
    for spec in registry:
        outcome = outcomes.get(spec.id)
        if outcome is None:
            continue
        checks.append({
            "id": spec.id, "title": spec.title, "promise": spec.promise, "severity": spec.severity.value,
            "applicable": outcome.applicable, "examined": outcome.examined, "note": outcome.note,
            "risk": spec.risk,
        })
    return {
        "schema_version": REPORT_SCHEMA_VERSION,
        "tool": {"name": "dr-audit", "version": __version__},
        "run": {
            "source": run.source,
            "pack": run.pack,
            "pack_sha256": run.pack_sha256,
            "started_at": utc_stamp(run.started_at),
            "finished_at": utc_stamp(run.finished_at),
            "accounts": run.accounts,
            "regions": run.regions,
            "estate_sha256": run.estate_sha256,
            # Failed accounts are audited too (every check of theirs is ERROR); excluded ones have no findings.
            "accounts_audited": list(run.accounts),
            "accounts_failed": [s["account"] for s in run.account_status if s["status"] == "failed"],
            "accounts_excluded": [s["account"] for s in run.account_status if s["status"] == "excluded"],
            "account_status": run.account_status,
        },
        "summary": summarise(findings),
        "findings": [f.report_dict() for f in findings],
        "checks": checks,
    }


_GRAVEST_FIRST = {severity: -severity.rank for severity in Severity}


def _finding_order(finding: Finding) -> tuple[Any, ...]:
    resource = finding.resource
    return (STATUS_ORDER[finding.status], _GRAVEST_FIRST[finding.severity], finding.check_id, resource.account,
            resource.region, resource.id)
