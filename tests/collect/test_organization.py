"""`run --organization` end to end: members listed through the real TCO SDK over HTTP, the member role assumed in
each, accounts filtered by id, name and unit, and a denied member left in the report as ERROR, never skipped."""

from __future__ import annotations

import json
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dr_audit.cli import main
from dr_audit.collect.organization import Member, select
from dr_audit.emulator import DEMO_SECRET_ID, DEMO_SECRET_KEY, EmulatedCloud
from dr_audit.emulator.organization import MANAGEMENT, organization_estate
from dr_audit.errors import BadInput
from dr_audit.readonly import DEFAULT_MEMBER_ROLE, audit_actions, member_role_arn, organization_actions

MEMBERS = 12


@pytest.fixture(scope="module")
def org():
    estate, spec = organization_estate(MEMBERS)
    with EmulatedCloud(estate, organization=spec) as cloud:
        yield cloud, spec


@pytest.fixture
def run_org(org, monkeypatch, tmp_path):
    cloud, _ = org
    monkeypatch.setenv("TENCENTCLOUD_SECRET_ID", DEMO_SECRET_ID)
    monkeypatch.setenv("TENCENTCLOUD_SECRET_KEY", DEMO_SECRET_KEY)
    def run(*flags: str) -> tuple[int, dict]:
        report = tmp_path / "report.json"
        report.unlink(missing_ok=True)
        cloud.front.requests.clear()
        code = main(["run", "--organization", "--endpoint-url", cloud.endpoint_url, "--cos-endpoint-url",
                     cloud.cos_endpoint_url, "--format", "json", "--output", str(report),
                     "--history", str(tmp_path / "history.db"), *flags])
        return code, json.loads(report.read_text()) if report.exists() else {}

    yield run
    cloud.faults.deny_roles.clear()


def accounts_with_findings(report: dict) -> Counter[str]:
    """Findings per cloud account (the pack's off-site targets are findings of their own, under `offsite:NAME`)."""
    return Counter(f["resource"]["account"] for f in report["findings"]
                   if not f["resource"]["account"].startswith("offsite:"))


def members_in_units(spec, *node_ids: int) -> set[str]:
    return {m.account for m in spec.members if m.node_id in node_ids}


def test_every_member_is_audited_through_its_role_and_a_denied_one_is_error_not_missing(org, run_org, capsys):
    cloud, spec = org
    denied = spec.members[4].account
    cloud.faults.deny_roles.add(member_role_arn(denied, DEFAULT_MEMBER_ROLE))
    code, report = run_org()
    everyone = {m.account for m in spec.members}
    run = report["run"]
    assert set(run["accounts_audited"]) == set(run["accounts"]) == everyone and len(everyone) == MEMBERS + 1
    assert run["accounts_failed"] == [denied] and run["accounts_excluded"] == []
    status = {s["account"]: s for s in run["account_status"]}
    assert status[denied]["status"] == "failed" and "AuthFailure.UnauthorizedOperation" in status[denied]["reason"]
    assert {s["name"] for s in status.values()} == {m.name for m in spec.members}
    assert all(status[a]["status"] == "audited" for a in everyone - {denied})
    # Every account has findings; the denied one's are all ERROR, the others' are judged.
    seen = accounts_with_findings(report)
    assert set(seen) == everyone
    assert {f["status"] for f in report["findings"] if f["resource"]["account"] == denied} == {"ERROR"}
    judged = {f["status"] for f in report["findings"] if f["resource"]["account"] == spec.members[5].account}
    assert judged & {"PASS", "FAIL"}
    assert code in (1, 3)
    # The organization was listed and each member's role assumed through the real SDK over HTTP; the management
    # account was read with its own keys.
    sent = Counter(f"{r.service}:{r.action}" for r in cloud.requests)
    assert sent["organization:DescribeOrganizationMembers"] >= 1 and sent["organization:DescribeOrganization"] == 1
    assert sent["sts:AssumeRole"] == MEMBERS
    # ... and `auditor-policy --organization` grants every action this run sent.
    seen = cloud.seen_actions()
    assert main(["auditor-policy", "--organization"]) == 0
    granted = {action for statement in json.loads(capsys.readouterr().out)["statement"]
               for action in statement["action"]}
    assert seen <= granted, seen - granted
    assert {a for a in seen if a.startswith("name/organization:")} == set(organization_actions())


