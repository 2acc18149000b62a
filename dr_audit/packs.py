"""Promise packs: which checks apply, with which parameters, severities and scope, and the promise each enforces."""

from __future__ import annotations

import hashlib
import math
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .findings import Severity
from .packfile import PackDocument, PackError, read_pack
from .registry import CheckParams, CheckSpec, Registry, RegistryError
from .scope import Scope

MAX_WAIVER_DAYS = 3650  # ten years: a longer acceptance is no expiry at all
# Check parameters are counts, days, hours and ratios: past this (274 years in days) a value is a typo, and days
# counted back from today would leave the calendar.
MAX_PARAM_NUMBER = 100_000


class PackCheck(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enabled: bool = True
    severity: Severity | None = None
    promise: str | None = None
    params: dict[str, Any] = Field(default_factory=dict)


class PromisePack(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    title: str = ""
    description: str = ""
    promises: dict[str, str] = Field(default_factory=dict)
    scope: Scope = Field(default_factory=Scope)
    max_waiver_days: int = Field(default=90, ge=1, le=MAX_WAIVER_DAYS)
    checks: dict[str, PackCheck] = Field(default_factory=dict)

    # Filled by load_pack, not part of the file.
    path: Path | None = Field(default=None, exclude=True)
    sha256: str = Field(default="", exclude=True)
    resolved: dict[str, CheckParams] = Field(default_factory=dict, exclude=True)

    def params_for(self, spec: CheckSpec) -> CheckParams:
        params = self.resolved.get(spec.id)
        if params is None:
            entry = self.checks.get(spec.id, PackCheck())
            params = spec.params.model_validate({**entry.params, "scope": self.scope})
            self.resolved[spec.id] = params
        return params


def load_scope(name_or_path: str | None) -> Scope:
    """Only the scope of a pack, for sources that need its off-site targets; a bad pack is bad input as ever."""
    document = read_pack(name_or_path)
    scope = document.data.get("scope") if isinstance(document.data, dict) else None
    try:
        return Scope.model_validate(scope or {})
    except ValidationError as exc:
        raise PackError(f"{document.path}: scope.{_first_error(exc)}") from None


def load_pack(name_or_path: str | None, registry: Registry, document: PackDocument | None = None) -> PromisePack:
    """The pack validated against the registry's checks; `document` is the file already read (see packfile.py)."""
    document = document or read_pack(name_or_path)
    path, raw, data = document.path, document.raw, document.data
    if not isinstance(data, dict):
        raise PackError(f"{path}: a pack must be a YAML mapping with name, scope and checks")
    try:
        pack = PromisePack.model_validate(data)
    except ValidationError as exc:
        raise PackError(f"{path}: {_first_error(exc)}") from None
    pack.path = path
    pack.sha256 = hashlib.sha256(raw).hexdigest()
    for check_id, entry in pack.checks.items():
        try:
            spec = registry.get(check_id)
        except RegistryError as exc:
            raise PackError(f"{path}: checks.{check_id}: {exc}") from None
        try:
            pack.resolved[check_id] = spec.params.model_validate({**entry.params, "scope": pack.scope})
        except ValidationError as exc:
            raise PackError(f"{path}: checks.{check_id}.params.{_first_error(exc)}") from None
        if "scope" in entry.params:
            raise PackError(f"{path}: checks.{check_id}.params.scope: set the scope once, at the top of the pack")
        if where := _implausible_number(pack.resolved[check_id].model_dump(exclude={"scope"})):
            raise PackError(f"{path}: checks.{check_id}.params.{where}: a number that is not finite or beyond "
                            f"{MAX_PARAM_NUMBER}")
    for check_id, entry in pack.checks.items():
        promise = entry.promise or registry.get(check_id).promise
        if pack.promises and promise not in pack.promises:
            raise PackError(f"{path}: checks.{check_id}: promise {promise!r} is not among the pack's promises")
    return pack


def _implausible_number(value: Any, where: str = "") -> str | None:
    """The path of the first non-finite or absurdly large number (strings such as "1e400" become floats)."""
    if isinstance(value, dict):
        items: Any = value.items()
    elif isinstance(value, list | tuple | set | frozenset):
        items = enumerate(value)
    else:
        if isinstance(value, int | float) and not isinstance(value, bool) and (
                not math.isfinite(value) or abs(value) > MAX_PARAM_NUMBER):
            return where or "(value)"
        return None
    for key, item in items:
        if found := _implausible_number(item, f"{where}.{key}" if where else str(key)):
            return found
    return None


def _first_error(exc: ValidationError) -> str:
    first = exc.errors()[0]
    where = ".".join(str(part) for part in first["loc"]) or "(top level)"
    return f"{where}: {first['msg']}"
