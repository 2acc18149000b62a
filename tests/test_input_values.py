"""The value limits refuse exactly what a plain recursive reading of them says is over a limit."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dr_audit.errors import BadInput
from dr_audit.inputs import INT_BITS, check_values

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


@pytest.fixture(scope="module")
def monkeypatch_limits():
    patch = pytest.MonkeyPatch()
    patch.setenv("DR_AUDIT_MAX_DEPTH", str(DEPTH))
    patch.setenv("DR_AUDIT_MAX_STRING_CHARS", str(STRING))
    patch.setenv("DR_AUDIT_MAX_NAME_CHARS", str(NAME))
    yield
    patch.undo()
