"""The backtracking-free glob matcher agrees with fnmatch's semantics (brackets literal) on generated cases."""

from __future__ import annotations

import fnmatch

from hypothesis import given, settings
from hypothesis import strategies as st

from dr_audit.globs import glob_matches

# Few letters, so generated patterns and texts often line up; brackets, dots and newlines to catch escaping slips.
PATTERNS = st.text(alphabet="ab*?[].\n", max_size=10)
TEXTS = st.text(alphabet="ab?*[].\n", max_size=12)


def fnmatch_reference(pattern: str, text: str) -> bool:
    """fnmatch.fnmatchcase with `[` made literal: waiver globs know only `*` and `?` (README, waivers)."""
    return fnmatch.fnmatchcase(text, pattern.replace("[", "[[]"))


@settings(max_examples=400, deadline=None)
@given(PATTERNS, TEXTS)
def test_the_matcher_agrees_with_fnmatch_on_generated_patterns(pattern, text):
    assert glob_matches(pattern, text) is fnmatch_reference(pattern, text)


@settings(max_examples=200, deadline=None)
@given(PATTERNS, st.data())
def test_a_text_built_to_fit_the_pattern_always_matches(pattern, data):
    # Random texts rarely match a long pattern; build one that must: each `*` a random run, each `?` one character.
    pieces = []
    for c in pattern:
        if c == "*":
            pieces.append(data.draw(st.text(alphabet="ab*\n", max_size=3)))
        elif c == "?":
            pieces.append(data.draw(st.sampled_from("ab?[\n")))
        else:
            pieces.append(c)
    text = "".join(pieces)
    assert glob_matches(pattern, text) and fnmatch_reference(pattern, text)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="aB*?", max_size=8), st.text(alphabet="AbB?*", max_size=10))
def test_cam_style_globs_ignore_case_and_keep_question_marks_literal(pattern, text):
    expected = fnmatch.fnmatchcase(text.lower(), pattern.lower().replace("?", "[?]"))
    assert glob_matches(pattern, text, single=False, ignore_case=True) is expected


def test_a_pathological_pattern_is_answered_correctly():
    pattern = "*?" * 8 + "X"
    address = "tencentcloud_cos_bucket.media_archive_primary_replica_abcd"  # 58 characters, no X
    assert len(address) == 58
    assert not glob_matches(pattern, address)
    assert glob_matches(pattern, address + "X")
    assert not glob_matches(pattern, "X" * 8)  # eight characters before the X are needed
    assert glob_matches(pattern, "Y" * 8 + "X")
