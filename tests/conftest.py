"""Shared fixtures: a small Estate builder and a way to run one registered check."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from dr_audit.engine import evaluate
from dr_audit.estate import Estate, Gap
from dr_audit.findings import Finding
from dr_audit.packs import PromisePack, PackCheck
from dr_audit.registry import Registry, load_registry

NOW = datetime(2026, 11, 1, 12, 0, 0, tzinfo=UTC)
ACCOUNT = "100000000001"


@pytest.fixture(scope="session")
def registry() -> Registry:
    return load_registry()


def make_estate(**parts: Any) -> Estate:
    """An Estate at NOW for ACCOUNT; keyword arguments set its domain states (cbs=CbsState(...), gaps=[...])."""
    return Estate(source="snapshot", collected_at=NOW, accounts=[ACCOUNT], regions=["ap-shanghai"], **parts)


def run_check(registry: Registry, check_id: str, estate: Estate, **params: Any) -> list[Finding]:
    """Evaluate one check through the engine (fail-closed rules included), with parameters as a pack would set."""
    pack = PromisePack(name="test", checks={check_id: PackCheck(params=params)})
    return evaluate(estate, pack, registry, only=[check_id]).findings


def by_resource(findings: list[Finding]) -> dict[str, str]:
    return {f.resource.id: f.status.value for f in findings}


def gap(service: str, region: str = "", code: str = "AuthFailure.UnauthorizedOperation") -> Gap:
    return Gap(account=ACCOUNT, service=service, region=region, operation="Describe", code=code, message="denied")
