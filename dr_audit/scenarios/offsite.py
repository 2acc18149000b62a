"""Scenario part: offsite (to be filled by its check family)."""

from __future__ import annotations

from ..estate import Estate
from .world import World


def build(world: World, estate: Estate) -> None:
    return None
