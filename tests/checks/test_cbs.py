from datetime import UTC, datetime, timedelta, timezone, tzinfo

from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter

from dr_audit.estate import CbsState, CvmState, Disk, Instance, Snapshot, SnapshotPolicy, SnapshotSchedule
from dr_audit.registry import load_registry

from ..conftest import ACCOUNT, NOW, by_resource, gap, make_estate, run_check, scenario_findings

DAILY = [SnapshotSchedule(days_of_week=list(range(7)), hours=[2])]


def disk(disk_id: str, *policy_ids: str, **extra) -> Disk:
    values = {"region": "ap-shanghai", "instance_id": "ins-1", "attached": True} | extra
    return Disk(account=ACCOUNT, disk_id=disk_id, policy_ids=list(policy_ids), **values)


def policy(policy_id: str, **fields) -> SnapshotPolicy:
    values = {"activated": True, "state": "NORMAL", "schedules": DAILY, "retention_days": 7} | fields
    return SnapshotPolicy(account=ACCOUNT, region="ap-shanghai", policy_id=policy_id, **values)


def test_daily_policy_passes_and_missing_or_weak_policies_fail(registry):
    estate = make_estate(cbs=CbsState(
        disks=[disk("disk-ok", "asp-daily"), disk("disk-none"), disk("disk-weekly", "asp-weekly"),
               disk("disk-short", "asp-short"), disk("disk-off", "asp-off")],
        policies=[policy("asp-daily"), policy("asp-weekly", schedules=[SnapshotSchedule(days_of_week=[0])]),
                  policy("asp-short", retention_days=3), policy("asp-off", activated=False)],
    ))
    assert by_resource(run_check(registry, "cbs_daily_snapshot_policy", estate)) == {
        "disk-ok": "PASS", "disk-none": "FAIL", "disk-weekly": "FAIL", "disk-short": "FAIL", "disk-off": "FAIL",
    }


def test_retention_parameter_is_honoured(registry):
    estate = make_estate(cbs=CbsState(disks=[disk("disk-1", "asp-1")], policies=[policy("asp-1", retention_days=10)]))
    assert by_resource(run_check(registry, "cbs_daily_snapshot_policy", estate, min_retention_days=14)) == {
        "disk-1": "FAIL"}


def test_unreadable_bindings_and_regions_are_errors_never_pass(registry):
    estate = make_estate(
        cbs=CbsState(disks=[disk("disk-1", unreadable={"policy_ids": "RequestLimitExceeded"}),
                            disk("disk-2", "asp-gone")]),
        gaps=[gap("cbs", region="ap-beijing")],
    )
    findings = run_check(registry, "cbs_daily_snapshot_policy", estate)
    assert {f.status.value for f in findings} == {"ERROR"}
    assert len(findings) == 3


# --- cbs_snapshot_fresh -------------------------------------------------------------------------------------------

BEIJING = timezone(timedelta(hours=8))


def snap(snapshot_id: str, disk_id: str, age: timedelta, region: str = "ap-shanghai", **extra) -> Snapshot:
    return Snapshot(account=ACCOUNT, region=region, snapshot_id=snapshot_id, disk_id=disk_id,
                    created_at=NOW - age, **extra)


def test_fresh_snapshot_passes_and_stale_missing_or_unfinished_fail(registry):
    estate = make_estate(cbs=CbsState(
        disks=[disk("disk-fresh"), disk("disk-stale"), disk("disk-none"), disk("disk-creating"),
               disk("disk-copy-only")],
        snapshots=[snap("snap-a", "disk-fresh", timedelta(hours=3)),
                   snap("snap-old", "disk-fresh", timedelta(days=9)),  # an older one must not hide the new one
                   snap("snap-b", "disk-stale", timedelta(hours=27)),
                   snap("snap-c", "disk-creating", timedelta(hours=1), state="CREATING"),
                   # a copy in another region is not the disk's own recovery point
                   snap("snap-d", "disk-copy-only", timedelta(hours=1), region="ap-beijing", copy_from_remote=True)],
    ))
    findings = run_check(registry, "cbs_snapshot_fresh", estate)
    assert by_resource(findings) == {"disk-fresh": "PASS", "disk-stale": "FAIL", "disk-none": "FAIL",
                                     # an older completed snapshot may exist: not provably stale, not fresh
                                     "disk-creating": "ERROR", "disk-copy-only": "FAIL"}
    stale = next(f for f in findings if f.resource.id == "disk-stale")
    assert "27.0 h old" in stale.message and stale.evidence["snapshot"] == "snap-b"


