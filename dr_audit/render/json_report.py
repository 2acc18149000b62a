"""The JSON report, exactly the contract's document.

Findings are written one per line: the file stays readable and diffable, and the C encoder handles each finding
(an indented dump of 100,000 findings goes through json's pure-Python encoder and takes seconds).
"""

from __future__ import annotations

import json
from typing import Any

from .escape import json_dumps, json_text


def _dump(value: Any, indent: str) -> str:
    return json_dumps(value, indent=2).replace("\n", "\n" + indent)


def render(report: dict[str, Any], **_: Any) -> str:
    parts = []
    for key, value in report.items():
        if key == "findings" and value:
            encode = json.JSONEncoder(ensure_ascii=False, separators=(", ", ": ")).encode  # one encoder for all rows
            rows = json_text(",\n".join("    " + encode(f) for f in value))
            parts.append(f'  "findings": [\n{rows}\n  ]')
        else:
            parts.append(f"  {json.dumps(key)}: {_dump(value, '  ')}")
    return "{\n" + ",\n".join(parts) + "\n}\n"
