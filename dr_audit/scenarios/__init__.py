"""Bundled scenarios: `weimob-2020` (most promises broken, some kept) and `hardened` (every promise kept).

Each domain module adds its part of the estate from the shared World, so one topology serves every check family,
the demo, the tests and (as API-shaped state) the emulated cloud.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from ..errors import BadInput
from ..estate import Estate
from . import audit, bastion, cam, compute, database, drills, network, offsite, storage
from .world import ACCOUNT, REGIONS, World, make_world

SCENARIOS = ("weimob-2020", "hardened")

BUILDERS: tuple[Callable[[World, Estate], None], ...] = (
    cam.build, network.build, compute.build, storage.build, offsite.build, database.build, bastion.build,
    audit.build, drills.build,
)


def build(name: str, now: datetime | None = None) -> Estate:
    if name not in SCENARIOS:
        raise BadInput(f"unknown scenario {name!r} (choose from {', '.join(SCENARIOS)})")
    now = (now or datetime.now(UTC)).replace(microsecond=0)
    world = make_world(now, hardened=name == "hardened")
    estate = Estate(source="demo", collected_at=now, accounts=[ACCOUNT], regions=list(REGIONS))
    for builder in BUILDERS:
        builder(world, estate)
    return estate