def test_freshness_is_judged_at_collection_time_with_the_rpo_parameter(registry):
    estate = make_estate(cbs=CbsState(disks=[disk("disk-1")],
                                      snapshots=[snap("snap-1", "disk-1", timedelta(hours=20))]))
    assert by_resource(run_check(registry, "cbs_snapshot_fresh", estate)) == {"disk-1": "PASS"}
    assert by_resource(run_check(registry, "cbs_snapshot_fresh", estate, rpo_hours=12)) == {"disk-1": "FAIL"}
    later = estate.model_copy(update={"collected_at": NOW + timedelta(hours=7)})
    assert by_resource(run_check(registry, "cbs_snapshot_fresh", later)) == {"disk-1": "FAIL"}


def test_beijing_times_compare_as_the_same_instant(registry):
    # 20 h ago expressed in UTC+8 is still 20 h ago; an aware time in any zone compares correctly.
    taken = (NOW - timedelta(hours=20)).astimezone(BEIJING)
    estate = make_estate(cbs=CbsState(disks=[disk("disk-1")], snapshots=[
        Snapshot(account=ACCOUNT, region="ap-shanghai", snapshot_id="snap-1", disk_id="disk-1", created_at=taken)]))
    assert by_resource(run_check(registry, "cbs_snapshot_fresh", estate)) == {"disk-1": "PASS"}


def test_unreadable_or_untrustworthy_snapshot_times_are_errors(registry):
    naive = (NOW - timedelta(hours=2)).replace(tzinfo=None)
    estate = make_estate(
        cbs=CbsState(
            disks=[disk("disk-denied", unreadable={"snapshots": "UnauthorizedOperation"}), disk("disk-naive"),
                   disk("disk-future"), disk("disk-beijing-gap", region="ap-beijing")],
            snapshots=[Snapshot(account=ACCOUNT, region="ap-shanghai", snapshot_id="snap-n", disk_id="disk-naive",
                                created_at=naive),
                       # Beijing wall-clock time mislabelled as UTC lands 8 h in the future
                       snap("snap-f", "disk-future", -timedelta(hours=8))],
        ),
        gaps=[gap("cbs", region="ap-beijing")],
    )
    findings = run_check(registry, "cbs_snapshot_fresh", estate)
    assert by_resource(findings) == {"disk-denied": "ERROR", "disk-naive": "ERROR", "disk-future": "ERROR",
                                     "cbs": "ERROR"}
    assert any("time zone" in f.message for f in findings if f.resource.id == "disk-future")


# --- cbs_snapshot_cross_region_copy -------------------------------------------------------------------------------

def instance(instance_id: str, env: str | None, **extra) -> Instance:
    tags = {"env": env} if env else {}
    return Instance(account=ACCOUNT, region="ap-shanghai", instance_id=instance_id, zone="ap-shanghai-2", tags=tags,
                    **extra)


def prod_disk(disk_id: str, instance_id: str = "ins-prod", **extra) -> Disk:
    return Disk(account=ACCOUNT, region="ap-shanghai", disk_id=disk_id, instance_id=instance_id, attached=True,
                **extra)


def copy(snapshot_id: str, disk_id: str, age: timedelta, region: str = "ap-beijing", **extra) -> Snapshot:
    return snap(snapshot_id, disk_id, age, region=region, copy_from_remote=True, **extra)


