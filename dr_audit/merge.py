"""One report from the shards of a run group: their findings, accounts and checks merged, a rollup per account, a
promise-by-account matrix, and the shards (and so the accounts) that are missing.

Pure: report documents in, a report document out. `history/groups.py` reads the shards from the store.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from .errors import BadInput
from .findings import STATUS_ORDER, Severity, Status
from .report import summarise
from .shards import OTHER_SHARD

MISSING = "MISSING"  # a matrix cell, and an account's status, when the shard that audits it has not reported


@dataclass(frozen=True)
class ShardRun:
    """One shard's newest run in the group: which shard of how many, its stored id, and its report."""

    index: int
    count: int
    run_id: str
    report: dict[str, Any]


def merge_group(group_id: str, count: int, shards: list[ShardRun]) -> dict[str, Any]:
    """The merged report of `shards` (at most one per index, all of `count`); shards absent from the list are named
    in run.run_group.missing and their accounts, where another shard's listing names them, in accounts_missing."""
    if not shards:
        raise BadInput(f"run group {group_id!r}: no shard to merge")
    shards = sorted(shards, key=lambda s: s.index)
    first = shards[0].report
    for shard in shards[1:]:
        for field in ("pack", "pack_sha256"):
            if shard.report["run"].get(field) != first["run"].get(field):
                raise BadInput(f"run group {group_id!r}: shard {shard.index}/{count} used {field} "
                               f"{shard.report['run'].get(field)!r}, shard {shards[0].index}/{count} "
                               f"{first['run'].get(field)!r}; the shards of a group must audit one pack")
    present = [s.index for s in shards]
    missing = [i for i in range(1, count + 1) if i not in present]
    statuses, missing_accounts = _accounts(shards, missing)
    findings = _findings(shards)
    runs = [s.report["run"] for s in shards]
    accounts = sorted({a for run in runs for a in run.get("accounts", [])})
    merged: dict[str, Any] = {
        "schema_version": first["schema_version"],
        "tool": first["tool"],
        "run": {
            "source": first["run"]["source"],
            "pack": first["run"]["pack"],
            "pack_sha256": first["run"].get("pack_sha256", ""),
            "started_at": min(run["started_at"] for run in runs),
            "finished_at": max(run["finished_at"] for run in runs),
            "accounts": accounts,
            "regions": sorted({r for run in runs for r in run.get("regions", [])}),
            # One digest for the group: each shard's Estate digest in shard order.
            "estate_sha256": hashlib.sha256("\n".join(
                f"{s.index}:{s.report['run'].get('estate_sha256', '')}" for s in shards).encode()).hexdigest(),
            "accounts_audited": [s["account"] for s in statuses if s["status"] in ("audited", "failed")],
            "accounts_failed": [s["account"] for s in statuses if s["status"] == "failed"],
            "accounts_excluded": [s["account"] for s in statuses if s["status"] == "excluded"],
            "accounts_missing": missing_accounts,
            "account_status": statuses,
            "run_group": {"id": group_id, "shards": count, "present": present, "missing": missing,
                          "runs": {str(s.index): s.run_id for s in shards}},
        },
        "summary": summarise(findings),
        "findings": findings,
        "checks": _checks(shards),
    }
    waivers = [s.report["waivers"] for s in shards if "waivers" in s.report]
    if waivers:
        merged["waivers"] = {"file": waivers[0]["file"],
                             **{key: _union(w[key] for w in waivers) for key in ("applied", "expired", "stale")}}
    merged["account_rollup"] = rollup(merged)
    merged["promise_matrix"] = promise_matrix(merged)
    return merged


