"""The history store: runs, plans and drills kept in a database for diffs, trends, cadence checks and sign-off.

The store itself (sqlite3, psycopg) is imported only when first used, so `dr-audit --help` stays fast.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .location import default_history_path, history_url
    from .store import HistoryStore, HistoryUnavailable, who_ran

_HOMES = {"default_history_path": ".location", "history_url": ".location", "HistoryStore": ".store",
          "HistoryUnavailable": ".store", "who_ran": ".store"}

__all__ = ["HistoryStore", "HistoryUnavailable", "default_history_path", "history_url", "who_ran"]


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(_HOMES[name], __name__), name)
