from datetime import timedelta

from dr_audit.engine import evaluate
from dr_audit.estate import (
    Bucket,
    CosState,
    Estate,
    Gap,
    LifecycleRule,
    ObjectLock,
    OffsiteCopy,
    OffsiteState,
    Transition,
)
from dr_audit.packs import PackCheck, PromisePack
from dr_audit.scenarios import build
from dr_audit.scenarios.offsite import OFFSITE_TARGETS
from dr_audit.scope import OffsiteTarget, Scope

from ..conftest import ACCOUNT, NOW, by_resource, demo_pack, gap, make_estate

CHECK = "offsite_cold_copy"
MEDIA = "media-1250000001"
ORDERS = "orders-archive-1250000001"


def target(source: str, bucket: str, name: str = "othercloud") -> OffsiteTarget:
    return OffsiteTarget(name=name, endpoint_url="http://127.0.0.1:9000", bucket=bucket, source_bucket=source)


def cold_copy(bucket: str, source: str, name: str = "othercloud", **fields) -> OffsiteCopy:
    """A good copy: versioned, COMPLIANCE-locked, archived by lifecycle, synced an hour ago."""
    values = {
        "versioning": "Enabled",
        "object_lock": ObjectLock(enabled=True, mode="COMPLIANCE", days=30),
        "lifecycle": [LifecycleRule(transitions=[Transition(days=1, storage_class="GLACIER")])],
        "newest_object_at": NOW - timedelta(hours=1),
        "newest_object_storage_class": "STANDARD",
    } | fields
    return OffsiteCopy(account=f"offsite:{name}", target=name, bucket=bucket, source_bucket=source, **values)


def estate_with(*copies: OffsiteCopy, buckets: tuple[str, ...] = (MEDIA,), **parts) -> Estate:
    return make_estate(cos=CosState(buckets=[Bucket(account=ACCOUNT, region="ap-shanghai", name=b) for b in buckets]),
                       offsite=OffsiteState(copies=list(copies)), **parts)


def judge(registry, estate: Estate, targets: list[OffsiteTarget], **params) -> dict[str, str]:
    pack = PromisePack(name="t", scope=Scope(offsite_targets=targets), checks={CHECK: PackCheck(params=params)})
    return by_resource(evaluate(estate, pack, registry, only=[CHECK]).findings)


def test_a_recent_versioned_locked_cold_copy_passes(registry):
    estate = estate_with(cold_copy("media-offsite", MEDIA))
    assert judge(registry, estate, [target(MEDIA, "media-offsite")]) == {MEDIA: "PASS"}


def test_a_newest_object_already_in_deep_archive_counts_as_cold(registry):
    estate = estate_with(cold_copy("media-offsite", MEDIA, lifecycle=[], newest_object_storage_class="DEEP_ARCHIVE"))
    assert judge(registry, estate, [target(MEDIA, "media-offsite")]) == {MEDIA: "PASS"}


def test_no_target_or_a_missing_copy_fails(registry):
    estate = estate_with(buckets=(MEDIA, ORDERS))
    assert judge(registry, estate, [target(MEDIA, "media-offsite")]) == {MEDIA: "FAIL", ORDERS: "FAIL"}


def test_each_weakness_of_the_copy_fails(registry):
    weak = {
        "unversioned": {"versioning": "Suspended"},
        "unlocked": {"object_lock": None},
        "governance": {"object_lock": ObjectLock(enabled=True, mode="GOVERNANCE", days=30)},
        "hot": {"lifecycle": [LifecycleRule(transitions=[Transition(days=1, storage_class="STANDARD_IA")])]},
        "stale": {"newest_object_at": NOW - timedelta(hours=30)},
        "empty": {"newest_object_at": None},
    }
    for label, fields in weak.items():
        estate = estate_with(cold_copy("media-offsite", MEDIA, **fields))
        assert judge(registry, estate, [target(MEDIA, "media-offsite")]) == {MEDIA: "FAIL"}, label


def test_parameters_are_honoured(registry):
    estate = estate_with(cold_copy("media-offsite", MEDIA, newest_object_at=NOW - timedelta(hours=30),
                                   object_lock=ObjectLock(enabled=True, mode="GOVERNANCE", days=30)))
    targets = [target(MEDIA, "media-offsite")]
    assert judge(registry, estate, targets, rpo_hours=48, allow_governance=True) == {MEDIA: "PASS"}
    assert judge(registry, estate, targets, rpo_hours=48, allow_governance=True, min_retention_days=60) == {
        MEDIA: "FAIL"}


