"""Strict reading of API 3.0 answers: a field the collector needs that is absent is a failed read, never "none".

Only a field that is present and empty (or null, which real answers use for empty lists, docs §7) means "none".
"""

from __future__ import annotations

from typing import Any

from .errors import CallError

MISSING_FIELD = "MissingField"


class MissingField(CallError):
    """An answer without a field the collector needs: the read failed, whatever else the answer held."""

    def __init__(self, service: str, action: str, region: str, field: str, detail: str = "") -> None:
        super().__init__(service, action, region, MISSING_FIELD,
                         f"{service}:{action} answer has no {field}{detail}")
        self.field = field

    @property
    def reason(self) -> str:
        return self.message  # it already names the action and the field


def require(answer: dict[str, Any], fields: tuple[str, ...], service: str, action: str,
            region: str = "") -> dict[str, Any]:
    """The answer itself, once every field in `fields` is present in it (possibly null or empty)."""
    for name in fields:
        if name not in answer:
            raise MissingField(service, action, region, name)
    return answer


def require_object(answer: dict[str, Any], name: str, service: str, action: str, region: str = "") -> dict[str, Any]:
    """A field that must be a JSON object (MFA flags, a security group's policy set): absent or null is unknown."""
    value = answer.get(name)
    if not isinstance(value, dict):
        raise MissingField(service, action, region, name, "" if name not in answer else " object")
    return value


def listed(answer: dict[str, Any], list_key: str, service: str, action: str, region: str = "",
           total_key: str | None = None) -> list[Any]:
    """The items of a list field. Absent is a failed read; null is empty (as real answers give it), unless the
    answer's own total says there are items."""
    if list_key not in answer:
        raise MissingField(service, action, region, list_key)
    value = answer[list_key]
    if value is None:
        total = answer.get(total_key) if total_key else None
        if _count(total) > 0:
            raise MissingField(service, action, region, list_key, f" items although {total_key} is {total}")
        return []
    if not isinstance(value, list):
        raise MissingField(service, action, region, list_key, f" list (got {type(value).__name__})")
    return value


def _count(value: Any) -> int:
    if isinstance(value, bool):
        return 0
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return 0


def ids(entries: list[Any], key: str, service: str, action: str, list_key: str, region: str = "") -> list[str]:
    """The id of every listed entry. An entry without one is a failed read: dropping it would hide what it grants
    or holds (an attachment of an admin policy, a group membership, a role)."""
    found: list[str] = []
    for entry in entries:
        value = entry.get(key) if isinstance(entry, dict) else None
        if value is None or value == "":
            raise MissingField(service, action, region, f"{list_key}[].{key}")
        found.append(str(value))
    return found
