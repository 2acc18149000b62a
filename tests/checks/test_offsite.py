import re
from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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


# --- where a target is and which keys read it: the environment, not the pack (read over HTTP by boto3) ----------

OFFSITE_ENVS = ("DR_AUDIT_OFFSITE_ENDPOINT_URL", "DR_AUDIT_OFFSITE_OTHERCLOUD_COLD_ENDPOINT_URL", "AWS_ACCESS_KEY_ID",
                "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_DEFAULT_PROFILE",
                "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
                "AWS_WEB_IDENTITY_TOKEN_FILE", "OTHERCLOUD_KEY_ID", "OTHERCLOUD_SECRET")


@pytest.fixture
def bare_environment(monkeypatch, tmp_path):
    """No off-site endpoint and no keys anywhere the AWS chain looks (files, metadata service)."""
    for name in OFFSITE_ENVS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    return monkeypatch


@pytest.fixture(scope="module")
def hardened_cloud():
    """The hardened scenario's second cloud, holding a good copy of both protected buckets."""
    from dr_audit.emulator import EmulatedCloud

    with EmulatedCloud(build("hardened", NOW)) as cloud:
        yield cloud


def shipped_targets(**fields) -> list[OffsiteTarget]:
    """The bundled pack's targets (provider, region and bucket only), with `fields` as a local copy would add."""
    targets = demo_pack([CHECK]).scope.offsite_targets
    assert targets and all(t.endpoint_url is None for t in targets)
    return [t.model_copy(update=fields) for t in targets]


def collected(targets: list[OffsiteTarget]) -> Estate:
    """The protected buckets plus what the off-site collector reads of `targets` (no account is read)."""
    from dr_audit.collect.s3 import OffsiteCollector
    from dr_audit.collect.tasks import TaskGroup
    from dr_audit.collect.tencent.common import Harvest

    estate = estate_with(buckets=(MEDIA, ORDERS))
    harvest, tasks = Harvest(estate), TaskGroup(4)
    try:
        for t in targets:
            OffsiteCollector(tasks, harvest, t, timeout=10).collect()
        tasks.wait()
    finally:
        tasks.close()
    return estate


def findings_for(registry, estate: Estate, targets: list[OffsiteTarget]):
    pack = PromisePack(name="t", scope=Scope(offsite_targets=targets), checks={CHECK: PackCheck()})
    return evaluate(estate, pack, registry, only=[CHECK]).findings


def test_the_shipped_pack_names_no_endpoint():
    from dr_audit.resources import bundled_dir

    text = (bundled_dir("policies") / "weimob-2020.yaml").read_text(encoding="utf-8")
    assert "127.0.0.1" not in text and "localhost" not in text
    assert {t.provider for t in demo_pack([CHECK]).scope.offsite_targets} == {"s3-compatible"}


def test_an_unconfigured_target_is_one_error_saying_how_to_configure_it(registry, bare_environment):
    targets = shipped_targets()
    findings = findings_for(registry, collected(targets), targets)
    rows = [(f.resource.type, f.resource.id, f.status.value) for f in findings]
    # Both targets share a name: one gap, so one service row, and one row per protected bucket.
    assert sorted(rows) == [("cos.bucket", MEDIA, "ERROR"), ("cos.bucket", ORDERS, "ERROR"),
                            ("service", "offsite", "ERROR")]
    for finding in findings:
        assert "is not configured" in finding.message
        assert "DR_AUDIT_OFFSITE_ENDPOINT_URL" in finding.message
        assert "DR_AUDIT_OFFSITE_OTHERCLOUD_COLD_ENDPOINT_URL" in finding.message
        assert "NoCredentialsError" not in finding.message and "Connect" not in finding.message


