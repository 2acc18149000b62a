"""Benchmark of `run --organization` (not a test): N emulated member accounts of small estates, at the documented
per-account rate limits and an API latency, collected by one process through the organization path.

It prints the wall time of the whole organization (discovery, role assumption and every member), the floor (the
time the slowest single account takes alone: measured on a sample of accounts, each collected alone through the same
path), their ratio (target: within 1.5x) and the collector's peak memory.

With --request-floor N it also measures what one request costs in CPU, one at a time against an emulator without
latency or limits (N requests of each kind): dr-audit's API 3.0 call, the bare SDK client's call, an S3 client built
and a ListBuckets sent, and the emulator's own CPU per request; from these and the requests an account took, the
least CPU an account can cost this process, and the best ratio one process could reach.

    python bench/org_bench.py                              # 200 members, 32 accounts at once
    python bench/org_bench.py --members 50 --parallel 50
    python bench/org_bench.py --members 40 --parallel 40 --request-floor 300
"""

from __future__ import annotations

import argparse
import importlib
import multiprocessing
import os
import resource
import sys
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dr_audit.collect.config import CollectConfig  # noqa: E402
from dr_audit.collect.errors import Secrets  # noqa: E402
from dr_audit.collect.members import DEFAULT_MAX_PARALLEL_ACCOUNTS, Target, collect_targets  # noqa: E402
from dr_audit.collect.organization import collect_organization  # noqa: E402
from dr_audit.emulator import DEMO_SECRET_ID, DEMO_SECRET_KEY, EmulatedCloud  # noqa: E402
from dr_audit.emulator.organization import MANAGEMENT, member_account, organization_estate  # noqa: E402
from dr_audit.options import RunOptions  # noqa: E402
from dr_audit.readonly import DEFAULT_MEMBER_ROLE, member_role_arn  # noqa: E402


def serve(channel: Connection, members: int, latency: float, rate_limits: bool = True) -> None:
    """The child process: the emulated organization (API server and moto COS). Each message asks for the number of
    API 3.0 requests served so far; "done" stops it after answering."""
    estate, spec = organization_estate(members)
    with EmulatedCloud(estate, organization=spec, latency=latency, rate_limits=rate_limits) as cloud:
        channel.send({"api": cloud.endpoint_url, "cos": cloud.cos_endpoint_url})
        while channel.recv() != "done":
            channel.send(len(cloud.requests))
        channel.send(len(cloud.requests))


def process_cpu(pid: int) -> float:
    """CPU seconds (user + system) a running process has used, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def per_call(fn: Callable[[], object], count: int, server: int) -> tuple[float, float]:
    """CPU seconds per call of `fn` in this process and in the server's, after a short warm-up."""
    for _ in range(min(20, count)):
        fn()
    mine, theirs = time.process_time(), process_cpu(server)
    for _ in range(count):
        fn()
    return (time.process_time() - mine) / count, (process_cpu(server) - theirs) / count