def _accounts(shards: list[ShardRun], missing: list[int]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Each account's status from the shard that audited it; accounts left to a missing shard, or to a shard that
    did not audit them (the organization changed between the shards' listings), are missing."""
    decided: dict[str, dict[str, Any]] = {}
    excluded: dict[str, dict[str, Any]] = {}
    owner: dict[str, tuple[int, dict[str, Any]]] = {}  # account -> the shard another shard left it to
    for shard in shards:
        for status in shard.report["run"].get("account_status", []):
            account = status["account"]
            if status["status"] in ("audited", "failed"):
                decided.setdefault(account, {**status, "shard": shard.index})
            elif (index := _owning_shard(status)) is not None:  # left to the shard that audits it
                owner.setdefault(account, (index, status))
            else:
                excluded.setdefault(account, {**status, "shard": shard.index})
    statuses = [decided[a] for a in sorted(decided)]
    statuses += [excluded[a] for a in sorted(excluded) if a not in decided]
    gone = []
    for account in sorted(owner):
        if account in decided or account in excluded:
            continue
        index, status = owner[account]
        reason = (f"shard {index} has not reported" if index in missing
                  else f"shard {index} did not audit it (the shards listed different accounts)")
        gone.append({"account": account, "name": status.get("name", ""), "unit": status.get("unit", ""),
                     "shard": index, "reason": reason})
    return statuses, gone


def _owning_shard(status: dict[str, Any]) -> int | None:
    """The shard an account was left to: named by index, or, in reports written before statuses carried it, in the
    reason's words ("audited by shard 2/3 …")."""
    if isinstance(status.get("shard"), int):
        return int(status["shard"])
    reason = status.get("reason", "")
    if isinstance(reason, str) and reason.startswith(OTHER_SHARD):
        index = reason[len(OTHER_SHARD):].split("/", 1)[0]
        if index.isascii() and index.isdigit():
            return int(index)
    return None


def _findings(shards: list[ShardRun]) -> list[dict[str, Any]]:
    """Every shard's findings once, in the order a single run reports them. A finding every shard makes alike (an
    off-site target, a drill) is kept once; where shards judged the same finding differently, the worst stands."""
    kept: dict[str, dict[str, Any]] = {}
    for shard in shards:
        for finding in shard.report["findings"]:
            held = kept.get(finding["id"])
            if held is None or STATUS_ORDER[Status(finding["status"])] < STATUS_ORDER[Status(held["status"])]:
                kept[finding["id"]] = finding
    # A check says "0 examined" per account only when it found nothing at all in the whole run. A shard whose
    # accounts had nothing says so for its own; where another shard's accounts gave the check something to judge
    # (or a gap), the whole group did not come up empty, and a single run would not have said it.
    judged = {f["check_id"] for f in kept.values() if not _vacuous(f)}
    return sorted((f for f in kept.values() if not (_vacuous(f) and f["check_id"] in judged)), key=_finding_order)


def _vacuous(finding: dict[str, Any]) -> bool:
    """The engine's PASS over nothing: an account-level PASS with 0 examined."""
    evidence = finding.get("evidence") or {}
    return (finding["status"] == Status.PASS and finding["resource"].get("type") == "account"
            and evidence.get("examined") == 0 and "inventories" in evidence)


def _finding_order(f: dict[str, Any]) -> tuple[Any, ...]:
    res = f["resource"]
    return (STATUS_ORDER[Status(f["status"])], -Severity(f["severity"]).rank, f["check_id"], res.get("account", ""),
            res.get("region", ""), res["id"])


def _checks(shards: list[ShardRun]) -> list[dict[str, Any]]:
    merged: dict[str, dict[str, Any]] = {}
    for shard in shards:
        for check in shard.report.get("checks", []):
            held = merged.get(check["id"])
            if held is None:
                merged[check["id"]] = dict(check)
                continue
            held["applicable"] = bool(held.get("applicable")) or bool(check.get("applicable"))
            held["examined"] = held.get("examined", 0) + check.get("examined", 0)
            held["note"] = held.get("note") or check.get("note", "")
    return list(merged.values())


def _union(lists: Any) -> list[Any]:
    out: list[Any] = []
    for values in lists:
        out.extend(v for v in values if v not in out)
    return out


def rollup(report: dict[str, Any]) -> list[dict[str, Any]]:
    """Per account: its status, the shard that audited it, and its findings counted by status."""
    by_account: dict[str, list[dict[str, Any]]] = {}
    for finding in report["findings"]:
        by_account.setdefault(finding["resource"].get("account", ""), []).append(finding)
    run = report["run"]
    rows = [{"account": s["account"], "name": s.get("name", ""), "unit": s.get("unit", ""), "status": s["status"],
             "shard": s.get("shard"), "summary": summarise(by_account.get(s["account"], []))}
            for s in run["account_status"] if s["status"] != "excluded"]
    rows += [{"account": m["account"], "name": m["name"], "unit": m["unit"], "status": "missing",
              "shard": m["shard"], "summary": summarise([])} for m in run["accounts_missing"]]
    return sorted(rows, key=lambda row: row["account"])


def promise_matrix(report: dict[str, Any]) -> dict[str, Any]:
    """Rows of accounts, columns of promises; each cell the worst status of that account's findings for that promise
    ("" when it has none, MISSING when its shard has not reported)."""
    promises = sorted({f["promise"] for f in report["findings"]}, key=_promise_key)
    worst: dict[tuple[str, str], Status] = {}
    for finding in report["findings"]:
        key = (finding["resource"].get("account", ""), finding["promise"])
        status = Status(finding["status"])
        if key not in worst or STATUS_ORDER[status] < STATUS_ORDER[worst[key]]:
            worst[key] = status
    rows = []
    for entry in report["account_rollup"] if "account_rollup" in report else rollup(report):
        account = entry["account"]
        cells = {p: MISSING if entry["status"] == "missing" else str(worst.get((account, p), "")) for p in promises}
        rows.append({"account": account, "name": entry["name"], "cells": cells})
    return {"promises": promises, "rows": rows}


def _promise_key(promise: str) -> tuple[Any, ...]:
    """W2.10 after W2.9: numbers compare as numbers."""
    import re

    return tuple(int(part) if part.isdigit() else part for part in re.split(r"(\d+)", promise))