def test_prod_disks_with_recent_copies_pass_and_others_fail(registry):
    estate = make_estate(
        cvm=CvmState(instances=[instance("ins-prod", "prod"), instance("ins-dev", "dev")]),
        cbs=CbsState(
            disks=[prod_disk("disk-copied"), prod_disk("disk-stale-copy"), prod_disk("disk-no-copy"),
                   prod_disk("disk-in-flight"), prod_disk("disk-dev", "ins-dev"),
                   # its own tag makes it prod even on a dev host
                   prod_disk("disk-tagged", "ins-dev", tags={"env": "production"})],
            snapshots=[snap("s1", "disk-copied", timedelta(hours=5)), copy("c1", "disk-copied", timedelta(hours=4)),
                       copy("c2", "disk-stale-copy", timedelta(days=30)),
                       snap("s3", "disk-no-copy", timedelta(hours=5)),
                       snap("s4", "disk-in-flight", timedelta(hours=1), copying_to_regions=["ap-nanjing"]),
                       snap("s5", "disk-tagged", timedelta(hours=5))],
        ),
    )
    findings = run_check(registry, "cbs_snapshot_cross_region_copy", estate)
    assert by_resource(findings) == {"disk-copied": "PASS", "disk-stale-copy": "FAIL", "disk-no-copy": "FAIL",
                                     "disk-in-flight": "FAIL", "disk-tagged": "FAIL"}
    stale = next(f for f in findings if f.resource.id == "disk-stale-copy")
    assert "ap-beijing is 30.0 days old" in stale.message
    in_flight = next(f for f in findings if f.resource.id == "disk-in-flight")
    assert "still in progress" in in_flight.message


def test_copy_parameters_are_honoured(registry):
    estate = make_estate(
        cvm=CvmState(instances=[instance("ins-prod", "prod")]),
        cbs=CbsState(disks=[prod_disk("disk-1"), prod_disk("disk-2")],
                     snapshots=[copy("c1", "disk-1", timedelta(days=5)),
                                snap("s2", "disk-2", timedelta(hours=2), copying_to_regions=["ap-beijing"])]),
    )
    assert by_resource(run_check(registry, "cbs_snapshot_cross_region_copy", estate, max_copy_age_hours=24 * 7,
                                 count_copies_in_progress=True)) == {"disk-1": "PASS", "disk-2": "PASS"}
    assert by_resource(run_check(registry, "cbs_snapshot_cross_region_copy", estate, max_copy_age_hours=24 * 7,
                                 min_copy_regions=2)) == {"disk-1": "FAIL", "disk-2": "FAIL"}


def test_copy_check_errors_when_environment_or_copies_cannot_be_read(registry):
    estate = make_estate(
        cvm=CvmState(instances=[instance("ins-prod", "prod"),
                                instance("ins-unknown", None, unreadable={"tags": "DescribeInstances throttled"})]),
        cbs=CbsState(disks=[prod_disk("disk-env-unknown", "ins-unknown"), prod_disk("disk-orphan", "ins-gone"),
                            prod_disk("disk-copies-unread")],
                     snapshots=[snap("s1", "disk-copies-unread", timedelta(hours=2))]),
        gaps=[gap("cbs", region="ap-nanjing")],
    )
    findings = run_check(registry, "cbs_snapshot_cross_region_copy", estate)
    assert by_resource(findings) == {"disk-env-unknown": "ERROR", "disk-orphan": "ERROR",
                                     "disk-copies-unread": "ERROR", "cbs": "ERROR"}
    unread = next(f for f in findings if f.resource.id == "disk-copies-unread")
    assert "ap-nanjing" in unread.message


def test_copy_check_needs_the_cvm_inventory(registry):
    estate = make_estate(services=["cbs"], cbs=CbsState(disks=[prod_disk("disk-1")]))
    assert {f.status.value for f in run_check(registry, "cbs_snapshot_cross_region_copy", estate)} == {"ERROR"}


