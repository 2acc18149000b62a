"""The escaping functions themselves: invariants over any text, the corpus's hard cases drawn in by hypothesis."""

from __future__ import annotations

import json
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from dr_audit.render.escape import csv_cell, json_dumps, markdown_text, sarif_text, visible

from .hostile import HOSTILE

UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff\ufffe\uffff"
                    "\ud800-\udfff]")
CHARS = st.characters(min_codepoint=0, max_codepoint=0x10FFFF, categories=None, exclude_categories=())
TEXT = st.text(CHARS, max_size=60) | st.sampled_from(HOSTILE)


@given(TEXT)
@settings(max_examples=200, deadline=None)
def test_visible_text_holds_nothing_unsafe_is_idempotent_and_leaves_safe_text_alone(text):
    shown = visible(text)
    assert UNSAFE.search(shown) is None
    assert visible(shown) == shown
    if UNSAFE.search(text) is None:
        assert shown == text
    shown.encode("utf-8")


@given(TEXT)
@settings(max_examples=200, deadline=None)
def test_a_csv_cell_never_starts_a_formula(text):
    assert not csv_cell(text).startswith(("=", "+", "-", "@", "\t", "\r"))


@given(TEXT)
@settings(max_examples=200, deadline=None)
def test_a_sarif_message_reads_back_exactly_and_forms_no_embedded_link(text):
    message = sarif_text(text)
    assert not re.search(r"(?<!\\)\]\(", message)
    assert re.sub(r"\\(.)", r"\1", message.replace("{{", "{").replace("}}", "}"), flags=re.S) == visible(text,
                                                                                                       keep="\n")


@given(TEXT)
@settings(max_examples=200, deadline=None)
def test_markdown_text_has_no_raw_html_character_or_line_break(text):
    escaped = markdown_text(text)
    assert "<" not in escaped and ">" not in escaped and "\n" not in escaped and "\r" not in escaped
    assert not re.search(r"(?<!\\)\|", escaped.replace("\\\\", ""))


@given(st.recursive(TEXT, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
                    max_leaves=8))
@settings(max_examples=100, deadline=None)
def test_json_with_lone_surrogates_is_utf8_and_decodes_back_exactly(value):
    text = json_dumps(value, indent=2)
    text.encode("utf-8")
    assert json.loads(text) == value


def test_markdown_keeps_unicode_spaces_at_a_cells_ends_that_markdown_would_trim():
    assert markdown_text("\xa0") == "&#160;"
    assert markdown_text(" a\u2003") == " a&#8195;"
    assert markdown_text("a\xa0b") == "a\xa0b"
