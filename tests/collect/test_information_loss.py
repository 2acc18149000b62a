"""Information loss never helps: an API 3.0 answer that lost its data moves no finding to PASS.

For every action the collectors send (as the client layer counts them in a full collection of the weimob-2020
scenario from the emulated cloud, plus every action a variant's fallback sends that the full run did not), the
emulator answers that action, and only it, in two hollow shapes: without its lists and objects (scalars and
RequestId kept), and with no field at all. Each variant is compared with the full run: no finding may move to PASS
from FAIL or ERROR, no new finding may PASS, and the exit code may not improve.

Speed: one emulated cloud serves every variant; a variant re-collects only the service the action belongs to
(faults are per action, so the other services' reads are unchanged) through the real SDK over HTTP, splices it into
the full estate, and is judged in-process. The two account-level actions (sts, region) re-run the whole collection.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from dr_audit.collect.client import CallStats, RetryPolicy
from dr_audit.collect.config import CollectConfig, pack_offsite_targets
from dr_audit.collect.errors import Secrets
from dr_audit.collect.live import collect
from dr_audit.demo import DEMO_OFFSITE_KEY
from dr_audit.emulator import DEMO_SECRET_ID, DEMO_SECRET_KEY, EmulatedCloud
from dr_audit.engine import evaluate
from dr_audit.estate import Estate
from dr_audit.findings import Status
from dr_audit.options import RunOptions
from dr_audit.packs import load_pack
from dr_audit.registry import load_registry
from dr_audit.runner import exit_code_for
from dr_audit.scenarios import build

from .service_run import COLLECTORS, collect_services

SCENARIO = "weimob-2020"  # breaks most promises: it has FAILs to lose, and PASSes that must stay earned
MODES = ("listless", "emptied")
Key = tuple[str, str, str, str]


class Matrix:
    """One emulated cloud, the full run's estate and verdicts, and the means to collect and judge a variant."""

    def __init__(self, cloud: EmulatedCloud, scenario: Estate) -> None:
        self.cloud = cloud
        self.scenario = scenario
        self.registry = load_registry()
        self.pack = load_pack(None, self.registry)
        self.targets = [t.model_copy(update={"endpoint_url": cloud.offsite_endpoint_url})
                        for t in pack_offsite_targets(RunOptions(demo=True, scenario=SCENARIO))]
        self.sent: set[str] = set()
        self.full = self.collect_all()
        self.full_exit, self.full_statuses = self.judge(self.full)

    def collect_all(self) -> Estate:
        """A whole collection, as `--demo` does it (rate limits off: the emulator here enforces none)."""
        stats = CallStats()
        config = CollectConfig(endpoint_url=self.cloud.endpoint_url, cos_endpoint_url=self.cloud.cos_endpoint_url,
                               offsite_targets=self.targets,
                               offsite_secrets=Secrets(DEMO_OFFSITE_KEY, DEMO_OFFSITE_KEY), rate_limits=False,
                               retry=RetryPolicy(max_attempts=2, base=0.001), source="demo")
        estate = collect([Secrets(DEMO_SECRET_ID, DEMO_SECRET_KEY)], config, stats=stats)
        estate.drills = self.scenario.drills.model_copy(deep=True)
        self.sent |= set(stats.sent)
        return estate

    def collect_service(self, service: str) -> Estate:
        """The full estate with `service` read again from the cloud as it now answers."""
        stats = CallStats()
        fresh = collect_services(self.cloud.endpoint_url, self.full.accounts[0], list(self.full.regions), [service],
                                 stats)
        self.sent |= set(stats.sent)
        variant = self.full.model_copy(deep=True)
        setattr(variant, service, getattr(fresh, service))
        variant.gaps = [g for g in variant.gaps if g.service != service] + fresh.gaps
        return variant

    def variant(self, action: str, mode: str) -> Estate:
        faults = self.cloud.faults
        setattr(faults, f"{mode}_actions", {action})
        try:
            service = action.split(":")[0]
            return self.collect_service(service) if service in COLLECTORS else self.collect_all()
        finally:
            setattr(faults, f"{mode}_actions", set())

    def judge(self, estate: Estate) -> tuple[int, dict[Key, Status]]:
        findings = evaluate(estate, self.pack, self.registry).findings
        statuses: dict[Key, Status] = {}
        for f in findings:
            key = (f.check_id, f.resource.type, f.resource.id, f.resource.account)
            # Several findings under one key: the worst one speaks for it.
            statuses[key] = f.status if key not in statuses or f.status is not Status.PASS else statuses[key]
        return exit_code_for([f.report_dict() for f in findings], RunOptions().fail_on), statuses


@pytest.fixture(scope="module")
def matrix() -> Iterator[Matrix]:
    scenario = build(SCENARIO)
    with EmulatedCloud(scenario) as cloud:
        yield Matrix(cloud, scenario)


# Only a clean 0 is better than the others: a FAIL may become ERROR once its evidence is gone (1 -> 3).
EXIT_RANK = {0: 0, 1: 1, 2: 1, 3: 1}


def test_no_answer_that_lost_its_data_moves_a_finding_to_pass(matrix):
    started = time.perf_counter()
    assert matrix.full_exit == 1 and Status.FAIL in matrix.full_statuses.values()
    assert Status.PASS in matrix.full_statuses.values()
    todo = sorted(matrix.sent)
    done: set[str] = set()
    problems: list[str] = []
    variants = 0
    while todo:  # a variant's fallback may send an action the full run never needed: it gets its variants too
        action = todo.pop(0)
        done.add(action)
        for mode in MODES:
            estate = matrix.variant(action, mode)
            variants += 1
            code, statuses = matrix.judge(estate)
            where = f"{action} {mode}"
            if EXIT_RANK[code] < EXIT_RANK[matrix.full_exit]:
                problems.append(f"{where}: exit {matrix.full_exit} -> {code}")
            problems += [f"{where}: {key} {matrix.full_statuses.get(key, 'absent')} -> PASS"
                         for key, status in statuses.items()
                         if status is Status.PASS and matrix.full_statuses.get(key) is not Status.PASS]
        todo += sorted(matrix.sent - done - set(todo))
    elapsed = time.perf_counter() - started
    print(f"\n{len(done)} actions, {variants} variants collected and judged in {elapsed:.1f} s")
    assert not problems, "\n".join(problems[:40]) + f"\n({len(problems)} in all)"
    # The enumeration reached every service the collectors read, and the fallbacks behind them.
    assert {a.split(":")[0] for a in done} >= {*COLLECTORS, "sts", "region"}
    assert "cam:GetUser" in done  # only sent when DescribeSubAccounts fails


def test_the_action_list_comes_from_the_client_layer_not_a_hand_list(matrix):
    # Every action the emulator received in the full run was counted by the client layer, and vice versa.
    received = {f"{c.service}:{c.action}" for c in matrix.cloud.requests}
    assert received >= matrix.sent and len(matrix.sent) >= 30
