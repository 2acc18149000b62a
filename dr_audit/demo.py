"""The `--demo` source: the bundled scenario the user asked for."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .estate import Estate
from .scenarios import build

if TYPE_CHECKING:
    from .runner import RunOptions


def demo_estate(options: RunOptions) -> Estate:
    return build(options.scenario)