def test_an_endpoint_without_keys_is_not_configured_either(registry, bare_environment, hardened_cloud):
    bare_environment.setenv("DR_AUDIT_OFFSITE_ENDPOINT_URL", hardened_cloud.offsite_endpoint_url)
    targets = shipped_targets(access_key_env="OTHERCLOUD_KEY_ID", secret_key_env="OTHERCLOUD_SECRET")
    findings = findings_for(registry, collected(targets), targets)
    assert sorted((f.resource.id, f.status.value) for f in findings) == [
        (MEDIA, "ERROR"), ("offsite", "ERROR"), (ORDERS, "ERROR")]
    for finding in findings:
        assert "no keys" in finding.message and "OTHERCLOUD_KEY_ID" in finding.message
        assert "AWS_ACCESS_KEY_ID" in finding.message


def test_the_shared_endpoint_and_named_keys_reach_the_copies(registry, bare_environment, hardened_cloud):
    bare_environment.setenv("DR_AUDIT_OFFSITE_ENDPOINT_URL", hardened_cloud.offsite_endpoint_url)
    bare_environment.setenv("OTHERCLOUD_KEY_ID", "other-key")
    bare_environment.setenv("OTHERCLOUD_SECRET", "other-secret")
    targets = shipped_targets(access_key_env="OTHERCLOUD_KEY_ID", secret_key_env="OTHERCLOUD_SECRET")
    estate = collected(targets)
    assert estate.gaps == []
    assert {c.endpoint_url for c in estate.offsite.copies} == {hardened_cloud.offsite_endpoint_url}
    assert by_resource(findings_for(registry, estate, targets)) == {MEDIA: "PASS", ORDERS: "PASS"}


def test_the_targets_own_variable_beats_the_shared_one_and_the_aws_chain_signs(registry, bare_environment,
                                                                              hardened_cloud):
    bare_environment.setenv("DR_AUDIT_OFFSITE_ENDPOINT_URL", "http://127.0.0.1:9")  # nothing listens there
    bare_environment.setenv("DR_AUDIT_OFFSITE_OTHERCLOUD_COLD_ENDPOINT_URL", hardened_cloud.offsite_endpoint_url)
    bare_environment.setenv("AWS_ACCESS_KEY_ID", "chain-key")
    bare_environment.setenv("AWS_SECRET_ACCESS_KEY", "chain-secret")
    targets = shipped_targets()
    assert by_resource(findings_for(registry, collected(targets), targets)) == {MEDIA: "PASS", ORDERS: "PASS"}


def test_an_older_pack_with_its_own_endpoint_stays_valid_and_wins(registry, bare_environment, hardened_cloud):
    bare_environment.setenv("DR_AUDIT_OFFSITE_ENDPOINT_URL", "http://127.0.0.1:9")
    bare_environment.setenv("AWS_ACCESS_KEY_ID", "chain-key")
    bare_environment.setenv("AWS_SECRET_ACCESS_KEY", "chain-secret")
    old_style = [OffsiteTarget(**{k: v for k, v in t.items() if k != "provider"},
                               endpoint_url=hardened_cloud.offsite_endpoint_url) for t in OFFSITE_TARGETS]
    assert {t.provider for t in old_style} == {"s3-compatible"}
    assert by_resource(findings_for(registry, collected(old_style), old_style)) == {MEDIA: "PASS", ORDERS: "PASS"}


def test_an_aws_target_needs_no_endpoint_but_others_do():
    from dr_audit.collect.offsite_setup import NotConfigured, endpoint_for

    aws = OffsiteTarget(name="s3", provider="aws", region="eu-west-1", bucket="b", source_bucket=MEDIA)
    assert endpoint_for(aws, {}) is None
    assert endpoint_for(aws, {"DR_AUDIT_OFFSITE_S3_ENDPOINT_URL": "https://s3.example"}) == "https://s3.example"
    with pytest.raises(NotConfigured, match="no endpoint for provider s3-compatible"):
        endpoint_for(aws.model_copy(update={"provider": "s3-compatible"}), {})


@given(st.text(min_size=1, max_size=40))
@settings(max_examples=60, deadline=None)
def test_every_target_name_has_a_usable_variable_name(name):
    from dr_audit.collect.offsite_setup import target_endpoint_env

    variable = target_endpoint_env(name)
    assert re.fullmatch(r"DR_AUDIT_OFFSITE_[A-Z0-9]+(_[A-Z0-9]+)*_ENDPOINT_URL", variable)
