"""A drill's recovery point of a disk is the snapshot cbs_snapshot_fresh judges: one definition, never a copy."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from dr_audit.drill.evidence import Scoped, recovery_points
from dr_audit.drill.plan import load_plan
from dr_audit.estate import CbsState, Disk, Estate, Snapshot
from dr_audit.registry import load_registry

from ..conftest import run_check
from .conftest import ACCOUNT, PLAN

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
HOME, AWAY = "ap-shanghai", "ap-beijing"
REGISTRY = load_registry()


def disk() -> Disk:
    return Disk(account=ACCOUNT, region=HOME, disk_id="disk-1", attached=True, instance_id="ins-1")


def estate_with(*snapshots: Snapshot) -> Estate:
    return Estate(source="snapshot", collected_at=NOW, accounts=[ACCOUNT], regions=[HOME, AWAY],
                  cbs=CbsState(disks=[disk()], snapshots=list(snapshots)))


def disk_point(estate: Estate, tmp_path: Path) -> dict:
    plan_file = tmp_path / "plan.yaml"
    plan_file.write_text(PLAN.format(kind="monthly"), encoding="utf-8")
    evidence = recovery_points(Scoped(estate, load_plan(plan_file)), NOW, None, "no reader in this test")
    [point] = [p for p in evidence["points"] if p["resource_id"] == "disk-1"]
    return point


def test_a_cross_region_copy_is_not_a_recovery_point_of_its_disk(tmp_path):
    # The copy was made an hour ago of data from three days ago: the disk's recovery point is three days old.
    local = Snapshot(account=ACCOUNT, region=HOME, snapshot_id="snap-local", disk_id="disk-1",
                     created_at=NOW - timedelta(days=3))
    copy = Snapshot(account=ACCOUNT, region=AWAY, snapshot_id="snap-copy", disk_id="disk-1",
                    created_at=NOW - timedelta(hours=1), copy_from_remote=True)
    point = disk_point(estate_with(local, copy), tmp_path)
    assert point["point_id"] == "snap-local"
    assert point["age_minutes"] == 3 * 24 * 60 and point["within_target"] is False


def test_only_a_copy_means_no_recovery_point(tmp_path):
    copy = Snapshot(account=ACCOUNT, region=AWAY, snapshot_id="snap-copy", disk_id="disk-1",
                    created_at=NOW - timedelta(hours=1), copy_from_remote=True)
    point = disk_point(estate_with(copy), tmp_path)
    assert point["point_id"] is None and point["within_target"] is None


SNAPSHOTS = st.lists(st.builds(
    lambda n, region, account, copied, state, hours: Snapshot(
        account=account, region=region, snapshot_id=f"snap-{n}", disk_id="disk-1",
        created_at=NOW - timedelta(hours=hours), copy_from_remote=copied, state=state),
    st.integers(0, 10**6), st.sampled_from([HOME, AWAY]), st.sampled_from([ACCOUNT, "100000000002"]), st.booleans(),
    st.sampled_from(["NORMAL", "NORMAL", "CREATING"]), st.integers(0, 24 * 10)),
    max_size=5, unique_by=lambda s: s.snapshot_id)


@settings(max_examples=60, deadline=None)
@given(SNAPSHOTS)
def test_the_drill_and_the_freshness_check_name_the_same_newest_snapshot(tmp_path_factory, snapshots):
    estate = estate_with(*snapshots)
    [finding] = run_check(REGISTRY, "cbs_snapshot_fresh", estate)
    point = disk_point(estate, tmp_path_factory.mktemp("plan"))
    if finding.status.value in ("PASS", "FAIL") and "snapshot" in finding.evidence:
        checked = finding.evidence["snapshot"]
        assert point["point_id"] is not None
        dated = {s.snapshot_id: s.created_at for s in snapshots}
        assert dated[point["point_id"]] == dated[checked]  # ties between equal times may pick either
    else:  # the check found no completed snapshot of its own: neither may the drill
        assert point["point_id"] is None
