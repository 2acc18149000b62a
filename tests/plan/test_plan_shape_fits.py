"""The quick test of a plan's shape (`planshape._fits`) accepts exactly the plans `check_shape` accepts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dr_audit.collect.planshape import PLAN_SHAPE, _fits, check_plan_shape
from dr_audit.errors import BadInput
from dr_audit.inputs import check_shape

# The keys the plan shape names, so that generated documents meet its parts, and a few it does not.
KEYS = ["resource_changes", "planned_values", "prior_state", "configuration", "variables", "root_module",
        "resources", "child_modules", "module_calls", "module", "values", "type", "name", "address", "index",
        "change", "after_unknown", "expressions", "provider_config", "region", "references", "tencentcloud", "x"]
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.floats(allow_nan=False, width=16),
                    st.sampled_from(["", "a", "tencentcloud_instance.web"]))
DOCUMENTS = st.recursive(SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                          st.dictionaries(st.sampled_from(KEYS), inner, max_size=4)),
                         max_leaves=30)


def _accepted(plan: Any) -> bool:
    try:
        check_shape(plan, PLAN_SHAPE, Path("plan.json"), "Terraform plan")
    except BadInput:
        return False
    return True


@settings(max_examples=300, deadline=None)
@given(DOCUMENTS)
def test_fits_exactly_when_check_shape_accepts(plan: Any) -> None:
    assert _fits(plan, PLAN_SHAPE) == _accepted(plan)


def _module(resource: dict[str, Any]) -> dict[str, Any]:
    return {"planned_values": {"root_module": {"resources": [resource]}}}


@pytest.mark.parametrize("resource", [
    {"type": "tencentcloud_instance", "address": "tencentcloud_instance.a", "values": {}, "index": 0},
    {"type": "tencentcloud_instance", "address": "tencentcloud_instance.a", "values": None, "index": "k"},
])
def test_a_well_formed_resource_fits(resource: dict[str, Any]) -> None:
    assert _fits(_module(resource), PLAN_SHAPE)
    check_plan_shape(_module(resource), Path("plan.json"))


@pytest.mark.parametrize(("resource", "named"), [
    ({"type": 1}, "resources[0].type"),
    ({"values": []}, "resources[0].values"),
    ({"index": True}, "resources[0].index"),
    ({"index": 1.5}, "resources[0].index"),
])
def test_a_misshapen_resource_is_named(resource: dict[str, Any], named: str) -> None:
    assert not _fits(_module(resource), PLAN_SHAPE)
    with pytest.raises(BadInput, match=named.replace("[", r"\[").replace("]", r"\]")):
        check_plan_shape(_module(resource), Path("plan.json"))


def test_modules_nested_past_the_recursion_limit_are_still_judged() -> None:
    module: dict[str, Any] = {"resources": [{"type": 1}]}
    for _ in range(3000):
        module = {"child_modules": [module]}
    with pytest.raises(BadInput, match="expected a string"):
        check_plan_shape({"planned_values": {"root_module": module}}, Path("plan.json"))
