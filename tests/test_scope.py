"""How a pack's scope tells a resource's environment: by its env tag, else by a segment of its name."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from dr_audit.scope import Scope

WORDS = st.sampled_from(["prod", "Prod", "PRD", "production", "test", "qa", "dev", "staging", "x", " prod ", "Ünï"])
ENVIRONMENTS = st.dictionaries(st.sampled_from(["prod", "test", "dev", "Prod"]), st.lists(WORDS, max_size=4),
                               max_size=4)


def plainly(environments: dict[str, list[str]], value: str) -> str | None:
    """The environment a spelling names, read straight off the mapping: the first environment that claims it."""
    lowered = value.strip().lower()
    for env, aliases in environments.items():
        if lowered == env or lowered in [a.lower() for a in aliases]:
            return env
    return None


@settings(max_examples=200, deadline=None)
@given(ENVIRONMENTS, WORDS, st.lists(WORDS, max_size=3))
def test_a_tag_or_name_segment_names_the_first_environment_that_claims_it(environments, tag, segments):
    scope = Scope(environments=environments)
    assert scope.env_of({"env": tag}) == plainly(environments, tag)
    name = "-".join(segments)
    expected = next((env for part in name.lower().replace("_", "-").split("-")
                     if (env := plainly(environments, part)) is not None), None)
    assert scope.env_of(None, name) == expected


def test_a_changed_mapping_is_read_afresh():
    scope = Scope(environments={"prod": ["live"]})
    assert scope.env_of({"env": "live"}) == "prod"
    copy = scope.model_copy(update={"environments": {"dev": ["live"]}})
    assert copy.env_of({"env": "live"}) == "dev"
    scope.environments = {"test": ["live"]}
    assert scope.env_of({"env": "live"}) == "test"
