"""Live collection: fill an Estate from Tencent Cloud accounts (and off-site S3 targets), read-only.

`collect(...)` reads the accounts of the keys it is given; `dr-audit run` (`run.py`), `--demo` against the emulated
cloud, each member of an organization (`members.py`), the tests and the benchmark all read through it. Accounts,
services and regions are read concurrently; every failure is recorded in the Estate (a gap, or a resource's
`unreadable`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial

from ..estate import Estate, Gap, mask_key_id
from . import credentials
from .client import ApiClient, CallStats, Endpoint, RateLimiter
from .config import CollectConfig
from .deadline import RunBudget
from .errors import CallError, Secrets, scrub
from .s3 import CosCollector, CosSource, OffsiteCollector, resolve_destination_regions
from .tasks import TaskGroup
from .tencent import cam, cbs, cdb, cloudaudit, cvm, dasb, vpc
from .tencent.common import AccountRun, Harvest

REGIONAL_SERVICES = ("cvm", "cbs", "vpc", "cdb", "dasb")


def collect(accounts: list[Secrets], config: CollectConfig, *, stats: CallStats | None = None,
            budget: RunBudget | None = None, workers: ThreadPoolExecutor | None = None) -> Estate:
    """Read every account (concurrently) into one Estate; the reads run on `workers` when given (a pool shared with
    other collections), else on threads of this collection's own."""
    stats = stats or CallStats()
    budget = budget or config.budget()  # one clock for every account, service and target of this collection
    limiter = RateLimiter(share=config.rate_share, enabled=config.rate_limits)
    # Every service is covered; drills are filled from the history store by the runner (or the demo scenario).
    estate = Estate(source=config.source, collected_at=datetime.now(UTC).replace(microsecond=0))
    harvest = Harvest(estate)
    tasks = TaskGroup(config.workers_per_lane, workers)
    regional = {"cvm": cvm.collect, "cbs": cbs.collect, "vpc": vpc.collect, "cdb": cdb.collect,
                "dasb": dasb.collect}

    def start_account(secrets: Secrets, where: AccountProgress) -> None:
        client = ApiClient(secrets, endpoint=Endpoint(config.endpoint_url), limiter=limiter, retry=config.retry,
                           timeout=config.timeout, stats=stats, budget=budget)
        account = identify(client, harvest)
        if account is None:
            return
        where.account = client.account = account
        with harvest.lock:
            estate.accounts.append(account)
        regions = config.regions or list_regions(client, account, harvest)
        run = AccountRun(client=client, account=account, regions=regions, tasks=tasks, harvest=harvest)
        with harvest.lock:
            estate.regions.extend(r for r in regions if r not in estate.regions)
        starts: list[tuple[str, str, Callable[[], None]]] = [
            ("cam", "", lambda: cam.collect(run)),
            ("cloudaudit", "", lambda: cloudaudit.collect(run)),
            ("cos", "", lambda: CosCollector(run, CosSource(config.cos_endpoint_url), config.timeout).collect()),
        ]
        starts += [(service, region, partial(regional[service], run, region))
                   for region in regions for service in REGIONAL_SERVICES]
        for service, region, start in starts:
            try:
                start()
            except Exception as exc:  # one collector's bug costs its own (account, service, region), no more
                harvest.gap(crash_gap(exc, secrets, account, service, region))

    with _progress(config, stats, tasks) as tick:
        try:
            for secrets in accounts:
                where = AccountProgress(unidentified_label(secrets))
                tasks.spawn("accounts", start_account, secrets, where,
                            on_crash=partial(account_crashed, harvest, secrets, where))
            # Off-site targets belong to the pack, not to an account: read once, alongside the accounts.
            for target in config.offsite_targets:
                OffsiteCollector(tasks, harvest, target, config.offsite_secrets, config.timeout, budget).collect()
            tasks.wait(tick=tick)
        finally:
            tasks.close()
    for crash in tasks.crashes:  # a handler that itself failed: nobody knows where, so no account is known
        for account in estate.accounts or ["unattributed"]:
            for service in estate.services:
                estate.gaps.append(crash_gap(crash, None, account, service, ""))
        if not estate.accounts:
            estate.accounts.append("unattributed")
    resolve_destination_regions(estate.cos.buckets)
    tidy(estate)
    return estate


@dataclass
class AccountProgress:
    """Whose collection a task is running: the keys' label until the account is identified, then the account."""

    account: str


def unidentified_label(secrets: Secrets) -> str:
    """The name an account goes by when its keys cannot say whose it is: enough to recognise them, no more."""
    return f"unidentified:{mask_key_id(secrets.secret_id)}"


