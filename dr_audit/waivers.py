"""Waivers: a reviewed, time-limited acceptance of one FAIL, kept in a YAML file next to the code it excuses.

A valid waiver turns a matching FAIL into WAIVED (still reported, with the waiver attached). An expired one no
longer applies, and one that matches no FAIL is stale; both are listed in the report so they get cleaned up.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .errors import BadInput
from .globs import glob_matches
from .inputs import check_values, read_config_text, yaml_error, yaml_loader
from .report import summarise


class WaiverError(BadInput):
    """A waivers file that cannot be used; the message names the file and line."""


class Waiver(BaseModel):
    model_config = ConfigDict(extra="forbid")

    check: str = Field(min_length=1)
    resource: str = Field(min_length=1)  # an exact resource id, or a glob (* and ?) over the whole id
    account: str | None = None
    region: str | None = None
    reason: str = Field(min_length=1)
    owner: str = Field(min_length=1)
    approved_by: str = Field(min_length=1)
    ticket: str | None = None
    expires: date = Field(ge=date(2000, 1, 1), le=date(2999, 12, 31))  # beyond that it is a typo, not a plan

    # Filled by the loader: where the waiver was written.
    file: str = ""
    line: int = 0

    @field_validator("expires", mode="before")
    @classmethod
    def _plain_date(cls, value: Any) -> Any:
        if isinstance(value, datetime):
            return value.date()
        return value

    def matches(self, finding: dict[str, Any]) -> bool:
        resource = finding["resource"]
        if finding["check_id"] != self.check:
            return False
        if self.account is not None and resource.get("account", "") != self.account:
            return False
        if self.region is not None and resource.get("region", "") != self.region:
            return False
        return resource_matches(self.resource, resource["id"])

    def expired(self, today: date) -> bool:
        return self.expires < today

    def describe(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_none=True)


def resource_matches(pattern: str, resource_id: str) -> bool:
    """Exact id, or a glob where only * and ? are wild: Terraform's `[0]` stays literal, and it is never a substring.

    The glob is compiled once per pattern and matched without backtracking, so no waiver can stall a run."""
    return pattern == resource_id or glob_matches(pattern, resource_id)


@dataclass
class WaiverSet:
    path: Path
    waivers: list[Waiver] = field(default_factory=list)


def load_waivers(path: Path, max_days: int, today: date | None = None) -> WaiverSet:
    """Parse and validate a waivers file; every problem is one line naming the file and the line."""
    today = today or datetime.now(UTC).date()
    text = read_config_text(path, "waivers file", WaiverError)
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)  # kept for the line of each entry
        data = yaml.load(text, Loader=yaml_loader())  # noqa: S506 - safe: impossible dates are errors at their line
    except yaml.YAMLError as exc:
        raise WaiverError(yaml_error(path, exc)) from None
    except RecursionError:
        raise WaiverError(f"{path}: not usable YAML: nested too deeply") from None
    check_values(data, path, "waivers file", WaiverError, max_values=100_000)
    if data is None:
        return WaiverSet(path)
    entries, entry_nodes = _entries(path, data, node)
    waivers = []
    for position, (entry, entry_node) in enumerate(zip(entries, entry_nodes, strict=True)):
        line = entry_node.start_mark.line + 1
        if not isinstance(entry, dict):
            raise WaiverError(f"{path}:{line}: waiver {position + 1} must be a mapping of check, resource, reason, "
                              "owner, approved_by, expires")
        try:
            waiver = Waiver.model_validate({**entry, "file": str(path), "line": line})
        except ValidationError as exc:
            first = exc.errors()[0]
            key = str(first["loc"][0]) if first["loc"] else ""
            raise WaiverError(f"{path}:{_key_line(entry_node, key, line)}: waiver {position + 1}: "
                              f"{key or 'entry'}: {first['msg']}") from None
        if waiver.expires > today + timedelta(days=max_days):
            raise WaiverError(f"{path}:{_key_line(entry_node, 'expires', line)}: waiver {position + 1} "
                              f"({waiver.check} on {waiver.resource}) expires {waiver.expires}, more than the pack's "
                              f"max_waiver_days ({max_days}) from today; shorten it and renew it when it lapses")
        waivers.append(waiver)
    return WaiverSet(path, waivers)


def _entries(path: Path, data: Any, node: yaml.Node | None) -> tuple[list[Any], list[yaml.Node]]:
    if isinstance(data, dict) and isinstance(node, yaml.MappingNode):
        if set(data) - {"waivers"}:
            extra = sorted(set(data) - {"waivers"})[0]
            raise WaiverError(f"{path}:{_key_line(node, str(extra), 1)}: unknown top-level key {extra!r} "
                              "(expected `waivers:` and a list)")
        data = data.get("waivers") or []
        node = next((value for key, value in node.value if key.value == "waivers"), None)
    if not isinstance(data, list) or not isinstance(node, yaml.SequenceNode):
        line = node.start_mark.line + 1 if node is not None else 1
        raise WaiverError(f"{path}:{line}: expected a list of waivers (or `waivers:` and a list)")
    return data, list(node.value)


def _key_line(node: yaml.Node, key: str, default: int) -> int:
    if isinstance(node, yaml.MappingNode):
        for key_node, _ in node.value:
            if key_node.value == key:
                return int(key_node.start_mark.line) + 1
    return default


def apply_waivers(report: dict[str, Any], waivers: WaiverSet, today: date | None = None) -> list[str]:
    """Waive matching FAILs in the report, list applied/expired/stale waivers there; return notes for stderr."""
    today = today or datetime.now(UTC).date()
    applied: list[dict[str, Any]] = []
    expired: list[dict[str, Any]] = []
    stale: list[dict[str, Any]] = []
    notes: list[str] = []
    for waiver in waivers.waivers:
        matched = [f for f in report["findings"] if waiver.matches(f)]
        described = waiver.describe()
        if waiver.expired(today):
            reopened = [f for f in matched if f["status"] == "FAIL"]
            expired.append({**described, "matches": len(reopened)})
            notes.append(f"{waiver.file}:{waiver.line}: waiver for {waiver.check} on {waiver.resource} expired on "
                         f"{waiver.expires} (owner {waiver.owner}); {len(reopened)} FAIL(s) reported again")
            continue
        failing = [f for f in matched if f["status"] in ("FAIL", "WAIVED")]
        if not failing:
            stale.append(described)
            notes.append(f"{waiver.file}:{waiver.line}: waiver for {waiver.check} on {waiver.resource} matches no "
                         "FAIL: remove it")
            continue
        for finding in failing:
            if finding["status"] == "FAIL":
                finding["status"] = "WAIVED"
                finding["waiver"] = described
        applied.append({**described, "matches": len(failing)})
    report["summary"] = summarise(report["findings"])
    report["waivers"] = {"file": str(waivers.path), "applied": applied, "expired": expired, "stale": stale}
    return notes