# --- scenarios ----------------------------------------------------------------------------------------------------

CBS_CHECKS = ["cbs_daily_snapshot_policy", "cbs_snapshot_fresh", "cbs_snapshot_cross_region_copy"]


def test_hardened_scenario_keeps_every_snapshot_promise(registry):
    findings = scenario_findings(registry, "hardened", CBS_CHECKS)
    assert {f.check_id for f in findings} == set(CBS_CHECKS)
    assert [f for f in findings if f.status.value != "PASS"] == []


def test_weimob_2020_scenario_breaks_the_snapshot_promises(registry):
    findings = scenario_findings(registry, "weimob-2020", CBS_CHECKS)
    failed = {(f.check_id, f.resource.id) for f in findings if f.status.value == "FAIL"}
    assert {f.status.value for f in findings} <= {"PASS", "FAIL"}
    # the weekly CRM policy and the unbound test/dev disks; the 3-day mall policy still snapshots daily
    assert ("cbs_snapshot_fresh", "disk-data-crm00001") in failed
    assert ("cbs_snapshot_fresh", "disk-sys-dev00001") in failed
    assert ("cbs_snapshot_fresh", "disk-data-mall0001") not in failed
    assert ("cbs_daily_snapshot_policy", "disk-data-mall0001") in failed
    # every production disk lacks a recent copy in another region; non-production disks are not judged
    copy_results = {f.resource.id: f.status.value for f in findings if f.check_id == "cbs_snapshot_cross_region_copy"}
    assert set(copy_results.values()) == {"FAIL"} and len(copy_results) == 8


class _Naive(tzinfo):
    """A zone that names no offset: times in it are naive, whatever object they share."""

    def utcoffset(self, dt: datetime | None) -> timedelta | None:
        return None

    def dst(self, dt: datetime | None) -> timedelta | None:
        return None


_PARSED = TypeAdapter(datetime)
_NAIVE = _Naive()
_ZONES = [None, UTC, timezone(timedelta(hours=8)), _NAIVE, _PARSED.validate_python("2026-01-01T00:00:00Z").tzinfo]


def _plain_age_at(moment: datetime, now: datetime) -> timedelta | str:
    """How old `moment` was at `now` as the check promises it, asking every time for its offset."""
    if moment.utcoffset() is None:
        return f"time {moment.isoformat()} carries no time zone"
    age = now - moment
    if age < -timedelta(hours=1):
        return f"time {moment.isoformat()} is {-age} after the collection (time zone misread?)"
    return max(age, timedelta(0))


@settings(max_examples=200, deadline=None)
@given(offset=st.integers(-3 * 3600, 5 * 86400), zone=st.sampled_from(_ZONES),
       now_zone=st.sampled_from([z for z in _ZONES if z is not None and z is not _NAIVE]), same=st.booleans())
def test_a_snapshot_age_is_told_as_asking_its_offset_would(offset, zone, now_zone, same):
    # age_at skips asking a time's offset when it shares the collection's fixed-offset zone: never a different
    # answer, and a zone naming no offset is never taken for one, even when shared.
    load_registry()  # the built-in checks load as the dr_audit_checks package
    from dr_audit_checks.cbs import age_at

    now = datetime(2026, 12, 4, 12, tzinfo=now_zone)
    moment = (now - timedelta(seconds=offset)).replace(tzinfo=now_zone if same else zone)
    if same and zone is _NAIVE:
        now, moment = now.replace(tzinfo=_NAIVE), moment.replace(tzinfo=_NAIVE)
    try:
        expected: timedelta | str = _plain_age_at(moment, now)
    except TypeError:  # a naive collection time with an aware snapshot time: both must refuse alike
        expected = "TypeError"
    try:
        got: timedelta | str = age_at(moment, now)
    except TypeError:
        got = "TypeError"
    assert got == expected
