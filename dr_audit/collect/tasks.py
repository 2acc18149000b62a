"""Concurrency for collection: a few workers per lane (kind of read), and tasks that spawn tasks without waiting.

A task never blocks on another task's future (that could starve the pool); it hands follow-up reads to `spawn` and
returns. `wait()` returns when every task, however deep, has finished. A lane per service keeps one throttled
service (CAM at 20/s) from holding every worker while faster ones queue behind it.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

CrashHandler = Callable[[BaseException], None]


# Threads a task group may start when it has no shared pool: enough that every lane gets its workers.
OWN_WORKERS = 1024


class TaskGroup:
    """Tasks by lane, at most `workers_per_lane` of a lane running at once, on threads of `workers` (shared by many
    groups, e.g. every account of an organization) or of a pool of the group's own.

    A lane is a queue, not a pool: up to `workers_per_lane` drainers take its tasks in order and give their thread
    back when it is empty, so many groups on one shared pool reuse its threads instead of each starting and
    joining its own (thread start and exit grow with the threads alive).
    """

    def __init__(self, workers_per_lane: int = 16, workers: ThreadPoolExecutor | None = None) -> None:
        self.workers_per_lane = workers_per_lane
        self._workers = workers
        self._own_workers: ThreadPoolExecutor | None = None
        self._lanes: dict[str, deque[tuple[Callable[..., Any], tuple[Any, ...], CrashHandler | None]]] = {}
        self._draining: dict[str, int] = {}
        self._pending = 0
        self._done = threading.Condition()
        self._lock = threading.Lock()
        self.crashes: list[BaseException] = []

    def spawn(self, lane: str, fn: Callable[..., Any], *args: Any, on_crash: CrashHandler | None = None) -> None:
        """Run fn(*args) in the lane; an exception goes to on_crash (or is kept in `crashes`)."""
        with self._done:
            self._pending += 1
        with self._lock:
            self._lanes.setdefault(lane, deque()).append((fn, args, on_crash))
            if self._draining.get(lane, 0) >= self.workers_per_lane:
                return  # a running drainer of the lane will take it
            self._draining[lane] = self._draining.get(lane, 0) + 1
        self._pool().submit(self._drain, lane)

    def _pool(self) -> ThreadPoolExecutor:
        if self._workers is not None:
            return self._workers
        with self._lock:
            if self._own_workers is None:
                self._own_workers = ThreadPoolExecutor(OWN_WORKERS, thread_name_prefix="dr-read")
            return self._own_workers

    def _drain(self, lane: str) -> None:
        while True:
            with self._lock:
                queue = self._lanes[lane]
                if not queue:
                    self._draining[lane] -= 1
                    return
                fn, args, on_crash = queue.popleft()
            self._run(fn, args, on_crash)

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
        """Stop the group's own threads (a shared pool belongs to whoever made it)."""
        if self._own_workers is not None:
            self._own_workers.shutdown(wait=True)
