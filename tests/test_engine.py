"""The engine's fail-closed rules, exercised with small checks registered in a private registry."""

from __future__ import annotations

from collections.abc import Iterator

from hypothesis import given, settings
from hypothesis import strategies as st

from dr_audit.engine import _merge, evaluate
from dr_audit.estate import CbsState, Disk, Estate, ResourceRef, account_ref
from dr_audit.findings import Result, Severity, finding_id
from dr_audit.packs import PackCheck, PromisePack
from dr_audit.registry import ALL_SOURCES, EVIDENCE_SOURCES, CheckParams, CheckSpec, Registry

from .conftest import ACCOUNT, gap, make_estate


def disks_check(estate: Estate, params: CheckParams) -> Iterator[Result]:
    for disk in estate.cbs.disks:
        yield Result.fail(disk, "bad") if disk.tags.get("bad") else Result.ok(disk)


def crashing_check(estate: Estate, params: CheckParams) -> Iterator[Result]:
    raise KeyError("boom")
    yield  # pragma: no cover


def spec(check_id: str, function=disks_check, requires=("cbs",), sources=ALL_SOURCES) -> CheckSpec:
    return CheckSpec(id=check_id, title=check_id, promise="W2.3", severity=Severity.HIGH, remediation="fix {x}",
                     requires=requires, params=CheckParams, sources=frozenset(sources), function=function)


def run(estate: Estate, *specs: CheckSpec):
    registry = Registry()
    for s in specs:
        registry.add(s)
    pack = PromisePack(name="t", checks={s.id: PackCheck() for s in specs})
    return evaluate(estate, pack, registry)


def disk(disk_id: str, region: str = "ap-shanghai", **tags: str) -> Disk:
    return Disk(account=ACCOUNT, region=region, disk_id=disk_id, instance_id="ins-1", tags=tags)


def test_results_in_a_gap_region_are_replaced_by_one_error_and_others_stand():
    estate = make_estate(cbs=CbsState(disks=[disk("d-sh", bad="1"), disk("d-bj", region="ap-beijing")]),
                         gaps=[gap("cbs", region="ap-beijing")])
    findings = run(estate, spec("c")).findings
    assert sorted((f.resource.type, f.resource.region, f.status.value) for f in findings) == [
        ("cbs.disk", "ap-shanghai", "FAIL"), ("service", "ap-beijing", "ERROR")]


def test_a_global_gap_suppresses_every_region_so_nothing_passes():
    estate = make_estate(cbs=CbsState(disks=[disk("d-sh"), disk("d-bj", region="ap-beijing")]), gaps=[gap("cbs")])
    findings = run(estate, spec("c")).findings
    assert [f.status.value for f in findings] == ["ERROR"]
    assert "could not be read" in findings[0].message


def test_a_service_not_collected_is_error_for_live_and_not_applicable_for_plans():
    estate = make_estate(services=["cam"])
    assert [f.status.value for f in run(estate, spec("c")).findings] == ["ERROR"]
    planned = estate.model_copy(update={"source": "plan"})
    evaluation = run(planned, spec("c"))
    assert evaluation.findings == [] and not evaluation.outcomes[0].applicable


def test_evidence_checks_do_not_apply_to_plans():
    estate = make_estate(source="plan")
    evaluation = run(estate, spec("c", sources=EVIDENCE_SOURCES))
    assert evaluation.findings == [] and evaluation.outcomes[0].note.startswith("does not apply")


def test_a_crashing_check_is_an_error_never_a_pass():
    findings = run(make_estate(), spec("c", function=crashing_check)).findings
    assert [(f.status.value, f.resource.type) for f in findings] == [("ERROR", "account")]
    assert "KeyError" in findings[0].message


def test_a_check_naming_its_resource_with_something_not_text_is_an_error_never_a_crash():
    def untyped_ref(estate: Estate, params: CheckParams) -> Iterator[Result]:
        yield Result.ok(ResourceRef(type="cvm.app", id=None, region="ap-shanghai", account=ACCOUNT))  # type: ignore

    findings = run(make_estate(), spec("c", function=untyped_ref)).findings
    assert [f.status.value for f in findings] == ["ERROR"]
    assert "check failed to evaluate: TypeError" in findings[0].message


def test_nothing_to_examine_passes_with_a_zero_count_only_when_readable():
    evaluation = run(make_estate(), spec("c"))
    assert [f.status.value for f in evaluation.findings] == ["PASS"]
    assert evaluation.outcomes[0].examined == 0 and evaluation.findings[0].evidence["examined"] == 0
    assert evaluation.findings[0].message.startswith("0 examined")


def test_nothing_to_examine_is_an_error_when_any_account_could_not_be_read():
    # A gap in another account still means the emptiness was not read completely for every account in scope.
    other = "200000000002"
    estate = make_estate(accounts=[ACCOUNT, other], gaps=[gap("cbs").model_copy(update={"account": other})])
    findings = run(estate, spec("c")).findings
    assert [f.status.value for f in findings] == ["ERROR"]
    assert "could not be read" in findings[0].message


