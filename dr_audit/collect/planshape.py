"""The parts of `terraform show -json` that the plan reader (`tfinput.py`) walks, and their types: a plan whose
parts are of another type is bad input naming the first such part, never a crash inside the reader."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..inputs import check_shape


def _planned_module() -> dict[str, Any]:
    return {"resources": [{"type": str, "address": str, "values": dict, "index": (int, str)}],
            "child_modules": [_planned_module]}


def _configured_module() -> dict[str, Any]:
    return {"resources": [{"type!": str, "name!": str, "expressions": dict}],
            "module_calls": {"*": {"module": _configured_module}}}


# The parts of `terraform show -json` this reader walks, and their types (see inputs.check_shape).
PLAN_SHAPE = {
    "resource_changes": [{"address": str, "change": {"after_unknown": None}}],
    "planned_values": {"root_module": _planned_module},
    "prior_state": {"values": {"root_module": _planned_module}},
    "configuration": {"root_module": _configured_module,
                      "provider_config": {"*": {"expressions": {"region": {"references": [str]}}}}},
    "variables": {"*": dict},
}


def check_plan_shape(plan: Any, path: Path) -> None:
    check_shape(plan, PLAN_SHAPE, path, "Terraform plan")
