from dr_audit.estate import AuditTrack, Bucket, CloudAuditState, CosState, ObjectLock

from ..conftest import ACCOUNT, by_resource, gap, make_estate, run_check, scenario_findings

CHECK = "cloudaudit_tracking_enabled"
LOCKED = ObjectLock(enabled=True, mode="COMPLIANCE", days=180)


def track(track_id: str = "1", **fields) -> AuditTrack:
    values = {"name": f"track-{track_id}", "status": 1, "action_type": "*", "resource_type": "*",
              "event_names": ["*"], "storage_type": "cos", "storage_region": "ap-shanghai",
              "storage_name": "audit-logs"} | fields
    return AuditTrack(account=ACCOUNT, track_id=track_id, **values)


def bucket(name: str = "audit-logs-1250000001", region: str = "ap-shanghai", **fields) -> Bucket:
    values = {"versioning": "Enabled", "object_lock": LOCKED} | fields
    return Bucket(account=ACCOUNT, region=region, name=name, **values)


def verdict(registry, tracks: list[AuditTrack], buckets: list[Bucket], **extra) -> tuple[str, str]:
    estate = make_estate(cloudaudit=CloudAuditState(tracks=tracks), cos=CosState(buckets=buckets), **extra)
    findings = run_check(registry, CHECK, estate)
    account = [f for f in findings if f.resource.id == ACCOUNT]
    assert len(account) == 1
    return account[0].status.value, account[0].message



def test_an_all_actions_track_into_a_locked_versioned_bucket_passes(registry):
    status, message = verdict(registry, [track()], [bucket()])
    assert status == "PASS" and "audit-logs-1250000001" in message


def test_the_bucket_is_matched_by_name_without_appid_and_by_region(registry):
    # A bucket of that name in another region, or with a longer name, is not the track's bucket.
    assert verdict(registry, [track()], [bucket(region="ap-beijing"), bucket("audit-logs-old-1250000001")])[0] == "FAIL"
    # A track naming its bucket with the APPID (not the documented form) still finds it.
    assert verdict(registry, [track(storage_name="audit-logs-1250000001")], [bucket()])[0] == "PASS"
    # A write-only track beside a complete one does not spoil the complete one.
    assert verdict(registry, [track("1", action_type="Write"), track("2")], [bucket()])[0] == "PASS"


def test_partial_stopped_or_missing_tracks_fail(registry):
    assert verdict(registry, [], [bucket()]) == ("FAIL", "no CloudAudit track exists")
    for partial in (track(action_type="Write"), track(resource_type="cos"), track(status=0),
                    track(event_names=["DeleteBucket"]), track(storage_type="cls", storage_name="topic-1")):
        assert verdict(registry, [partial], [bucket()])[0] == "FAIL", partial


def test_storage_without_versioning_or_compliance_lock_fails(registry):
    status, message = verdict(registry, [track()], [bucket(versioning="Suspended")])
    assert status == "FAIL" and "versioning is Suspended" in message
    assert verdict(registry, [track()], [bucket(object_lock=None)])[0] == "FAIL"
    governance = ObjectLock(enabled=True, mode="GOVERNANCE", days=30)
    assert verdict(registry, [track()], [bucket(object_lock=governance)])[0] == "FAIL"


def test_unreadable_tracks_buckets_or_regions_are_errors(registry):
    assert verdict(registry, [track()], [bucket(unreadable={"object_lock": "AccessDenied"})])[0] == "ERROR"
    assert verdict(registry, [track(unreadable={"storage_name": "denied"})], [bucket()])[0] == "ERROR"
    assert verdict(registry, [track()], [], gaps=[gap("cos", region="ap-shanghai")])[0] == "ERROR"
    estate = make_estate(cloudaudit=CloudAuditState(tracks=[track()]), cos=CosState(buckets=[bucket()]),
                         gaps=[gap("cloudaudit")])
    assert {f.status.value for f in run_check(registry, CHECK, estate)} == {"ERROR"}


def test_scenarios(registry):
    assert by_resource(scenario_findings(registry, "hardened", [CHECK])) == {ACCOUNT: "PASS"}
    weimob = scenario_findings(registry, "weimob-2020", [CHECK])
    assert by_resource(weimob) == {ACCOUNT: "FAIL"}
    assert "Write" in weimob[0].message
