"""Collect many accounts, each through a role assumed in it: `--role-arn` and `--organization` take this one path.

Rate limits are per account, so accounts are read side by side: up to `max_parallel` at once, each by the same
`collect()` as a single account (its own task group, its own per-(account, service, action) token buckets), into an
Estate of its own that is merged when it is done. The bound keeps threads, connections and SDK clients in step with
`max_parallel`, not with the size of the organization.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from ..estate import AccountStatus, Estate
from .client import ApiClient, CallStats, Endpoint, RateLimiter
from .config import CollectConfig
from .credentials import RoleUnavailable, assume_role
from .deadline import RunBudget
from .errors import Secrets
from .live import collect, record_unreadable_account, tidy

DEFAULT_MAX_PARALLEL_ACCOUNTS = 32
# Workers per (service, read) lane for all the accounts in flight together: each account gets its share, at least
# two, so a small account's few reads of a kind still overlap.
LANE_WORKERS_IN_FLIGHT = 32
# Threads reading for all the accounts in flight together (each account's lanes keep their own bound within them):
# 2 per account in flight, and never fewer than one account alone keeps busy. More threads buy no speed once the
# collector is CPU-bound, only switching between them: at 40 accounts, 80 threads used 15-20% less CPU than 1024.
READ_WORKERS_PER_ACCOUNT = 2
MIN_READ_WORKERS = 64


@dataclass(frozen=True)
class Target:
    """An account to audit: through `role_arn`, or with the caller's own keys when it is None (the management
    account of an organization). `account` is who the role belongs to; name and unit are the organization's."""

    account: str
    role_arn: str | None
    name: str = ""
    unit: str = ""


@dataclass(frozen=True)
class Excluded:
    """An account left out of this run, and why: by the filters, or to `shard`, the group's shard that audits it."""

    account: str
    reason: str
    name: str = ""
    unit: str = ""
    shard: int | None = None


def collect_targets(base: Secrets, targets: list[Target], config: CollectConfig, *, max_parallel: int,
                    excluded: list[Excluded] | None = None, stats: CallStats | None = None,
                    role_source: str | None = "--role-arn") -> Estate:
    """Every target's Estate, read concurrently and merged; a role that cannot be assumed leaves its account in the
    Estate with a gap for every service (its checks say ERROR) and status "failed". Off-site targets are read once."""
    stats = stats or CallStats()
    budget = config.budget()  # one clock for the whole run, role assumption included
    limiter = RateLimiter(share=config.rate_share, enabled=config.rate_limits)
    assumer = ApiClient(base, endpoint=Endpoint(config.endpoint_url), limiter=limiter, retry=config.retry,
                        timeout=config.timeout, stats=stats, budget=budget)
    in_flight = max(1, min(max_parallel, len(targets)))
    member_config = replace(config, offsite_targets=[], progress=False,
                            workers_per_lane=max(2, min(config.workers_per_lane, LANE_WORKERS_IN_FLIGHT // in_flight)))

    def read(target: Target) -> tuple[Estate, AccountStatus]:
        keys = base
        if target.role_arn is not None:
            try:
                keys = assume_role(assumer, target.role_arn, source=role_source)
            except RoleUnavailable as failed:
                return unreadable(target, failed, config), AccountStatus(
                    account=target.account or failed.account, status="failed", name=target.name, unit=target.unit,
                    reason=f"the role {failed.role_arn} could not be assumed: {failed.error.code}: "
                           f"{failed.error.message}")
        part = collect([keys], member_config, stats=stats, budget=budget, workers=workers)
        found = part.accounts[0] if part.accounts else target.account
        return part, AccountStatus(account=found, status="audited", name=target.name, unit=target.unit)

    # Every account's reads share one pool of threads: an account's lanes borrow threads and give them back, so the
    # threads of an organization are started once, not once per account.
    with ThreadPoolExecutor(in_flight + 1, thread_name_prefix="dr-account") as pool, \
            ThreadPoolExecutor(max(MIN_READ_WORKERS, READ_WORKERS_PER_ACCOUNT * in_flight),
                               thread_name_prefix="dr-read") as workers:
        offsite = pool.submit(_offsite, config, stats, budget) if config.offsite_targets else None
        futures = [pool.submit(read, target) for target in targets]
        with account_progress(config.progress, len(targets)) as finished:
            for future in as_completed(futures):
                finished(future)
        # In the targets' order, so the merged Estate does not depend on which account finished first.
        parts = [future.result() for future in futures]
        offsite_part = offsite.result() if offsite is not None else None
    estate = merge([part for part, _ in parts] + ([offsite_part] if offsite_part is not None else []), config)
    estate.account_status = [status for _, status in parts] + [
        AccountStatus(account=e.account, status="excluded", name=e.name, unit=e.unit, reason=e.reason, shard=e.shard)
        for e in excluded or []]
    return estate


@contextmanager
def account_progress(shown: bool, total: int) -> Iterator[Callable[[Future[tuple[Estate, AccountStatus]]], None]]:
    """A one-line status on stderr (rich) counting accounts done and failed, when asked for; nothing otherwise."""
    if not shown:
        yield lambda _: None
        return
    from rich.console import Console

    counts = {"done": 0, "failed": 0}
    with Console(stderr=True).status(f"collecting accounts: 0 of {total} done") as status:
        def finished(future: Future[tuple[Estate, AccountStatus]]) -> None:
            counts["done"] += 1
            if future.exception() is None and future.result()[1].status == "failed":
                counts["failed"] += 1
            status.update(f"collecting accounts: {counts['done']} of {total} done ({counts['failed']} failed)")

        yield finished


def unreadable(target: Target, failed: RoleUnavailable, config: CollectConfig) -> Estate:
    """The Estate of an account none of whose data could be read: the account, and a gap for every service."""
    part = Estate(source=config.source, collected_at=datetime.now(UTC).replace(microsecond=0))
    record_unreadable_account(part, target.account or failed.account, failed.error,
                              f"the role {failed.role_arn} could not be assumed: {failed.error.message}")
    return part


def _offsite(config: CollectConfig, stats: CallStats, budget: RunBudget) -> Estate:
    """The pack's off-site targets, which belong to no account: read once for the whole run."""
    return collect([], replace(config, progress=False), stats=stats, budget=budget)


def merge(parts: list[Estate], config: CollectConfig) -> Estate:
    """One Estate holding every part's accounts, regions, resources and gaps, in a deterministic order."""
    estate = Estate(source=config.source, collected_at=datetime.now(UTC).replace(microsecond=0))
    for part in parts:
        estate.accounts.extend(a for a in part.accounts if a not in estate.accounts)
        estate.regions.extend(r for r in part.regions if r not in estate.regions)
        for domain_name in ("cam", "cvm", "cbs", "vpc", "cos", "offsite", "cdb", "dasb", "cloudaudit"):
            domain, found = getattr(estate, domain_name), getattr(part, domain_name)
            for list_name in type(domain).model_fields:
                values = getattr(found, list_name)
                if isinstance(values, list):
                    getattr(domain, list_name).extend(values)
        estate.gaps.extend(part.gaps)
    tidy(estate)
    return estate
