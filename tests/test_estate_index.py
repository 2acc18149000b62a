"""The Estate's lookups answer what a scan of its lists would, including after the lists grow."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from dr_audit.estate import CbsState, CvmState, Disk, Instance, Snapshot, SnapshotPolicy

WHEN = datetime(2026, 11, 1, tzinfo=UTC)


@settings(max_examples=100, deadline=None)
@given(pairs=st.lists(st.tuples(st.sampled_from("abcd"), st.sampled_from("xyz")), max_size=12),
       bound=st.lists(st.sampled_from("xyzw"), max_size=4), account=st.sampled_from("ab"))
def test_policies_of_a_disk_are_those_a_scan_finds_in_estate_order(pairs, bound, account):
    policies = [SnapshotPolicy(account=a, policy_id=p, region="r") for a, p in pairs]
    state = CbsState(policies=policies)
    disk = Disk(account=account, disk_id="disk-1", policy_ids=bound)
    assert state.policies_of(disk) == [p for p in policies if p.account == account and p.policy_id in set(bound)]


def test_lookups_see_resources_added_after_the_first_lookup():
    cbs = CbsState(snapshots=[Snapshot(account="a", snapshot_id="s1", disk_id="d1", created_at=WHEN)])
    assert [s.snapshot_id for s in cbs.snapshots_of("d1")] == ["s1"]
    cbs.snapshots.append(Snapshot(account="a", snapshot_id="s2", disk_id="d1", created_at=WHEN))
    assert [s.snapshot_id for s in cbs.snapshots_of("d1")] == ["s1", "s2"]
    cvm = CvmState()
    assert cvm.instance("ins-1") is None
    cvm.instances = [Instance(account="a", instance_id="ins-1")]
    assert cvm.instance("ins-1") is cvm.instances[0]


def test_a_caller_changing_the_answer_does_not_change_the_estate():
    cbs = CbsState(snapshots=[Snapshot(account="a", snapshot_id="s1", disk_id="d1", created_at=WHEN)])
    cbs.snapshots_of("d1").clear()
    assert len(cbs.snapshots_of("d1")) == 1

