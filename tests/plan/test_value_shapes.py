"""Hostile attribute values in a plan: the mapping either reads them or the declared value shapes
(`planshape.VALUE_SHAPES`) refuse them naming the resource and attribute; never another exception."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dr_audit.collect.planinput import PlanInput, read_input
from dr_audit.collect.planshape import VALUE_SHAPES
from dr_audit.errors import BadInput
from dr_audit.plan import build_estates

from .helpers import FIXTURES

SOURCES = {name: read_input(FIXTURES / name) for name in
           ("estate.plan.json", "services.plan.json", "network_rules.plan.json", "cam_unknown_document.plan.json")}
LEAVES = st.one_of(st.none(), st.booleans(), st.integers(-2, 2), st.floats(allow_nan=False, allow_infinity=False),
                   st.sampled_from(["", "x", "0.0.0.0/0", "qcs::cos:ap-guangzhou:uid/1:b-1", "2030-01-01"]))
VALUES = st.recursive(LEAVES, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(
        ["rule", "days", "date", "expiration", "transition", "template_id", "cidr_block", "storage_type",
         "delete_marker_replication", "status", "destination_bucket", "enabled", "data_disk_id", "x"]), inner,
        max_size=3)), max_leaves=12)


def _attributes(resource: Any) -> list[str]:
    return sorted(set(resource.values) | set(VALUE_SHAPES.get(resource.type, {})) | {"name", "tags"})


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(sorted(SOURCES)), st.data())
def test_any_value_of_any_attribute_maps_or_is_refused_naming_it(source: str, data: st.DataObject) -> None:
    read = copy.deepcopy(SOURCES[source])
    side = data.draw(st.sampled_from([s for s in (read.after, read.before) if s]))
    resource = data.draw(st.sampled_from(side))
    attribute = data.draw(st.sampled_from(_attributes(resource)))
    resource.values[attribute] = data.draw(VALUES)
    try:
        build_estates(PlanInput(read.after, read.before, "plan.json"))
    except BadInput as exc:
        assert f"plan.json: {resource.address}: " in str(exc) and attribute in str(exc)


@pytest.mark.parametrize(("attribute", "value", "named"), [
    ("object_lock_configuration", [{"enabled": True, "rule": True}], "object_lock_configuration[0].rule"),
    ("lifecycle_rules", [{"expiration": {"days": 1}}], "lifecycle_rules[0].expiration"),
    ("lifecycle_rules", [7], "lifecycle_rules[0]"),
    ("replica_rules", "rules", "replica_rules"),
])
def test_a_bucket_block_of_the_wrong_type_is_refused_naming_it(attribute: str, value: Any, named: str) -> None:
    read = copy.deepcopy(SOURCES["estate.plan.json"])
    bucket = next(r for r in read.after if r.type == "tencentcloud_cos_bucket")
    bucket.values[attribute] = value
    with pytest.raises(BadInput, match=f"{re.escape(bucket.address)}: .*{re.escape(named)}: "):
        build_estates(PlanInput(read.after, read.before, str(Path("plan.json"))))
