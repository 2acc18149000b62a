"""A finding's report line: the contract's fields in order, and evidence exactly as JSON would carry it."""

from __future__ import annotations

import copy
import json
import pickle
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic_core import to_jsonable_python

from dr_audit.estate import ResourceRef
from dr_audit.findings import Finding, Severity, Status

scalars = (st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5)
           | st.sampled_from(list(Status)) | st.datetimes(timezones=st.just(UTC)))
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3) | st.tuples(inner, inner)
                      | st.dictionaries(st.text(max_size=3), inner, max_size=3), max_leaves=8)


def finding(evidence: dict[str, object]) -> Finding:
    return Finding(id="f1", check_id="c", status=Status.FAIL, severity=Severity.HIGH, promise="W1.1",
                   resource=ResourceRef(type="cbs.disk", id="disk-1", region="ap-shanghai", account="100"),
                   message="m", remediation="r", evidence=evidence)


@given(evidence=st.dictionaries(st.text(max_size=5), values, max_size=4))
def test_evidence_in_the_report_is_what_the_json_conversion_gives(evidence):
    line = finding(evidence).report_dict()
    assert line["evidence"] == to_jsonable_python(evidence)
    assert json.dumps(line["evidence"]) == json.dumps(to_jsonable_python(evidence))


def test_the_line_holds_the_contracts_fields_in_order_as_plain_strings():
    line = finding({"at": datetime(2026, 1, 2, tzinfo=UTC), "ids": ("a", "b")}).report_dict()
    assert list(line) == ["id", "check_id", "status", "severity", "promise", "resource", "message", "remediation",
                          "evidence"]
    assert type(line["status"]) is str and line["status"] == "FAIL" and type(line["severity"]) is str
    assert line["resource"] == {"type": "cbs.disk", "id": "disk-1", "region": "ap-shanghai", "account": "100"}
    assert line["evidence"] == {"at": "2026-01-02T00:00:00Z", "ids": ["a", "b"]}


texts = st.text(max_size=6)


@given(fields=st.tuples(texts, texts, texts, texts), other=st.tuples(texts, texts, texts, texts))
def test_a_resource_reference_is_an_immutable_value(fields, other):
    ref, same = ResourceRef(*fields), ResourceRef(type=fields[0], id=fields[1], region=fields[2], account=fields[3])
    assert ref == same and hash(ref) == hash(same) and (ref == ResourceRef(*other)) == (fields == other)
    assert (ref.type, ref.id, ref.region, ref.account) == fields
    assert pickle.loads(pickle.dumps(ref)) == ref and copy.deepcopy(ref) == ref
    with pytest.raises(AttributeError):
        ref.id = "changed"  # type: ignore[misc]
    assert ref.id == fields[1]


@given(position=st.integers(0, 3), value=st.none() | st.integers() | st.binary(max_size=3) | st.lists(texts))
def test_a_resource_reference_holds_text_only(position, value):
    fields: list[object] = ["cbs.disk", "disk-1", "ap-shanghai", "100"]
    fields[position] = value
    with pytest.raises(TypeError, match="holds text only"):
        ResourceRef(*fields)  # type: ignore[arg-type]
