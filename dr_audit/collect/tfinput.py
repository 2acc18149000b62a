"""Terraform inputs reduced to `TfResource`s: the resource record itself and the plan JSON reader (the .tf reader is
`hcl.py`, and `planinput.py` picks between them).

Kept apart from the Estate mapping in `terraform.py` so that reading an input needs no model classes: `dr-audit
plan` reads its input in a child process while the parent loads the models and the checks, when a core is free for
it (`collect/planinput.py`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import BadInput
from ..inputs import read_json

_NON_RESOURCE_ROOTS = frozenset({"var", "local", "module", "data", "count", "each", "path", "self", "terraform"})

SERVICE_OF_TYPE = {
    "tencentcloud_cam_": "cam",
    "tencentcloud_instance": "cvm",
    "tencentcloud_cbs_": "cbs",
    "tencentcloud_vpc": "vpc",
    "tencentcloud_security_group": "vpc",
    "tencentcloud_ccn": "vpc",
    "tencentcloud_cos_": "cos",
    "tencentcloud_mysql_": "cdb",
    "tencentcloud_audit_track": "cloudaudit",
    "tencentcloud_dasb_": "dasb",
}


_SERVICES: dict[str, str | None] = {}  # resource type -> service, as `service_of` found it


def service_of(resource_type: str) -> str | None:
    try:
        return _SERVICES[resource_type]
    except KeyError:
        pass
    found = next((service for prefix, service in SERVICE_OF_TYPE.items() if resource_type.startswith(prefix)), None)
    if len(_SERVICES) < 4096:  # provider types are few; a hostile input's many made-up names are not kept
        _SERVICES[resource_type] = found
    return found


@dataclass
class TfResource:
    """One managed resource instance as Terraform describes it, whatever the input format."""

    address: str  # full address, module path and index included: module.db.tencentcloud_mysql_instance.main[0]
    type: str
    name: str
    values: dict[str, Any]
    module: str = ""  # module.a.module.b, "" for the root module
    index: int | str | None = None
    unknown: set[str] = field(default_factory=set)  # top-level attributes holding any value unknown until apply
    # Where inside each of those attributes: `after_unknown`'s shape below it, True at each unknown value (the
    # attribute itself True when wholly unknown). The known rest of a partly unknown attribute stays in `values`.
    unknown_leaves: dict[str, Any] = field(default_factory=dict)
    refs: dict[str, list[str]] = field(default_factory=dict)  # attribute -> referenced resource addresses (no index)
    # For attributes written as nested blocks (`ingress { … }`): each block's own references, by argument, in the
    # order of the blocks, so a value unknown inside one block is still linked to what that block names.
    block_refs: dict[str, list[dict[str, list[str]]]] = field(default_factory=dict)
    region: str = ""
    file: str | None = None
    line: int | None = None

    @property
    def base_address(self) -> str:
        """The configuration address: the module path and type.name, without the instance index."""
        return f"{self.module}.{self.type}.{self.name}" if self.module else f"{self.type}.{self.name}"

    def known(self, attribute: str) -> bool:
        """Whether every value inside the attribute is known (see `unknown_at` for one part of it)."""
        return attribute not in self.unknown

    def unknown_shape(self, attribute: str, *path: str | int) -> Any:
        """`after_unknown`'s shape at `path` inside the attribute (a key or list position each step): True when
        wholly unknown, False when wholly known, else the dicts and lists marking what inside it is unknown."""
        if attribute not in self.unknown:
            return False
        node = self.unknown_leaves.get(attribute, True)
        for step in path:
            if node is True:
                return True
            if isinstance(node, dict):
                node = node.get(step, False)
            elif isinstance(node, list) and isinstance(step, int) and 0 <= step < len(node):
                node = node[step]
            else:
                return False
        return node

    def unknown_at(self, attribute: str, *path: str | int) -> bool:
        """Whether any value at or below `path` inside the attribute is unknown."""
        return any_leaf(self.unknown_shape(attribute, *path), _is_true)

    def wholly_unknown(self, attribute: str) -> bool:
        """Whether the attribute as a whole is unknown, not only some values inside it."""
        return attribute in self.unknown and self.unknown_leaves.get(attribute, True) is True

    def get(self, attribute: str, default: Any = None) -> Any:
        value = self.values.get(attribute)
        return default if value is None else value

    def block(self, attribute: str) -> dict[str, Any]:
        """The first element of a nested block list (`storage { … }`), or {}."""
        value = self.values.get(attribute)
        if isinstance(value, list) and value and isinstance(value[0], dict):
            return value[0]
        return value if isinstance(value, dict) else {}


# --- plan JSON ----------------------------------------------------------------------------------------------------


def load_plan(path: Path) -> dict[str, Any]:
    """Read a `terraform show -json` document; anything else is bad input naming the file."""
    plan = read_json(path, "plan file", "plan", hint="; produce one with `terraform show -json PLANFILE`")
    if not isinstance(plan, dict) or "format_version" not in plan:
        raise BadInput(f"{path}: not a Terraform plan (no format_version); produce one with "
                       "`terraform show -json PLANFILE`")
    if "planned_values" not in plan and "values" in plan:
        raise BadInput(f"{path}: this is Terraform state, not a plan; run `terraform plan -out PLANFILE` and "
                       "`terraform show -json PLANFILE`")
    if not isinstance(plan.get("planned_values", {}), dict):
        raise BadInput(f"{path}: planned_values is not an object")
    return plan


@dataclass
class _ConfigResource:
    refs: dict[str, list[str]]
    provider_key: str
    block_refs: dict[str, list[dict[str, list[str]]]] = field(default_factory=dict)


def _collect_references(expression: Any) -> list[str]:
    """Every `references` entry anywhere inside one attribute's configuration expression."""
    found: list[str] = []
    _gather_references(expression, found)
    return found


