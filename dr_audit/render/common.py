"""Helpers shared by the human-facing reporters."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from ..findings import STATUS_ORDER, promise_numbers  # Status is a StrEnum: its keys match the report's plain strings

CHANGE_ORDER = {"weakened": 0, "new": 1, "unchanged": 2, "improved": 3}


def _promise_key(promise: str) -> tuple[tuple[int, ...], str]:
    return promise_numbers(promise), promise


def _finding_order(finding: dict[str, Any]) -> tuple[int, str, str]:
    return (STATUS_ORDER[finding["status"]], finding["check_id"], finding["resource"]["id"])


def grouped_by_promise(findings: Iterable[dict[str, Any]]) -> list[tuple[str, list[dict[str, Any]]]]:
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for finding in findings:
        groups[finding["promise"]].append(finding)
    return [
        (promise, sorted(groups[promise], key=_finding_order))
        for promise in sorted(groups, key=_promise_key)
    ]