def test_exclude_accounts_leaves_a_member_out_and_reports_it_as_excluded(org, run_org):
    _, spec = org
    unit = members_in_units(spec, 11)  # Non-production, to keep the run short
    left_out = next(m for m in spec.members if m.account in unit)
    _, report = run_org("--accounts", "Non-production", "--exclude-accounts", left_out.name)
    run = report["run"]
    assert left_out.account in run["accounts_excluded"]
    assert left_out.account not in run["accounts_audited"] and left_out.account not in accounts_with_findings(report)
    assert set(run["accounts_audited"]) == set(accounts_with_findings(report)) == unit - {left_out.account}
    [entry] = [s for s in run["account_status"] if s["account"] == left_out.account]
    assert entry["status"] == "excluded" and entry["name"] == left_out.name
    assert entry["reason"] == f"excluded by --exclude-accounts {left_out.name}"


def test_accounts_selects_by_name_and_by_id(org, run_org):
    _, spec = org
    by_name, by_id = spec.members[2], spec.members[9]
    _, report = run_org("--accounts", f"{by_name.name},{by_id.account}")
    run = report["run"]
    assert sorted(run["accounts_audited"]) == sorted([by_name.account, by_id.account])
    assert set(accounts_with_findings(report)) == {by_name.account, by_id.account}
    assert len(run["accounts_excluded"]) == MEMBERS + 1 - 2


def test_accounts_selects_by_unit_including_the_units_below_it(org, run_org):
    _, spec = org
    production = next(u for u in spec.units if u.name == "Production")
    below = [u.node_id for u in spec.units if u.parent_id == production.node_id]
    assert below  # the emulated tree nests a unit under Production
    _, report = run_org("--accounts", "production")  # unit names match whatever their case
    expected = members_in_units(spec, production.node_id, *below)
    assert set(report["run"]["accounts_audited"]) == expected
    assert set(report["run"]["accounts_excluded"]) == {m.account for m in spec.members} - expected


def test_a_member_role_no_member_has_fails_every_member_but_the_management_account(org, run_org):
    _, spec = org
    _, report = run_org("--member-role", "NoSuchRole", "--accounts", f"{spec.members[1].name},{MANAGEMENT}")
    run = report["run"]
    assert run["accounts_failed"] == [spec.members[1].account]
    assert {f["status"] for f in report["findings"] if f["resource"]["account"] == spec.members[1].account} == {
        "ERROR"}
    assert MANAGEMENT in run["accounts_audited"] and MANAGEMENT not in run["accounts_failed"]


@pytest.mark.parametrize("flags, words", [
    (("--accounts", "member-999"), "--accounts 'member-999' matches no member"),
    (("--exclude-accounts", "Nowhere"), "--exclude-accounts 'Nowhere' matches no member"),
    (("--member-role", "bad role/name"), "--member-role 'bad role/name' is not a CAM role name"),
    (("--role-arn", "qcs::cam::uin/300000000001:roleName/x"), "give --organization or --role-arn, not both"),
])
def test_a_filter_or_role_name_that_cannot_be_right_is_bad_input(run_org, capsys, flags, words):
    code, report = run_org(*flags)
    assert code == 2 and report == {}
    err = capsys.readouterr().err
    assert words in err and "Traceback" not in err


def test_auditor_policy_for_an_organization_adds_exactly_its_reads_and_assume_role_on_the_member_role(capsys):
    assert main(["auditor-policy", "--organization", "--member-role", "AuditReader"]) == 0
    policy = json.loads(capsys.readouterr().out)
    statements = policy["statement"]
    assert statements[0]["action"] == audit_actions()
    org_reads = [s for s in statements if s["action"] == organization_actions()]
    assert len(org_reads) == 1 and org_reads[0]["resource"] == ["*"]
    assert organization_actions() == ["name/organization:DescribeOrganization",
                                      "name/organization:DescribeOrganizationMembers",
                                      "name/organization:DescribeOrganizationNodes"]
    assume = [s for s in statements if s["action"] == ["name/sts:AssumeRole"]]
    assert assume == [{"effect": "allow", "action": ["name/sts:AssumeRole"],
                       "resource": ["qcs::cam::uin/*:roleName/AuditReader"]}]
    assert len(statements) == 3
    # Without --organization, no organization action is granted anywhere.
    assert main(["auditor-policy"]) == 0
    plain = capsys.readouterr().out
    assert "organization:" not in plain and "AssumeRole" not in plain


