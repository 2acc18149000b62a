"""Shared fixtures: a small Estate builder and a way to run one registered check."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from dr_audit.engine import evaluate
from dr_audit.estate import Estate, Gap
from dr_audit.findings import Finding
from dr_audit.packs import PackCheck, PromisePack
from dr_audit.registry import Registry, load_registry

NOW = datetime(2026, 11, 1, 12, 0, 0, tzinfo=UTC)
ACCOUNT = "100000000001"


@pytest.fixture(scope="session")
def registry() -> Registry:
    return load_registry()


def make_estate(**parts: Any) -> Estate:
    """An Estate at NOW for ACCOUNT; keyword arguments set its domain states (cbs=CbsState(...), gaps=[...])."""
    defaults: dict[str, Any] = {"source": "snapshot", "collected_at": NOW, "accounts": [ACCOUNT],
                                "regions": ["ap-shanghai"]}
    return Estate(**(defaults | parts))


def run_check(registry: Registry, check_id: str, estate: Estate, **params: Any) -> list[Finding]:
    """Evaluate one check through the engine (fail-closed rules included), with parameters as a pack would set."""
    pack = PromisePack(name="test", checks={check_id: PackCheck(params=params)})
    return evaluate(estate, pack, registry, only=[check_id]).findings


def by_resource(findings: list[Finding]) -> dict[str, str]:
    return {f.resource.id: f.status.value for f in findings}


def gap(service: str, region: str = "", code: str = "AuthFailure.UnauthorizedOperation") -> Gap:
    return Gap(account=ACCOUNT, service=service, region=region, operation="Describe", code=code, message="denied")


def demo_pack(check_ids: list[str]) -> PromisePack:
    """A pack with the bundled weimob-2020 scope and the given checks at their default parameters."""
    import yaml

    from dr_audit.resources import bundled_dir
    from dr_audit.scope import Scope

    data = yaml.safe_load((bundled_dir("policies") / "weimob-2020.yaml").read_text())
    return PromisePack(name="demo", scope=Scope.model_validate(data["scope"]),
                       checks={check_id: PackCheck() for check_id in check_ids})


def scenario_findings(registry: Registry, scenario: str, check_ids: list[str]) -> list[Finding]:
    """Evaluate the given checks over a bundled scenario with the demo pack's scope."""
    from dr_audit.scenarios import build

    return evaluate(build(scenario, NOW), demo_pack(check_ids), registry, only=check_ids).findings


@pytest.fixture(autouse=True, scope="session")
def _isolated_history_store(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """Every run records into the history store: keep the suite's runs out of the user's own data directory."""
    patch = pytest.MonkeyPatch()
    patch.setenv("XDG_DATA_HOME", str(tmp_path_factory.mktemp("xdg-data")))
    patch.delenv("DR_AUDIT_HISTORY_URL", raising=False)
    yield
    patch.undo()
