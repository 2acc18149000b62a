"""Run one function in a forked child process while this process goes on, and take its result when needed.

`dr-audit plan` spends most of a small run importing its models and loading checks and the pack, none of which
reading the input needs; on a large configuration, parsing is the largest single cost. So the command forks first,
the child reads and parses the input and sends the result back pickled through a pipe, and the parent collects it
once its own preparation is done. With two cores the parsing is hidden behind the preparation.

The child is an optimisation, never a dependency: on a platform without a safe `fork` (only Linux is trusted with
it here), with threads already running, with DR_AUDIT_NO_FORK set, or when the child fails, dies or sends back
anything unreadable, the parent runs the function itself. A failure therefore surfaces exactly as it would without
the child (bad input is still one BadInput line), and the result never depends on how it was computed.
"""

from __future__ import annotations

import os
import pickle
import signal
import sys
import threading
from collections.abc import Callable
from types import TracebackType
from typing import Generic, TypeVar

from ..cores import helpers_switched_off

T = TypeVar("T")

_FAILED = b"failed"


def forking_allowed() -> bool:
    """Linux, not switched off, and no other thread running (a fork copies only the calling thread)."""
    return (sys.platform.startswith("linux") and hasattr(os, "fork") and not helpers_switched_off()
            and threading.active_count() == 1)


class Background(Generic[T]):
    """`with Background(fn) as job: ...; value = job.result()`: fn runs in a child from the start of the block."""

    def __init__(self, function: Callable[[], T]) -> None:
        self._function = function
        self._pid: int | None = None
        self._pipe: int | None = None

    def __enter__(self) -> Background[T]:
        if forking_allowed():
            self._start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self._reap()

    def _start(self) -> None:
        reader, writer = os.pipe()
        try:
            pid = os.fork()
        except OSError:
            os.close(reader)
            os.close(writer)
            return
        if pid == 0:  # the child: compute, send, and leave without running the parent's exit handlers
            os.close(reader)
            code = 0
            try:
                payload = pickle.dumps(self._function(), protocol=pickle.HIGHEST_PROTOCOL)
            except BaseException:  # noqa: BLE001 - any failure is the parent's to reproduce, in its own process
                payload, code = _FAILED, 1
            try:
                with os.fdopen(writer, "wb") as pipe:
                    pipe.write(payload)
            except BaseException:  # noqa: BLE001 - the parent stopped listening; it has its own fallback
                code = 1
            os._exit(code)
        os.close(writer)
        self._pid, self._pipe = pid, reader

    def result(self) -> T:
        """The child's result, or the function's result computed here when the child could not give one."""
        if self._pid is None or self._pipe is None:
            return self._function()
        with os.fdopen(self._pipe, "rb") as pipe:
            self._pipe = None
            payload = pipe.read()
        code = self._reap()
        if code == 0 and payload and payload != _FAILED:
            try:
                return pickle.loads(payload)  # type: ignore[no-any-return]
            except Exception:  # noqa: BLE001 - a payload we cannot read is a child that failed
                pass
        return self._function()

    def _reap(self) -> int | None:
        """Wait for the child and give its exit code; a child whose result was not wanted is stopped first."""
        if self._pid is None:
            return None
        pid, self._pid = self._pid, None
        if self._pipe is not None:  # the block ended without taking the result (bad flags, say): stop the work
            os.close(self._pipe)
            self._pipe = None
            os.kill(pid, signal.SIGKILL)
        try:
            _, status = os.waitpid(pid, 0)
        except ChildProcessError:
            return None
        return os.waitstatus_to_exitcode(status)
