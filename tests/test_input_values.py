"""The value limits refuse exactly what a plain recursive reading of them says is over a limit, whether the values
are walked or a JSON text is scanned."""

from __future__ import annotations

import json
import math
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dr_audit.errors import BadInput
from dr_audit.inputs import (
    INT_BITS,
    _numbers_plainly_within_limits,
    check_values,
    parse_json,
    plainly_within_limits,
    read_json,
)
from dr_audit.scenarios import build

DEPTH, STRING, NAME = 4, 12, 6
KEYS = st.sampled_from(["x", "vpc_id", "names", "a" * 8, "region", "k\ud800"])
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-(2 ** 70), 2 ** 70),
                    st.floats(allow_nan=True, allow_infinity=True),
                    st.text(alphabet=st.sampled_from("ab\ud800"), max_size=16))
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                       st.dictionaries(KEYS, inner, max_size=3)), max_leaves=12)


def is_name(key: str) -> bool:
    word = key.replace("_", "").lower()
    return any(word.endswith(s) or word.endswith(s + "s") for s in
               ("id", "name", "account", "region", "arn", "address", "uin", "bucket")) or word.endswith("addresses")


def over_a_limit(value: object, depth: int = 1, key: str = "") -> bool:
    if isinstance(value, str):
        return (len(value) > STRING or (len(value) > NAME and is_name(key))
                or any(0xD800 <= ord(c) <= 0xDFFF for c in value))
    if isinstance(value, bool) or value is None:
        return False
    if isinstance(value, int):
        return not -(2 ** (INT_BITS - 1)) <= value < 2 ** (INT_BITS - 1)
    if isinstance(value, float):
        return not math.isfinite(value)
    if depth > DEPTH:
        return True
    if isinstance(value, dict):
        return any(len(k) > NAME or over_a_limit(k) or over_a_limit(v, depth + 1, k) for k, v in value.items())
    return any(over_a_limit(item, depth + 1, key) for item in value)  # type: ignore[union-attr]


@settings(max_examples=300, deadline=None)
@given(value=VALUES)
def test_a_value_is_refused_exactly_when_it_is_over_a_limit(value, monkeypatch_limits):
    refused = False
    try:
        check_values(value, Path("f.json"), "test file")
    except BadInput:
        refused = True
    assert refused == over_a_limit(value)


# What fools a scan of the raw text: escaped quotes and backslashes, brackets inside strings, non-ASCII text.
TEXTS = st.text(alphabet=st.sampled_from('ab"\\[]{}\u00e9\u4e2d\ud800\U0001f600'), max_size=16)
JSON_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-(2 ** 70), 2 ** 70),
                         st.floats(allow_nan=True, allow_infinity=True), TEXTS)
JSON_KEYS = st.one_of(KEYS, TEXTS)
JSON_VALUES = st.recursive(JSON_SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(JSON_KEYS, inner, max_size=3)), max_leaves=12)


@settings(max_examples=300, deadline=None)
@given(value=JSON_VALUES, ascii_only=st.booleans(), indent=st.sampled_from([None, 0, 1]), from_file=st.booleans())
def test_a_json_text_is_refused_exactly_when_a_value_in_it_is_over_a_limit(value, ascii_only, indent, from_file,
                                                                           monkeypatch_limits, tmp_path_factory):
    # read_json scans a file's bytes before parsing them, parse_json a text after: both must refuse the same.
    text = json.dumps(value, ensure_ascii=ascii_only, indent=indent)
    refused = False
    try:
        if from_file:
            path = tmp_path_factory.mktemp("json") / "f.json"
            path.write_bytes(text.encode("utf-8", "surrogatepass"))
            read_json(path, "test file", "test file")
        else:
            parse_json(text, Path("f.json"), "test file")
    except BadInput:
        refused = True
    assert refused == over_a_limit(value)


def test_a_real_snapshot_is_judged_by_its_text_alone(monkeypatch):
    """The scan answers for a whole snapshot, so loading one never walks its values a second time."""
    for name in ("DR_AUDIT_MAX_DEPTH", "DR_AUDIT_MAX_STRING_CHARS", "DR_AUDIT_MAX_NAME_CHARS"):
        monkeypatch.delenv(name, raising=False)  # the defaults, whatever tests before this one set
    estate = build("weimob-2020", now=datetime(2026, 11, 1, tzinfo=UTC))
    assert plainly_within_limits(estate.to_json())
    assert _numbers_plainly_within_limits(estate.to_json().encode())


