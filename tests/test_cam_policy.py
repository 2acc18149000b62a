"""The CAM policy evaluator: grammar, wildcards, resources, conditions, unknowns, and its algebraic properties."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from dr_audit.cam_policy import (
    EVERY_RESOURCE,
    SOME_RESOURCE,
    Decision,
    Evaluator,
    PolicyView,
    ResourceName,
    decide,
    grants_full_admin,
    parse_document,
    wildcard_destructive_grants,
)
from dr_audit.estate import CamGroup, CamPolicy, CamState, CamUser

from .conftest import ACCOUNT

OWNER = (f"uin/{ACCOUNT}",)
DISK = ResourceName("cvm", "ap-shanghai", "volume/disk-1", OWNER)
BUCKET = ResourceName("cos", "ap-shanghai", "media-1250000001/*", ("uid/1250000001", *OWNER))


def stmt(effect: str, action, resource="*", **extra) -> dict:
    return {"effect": effect, "action": action, "resource": resource, **extra}


def view(*statements: dict, name: str = "p") -> PolicyView:
    return PolicyView(name, tuple(parse_document({"version": "2.0", "statement": list(statements)})))


def allowed(*statements: dict, action: str, resource=EVERY_RESOURCE, context=None) -> bool | None:
    return decide([view(*statements)], action, resource, context).allowed


# ---------------------------------------------------------------------------------------------- grammar


def test_action_as_string_or_list_with_or_without_prefix_and_any_case():
    assert allowed(stmt("allow", "cvm:TerminateInstances"), action="cvm:TerminateInstances")
    assert allowed(stmt("allow", ["name/CVM:terminateinstances"]), action="cvm:TerminateInstances")
    assert allowed(stmt("allow", "name/cvm:*"), action="name/CVM:TerminateInstances")
    assert allowed(stmt("allow", "cos:Delete*"), action="cos:DeleteObject")
    assert not allowed(stmt("allow", "cos:Delete*"), action="cos:PutObject")
    assert not allowed(stmt("allow", "cvm:*"), action="cos:DeleteObject")


def test_default_deny_and_explicit_deny_wins_over_any_allow():
    assert allowed(stmt("allow", "cvm:Describe*"), action="cvm:TerminateInstances") is False
    assert allowed(stmt("allow", "*"), stmt("deny", "cvm:Terminate*"), action="cvm:TerminateInstances") is False
    decision = decide([view(stmt("allow", "*"), name="admin"), view(stmt("deny", "cvm:*"), name="guard")],
                      "cvm:TerminateInstances")
    assert (decision.allowed, decision.denied_by) == (False, ("guard",))


def test_qcs_resources_with_empty_segments_and_wildcards():
    ours = f"qcs::cvm:ap-shanghai:uin/{ACCOUNT}:volume/disk-1"
    assert allowed(stmt("allow", "cbs:TerminateDisks", ours), action="cbs:TerminateDisks", resource=DISK)
    assert allowed(stmt("allow", "cbs:TerminateDisks", "qcs::cvm:::volume/*"), action="cbs:TerminateDisks",
                   resource=DISK)
    assert allowed(stmt("allow", "cbs:TerminateDisks", "qcs::cvm:ap-*::volume/disk-*"), action="cbs:TerminateDisks",
                   resource=DISK)
    assert not allowed(stmt("allow", "cbs:TerminateDisks", "qcs::cvm:ap-beijing::volume/*"),
                       action="cbs:TerminateDisks", resource=DISK)
    assert not allowed(stmt("allow", "cbs:TerminateDisks", "qcs::cvm::uin/999:volume/*"),
                       action="cbs:TerminateDisks", resource=DISK)
    assert not allowed(stmt("allow", "cbs:TerminateDisks", "qcs::cvm:::volume/disk-2"), action="cbs:TerminateDisks",
                       resource=DISK)


def test_cos_owner_by_appid_and_the_legacy_prefix_form():
    assert allowed(stmt("allow", "cos:DeleteObject", "qcs::cos:ap-shanghai:uid/1250000001:media-1250000001/*"),
                   action="cos:DeleteObject", resource=BUCKET)
    assert allowed(stmt("allow", "cos:DeleteObject", "qcs::cos:ap-shanghai:uid/1250000001:prefix//1250000001/media/*"),
                   action="cos:DeleteObject", resource=BUCKET)
    assert not allowed(stmt("allow", "cos:DeleteObject", "qcs::cos:ap-shanghai:uid/1250000001:media-1250000001/a/*"),
                       action="cos:DeleteObject", resource=BUCKET)


def test_every_resource_needs_star_but_some_resource_takes_any_allow():
    scoped = stmt("allow", "cbs:TerminateDisks", "qcs::cvm:::volume/disk-1")
    assert allowed(scoped, action="cbs:TerminateDisks", resource=EVERY_RESOURCE) is False
    assert allowed(scoped, action="cbs:TerminateDisks", resource=SOME_RESOURCE) is True
    # A deny on a subset does not take away "some resource"; a deny on * does.
    assert allowed(stmt("allow", "*"), stmt("deny", "*", "qcs::cvm:::volume/disk-1"), action="cbs:TerminateDisks",
                   resource=SOME_RESOURCE) is True
    assert allowed(stmt("allow", "*"), stmt("deny", "*"), action="cbs:TerminateDisks", resource=SOME_RESOURCE) is False


# ------------------------------------------------------------------------------------------ unknowns


def test_conditions_without_context_are_reported_not_guessed():
    conditional = stmt("allow", "*", condition={"ip_equal": {"qcs:ip": ["10.0.0.0/8"]}})
    decision = decide([view(conditional)], "cvm:TerminateInstances")
    assert decision.allowed is None
    assert "ip_equal qcs:ip" in decision.why_unknown
    assert allowed(conditional, action="cvm:TerminateInstances", context={"qcs:ip": ["10.1.2.3"]}) is True
    assert allowed(conditional, action="cvm:TerminateInstances", context={"qcs:ip": ["192.0.2.1"]}) is False


def test_a_conditional_deny_makes_an_allow_unknown_but_a_certain_deny_stays_false():
    guard = stmt("deny", "cvm:*", condition={"string_equal": {"qcs:resource_tag": ["env&prod"]}})
    assert allowed(stmt("allow", "*"), guard, action="cvm:TerminateInstances") is None
    assert allowed(stmt("allow", "*"), guard, action="cos:DeleteObject") is True
    assert allowed(stmt("allow", "*"), guard, stmt("deny", "*"), action="cvm:TerminateInstances") is False


def test_unknown_operators_feature_sets_and_foreign_elements_are_unevaluated():
    assert allowed(stmt("allow", "*", condition={"string_like": {"k": "v"}}), action="cvm:RunInstances",
                   context={"k": ["v"]}) is None
    assert allowed(stmt("allow", "permid/1234"), action="cvm:TerminateInstances") is None
    assert allowed({"effect": "allow", "not_action": "cam:*", "resource": "*"}, action="cvm:RunInstances") is None


def test_an_unreadable_document_makes_the_answer_unknown_unless_a_deny_settles_it():
    unknown = PolicyView("custom-x", None, "policy custom-x: AuthFailure")
    assert decide([unknown, view(stmt("allow", "*"))], "cvm:TerminateInstances").allowed is None
    assert decide([unknown, view(stmt("deny", "*"))], "cvm:TerminateInstances").allowed is False


def test_evaluator_inherits_group_policies_and_recognises_only_documented_presets_by_name():
    cam = CamState(
        users=[CamUser(account=ACCOUNT, uin="2001", name="ops", group_ids=["g1"]),
               CamUser(account=ACCOUNT, uin="2002", name="cam-admin", policy_ids=["9"]),
               CamUser(account=ACCOUNT, uin="2003", name="other", policy_ids=["77"])],
        groups=[CamGroup(account=ACCOUNT, group_id="g1", name="ops", policy_ids=["1"])],
        policies=[CamPolicy(account=ACCOUNT, policy_id="1", name="AdministratorAccess", kind="preset"),
                  CamPolicy(account=ACCOUNT, policy_id="9", name="QcloudCamFullAccess", kind="preset",
                            unreadable={"document": "RequestLimitExceeded"}),
                  CamPolicy(account=ACCOUNT, policy_id="77", name="QcloudSomethingFullAccess", kind="preset")],
    )
    evaluator = Evaluator(cam)
    ops, cam_admin, other = cam.users
    assert evaluator.is_full_admin(ops).allowed is True
    assert evaluator.decide(cam_admin, "cam:DeleteUser").allowed is True
    assert evaluator.is_full_admin(cam_admin).allowed is False
    assert evaluator.decide(other, "cvm:RunInstances").allowed is None


def test_missing_group_or_unreadable_attachments_are_unknown():
    cam = CamState(users=[CamUser(account=ACCOUNT, uin="1", name="a", group_ids=["gone"]),
                          CamUser(account=ACCOUNT, uin="2", name="b", unreadable={"policy_ids": "denied"})])
    evaluator = Evaluator(cam)
    assert [evaluator.decide(u, "cvm:RunInstances").allowed for u in cam.users] == [None, None]


def test_document_helpers():
    assert grants_full_admin({"statement": {"effect": "allow", "action": "*", "resource": "*"}}) is True
    assert grants_full_admin({"statement": [stmt("allow", "*:*")]}) is True
    assert grants_full_admin({"statement": [stmt("allow", "cvm:*")]}) is False
    grants = wildcard_destructive_grants({"statement": [stmt("allow", ["cos:*", "cvm:Describe*"]),
                                                        stmt("deny", "cos:DeleteBucket")]})
    assert [g.pattern for g in grants] == ["cos:*"]
    assert "cos:DeleteObject" in grants[0].actions and "cos:DeleteBucket" not in grants[0].actions
    assert wildcard_destructive_grants({"statement": [stmt("allow", "cos:*", "qcs::cos:::b-1/*"),
                                                      stmt("allow", "cos:DeleteObject")]}) == []


# ---------------------------------------------------------------------------------------------- properties

SERVICES = ["cvm", "cbs", "cos", "cdb", "cam"]
NAMES = ["TerminateInstances", "DeleteObject", "DescribeInstances", "DeleteSnapshots", "GetObject"]
actions = st.builds(lambda s, n: f"{s}:{n}", st.sampled_from(SERVICES), st.sampled_from(NAMES))
QUERY_RESOURCES = [EVERY_RESOURCE, SOME_RESOURCE, DISK, BUCKET]


@st.composite
def action_patterns(draw) -> str:
    service = draw(st.sampled_from([*SERVICES, "*"]))
    name = draw(st.sampled_from(NAMES))
    cut = draw(st.integers(0, len(name)))
    tail = draw(st.sampled_from(["", "*"]))
    if service == "*" and draw(st.booleans()):
        return "*"
    return f"{service}:{name[:cut]}{tail if cut < len(name) else ''}"


resource_patterns = st.sampled_from(["*", "qcs::cvm:::volume/*", "qcs::cvm:ap-shanghai::volume/disk-1",
                                     "qcs::cos:::media-1250000001/*", "qcs::cos:ap-beijing::*", "qcs::::*"])


@st.composite
def statements(draw, effect=None) -> dict:
    return stmt(effect or draw(st.sampled_from(["allow", "deny"])),
                draw(st.lists(action_patterns(), min_size=1, max_size=3)),
                draw(st.lists(resource_patterns, min_size=1, max_size=2)))


policy_sets = st.lists(st.lists(statements(), min_size=1, max_size=3), min_size=0, max_size=3)


def views(policies: list[list[dict]]) -> list[PolicyView]:
    return [view(*p, name=f"p{i}") for i, p in enumerate(policies)]


@settings(max_examples=150, deadline=None)
@given(policy_sets, actions, st.sampled_from(QUERY_RESOURCES))
def test_property_an_unconditional_deny_on_everything_always_wins(policies, action, resource):
    with_deny = [*views(policies), view(stmt("deny", "*"), name="deny-all")]
    assert decide(with_deny, action, resource).allowed is False


@settings(max_examples=150, deadline=None)
@given(policy_sets, statements(effect="allow"), actions, st.sampled_from(QUERY_RESOURCES))
def test_property_adding_an_allow_never_removes_a_permission(policies, extra, action, resource):
    before = decide(views(policies), action, resource).allowed
    after = decide([*views(policies), view(extra, name="extra")], action, resource).allowed
    if before is True:
        assert after is True


def _respell(pattern: str, upper: bool, prefix: bool) -> str:
    text = pattern.upper() if upper else pattern.lower()
    return f"name/{text}" if prefix and text != "*" else text


@settings(max_examples=150, deadline=None)
@given(policy_sets, actions, st.sampled_from(QUERY_RESOURCES), st.booleans(), st.booleans())
def test_property_prefix_and_case_never_change_the_answer(policies, action, resource, upper, prefix):
    respelled = [[{**s, "action": [_respell(a, upper, prefix) for a in s["action"]]} for s in p] for p in policies]
    query = _respell(action, not upper, not prefix)
    assert decide(views(respelled), query, resource).allowed == decide(views(policies), action, resource).allowed


@settings(max_examples=150, deadline=None)
@given(st.lists(statements(effect="allow"), min_size=1, max_size=4), st.lists(statements(effect="deny"), max_size=2),
       actions, st.sampled_from(QUERY_RESOURCES), st.data())
def test_property_generalising_an_allow_pattern_with_a_wildcard_is_monotone(allows, denies, action, resource, data):
    index = data.draw(st.integers(0, len(allows) - 1))
    target = allows[index]
    position = data.draw(st.integers(0, len(target["action"]) - 1))
    pattern = target["action"][position]
    cut = data.draw(st.integers(0, len(pattern)))
    general = pattern[:cut] + "*"
    widened = [dict(s) for s in allows]
    widened[index] = {**target, "action": [*target["action"][:position], general, *target["action"][position + 1:]]}
    before = decide([view(*allows, *denies)], action, resource).allowed
    after = decide([view(*widened, *denies)], action, resource).allowed
    if before is True:
        assert after is True


@settings(max_examples=100, deadline=None)
@given(policy_sets, st.lists(actions, min_size=1, max_size=6), st.sampled_from(QUERY_RESOURCES))
def test_property_a_policy_asked_many_actions_answers_each_as_if_asked_first(policies, asked, resource):
    shared = views(policies)  # each view remembers, per action, which statements it may concern
    for action in asked:
        assert decide(shared, action, resource) == decide(views(policies), action, resource)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.lists(st.sampled_from(["1", "2", "3"]), max_size=2),
                          st.lists(st.sampled_from(["g1", "g2", "gone"]), max_size=2), st.booleans()),
                min_size=1, max_size=6),
       policy_sets, actions)
def test_property_users_sharing_attachments_get_the_answers_each_gets_alone(users, documents, action):
    policies = [CamPolicy(account=ACCOUNT, policy_id=str(n + 1), name=f"p{n}", kind="custom",
                          document={"version": "2.0", "statement": statements_})
                for n, statements_ in enumerate(documents)]
    cam = CamState(
        users=[CamUser(account=ACCOUNT, uin=str(n), name=f"u{n}", policy_ids=direct, group_ids=groups,
                       unreadable={"group_ids": "denied"} if unread else {})
               for n, (direct, groups, unread) in enumerate(users)],
        groups=[CamGroup(account=ACCOUNT, group_id="g1", name="ops", policy_ids=["1"]),
                CamGroup(account=ACCOUNT, group_id="g2", name="dba", policy_ids=["2", "3"],
                         unreadable={"policy_ids": "denied"})],
        policies=policies)
    together = Evaluator(cam)
    for user in cam.users:
        alone = Evaluator(cam)
        assert together.decide(user, action, DISK) == alone.decide(user, action, DISK)
        assert together.signature(user) == alone.signature(user)
        assert together.policies_of(user) == alone.policies_of(user)


def test_the_shared_evaluator_is_made_again_when_the_state_grows():
    cam = CamState(users=[CamUser(account=ACCOUNT, uin="1", name="a", policy_ids=["1"])])
    first = Evaluator.of(cam)
    assert Evaluator.of(cam) is first
    assert first.decide(cam.users[0], "cvm:TerminateInstances").allowed is None  # policy 1 was not collected
    cam.policies.append(CamPolicy(account=ACCOUNT, policy_id="1", name="AdministratorAccess", kind="preset"))
    grown = Evaluator.of(cam)
    assert grown is not first
    assert grown.decide(cam.users[0], "cvm:TerminateInstances").allowed is True
    cam.users = [*cam.users]  # replaced, not grown
    assert Evaluator.of(cam) is not grown


def _plain_decide_any(policies: list[PolicyView], asked: list[str], resource) -> tuple[object, str]:
    """decide_any as its docstring states it, spelled out from `decide` with no evaluator in between."""
    first_unknown = None
    last = (Decision(False), "")
    for action in asked:
        text = action.strip().removeprefix("name/")
        service, _, name = text.partition(":")
        for alias in {"cbs": ("cbs", "cvm")}.get(service.lower(), (service.lower(),)):
            spelled = f"{alias}:{name}"
            decision = decide(policies, spelled, resource)
            if decision.allowed is True:
                return decision, spelled
            if decision.allowed is None and first_unknown is None:
                first_unknown = (decision, spelled)
            last = (decision, spelled)
    return first_unknown or last


@settings(max_examples=80, deadline=None)
@given(policy_sets, st.lists(actions, min_size=1, max_size=6), st.sampled_from(QUERY_RESOURCES), st.booleans())
def test_property_decide_any_answers_as_deciding_each_spelling_in_turn(documents, asked, resource, unread):
    # The evaluator finds the principal and the resource's class once per question, and shares a plain "not
    # allowed": neither may change an answer.
    policies = [CamPolicy(account=ACCOUNT, policy_id=str(n + 1), name=f"p{n}", kind="custom",
                          document={"version": "2.0", "statement": statements_})
                for n, statements_ in enumerate(documents)]
    user = CamUser(account=ACCOUNT, uin="1", name="u", policy_ids=[p.policy_id for p in policies],
                   unreadable={"group_ids": "denied"} if unread else {})
    evaluator = Evaluator(CamState(users=[user], policies=policies))
    assert evaluator.decide_any(user, asked, resource) == _plain_decide_any(evaluator.policies_of(user), asked,
                                                                              resource)
