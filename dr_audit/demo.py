"""The `--demo` source: the bundled scenario served by the emulated Tencent Cloud, read back by the real collectors
over HTTP, so the demo exercises exactly the path a live run takes. Drills come from the scenario directly (in a
live run they come from the history store, not the cloud)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .estate import Estate
from .scenarios import build

if TYPE_CHECKING:
    from .options import RunOptions

# moto accepts any keys; the off-site "other cloud" of the demo needs some to sign with.
DEMO_OFFSITE_KEY = "demo-offsite-key"


def demo_estate(options: RunOptions) -> Estate:
    scenario = build(options.scenario)
    from .collect.client import Secrets
    from .collect.live import CollectConfig, collect, pack_offsite_targets, run_timeout
    from .emulator import DEMO_SECRET_ID, DEMO_SECRET_KEY, EmulatedCloud

    with EmulatedCloud(scenario) as cloud:
        # Point the pack's off-site targets at the emulator's second cloud, in memory only (the pack file is kept).
        targets = [t.model_copy(update={"endpoint_url": cloud.offsite_endpoint_url})
                   for t in pack_offsite_targets(options)]
        config = CollectConfig(endpoint_url=cloud.endpoint_url, cos_endpoint_url=cloud.cos_endpoint_url,
                               regions=list(options.regions), offsite_targets=targets,
                               offsite_secrets=Secrets(DEMO_OFFSITE_KEY, DEMO_OFFSITE_KEY), progress=options.progress,
                               source="demo", run_timeout=run_timeout(options))
        estate = collect([Secrets(DEMO_SECRET_ID, DEMO_SECRET_KEY)], config)
    estate.drills = scenario.drills.model_copy(deep=True)
    return estate
