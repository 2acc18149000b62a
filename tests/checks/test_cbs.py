from dr_audit.estate import CbsState, Disk, SnapshotPolicy, SnapshotSchedule

from ..conftest import ACCOUNT, by_resource, gap, make_estate, run_check

DAILY = [SnapshotSchedule(days_of_week=list(range(7)), hours=[2])]


def disk(disk_id: str, *policy_ids: str, **extra) -> Disk:
    return Disk(account=ACCOUNT, region="ap-shanghai", disk_id=disk_id, instance_id="ins-1", attached=True,
                policy_ids=list(policy_ids), **extra)


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
