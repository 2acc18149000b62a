"""Deadlines against hostile servers: one that accepts and never answers, one that answers a byte at a time.

Both servers bind 127.0.0.1 only, serve from a bounded loop and stop by themselves after LIFETIME seconds. The only
time assertions are "finished before a generous bound": ending at all is the behaviour under test (without the
deadlines the hang costs 10 tries of 20 s per call, and the trickle is read for as long as the server goes on).
"""

from __future__ import annotations

import json
import select
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from dr_audit.cli import main
from dr_audit.collect.client import ApiClient, Endpoint, RetryPolicy
from dr_audit.collect.deadline import RunBudget, current_deadline
from dr_audit.collect.errors import CallError, Secrets
from dr_audit.collect.s3 import S3ReadError, make_client, read
from dr_audit.emulator import DEMO_SECRET_ID, DEMO_SECRET_KEY

LIFETIME = 90.0  # seconds a test server lives at most, whatever the test does
GENEROUS = 45.0  # a run bounded by a few seconds' timeout ends well before this
DEMO = Secrets(DEMO_SECRET_ID, DEMO_SECRET_KEY)


class HostileServer:
    """Accepts connections on 127.0.0.1; `trickle` None never answers, else sends headers and then one body byte
    every `trickle` seconds."""

    def __init__(self, trickle: float | None) -> None:
        self.trickle = trickle
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.setblocking(False)
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        self.connections = 0
        self._stop = threading.Event()
        self._deadline = time.monotonic() + LIFETIME
        self._thread = threading.Thread(target=self._serve, name="hostile-server", daemon=True)
        self._thread.start()

    def _alive(self) -> bool:
        return not self._stop.is_set() and time.monotonic() < self._deadline

    def _serve(self) -> None:
        while self._alive():
            ready, _, _ = select.select([self.listener], [], [], 0.1)
            if not ready:
                continue
            try:
                connection, _ = self.listener.accept()
            except BlockingIOError:
                continue
            self.connections += 1
            threading.Thread(target=self._answer, args=(connection,), daemon=True).start()
        self.listener.close()

    def _answer(self, connection: socket.socket) -> None:
        with connection:
            connection.settimeout(0.5)
            try:
                connection.recv(65536)  # the request (headers and a small body arrive together on loopback)
                if self.trickle is not None:
                    connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                                       b"Content-Length: 1000000\r\n\r\n")
            except OSError:
                return
            while self._alive():  # never finishes the answer: holds the connection, or drips it
                if self.trickle is None:
                    time.sleep(0.1)
                    continue
                time.sleep(self.trickle)
                try:
                    connection.sendall(b" ")
                except OSError:
                    return

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


@pytest.fixture(params=["never-answers", "trickles"])
def hostile(request) -> Iterator[HostileServer]:
    server = HostileServer(trickle=None if request.param == "never-answers" else 0.2)
    yield server
    server.stop()


@pytest.fixture
def trickling() -> Iterator[HostileServer]:
    server = HostileServer(trickle=0.2)
    yield server
    server.stop()


def test_an_api_call_to_a_hostile_server_ends_at_its_budget_as_deadline_exceeded(hostile):
    # A read timeout far above the budget: only the total deadline can end the call.
    client = ApiClient(DEMO, "100000000001", endpoint=Endpoint(hostile.url), timeout=30.0,
                       retry=RetryPolicy(max_attempts=10, base=0.01, cap=0.05),
                       budget=RunBudget(run_seconds=None, call_seconds=2.0))
    started = time.monotonic()
    with pytest.raises(CallError) as caught:
        client.call("cvm", "DescribeInstances", {}, "ap-shanghai")
    assert time.monotonic() - started < GENEROUS
    assert caught.value.code == "DeadlineExceeded"
    assert "2 s one call may take" in caught.value.message and "elapsed" in caught.value.message


def test_a_trickling_cos_answer_is_cut_at_the_call_deadline(trickling):
    client = make_client("cos", trickling.url, "ap-shanghai", DEMO, timeout=30.0,
                         budget=RunBudget(run_seconds=None, call_seconds=2.0))
    started = time.monotonic()
    with pytest.raises(S3ReadError) as caught:
        read(client, "ListBuckets", DEMO)
    assert time.monotonic() - started < GENEROUS
    assert caught.value.code == "DeadlineExceeded" and "elapsed" in caught.value.message
    assert current_deadline() is None  # the call's deadline does not outlive it to cut this thread's next request


def test_once_the_run_budget_is_spent_no_call_is_sent(trickling):
    budget = RunBudget(run_seconds=0.0)
    client = ApiClient(DEMO, "100000000001", endpoint=Endpoint(trickling.url), budget=budget)
    with pytest.raises(CallError) as caught:
        client.call("cvm", "DescribeInstances", {}, "ap-shanghai")
    assert caught.value.code == "DeadlineExceeded" and "--timeout of 0 s ran out" in caught.value.message
    s3 = make_client("offsite", trickling.url, "us-east-1", DEMO, budget=budget)
    with pytest.raises(S3ReadError, match="ran out"):
        read(s3, "HeadBucket", DEMO, Bucket="copy")
    assert trickling.connections == 0


def test_a_service_budget_ends_that_service_only():
    budget = RunBudget(run_seconds=None, service_seconds=0.05)
    budget.call_deadline("a", "cam")  # cam's clock starts
    time.sleep(0.1)
    with pytest.raises(Exception, match="cam budget of 0.05 s ran out"):
        budget.call_deadline("a", "cam")
    budget.call_deadline("a", "cvm")  # another service has its own clock
    budget.call_deadline("b", "cam")  # and so has another account


def test_run_ends_with_exit_3_within_its_timeout_against_a_hostile_cloud(hostile, monkeypatch, tmp_path: Path):
    """Documented bound: `run --timeout T` ends within T plus evaluation and writing (a few seconds): calls in flight
    at T are cut there, and calls after T fail without being sent."""
    monkeypatch.setenv("TENCENTCLOUD_SECRET_ID", DEMO_SECRET_ID)
    monkeypatch.setenv("TENCENTCLOUD_SECRET_KEY", DEMO_SECRET_KEY)
    monkeypatch.setenv("DR_AUDIT_NO_INSTANCE_ROLE", "1")
    report = tmp_path / "report.json"
    started = time.monotonic()
    code = main(["run", "--endpoint-url", hostile.url, "--cos-endpoint-url", hostile.url, "--region",
                 "ap-shanghai", "--timeout", "3", "--format", "json", "--output", str(report),
                 "--history", str(tmp_path / "history.db")])
    assert time.monotonic() - started < GENEROUS
    assert code == 3
    findings = json.loads(report.read_text())["findings"]
    assert findings and all(f["status"] in ("ERROR", "MANUAL", "PASS") for f in findings)
    errors = [f["message"] for f in findings if f["status"] == "ERROR"]
    assert any("DeadlineExceeded" in message and "elapsed" in message for message in errors), errors[:3]
