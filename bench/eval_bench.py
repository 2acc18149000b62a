"""Scaling benchmark: how `dr-audit run --from-snapshot` grows with the size of a realistic estate.

Usage: python bench/eval_bench.py [--sizes 10000 100000 1000000] [--repeat 1] [--profile-checks]

For each size it writes a snapshot of a realistic estate (bench/estates.py: security groups across environments
with group-referencing rules, hosts in several groups, snapshot history, users in groups with custom policies,
replicated buckets, bastion devices), then runs `dr-audit run --from-snapshot` as a whole process and reports its
wall time, CPU time and peak memory, and the growth exponent between consecutive sizes (1.0 is linear). With
--profile-checks it also evaluates each check alone in this process and lists the five slowest with their share.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from estates import count, realistic_estate  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
# Runs the command in a child and prints its wall seconds, CPU seconds and peak RSS in MiB as JSON.
MEASURE = """
import json, resource, subprocess, sys, time
start = time.perf_counter()
done = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
wall = time.perf_counter() - start
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "rss_mib": usage.ru_maxrss / 1024,
                  "exit": done.returncode, "stderr": done.stderr[-500:]}))
"""


def snapshot(size: int, directory: Path) -> tuple[Path, int]:
    path = directory / f"estate-{size}.json"
    estate = realistic_estate(size)
    resources = count(estate)
    if not path.exists():
        estate.save(path)
    return path, resources


def measure(argv: list[str], snapshot_mib: float) -> dict[str, float]:
    # Snapshots past the default input limit are what this benchmark is about: raise it for these runs only.
    env = {**os.environ, "DR_AUDIT_MAX_FILE_MB": str(max(64, math.ceil(snapshot_mib) + 1))}
    out = subprocess.run([sys.executable, "-c", MEASURE, *argv], capture_output=True, text=True, check=True, env=env)
    figures = json.loads(out.stdout)
    if figures["exit"] not in (0, 1, 3):
        raise SystemExit(f"{' '.join(argv)} exited {figures['exit']}: {figures['stderr']}")
    return figures


def profile_checks(path: Path) -> list[tuple[str, float]]:
    from dr_audit.engine import evaluate
    from dr_audit.estate import Estate
    from dr_audit.gcpause import collector_paused
    from dr_audit.packs import load_pack
    from dr_audit.registry import load_registry

    os.environ["DR_AUDIT_MAX_FILE_MB"] = str(max(64, math.ceil(os.path.getsize(path) / 2**20) + 1))
    estate = Estate.load(path)
    registry = load_registry()
    pack = load_pack(None, registry)
    timings = []
    for spec in registry:
        start = time.process_time()
        # As a run evaluates: without it, collections of a 1M estate's heap swamp the checks.
        with collector_paused(freeze=True):
            evaluate(estate, pack, registry, only=[spec.id])
        timings.append((spec.id, time.process_time() - start))
    return sorted(timings, key=lambda pair: -pair[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--repeat", type=int, default=1, help="runs per size; the median is reported")
    parser.add_argument("--profile-checks", action="store_true", help="also list the five slowest checks per size")
    parser.add_argument("--keep", type=Path, help="directory to keep the snapshots in (default: a temporary one)")
    args = parser.parse_args()
    command = [str(Path(sys.executable).with_name("dr-audit"))]
    with tempfile.TemporaryDirectory(prefix="dr-audit-eval-") as scratch:
        directory = args.keep or Path(scratch)
        directory.mkdir(parents=True, exist_ok=True)
        rows = []
        print(f"{'resources':>10} {'snapshot MiB':>12} {'wall s':>8} {'CPU s':>8} {'peak MiB':>9} {'exponent':>9}")
        for size in args.sizes:
            path, resources = snapshot(size, directory)
            argv = [*command, "run", "--from-snapshot", str(path), "--format", "json",
                    "--output", str(Path(scratch) / "report.json"), "--history", str(Path(scratch) / "h.db")]
            runs = [measure(argv, os.path.getsize(path) / 2**20) for _ in range(args.repeat)]
            row = {"resources": resources, "wall": statistics.median(r["wall"] for r in runs),
                   "cpu": statistics.median(r["cpu"] for r in runs), "rss": max(r["rss_mib"] for r in runs),
                   "mib": os.path.getsize(path) / 2**20}
            exponent = ""
            if rows:
                before = rows[-1]
                exponent = f"{math.log(row['cpu'] / before['cpu']) / math.log(resources / before['resources']):.2f}"
            rows.append(row)
            print(f"{resources:>10,} {row['mib']:>12.1f} {row['wall']:>8.2f} {row['cpu']:>8.2f} {row['rss']:>9.0f} "
                  f"{exponent:>9}", flush=True)
            if args.profile_checks:
                timings = profile_checks(path)
                total = sum(seconds for _, seconds in timings) or 1.0
                for check_id, seconds in timings[:5]:
                    print(f"{'':>10} {check_id:<36} {seconds:>7.2f} s CPU {100 * seconds / total:>5.1f}%")


if __name__ == "__main__":
    main()
