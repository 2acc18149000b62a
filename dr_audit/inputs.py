"""Reading the user's files (snapshots, packs, plans, waivers, reports, drill plans): every failure is one line
naming the file, raised as BadInput or the caller's subclass of it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import BadInput

if TYPE_CHECKING:
    import yaml


def read_bytes(path: Path, what: str, error: type[BadInput] = BadInput) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise error(f"{path}: no such {what}") from None
    except IsADirectoryError:
        raise error(f"{path}: is a directory, not a {what}") from None
    except OSError as exc:
        raise error(f"{path}: cannot read {what}: {exc.strerror}") from None


def read_text(path: Path, what: str, error: type[BadInput] = BadInput) -> str:
    try:
        return read_bytes(path, what, error).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise error(f"{path}: cannot read {what}: not UTF-8 text (byte {exc.start})") from None


def parse_json(text: str, path: Path, what: str, error: type[BadInput] = BadInput, hint: str = "") -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise error(f"{path}: not a JSON {what} (line {exc.lineno}: {exc.msg}){hint}") from None


def yaml_error(path: Path, exc: yaml.YAMLError) -> str:
    """`FILE:LINE: not valid YAML: PROBLEM`, from whatever position PyYAML knows."""
    mark = getattr(exc, "problem_mark", None)
    where = f":{mark.line + 1}" if mark is not None else ""
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    return f"{path}{where}: not valid YAML: {problem}"


def parse_yaml(text: str | bytes, path: Path, error: type[BadInput] = BadInput) -> Any:
    import yaml  # only when YAML is read: a plan's reader in its child process needs JSON and HCL alone

    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise error(yaml_error(path, exc)) from None