def test_nothing_to_examine_in_a_service_not_collected_is_an_error_naming_it():
    findings = run(make_estate(services=["cvm"]), spec("c")).findings
    assert [f.status.value for f in findings] == ["ERROR"]
    assert "cbs was not collected" in findings[0].message


def test_an_estate_naming_no_account_passes_nothing_but_keeps_its_failures():
    estate = make_estate(accounts=[], cbs=CbsState(disks=[disk("d-good"), disk("d-bad", bad="1")]))
    findings = {f.resource.id: f for f in run(estate, spec("c")).findings}
    assert findings["d-bad"].status.value == "FAIL"
    assert findings["d-good"].status.value == "ERROR"
    assert "identifies no account" in findings["d-good"].message


def test_an_estate_naming_no_account_with_nothing_to_examine_is_an_error():
    findings = run(make_estate(accounts=[]), spec("c")).findings
    assert [f.status.value for f in findings] == ["ERROR"]


def test_duplicate_results_merge_worst_first_and_ids_are_stable():
    def twice(estate: Estate, params: CheckParams) -> Iterator[Result]:
        yield Result.ok(account_ref(ACCOUNT))
        yield Result.fail(account_ref(ACCOUNT), "second look failed")

    first = run(make_estate(), spec("c", function=twice)).findings
    second = run(make_estate(), spec("c", function=twice)).findings
    assert [f.status.value for f in first] == ["FAIL"]
    assert first[0].id == second[0].id == finding_id("c", account_ref(ACCOUNT))
    assert first[0].remediation == "fix {x}"


def test_a_check_naming_no_inventory_is_judged_as_needing_every_one():
    def account_check(estate: Estate, params: CheckParams) -> Iterator[Result]:
        for account in estate.accounts:
            yield Result.ok(account_ref(account), "fine")

    readable = run(make_estate(), spec("acct", account_check, requires=())).findings
    assert [f.status.value for f in readable] == ["PASS"]
    blind = run(make_estate(gaps=[gap("cvm")]), spec("acct", account_check, requires=())).findings
    assert [f.status.value for f in blind] == ["ERROR"]
    assert "cvm" in blind[0].message


def test_checks_declaring_promises_of_any_spelling_are_ordered_without_error():
    specs = [spec("a"), CheckSpec(id="b", title="b", promise="W²", severity=Severity.HIGH, remediation="",
                                  requires=("cbs",), params=CheckParams, sources=frozenset(ALL_SOURCES),
                                  function=disks_check)]
    registry = Registry()
    for s in specs:
        registry.add(s)
    assert registry.ids() == ["b", "a"]  # "W²" has no number: it sorts as 0, before W2.3


def _plain_merge(results: list[Result]) -> list[tuple[str, str, str, str, str, str]]:
    """The merge as the contract states it: one result per (account, region, type, id), the worst status winning
    (FAIL over PASS, ERROR over both), equal statuses keeping each distinct message once, in first-seen order."""
    weight = {"PASS": 0, "MANUAL": 1, "FAIL": 2, "WAIVED": 2, "ERROR": 3}
    kept: dict[tuple[str, str, str, str], tuple[str, str]] = {}
    for result in results:
        ref = result.resource
        key = (ref.account, ref.region, ref.type, ref.id)
        status, message = str(result.status), result.message
        if key not in kept:
            kept[key] = (status, message)
            continue
        old_status, old_message = kept[key]
        if weight[status] > weight[old_status]:
            worse, other = (status, message), (old_status, old_message)
        else:
            worse, other = (old_status, old_message), (status, message)
        if other[0] == worse[0] and other[1] and other[1] not in worse[1]:
            worse = (worse[0], f"{worse[1]}; {other[1]}" if worse[1] else other[1])
        kept[key] = worse
    return [(*key, *value) for key, value in kept.items()]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["1", "2"]), st.sampled_from(["", "ap-beijing"]),
                          st.sampled_from(["cbs.disk", "cvm.instance"]), st.sampled_from(["a", "b", "c", "d"]),
                          st.sampled_from(["PASS", "FAIL", "ERROR", "MANUAL"]), st.sampled_from(["", "x", "y"])),
                max_size=12))
def test_merging_gives_one_result_per_resource_whatever_ids_repeat(rows):
    # The engine settles distinct ids without keys; repeated ids (within or across accounts, regions and types)
    # merge by the full place.
    factories = {"PASS": Result.ok, "FAIL": Result.fail, "ERROR": Result.error, "MANUAL": Result.manual}
    results = [factories[status](ResourceRef(type_, id_, region, account), message)
               for account, region, type_, id_, status, message in rows]
    expected = _plain_merge(results)
    merged = _merge(results)
    assert [(r.resource.account, r.resource.region, r.resource.type, r.resource.id, str(r.status), r.message)
            for r in merged] == expected
