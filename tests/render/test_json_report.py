"""The JSON reporter writes exactly the report document, whatever it holds."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dr_audit.outputs import write_atomic
from dr_audit.render import json_report
from dr_audit.render.json_report import FindingLines, finding_text, render, write

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


@given(findings=st.lists(st.dictionaries(st.text(), values, max_size=3), max_size=9), batch=st.integers(1, 4))
def test_the_document_is_the_same_whatever_the_batches_it_is_streamed_in(findings, batch):
    report = {"schema_version": 1, "findings": findings, "checks": []}
    whole = render(report)
    saved, json_report.BATCH = json_report.BATCH, batch  # set per example: hypothesis reruns only the body
    try:
        buffer = io.StringIO()
        write(report, buffer)
    finally:
        json_report.BATCH = saved
    assert buffer.getvalue() == whole
    assert json.loads(buffer.getvalue()) == report
    assert whole.count("\n    {") == len(findings)  # still one finding a line across batch boundaries


def test_a_streamed_report_that_fails_midway_leaves_the_old_file_and_no_temporary_file(tmp_path: Path,
                                                                                       monkeypatch) -> None:
    monkeypatch.setattr(json_report, "BATCH", 2)
    path = tmp_path / "report.json"
    path.write_text("old")
    findings = [{"id": str(n)} for n in range(5)] + [{"id": object()}]  # json cannot encode the last one
    with pytest.raises(TypeError):
        write_atomic(path, lambda file: write({"findings": findings}, file))
    assert path.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.json"]


@given(texts=st.lists(st.text(st.characters(categories=["Cs"]) | st.characters(max_codepoint=0x7f)), max_size=6))
def test_rows_holding_lone_surrogates_are_escaped_so_the_file_is_utf8_and_decodes_back(texts):
    report = {"findings": [{"message": text} for text in texts]}
    document = render(report)
    document.encode("utf-8")  # a lone surrogate left raw could not be written
    # JSON reads an escaped high-low pair back as the one character it encodes; a lone surrogate stays itself.
    paired = [text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass") for text in texts]
    assert [f["message"] for f in json.loads(document)["findings"]] == paired


@given(findings=st.lists(st.dictionaries(st.text(), values, max_size=3), max_size=6))
def test_kept_finding_lines_are_the_report_lines_and_a_later_pass_reuses_them(findings):
    report = {"schema_version": 1, "findings": findings, "checks": []}
    lines = FindingLines(findings, keep=True)
    buffer = io.StringIO()
    write(report, buffer, finding_lines=lines)
    assert buffer.getvalue() == render(report)  # sharing the texts never changes the document
    first = list(lines.texts())
    again = list(lines.texts(last=True))
    assert [json.loads(text) for text in first] == findings
    assert all(a is b for a, b in zip(first, again, strict=True))  # encoded once, by the report's own pass
    assert list(lines.texts()) == first  # after the last pass they are encoded again, equal


def test_finding_lines_for_other_findings_are_not_used(tmp_path: Path) -> None:
    report = {"schema_version": 1, "findings": [{"id": "a"}], "checks": []}
    stale = FindingLines([{"id": "b"}], keep=True)
    buffer = io.StringIO()
    write(report, buffer, finding_lines=stale)
    assert json.loads(buffer.getvalue())["findings"] == [{"id": "a"}]


numbers = st.floats(allow_nan=False) | st.integers() | st.booleans() | st.none() | st.text(max_size=4)
trees = st.recursive(numbers, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner,
                                                                                         max_size=3), max_leaves=8)


@given(finding=st.dictionaries(st.text(max_size=4), trees, max_size=5))
def test_a_finding_line_is_one_line_of_utf8_json_that_reads_back_equal(finding):
    text = finding_text(finding)
    assert "\n" not in text
    text.encode("utf-8")  # never a lone surrogate: written to files and databases as UTF-8
    assert json.loads(text) == finding


def test_not_a_number_and_infinities_are_written_as_python_json_writes_them() -> None:
    text = finding_text({"evidence": {"ratio": float("nan"), "max": float("inf"), "min": float("-inf")}})
    assert text == '{"evidence":{"ratio":NaN,"max":Infinity,"min":-Infinity}}'
    assert json.loads(text)["evidence"]["max"] == float("inf")
