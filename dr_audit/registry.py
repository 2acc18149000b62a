"""The check registry: the `@check` decorator and the three ways checks are found.

Built-in checks (the checks/ folder), a user's `--checks-dir` and installed `dr_audit.checks` entry points all load
the same way: importing a module runs its `@check` decorators, which register here.
"""

from __future__ import annotations

import hashlib
import importlib.util
import inspect
import string
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any, get_type_hints

from pydantic import BaseModel, ConfigDict, Field

from .errors import BadInput
from .findings import Result, Severity, promise_numbers
from .resources import bundled_dir
from .scope import Scope

ALL_SOURCES = frozenset({"live", "snapshot", "plan", "demo"})
EVIDENCE_SOURCES = frozenset({"live", "snapshot", "demo"})  # evidence (freshness, drills) does not exist in a plan
ENTRY_POINT_GROUP = "dr_audit.checks"


class RegistryError(BadInput):
    """A check that cannot be registered or found; the message is one line for the user."""


class CheckParams(BaseModel):
    """Base of every check's parameters. The engine fills `scope` from the promise pack."""

    model_config = ConfigDict(extra="forbid")

    scope: Scope = Field(default_factory=Scope)


CheckFunction = Callable[[Any, Any], Iterable[Result]]


@dataclass(frozen=True)
class CheckSpec:
    id: str
    title: str
    promise: str
    severity: Severity
    remediation: str
    requires: tuple[str, ...]
    params: type[CheckParams]
    sources: frozenset[str]
    function: CheckFunction
    risk: str = ""
    module: str = ""
    order: int = field(default=0, compare=False)

    def run(self, estate: Any, params: CheckParams) -> Iterator[Result]:
        return iter(self.function(estate, params))  # not `yield from`: a generator frame per result adds up

    def remediation_for(self, params: CheckParams) -> str:
        """The remediation text with the check's parameters filled in ({min_retention_days} and the like)."""
        values = params.model_dump(exclude={"scope"})
        return string.Formatter().vformat(self.remediation, (), _Defaulting(values))

    def parameter_defaults(self) -> dict[str, Any]:
        return self.params().model_dump(mode="json", exclude={"scope"})


class _Defaulting(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


class Registry:
    def __init__(self) -> None:
        self._checks: dict[str, CheckSpec] = {}

    def add(self, spec: CheckSpec) -> None:
        existing = self._checks.get(spec.id)
        if existing is not None and existing.module != spec.module:
            raise RegistryError(f"check id {spec.id!r} is defined twice: in {existing.module} and in {spec.module}")
        self._checks[spec.id] = spec

    def get(self, check_id: str) -> CheckSpec:
        try:
            return self._checks[check_id]
        except KeyError:
            raise RegistryError(f"unknown check id {check_id!r} (see `dr-audit checks list`)") from None

    def __contains__(self, check_id: object) -> bool:
        return check_id in self._checks

    def __iter__(self) -> Iterator[CheckSpec]:
        return iter(sorted(self._checks.values(), key=lambda s: (promise_numbers(s.promise), s.order, s.id)))

    def __len__(self) -> int:
        return len(self._checks)

    def ids(self) -> list[str]:
        return [spec.id for spec in self]


# Specs by the module that defined them. Importing a module runs its decorators once; every load_registry() call
# builds a fresh Registry from the modules it was asked to load, so one run's plug-ins never leak into another.
_DEFINED: dict[str, list[CheckSpec]] = {}
_counter = 0


def check(
    *,
    id: str,
    title: str,
    promise: str,
    severity: str,
    remediation: str,
    requires: Iterable[str],
    sources: Iterable[str] = ALL_SOURCES,
    risk: str = "",
) -> Callable[[CheckFunction], CheckFunction]:
    """Declare a check. The parameter model is taken from the type of the function's second argument."""

    def register(function: CheckFunction) -> CheckFunction:
        global _counter
        _counter += 1
        hints = get_type_hints(function)
        names = list(inspect.signature(function).parameters)
        params_type = hints.get(names[1]) if len(names) > 1 else None
        if not (isinstance(params_type, type) and issubclass(params_type, CheckParams)):
            raise RegistryError(f"check {id!r}: its second argument must be typed with a CheckParams subclass")
        spec = CheckSpec(
            id=id,
            title=title,
            promise=promise,
            severity=Severity(severity),
            remediation=remediation,
            requires=tuple(requires),
            params=params_type,
            sources=frozenset(sources),
            function=function,
            risk=risk,
            module=function.__module__,
            order=_counter,
        )
        _DEFINED.setdefault(spec.module, []).append(spec)
        return function

    return register


def load_directory(directory: Path, namespace: str) -> list[str]:
    """Import every `*.py` file of `directory` (not starting with `_`); return the module names holding its checks."""
    if not directory.is_dir():
        raise RegistryError(f"{directory}: checks directory not found")
    modules = []
    for path in sorted(directory.glob("*.py")):
        if path.name.startswith("_"):
            continue
        if not path.is_file():  # importing a FIFO would block forever
            raise RegistryError(f"{path}: is not a regular file, so not a check module")
        module_name = f"{namespace}.{path.stem}"
        modules.append(module_name)
        if module_name in sys.modules:
            continue
        spec = importlib.util.spec_from_file_location(module_name, path)
        if spec is None or spec.loader is None:
            raise RegistryError(f"{path}: cannot be loaded as a Python module")
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module
        try:
            spec.loader.exec_module(module)
        except RegistryError:
            del sys.modules[module_name]
            raise
        except Exception as exc:  # a broken plug-in is bad input, reported in one line
            del sys.modules[module_name]
            raise RegistryError(f"{path}: failed to load: {type(exc).__name__}: {exc}") from None
    return modules


def load_entry_points() -> list[str]:
    """Import every installed `dr_audit.checks` entry point; return the module names holding their checks."""
    modules = []
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        try:
            entry.load()
        except Exception as exc:
            raise RegistryError(f"entry point {entry.name!r} ({entry.value}): {type(exc).__name__}: {exc}") from None
        modules += [name for name in _DEFINED if name == entry.module or name.startswith(entry.module + ".")]
    return modules


def load_registry(checks_dirs: Iterable[Path] = (), *, entry_points_too: bool = True) -> Registry:
    """The built-in checks, then installed plug-ins, then each `--checks-dir`, all through the same path."""
    modules = load_directory(bundled_dir("checks"), "dr_audit_checks")
    if entry_points_too:
        modules += load_entry_points()
    for directory in checks_dirs:
        resolved = Path(directory).resolve()
        namespace = "dr_audit_user_checks_" + hashlib.sha256(str(resolved).encode()).hexdigest()[:12]
        modules += load_directory(resolved, namespace)
    registry = Registry()
    for module in dict.fromkeys(modules):
        for spec in _DEFINED.get(module, []):
            registry.add(spec)
    return registry
