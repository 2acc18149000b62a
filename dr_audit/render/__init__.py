"""Reporters: each turns the JSON report document into one output format."""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module
from typing import Any

# format name -> (module, function); modules are imported only when their format is asked for.
FORMATS: dict[str, tuple[str, str]] = {
    "json": ("dr_audit.render.json_report", "render"),
    "table": ("dr_audit.render.table", "render"),
    "markdown": ("dr_audit.render.markdown", "render"),
    "sarif": ("dr_audit.render.sarif", "render"),
    "junit": ("dr_audit.render.junit", "render"),
    "csv": ("dr_audit.render.csv_report", "render"),
    "html": ("dr_audit.render.html", "render"),
}


# Formats that can also be written into an open file piece by piece: a report of a million findings is never
# held whole as text.
STREAMED: dict[str, tuple[str, str]] = {
    "json": ("dr_audit.render.json_report", "write"),
}


def renderer(fmt: str) -> Callable[..., str]:
    module, function = FORMATS[fmt]
    renderer_function: Callable[..., str] = getattr(import_module(module), function)
    return renderer_function


def render(report: dict[str, Any], fmt: str, **options: Any) -> str:
    return renderer(fmt)(report, **options)


def streamer(fmt: str) -> Callable[..., None] | None:
    """The format's function writing a report into an open file, `write(report, file, **options)`, or None when it
    renders only to a string."""
    if fmt not in STREAMED:
        return None
    module, function = STREAMED[fmt]
    streamer_function: Callable[..., None] = getattr(import_module(module), function)
    return streamer_function
