"""Answers are parsed once and lone surrogates replaced; the scan that skips the replacing walk must never skip a
body that holds one, however the body spells it."""

from __future__ import annotations

import json
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from dr_audit.collect.client import parse_answer, valid_unicode

SURROGATE = re.compile("[\ud800-\udfff]")
# Text that is mostly what matters here: surrogates, escapes' look-alikes, non-ASCII, NUL.
TEXT = st.text(alphabet=st.one_of(st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF),
                                  st.sampled_from(["\\", "u", "d", "8", "\x00", "é", "名", "a"]), st.characters()),
               max_size=12)
VALUES = st.recursive(st.one_of(st.none(), st.booleans(), st.integers(), TEXT),
                      lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(TEXT, inner, max_size=4)),
                      max_leaves=12)


def spelled(value: object, how: str) -> bytes | str:
    if how == "escaped":
        return json.dumps(value).encode("ascii")
    text = json.dumps(value, ensure_ascii=False)
    if how == "utf-8":
        return text.encode("utf-8", "surrogatepass")
    if how == "utf-16":
        return text.encode("utf-16-le", "surrogatepass")
    return text


def no_surrogate_left(value: object) -> bool:
    if isinstance(value, str):
        return not SURROGATE.search(value)
    if isinstance(value, dict):
        return all(no_surrogate_left(k) and no_surrogate_left(v) for k, v in value.items())
    if isinstance(value, list):
        return all(no_surrogate_left(v) for v in value)
    return True


@settings(max_examples=150, deadline=None)
@given(value=VALUES, how=st.sampled_from(["escaped", "utf-8", "utf-16", "text"]))
def test_a_parsed_answer_equals_the_full_walk_and_holds_no_lone_surrogate(value, how):
    body = spelled(value, how)
    parsed = parse_answer(body)
    assert parsed == valid_unicode(json.loads(body))
    assert no_surrogate_left(parsed)


def test_an_answer_without_surrogates_comes_back_as_parsed():
    body = json.dumps({"Response": {"Name": "名前 \\ud800 is text", "Items": [1, "é"]}}, ensure_ascii=False)
    assert parse_answer(body.encode("utf-8")) == json.loads(body)
