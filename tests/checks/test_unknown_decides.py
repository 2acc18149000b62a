"""Checks answer ERROR, not PASS, when an attribute that decides their verdict is unknown (unreadable, absent from
a snapshot, or implausible), found by the snapshot information-loss matrix and the plausibility bounds."""

from __future__ import annotations

from datetime import timedelta

from dr_audit.estate import (
    Bucket,
    CamPolicy,
    CamState,
    CbsState,
    CosState,
    CvmState,
    Disk,
    Instance,
    LifecycleRule,
    Replication,
    ReplicationRule,
    SecurityGroup,
    SecurityGroupRule,
    Snapshot,
    SnapshotPolicy,
    SnapshotSchedule,
    Transition,
    Vpc,
    VpcState,
)

from ..conftest import ACCOUNT, NOW, by_resource, make_estate, run_check
from .test_offsite import MEDIA, cold_copy, estate_with, judge, target

REGION = "ap-shanghai"
UNKNOWN = "absent from snapshot"


def daily_disk(**unreadable: str) -> CbsState:
    disk = Disk(account=ACCOUNT, region=REGION, disk_id="disk-1", instance_id="ins-1", policy_ids=["p"],
                unreadable=unreadable)
    policy = SnapshotPolicy(account=ACCOUNT, region=REGION, policy_id="p", activated=True, retention_days=7,
                            schedules=[SnapshotSchedule(days_of_week=list(range(7)))])
    snapshot = Snapshot(account=ACCOUNT, region=REGION, snapshot_id="snap-1", disk_id="disk-1",
                        created_at=NOW - timedelta(hours=1))
    return CbsState(disks=[disk], policies=[policy], snapshots=[snapshot])


def test_a_disk_whose_instance_is_unknown_is_judged_as_an_error_not_left_out(registry):
    for check_id in ("cbs_daily_snapshot_policy", "cbs_snapshot_fresh"):
        assert by_resource(run_check(registry, check_id, make_estate(cbs=daily_disk()))) == {"disk-1": "PASS"}
        estate = make_estate(cbs=daily_disk(instance_id=UNKNOWN))
        estate.cbs.disks[0].instance_id = None
        assert by_resource(run_check(registry, check_id, estate)) == {"disk-1": "ERROR"}, check_id


def test_a_bound_policy_with_an_unknown_retention_is_an_error(registry):
    cbs = daily_disk()
    cbs.policies[0].unreadable["retention_days"] = UNKNOWN
    assert by_resource(run_check(registry, "cbs_daily_snapshot_policy", make_estate(cbs=cbs))) == {"disk-1": "ERROR"}


def test_a_prod_disk_whose_region_is_unknown_cannot_show_a_cross_region_copy(registry):
    cbs = daily_disk(region=UNKNOWN)
    cbs.disks[0].tags = {"env": "prod"}
    cbs.disks[0].region = ""  # the default a snapshot without the field would have given
    findings = run_check(registry, "cbs_snapshot_cross_region_copy", make_estate(cbs=cbs))
    assert by_resource(findings) == {"disk-1": "ERROR"}


def test_an_instance_in_an_unknown_vpc_keeps_every_vpc_of_its_account_from_passing(registry):
    vpcs = VpcState(vpcs=[Vpc(account=ACCOUNT, region=REGION, vpc_id="vpc-prod", tags={"env": "prod"})])
    placed = Instance(account=ACCOUNT, region=REGION, instance_id="ins-1", vpc_id="vpc-prod", tags={"env": "prod"})
    lost = Instance(account=ACCOUNT, region=REGION, instance_id="ins-2", tags={"env": "dev"},
                    unreadable={"vpc_id": UNKNOWN})
    clean = make_estate(vpc=vpcs, cvm=CvmState(instances=[placed]))
    assert by_resource(run_check(registry, "vpc_environment_isolation", clean)) == {"vpc-prod": "PASS"}
    doubtful = make_estate(vpc=vpcs, cvm=CvmState(instances=[placed, lost]))
    assert by_resource(run_check(registry, "vpc_environment_isolation", doubtful)) == {"vpc-prod": "ERROR",
                                                                                        "ins-2": "ERROR"}