MEMBER = st.builds(Member, account=st.from_regex(r"[1-9][0-9]{3}", fullmatch=True),
                   name=st.sampled_from(["a", "b", "ops", "Pay"]), unit=st.sampled_from(["", "Prod", "Dev"]),
                   parent_units=st.sampled_from([(), ("Prod",), ("Root",)]))


@settings(max_examples=60, deadline=None)
@given(members=st.lists(MEMBER, min_size=1, max_size=8, unique_by=lambda m: m.account), data=st.data())
def test_selection_splits_the_members_into_chosen_and_excluded_by_any_matching_selector(members, data):
    pool = [m.account for m in members] + [m.name for m in members] + [m.unit for m in members if m.unit]
    wanted = data.draw(st.lists(st.sampled_from(pool), max_size=3))
    unwanted = data.draw(st.lists(st.sampled_from(pool), max_size=2))
    try:
        chosen = select(members, wanted, unwanted)
    except BadInput:  # only ever for a selector no member matches
        pytest.fail("every selector here names a member")
    picked = {m.account for m in chosen.chosen}
    left = {m.account for m, _ in chosen.excluded}
    assert picked | left == {m.account for m in members} and not picked & left
    for member in members:
        hoped = not wanted or any(member.matches(s) for s in wanted)
        assert (member.account in picked) == (hoped and not any(member.matches(s) for s in unwanted))


def test_accounts_without_organization_is_bad_input(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("TENCENTCLOUD_SECRET_ID", DEMO_SECRET_ID)
    monkeypatch.setenv("TENCENTCLOUD_SECRET_KEY", DEMO_SECRET_KEY)
    code = main(["run", "--accounts", "member-001", "--endpoint-url", "http://127.0.0.1:9", "--format", "json",
                 "--output", str(tmp_path / "r.json"), "--history", str(tmp_path / "h.db")])
    assert code == 2 and "add --organization" in capsys.readouterr().err


def test_a_selector_matching_nothing_is_refused_before_anything_is_left_out():
    with pytest.raises(BadInput, match="matches no member"):
        select([Member("1001", "ops", "Prod")], ["1002"])



def test_an_organization_run_is_a_role_arn_run_over_the_members_it_finds(org, monkeypatch):
    from dr_audit.collect.run import collect_live
    from dr_audit.options import RunOptions

    cloud, spec = org
    monkeypatch.setenv("TENCENTCLOUD_SECRET_ID", DEMO_SECRET_ID)
    monkeypatch.setenv("TENCENTCLOUD_SECRET_KEY", DEMO_SECRET_KEY)
    chosen = spec.members[1:4]
    where = {"endpoint_url": cloud.endpoint_url, "cos_endpoint_url": cloud.cos_endpoint_url}
    by_org = collect_live(RunOptions(organization=True, accounts=[m.name for m in chosen], **where))
    by_arn = collect_live(RunOptions(role_arns=[member_role_arn(m.account, DEFAULT_MEMBER_ROLE) for m in chosen],
                                     **where))

    def observed(estate) -> dict:
        return estate.model_dump(mode="json", exclude={"collected_at", "account_status"})

    assert observed(by_org) == observed(by_arn) and by_org.accounts == [m.account for m in chosen]
    # The same accounts audited; the organization run also knows their names and units, and who it left out.
    assert [(s.account, s.status) for s in by_arn.account_status] == [(m.account, "audited") for m in chosen]
    audited = [s for s in by_org.account_status if s.status == "audited"]
    assert [(s.account, s.name, s.unit) for s in audited] == [
        (m.account, m.name, next(u.name for u in spec.units if u.node_id == m.node_id)) for m in chosen]