def _gather_references(expression: Any, found: list[str]) -> None:
    if isinstance(expression, dict):
        for key, value in expression.items():
            if key == "references" and isinstance(value, list):
                found.extend(str(v) for v in value)
            # A constant is a literal value (a rule list, a tag map), never an expression: nothing in it refers.
            elif key != "constant_value" and isinstance(value, dict | list):
                _gather_references(value, found)
    elif isinstance(expression, list):
        for item in expression:
            if isinstance(item, dict | list):
                _gather_references(item, found)


_INDEXES = re.compile(r"\[[^\]]*\]")  # `[0]`, `["a"]`: instance keys and element indexes in a reference


def resource_reference(reference: str, module: str) -> str | None:
    """`tencentcloud_cbs_storage.data[0].id` seen in `module` -> `module.x.tencentcloud_cbs_storage.data`."""
    parts = _INDEXES.sub("", reference).split(".") if "[" in reference else reference.split(".")
    if len(parts) < 2 or parts[0] in _NON_RESOURCE_ROOTS:
        return None
    base = f"{parts[0]}.{parts[1]}"
    return f"{module}.{base}" if module else base


def _qualified_target(reference: str, module: str) -> str | None:
    """The resource a reference names, module-qualified, with the attribute it reads after `#`:
    `tencentcloud_instance.web[0].system_disk_id` -> `tencentcloud_instance.web#system_disk_id`."""
    parts = _INDEXES.sub("", reference).split(".") if "[" in reference else reference.split(".")
    if len(parts) < 2 or parts[0] in _NON_RESOURCE_ROOTS:
        return None
    base = f"{parts[0]}.{parts[1]}"
    target = f"{module}.{base}" if module else base
    tail = ".".join(parts[2:])
    return f"{target}#{tail}" if tail else target


def _configuration_index(plan: dict[str, Any]) -> dict[str, _ConfigResource]:
    index: dict[str, _ConfigResource] = {}

    def walk(module: dict[str, Any], path: str) -> None:
        for resource in module.get("resources", []) or []:
            if resource.get("mode", "managed") != "managed":
                continue
            base = f"{resource['type']}.{resource['name']}"
            address = f"{path}.{base}" if path else base
            refs: dict[str, list[str]] = {}
            block_refs: dict[str, list[dict[str, list[str]]]] = {}
            for attribute, expression in (resource.get("expressions") or {}).items():
                raw = _collect_references(expression)
                if raw:
                    refs[attribute] = raw
                    if isinstance(expression, list) and all(isinstance(b, dict) for b in expression):
                        block_refs[attribute] = [
                            _qualify({k: found for k, v in block.items() if (found := _collect_references(v))}, path)
                            for block in expression]
            key = str(resource.get("provider_config_key", "tencentcloud"))
            index[address] = _ConfigResource(refs=_qualify(refs, path), provider_key=key, block_refs=block_refs)
        for name, call in (module.get("module_calls") or {}).items():
            walk(call.get("module") or {}, f"{path}.module.{name}" if path else f"module.{name}")

    walk((plan.get("configuration") or {}).get("root_module") or {}, "")
    return index


