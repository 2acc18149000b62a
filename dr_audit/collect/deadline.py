"""Deadlines for every outbound request: a total time per call (a trickling answer counts) and budgets for the run.

Socket timeouts alone bound only the wait for the next byte, so a server sending one byte a second is read forever.
Every connection our clients open is wrapped so that each send and receive waits at most until the calling thread's
deadline; the client layer sets that deadline before each call, from the call's own budget and the run's.
"""

from __future__ import annotations

import functools
import io
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

# Per request: the wait for a connection, and for each next byte. Per call: every attempt and pause together.
CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 10.0
CALL_BUDGET = 20.0
DEFAULT_RUN_TIMEOUT = 1800.0  # `run --timeout`: the whole collection

_current = threading.local()


class DeadlinePassed(TimeoutError):
    """The calling thread's deadline passed while a request was being sent or its answer read."""


def current_deadline() -> float | None:
    return getattr(_current, "deadline", None)


@contextmanager
def deadline_at(moment: float | None) -> Iterator[None]:
    """Every socket operation of this thread, inside the block, ends by `moment` (time.monotonic())."""
    previous = current_deadline()
    _current.deadline = moment
    try:
        yield
    finally:
        _current.deadline = previous


def set_deadline(moment: float | None) -> None:
    """For event hooks that cannot wrap the request in a block (botocore's before-send)."""
    _current.deadline = moment


class DeadlineSocket:
    """A connected socket whose every wait is cut to the thread's deadline (headers and bodies alike)."""

    def __init__(self, inner: socket.socket) -> None:
        self._inner = inner
        self._timeout = inner.gettimeout()

    def _arm(self) -> None:
        deadline = current_deadline()
        if deadline is None:
            self._inner.settimeout(self._timeout)
            return
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise DeadlinePassed("the request's deadline passed")
        self._inner.settimeout(remaining if self._timeout is None else min(self._timeout, remaining))

    def settimeout(self, value: float | None) -> None:
        self._timeout = value
        self._inner.settimeout(value)

    def gettimeout(self) -> float | None:
        return self._timeout

    def recv_into(self, buffer: Any, nbytes: int = 0, flags: int = 0) -> int:
        self._arm()
        try:
            return self._inner.recv_into(buffer, nbytes, flags)
        except TimeoutError:
            self._raise_if_passed()
            raise

    def recv(self, bufsize: int, flags: int = 0) -> bytes:
        self._arm()
        try:
            return self._inner.recv(bufsize, flags)
        except TimeoutError:
            self._raise_if_passed()
            raise

    def sendall(self, data: Any, flags: int = 0) -> None:
        self._arm()
        try:
            self._inner.sendall(data, flags)
        except TimeoutError:
            self._raise_if_passed()
            raise

    def send(self, data: Any, flags: int = 0) -> int:
        self._arm()
        return self._inner.send(data, flags)

    def _raise_if_passed(self) -> None:
        deadline = current_deadline()
        if deadline is not None and time.monotonic() >= deadline:
            raise DeadlinePassed("the request's deadline passed") from None

    def makefile(self, mode: str = "rb", buffering: int | None = None, **_: Any) -> io.BufferedIOBase:
        # Reads must come back through recv_into above, so the file is built on this wrapper, not the socket.
        if "r" not in mode or "w" in mode:
            raise ValueError(f"a deadline socket is only read through a file (mode {mode!r})")
        self._inner._io_refs += 1  # type: ignore[attr-defined]  # closing the file releases the socket as usual
        raw = socket.SocketIO(self, "rb")  # type: ignore[arg-type]
        return io.BufferedReader(raw, buffering if buffering and buffering > 0 else io.DEFAULT_BUFFER_SIZE)

    def _decref_socketios(self) -> None:
        self._inner._decref_socketios()  # type: ignore[attr-defined]

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


@functools.cache
def deadline_pool(pool_class: Any) -> type:
    """A urllib3 connection pool class (requests' or botocore's) whose connections use DeadlineSocket (one class per
    pool class: building a class is not free, and every client asks)."""
    base_connection: Any = pool_class.ConnectionCls

    class DeadlineConnection(base_connection):  # type: ignore[misc, valid-type]
        def connect(self) -> None:
            super().connect()
            sock: Any = getattr(self, "sock", None)
            if sock is not None and not isinstance(sock, DeadlineSocket):
                self.sock = DeadlineSocket(sock)

    return type(f"Deadline{pool_class.__name__}", (pool_class,), {"ConnectionCls": DeadlineConnection})


class BudgetSpent(Exception):
    """No time is left for a call: the run's or the service's budget ran out before it could be sent."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class RunBudget:
    """The time a collection may take: the whole run (`--timeout`) and each (account, service) from its first call.

    A call's own deadline is the earliest of its call budget, its service's and the run's; when a budget is spent,
    calls fail at once naming it and the time elapsed, so what was not read becomes a gap instead of a wait.
    """

    run_seconds: float | None = DEFAULT_RUN_TIMEOUT
    service_seconds: float | None = None
    call_seconds: float = CALL_BUDGET
    started: float = field(default_factory=time.monotonic)
    _services: dict[tuple[str, str], float] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def call_deadline(self, account: str, service: str) -> float:
        """When one call (every attempt) must be done by; BudgetSpent when nothing is left."""
        now = time.monotonic()
        deadline = now + self.call_seconds
        if self.run_seconds is not None:
            run_end = self.started + self.run_seconds
            if now >= run_end:
                raise BudgetSpent(f"the run's --timeout of {self.run_seconds:g} s ran out "
                                  f"({self.elapsed():.1f} s elapsed)")
            deadline = min(deadline, run_end)
        if self.service_seconds is not None:
            with self._lock:
                first = self._services.setdefault((account, service), now)
            service_end = first + self.service_seconds
            if now >= service_end:
                raise BudgetSpent(f"the {service} budget of {self.service_seconds:g} s ran out "
                                  f"({now - first:.1f} s elapsed)")
            deadline = min(deadline, service_end)
        return deadline

    def spent_reason(self, account: str, service: str, call_started: float) -> str:
        """Why a call that ran into its deadline ended (the run's, the service's or its own budget), with the time
        it took."""
        try:
            self.call_deadline(account, service)
        except BudgetSpent as spent:
            return spent.reason
        return (f"no complete answer within the {self.call_seconds:g} s one call may take "
                f"({time.monotonic() - call_started:.1f} s elapsed)")
