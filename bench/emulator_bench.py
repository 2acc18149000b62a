"""Benchmark of the emulated cloud itself (not a test): how long the synthetic estate and the emulator take to build
and start, and how many signed API 3.0 calls a second the server answers to real SDK clients in parallel threads.

    python bench/emulator_bench.py                  # 20k disks, API only, 8 client threads, 20,000 calls
    python bench/emulator_bench.py --cos            # also seed COS and the off-site copies in moto (slow: boto3)
"""

from __future__ import annotations

import argparse
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tencentcloud.common import credential  # noqa: E402
from tencentcloud.common.profile.client_profile import ClientProfile  # noqa: E402
from tencentcloud.common.profile.http_profile import HttpProfile  # noqa: E402

from dr_audit.emulator import DEMO_SECRET_ID, DEMO_SECRET_KEY, EmulatedCloud  # noqa: E402
from dr_audit.emulator.synthetic import synthetic_estate  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=20_000)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--disks", type=int, default=20_000)
    parser.add_argument("--buckets", type=int, default=2_000)
    parser.add_argument("--cos", action="store_true", help="seed COS and off-site buckets in moto too")
    args = parser.parse_args()

    started = time.perf_counter()
    estate = synthetic_estate(disks=args.disks, buckets=args.buckets)
    print(f"synthetic estate: {len(estate.cbs.disks)} disks, {len(estate.cos.buckets)} buckets "
          f"in {time.perf_counter() - started:.2f} s")
    started = time.perf_counter()
    with EmulatedCloud(estate, cos=args.cos) as cloud:
        print(f"emulated cloud up in {time.perf_counter() - started:.2f} s" + (" (COS seeded)" if args.cos else ""))
        region = estate.regions[0]
        profile = ClientProfile(httpProfile=HttpProfile(protocol="http",
                                                        endpoint=cloud.endpoint_url.removeprefix("http://")))
        from tencentcloud.cbs.v20170312.cbs_client import CbsClient

        disk_ids = [d.disk_id for d in estate.cbs.disks if d.region == region]

        def worker(share: int) -> int:
            client = CbsClient(credential.Credential(DEMO_SECRET_ID, DEMO_SECRET_KEY), region, profile)
            for n in range(share):
                # The collector's most frequent call shape: the newest snapshot of one disk.
                client.call_json("DescribeSnapshots", {
                    "Filters": [{"Name": "disk-id", "Values": [disk_ids[n % len(disk_ids)]]}],
                    "Order": "DESC", "OrderField": "CREATE_TIME", "Limit": 1})
            return share

        started = time.perf_counter()
        with ThreadPoolExecutor(args.threads) as pool:
            done = sum(pool.map(worker, [args.calls // args.threads] * args.threads))
        wall = time.perf_counter() - started
        print(f"{done} signed calls from {args.threads} threads in {wall:.2f} s: {done / wall:,.0f} calls/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
