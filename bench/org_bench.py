"""Benchmark of `run --organization` (not a test): N emulated member accounts of small estates, at the documented
per-account rate limits and an API latency, collected by one process through the organization path.

It prints the wall time of the whole organization (discovery, role assumption and every member), the floor (the
time the slowest single account takes alone: measured on a sample of accounts, each collected alone through the same
path), their ratio (target: within 1.5x) and the collector's peak memory.

    python bench/org_bench.py                              # 200 members, 32 accounts at once
    python bench/org_bench.py --members 50 --parallel 50
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import sys
import time
from multiprocessing.connection import Connection
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dr_audit.collect.client import Secrets  # noqa: E402
from dr_audit.collect.live import CollectConfig  # noqa: E402
from dr_audit.collect.members import DEFAULT_MAX_PARALLEL_ACCOUNTS, Target, collect_targets  # noqa: E402
from dr_audit.collect.organization import collect_organization  # noqa: E402
from dr_audit.emulator import DEMO_SECRET_ID, DEMO_SECRET_KEY, EmulatedCloud  # noqa: E402
from dr_audit.emulator.organization import MANAGEMENT, member_account, organization_estate  # noqa: E402
from dr_audit.options import RunOptions  # noqa: E402
from dr_audit.readonly import DEFAULT_MEMBER_ROLE, member_role_arn  # noqa: E402


def serve(channel: Connection, members: int, latency: float) -> None:
    """The child process: the emulated organization (API server and moto COS), until told to stop."""
    estate, spec = organization_estate(members)
    with EmulatedCloud(estate, organization=spec, latency=latency, rate_limits=True) as cloud:
        channel.send({"api": cloud.endpoint_url, "cos": cloud.cos_endpoint_url})
        channel.recv()
        channel.send(len(cloud.requests))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=200, help="member accounts besides the management one [200]")
    parser.add_argument("--parallel", type=int, default=DEFAULT_MAX_PARALLEL_ACCOUNTS,
                        help=f"--max-parallel-accounts [{DEFAULT_MAX_PARALLEL_ACCOUNTS}]")
    parser.add_argument("--latency", type=float, default=0.05, help="seconds added to every API 3.0 answer [0.05]")
    parser.add_argument("--sample", type=int, default=5, help="accounts timed alone for the floor [5]")
    args = parser.parse_args()

    # The emulated cloud runs in a child process, as a real cloud would be elsewhere: in one process its CPU would
    # compete with the collector's for one interpreter.
    context = multiprocessing.get_context("fork")
    parent, child = context.Pipe()
    server = context.Process(target=serve, args=(child, args.members, args.latency), daemon=True)
    started = time.monotonic()
    server.start()
    endpoints = parent.recv()
    print(f"emulated organization: {args.members} members + the management account, small estates, "
          f"{args.latency * 1000:.0f} ms latency, documented rate limits; up in {time.monotonic() - started:.1f} s")
    config = CollectConfig(endpoint_url=endpoints["api"], cos_endpoint_url=endpoints["cos"], source="demo")
    base = Secrets(DEMO_SECRET_ID, DEMO_SECRET_KEY)

    # The floor: each sampled account alone, through the same path (its role assumed, then collected).
    sample = [member_account(n) for n in range(1, args.members + 1)][:max(0, args.sample - 1)] + [MANAGEMENT]
    alone: dict[str, float] = {}
    collect_targets(base, [Target(MANAGEMENT, None)], config, max_parallel=1)  # warm up: imports, first clients
    time.sleep(1.0)
    for account in sample:
        target = Target(account, None if account == MANAGEMENT else member_role_arn(account, DEFAULT_MEMBER_ROLE))
        began = time.monotonic()
        collect_targets(base, [target], config, max_parallel=1)
        alone[account] = time.monotonic() - began
    floor_account, floor = max(alone.items(), key=lambda kv: kv[1])
    time.sleep(1.0)  # let every token bucket refill before the organization run

    options = RunOptions(organization=True, max_parallel_accounts=args.parallel)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    rss_before, cpu_before = usage.ru_maxrss, usage.ru_utime + usage.ru_stime
    began = time.monotonic()
    estate = collect_organization(base, config, options)
    wall = time.monotonic() - began
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu = usage.ru_utime + usage.ru_stime - cpu_before
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    parent.send("done")
    requests = parent.recv()
    server.join(timeout=30)
    served_cpu = resource.getrusage(resource.RUSAGE_CHILDREN)

    failed = [s.account for s in estate.account_status if s.status != "audited"]
    gaps = sorted({f"{g.service}:{g.code}" for g in estate.gaps})
    print(f"accounts audited: {len(estate.accounts)} ({len(failed)} failed); API 3.0 requests served: {requests}")
    print(f"gaps: {', '.join(gaps) if gaps else 'none'}")
    print(f"single accounts alone ({len(sample)} sampled): "
          + ", ".join(f"{a} {t:.2f} s" for a, t in sorted(alone.items())))
    print(f"--max-parallel-accounts {args.parallel}")
    print(f"wall time:          {wall:8.2f} s")
    print(f"slowest account:    {floor:8.2f} s  ({floor_account}, alone)")
    print(f"ratio:              {wall / floor:8.2f} x  (target <= 1.5x)")
    # One interpreter runs every account's signing, parsing and bookkeeping: CPU / wall near 1 means the run is
    # bound by that work, not by the cloud's latency and rate limits.
    print(f"collector CPU:      {cpu:8.2f} s  ({cpu / max(1, len(estate.accounts)) * 1000:.0f} ms an account; "
          f"{cpu / wall:.2f} of a core)")
    print(f"emulator CPU:       {served_cpu.ru_utime + served_cpu.ru_stime:8.2f} s  (its own process, whole life: "
          "building, seeding, serving)")
    print(f"peak memory (RSS):  {peak / 1024:8.1f} MiB  (before the organization run: {rss_before / 1024:.1f} MiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
