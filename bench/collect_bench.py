"""Benchmark of live collection (not a test): a large synthetic estate behind the emulated cloud, with API latency
and the documented per-action rate limits, collected by the real collectors over HTTP.

It prints the calls sent per action, the wall time, the floor the rate limits set (the slowest action's calls
divided by its documented rate: no collector can beat it) and the ratio of the two. Target: within 1.2x.

    python bench/collect_bench.py                         # the full size: 10 regions, 20k disks, 2k users ...
    python bench/collect_bench.py --scale 0.1             # a tenth of it, for a quick look
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import sys
import time
from collections import Counter
from multiprocessing.connection import Connection
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dr_audit.collect.client import CallStats, rate_limit  # noqa: E402
from dr_audit.collect.config import CollectConfig  # noqa: E402
from dr_audit.collect.errors import Secrets  # noqa: E402
from dr_audit.collect.live import collect  # noqa: E402
from dr_audit.emulator import DEMO_SECRET_ID, DEMO_SECRET_KEY, EmulatedCloud  # noqa: E402
from dr_audit.emulator.synthetic import synthetic_estate  # noqa: E402
from dr_audit.scope import OffsiteTarget  # noqa: E402


def serve(channel: Connection, args: argparse.Namespace, sizes: dict[str, int]) -> None:
    """The child process: build the estate, serve it, and answer with the calls received once told to stop."""
    estate = synthetic_estate(regions=args.regions, **sizes)
    with EmulatedCloud(estate, latency=args.latency, rate_limits=True) as cloud:
        targets = [{"name": c.target, "endpoint_url": cloud.offsite_endpoint_url, "region": c.region or "us-east-1",
                    "bucket": c.bucket, "source_bucket": c.source_bucket} for c in estate.offsite.copies]
        channel.send({"api": cloud.endpoint_url, "cos": cloud.cos_endpoint_url, "targets": targets})
        channel.recv()
        channel.send(Counter(f"{r.service}:{r.action}" for r in cloud.requests))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="shrink every count by this factor [1.0]")
    parser.add_argument("--latency", type=float, default=0.05, help="seconds added to every API 3.0 answer [0.05]")
    parser.add_argument("--regions", type=int, default=10)
    parser.add_argument("--workers", type=int, default=16, help="threads per service lane [16]")
    args = parser.parse_args()

    sizes = {"disks": 20_000, "users": 2_000, "buckets": 2_000, "mysql": 500}
    sizes = {name: max(1, int(count * args.scale)) for name, count in sizes.items()}
    # The emulated cloud (API server and both moto servers) runs in a child process, as a real cloud would be
    # elsewhere: in one process the servers' CPU would compete with the collector's for one interpreter.
    parent, child = multiprocessing.get_context("fork").Pipe()
    server = multiprocessing.get_context("fork").Process(target=serve, args=(child, args, sizes), daemon=True)
    started = time.monotonic()
    server.start()
    endpoints = parent.recv()
    print(f"synthetic estate: {args.regions} regions, {sizes}; emulated cloud up in "
          f"{time.monotonic() - started:.1f} s (COS seeded in moto, in its own process)")
    targets = [OffsiteTarget(**target) for target in endpoints["targets"]]
    config = CollectConfig(endpoint_url=endpoints["api"], cos_endpoint_url=endpoints["cos"],
                           offsite_targets=targets, offsite_secrets=Secrets("bench", "bench"),
                           workers_per_lane=args.workers, source="demo")
    stats = CallStats()
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.monotonic()
    collected = collect([Secrets(DEMO_SECRET_ID, DEMO_SECRET_KEY)], config, stats=stats)
    wall = time.monotonic() - started
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    parent.send("done")
    received: Counter[str] = parent.recv()
    server.join(timeout=30)
    throttled = sum(stats.retried.values())

    print(f"\n{'action':48} {'calls':>7} {'rate/s':>7} {'floor s':>8}")
    floors: dict[str, float] = {}
    for key, calls in sorted(received.items(), key=lambda kv: -kv[1] / rate_limit(*kv[0].split(":"))):
        service, action = key.split(":")
        rate = rate_limit(service, action)
        floors[key] = calls / rate
        print(f"{key:48} {calls:7d} {rate:7.0f} {floors[key]:8.1f}")
    floor_action, floor = max(floors.items(), key=lambda kv: kv[1])
    print(f"\nAPI 3.0 calls: {sum(received.values())}; retried: {throttled}; gaps: {len(collected.gaps)}")
    print("COS/off-site (S3) reads are not rate-limited by Tencent and not in the floor.")
    api_done = stats.last_sent_at - started
    print(f"API 3.0 reads done after {api_done:.1f} s; floor {floor:.1f} s ({floor_action}); "
          f"ratio {api_done / floor:.2f}x")
    print(f"wall time (everything, COS and off-site included) {wall:.1f} s; ratio {wall / floor:.2f}x")
    print(f"peak RSS of the collecting process {rss_after / 1024:.0f} MiB (before collecting: "
          f"{rss_before / 1024:.0f} MiB)")
    print(f"collected: {len(collected.cbs.disks)} disks, {len(collected.cbs.snapshots)} snapshots kept, "
          f"{len(collected.cam.users)} users, {len(collected.cos.buckets)} buckets, {len(collected.cdb.instances)} "
          f"MySQL instances")
    return 0


if __name__ == "__main__":
    sys.exit(main())