def request_floor(count: int, context: Any) -> dict[str, tuple[float, float]]:
    """CPU per request, one at a time, against an emulator of one member without latency or rate limits."""
    from tencentcloud.common.credential import Credential
    from tencentcloud.common.profile.client_profile import ClientProfile
    from tencentcloud.common.profile.http_profile import HttpProfile

    from dr_audit.collect.client import ApiClient, Endpoint, RateLimiter
    from dr_audit.collect.clients import SDK_CLIENTS, s3_client

    parent, child = context.Pipe()
    server = context.Process(target=serve, args=(child, 1, 0.0, False), daemon=True)
    server.start()
    endpoints = parent.recv()
    keys = Secrets(DEMO_SECRET_ID, DEMO_SECRET_KEY)
    params = {"Offset": 0, "Limit": 100}
    ours = ApiClient(keys, MANAGEMENT, endpoint=Endpoint(endpoints["api"]), limiter=RateLimiter(enabled=False))
    module, name = SDK_CLIENTS["cvm"]
    host = endpoints["api"].split("://", 1)[1]
    bare = getattr(importlib.import_module(module), name)(  # the SDK as its documentation builds it
        Credential(DEMO_SECRET_ID, DEMO_SECRET_KEY), "ap-guangzhou",
        ClientProfile(httpProfile=HttpProfile(protocol="http", endpoint=host), disable_region_breaker=True))
    cos = s3_client("cos", endpoints["cos"], "ap-guangzhou", keys)
    found = {
        "dr-audit API 3.0 call": per_call(lambda: ours.call("cvm", "DescribeInstances", params, "ap-guangzhou"),
                                          count, server.pid),
        "bare SDK call_json": per_call(lambda: bare.call_json("DescribeInstances", params), count, server.pid),
        "S3 client built": per_call(lambda: s3_client("cos", endpoints["cos"], "ap-guangzhou", keys),
                                    max(10, count // 10), server.pid),
        "S3 ListBuckets": per_call(cos.list_buckets, max(10, count // 3), server.pid),
    }
    parent.send("done")
    parent.recv()
    server.join(timeout=30)
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=200, help="member accounts besides the management one [200]")
    parser.add_argument("--parallel", type=int, default=DEFAULT_MAX_PARALLEL_ACCOUNTS,
                        help=f"--max-parallel-accounts [{DEFAULT_MAX_PARALLEL_ACCOUNTS}]")
    parser.add_argument("--latency", type=float, default=0.05, help="seconds added to every API 3.0 answer [0.05]")
    parser.add_argument("--sample", type=int, default=5, help="accounts timed alone for the floor [5]")
    parser.add_argument("--request-floor", type=int, default=0, metavar="N",
                        help="also measure CPU per request, N requests of each kind [off]")
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
    parent.send("count")
    served_before = parent.recv()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    rss_before, cpu_before, system_before = usage.ru_maxrss, usage.ru_utime + usage.ru_stime, usage.ru_stime
    began = time.monotonic()
    estate = collect_organization(base, config, options)
    wall = time.monotonic() - began
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu = usage.ru_utime + usage.ru_stime - cpu_before
    system = usage.ru_stime - system_before
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    parent.send("done")
    requests = parent.recv() - served_before
    server.join(timeout=30)
    served_cpu = resource.getrusage(resource.RUSAGE_CHILDREN)

    failed = [s.account for s in estate.account_status if s.status != "audited"]
    gaps = sorted({f"{g.service}:{g.code}" for g in estate.gaps})
    accounts = max(1, len(estate.accounts))
    print(f"accounts audited: {len(estate.accounts)} ({len(failed)} failed); API 3.0 requests of the organization "
          f"run: {requests} ({requests / accounts:.1f} an account, discovery included)")
    print(f"gaps: {', '.join(gaps) if gaps else 'none'}")
    print(f"single accounts alone ({len(sample)} sampled): "
          + ", ".join(f"{a} {t:.2f} s" for a, t in sorted(alone.items())))
    print(f"--max-parallel-accounts {args.parallel}")
    print(f"wall time:          {wall:8.2f} s")
    print(f"slowest account:    {floor:8.2f} s  ({floor_account}, alone)")
    print(f"ratio:              {wall / floor:8.2f} x  (target <= 1.5x)")
    # One interpreter runs every account's signing, parsing and bookkeeping: CPU / wall near 1 means the run is
    # bound by that work, not by the cloud's latency and rate limits.
    print(f"collector CPU:      {cpu:8.2f} s  ({cpu / accounts * 1000:.0f} ms an account; {cpu / wall:.2f} of a core; "
          f"system {system:.2f} s)")
    print(f"emulator CPU:       {served_cpu.ru_utime + served_cpu.ru_stime:8.2f} s  (its own process, whole life: "
          "building, seeding, serving)")
    print(f"peak memory (RSS):  {peak / 1024:8.1f} MiB  (before the organization run: {rss_before / 1024:.1f} MiB)")
    if args.request_floor:
        floor_report(request_floor(args.request_floor, context), requests / accounts, accounts, floor)
    return 0


def floor_report(costs: dict[str, tuple[float, float]], requests: float, accounts: int, floor: float) -> None:
    """Per-request CPU, and what it means for one process: the least CPU an account costs it, the least CPU the
    organization costs it (one interpreter runs it on one core at most), and so the best ratio it could reach."""
    print("CPU per request, one at a time (this process / the emulator's):")
    for name, (mine, theirs) in costs.items():
        print(f"  {name:24s} {mine * 1e6:7.0f} us / {theirs * 1e6:5.0f} us")
    call, served = costs["dr-audit API 3.0 call"]
    cos = costs["S3 client built"][0] + costs["S3 ListBuckets"][0]
    least = requests * call + cos
    print(f"least CPU an account costs: {requests:.1f} requests x {call * 1e6:.0f} us + COS {cos * 1000:.1f} ms = "
          f"{least * 1000:.0f} ms; the organization: {accounts * least:.1f} s, so a ratio of at least "
          f"{accounts * least / floor:.1f}x in one process (the emulator needs {accounts * requests * served:.1f} s "
          "of the other core)")


if __name__ == "__main__":
    sys.exit(main())
