"""`python -m dr_audit.emulator --scenario weimob-2020`: serve a scenario until interrupted.

Prints the endpoints and the demo credentials so `dr-audit run --endpoint-url … --cos-endpoint-url …` can point at
it. This is a command-line entry point, so printing is its job.
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
import threading
from types import FrameType

from ..errors import BadInput
from ..scenarios import SCENARIOS, build
from . import DEMO_SECRET_ID, DEMO_SECRET_KEY, EmulatedCloud


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dr_audit.emulator", description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="weimob-2020", help=f"one of: {', '.join(SCENARIOS)}")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added to every API 3.0 answer")
    parser.add_argument("--rate-limits", action="store_true", help="enforce the documented per-action rate limits")
    args = parser.parse_args(argv)
    try:
        estate = build(args.scenario)
    except BadInput as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    stop = threading.Event()

    def interrupted(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, interrupted)
    with contextlib.ExitStack() as running:
        try:
            cloud = running.enter_context(EmulatedCloud(estate, latency=args.latency, rate_limits=args.rate_limits))
        except BadInput as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        print(f"scenario:              {args.scenario} (account {cloud.account})")
        print(f"API 3.0 endpoint:      {cloud.endpoint_url}")
        print(f"COS endpoint:          {cloud.cos_endpoint_url}")
        print(f"off-site S3 endpoint:  {cloud.offsite_endpoint_url}")
        print(f"TENCENTCLOUD_SECRET_ID={DEMO_SECRET_ID}")
        print(f"TENCENTCLOUD_SECRET_KEY={DEMO_SECRET_KEY}")
        print(f"try: dr-audit run --endpoint-url {cloud.endpoint_url} --cos-endpoint-url {cloud.cos_endpoint_url}")
        print("serving until interrupted (Ctrl-C)", flush=True)
        try:
            while not stop.wait(0.5):
                pass
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
