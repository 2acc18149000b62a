"""Timestamps of drills: ISO 8601 with a time zone on the command line, plausible years, UTC Z-stamps in the store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ..errors import BadInput
from ..estate.base import TIMESTAMP

# How far past this machine's clock a finished step may be dated: clocks of two machines disagree a little.
CLOCK_SKEW = timedelta(minutes=5)

def _bound(value: object) -> datetime:
    assert isinstance(value, datetime)
    return value


# The years any timestamp of the estate may carry (estate.base.TIMESTAMP): 2000 up to, not including, 2100.
EARLIEST = _bound(TIMESTAMP.low)
LATEST = _bound(TIMESTAMP.high)


def parse_ts(text: str, flag: str) -> datetime:
    """A time a person typed: ISO 8601 with Z or an offset, in a plausible year; anything else is bad input."""
    raw = text.strip()
    try:
        moment = datetime.fromisoformat(raw[:-1] + "+00:00" if raw.endswith(("Z", "z")) else raw)
    except ValueError:
        raise BadInput(f"{flag} {text!r} is not an ISO 8601 time (e.g. 2026-11-01T02:00:00Z)") from None
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise BadInput(f"{flag} {text!r} has no time zone: add Z for UTC or an offset such as +08:00")
    try:
        moment = moment.astimezone(UTC)
    except OverflowError:
        moment = EARLIEST - timedelta(days=1)  # year 1 with a positive offset: judged implausible just below
    if not EARLIEST <= moment < LATEST:
        raise BadInput(f"{flag} {text!r} is outside the plausible years {EARLIEST.year}-{LATEST.year - 1}")
    return moment


def stamp(moment: datetime) -> str:
    """UTC with a four-digit year whatever the platform's strftime pads: parse_stamp must read it back."""
    utc = moment.astimezone(UTC)
    return f"{utc.year:04d}-{utc:%m-%dT%H:%M:%S}Z"


def parse_stamp(text: str) -> datetime:
    """A time this package wrote (UTC, Z-suffixed, perhaps with microseconds). ValueError for anything else,
    including an aware time outside the plausible years: the store may have been edited."""
    if not isinstance(text, str):
        raise ValueError(f"{text!r} is not a time")
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError(f"{text!r} has no time zone")
    moment = moment.astimezone(UTC)
    if not EARLIEST <= moment < LATEST:
        raise ValueError(f"{text!r} is outside the plausible years {EARLIEST.year}-{LATEST.year - 1}")
    return moment
