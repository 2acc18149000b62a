"""The `--demo` source: the bundled scenario served by the emulated Tencent Cloud, read back by the real collectors
over HTTP, so the demo exercises exactly the path a live run takes. Drills are the scenario's plus those recorded in
the demo's own history store (in a live run they come from the user's store, not the cloud), so a drill run on the
demo counts in the demo and nowhere else."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .errors import BadInput
from .estate import DrillState, Estate, Gap
from .scenarios import build

if TYPE_CHECKING:
    from .options import RunOptions

# moto accepts any keys; the off-site "other cloud" of the demo needs some to sign with.
DEMO_OFFSITE_KEY = "demo-offsite-key"


def use_demo_store(options: RunOptions) -> None:
    """Point a `--demo` command at the demo store unless --history/--history-url names one (DESIGN.md §12)."""
    if options.demo:
        from .history.location import demo_store

        options.history, options.history_url = demo_store(options.history, options.history_url)


def demo_estate(options: RunOptions) -> Estate:
    scenario = build(options.scenario)
    from .collect.config import CollectConfig, pack_offsite_targets, run_timeout
    from .collect.errors import Secrets
    from .collect.live import collect
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
    return with_demo_drills(estate, scenario.drills, options)


def with_demo_drills(estate: Estate, scenario_drills: DrillState, options: RunOptions) -> Estate:
    """The scenario's drills plus the demo store's; a store that cannot be read is a gap, as in a live run."""
    from .drill.service import drill_records
    from .history import HistoryStore
    from .history.location import demo_store

    drills = scenario_drills.model_copy(deep=True)
    try:
        with HistoryStore.open(*demo_store(options.history, options.history_url)) as store:
            drills.records += drill_records(store)
    except BadInput as exc:
        estate.gaps += [Gap(account=account, service="drills", operation="read history store",
                            code="HistoryUnavailable", message=str(exc)) for account in (estate.accounts or [""])]
    estate.drills = drills
    return estate
