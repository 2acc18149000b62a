"""The history store: runs, plans and drills kept in a database for diffs, trends, cadence checks and sign-off."""

from .location import default_history_path, history_url
from .store import HistoryStore, HistoryUnavailable, who_ran

__all__ = ["HistoryStore", "HistoryUnavailable", "default_history_path", "history_url", "who_ran"]
