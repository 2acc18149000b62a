"""Concurrency for collection: a small thread pool per lane (service), and tasks that spawn tasks without waiting.

A task never blocks on another task's future (that could starve the pool); it hands follow-up reads to `spawn` and
returns. `wait()` returns when every task, however deep, has finished. A lane per service keeps one throttled
service (CAM at 20/s) from holding every worker while faster ones queue behind it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

CrashHandler = Callable[[BaseException], None]


class TaskGroup:
    def __init__(self, workers_per_lane: int = 16) -> None:
        self.workers_per_lane = workers_per_lane
        self._pools: dict[str, ThreadPoolExecutor] = {}
        self._pending = 0
        self._done = threading.Condition()
        self._lock = threading.Lock()
        self.crashes: list[BaseException] = []

    def spawn(self, lane: str, fn: Callable[..., Any], *args: Any, on_crash: CrashHandler | None = None) -> None:
        """Run fn(*args) on the lane's pool; an exception goes to on_crash (or is kept in `crashes`)."""
        with self._done:
            self._pending += 1
        self._pool(lane).submit(self._run, fn, args, on_crash)

    def _pool(self, lane: str) -> ThreadPoolExecutor:
        with self._lock:
            pool = self._pools.get(lane)
            if pool is None:
                pool = self._pools[lane] = ThreadPoolExecutor(self.workers_per_lane, thread_name_prefix=f"dr-{lane}")
            return pool

    def _run(self, fn: Callable[..., Any], args: tuple[Any, ...], on_crash: CrashHandler | None) -> None:
        try:
            fn(*args)
        except BaseException as exc:  # a crashed collector must leave a trace, never a silent hole
            try:
                if on_crash is not None:
                    on_crash(exc)
                else:
                    self.crashes.append(exc)
            except BaseException as second:  # pragma: no cover - the handler itself failed
                self.crashes.append(second)
        finally:
            with self._done:
                self._pending -= 1
                if self._pending == 0:
                    self._done.notify_all()

    @property
    def pending(self) -> int:
        return self._pending

    def wait(self, tick: Callable[[], None] | None = None, interval: float = 0.2) -> None:
        with self._done:
            while self._pending:
                self._done.wait(interval)
                if tick is not None:
                    tick()

    def close(self) -> None:
        for pool in self._pools.values():
            pool.shutdown(wait=True)
