"""The Estate's lookups answer what a scan of its lists would, including after the lists grow."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from dr_audit.estate import CbsState, CvmState, Disk, Instance, Snapshot, SnapshotPolicy
from dr_audit.scope import Scope

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
    disk = Disk(account="a", disk_id="d1")
    assert [s.snapshot_id for s in cbs.taken_from(disk)] == ["s1", "s2"]
    cbs.snapshots.append(Snapshot(account="a", snapshot_id="s3", disk_id="d1", created_at=WHEN))
    assert [s.snapshot_id for s in cbs.taken_from(disk)] == ["s1", "s2", "s3"]
    cvm = CvmState()
    assert cvm.instance("ins-1") is None
    cvm.instances = [Instance(account="a", instance_id="ins-1")]
    assert cvm.instance("ins-1") is cvm.instances[0]


def test_a_caller_changing_the_answer_does_not_change_the_estate():
    cbs = CbsState(snapshots=[Snapshot(account="a", snapshot_id="s1", disk_id="d1", created_at=WHEN)])
    cbs.snapshots_of("d1").clear()
    assert len(cbs.snapshots_of("d1")) == 1
    disk = Disk(account="a", disk_id="d1")
    cbs.taken_from(disk).clear()
    assert len(cbs.taken_from(disk)) == 1



@settings(max_examples=100, deadline=None)
@given(snapshots=st.lists(st.tuples(st.sampled_from(["d1", "d2"]), st.sampled_from("ab"), st.sampled_from(["r1", "r2"]),
                                    st.booleans(), st.sampled_from(["NORMAL", "CREATING"])), max_size=12),
       disks=st.lists(st.tuples(st.sampled_from(["d1", "d2", "d3"]), st.sampled_from("ab"),
                                st.sampled_from(["r1", "r2"])), min_size=1, max_size=4))
def test_snapshots_taken_from_disks_are_those_a_scan_finds_in_estate_order(snapshots, disks):
    cbs = CbsState(snapshots=[Snapshot(account=a, region=r, snapshot_id=f"s{n}", disk_id=d, created_at=WHEN,
                                       copy_from_remote=copy, state=state)
                              for n, (d, a, r, copy, state) in enumerate(snapshots)])
    asked = [Disk(account=a, region=r, disk_id=d) for d, a, r in disks]

    def scan(disk: Disk) -> list[Snapshot]:
        return [s for s in cbs.snapshots if s.disk_id == disk.disk_id and s.account == disk.account
                and s.region == disk.region and not s.copy_from_remote]

    assert [(disk, taken) for disk, taken in cbs.taken_from_each(asked)] == [(disk, scan(disk)) for disk in asked]
    for disk in asked:
        assert cbs.taken_from(disk) == scan(disk)
        assert cbs.recovery_points_of(disk) == [s for s in scan(disk) if s.state == "NORMAL"]
        assert list(cbs.snapshots_by_disk().get(disk.disk_id, ())) == cbs.snapshots_of(disk.disk_id) == \
            [s for s in cbs.snapshots if s.disk_id == disk.disk_id]


_ENV_WORDS = ["prod", "PRD", "test", "qa", "dev", "other", " Prod "]


@settings(max_examples=100, deadline=None)
@given(hosts=st.lists(st.tuples(st.sampled_from(_ENV_WORDS + [None]), st.sampled_from(["web-prod-1", "db_qa", "x"])),
                      max_size=8),
       tag_key=st.sampled_from(["env", "Environment"]), aliases=st.lists(st.sampled_from(_ENV_WORDS), max_size=3),
       grown=st.booleans())
def test_environments_are_what_the_scope_tells_of_each_resource(hosts, tag_key, aliases, grown):
    scope = Scope(env_tag_key=tag_key, environments={"prod": ["production", *aliases], "test": ["qa"]})
    other = Scope()  # another scope, asked of the same state, gets its own answers
    cvm = CvmState(instances=[Instance(account="a", instance_id=f"ins-{n}", name=name,
                                       tags={} if env is None else {tag_key: env})
                              for n, (env, name) in enumerate(hosts)])
    cbs = CbsState(disks=[Disk(account="a", disk_id=f"disk-{n}", tags={} if env is None else {"env": env})
                          for n, (env, _) in enumerate(hosts)])
    for _ in range(2 if grown else 1):
        for asked in (scope, other, scope):
            assert cvm.environments(asked) == [asked.env_of(i.tags, i.name) for i in cvm.instances]
            assert cbs.environments(asked) == [asked.env_of(d.tags) for d in cbs.disks]
        cvm.instances.append(Instance(account="a", instance_id="ins-new", name="prod-box"))
        cbs.disks.append(Disk(account="a", disk_id="disk-new", tags={"env": "prod"}))
