"""Where the history store lives when the user does not say: the platform's per-user data directory."""

from __future__ import annotations

import os
import sys
from pathlib import Path

APP_DIR = "dr-audit"
DB_NAME = "history.db"
DEMO_DB_NAME = "demo-history.db"  # `--demo` runs and drills: never mixed with the real history
URL_ENV = "DR_AUDIT_HISTORY_URL"


def user_data_dir() -> Path:
    """XDG_DATA_HOME (or ~/.local/share) on Linux and BSD; the conventional folders on macOS and Windows."""
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or os.environ.get("APPDATA")
        return Path(base) / APP_DIR if base else Path.home() / "AppData" / "Local" / APP_DIR
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support" / APP_DIR
    xdg = os.environ.get("XDG_DATA_HOME")
    # The XDG spec says a relative XDG_DATA_HOME is invalid and must be ignored.
    base = Path(xdg) if xdg and Path(xdg).is_absolute() else Path.home() / ".local" / "share"
    return base / APP_DIR


def default_history_path() -> Path:
    return user_data_dir() / DB_NAME


def demo_history_path() -> Path:
    return user_data_dir() / DEMO_DB_NAME


def demo_store(path: Path | None = None, url: str | None = None) -> tuple[Path | None, str | None]:
    """The store a `--demo` command uses: the one --history/--history-url names, else the demo store.

    DR_AUDIT_HISTORY_URL alone does not count: it names the user's real store, which demo runs must not enter.
    """
    if url is not None and url == os.environ.get(URL_ENV):
        url = None  # the flag's value came from the environment (typer reads the variable into --history-url)
    if path is not None or url is not None:
        return path, url
    return demo_history_path(), None


def store_for(path: Path | None, url: str | None, demo: bool) -> tuple[Path | None, str | None]:
    """The store a command with a `--demo` switch uses: the demo store when switched on, else the usual one."""
    return demo_store(path, url) if demo else (path, url)


def store_named(path: Path | None = None, url: str | None = None) -> bool:
    """Whether the user chose a store (a flag or the environment) rather than leaving the default."""
    return path is not None or bool(url) or bool(os.environ.get(URL_ENV))


def history_url(path: Path | None = None, url: str | None = None) -> str:
    """The store's URL: --history-url as given, else SQLite at --history PATH or the default."""
    if path is not None and url is not None:
        from ..errors import BadInput

        raise BadInput("give --history or --history-url, not both")
    if url:
        return url
    env_url = os.environ.get(URL_ENV)
    if path is None and env_url:
        return env_url
    target = path if path is not None else default_history_path()
    return f"sqlite:///{Path(target).expanduser().absolute()}"


def check_driver(path: Path | None = None, url: str | None = None) -> None:
    """The store's URL parses and its database driver imports: found before a run collects anything, not after.

    SQLite needs nothing beyond the standard library; PostgreSQL needs psycopg 3 (the `postgres` extra).
    """
    from .dburl import check_postgres_driver, parse

    check_postgres_driver(parse(history_url(path, url)))
