"""Collect chosen services of one account from an API 3.0 endpoint with the real collectors, client and SDK."""

from __future__ import annotations

from dr_audit.collect.client import ApiClient, CallStats, Endpoint, RateLimiter, RetryPolicy
from dr_audit.collect.errors import Secrets
from dr_audit.collect.live import REGIONAL_SERVICES, tidy
from dr_audit.collect.tasks import TaskGroup
from dr_audit.collect.tencent import cam, cbs, cdb, cloudaudit, cvm, dasb, vpc
from dr_audit.collect.tencent.common import AccountRun, Harvest
from dr_audit.emulator import DEMO_SECRET_ID, DEMO_SECRET_KEY
from dr_audit.estate import Estate

COLLECTORS = {"cam": cam.collect, "cbs": cbs.collect, "cdb": cdb.collect, "cloudaudit": cloudaudit.collect,
              "cvm": cvm.collect, "dasb": dasb.collect, "vpc": vpc.collect}


def collect_services(endpoint_url: str, account: str, regions: list[str], services: list[str] | tuple[str, ...],
                     stats: CallStats | None = None) -> Estate:
    """A fresh Estate holding what `services` of `account` answer now (no rate limits, one quick retry)."""
    client = ApiClient(Secrets(DEMO_SECRET_ID, DEMO_SECRET_KEY), account, endpoint=Endpoint(endpoint_url),
                       limiter=RateLimiter(enabled=False), retry=RetryPolicy(max_attempts=2, base=0.001),
                       stats=stats or CallStats())
    estate = Estate(source="demo", accounts=[account], regions=list(regions))
    tasks = TaskGroup(8)
    run = AccountRun(client=client, account=account, regions=list(regions), tasks=tasks, harvest=Harvest(estate))
    try:
        for service in services:
            if service in REGIONAL_SERVICES:
                for region in regions:
                    COLLECTORS[service](run, region)
            else:
                COLLECTORS[service](run)
        tasks.wait()
    finally:
        tasks.close()
    assert not tasks.crashes
    tidy(estate)
    return estate
