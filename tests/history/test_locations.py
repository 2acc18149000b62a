"""Where a store is: `--history PATH` or a database URL in the spellings earlier releases took, passwords never
shown, and PostgreSQL without psycopg installed refused in one line that says how to install it."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from dr_audit.errors import BadInput
from dr_audit.history import HistoryStore, HistoryUnavailable
from dr_audit.history.dburl import hidden, parse

from .conftest import report

ROOT = Path(__file__).resolve().parents[2]
SECRET = "s3cr3t-pw"


@pytest.mark.parametrize(("url", "path"), [
    ("sqlite:////var/lib/h.db", Path("/var/lib/h.db")),
    ("sqlite:///relative/h.db", Path("relative/h.db")),
    ("sqlite+pysqlite:////var/lib/h.db", Path("/var/lib/h.db")),
    ("sqlite://", None),
    ("sqlite:///:memory:", None),
])
def test_sqlite_urls_name_a_file_or_memory(url: str, path: Path | None) -> None:
    target = parse(url)
    assert (target.backend, target.path) == ("sqlite", path)


@pytest.mark.parametrize("scheme", ["postgresql", "postgres", "postgresql+psycopg", "postgresql+psycopg2"])
def test_postgresql_urls_become_psycopg_connection_options(scheme: str) -> None:
    target = parse(f"{scheme}://audit%40ops:{SECRET}@db.internal:6432/dr_history?sslmode=require&connect_timeout=5")
    assert target.backend == "postgresql"
    assert target.connect_args == {"user": "audit@ops", "password": SECRET, "host": "db.internal", "port": "6432",
                                   "dbname": "dr_history", "sslmode": "require", "connect_timeout": "5"}
    assert SECRET not in target.shown and target.shown.startswith(f"{scheme}://audit%40ops:***@db.internal:6432")


def test_postgresql_hosts_ipv6_and_a_password_with_url_characters() -> None:
    target = parse("postgresql://u:p/a:s@s@[::1]:5433,replica:5434/db")
    assert target.connect_args == {"user": "u", "password": "p/a:s@s", "host": "::1,replica", "port": "5433,5434",
                                   "dbname": "db"}
    assert hidden("postgresql://u:p/a:s@s@[::1]:5433/db") == "postgresql://u:***@[::1]:5433/db"
    assert parse("postgresql:///db").connect_args == {"dbname": "db"}  # the local socket, as libpq defaults


@pytest.mark.parametrize("url", ["nosuchdb://x", "mysql://u:pw@h/db", "sqlite://host/h.db", "sqlite:///h.db?mode=ro",
                                 "not a url", f"postgresql://u:{SECRET}@h:port/db"])
def test_unusable_urls_are_one_line_without_the_password(url: str) -> None:
    with pytest.raises(HistoryUnavailable, match="not a usable database URL") as caught:
        HistoryStore.open(url=url)
    assert "\n" not in str(caught.value) and SECRET not in str(caught.value)


def test_an_unreachable_postgresql_store_never_shows_its_password() -> None:
    with pytest.raises(HistoryUnavailable, match="cannot be opened") as caught:
        HistoryStore.open(url=f"postgresql://auditor:{SECRET}@127.0.0.1:1/none?connect_timeout=5")
    assert SECRET not in str(caught.value) and "auditor:***@127.0.0.1:1" in str(caught.value)
    with pytest.raises(HistoryUnavailable) as caught:  # the password as an option, beside one libpq rejects
        HistoryStore.open(url=f"postgresql://auditor@127.0.0.1:1/none?password={SECRET}&no_such_option=1")
    assert SECRET not in str(caught.value) and "password=***" in str(caught.value)
    assert "\n" not in str(caught.value)


def test_an_in_memory_store_works_for_its_own_lifetime() -> None:
    with HistoryStore.open(url="sqlite://") as store:
        run_id = store.record_run(report(3))
        assert store.get_run(run_id)["findings"] == report(3)["findings"]


WITHOUT_PSYCOPG = (
    "import sys; sys.modules['psycopg'] = None  # as if `pip install dr-audit` left PostgreSQL support out\n"
    "from dr_audit.cli import entry; sys.argv = ['dr-audit', *sys.argv[1:]]; entry()\n")


def dr_audit_without_psycopg(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "XDG_DATA_HOME": str(tmp_path / "data")}
    env.pop("DR_AUDIT_HISTORY_URL", None)
    return subprocess.run([sys.executable, "-c", WITHOUT_PSYCOPG, *args], capture_output=True, text=True,
                          timeout=120, cwd=tmp_path, env=env)


@pytest.mark.parametrize("command", [["history", "list"], ["drill", "list"], ["run", "--from-snapshot", "estate.json"]])
def test_postgresql_without_psycopg_fails_closed_naming_the_extra(tmp_path: Path, command: list[str]) -> None:
    from dr_audit.scenarios import build

    build("weimob-2020", datetime(2026, 12, 4, tzinfo=UTC)).save(tmp_path / "estate.json")
    result = dr_audit_without_psycopg(tmp_path, *command, "--history-url",
                                      f"postgresql://auditor:{SECRET}@db.internal/dr_history")
    assert result.returncode == 2, result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert "pip install 'dr-audit[postgres]'" in result.stderr and SECRET not in result.stderr + result.stdout
    assert not (tmp_path / "data").exists()  # nothing fell back to the default store


def test_sqlite_needs_no_psycopg(tmp_path: Path) -> None:
    db = tmp_path / "h.db"
    with HistoryStore.open(db) as store:
        store.record_run(report(2))
    result = dr_audit_without_psycopg(tmp_path, "history", "list", "--history", str(db), "--format", "json")
    assert result.returncode == 0 and '"finding_count": 2' in result.stdout, result.stderr


def test_check_driver_refuses_a_bad_url_before_anything_runs() -> None:
    from dr_audit.history.location import check_driver

    with pytest.raises(BadInput, match="not a usable database URL"):
        check_driver(url="oracle://u@h/db")
    check_driver(url="sqlite:///anywhere.db")  # SQLite: the standard library, nothing to check
