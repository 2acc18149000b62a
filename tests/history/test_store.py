"""The history store on SQLite and PostgreSQL: migrations, recording and reading runs, speed, and failure modes."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from dr_audit.history import HistoryStore, HistoryUnavailable
from dr_audit.history.database import SQLITE_PAGE_BYTES
from dr_audit.history.migrations import LATEST
from dr_audit.render import json_report
from dr_audit.render.json_report import FindingLines

from .conftest import PLAN, report, sql, tables


def versions(url: str) -> int:
    [(version,)] = sql(url, "SELECT MAX(version) FROM dr_audit_schema")
    return int(version)


def test_an_empty_database_migrates_to_the_latest_schema(store_url: str) -> None:
    with HistoryStore.open(url=store_url):
        pass
    assert {"runs", "findings", "drills", "drill_records", "evidence_blobs", "dr_audit_schema"} <= tables(store_url)
    assert versions(store_url) == LATEST
    with HistoryStore.open(url=store_url):  # opening again applies nothing and keeps the version
        pass
    assert versions(store_url) == LATEST


def test_an_older_schema_is_migrated_with_its_runs_intact(store_url: str) -> None:
    HistoryStore.open(url=store_url, migrate_to=1).close()
    # A run as version 1 wrote it: no kind column yet.
    sql(store_url, (
        "INSERT INTO runs (id, started_at, finished_at, source, pack, pack_sha256, estate_sha256, tool_version, "
        "who, summary_json, report_json, finding_count) VALUES ('run-old', '2026-01-01T00:00:00Z', "
        "'2026-01-01T00:00:01Z', 'live', 'weimob-2020', 'p', 'e', '0.0.9', 'ops@host', '{\"FAIL\": 1}', "
        "'{\"schema_version\": 1, \"run\": {\"source\": \"live\", \"pack\": \"weimob-2020\"}}', 1)"))
    sql(store_url, (
        "INSERT INTO findings VALUES ('run-old', 0, 'f1', 'cbs_snapshot_fresh', 'FAIL', 'high', 'W2.3', "
        "'cbs.disk', 'disk-1', 'ap-shanghai', '1', '{\"id\": \"f1\", \"status\": \"FAIL\"}')"))
    assert versions(store_url) == 1
    with HistoryStore.open(url=store_url) as store:
        assert versions(store_url) == LATEST
        [row] = store.list_runs()
        assert row["id"] == "run-old" and row["kind"] == "run" and row["summary"] == {"FAIL": 1}
        assert store.get_run("run-old")["findings"] == [{"id": "f1", "status": "FAIL"}]
        store.open_drill(kind="monthly", name="after the upgrade", opened_by="ops@host", run_id=None, body={})
        assert len(store.drills()) == 1


def test_a_schema_newer_than_the_tool_is_refused(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'h.db'}"
    HistoryStore.open(url=url).close()
    sql(url, "INSERT INTO dr_audit_schema (version) VALUES (99)")
    with pytest.raises(HistoryUnavailable, match="schema version 99 is newer"):
        HistoryStore.open(url=url)


def test_runs_round_trip_in_order_with_who_ran_them(store_url: str) -> None:
    with HistoryStore.open(url=store_url) as store:
        first = store.record_run(report(5, started="2026-11-01T00:00:00Z"))
        second = store.record_run(report(7, started="2026-11-02T00:00:00Z"), kind="plan")
        listed = store.list_runs()
        assert [r["id"] for r in listed] == [second, first]
        assert listed[0]["kind"] == "plan" and listed[1]["finding_count"] == 5
        assert "@" in listed[0]["who"]
        back = store.get_run(first)
        original = report(5, started="2026-11-01T00:00:00Z")
        assert back["findings"] == original["findings"] and back["summary"] == original["summary"]
        assert back["run"] == original["run"]
        trend = store.failure_trend()
        assert [t["run_id"] for t in trend] == [first]  # plans are not runs of the estate
        assert trend[0]["failures"] == {"W2.4": 1, "W2.3": 1}  # findings 0 (W2.4) and 3 (W2.3) fail


def test_a_hundred_thousand_findings_record_and_read_back_whole(store_url: str) -> None:
    # How long this takes is measured by bench/eval_bench.py (runs record their findings), not asserted here.
    big = report(100_000)
    with HistoryStore.open(url=store_url) as store:
        run_id = store.record_run(big)
        stored = store.get_run(run_id)["findings"]
    assert len(stored) == 100_000
    assert {f["id"] for f in stored} == {f["id"] for f in big["findings"]}


def test_unknown_run_and_unusable_store_are_one_line(tmp_path: Path) -> None:
    with HistoryStore.open(tmp_path / "h.db") as store, pytest.raises(Exception, match="no run 'run-x'"):
        store.get_run("run-x")
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(HistoryUnavailable, match="cannot be opened") as caught:
        HistoryStore.open(blocker / "h.db")  # its directory is a file
    assert "\n" not in str(caught.value)
    with pytest.raises(HistoryUnavailable) as caught:
        HistoryStore.open(url="postgresql+psycopg://auditor:s3cr3t-pw@127.0.0.1:1/none")
    assert "s3cr3t-pw" not in str(caught.value) and "***" in str(caught.value)
    with pytest.raises(HistoryUnavailable, match="not a usable database URL"):
        HistoryStore.open(url="nosuchdb://x")


def test_the_default_store_is_in_the_users_data_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from dr_audit.history import default_history_path, history_url

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.delenv("DR_AUDIT_HISTORY_URL", raising=False)
    assert default_history_path() == tmp_path / "data" / "dr-audit" / "history.db"
    assert history_url() == f"sqlite:///{tmp_path / 'data' / 'dr-audit' / 'history.db'}"
    monkeypatch.setenv("XDG_DATA_HOME", "relative/ignored")
    assert default_history_path() == Path.home() / ".local" / "share" / "dr-audit" / "history.db"
    with pytest.raises(Exception, match="not both"):
        history_url(tmp_path / "a.db", "sqlite://")


def test_evidence_blobs_are_stored_once_by_sha256(store_url: str) -> None:
    import hashlib

    with HistoryStore.open(url=store_url) as store:
        digest = store.put_blob(b"restore log")
        assert digest == hashlib.sha256(b"restore log").hexdigest()
        assert store.put_blob(b"restore log") == digest
        assert store.blob(digest) == b"restore log"
    assert sql(store_url, "SELECT COUNT(*) FROM evidence_blobs") == [(1,)]


def test_history_list_and_show_commands(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from dr_audit.cli import main

    db = tmp_path / "h.db"
    with HistoryStore.open(db) as store:
        run_id = store.record_run(report(4))
    assert main(["history", "list", "--format", "json", "--history", str(db)]) == 0
    [row] = json.loads(capsys.readouterr().out)
    assert row["id"] == run_id and row["summary"]["FAIL"] == 2
    assert main(["history", "list", "--history", str(db)]) == 0
    assert run_id in capsys.readouterr().out
    assert main(["history", "show", run_id, "--format", "json", "--history", str(db)]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["findings"] == report(4)["findings"] and "history" not in shown
    assert main(["history", "show", "run-missing", "--history", str(db)]) == 2
    assert "no run 'run-missing'" in capsys.readouterr().err


def test_drill_records_chain_and_verify_on_both_backends(store_url: str, tmp_path: Path) -> None:
    from dr_audit.drill.service import verify_drill
    from dr_audit.history.chain import SigningKey, generate_key_pair, key_fingerprint, signoff_statement

    pem = tmp_path / "k.pem"
    generate_key_pair(pem)
    key = SigningKey(pem)
    with HistoryStore.open(url=store_url) as store:
        opened = store.open_drill(kind="monthly", name="m", opened_by="ops@host", run_id=None,
                                  body={"note": "数据只增不减", "plan": PLAN})
        drill_id = opened["drill_id"]
        _, step = store.append_records(drill_id, [("evidence", {"step": "a"}),
                                                  ("step", {"step": "a", "outcome": "pass"})])
        signature = key.sign_text(signoff_statement(drill_id, step["hash"], 3, "Li Wei", "DR owner"))
        body = {"by": "Li Wei", "role": "DR owner", "head": step["hash"], "records": 3, "signature": signature,
                "public_key": key.public_pem, "key_fingerprint": key_fingerprint(key.public_pem)}
        signed = store.append_record(drill_id, "signoff", body, (signature, key.public_pem))
        assert signed["seq"] == 4 and signed["signature"] == signature and "PUBLIC KEY" in signed["public_key"]
        check = verify_drill(store, drill_id)
        assert check.intact and check.records == 4 and check.signatures == 1, check.problem
        assert check.sealed_head == step["hash"] and check.head == signed["hash"]
        sql(store_url, "UPDATE drill_records SET signature = ? WHERE drill_id = ? AND seq = 4",
            (signature[:-4] + "AAA=", drill_id))
        check = verify_drill(store, drill_id)
        assert not check.intact
        assert "record #4 (signoff 'Li Wei'): Li Wei's signature columns differ" in check.problem


def test_concurrent_writers_keep_one_unbroken_chain(store_url: str) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from dr_audit.drill.service import verify_drill

    with HistoryStore.open(url=store_url) as store:
        drill_id = store.open_drill(kind="monthly", name="m", opened_by="ops@host", run_id=None,
                                    body={"plan": PLAN})["drill_id"]

    def writer(n: int) -> None:
        with HistoryStore.open(url=store_url) as own:  # a separate engine, as a separate process would have
            for i in range(8):
                own.append_record(drill_id, "step", {"step": f"w{n}-{i}"})

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(writer, range(4)))
    with HistoryStore.open(url=store_url) as store:
        check = verify_drill(store, drill_id)
        assert check.intact, check.problem
        assert check.records == 1 + 4 * 8


def test_a_drill_signed_by_an_older_dr_audit_still_verifies(store_url: str, tmp_path: Path) -> None:
    """Before heads were signed, a sign-off's signature covered its own record's hash and lived only in columns."""
    from dr_audit.drill.service import load_state, verify_drill
    from dr_audit.history.chain import SigningKey, canonical, generate_key_pair, key_fingerprint, record_hash

    pem = tmp_path / "k.pem"
    generate_key_pair(pem)
    key = SigningKey(pem)
    with HistoryStore.open(url=store_url) as store:
        opened = store.open_drill(kind="monthly", name="m", opened_by="ops@host", run_id=None,
                                  body={"plan": PLAN, "failure_at": "2026-11-01T00:00:00Z"})
        drill_id = opened["drill_id"]
        step = store.append_record(drill_id, "step", {"step": "a", "started": opened["created_at"],
                                                      "finished": opened["created_at"], "outcome": "pass"})
        content = canonical({"drill_id": drill_id, "seq": 3, "kind": "signoff", "created_at": step["created_at"],
                             "body": {"by": "Li Wei", "role": "DR owner", "signed_at": "2026-11-02T00:00:00Z",
                                      "key_fingerprint": key_fingerprint(key.public_pem), "os_user": "ops@host"}})
        digest = record_hash(step["hash"], content)
        sql(store_url, "INSERT INTO drill_records VALUES (?, 3, 'signoff', ?, ?, ?, ?, ?, ?)",
            (drill_id, step["created_at"], content, step["hash"], digest, key.sign(digest), key.public_pem))
        sql(store_url, "UPDATE drills SET record_count = 3, head_hash = ? WHERE id = ?", (digest, drill_id))
        check = verify_drill(store, drill_id)
        assert check.intact and check.signatures == 1 and check.proven, check.problem
        assert load_state(store, drill_id).complete
        # Its signature set to NULL while it names its key: caught.
        sql(store_url, "UPDATE drill_records SET signature = NULL WHERE drill_id = ? AND seq = 3", (drill_id,))
        check = verify_drill(store, drill_id)
        assert not check.intact and "names key SHA256:" in check.problem and "(NULL)" in check.problem


def test_a_run_is_stored_as_its_json_report_lines_and_reads_back_exactly(store_url: str) -> None:
    original = report(6)
    # Text no UTF-8 output can carry as it is (a lone surrogate, as a JSON \ud800 escape decodes to) and text that
    # is not ASCII: both come back exactly.
    original["findings"][1]["message"] = "half a pair \ud800 here"
    original["findings"][2]["resource"]["id"] = "磁盘-①"
    lines = FindingLines(original["findings"], keep=True)
    written = io.StringIO()
    json_report.write(original, written, finding_lines=lines)
    with HistoryStore.open(url=store_url) as store:
        run_id = store.record_run(original, finding_lines=lines)
        stored = sql(store_url, f"SELECT body_json FROM findings WHERE run_id = '{run_id}' ORDER BY seq")
        back = store.get_run(run_id)["findings"]
    assert back == original["findings"] == json.loads(written.getvalue())["findings"]
    report_lines = [line.strip().removesuffix(",") for line in written.getvalue().splitlines() if line[:5] == "    {"]
    assert [body for (body,) in stored] == report_lines


def test_a_new_sqlite_store_has_large_pages_and_an_existing_store_keeps_its_own(tmp_path: Path) -> None:
    new, existing = f"sqlite:///{tmp_path / 'new.db'}", f"sqlite:///{tmp_path / 'old.db'}"
    sql(existing, "CREATE TABLE made_before (x INTEGER)")  # SQLite's default page size, fixed by its first table
    [(before,)] = sql(existing, "PRAGMA page_size")
    for url in (new, existing):
        with HistoryStore.open(url=url) as store:
            store.record_run(report(3))
    assert sql(new, "PRAGMA page_size") == [(SQLITE_PAGE_BYTES,)]
    assert sql(existing, "PRAGMA page_size") == [(before,)] != [(SQLITE_PAGE_BYTES,)]
    with HistoryStore.open(url=existing) as store:  # and it keeps working
        assert [run["finding_count"] for run in store.list_runs()] == [3]
