"""The JSON report, exactly the contract's document, written piece by piece.

Findings are written one per line, compact: the file stays readable and diffable, and pydantic-core's serializer
handles each finding (an indented dump of 100,000 findings goes through json's pure-Python encoder and takes
seconds; json's C encoder takes three times as long as pydantic-core's). The document is
streamed to its file a batch of findings at a time: a million findings make about 450 MB of text, which held
whole (and copied by each join and escape pass) took gigabytes.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator
from itertools import islice
from typing import Any, TextIO

from pydantic_core import PydanticSerializationError, to_json

from .escape import json_dumps, json_text

# Findings encoded per write: large enough that writes cost nothing, small enough that a batch's text is a few MB.
BATCH = 2000


# For what pydantic-core cannot write: text UTF-8 cannot carry (a lone surrogate), which is then escaped.
_fallback = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def finding_text(finding: dict[str, Any]) -> str:
    """A finding's line of the JSON report: compact JSON that UTF-8 can hold (NaN and infinities as Python's json
    writes them)."""
    try:
        return to_json(finding).decode()
    except (PydanticSerializationError, ValueError):
        return json_text(_fallback(finding))


class FindingLines:
    """Each finding of a report as its line of the JSON report, encoded once.

    The JSON report and the history store both need every finding's JSON text, and at a million findings one
    encoding pass costs seconds. With `keep`, a complete pass that is not the last keeps the texts for the next
    consumer (the store, after the outputs are written); otherwise a pass encodes as it goes and holds nothing.
    With `hand_on`, each text is also handed on once, in order and in batches, as soon as a pass has made it (to the
    history store's recorder, which stores them while the outputs are still being written).
    """

    def __init__(self, findings: list[dict[str, Any]], *, keep: bool = False,
                 hand_on: Callable[[int, list[str]], None] | None = None):
        self.findings = findings
        self._keep = keep
        self._kept: list[str] | None = None
        self._hand_on = hand_on
        self._handed = 0  # how many texts, from the first, have been handed on

    def texts(self, *, last: bool = False) -> Iterator[str]:
        if self._kept is not None:
            yield from self._kept
            if last:
                self._kept = None
            return
        keep = self._keep and not last
        kept: list[str] = []
        batch: list[str] = []
        for position, finding in enumerate(self.findings):
            text = finding_text(finding)
            if keep:
                kept.append(text)
            if position >= self._handed and self._hand_on is not None:
                batch.append(text)
                if len(batch) == BATCH:
                    self._hand(batch)
                    batch = []
            yield text
        if batch:
            self._hand(batch)
        if keep:
            self._kept = kept

    def hand_on_the_rest(self) -> None:
        """Hand on every text no pass has made yet (all of them when no JSON report was written)."""
        if self._handed < len(self.findings):
            for _ in self.texts():
                pass

    def _hand(self, batch: list[str]) -> None:
        assert self._hand_on is not None
        self._hand_on(self._handed, batch)
        self._handed += len(batch)


def _dump(value: Any, indent: str) -> str:
    return json_dumps(value, indent=2).replace("\n", "\n" + indent)


def write(report: dict[str, Any], out: TextIO, *, finding_lines: FindingLines | None = None, **_: Any) -> None:
    """Write the report document to `out`, holding no more than one batch of findings as text (unless
    `finding_lines`, the findings' texts, keeps them for a later consumer)."""
    out.write("{\n")
    for position, (key, value) in enumerate(report.items()):
        if position:
            out.write(",\n")
        if key == "findings" and value:
            out.write('  "findings": [\n')
            if finding_lines is None or finding_lines.findings is not value:
                finding_lines = FindingLines(value)
            _write_findings(finding_lines, out)
            out.write("\n  ]")
        else:
            out.write(f"  {json.dumps(key)}: {_dump(value, '  ')}")
    out.write("\n}\n")


def _write_findings(lines: FindingLines, out: TextIO) -> None:
    texts = lines.texts()
    separator = ""
    while batch := list(islice(texts, BATCH)):
        out.write(separator + ",\n".join("    " + text for text in batch))
        separator = ",\n"


def render(report: dict[str, Any], *, finding_lines: FindingLines | None = None, **_: Any) -> str:
    buffer = io.StringIO()
    write(report, buffer, finding_lines=finding_lines)
    return buffer.getvalue()
