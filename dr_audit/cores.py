"""Whether a second process would run on a core of its own: helpers (plan reading, the history recorder) start one
only then, since on a busy machine a child takes its CPU out of this process's own share."""

from __future__ import annotations

import os

# A child pays for itself only on a core nobody else wants: with the 1-minute load average below the usable CPUs
# less one (this process) plus this margin, one is free. Otherwise the child takes its CPU out of this process's own
# share of a busy machine and adds its start, its copying and its pickling: reading a plan of 1,000 resources at
# load 3-4 on 2 cores took 0.1-0.17 s more CPU and longer than reading it here (BENCHMARKS.md, plan evaluation).
SPARE_CORE_LOAD = 0.5

# Set (to anything), no helper process is started: the plan's input, its pack and a large run's history are all
# read or written in-process, with the same results.
NO_FORK_ENV = "DR_AUDIT_NO_FORK"


def helpers_switched_off() -> bool:
    return bool(os.environ.get(NO_FORK_ENV))


def spare_core() -> bool:
    """Whether another core is likely idle now: two or more CPUs usable by this process and a 1-minute load average
    that leaves one of them free (as `make -l` judges whether to start another job)."""
    try:
        usable = len(os.sched_getaffinity(0))
        load = os.getloadavg()[0]
    except (AttributeError, OSError):  # no affinity or load average on this platform: no child either
        return False
    return usable >= 2 and load < usable - 1 + SPARE_CORE_LOAD
