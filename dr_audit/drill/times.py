"""Timestamps on the command line: ISO 8601; a time without an offset is taken as UTC."""

from __future__ import annotations

from datetime import UTC, datetime

from ..errors import BadInput


def parse_ts(text: str, flag: str) -> datetime:
    raw = text.strip()
    try:
        moment = datetime.fromisoformat(raw[:-1] + "+00:00" if raw.endswith(("Z", "z")) else raw)
    except ValueError:
        raise BadInput(f"{flag} {text!r} is not an ISO 8601 time (e.g. 2026-11-01T02:00:00Z)") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_stamp(text: str) -> datetime:
    """A time this package wrote (always UTC, Z-suffixed, perhaps with microseconds)."""
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)
