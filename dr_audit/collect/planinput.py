"""A Terraform input for `dr-audit plan` read into `TfResource`s: a plan JSON file (`tfinput.py`) or a directory of
.tf files (`hcl.py`), in child processes while the parent loads models and checks when a core is free for them
(`background.py`), else here."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import ExitStack
from dataclasses import dataclass, fields
from functools import partial
from operator import attrgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..cores import spare_core
from ..errors import BadInput
from ..gcpause import collector_paused
from .background import Background
from .planshape import check_plan_shape
from .tfinput import TfResource, load_plan, plan_index, plan_resources

if TYPE_CHECKING:  # the .tf reader is imported where a directory is read: in the reading child, as a rule
    from .hcl import ParsedFile


@dataclass
class PlanInput:
    """A Terraform input read: the resources after the change and, for a plan, before it."""

    after: list[TfResource]
    before: list[TfResource] | None  # None for .tf directories: there is no prior state to compare with
    file: str

    def __reduce__(self) -> tuple[Callable[..., PlanInput], tuple[object, ...]]:
        # Sent from the reading child as tuples of field values: a quarter less to pickle and unpickle than
        # objects, each with its attribute dict (both sides are on the way to the first finding).
        return _unpacked, (_packed(self.after), None if self.before is None else _packed(self.before), self.file)


_FIELDS = attrgetter(*(f.name for f in fields(TfResource)))


def _packed(resources: list[TfResource]) -> list[tuple[Any, ...]]:
    return [_FIELDS(resource) for resource in resources]


def _unpacked(after: list[tuple[Any, ...]], before: list[tuple[Any, ...]] | None, file: str) -> PlanInput:
    return PlanInput([TfResource(*values) for values in after],
                     None if before is None else [TfResource(*values) for values in before], file)


def read_input(path: Path, parsed: Mapping[str, ParsedFile] | None = None) -> PlanInput:
    """Read a plan JSON file or a directory of .tf files; anything unreadable is BadInput naming it.

    `parsed` holds .tf files already parsed (see `split_tf_files`).
    """
    # Reading builds a tree of objects and frees almost none of it: the cycle collector would only rescan it.
    with collector_paused():
        return _read_input(path, parsed)


def _read_input(path: Path, parsed: Mapping[str, ParsedFile] | None) -> PlanInput:
    if path.is_dir():
        from .hcl import directory_resources

        return PlanInput(directory_resources(path, parsed), None, str(path))
    if not path.exists():
        raise BadInput(f"{path}: no such plan file or directory")
    plan = load_plan(path)
    check_plan_shape(plan, path)
    index = plan_index(plan)
    after = plan_resources(plan, file=str(path), index=index)
    before = plan_resources(plan, prior=True, file=str(path), index=index) if plan.get("prior_state") else []
    return PlanInput(after, before, str(path))


# Above this much .tf text, parsing outweighs the rest of reading and the parent's own preparation, and is split
# between two child processes, the parent evaluating the result; below it one child reads everything
# (BENCHMARKS.md: 1,000 resources are ~160 KB, 5,000 ~790 KB).
SPLIT_PARSING_BYTES = 384 * 1024


def split_tf_files(path: Path) -> tuple[list[Path], list[Path]] | None:
    """The directory's own .tf files in two halves of about equal size when worth parsing apart, else None."""
    if not path.is_dir():
        return None
    sized = sorted(((p.stat().st_size, p) for p in path.glob("*.tf") if p.is_file()), reverse=True)
    if len(sized) < 2 or sum(size for size, _ in sized) < SPLIT_PARSING_BYTES:
        return None
    halves: tuple[list[Path], list[Path]] = ([], [])
    totals = [0, 0]
    for size, file in sized:  # largest first, each to the lighter half
        lighter = 0 if totals[0] <= totals[1] else 1
        halves[lighter].append(file)
        totals[lighter] += size
    return halves


def start_reading(path: Path, stack: ExitStack) -> Callable[[], PlanInput]:
    """Start reading `path` in child processes (`background.py`), stopped with `stack`; call the result for it.

    A large .tf directory is parsed in two halves at once and evaluated by the caller; anything else is read whole
    by one child. With no core to spare the input is read here, when the result is called.
    """
    if not spare_core():
        return partial(read_input, path)
    halves = split_tf_files(path)
    if halves is None:
        return stack.enter_context(Background(partial(read_input, path))).result
    from .hcl import parse_files

    first, second = (stack.enter_context(Background(partial(parse_files, half))) for half in halves)
    return lambda: read_input(path, {**first.result(), **second.result()})
