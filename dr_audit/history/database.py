"""One connection to the history store's database through plain DB-API: SQLite from the standard library, or
PostgreSQL through psycopg 3. Statements are written once with `?` parameters; every transaction is explicit."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from .dburl import StoreURL, check_postgres_driver, scrub

SQLITE_BUSY_SECONDS = 30  # a writer waits this long for another one (a shard, a second terminal) to commit
SQLITE_PAGE_BYTES = 65536  # SQLite's largest page size


class Unreachable(Exception):
    """The database cannot be connected to; the message is one line without the password."""


class Cursor:
    """A DB-API cursor that takes `?` parameters on both backends."""

    def __init__(self, raw: Any, postgres: bool):
        self.raw = raw
        self._postgres = postgres

    def _sql(self, sql: str) -> str:
        return sql.replace("?", "%s") if self._postgres else sql

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Cursor:
        self.raw.execute(self._sql(sql), tuple(params))
        return self

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        self.raw.executemany(self._sql(sql), rows)

    def scalar(self) -> Any:
        row = self.raw.fetchone()
        return None if row is None else row[0]

    def first(self) -> dict[str, Any] | None:
        row = self.raw.fetchone()
        return None if row is None else dict(zip(self._names(), row, strict=True))

    def dicts(self) -> list[dict[str, Any]]:
        names = self._names()
        return [dict(zip(names, row, strict=True)) for row in self.raw.fetchall()]

    def rows(self) -> list[tuple[Any, ...]]:
        return [tuple(row) for row in self.raw.fetchall()]

    def _names(self) -> list[str]:
        return [column[0] for column in self.raw.description]


class Database:
    """The store's one connection; transactions are serialised so threads sharing a store never interleave."""

    def __init__(self, raw: Any, target: StoreURL, errors: tuple[type[BaseException], ...]):
        self.raw = raw
        self.target = target
        self.dialect = target.backend
        self.errors = errors  # what the driver raises for a database that cannot be read or written
        self._lock = threading.Lock()

    @classmethod
    def connect(cls, target: StoreURL) -> Database:
        """Connect; Unreachable when the database cannot be reached, BadInput when PostgreSQL support is missing."""
        if target.backend == "sqlite":
            try:
                return cls(_connect_sqlite(target), target, (sqlite3.Error,))
            except (OSError, sqlite3.Error) as exc:  # OSError: the file's directory cannot be made
                raise Unreachable(scrub(str(exc), target) or type(exc).__name__) from None
        check_postgres_driver(target)
        import psycopg
        from psycopg.conninfo import make_conninfo

        try:
            # Options as keywords, quoted by psycopg: a password with spaces or quotes cannot change their meaning.
            raw = psycopg.connect(make_conninfo("", **target.connect_args), autocommit=True)
        except psycopg.Error as exc:  # refused, no such database, bad credentials or a bad connection option
            raise Unreachable(scrub(str(exc), target) or type(exc).__name__) from None
        return cls(raw, target, (psycopg.Error,))

    def describe(self, exc: BaseException) -> str:
        """The error on one line, without the password."""
        return scrub(str(exc), self.target) or type(exc).__name__

    @contextmanager
    def transaction(self, *, write: bool) -> Iterator[Cursor]:
        """One transaction: committed when the block ends, rolled back when it raises.

        On SQLite a writer takes the write lock up front (BEGIN IMMEDIATE): two writers never deadlock upgrading read
        locks, and DDL is transactional, so a migration applies whole or not at all.
        """
        with self._lock:
            if self.dialect == "postgresql":
                with self.raw.transaction(), self.raw.cursor() as raw_cursor:
                    yield Cursor(raw_cursor, postgres=True)
                return
            raw_cursor = self.raw.cursor()
            raw_cursor.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            try:
                yield Cursor(raw_cursor, postgres=False)
            except BaseException:
                if self.raw.in_transaction:
                    self.raw.execute("ROLLBACK")
                raise
            else:
                raw_cursor.execute("COMMIT")
            finally:
                raw_cursor.close()

    def close(self) -> None:
        with self._lock:
            self.raw.close()


def _connect_sqlite(target: StoreURL) -> sqlite3.Connection:
    if target.path is not None:
        target.path.parent.mkdir(parents=True, exist_ok=True)
    # isolation_level=None: the sqlite3 module starts and ends no transaction on its own; transaction() does.
    raw = sqlite3.connect(target.path if target.path is not None else ":memory:", timeout=SQLITE_BUSY_SECONDS,
                          isolation_level=None, check_same_thread=False)
    try:
        # Pages of 64 KiB for a new store (an existing one keeps its own; this is ignored once a table exists). A run
        # stores one row per finding, about half a kilobyte each: recording 254,528 of them took 3.8 s of CPU with
        # SQLite's default 4 KiB pages and 1.9 s with these. A drill record, written by hand now and then, costs about
        # a millisecond instead of a third of one.
        raw.execute(f"PRAGMA page_size={SQLITE_PAGE_BYTES}")
        raw.execute("PRAGMA journal_mode=WAL")  # readers never block the writer; commits are atomic
        raw.execute("PRAGMA synchronous=NORMAL")  # durable against a killed process, which is what we promise
        raw.execute("PRAGMA foreign_keys=ON")
    except sqlite3.Error:
        raw.close()
        raise
    return raw
