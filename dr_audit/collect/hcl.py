"""A directory of .tf files read without Terraform: the same `TfResource`s a plan gives, values resolved where literal.

Variables (their defaults), locals, `jsonencode` of literal objects, `count` and literal `for_each` are resolved;
anything else (data sources, functions, conditionals, computed attributes) is unknown until apply, as in a plan.
References to other resources are kept so links resolve as they do through a plan's configuration.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import BadInput
from ..inputs import read_text
from . import hcl_reader
from .tfinput import TfResource, any_leaf, resource_reference, service_of


class _Unknown:
    """A value Terraform would know only after apply."""

    def __repr__(self) -> str:
        return "<unknown>"


UNKNOWN_VALUE = _Unknown()
_INTERPOLATION = re.compile(r"\$\{((?:[^{}]|\{[^{}]*\})*)\}")
_REFERENCE = re.compile(r"\b((?:module\.[A-Za-z0-9_-]+\.)*)?([a-z][a-z0-9]*_[a-z0-9_]+)\.([A-Za-z_][A-Za-z0-9_-]*)"
                        r"((?:\[[^\]]*\])?(?:\.[A-Za-z_][A-Za-z0-9_]*(?:\[\d+\])?)*)")
_SIMPLE_PATH = re.compile(r"^([A-Za-z_][A-Za-z0-9_-]*)((?:\.[A-Za-z_][A-Za-z0-9_-]*|\[\d+\]|\[\"[^\"]*\"\])*)$")
_STRING_ESCAPES = {'"': '"', "\\": "\\", "n": "\n", "t": "\t", "r": "\r"}


def _unquote(text: str) -> str:
    body = text[1:-1]
    return re.sub(r"\\(.)", lambda m: _STRING_ESCAPES.get(m.group(1), "\\" + m.group(1)), body)


def _label(key: str) -> str:
    return key[1:-1] if len(key) >= 2 and key[0] == key[-1] == '"' else key


def _is_unknown(value: Any) -> bool:
    return value is UNKNOWN_VALUE


def has_unknown(value: Any) -> bool:
    return any_leaf(value, _is_unknown)


def split_unknown(value: Any) -> tuple[Any, Any]:
    """(the value as a plan's JSON would hold it, its `after_unknown` shape) for a value with unknowns inside.

    As in a plan, an unknown object member is left out, an unknown list element is null, and the shape is True at
    each unknown value, so one unresolved variable in a nested block leaves the rest of the attribute known.
    """
    if value is UNKNOWN_VALUE:
        return None, True
    if isinstance(value, dict):
        known: dict[str, Any] = {}
        shape: dict[str, Any] = {}
        for key, item in value.items():
            item_value, item_shape = split_unknown(item)
            if item_shape is not True:
                known[key] = item_value
            if item_shape:
                shape[key] = item_shape
        return known, shape
    if isinstance(value, list):
        pairs = [split_unknown(item) for item in value]
        return [item for item, _ in pairs], [item_shape or False for _, item_shape in pairs]
    return value, False


@dataclass
class _Declared:
    """One resource block as written, before evaluation."""

    type: str
    name: str
    body: dict[str, Any]
    module: str
    file: str
    line: int | None
    scope: _Scope


@dataclass
class _Scope:
    """What names mean inside one module: its variables, locals, providers and resources."""

    module: str
    variables: dict[str, Any] = field(default_factory=dict)
    raw_locals: dict[str, Any] = field(default_factory=dict)
    locals: dict[str, Any] = field(default_factory=dict)
    providers: dict[str, str] = field(default_factory=dict)  # "tencentcloud" / "tencentcloud.bj" -> region
    resources: dict[str, _Declared] = field(default_factory=dict)  # type.name -> declaration


# A file read: its python-hcl2 serialization and the line of each resource block, by (type, name).
ParsedFile = tuple[dict[str, Any], dict[tuple[str, str], int]]


def parse_files(paths: Iterable[Path]) -> dict[str, ParsedFile]:
    """Each file parsed, by its path as given: what `directory_resources` accepts as already parsed."""
    return {str(path): _parse(path) for path in paths}


def _parse(path: Path) -> ParsedFile:
    """The file's python-hcl2 serialization and each resource block's line: read fast, python-hcl2 where unsure."""
    text = read_text(path, ".tf file")
    try:
        return hcl_reader.read(text)
    except hcl_reader.Unsupported:
        # Constructs the fast reader does not render exactly, and invalid files (whose errors python-hcl2 words).
        return _parse_with_hcl2(path, text)
    except (RecursionError, ValueError):  # ValueError: an integer past Python's 4,300 digits
        return _parse_with_hcl2(path, text)


def _parse_with_hcl2(path: Path, text: str) -> tuple[dict[str, Any], dict[tuple[str, str], int]]:
    import hcl2

    try:
        tree = hcl2.parses_to_tree(text)
        data = hcl2.serialize(hcl2.transform(tree),
                              serialization_options=hcl2.SerializationOptions(preserve_heredocs=False,
                                                                              with_comments=False))
    except Exception as exc:  # lark raises several types; all mean the file is not HCL we can read
        line = getattr(exc, "line", None)
        where = f":{line}" if isinstance(line, int) and line > 0 else ""
        raise BadInput(f"{path}{where}: not valid HCL: {str(exc).splitlines()[0]}") from None
    lines: dict[tuple[str, str], int] = {}
    for block in tree.children[0].children if tree.children else []:
        if getattr(block, "data", None) != "block":
            continue
        labels = [_token_text(child) for child in block.children if getattr(child, "data", None) in
                  ("identifier", "string")]
        if len(labels) >= 3 and labels[0] == "resource":
            lines[(labels[1], labels[2])] = block.meta.line
    return data, lines


def _literal_value(text: str) -> Any:
    """A rendered tuple or object expression read back into values (python-hcl2's shape), or UNKNOWN_VALUE."""
    source = f"__value = {text}\n"
    try:
        return hcl_reader.read(source)[0].get("__value")
    except (hcl_reader.Unsupported, RecursionError):
        pass
    import hcl2

    try:
        return hcl2.loads(source).get("__value")
    except Exception:
        return UNKNOWN_VALUE


def _token_text(node: Any) -> str:
    return "".join(str(token) for token in node.scan_values(lambda _: True)).strip('"')


def _blocks(data: dict[str, Any], kind: str) -> Iterator[dict[str, Any]]:
    for entry in data.get(kind, []) or []:
        if isinstance(entry, dict):
            yield entry


# Keys python-hcl2 adds to a block's dict that are not arguments of it.
_SERIALIZER_KEYS = frozenset({"__is_block__", "__comments__", "__inline_comments__"})


class _Evaluator:
    def __init__(self) -> None:
        self.references: list[str] = []

    def value(self, raw: Any, scope: _Scope, context: dict[str, Any]) -> Any:
        if isinstance(raw, str):
            if raw.startswith("${") and raw.endswith("}"):  # the serializer writes a whole expression so
                return self.expression(raw[2:-1], scope, context)
            if len(raw) >= 2 and raw[0] == raw[-1] == '"':
                return self.template(raw, scope, context)
            return raw
        if isinstance(raw, list):
            return [self.value(item, scope, context) for item in raw]
        if isinstance(raw, dict):
            return {_label(k): self.value(v, scope, context) for k, v in raw.items() if k not in _SERIALIZER_KEYS}
        return raw

    def template(self, raw: str, scope: _Scope, context: dict[str, Any]) -> Any:
        text = _unquote(raw)
        parts: list[str] = []
        position, unknown = 0, False
        for match in _INTERPOLATION.finditer(text):
            parts.append(text[position:match.start()])
            value = self.expression(match.group(1), scope, context)
            if has_unknown(value) or isinstance(value, dict | list):
                unknown = True
            else:
                parts.append("" if value is None else str(value).lower() if isinstance(value, bool) else str(value))
            position = match.end()
        parts.append(text[position:])
        return UNKNOWN_VALUE if unknown else "".join(parts)

    def expression(self, text: str, scope: _Scope, context: dict[str, Any]) -> Any:
        text = text.strip()
        for found in _REFERENCE.finditer(text):
            if found.group(2) not in ("var", "local", "count", "each", "module", "data", "path", "self"):
                target = resource_reference(f"{found.group(2)}.{found.group(3)}{found.group(4) or ''}", scope.module)
                if target is not None:
                    tail = re.sub(r"\[[^\]]*\]", "", found.group(4) or "").strip(".")
                    self.references.append(f"{target}#{tail}" if tail else target)
        if text in ("true", "false"):
            return text == "true"
        if text == "null":
            return None
        if re.fullmatch(r"-?\d+", text):
            return int(text)
        if re.fullmatch(r"-?\d+\.\d+", text):
            return float(text)
        if len(text) >= 2 and text[0] == text[-1] == '"' and '"' not in text[1:-1].replace('\\"', ""):
            return self.template(text, scope, context)
        if text.startswith("jsonencode(") and text.endswith(")"):
            inner = self.literal(text[len("jsonencode("):-1], scope, context)
            return UNKNOWN_VALUE if has_unknown(inner) else json.dumps(inner, separators=(",", ":"))
        if text.startswith(("[", "{")) and " for " not in f" {text} ":
            return self.literal(text, scope, context)
        path = _SIMPLE_PATH.match(text)
        if path is None:
            return UNKNOWN_VALUE
        return self.path(path.group(1), path.group(2), scope, context)

    def blocks(self, raw: list[Any], scope: _Scope, context: dict[str, Any]
               ) -> tuple[list[dict[str, Any]], list[dict[str, list[str]]]]:
        """Nested blocks evaluated argument by argument, with what each argument of each block references.

        `references` is left holding every block's references, as `value` would.
        """
        blocks: list[dict[str, Any]] = []
        named: list[dict[str, list[str]]] = []
        every: list[str] = []
        for block in raw:
            if not isinstance(block, dict):
                continue
            evaluated: dict[str, Any] = {}
            block_named: dict[str, list[str]] = {}
            for key, item in block.items():
                if key in _SERIALIZER_KEYS:
                    continue
                self.references = []
                evaluated[_label(key)] = self.value(item, scope, context)
                if self.references:
                    block_named[_label(key)] = list(dict.fromkeys(self.references))
                    every.extend(self.references)
            blocks.append(evaluated)
            named.append(block_named)
        self.references = every
        return blocks, named

    def literal(self, text: str, scope: _Scope, context: dict[str, Any]) -> Any:
        return self.value(_literal_value(text), scope, context)

    def path(self, root: str, rest: str, scope: _Scope, context: dict[str, Any]) -> Any:
        steps = re.findall(r"\.([A-Za-z_][A-Za-z0-9_-]*)|\[(\d+)\]|\[\"([^\"]*)\"\]", rest)
        keys: list[str | int] = [a or (int(b) if b else c) for a, b, c in steps]
        if root == "var" and keys:
            value = scope.variables.get(str(keys[0]), UNKNOWN_VALUE)
            keys = keys[1:]
        elif root == "local" and keys:
            value = self.local(str(keys[0]), scope)
            keys = keys[1:]
        elif root in ("count", "each") and keys:
            value = context.get(f"{root}.{keys[0]}", UNKNOWN_VALUE)
            keys = keys[1:]
        elif keys and f"{root}.{keys[0]}" in scope.resources:
            value = self.attribute_of(scope.resources[f"{root}.{keys[0]}"], keys[1:], context)
            keys = []
        else:
            return UNKNOWN_VALUE
        for key in keys:
            if isinstance(value, dict) and isinstance(key, str):
                value = value.get(key, UNKNOWN_VALUE)
            elif isinstance(value, list) and isinstance(key, int) and key < len(value):
                value = value[key]
            else:
                return UNKNOWN_VALUE
        return value

    def local(self, name: str, scope: _Scope) -> Any:
        if name in scope.locals:
            return scope.locals[name]
        if name not in scope.raw_locals:
            return UNKNOWN_VALUE
        scope.locals[name] = UNKNOWN_VALUE  # a cycle resolves to unknown instead of recursing forever
        scope.locals[name] = self.value(scope.raw_locals[name], scope, {})
        return scope.locals[name]

    def attribute_of(self, declared: _Declared, keys: list[str | int], context: dict[str, Any]) -> Any:
        """Another resource's attribute, known when it is a literal of its configuration (as Terraform would plan)."""
        if keys and isinstance(keys[0], int):  # an index into counted instances: the configuration is the same
            keys = keys[1:]
        if not keys or not isinstance(keys[0], str) or keys[0] not in declared.body or keys[0] == "id":
            return UNKNOWN_VALUE
        raw = declared.body[keys[0]]
        if isinstance(raw, list) and raw and isinstance(raw[0], dict) and raw[0].get("__is_block__"):
            return UNKNOWN_VALUE
        nested = _Evaluator()
        value = nested.value(raw, declared.scope, context)
        for key in keys[1:]:
            value = value.get(key, UNKNOWN_VALUE) if isinstance(value, dict) else UNKNOWN_VALUE
        return value


def _load_module(directory: Path, module: str, variables: dict[str, Any], providers: dict[str, str],
                 declared: list[_Declared], done: Mapping[str, ParsedFile], depth: int = 0) -> None:
    files = sorted(directory.glob("*.tf"))
    scope = _Scope(module=module, providers=dict(providers))
    parsed = [(path, *(done.get(str(path)) or _parse(path))) for path in files]
    for _, data, _ in parsed:
        for block in _blocks(data, "variable"):
            for name, body in block.items():
                if isinstance(body, dict) and "default" in body:
                    scope.variables[_label(name)] = body["default"]
        for block in _blocks(data, "locals"):
            scope.raw_locals.update({k: v for k, v in block.items() if not k.startswith("__")})
    scope.variables.update(variables)
    evaluator = _Evaluator()
    scope.variables = {k: evaluator.value(v, scope, {}) if k not in variables else v
                       for k, v in scope.variables.items()}
    for _, data, _ in parsed:
        for block in _blocks(data, "provider"):
            for name, body in block.items():
                if _label(name) != "tencentcloud" or not isinstance(body, dict):
                    continue
                region = evaluator.value(body.get("region"), scope, {})
                alias = evaluator.value(body.get("alias"), scope, {})
                key = f"tencentcloud.{alias}" if isinstance(alias, str) and alias else "tencentcloud"
                scope.providers[key] = region if isinstance(region, str) else ""
    calls: list[tuple[str, Any]] = []
    for path, data, lines in parsed:
        shown = str(path)
        for block in _blocks(data, "resource"):
            for type_key, named in block.items():
                resource_type = _label(type_key)
                for name_key, body in (named or {}).items():
                    name = _label(name_key)
                    item = _Declared(resource_type, name, body, module, shown, lines.get((resource_type, name)), scope)
                    scope.resources[f"{resource_type}.{name}"] = item
                    if service_of(resource_type) is not None:
                        declared.append(item)
        calls.extend((name, body) for block in _blocks(data, "module") for name, body in block.items())
    for name_key, body in calls:
        source = evaluator.value((body or {}).get("source"), scope, {})
        if not isinstance(source, str) or not source.startswith(("./", "../")) or depth > 8:
            continue  # registry or remote modules are not on disk: what they hold is not judged
        arguments = {k: evaluator.value(v, scope, {}) for k, v in (body or {}).items()
                     if k not in ("source", "version", "providers", "count", "for_each", "depends_on")
                     and not k.startswith("__")}
        child = f"{module}.module.{_label(name_key)}" if module else f"module.{_label(name_key)}"
        # Normalised but not resolved: SARIF wants paths relative to where the user pointed, not absolute ones.
        _load_module(Path(os.path.normpath(directory / source)), child, arguments, scope.providers, declared, done,
                     depth + 1)


def _instances(item: _Declared, evaluator: _Evaluator) -> list[tuple[int | str | None, dict[str, Any]]]:
    if "count" in item.body:
        count = evaluator.value(item.body["count"], item.scope, {})
        if isinstance(count, int):
            return [(i, {"count.index": i}) for i in range(count)]
        return [(None, {})]
    if "for_each" in item.body:
        each = evaluator.value(item.body["for_each"], item.scope, {})
        if isinstance(each, dict) and not has_unknown(each):
            return [(k, {"each.key": k, "each.value": v}) for k, v in each.items()]
        if isinstance(each, list) and not has_unknown(each):
            return [(str(v), {"each.key": str(v), "each.value": v}) for v in each]
        return [(None, {})]
    return [(None, {})]


_META_ARGUMENTS = ("count", "for_each", "provider", "depends_on", "lifecycle", "provisioner", "connection")


def directory_resources(directory: Path, parsed: Mapping[str, ParsedFile] | None = None) -> list[TfResource]:
    """Every tencentcloud resource declared in the directory's .tf files (and local modules), evaluated.

    `parsed` holds files already parsed (by `parse_files`, keyed by path as `directory.glob` gives it); the rest
    are parsed here.
    """
    if not any(directory.glob("*.tf")):
        raise BadInput(f"{directory}: no .tf files in this directory")
    declared: list[_Declared] = []
    _load_module(directory, "", {}, {}, declared, parsed or {})
    resources = []
    for item in declared:
        evaluator = _Evaluator()
        provider = item.body.get("provider")
        key = provider[2:-1] if isinstance(provider, str) and provider.startswith("${") else "tencentcloud"
        region = item.scope.providers.get(key, item.scope.providers.get("tencentcloud", ""))
        for index, context in _instances(item, evaluator):
            values: dict[str, Any] = {}
            unknown: set[str] = set()
            leaves: dict[str, Any] = {}
            refs: dict[str, list[str]] = {}
            block_refs: dict[str, list[dict[str, list[str]]]] = {}
            countable = "count" in item.body or "for_each" in item.body
            for attribute, raw in item.body.items():
                if attribute in _META_ARGUMENTS or attribute.startswith("__"):
                    continue
                evaluator.references = []
                value: Any
                if isinstance(raw, list) and raw and isinstance(raw[0], dict) and raw[0].get("__is_block__"):
                    value, named = evaluator.blocks(raw, item.scope, context)
                    if any(named):
                        block_refs[attribute] = named
                else:
                    value = evaluator.value(raw, item.scope, context)
                if evaluator.references:
                    refs[attribute] = list(dict.fromkeys(evaluator.references))
                if countable and index is None:
                    unknown.add(attribute)  # how many instances, and which, is itself unknown
                elif has_unknown(value):
                    known, shape = split_unknown(value)
                    unknown.add(attribute)
                    leaves[attribute] = shape
                    if shape is not True:
                        values[attribute] = known
                else:
                    values[attribute] = value
            suffix = "" if index is None else f"[{index}]" if isinstance(index, int) else f'["{index}"]'
            base = f"{item.type}.{item.name}"
            address = f"{item.module}.{base}{suffix}" if item.module else f"{base}{suffix}"
            # Attributes Terraform computes (the cloud id) are unknown until apply, as in a plan that creates them.
            unknown.add("id")
            resources.append(TfResource(address=address, type=item.type, name=item.name, values=values,
                                        module=item.module, index=index, unknown=unknown, unknown_leaves=leaves,
                                        refs=refs, block_refs=block_refs, region=region,
                                        file=item.file, line=item.line))
    return resources
