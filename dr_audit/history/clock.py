"""The one clock drill records are dated by, read through this module so a test can let time pass without sleeping."""

from __future__ import annotations

from datetime import UTC, datetime


def utc_now() -> datetime:
    return datetime.now(UTC)
