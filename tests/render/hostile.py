"""The shared corpus of hostile strings, and checks that each output format shows them as data, never as markup.

Every test of safe output (the built-finding tests, the end-to-end CLI run and the property test) uses these.
"""

from __future__ import annotations

import csv
import io
import json
import re
import xml.etree.ElementTree as ElementTree
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import jsonschema
from markdown_it import MarkdownIt

from dr_audit.render.escape import visible

HOSTILE = [
    "[/]",
    "[link=https://evil.example]x[/link]",
    "[bold red]alarm[/bold red]",
    ":warning: [/bold]",
    "\x1b[2J\x1b[Hcleared",
    "\x1b]0;pwned title\x07",
    "\x1b]8;;https://evil.example\x1b\\click\x1b]8;;\x1b\\",
    "\x1bc reset",
    "\x9b31mC1 CSI\x9d0;c1 osc\x9c",
    "nul\x00byte",
    "del\x7fete",
    "bell\x07 backspace\x08 vtab\x0b formfeed\x0c",
    "\u202egnp.exe",
    "\u2066isolate\u2069 \u200fmark",
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(2)>",
    "&amp; &lt;b&gt; &#x3c;",
    "`",
    "```fenced",
    "a``b```c`",
    "`lead and trail`",
    " padded ",
    "pipe | in | cells",
    "line1\nline2\r\nline3\rline4",
    "tab\there",
    "=cmd|' /C calc'!A0",
    "@SUM(1)",
    "+1-2",
    "-2+3",
    "**bold** _em_ ~~gone~~",
    "# heading",
    "- list item",
    "1. numbered",
    "[text](https://evil.example) ![img](https://evil.example/x.png)",
    "<https://evil.example>",
    "{0} {{1}}",
    "]]><x/>",
    "back\\slash\\",
    "\U0001f600 \U0001f3f3\ufe0f\u200d\U0001f308 emoji",
    "lone \ud800 surrogate \udfff",
    "\u2028line sep\u2029para sep",
    "\ufeffbom \ufffe\uffff",
    "long " + "x" * 5000,
]

STATUSES = ("FAIL", "ERROR", "WAIVED", "MANUAL", "PASS")
SCHEMA = json.loads((Path(__file__).resolve().parents[1] / "fixtures" / "sarif" / "sarif-schema-2.1.0.json")
                    .read_text(encoding="utf-8"))
# Rich's own styling: Select Graphic Rendition sequences only.
SGR = re.compile(r"\x1b\[[0-9;]*m")
# What must never reach a terminal: any other ESC, C1 controls, bells, bidi overrides, and OSC 8 hyperlinks.
TERMINAL_FORBIDDEN = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")


def finding(index: int, text: str, status: str | None = None) -> dict[str, Any]:
    """A finding carrying `text` in every place a cloud, plan or file value can reach."""
    status = status or STATUSES[index % len(STATUSES)]
    result: dict[str, Any] = {
        "id": f"{index:04d}-{text}", "check_id": f"check_{index}{text[:40]}", "status": status,
        "severity": "high", "promise": f"W{index}.{text[:20]}" if index % 4 == 3 else "W1.1",
        "resource": {"type": "cam.user", "id": f"{index:04d}:{text}", "region": f"ap-{text[:30]}",
                     "account": f"acct {text[:30]}"},
        "message": f"message {index}: {text}", "remediation": f"fix {index}: {text}",
        "evidence": {"name": text, "examined": 1, "items": [text]},
    }
    if status == "WAIVED":
        result["waiver"] = {"reason": f"waived: {text}", "owner": text, "expires": "2027-01-01"}
    return result


def report_of(texts: list[str]) -> dict[str, Any]:
    findings = [finding(i, t) for i, t in enumerate(texts)]
    summary = {s: sum(1 for f in findings if f["status"] == s) for s in STATUSES}
    checks = [{"id": f["check_id"], "title": f"title {f['resource']['id']}", "promise": "W1.1", "severity": "high",
               "applicable": True, "examined": 1, "note": "", "risk": f"risk {f['message']}"} for f in findings]
    return {
        "schema_version": 1, "tool": {"name": "dr-audit", "version": "0.0.0"},
        "run": {"source": f"snapshot {texts[0][:50]}", "pack": f"pack {texts[-1][:50]}",
                "pack_sha256": "0" * 64, "started_at": "2026-12-04T00:00:00Z", "finished_at": "2026-12-04T00:00:01Z",
                "accounts": [f"acct {t[:30]}" for t in texts[:3]], "regions": ["ap-shanghai"],
                "estate_sha256": "1" * 64},
        "summary": summary, "findings": findings, "checks": checks,
        "waivers": {"expired": [{"check": f["check_id"], "resource": f["resource"]["id"], "owner": f"o {t}",
                                 "expires": "2026-01-01"} for f, t in zip(findings[:3], texts, strict=False)],
                    "stale": []},
    }


def shown(text: Any) -> str:
    """How a value reads once escaped for a viewer: controls visible, line breaks kept."""
    return visible(text, keep="\n\t")


# ---- the checks, one per format ------------------------------------------------------------------------------


def assert_terminal_safe(text: str) -> None:
    """Only Rich's SGR styling: no other escape sequence, no OSC 8 link, no C1 control, no bidi override."""
    assert "\x1b]8;" not in text
    bare = SGR.sub("", text)
    assert "\x1b" not in bare
    found = TERMINAL_FORBIDDEN.search(bare)
    assert found is None, f"{found.group()!r} reached the terminal"


def assert_table_intact(text: str, report: dict[str, Any]) -> None:
    """Every non-PASS row is there, its resource id shown literally (controls as visible escapes) on one line."""
    lines = SGR.sub("", text).splitlines()
    for f in report["findings"]:
        if f["status"] == "PASS":
            continue
        wanted = visible(f["resource"]["id"])
        assert any(wanted in line for line in lines), f"row for {f['resource']['id']!r} missing or broken"