def test_ids_that_look_like_exponents_do_not_send_a_large_snapshot_to_the_walk():
    """Ids such as `snap-d00000e001` hold `e` and three digits: a large snapshot has tens of thousands of them, as
    many for each megabyte as a small one, and the scan still vouches for its numbers."""
    resource = '{"snapshot_id": "snap-%s", "disk_id": "disk-%06d", "note": "%s", "size": 50}'
    text = "[" + ",\n".join(resource % (f"d{i:05d}e{i % 1000:03d}" if i % 4 == 0 else f"{i:09d}", i, "x" * 100)
                            for i in range(160_000)) + "]"
    assert len(re.findall(r"e\d{3}", text)) == 40_000 and len(text) > 24 * 2**20
    assert _numbers_plainly_within_limits(text.encode())
    assert not _numbers_plainly_within_limits((text[:-1] + ", 1e400]").encode())


@pytest.mark.parametrize("text", [
    '[[[[["x"]]]]]', '{"a": {"b": {"c": {"d": {}}}}}', '["ab\\u00e9\\"cdefghijklm"]', '{"vpc_id": "abcdefg"}',
    '["\\ud800"]', '["\ud800"]', '{"abcdefg": 1}', '["a\\"\\"\\"bcdefghijk"]', '["abcde\\"fghij\\"klmno"]'])
def test_the_scan_never_vouches_for_a_text_over_a_limit(text, monkeypatch_limits):
    assert not plainly_within_limits(text)


@settings(max_examples=200, deadline=None)
@given(lengths=st.lists(st.integers(0, 3 * NAME), max_size=12), indent=st.sampled_from([None, 1]),
       from_bytes=st.booleans())
def test_the_scan_vouches_exactly_for_a_list_of_short_strings(lengths, indent, from_bytes, monkeypatch_limits):
    # Strings of every length around the limit, at every offset: the scan looks for long strings block by block.
    text = json.dumps(["x" * n for n in lengths], indent=indent)
    encoded = text.encode() if from_bytes else None
    assert plainly_within_limits(text, encoded) == all(n <= min(STRING, NAME) for n in lengths)


@pytest.fixture(scope="module")
def monkeypatch_limits():
    patch = pytest.MonkeyPatch()
    patch.setenv("DR_AUDIT_MAX_DEPTH", str(DEPTH))
    patch.setenv("DR_AUDIT_MAX_STRING_CHARS", str(STRING))
    patch.setenv("DR_AUDIT_MAX_NAME_CHARS", str(NAME))
    yield
    patch.undo()


def number_over_a_limit(value: object) -> bool:
    if isinstance(value, dict):
        return any(number_over_a_limit(v) for v in value.values())
    if isinstance(value, list):
        return any(number_over_a_limit(v) for v in value)
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return not -(2 ** (INT_BITS - 1)) <= value < 2 ** (INT_BITS - 1)
    return isinstance(value, float) and not math.isfinite(value)


# Numbers spelled every way JSON allows (exponents of any length, e or E, a sign or none, long mantissas), and strings
# that look like them, next to every delimiter.
DIGITS = st.text(alphabet="0123456789", min_size=1, max_size=24).map(lambda d: d.lstrip("0") or "0")
NUMBER_TEXTS = st.builds(lambda sign, whole, fraction, e, esign, exponent:
                         f"{sign}{whole}{fraction}{e}{esign}{exponent}" if e else f"{sign}{whole}{fraction}",
                         st.sampled_from(["", "-"]), DIGITS, st.sampled_from(["", ".5", ".000", ".1234567890123"]),
                         st.sampled_from(["", "e", "E"]), st.sampled_from(["", "+", "-"]),
                         st.text(alphabet="0123456789", min_size=1, max_size=5))
LOOKALIKES = st.builds(lambda prefix, number: json.dumps(prefix + number), st.sampled_from(["", "a", "x-", " ", ":"]),
                       NUMBER_TEXTS)
TOKENS = st.recursive(st.one_of(NUMBER_TEXTS, LOOKALIKES, st.sampled_from(["true", "false", "null"])),
                      lambda inner: st.one_of(
                          st.lists(inner, max_size=4).map(lambda items: "[" + ", ".join(items) + "]"),
                          st.lists(st.tuples(LOOKALIKES, inner), max_size=3).map(
                              lambda pairs: "{" + ",\n ".join(f"{k}:{v}" for k, v in pairs) + "}")),
                      max_leaves=10)


@settings(max_examples=400, deadline=None)
@given(text=TOKENS)
def test_the_number_scan_never_vouches_for_a_number_past_64_bits_or_not_finite(text):
    value = json.loads(text)
    if number_over_a_limit(value):
        assert not _numbers_plainly_within_limits(text.encode())


@settings(max_examples=200, deadline=None)
@given(text=TOKENS)
def test_a_json_file_reads_as_json_reads_it_or_is_refused(text, monkeypatch_limits, tmp_path_factory):
    path = tmp_path_factory.mktemp("json") / "f.json"
    path.write_text(text, encoding="utf-8")
    value = json.loads(text)
    try:
        read = read_json(path, "test file", "test file")
    except BadInput:
        assert over_a_limit(value)
    else:
        assert not over_a_limit(value)
        assert repr(read) == repr(value)  # the same values, of the same types: an integer stays an integer
