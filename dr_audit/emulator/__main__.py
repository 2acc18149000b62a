"""`python -m dr_audit.emulator --scenario weimob-2020`: serve a scenario until interrupted.

Prints `export` lines for every endpoint and key it serves, so that after pasting them a plain `dr-audit run` audits
it exactly as `--demo` does. This is a command-line entry point, so printing is its job.
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
import threading
from types import FrameType

from ..collect.offsite_setup import AWS_KEY_ENVS, ENDPOINT_ENV
from ..demo import DEMO_OFFSITE_KEY
from ..errors import BadInput
from ..scenarios import SCENARIOS, build
from . import DEMO_SECRET_ID, DEMO_SECRET_KEY, EmulatedCloud

EXPLAINED = f"""\
It serves three endpoints on 127.0.0.1 and prints an `export` line for each, and for the keys that sign requests
to them; paste them into the shell that runs dr-audit:

  TENCENTCLOUD_SECRET_ID, TENCENTCLOUD_SECRET_KEY
      the emulated account's API keys (the same as the demo's)
  DR_AUDIT_ENDPOINT_URL       the API 3.0 endpoint (CAM, CVM, CBS, VPC, CDB, bastion, CloudAudit)
  DR_AUDIT_COS_ENDPOINT_URL   the COS endpoint (path-style S3)
  {ENDPOINT_ENV}
      the "other cloud" (S3-compatible) that holds the off-site copies the pack's
      scope.offsite_targets name (the bundled pack names no endpoint: this says where they are)
  {", ".join(AWS_KEY_ENVS)}
      the keys that sign off-site requests (the standard AWS chain; the demo uses the same ones)

Then `dr-audit run --history emulator-history.db` gives the same verdicts as `dr-audit run --demo`, except
drills: a live run reads them from its history store, the demo from its scenario plus the demo store.
--history keeps these runs out of your real history.
"""


def export_lines(cloud: EmulatedCloud) -> list[str]:
    """Ready-to-paste shell lines for every endpoint and key the emulator serves (all are fixed demo values)."""
    values = {
        "TENCENTCLOUD_SECRET_ID": DEMO_SECRET_ID,
        "TENCENTCLOUD_SECRET_KEY": DEMO_SECRET_KEY,
        "DR_AUDIT_ENDPOINT_URL": cloud.endpoint_url,
        "DR_AUDIT_COS_ENDPOINT_URL": cloud.cos_endpoint_url,
        ENDPOINT_ENV: cloud.offsite_endpoint_url,
        AWS_KEY_ENVS[0]: DEMO_OFFSITE_KEY,
        AWS_KEY_ENVS[1]: DEMO_OFFSITE_KEY,
    }
    return [f"export {name}={value}" for name, value in values.items()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dr_audit.emulator", description=__doc__.splitlines()[0],
                                     epilog=EXPLAINED, formatter_class=argparse.RawDescriptionHelpFormatter)
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
        print("# paste into the shell that runs dr-audit (see --help):")
        for line in export_lines(cloud):
            print(line)
        print("try: dr-audit run --history emulator-history.db")
        print("serving until interrupted (Ctrl-C)", flush=True)
        try:
            while not stop.wait(0.5):
                pass
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