def assert_json_round_trips(text: str, report: dict[str, Any]) -> None:
    text.encode("utf-8")  # writable as UTF-8, lone surrogates included
    assert json.loads(text)["findings"] == report["findings"]


def assert_sarif_valid(text: str, report: dict[str, Any]) -> None:
    text.encode("utf-8")
    document = json.loads(text)
    jsonschema.Draft4Validator(SCHEMA).validate(document)
    run = document["runs"][0]
    reported = [f for f in report["findings"] if f["status"] != "PASS"]
    assert len(run["results"]) == len(reported)
    for result, f in zip(run["results"], reported, strict=True):
        message = result["message"]["text"]
        assert not re.search(r"(?<!\\)\]\(", message), "a plain-text message could form an embedded link"
        unescaped = re.sub(r"\\(.)", r"\1", message.replace("{{", "{").replace("}}", "}"), flags=re.S)
        assert visible(f["resource"]["id"], keep="\n") in unescaped
    for rule in run["tool"]["driver"]["rules"]:
        assert_markdown_without_html(rule["help"]["markdown"])


class _Collector(HTMLParser):
    """Tags, attributes and text of an HTML document, as a browser's parser would see them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.text: list[str] = []
        self.cells: list[str] = []
        self.scripts: list[str] = []
        self._cell: list[str] | None = None
        self._script: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))
        if tag in ("td", "th"):
            self._cell = []
        if tag == "script":
            self._script = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self.cells.append("".join(self._cell))
            self._cell = None
        if tag == "script" and self._script is not None:
            self.scripts.append("".join(self._script))
            self._script = None

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._cell is not None:
            self._cell.append(data)
        if self._script is not None:
            self._script.append(data)


def parse_html(text: str) -> _Collector:
    collector = _Collector()
    collector.feed(text)
    collector.close()
    return collector


MARKDOWN = MarkdownIt("commonmark", {"html": True}).enable("table")  # raw HTML would pass through: we look for it
MARKDOWN_TAGS = {"h1", "h2", "h3", "h4", "p", "strong", "em", "code", "pre", "hr", "table", "thead", "tbody", "tr",
                 "th", "td", "ul", "ol", "li", "br"}


def assert_markdown_without_html(text: str) -> _Collector:
    page = parse_html(MARKDOWN.render(text))
    for tag, attrs in page.tags:
        assert tag in MARKDOWN_TAGS, f"<{tag}> came out of the Markdown"
        assert all(name == "style" for name, _ in attrs), f"<{tag} {attrs}> came out of the Markdown"
    return page


def _one_line(text: str) -> str:
    return visible(re.sub("\r\n|[\r\n]", " ", text)).strip(" ")


def assert_markdown_shows(text: str, report: dict[str, Any]) -> None:
    """No raw HTML, one table row per finding to act on, and each cell's text exactly the value."""
    page = assert_markdown_without_html(text)
    cells = [c.strip(" ") for c in page.cells]
    for f in report["findings"]:
        if f["status"] == "PASS":
            continue
        assert _one_line(f["message"]) in cells, f"message of {f['resource']['id']!r} not shown as a cell"
        if "change" not in f:  # the change table of a plan has no remediation column
            assert _one_line(f["remediation"]) in cells
        assert any(c.startswith(_one_line(f["resource"]["id"])) for c in cells)
    rows = sum(1 for tag, _ in page.tags if tag == "tr")
    headers = sum(1 for tag, _ in page.tags if tag == "thead")
    assert rows - headers == sum(1 for f in report["findings"] if f["status"] != "PASS")


def assert_junit_parses(text: str, report: dict[str, Any]) -> None:
    root = ElementTree.fromstring(text.encode("utf-8"))
    names = [case.get("name") for case in root.iter("testcase")]
    for f in report["findings"]:
        region = f" ({f['resource']['region']})" if f["resource"].get("region") else ""
        assert visible(f"{f['resource']['id']}{region}", keep="\n\t") in names
    messages = {el.get("message") for el in root.iter() if el.tag in ("failure", "error")}
    for f in report["findings"]:
        if f["status"] in ("FAIL", "ERROR"):
            assert visible(f["message"], keep="\n\t") in messages


def assert_html_shows(text: str, report: dict[str, Any]) -> None:
    """The page's own elements only, and the values as text: in the page, and in the data its script renders."""
    text.encode("utf-8")
    page = parse_html(text)
    assert sum(1 for tag, _ in page.tags if tag == "script") == 2
    assert not any(tag in ("img", "iframe", "object", "a") for tag, _ in page.tags)
    assert not any(name.startswith("on") for _, attrs in page.tags for name, _ in attrs)
    body = "".join(page.text)
    for account in report["run"]["accounts"]:
        assert shown(account) in body
    data = json.loads(next(s for s in page.scripts if s.lstrip().startswith("{")))
    strings = set(data["strings"])
    for f in report["findings"]:
        for value in (f["resource"]["id"], f["message"], f["remediation"]):
            assert shown(value) in strings


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def assert_csv_neutral(text: str, report: dict[str, Any]) -> None:
    text.encode("utf-8")
    rows = list(csv.reader(io.StringIO(text)))
    assert len(rows) == len(report["findings"]) + 1
    for row in rows[1:]:
        for cell in row:
            assert not cell.startswith(FORMULA_START), f"{cell[:30]!r} would run as a formula"
    ids = {row[6].removeprefix("'") for row in rows[1:]}
    for f in report["findings"]:
        assert visible(f["resource"]["id"], keep="\t\n") in ids
