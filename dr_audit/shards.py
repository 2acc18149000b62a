"""`--shard I/N` and `--run-group ID`: which share of an organization's members (or of a --role-arn list) one
process audits, so N processes on an existing scheduler (a CI matrix, a Kubernetes Indexed Job) cover it once.

Shards are numbered 1..N. The accounts are sorted by account id and dealt out in turn: shard I takes the accounts
at positions I-1, I-1+N, I-1+2N, ... of that order. Every shard lists the same members, so the shares are disjoint,
cover every member and differ in size by at most one account.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from .errors import BadInput

MAX_SHARDS = 1000
SHARD_TEXT = re.compile(r"^\s*(\d{1,6})\s*/\s*(\d{1,6})\s*$")
# A group id travels through CI variables, job names and SQL: plain characters only, short enough for a column.
RUN_GROUP = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:@+-]{0,99}$")
# How the reason of an account left to another shard begins: reports written before account statuses carried the
# shard's index are merged by it.
OTHER_SHARD = "audited by shard "
T = TypeVar("T")


@dataclass(frozen=True)
class Shard:
    """Shard `index` of `count`, 1-based (`--shard 1/4` is the first of four)."""

    index: int
    count: int

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


@dataclass(frozen=True)
class Elsewhere:
    """Why an account is left out of this run: shard `index` of the group audits it (`mine` is this run's shard)."""

    index: int
    mine: Shard

    @property
    def reason(self) -> str:
        return f"{OTHER_SHARD}{self.index}/{self.mine.count} (this run is --shard {self.mine})"


def parse_shard(text: str) -> Shard:
    """`I/N` with 1 <= I <= N <= MAX_SHARDS; anything else is bad input."""
    found = SHARD_TEXT.match(text)
    if found is None:
        raise BadInput(f"--shard {text!r} is not I/N (shard I of N, counted from 1, e.g. 1/4)")
    index, count = int(found[1]), int(found[2])
    if not 1 <= count <= MAX_SHARDS:
        raise BadInput(f"--shard {text!r}: the shard count must be 1 to {MAX_SHARDS}")
    if not 1 <= index <= count:
        raise BadInput(f"--shard {text!r}: shards are counted from 1 to {count}")
    return Shard(index, count)


def check_run_group(value: str) -> str:
    if not RUN_GROUP.match(value):
        raise BadInput(f"--run-group {value!r}: use 1-100 letters, digits and ._:@+- (starting with a letter or digit)")
    return value


def check_sharding(shard: Shard | None, run_group: str | None, *, shares_accounts: bool) -> None:
    """A shard needs accounts to share (`shares_accounts`: an organization or a list of roles) and a group to report
    with; checked before anything is read."""
    if shard is None and run_group is None:
        return
    if shard is not None and run_group is None:
        raise BadInput("--shard needs --run-group ID: the shards of one audit share it, and `dr-audit report "
                       "--run-group ID` merges them")
    if not shares_accounts:
        raise BadInput("--shard and --run-group share out accounts: add --organization or --role-arn")


def deal(items: Sequence[T], key: Callable[[T], str], shard: Shard | None) -> tuple[list[T], list[tuple[T, int]]]:
    """`shard`'s share of `items`, in their given order, and the others with the shard that takes each.

    Items with equal keys (one account named twice) go to the same shard.
    """
    if shard is None:
        return list(items), []
    keys = sorted({key(item) for item in items})
    owner = {k: position % shard.count + 1 for position, k in enumerate(keys)}
    mine = [item for item in items if owner[key(item)] == shard.index]
    others = [(item, owner[key(item)]) for item in items if owner[key(item)] != shard.index]
    return mine, others


def take(items: Sequence[T], key: Callable[[T], str],
         shard: Shard | None) -> tuple[list[T], list[tuple[T, Elsewhere]]]:
    """`deal`, with the shard that audits each other account; a shard with no account is bad input (its run would
    record an audit of nothing)."""
    mine, others = deal(items, key, shard)
    if shard is None:
        return mine, []
    if not mine:
        raise BadInput(f"--shard {shard}: no account falls to this shard ({len(items)} account(s) for {shard.count} "
                       "shards); use fewer shards")
    return mine, [(item, Elsewhere(index, shard)) for item, index in others]
