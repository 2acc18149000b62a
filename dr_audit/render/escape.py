"""One escaping function per output context: a value from the cloud, a plan or a file is shown as data, never markup.

Every reporter (and every command that echoes a name) goes through these functions instead of escaping on its own.
Control characters are made visible (`\\x1b`, `\\u202e`) rather than dropped, so a hostile name stays recognisable.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from markupsafe import Markup
from markupsafe import escape as _html_escape

if TYPE_CHECKING:  # rich is imported only by the commands that draw with it: the CLI's error line stays cheap
    from rich.text import Text

# What can steer a terminal or a viewer, or cannot be encoded at all: C0 controls, DEL, C1 controls, the bidi
# embeddings, overrides, isolates and marks (Trojan Source), line and paragraph separators, the byte-order mark,
# the two non-characters XML forbids, and lone surrogates (a JSON `\ud800` decodes to one; UTF-8 cannot hold it).
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff"
                     "\ufffe\uffff\ud800-\udfff]")
_SHORT = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
_LINE_BREAK = re.compile("\r\n|[\r\n]")

# Markdown: characters that open inline syntax anywhere (emphasis, code, links, images, tables, strikethrough) take a
# backslash; those of raw HTML and entities become entities; at the start of a block, the markers of headings,
# lists and setext underlines take a backslash too.
_MARKDOWN_INLINE = re.compile(r"([\\`*_\[\]|~])")
_MARKDOWN_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
_MARKDOWN_HTML = re.compile("[&<>]")
_MARKDOWN_BLOCK_START = re.compile(r"^(\s*(?:\d+(?=[.)]))?)([#+=.)-])")
_BACKTICK_RUN = re.compile("`+")
_SARIF_TEXT = re.compile(r"([\\\[\]])")
# Cells a spreadsheet would read as a formula (or as the start of one after a tab or carriage return).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _visible_char(match: re.Match[str]) -> str:
    char = match.group()
    code = ord(char)
    return _SHORT.get(char) or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")


def visible(value: Any, *, keep: str = "") -> str:
    """The value as text with every unsafe character written out as a visible escape, except those in `keep`."""
    text = "" if value is None else str(value)
    if keep:
        return _UNSAFE.sub(lambda m: m.group() if m.group() in keep else _visible_char(m), text)
    return _UNSAFE.sub(_visible_char, text)


def terminal(value: Any) -> str:
    """Plain text for a terminal line or a fixed-width table cell: one line, nothing the terminal would act on."""
    return visible(value)


def terminal_text(value: Any, style: str = "") -> Text:
    """A Rich Text cell: never parsed as Rich markup or emoji codes, and holding no control sequence."""
    from rich.text import Text

    return Text(terminal(value), style=style)


def rich_markup(value: Any) -> str:
    """A value to embed in a Rich markup string: brackets that would open a tag are escaped."""
    from rich.markup import escape as escape_markup

    return escape_markup(terminal(value))


_EDGE_SPACE = re.compile(r"^\s+|\s+$")


def markdown_text(value: Any) -> str:
    """Inline Markdown (a table cell, list item or paragraph): shown literally, with no raw HTML, link or row break."""
    text = visible(_LINE_BREAK.sub(" ", "" if value is None else str(value)))
    text = _MARKDOWN_INLINE.sub(r"\\\1", text)
    text = _MARKDOWN_HTML.sub(lambda m: _MARKDOWN_ENTITIES[m.group()], text)
    # Markdown trims Unicode whitespace (a no-break space too) from a cell's ends: keep it as a character reference.
    text = _EDGE_SPACE.sub(lambda m: "".join(c if c == " " else f"&#{ord(c)};" for c in m.group()), text)
    return _MARKDOWN_BLOCK_START.sub(r"\1\\\2", text)


def markdown_authored(value: Any) -> str:
    """Markdown written by whoever wrote the code that carries it (a check's title): its inline formatting is kept,
    but it can add no raw HTML, break no table row and hold no control character."""
    text = visible(_LINE_BREAK.sub(" ", "" if value is None else str(value)))
    return _MARKDOWN_HTML.sub(lambda m: _MARKDOWN_ENTITIES[m.group()], text).replace("|", "\\|")


def markdown_code(value: Any, *, in_table: bool = True) -> str:
    """A Markdown code span holding the value verbatim, whatever backtick runs it contains.

    The fence is one backtick longer than the longest run inside; a space pads the content when it starts or ends with
    a backtick or space (CommonMark strips one on each side). In a GFM table a pipe must still be escaped, even here.
    """
    text = visible(_LINE_BREAK.sub(" ", "" if value is None else str(value)))
    if not text:
        return ""
    if in_table:
        text = text.replace("|", "\\|")
    fence = "`" * (max((len(run) for run in _BACKTICK_RUN.findall(text)), default=0) + 1)
    if (text[0] in "` " or text[-1] in "` ") and text.strip(" "):
        text = f" {text} "
    return f"{fence}{text}{fence}"


def html_text(value: Any) -> Markup:
    """Text for an HTML element or attribute: entities for markup characters, visible escapes for controls."""
    return _html_escape(visible(value, keep="\n\t"))


def script_json(data: Any) -> Markup:
    """JSON to place inside <script type="application/json">: nothing in it can end the element or the script."""
    text = json_dumps(data, separators=(",", ":"))
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    text = text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    return Markup(text)  # noqa: S704 - escaped above for the script-data context


def template_value(value: Any) -> Any:
    """Jinja's finalize hook: every `{{ }}` value that is not already safe markup has its controls made visible."""
    if value is None or isinstance(value, (Markup, bool, int, float)):
        return value
    return visible(value, keep="\n\t")


def xml_text(value: Any) -> str:
    """Text for an XML element or attribute (ElementTree adds the entities): nothing XML 1.0 forbids or hides."""
    return visible(value, keep="\n\t")


def sarif_text(value: Any) -> str:
    """A SARIF plain-text message (§3.11.3): brackets and backslashes escaped so no embedded link (§3.11.6) forms,
    and braces doubled as §3.11.5 requires of every message string."""
    text = _SARIF_TEXT.sub(r"\\\1", visible(value, keep="\n"))
    return text.replace("{", "{{").replace("}", "}}")


def sarif_markdown(value: Any) -> str:
    """A SARIF formatted message (§3.11.4, GitHub Flavored Markdown) built from untrusted text; braces doubled."""
    return markdown_text(value).replace("{", "{{").replace("}", "}}")


def csv_cell(value: Any) -> str:
    """A CSV cell: controls other than tab and newline made visible (the writer does not quote a lone carriage
    return, which would end the row for a reader), and never read as a formula."""
    text = visible(value, keep="\t\n")
    return f"'{text}" if text[:1] in _FORMULA_START else text


def json_text(document: str) -> str:
    """JSON text (already encoded with ensure_ascii=False) that UTF-8 can hold: a lone surrogate, which can only sit
    inside a string, becomes its `\\uXXXX` escape, so the value decodes back exactly."""
    if document.isascii():  # answered from the string's header: most text never needs the scan
        return document
    return _LONE_SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", document)


def json_dumps(value: Any, **options: Any) -> str:
    """json.dumps with ensure_ascii off, safe to write as UTF-8."""
    return json_text(json.dumps(value, ensure_ascii=False, **options))
