"""The JSON reporter writes exactly the report document, whatever it holds."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from dr_audit.render.json_report import render

scalars = st.none() | st.booleans() | st.integers() | st.text()
values = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3), max_leaves=10
)


@given(findings=st.lists(st.dictionaries(st.text(), values, max_size=4), max_size=5),
       run=st.dictionaries(st.text(), values, max_size=4))
def test_the_document_parses_back_unchanged(findings, run):
    report = {"schema_version": 1, "run": run, "summary": {"PASS": 0}, "findings": findings, "checks": []}
    text = render(report)
    assert json.loads(text) == report
    assert text.count("\n") >= len(findings)  # one finding a line keeps large reports diffable