def test_a_vpc_whose_tags_are_unknown_may_be_non_prod_so_prod_groups_cannot_pass(registry):
    prod_group = SecurityGroup(account=ACCOUNT, region=REGION, security_group_id="sg-prod", tags={"env": "prod"},
                               ingress=[SecurityGroupRule(protocol="tcp", port="22", cidr="10.1.0.0/16")])
    other = Vpc(account=ACCOUNT, region=REGION, vpc_id="vpc-x", cidr="10.1.0.0/16", unreadable={"tags": UNKNOWN})
    estate = make_estate(vpc=VpcState(vpcs=[other], security_groups=[prod_group]))
    assert by_resource(run_check(registry, "sg_no_cross_environment_ingress", estate))["sg-prod"] == "ERROR"


def test_separation_of_duties_clears_no_destroyer_while_a_data_domain_is_unknown(registry):
    admin = CamPolicy(account=ACCOUNT, policy_id="1", name="all", kind="custom",
                      document={"version": "2.0", "statement": [{"effect": "allow", "action": ["*"],
                                                                 "resource": ["*"]}]})
    from dr_audit.estate import CamUser

    user = CamUser(account=ACCOUNT, uin="2", name="ops", policy_ids=["1"])
    disk = Disk(account=ACCOUNT, region=REGION, disk_id="disk-1", instance_id="ins-1",
                unreadable={"tags": UNKNOWN})
    snapshot = Snapshot(account=ACCOUNT, region=REGION, snapshot_id="snap-1", disk_id="disk-1", created_at=NOW)
    instance = Instance(account=ACCOUNT, region=REGION, instance_id="ins-1")
    estate = make_estate(cam=CamState(users=[user], policies=[admin]), cvm=CvmState(instances=[instance]),
                         cbs=CbsState(disks=[disk], snapshots=[snapshot]))
    findings = {f.resource.id: f for f in run_check(registry, "cam_separation_of_duties", estate)}
    assert findings["ops"].status.value == "ERROR" and "disk-1" in findings["ops"].message
    estate.cbs.disks[0].unreadable = {}  # readable and untagged: not production, nothing to destroy
    assert by_resource(run_check(registry, "cam_separation_of_duties", estate))["ops"] == "PASS"


def test_a_bucket_whose_region_is_unknown_cannot_prove_a_cross_region_copy(registry):
    rule = ReplicationRule(destination_bucket="data-dr-1250000001", destination_region="ap-beijing")
    source = Bucket(account=ACCOUNT, region="", name="data-1250000001", replication=Replication(rules=[rule]),
                    unreadable={"region": UNKNOWN})
    estate = make_estate(cos=CosState(buckets=[source]))
    findings = run_check(registry, "cos_cross_region_replication", estate, min_regions=2, required_regions=[])
    assert by_resource(findings)["data-1250000001"] == "ERROR"


def test_an_unknown_lifecycle_proves_no_route_to_cold_storage(registry):
    cold = [LifecycleRule(transitions=[Transition(days=1, storage_class="ARCHIVE")])]
    backup = Bucket(account=ACCOUNT, region=REGION, name="copy-1250000001", tags={"dr-audit:role": "backup"},
                    lifecycle=cold)
    estate = make_estate(cos=CosState(buckets=[backup]))
    assert by_resource(run_check(registry, "cos_cold_storage_tier", estate))["copy-1250000001"] == "PASS"
    backup.unreadable["lifecycle"] = "implausible value lifecycle[0].transitions[0].days = -1, below 0"
    assert by_resource(run_check(registry, "cos_cold_storage_tier", estate))["copy-1250000001"] == "ERROR"


def test_an_offsite_object_dated_after_the_collection_proves_no_fresh_copy(registry):
    estate = estate_with(cold_copy("media-offsite", MEDIA, newest_object_at=NOW + timedelta(days=30)))
    assert judge(registry, estate, [target(MEDIA, "media-offsite")]) == {MEDIA: "ERROR"}
