"""The parts of `terraform show -json` that the plan reader (`tfinput.py`) walks, and their types: a plan whose
parts are of another type is bad input naming the first such part, never a crash inside the reader."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from ..inputs import check_shape


@cache
def _planned_module() -> dict[str, Any]:
    return {"resources": [{"type": str, "address": str, "values": dict, "index": (int, str)}],
            "child_modules": [_planned_module]}


@cache
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
    # Plans are nearly always well formed: tell that cheaply, and walk again naming the bad part only when not.
    try:
        fits = _fits(plan, PLAN_SHAPE)
    except RecursionError:
        fits = False
    if not fits:
        check_shape(plan, PLAN_SHAPE, path, "Terraform plan")


def _fits(value: Any, shape: Any) -> bool:
    """Whether `check_shape` would accept the value, told without building the name of every part it passes."""
    if callable(shape) and not isinstance(shape, type):
        shape = shape()
    if shape is None:
        return True
    if isinstance(shape, dict):
        if not isinstance(value, dict):
            return False
        if "*" in shape:
            part = shape["*"]
            return all(_fits(item, part) for item in value.values())
        for name, required, part, scalar in _entries(shape):
            item = value.get(name)
            if item is None:
                if required:
                    return False
            elif scalar:
                if not _is_scalar(item, part):
                    return False
            elif not _fits(item, part):
                return False
        return True
    if isinstance(shape, list):
        if not isinstance(value, list):
            return False
        part = shape[0]
        if isinstance(part, type | tuple):
            return all(_is_scalar(item, part) for item in value)
        if callable(part):
            part = part()
        return all(_fits(item, part) for item in value)
    return _is_scalar(value, shape)


_ENTRIES: dict[int, list[tuple[str, bool, Any, bool]]] = {}


def _entries(shape: dict[str, Any]) -> list[tuple[str, bool, Any, bool]]:
    """An object shape's keys as (name, required, shape, whether a type): worked out once per shape, not per part."""
    found = _ENTRIES.get(id(shape))
    if found is None:
        found = _ENTRIES[id(shape)] = [(key.rstrip("!"), key.endswith("!"), part, isinstance(part, type | tuple))
                                       for key, part in shape.items()]
    return found


def _is_scalar(value: Any, expected: type | tuple[type, ...]) -> bool:
    # As in check_shape: a boolean is not a number, though Python's bool is an int.
    return isinstance(value, expected) and not (isinstance(value, bool) and expected in (int, float, (int, str)))
