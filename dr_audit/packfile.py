"""Finding and reading a promise pack's file, without the models that validate it (`packs.py` does that).

Kept light so that `dr-audit plan` can read the pack in a child process while the parent loads the checks.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import BadInput
from .inputs import limits, parse_yaml, read_bytes
from .resources import bundled_dir

DEFAULT_PACK = "weimob-2020"


class PackError(BadInput):
    """An unusable pack; the message is one line naming the file, the field and the problem."""


@dataclass
class PackDocument:
    path: Path
    raw: bytes  # the file's bytes, for the report's pack_sha256
    data: Any  # as parsed from YAML, not yet validated


def available_packs() -> dict[str, Path]:
    return {path.stem: path for path in sorted(bundled_dir("policies").glob("*.yaml"))}


def pack_path(name_or_path: str | None) -> Path:
    candidate = name_or_path or DEFAULT_PACK
    packs = available_packs()
    if candidate in packs:
        return packs[candidate]
    path = Path(candidate)
    if path.suffix in (".yaml", ".yml") or path.exists():
        return path
    raise PackError(f"no pack named {candidate!r} (bundled: {', '.join(packs) or 'none'}; or give a YAML file path)")


def read_pack(name_or_path: str | None) -> PackDocument:
    """The pack's file read and parsed; a missing file or invalid YAML is PackError naming the file."""
    path = pack_path(name_or_path)
    raw = read_bytes(path, "pack file", PackError, limits().config_bytes)
    return PackDocument(path, raw, parse_yaml(raw, path, PackError))