def _qualify(refs: dict[str, list[str]], module: str) -> dict[str, list[str]]:
    """Keep references to resources, module-qualified, with the attribute they read after `#`."""
    qualified: dict[str, list[str]] = {}
    for attribute, raw in refs.items():
        targets = [target for reference in raw if (target := _qualified_target(reference, module)) is not None]
        if targets:
            qualified[attribute] = list(dict.fromkeys(targets))
    return qualified


def provider_regions(plan: dict[str, Any]) -> dict[str, str]:
    """Provider configuration key (`tencentcloud`, `tencentcloud.bj`, `mod:tencentcloud`) -> region, where known."""
    variables = {name: (v or {}).get("value") for name, v in (plan.get("variables") or {}).items()}
    regions: dict[str, str] = {}
    for key, config in ((plan.get("configuration") or {}).get("provider_config") or {}).items():
        expression = ((config or {}).get("expressions") or {}).get("region") or {}
        if isinstance(expression.get("constant_value"), str):
            regions[key] = expression["constant_value"]
            continue
        for reference in expression.get("references") or []:
            value = variables.get(reference[4:]) if reference.startswith("var.") else None
            if isinstance(value, str):
                regions[key] = value
                break
    return regions


def _region_for(key: str, regions: dict[str, str]) -> str:
    if key in regions:
        return regions[key]
    short = key.split(":")[-1]  # a child module's key names its provider after the colon
    return regions.get(short, regions.get("tencentcloud", ""))


def any_leaf(value: Any, test: Callable[[Any], bool]) -> bool:
    """Whether `test` holds for any value inside nested dicts and lists (or for `value` itself, when neither)."""
    if isinstance(value, dict):
        return any(any_leaf(v, test) for v in value.values())
    if isinstance(value, list):
        return any(any_leaf(v, test) for v in value)
    return test(value)


def _is_true(value: Any) -> bool:
    return value is True


def _unknown_leaves(after_unknown: Any) -> dict[str, Any]:
    """The attributes of `after_unknown` holding some unknown value, with where inside them (see TfResource)."""
    if not isinstance(after_unknown, dict):
        return {}
    return {key: value for key, value in after_unknown.items()
            if value is True or (value and isinstance(value, dict | list) and any_leaf(value, _is_true))}


def _module_resources(module: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield from module.get("resources", []) or []
    for child in module.get("child_modules", []) or []:
        yield from _module_resources(child)


def _module_of(address: str, resource_type: str) -> str:
    marker = f".{resource_type}."
    position = address.rfind(marker)
    return address[:position] if position > 0 else ""


@dataclass
class PlanIndex:
    """What both sides of a plan read: configuration references, provider regions and each resource's change."""

    config: dict[str, _ConfigResource]
    regions: dict[str, str]
    changes: dict[Any, dict[str, Any]]


def plan_index(plan: dict[str, Any]) -> PlanIndex:
    return PlanIndex(config=_configuration_index(plan), regions=provider_regions(plan),
                     changes={c.get("address"): c.get("change") or {} for c in plan.get("resource_changes") or []})


def plan_resources(plan: dict[str, Any], *, prior: bool = False, file: str | None = None,
                   index: PlanIndex | None = None) -> list[TfResource]:
    """The managed tencentcloud resources of the plan's planned values, or of its prior state when `prior`.

    Pass the plan's `index` when reading both sides, so the configuration is walked once.
    """
    index = index or plan_index(plan)
    config, regions, changes = index.config, index.regions, index.changes
    if prior:
        root = ((plan.get("prior_state") or {}).get("values") or {}).get("root_module") or {}
    else:
        root = (plan.get("planned_values") or {}).get("root_module") or {}
    resources = []
    for raw in _module_resources(root):
        resource_type = str(raw.get("type", ""))
        if raw.get("mode", "managed") != "managed" or service_of(resource_type) is None:
            continue
        address = str(raw.get("address"))
        module = _module_of(address, resource_type)
        base = f"{module}.{resource_type}.{raw.get('name')}" if module else f"{resource_type}.{raw.get('name')}"
        configured = config.get(base)
        leaves = {} if prior else _unknown_leaves(changes.get(address, {}).get("after_unknown"))
        resources.append(TfResource(
            address=address, type=resource_type, name=str(raw.get("name")), module=module, index=raw.get("index"),
            values=dict(raw.get("values") or {}), unknown=set(leaves), unknown_leaves=leaves,
            refs=configured.refs if configured else {}, block_refs=configured.block_refs if configured else {},
            region=_region_for(configured.provider_key if configured else "tencentcloud", regions), file=file,
        ))
    return resources