def test_every_configured_target_of_a_bucket_must_hold_a_good_copy(registry):
    estate = estate_with(cold_copy("media-a", MEDIA), cold_copy("media-b", MEDIA, versioning=None))
    assert judge(registry, estate, [target(MEDIA, "media-a"), target(MEDIA, "media-b")]) == {MEDIA: "FAIL"}


def test_an_unreadable_target_is_an_error_never_a_pass_or_a_fail(registry):
    targets = [target(MEDIA, "media-offsite")]
    down = Gap(account="offsite:othercloud", service="offsite", code="EndpointConnectionError")
    unreachable = estate_with(gaps=[down])
    assert judge(registry, unreachable, targets)[MEDIA] == "ERROR"
    denied = estate_with(cold_copy("media-offsite", MEDIA, unreadable={"bucket": "AccessDenied"}))
    assert judge(registry, denied, targets) == {MEDIA: "ERROR"}
    partly = estate_with(cold_copy("media-offsite", MEDIA, unreadable={"object_lock": "AccessDenied"}))
    assert judge(registry, partly, targets) == {MEDIA: "ERROR"}


def test_a_known_problem_beside_an_unreadable_field_is_still_a_fail(registry):
    estate = estate_with(cold_copy("media-offsite", MEDIA, versioning=None, unreadable={"object_lock": "denied"}))
    assert judge(registry, estate, [target(MEDIA, "media-offsite")]) == {MEDIA: "FAIL"}


def test_an_unreadable_cold_route_matters_only_if_the_other_fails(registry):
    targets = [target(MEDIA, "media-offsite")]
    cold_by_lifecycle = estate_with(cold_copy("media-offsite", MEDIA,
                                              unreadable={"newest_object_storage_class": "denied"}))
    assert judge(registry, cold_by_lifecycle, targets) == {MEDIA: "PASS"}
    unknown = estate_with(cold_copy("media-offsite", MEDIA, lifecycle=[], unreadable={"lifecycle": "denied"}))
    assert judge(registry, unknown, targets) == {MEDIA: "ERROR"}


def test_a_cos_gap_is_an_error(registry):
    estate = estate_with(buckets=(), gaps=[gap("cos", region="ap-shanghai")])
    findings = judge(registry, estate, [target(MEDIA, "media-offsite")])
    assert set(findings.values()) == {"ERROR"}


def test_offsite_does_not_apply_to_a_plan(registry):
    estate = estate_with(source="plan")
    pack = PromisePack(name="t", scope=Scope(offsite_targets=[target(MEDIA, "x")]), checks={CHECK: PackCheck()})
    evaluation = evaluate(estate, pack, registry, only=[CHECK])
    assert evaluation.findings == [] and not evaluation.outcomes[0].applicable


# --- scenarios ----------------------------------------------------------------------------------------------------


def scenario_pack() -> PromisePack:
    """The demo pack with the off-site targets the pack must carry (one per protected bucket)."""
    pack = demo_pack([CHECK])
    pack.scope = pack.scope.model_copy(update={"offsite_targets": [OffsiteTarget(**t) for t in OFFSITE_TARGETS]})
    return pack


def test_hardened_scenario_has_a_good_offsite_copy_of_every_protected_bucket(registry):
    findings = evaluate(build("hardened", NOW), scenario_pack(), registry, only=[CHECK]).findings
    assert by_resource(findings) == {MEDIA: "PASS", ORDERS: "PASS"}


def test_weimob_2020_scenario_has_no_offsite_copy(registry):
    findings = evaluate(build("weimob-2020", NOW), scenario_pack(), registry, only=[CHECK]).findings
    assert by_resource(findings) == {MEDIA: "FAIL", ORDERS: "FAIL"}
    assert all("does not exist" in f.message for f in findings)


def test_the_bundled_pack_names_the_scenario_media_target():
    bundled = {(t.name, t.bucket, t.source_bucket) for t in demo_pack([CHECK]).scope.offsite_targets}
    assert (OFFSITE_TARGETS[0]["name"], OFFSITE_TARGETS[0]["bucket"], MEDIA) in bundled
