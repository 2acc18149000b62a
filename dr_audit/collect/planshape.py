"""The parts of `terraform show -json` that the plan reader (`tfinput.py`) walks, and the attribute values the Estate
mapping reads, with their types: a plan whose parts are of another type is bad input naming the first such part (the
resource address and attribute, for values), never a crash inside the reader or the mapping."""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

from ..errors import BadInput
from ..inputs import check_shape
from .tfinput import TfResource


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


# The attribute values the Estate mapping (`terraform.py`) reads as they are, by resource type: `str` is text or
# null, `list` a list or null; `[{...}]` a list of nested blocks, each an object or null (unknown as a whole), with
# the keys it reads; `{...}` alone the one block `TfResource.block` takes, an object or such a list. Everything else
# the mapping converts itself (str(), bool(), `_int`, `_strs`, `_tags`), so any value does.
_RULE_ENTRY = {"cidr_block": str, "ipv6_cidr_block": str, "source_security_id": str, "address_template_id": str,
               "address_template_group": str, "service_template_id": str, "service_template_group": str}
_TRANSITION = {"date": str}
VALUE_SHAPES: dict[str, dict[str, Any]] = {
    "tencentcloud_instance": {"subnet_id": str, "data_disks": [{}]},
    "tencentcloud_cbs_snapshot_policy": {"repeat_weekdays": list, "repeat_hours": list},
    "tencentcloud_security_group_rule_set": {"ingress": [_RULE_ENTRY], "egress": [_RULE_ENTRY]},
    "tencentcloud_security_group_lite_rule": {"ingress": list, "egress": list},
    "tencentcloud_security_group_rule": {"cidr_ip": str, "address_template": {"template_id": str, "group_id": str}},
    "tencentcloud_cos_bucket": {
        "lifecycle_rules": [{"expiration": [_TRANSITION], "non_current_expiration": [{}], "transition": [_TRANSITION],
                             "non_current_transition": [{}]}],
        "object_lock_configuration": {"rule": [{}]},
        "replica_rules": [{"destination_storage_class": str, "delete_marker_replication": [{}]}],
    },
    "tencentcloud_mysql_dr_instance": {"master_region": str},
    "tencentcloud_mysql_backup_policy": {"backup_model": str},
    "tencentcloud_audit_track": {"storage": {"storage_type": str, "storage_region": str, "storage_name": str,
                                             "storage_prefix": str}},
    "tencentcloud_dasb_resource": {"subnet_id": str},
    "tencentcloud_dasb_device": {"ip": str},
}


def check_values(resources: Iterable[TfResource], file: str) -> None:
    """Refuse a resource whose attribute holds a value of a type Terraform never writes there (`rule = true` where a
    block belongs), naming the resource and the attribute, before the mapping meets it."""
    for resource in resources:
        shape = VALUE_SHAPES.get(resource.type)
        if shape is not None:
            problem = _value_problem(resource.values, shape, "")
            if problem is not None:
                raise BadInput(f"{file}: {resource.address}: a resource attribute holds a value of a type Terraform "
                               f"does not write: {problem}")


def _value_problem(values: dict[str, Any], shape: dict[str, Any], at: str) -> str | None:
    for key, part in shape.items():
        value = values.get(key)
        if value is None:
            continue
        where = f"{at}.{key}" if at else key
        if isinstance(part, type):
            if not isinstance(value, part):
                return f"{where}: expected {_KINDS[part]}, found {_kind(value)}"
            continue
        if isinstance(part, dict) and isinstance(value, dict):  # the one block, written as an object
            problem = _value_problem(value, part, where)
        elif not isinstance(value, list):
            return f"{where}: expected a list of blocks, found {_kind(value)}"
        else:
            block = part[0] if isinstance(part, list) else part
            problem = next((found for position, item in enumerate(value) if item is not None and (
                found := _value_problem(item, block, f"{where}[{position}]") if isinstance(item, dict)
                else f"{where}[{position}]: expected a block, found {_kind(item)}") is not None), None)
        if problem is not None:
            return problem
    return None


_KINDS: dict[type, str] = {str: "text", list: "a list"}


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    return {dict: "an object", list: "a list", str: "text", int: "a number", float: "a number"}.get(
        type(value), type(value).__name__)
