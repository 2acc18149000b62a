"""A drill carried away from its store: the exported bundle (records as stored) and the seal a report prints.

A bundle lets anyone verify a drill offline with `drill verify --bundle`; a seal lets a printed or archived report
be checked against the store or a bundle later (`drill verify --report`). Evidence files are not bundled: each
record names its files' SHA-256, which the chain covers.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from ..errors import BadInput
from ..history.store import HistoryStore
from ..inputs import parse_json, read_text
from .integrity import Verification

FORMAT = "dr-audit drill bundle"
VERSION = 1
SEAL_PREFIX = "dr-audit seal v1: "
_SEAL_LINE = re.compile(r"^" + re.escape(SEAL_PREFIX) + r"(.*)$", re.MULTILINE)
MAX_BUNDLE_BYTES = 256 * 1024 * 1024


class _Row(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class BundledDrill(_Row):
    id: str
    kind: str
    name: str
    opened_at: str
    opened_by: str
    run_id: str | None
    record_count: int
    head_hash: str


class BundledRecord(_Row):
    drill_id: str
    seq: int
    kind: str
    created_at: str
    content_json: str
    prev_hash: str
    hash: str
    signature: str | None
    public_key: str | None


class Bundle(_Row):
    format: str
    version: int
    drill_id: str
    drill: BundledDrill | None
    records: list[BundledRecord]


def export_bundle(store: HistoryStore, drill_id: str) -> str:
    """The drill's row and records exactly as stored, as JSON; BadInput for a drill the store does not have."""
    drill = store.drill(drill_id)
    records = store.records(drill_id)
    document = {"format": FORMAT, "version": VERSION, "drill_id": drill_id,
                "drill": {key: drill[key] for key in BundledDrill.model_fields},
                "records": [{key: row[key] for key in BundledRecord.model_fields} for row in records]}
    return json.dumps(document, indent=1, ensure_ascii=False) + "\n"


def load_bundle(path: Path) -> tuple[str, dict[str, Any] | None, list[dict[str, Any]]]:
    """(drill id, drill row, records) from a bundle file; BadInput in one line when it is not one."""
    data = parse_json(read_text(path, "bundle", limit=MAX_BUNDLE_BYTES), path, "bundle")
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise BadInput(f"{path}: not a drill bundle (made by `dr-audit drill export`)")
    if data.get("version") != VERSION:
        raise BadInput(f"{path}: drill bundle version {data.get('version')!r}; this dr-audit reads version {VERSION}")
    try:
        bundle = Bundle.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise BadInput(f"{path}: malformed drill bundle at {where}: {first['msg']}") from None
    if any(r.drill_id != bundle.drill_id for r in bundle.records):
        raise BadInput(f"{path}: the bundle mixes records of another drill")
    drill = bundle.drill.model_dump() if bundle.drill is not None else None
    return bundle.drill_id, drill, [r.model_dump() for r in bundle.records]


def seal_line(verification: Verification) -> str:
    """One line a report carries: what `drill verify --report` compares with the store or a bundle."""
    text = json.dumps(verification.seal(), sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    # No character that HTML or Markdown treats specially, so the line reads back the same from either format.
    return SEAL_PREFIX + text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")


def read_seal(path: Path) -> dict[str, Any]:
    """The seal of a drill report (HTML or Markdown); BadInput when the file carries none, or several."""
    text = html.unescape(read_text(path, "report"))
    found = _SEAL_LINE.findall(text)
    if len(found) != 1:
        raise BadInput(f"{path}: {'no' if not found else 'more than one'} drill seal "
                       f"({SEAL_PREFIX.strip()} …): not a report made by `dr-audit drill report`")
    try:
        seal = json.loads(found[0])
    except ValueError:
        raise BadInput(f"{path}: the report's drill seal is not valid JSON (edited)") from None
    if not isinstance(seal, dict) or not isinstance(seal.get("drill_id"), str):
        raise BadInput(f"{path}: the report's drill seal names no drill")
    return seal