def crash_gap(exc: BaseException, secrets: Secrets | None, account: str, service: str, region: str) -> Gap:
    # An exception may quote what it was given: scrubbed, so keys never reach a report.
    return Gap(account=account, service=service, region=region, operation="collect", code="CollectorError",
               message=scrub(f"{type(exc).__name__}: {exc}", secrets))


def account_crashed(harvest: Harvest, secrets: Secrets, where: AccountProgress, exc: BaseException) -> None:
    """A crash outside any one service (identifying the account, listing its regions): everything of that
    account is unknown, and the account stays in the estate so its checks say ERROR rather than vanish."""
    with harvest.lock:
        if where.account not in harvest.estate.accounts:
            harvest.estate.accounts.append(where.account)
        harvest.estate.gaps.extend(crash_gap(exc, secrets, where.account, service, "")
                                   for service in harvest.estate.services)


def identify(client: ApiClient, harvest: Harvest) -> str | None:
    """The account id of these keys. When even that fails, the keys' label joins the estate with a gap for every
    service it covers (drills and off-site copies too): nothing can PASS or FAIL for an account nobody can name."""
    try:
        return credentials.account_id(client)  # looked up at call time: a test puts a crash in its place
    except CallError as error:
        with harvest.lock:
            record_unreadable_account(harvest.estate, unidentified_label(client.secrets), error,
                                      f"the account of keys {mask_key_id(client.secrets.secret_id)} could not be "
                                      f"identified: {error.message}")
        return None


def record_unreadable_account(estate: Estate, account: str, error: CallError, message: str) -> None:
    """An account none of whose data could be read joins the estate with a gap for every service it covers."""
    if account not in estate.accounts:
        estate.accounts.append(account)
    estate.gaps.extend(Gap(account=account, service=service, region="", operation=error.action, code=error.code,
                           message=message) for service in estate.services)


def list_regions(client: ApiClient, account: str, harvest: Harvest) -> list[str]:
    """Every available region (region service, Product=cvm); on failure, global gaps for the regional services."""
    try:
        response = client.call("region", "DescribeRegions", {"Product": "cvm"})
    except CallError as error:
        for service in REGIONAL_SERVICES:
            harvest.gap(Gap(account=account, service=service, region="", operation=error.action, code=error.code,
                            message=error.message))
        return []
    found = []
    for entry in response.get("RegionSet") or []:
        state = str(entry.get("RegionState") or "AVAILABLE").upper()
        if entry.get("Region") and state == "AVAILABLE":
            found.append(str(entry["Region"]))
    if not found:  # no region to read would look like an estate with nothing in it
        for service in REGIONAL_SERVICES:
            harvest.gap(Gap(account=account, service=service, region="", operation="DescribeRegions",
                            code="NoRegions", message="DescribeRegions listed no available region"))
    return found


# Lists whose items can be reported by more than one region (global resources seen from every region).
_DEDUPED = (("vpc", "peerings"), ("vpc", "ccns"), ("cloudaudit", "tracks"), ("dasb", "resources"),
            ("dasb", "devices"), ("dasb", "acls"))


def tidy(estate: Estate) -> None:
    """Deterministic order (threads finish in any order) and one entry per resource seen from several regions,
    keeping the one from the earliest region in the audited order."""
    order = {region: n for n, region in enumerate(estate.regions)}
    for domain_name in ("cam", "cvm", "cbs", "vpc", "cos", "offsite", "cdb", "dasb", "cloudaudit"):
        domain = getattr(estate, domain_name)
        for list_name in type(domain).model_fields:
            values = getattr(domain, list_name)
            if not isinstance(values, list) or not values or not hasattr(values[0], "resource_id"):
                continue
            values.sort(key=lambda r: (r.account, order.get(r.region, -1), r.region, r.resource_id))
            if (domain_name, list_name) in _DEDUPED:
                seen: set[tuple[str, str]] = set()
                kept = []
                for item in values:
                    key = (item.account, item.resource_id)
                    if key not in seen:
                        seen.add(key)
                        kept.append(item)
                setattr(domain, list_name, kept)
    estate.gaps.sort(key=lambda g: (g.account, g.service, g.region, g.operation))


@contextmanager
def _progress(config: CollectConfig, stats: CallStats, tasks: TaskGroup) -> Iterator[Callable[[], None] | None]:
    """A one-line live status on stderr (rich) while collecting, when asked for; nothing otherwise."""
    if not config.progress:
        yield None
        return
    from rich.console import Console

    with Console(stderr=True).status("collecting…") as status:
        def tick() -> None:
            services: Counter[str] = Counter()
            for key, count in dict(stats.sent).items():  # a copy: workers keep counting meanwhile
                services[key.split(":")[0]] += count
            busiest = ", ".join(f"{name} {count}" for name, count in services.most_common(4))
            status.update(f"collecting: {sum(services.values())} reads ({busiest}); {tasks.pending} pending")

        yield tick
