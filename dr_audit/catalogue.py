"""The check catalogue rendered from check metadata: `checks list`, `pack show` and the README table."""

from __future__ import annotations

import json

from .packs import PromisePack
from .registry import Registry


def catalogue_rows(registry: Registry) -> list[dict[str, object]]:
    return [
        {"id": s.id, "title": s.title, "severity": s.severity.value, "promise": s.promise, "sources": sorted(s.sources)}
        for s in registry
    ]


def markdown_catalogue(registry: Registry) -> str:
    from .render.escape import markdown_authored, markdown_code

    # Titles are written with their checks (bundled or --checks-dir code), so their formatting stands; they still
    # cannot add HTML or break the table. The README's catalogue is this text.
    lines = ["| id | promise | severity | what must hold |", "|---|---|---|---|"]
    lines += [f"| {markdown_code(s.id)} | {markdown_authored(s.promise)} | {s.severity.value} | "
              f"{markdown_authored(s.title)} |" for s in registry]
    return "\n".join(lines) + "\n"


def render_catalogue(registry: Registry, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(catalogue_rows(registry), indent=2) + "\n"
    if fmt == "markdown":
        return markdown_catalogue(registry)
    width = max((len(s.id) for s in registry), default=10)
    lines = [f"{'id':<{width}}  {'promise':<7}  {'severity':<8}  title"]
    from .render.escape import terminal

    lines += [terminal(f"{s.id:<{width}}  {s.promise:<7}  {s.severity.value:<8}  {s.title}") for s in registry]
    lines.append(f"{len(registry)} checks")
    return "\n".join(lines) + "\n"


def describe_pack(pack: PromisePack, registry: Registry) -> str:
    lines = [f"pack {pack.name}: {pack.title}".rstrip(": "), f"file {pack.path}  sha256 {pack.sha256}", ""]
    for spec in registry:
        entry = pack.checks.get(spec.id)
        if entry is None:
            lines.append(f"- {spec.id}: not in this pack")
            continue
        state = "" if entry.enabled else " (disabled)"
        params = pack.params_for(spec).model_dump(mode="json", exclude={"scope"})
        promise = entry.promise or spec.promise
        severity = (entry.severity or spec.severity).value
        lines.append(f"- {spec.id}{state}: {promise} {severity}: {pack.promises.get(promise, '')}".rstrip(": "))
        if params:
            lines.append("    " + ", ".join(f"{k}={v}" for k, v in params.items()))
    from .render.escape import terminal  # names, titles and parameters come from the pack file

    return "\n".join(terminal(line) for line in lines) + "\n"
