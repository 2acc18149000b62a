"""The JSON report, exactly the contract's document, written piece by piece.

Findings are written one per line: the file stays readable and diffable, and the C encoder handles each finding
(an indented dump of 100,000 findings goes through json's pure-Python encoder and takes seconds). The document is
streamed to its file a batch of findings at a time: a million findings make about 450 MB of text, which held
whole (and copied by each join and escape pass) took gigabytes.
"""

from __future__ import annotations

import io
import json
from itertools import islice
from typing import Any, TextIO

from .escape import json_dumps, json_text

# Findings encoded per write: large enough that writes cost nothing, small enough that a batch's text is a few MB.
BATCH = 2000


def _dump(value: Any, indent: str) -> str:
    return json_dumps(value, indent=2).replace("\n", "\n" + indent)


def write(report: dict[str, Any], out: TextIO) -> None:
    """Write the report document to `out`, never holding more than one batch of findings as text."""
    out.write("{\n")
    for position, (key, value) in enumerate(report.items()):
        if position:
            out.write(",\n")
        if key == "findings" and value:
            out.write('  "findings": [\n')
            _write_findings(value, out)
            out.write("\n  ]")
        else:
            out.write(f"  {json.dumps(key)}: {_dump(value, '  ')}")
    out.write("\n}\n")


def _write_findings(findings: list[dict[str, Any]], out: TextIO) -> None:
    encode = json.JSONEncoder(ensure_ascii=False, separators=(", ", ": ")).encode  # one encoder for all rows
    rows = iter(findings)
    separator = ""
    while batch := list(islice(rows, BATCH)):
        # A lone surrogate can only sit inside a string, so escaping each row equals escaping the whole text; a row
        # of ASCII (nearly all) is known to hold none without scanning it.
        out.write(separator + ",\n".join("    " + json_text(encode(f)) for f in batch))
        separator = ",\n"


def render(report: dict[str, Any], **_: Any) -> str:
    buffer = io.StringIO()
    write(report, buffer)
    return buffer.getvalue()
