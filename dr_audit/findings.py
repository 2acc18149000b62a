"""Results of checks: statuses, severities, what a check yields (Result) and what a report holds (Finding)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from pydantic_core import to_jsonable_python

from .estate.base import Resource, ResourceRef


class Status(StrEnum):
    PASS = "PASS"
    FAIL = "FAIL"
    ERROR = "ERROR"
    WAIVED = "WAIVED"
    MANUAL = "MANUAL"


# The order reports list findings in: what needs action first.
STATUS_ORDER = {Status.FAIL: 0, Status.ERROR: 1, Status.WAIVED: 2, Status.MANUAL: 3, Status.PASS: 4}


class Severity(StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"

    @property
    def rank(self) -> int:
        return _SEVERITY_RANK[self]

    def at_least(self, other: Severity) -> bool:
        return self.rank >= other.rank


_SEVERITY_RANK = {Severity.INFO: 0, Severity.LOW: 1, Severity.MEDIUM: 2, Severity.HIGH: 3, Severity.CRITICAL: 4}


def promise_numbers(promise: str) -> tuple[int, ...]:
    """`W2.10` -> (2, 10), for ordering promises as numbers. Only ASCII digits count: str.isdigit() also accepts
    "²", which int() refuses, and a pack may name its promises anything."""
    return tuple(int(part) if part.isascii() and part.isdigit() else 0 for part in promise.lstrip("W").split("."))


def finding_id(check_id: str, resource: ResourceRef) -> str:
    """Stable across runs: the same check on the same resource always gets the same id."""
    key = "\x1f".join((check_id, resource.account, resource.region, resource.type, resource.id))
    return hashlib.sha256(key.encode()).hexdigest()[:20]


# Evidence is proportional to the finding, not to the estate: a list longer than this keeps its first items and
# says how many there were in `<key>_total`, so a report grows linearly with the findings.
EVIDENCE_LIST_LIMIT = 50


_SEQUENCES = (list, tuple)  # isinstance() takes a tuple of types much faster than a `list | tuple` union


def _too_long(evidence: dict[str, Any], depth: int = 0) -> bool:
    for value in evidence.values():
        if isinstance(value, _SEQUENCES):
            if len(value) > EVIDENCE_LIST_LIMIT:
                return True
        elif depth == 0 and isinstance(value, dict) and value and _too_long(value, 1):
            return True
    return False


def capped(evidence: dict[str, Any], depth: int = 0) -> dict[str, Any]:
    """`evidence` with every list (at the top or one level down) cut to EVIDENCE_LIST_LIMIT items and counted."""
    if not _too_long(evidence, depth):
        return evidence  # the common case: nothing to cut, nothing to copy
    out: dict[str, Any] = {}
    for key, value in evidence.items():
        if isinstance(value, _SEQUENCES) and len(value) > EVIDENCE_LIST_LIMIT:
            out[key] = list(value[:EVIDENCE_LIST_LIMIT])
            out[f"{key}_total"] = len(value)
        elif isinstance(value, dict) and depth == 0:
            out[key] = capped(value, 1)
        else:
            out[key] = value
    return out


class Result:
    """What a check yields for one resource. The engine adds the check's metadata to make a Finding."""

    __slots__ = ("status", "resource", "message", "evidence", "remediation")

    def __init__(self, status: Status, resource: Resource | ResourceRef, message: str = "", **evidence: Any):
        self._fill(status, resource, message, evidence)

    def _fill(self, status: Status, resource: Resource | ResourceRef, message: str, evidence: dict[str, Any]) -> None:
        self.status = status
        # ResourceRef first: a plain class answers isinstance at once, a pydantic model's ABC machinery does not.
        self.resource = resource if isinstance(resource, ResourceRef) else resource.ref()
        self.message = message
        self.evidence = capped(evidence) if evidence else evidence
        self.remediation = ""  # empty: the check's remediation

    def fixed_by(self, remediation: str) -> Result:
        """This result with its own remediation instead of the check's: one check's findings may need different
        fixes (a root key is deleted, a sub-user's stale key disabled first)."""
        self.remediation = remediation
        return self

    # The factories fill a new result with the evidence dict they were given: going through __init__ would unpack
    # and pack it again, a quarter of a result's cost.
    @classmethod
    def ok(cls, resource: Resource | ResourceRef, message: str = "", **evidence: Any) -> Result:
        result = cls.__new__(cls)
        result._fill(Status.PASS, resource, message, evidence)
        return result

    @classmethod
    def fail(cls, resource: Resource | ResourceRef, message: str, **evidence: Any) -> Result:
        result = cls.__new__(cls)
        result._fill(Status.FAIL, resource, message, evidence)
        return result

    @classmethod
    def error(cls, resource: Resource | ResourceRef, reason: str, **evidence: Any) -> Result:
        result = cls.__new__(cls)
        result._fill(Status.ERROR, resource, reason, evidence)
        return result

    @classmethod
    def manual(cls, resource: Resource | ResourceRef, message: str, **evidence: Any) -> Result:
        result = cls.__new__(cls)
        result._fill(Status.MANUAL, resource, message, evidence)
        return result

    def __repr__(self) -> str:
        return f"Result({self.status}, {self.resource.type}:{self.resource.id}, {self.message!r})"


@dataclass(slots=True)
class Finding:
    """One line of the JSON report (DESIGN.md §6).

    A plain slotted dataclass, not a pydantic model: only the engine makes findings, from values it has already
    checked, and a plan can hold tens of thousands of them, so building and dumping them must cost microseconds.
    Waivers and baselines work on the report's dicts and add their own keys there ("waiver", "baseline").
    """

    id: str
    check_id: str
    status: Status
    severity: Severity
    promise: str
    resource: ResourceRef
    message: str = ""
    remediation: str = ""
    evidence: dict[str, Any] = field(default_factory=dict)
    change: str | None = None  # under `dr-audit plan`: weakened / improved / unchanged / new
    location: dict[str, Any] | None = None  # under `dr-audit plan` on .tf files: {"file", "line"} of the resource

    def report_dict(self) -> dict[str, Any]:
        resource, evidence = self.resource, self.evidence
        data: dict[str, Any] = {
            "id": self.id, "check_id": self.check_id, "status": _TEXT[self.status], "severity": _TEXT[self.severity],
            "promise": self.promise,
            "resource": {"type": resource.type, "id": resource.id, "region": resource.region,
                         "account": resource.account},
            "message": self.message, "remediation": self.remediation,
            # Most evidence is already JSON's own types: shared as it is, neither converted nor copied.
            "evidence": evidence if _json_ready(evidence) else to_jsonable_python(evidence),
        }
        if self.change is not None:
            data["change"] = self.change
        if self.location is not None:
            data["location"] = self.location
        return data


# The report's plain strings for the enums (an enum's .value is a property, slow enough to show per finding).
_TEXT: dict[Status | Severity, str] = {**{s: s.value for s in Status}, **{s: s.value for s in Severity}}
_SCALARS = frozenset({str, int, float, bool, type(None)})


def _json_ready(evidence: dict[str, Any]) -> bool:
    """Whether to_jsonable_python would return an equal copy: text, numbers, booleans and null at the top or in a
    list, or an empty dict. Exact types only, so an enum, tuple, date or model still goes through the conversion."""
    for value in evidence.values():
        kind = type(value)
        if kind in _SCALARS or (kind is dict and not value):
            continue
        if kind is not list:
            return False
        for item in value:
            if type(item) not in _SCALARS:
                return False
    return True
