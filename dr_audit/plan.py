"""`dr-audit plan`: judge a Terraform change before it is applied.

The plan gives two Estates, the world after the change (planned values) and before it (prior state); both are
evaluated with the same pack and each finding after the change is classified against its twin before it:
weakened, improved, unchanged or new. A directory of .tf files gives only the "after" Estate.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .engine import Evaluation, evaluate
from .errors import BadInput
from .estate import Estate
from .findings import Finding, Status
from .registry import Registry

if TYPE_CHECKING:
    from .collect.planinput import PlanInput
    from .packfile import PackDocument

WEAKENED, IMPROVED, UNCHANGED, NEW = "weakened", "improved", "unchanged", "new"
_INSTANCE_DISK = re.compile(r"\.(system_disk|data_disks\[\d+\])$")


@dataclass
class PlanEstates:
    after: Estate
    before: Estate | None  # None for .tf directories: there is no prior state to compare with
    prior_addresses: set[str]
    file: str


def build_estates(read: PlanInput) -> PlanEstates:
    """Both Estates of a plan JSON file, or the one Estate of a directory of .tf files."""
    after = _estate_of(read.after, read.file)
    if read.before is None:
        return PlanEstates(after, None, set(), read.file)
    before = _estate_of(read.before, read.file)
    # The same checks must apply on both sides, or a service new to the plan would hide what it weakens.
    before.services = list(after.services)
    before.regions = sorted(set(before.regions) | set(after.regions))
    return PlanEstates(after, before, {r.address for r in read.before}, read.file)


def _estate_of(resources: list[Any], file: str) -> Estate:
    """The Estate of the resources; attribute values of types Terraform never writes (`rule = true` where a block
    belongs) are bad input naming the resource and attribute (`collect/planshape.py`), not a crash in the mapping.

    The shapes are a second list of what the mapping reads: a value the list does not know yet that still trips the
    mapping is bad input naming the file, never an internal error."""
    from .collect.planshape import check_values
    from .collect.terraform import build_estate

    check_values(resources, file)
    try:
        return build_estate(resources)
    except (TypeError, AttributeError, KeyError, IndexError, ValueError) as exc:
        problem = str(exc).splitlines()[0][:200] if str(exc) else ""
        raise BadInput(f"{file}: a resource attribute holds a value of a type Terraform does not write "
                       f"({type(exc).__name__}: {problem})") from None


def evaluate_plan(estates: PlanEstates, pack: Any, registry: Registry, only: list[str] | tuple[str, ...] = ()
                  ) -> Evaluation:
    """Evaluate the planned Estate and, when there is a prior state, mark each finding's change."""
    after = evaluate(estates.after, pack, registry, only=only)
    if estates.before is not None:
        before = evaluate(estates.before, pack, registry, only=only)
        classify(after.findings, before.findings, estates.prior_addresses)
    return after


def classify(after: list[Finding], before: list[Finding], prior_addresses: set[str]) -> None:
    """Set `change` on every finding after the change, comparing with the same finding (same id) before it."""
    earlier = {f.id: f for f in before}
    for finding in after:
        finding.change = change_of(finding, earlier.get(finding.id), prior_addresses)


def _existed(address: str, prior_addresses: set[str]) -> bool:
    # Instance disks are named under their instance's address (`….system_disk`); they existed if it did.
    return address in prior_addresses or _INSTANCE_DISK.sub("", address) in prior_addresses


def change_of(finding: Finding, before: Finding | None, prior_addresses: set[str]) -> str:
    resource_id = finding.resource.id
    is_address = finding.resource.type not in ("account", "service") and "." in resource_id
    if is_address and not _existed(resource_id, prior_addresses):
        return NEW
    if finding.status is Status.FAIL:
        if before is None or before.status is Status.PASS:
            return WEAKENED
        if before.status is Status.FAIL and finding.severity.rank > before.severity.rank:
            return WEAKENED
        return UNCHANGED
    if finding.status is Status.PASS and before is not None and before.status is Status.FAIL:
        return IMPROVED
    if before is None and not is_address:
        return NEW
    return UNCHANGED


def report_extras(estates: PlanEstates) -> dict[str, Any]:
    """What the report says about the plan itself (kept apart from the contract's fields)."""
    return {"input": estates.file, "compared_with_prior_state": estates.before is not None}


def locations(estate: Estate) -> dict[str, dict[str, Any]]:
    """Terraform address -> where it is declared ({"file", "line"}), for every resource the Estate holds."""
    found: dict[str, dict[str, Any]] = {}
    for service in estate.services:
        state = getattr(estate, service, None)
        if state is None:
            continue
        for name in type(state).model_fields:
            for item in getattr(state, name) or []:
                origin = getattr(item, "origin", None)
                if origin is not None:
                    found[origin.address] = {k: v for k, v in (("file", origin.file), ("line", origin.line)) if v}
    return found


def execute_plan(path: Path, options: Any, registry: Registry | None = None,
                 read: Callable[[], PlanInput] | None = None,
                 read_pack: Callable[[], PackDocument] | None = None) -> Any:
    """`dr-audit plan PATH` as a function: evaluate, classify, then waivers, baseline and outputs as for run.

    `read` and `read_pack` give the input and the pack's file (the CLI passes child processes' results when a core
    is free for them, see `collect/planinput.py` and `collect/background.py`); by default both are read here, the
    input after the pack and checks, so bad flags fail before a large input is parsed.
    """
    from .collect.planinput import read_input
    from .gcpause import collector_paused
    from .report import RunInfo, build_report
    from .runner import finish, prepare

    started = datetime.now(UTC)
    registry, pack = prepare(options, registry, read_pack)
    # Taking the input, mapping it and judging it allocate hundreds of thousands of objects and free almost none:
    # the cycle collector would rescan them over and over (a third of the CPU of those steps on 20,000 resources).
    with collector_paused(freeze=True):
        estates = build_estates(read() if read is not None else read_input(path))
        evaluation = evaluate_plan(estates, pack, registry, options.only)
        where = locations(estates.after)
        for finding in evaluation.findings:
            if finding.resource.id in where:
                finding.location = where[finding.resource.id]
        run = RunInfo(source="plan", pack=pack.name, pack_sha256=pack.sha256, started_at=started,
                      accounts=estates.after.accounts, regions=estates.after.regions,
                      estate_sha256=estates.after.sha256(), finished_at=datetime.now(UTC))
        report = build_report(run, evaluation, registry)
    report["plan"] = report_extras(estates)
    return finish(report, pack, options)
