import pytest

from dr_audit.estate import (
    AuditTrack,
    Bucket,
    BucketAcl,
    CloudAuditState,
    CosState,
    Estate,
    LifecycleRule,
    ObjectLock,
    Replication,
    ReplicationRule,
    Transition,
)
from dr_audit.scope import Scope

from ..conftest import ACCOUNT, by_resource, gap, make_estate, run_check, scenario_findings

APPID = "1250000001"
SH, BJ, NJ = "ap-shanghai", "ap-beijing", "ap-nanjing"
COS_CHECKS = ["cos_versioning_enabled", "cos_cross_region_replication", "cos_replica_healthy",
              "cos_cold_storage_tier", "cos_object_lock_enabled", "cos_no_destructive_lifecycle", "cos_not_public"]
LOCKED = ObjectLock(enabled=True, mode="COMPLIANCE", days=30)


def name(short: str) -> str:
    return f"{short}-{APPID}"


def bucket(short: str, region: str = SH, **config) -> Bucket:
    return Bucket(account=ACCOUNT, region=region, name=name(short), **config)


def to(short: str, region: str, **fields) -> ReplicationRule:
    return ReplicationRule(id=f"to-{short}", destination_bucket=name(short), destination_region=region, **fields)


def source(short: str, *rules: ReplicationRule, **config) -> Bucket:
    """A versioned protected bucket replicating by the given rules."""
    values = {"versioning": "Enabled", "replication": Replication(rules=list(rules))} | config
    return bucket(short, **values)


def replica(short: str, region: str = BJ, **config) -> Bucket:
    """A healthy replica: versioned, locked, archived within 30 days."""
    values = {"versioning": "Enabled", "object_lock": LOCKED,
              "lifecycle": [LifecycleRule(transitions=[Transition(days=30, storage_class="ARCHIVE")])]} | config
    return bucket(short, region, **values)


def cos(*buckets: Bucket, **parts) -> Estate:
    return make_estate(cos=CosState(buckets=list(buckets)), regions=[SH, BJ, NJ], **parts)


def statuses(registry, check_id: str, estate: Estate, **params) -> dict[str, str]:
    """Results by bucket name without the APPID, for readable assertions."""
    found = by_resource(run_check(registry, check_id, estate, **params))
    return {k.removesuffix(f"-{APPID}"): v for k, v in found.items()}


# --- bucket roles -------------------------------------------------------------------------------------------------


def test_roles_follow_destinations_tags_log_targets_and_audit_tracks():
    buckets = [
        source("media", to("media-bj", BJ), logging_target=name("access-logs")),
        bucket("media-bj", BJ),
        bucket("tagged-copy", NJ, tags={"dr-audit:role": "backup"}),
        bucket("access-logs"),
        bucket("trail"),
        bucket("scratch", tags={"dr-audit:exclude": "true"}),
        bucket("logs-by-tag", tags={"dr-audit:role": "logs"}),
    ]
    estate = cos(*buckets, cloudaudit=CloudAuditState(tracks=[
        AuditTrack(account=ACCOUNT, track_id="t1", storage_type="cos", storage_name="trail")]))
    roles = estate.cos.roles(Scope(), estate.cloudaudit.tracks)
    assert [b.name for b in roles.protected] == [name("media")]
    assert [b.name for b in roles.backup] == [name("media-bj"), name("tagged-copy")]


def test_pack_selection_overrides_the_default_roles():
    scope = Scope.model_validate({"protected_buckets": {"include": ["media-*"], "exclude": ["media-bj-*"]},
                                  "backup_buckets": {"include": ["vault-*"]}})
    estate = cos(bucket("media"), bucket("media-bj", BJ), bucket("vault", NJ), bucket("other"))
    roles = estate.cos.roles(scope)
    assert [b.name for b in roles.protected] == [name("media")]
    assert [b.name for b in roles.backup] == [name("vault")]


def test_unreadable_tags_leave_a_role_undetermined_only_when_tags_would_decide_it():
    estate = cos(source("media", to("media-bj", BJ)),
                 bucket("media-bj", BJ, unreadable={"tags": "AccessDenied"}),  # a destination whatever its tags
                 bucket("mystery", unreadable={"tags": "AccessDenied"}))
    roles = estate.cos.roles(Scope())
    assert [b.name for b, _ in roles.undetermined] == [name("mystery")]
    assert [b.name for b in roles.backup] == [name("media-bj")]


# --- versioning ---------------------------------------------------------------------------------------------------


def test_versioning_passes_when_enabled_and_fails_when_suspended_or_never_enabled(registry):
    estate = cos(source("media", to("media-bj", BJ)), replica("media-bj", versioning="Suspended"),
                 bucket("plain"), bucket("logs", tags={"dr-audit:role": "logs"}))
    assert statuses(registry, "cos_versioning_enabled", estate) == {"media": "PASS", "media-bj": "FAIL",
                                                                    "plain": "FAIL"}


def test_versioning_unreadable_or_role_unknown_is_error(registry):
    estate = cos(bucket("media", unreadable={"versioning": "AccessDenied"}),
                 bucket("mystery", versioning="Enabled", unreadable={"tags": "RequestTimeout"}))
    findings = run_check(registry, "cos_versioning_enabled", estate)
    assert {f.resource.id: f.status.value for f in findings} == {name("media"): "ERROR", name("mystery"): "ERROR"}
    assert "AccessDenied" in findings[0].message or "AccessDenied" in findings[1].message


def test_a_cos_gap_is_an_error_never_a_pass(registry):
    findings = run_check(registry, "cos_versioning_enabled", cos(gaps=[gap("cos", region=SH)]))
    assert [f.status.value for f in findings] == ["ERROR"]


# --- cross-region replication -------------------------------------------------------------------------------------


def test_replication_to_another_region_passes_and_same_region_or_partial_rules_fail(registry):
    estate = cos(
        source("media", to("media-bj", BJ)),
        source("orders", to("orders-copy", SH)),  # same region: still one region
        source("prefixed", to("prefixed-bj", BJ, prefix="images/")),  # not the whole bucket
        source("paused", to("paused-bj", BJ, enabled=False)),
        bucket("lonely", versioning="Enabled"),
        replica("media-bj"), replica("orders-copy", SH), replica("prefixed-bj"), replica("paused-bj"),
    )
    assert statuses(registry, "cos_cross_region_replication", estate) == {
        "media": "PASS", "orders": "FAIL", "prefixed": "FAIL", "paused": "FAIL", "lonely": "FAIL"}


def test_required_regions_come_from_the_check_or_on_request_from_the_scope(registry):
    estate = cos(source("media", to("media-bj", BJ)), replica("media-bj"))
    assert statuses(registry, "cos_cross_region_replication", estate) == {"media": "PASS"}
    assert statuses(registry, "cos_cross_region_replication", estate, min_regions=3) == {"media": "FAIL"}
    assert statuses(registry, "cos_cross_region_replication", estate, required_regions=[NJ]) == {"media": "FAIL"}
    # The source's own region counts towards the required regions.
    assert statuses(registry, "cos_cross_region_replication", estate, required_regions=[SH, BJ]) == {"media": "PASS"}
    # scope.required_regions apply only when the pack asks for them.
    estate.cos.buckets[0] = source("media", to("media-bj", BJ))
    from dr_audit.engine import evaluate
    from dr_audit.packs import PackCheck, PromisePack

    for use, expected in ((False, "PASS"), (True, "FAIL")):
        pack = PromisePack(name="t", scope=Scope(required_regions=[SH, BJ, NJ]), checks={
            "cos_cross_region_replication": PackCheck(params={"use_scope_required_regions": use})})
        findings = evaluate(estate, pack, registry, only=["cos_cross_region_replication"]).findings
        assert [f.status.value for f in findings] == [expected]
    assert "ap-nanjing" in findings[0].message


def test_unreadable_replication_is_error(registry):
    estate = cos(bucket("media", versioning="Enabled", unreadable={"replication": "InternalError"}))
    assert statuses(registry, "cos_cross_region_replication", estate) == {"media": "ERROR"}


# --- replica health -----------------------------------------------------------------------------------------------


def test_replicas_must_exist_elsewhere_and_be_versioned(registry):
    estate = cos(
        source("media", to("media-bj", BJ), to("media-nj", NJ), to("media-gone", BJ)),
        source("orders", to("orders-copy", SH)),
        replica("media-bj"), replica("media-nj", NJ, versioning=None), replica("orders-copy", SH),
    )
    assert statuses(registry, "cos_replica_healthy", estate) == {
        "media-bj": "PASS", "media-nj": "FAIL", "media-gone": "FAIL", "orders-copy": "FAIL"}


def test_a_replica_in_an_unaudited_account_is_an_error_not_a_pass(registry):
    estate = cos(source("media", ReplicationRule(destination_bucket="vault-1309999999", destination_region=BJ)))
    findings = run_check(registry, "cos_replica_healthy", estate)
    assert [(f.resource.id, f.status.value) for f in findings] == [("vault-1309999999", "ERROR")]
    assert "1309999999" in findings[0].message


def test_replica_health_unreadable_versioning_or_source_is_error(registry):
    estate = cos(source("media", to("media-bj", BJ)), replica("media-bj", unreadable={"versioning": "AccessDenied"}),
                 bucket("orders", unreadable={"replication": "AccessDenied"}))
    assert statuses(registry, "cos_replica_healthy", estate) == {"media-bj": "ERROR", "orders": "ERROR"}


# --- cold storage -------------------------------------------------------------------------------------------------


def test_cold_tier_by_lifecycle_noncurrent_transition_or_replication_class(registry):
    estate = cos(
        source("media", to("by-lifecycle", BJ), to("by-noncurrent", BJ), to("by-replication", NJ,
                                                                           storage_class="DEEP_ARCHIVE"),
               to("s3-names", BJ), to("too-late", BJ), to("not-cold", BJ), to("hot", BJ)),
        replica("by-lifecycle"),
        replica("by-noncurrent", lifecycle=[LifecycleRule(noncurrent_transitions=[
            Transition(days=0, storage_class="DEEP_ARCHIVE")])]),
        replica("by-replication", NJ, lifecycle=[]),
        replica("s3-names", lifecycle=[LifecycleRule(transitions=[Transition(days=7, storage_class="GLACIER")])]),
        replica("too-late", lifecycle=[LifecycleRule(transitions=[Transition(days=90, storage_class="ARCHIVE")])]),
        replica("not-cold", lifecycle=[LifecycleRule(transitions=[Transition(days=1, storage_class="STANDARD_IA")])]),
        replica("hot", lifecycle=[LifecycleRule(enabled=False, transitions=[Transition(days=1,
                                                                                       storage_class="ARCHIVE")])]),
    )
    assert statuses(registry, "cos_cold_storage_tier", estate) == {
        "by-lifecycle": "PASS", "by-noncurrent": "PASS", "by-replication": "PASS", "s3-names": "PASS",
        "too-late": "FAIL", "not-cold": "FAIL", "hot": "FAIL"}
    assert statuses(registry, "cos_cold_storage_tier", estate, max_days_to_cold=90)["too-late"] == "PASS"


def test_cold_tier_fail_names_the_near_miss(registry):
    slow = LifecycleRule(id="slow", transitions=[Transition(days=60, storage_class="ARCHIVE")])
    estate = cos(replica("copy", tags={"dr-audit:role": "backup"}, lifecycle=[slow]))
    [finding] = run_check(registry, "cos_cold_storage_tier", estate)
    assert finding.status.value == "FAIL" and "after 60 days" in finding.message


def test_cold_tier_unreadable_lifecycle_or_unknown_destinations_are_errors(registry):
    estate = cos(bucket("media", unreadable={"replication": "AccessDenied"}),
                 replica("copy", tags={"dr-audit:role": "backup"}, lifecycle=[],
                         unreadable={"lifecycle": "InternalError"}))
    assert statuses(registry, "cos_cold_storage_tier", estate) == {"media": "ERROR", "copy": "ERROR"}


# --- object lock --------------------------------------------------------------------------------------------------


def test_object_lock_needs_compliance_and_enough_days(registry):
    estate = cos(
        source("media", to("ok", BJ), to("none", BJ), to("short", BJ), to("governance", BJ), to("years", BJ)),
        replica("ok"), replica("none", object_lock=None),
        replica("short", object_lock=ObjectLock(enabled=True, mode="COMPLIANCE", days=7)),
        replica("governance", object_lock=ObjectLock(enabled=True, mode="GOVERNANCE", days=365)),
        replica("years", object_lock=ObjectLock(enabled=True, mode="COMPLIANCE", years=1)),
    )
    assert statuses(registry, "cos_object_lock_enabled", estate) == {
        "ok": "PASS", "none": "FAIL", "short": "FAIL", "governance": "FAIL", "years": "PASS"}
    assert statuses(registry, "cos_object_lock_enabled", estate, min_retention_days=400)["years"] == "FAIL"


def test_object_lock_unreadable_is_error(registry):
    estate = cos(source("media", to("copy", BJ)), replica("copy", unreadable={"object_lock": "AccessDenied"}))
    assert statuses(registry, "cos_object_lock_enabled", estate) == {"copy": "ERROR"}


# --- destructive lifecycle ----------------------------------------------------------------------------------------


def test_lifecycle_may_not_expire_current_versions_or_noncurrent_ones_early(registry):
    estate = cos(
        bucket("safe", lifecycle=[LifecycleRule(noncurrent_transitions=[Transition(days=30, storage_class="ARCHIVE")],
                                                noncurrent_expiration_days=365, expired_object_delete_marker=True)]),
        bucket("purged", lifecycle=[LifecycleRule(id="purge", expiration_days=7)]),
        bucket("dated", lifecycle=[LifecycleRule(prefix="tmp/", expiration_date="2027-01-01T00:00:00.000Z")]),
        bucket("eager", lifecycle=[LifecycleRule(noncurrent_expiration_days=3)]),
        bucket("disabled", lifecycle=[LifecycleRule(enabled=False, expiration_days=1)]),
    )
    result = statuses(registry, "cos_no_destructive_lifecycle", estate)
    assert result == {"safe": "PASS", "purged": "FAIL", "dated": "FAIL", "eager": "FAIL", "disabled": "PASS"}
    assert statuses(registry, "cos_no_destructive_lifecycle", estate, min_noncurrent_days=400)["safe"] == "FAIL"


def test_destructive_lifecycle_unreadable_is_error(registry):
    estate = cos(bucket("media", unreadable={"lifecycle": "AccessDenied"}))
    assert statuses(registry, "cos_no_destructive_lifecycle", estate) == {"media": "ERROR"}


# --- public access ------------------------------------------------------------------------------------------------


def policy(*statements: dict) -> dict:
    return {"version": "2.0", "statement": list(statements)}


ANYONE_QCS = {"qcs": ["qcs::cam::anyone:anyone"]}


def test_public_acls_and_policies_fail_in_every_principal_shape(registry):
    read_all = {"effect": "allow", "principal": ANYONE_QCS, "action": ["name/cos:GetObject"], "resource": ["*"]}
    estate = cos(
        bucket("private"),
        bucket("acl-read", acl=BucketAcl(public_read=True)),
        bucket("acl-write", acl=BucketAcl(public_write=True)),
        bucket("qcs-anyone", policy=policy(read_all)),
        bucket("s3-star", policy={"Version": "2012-10-17", "Statement": {
            "Effect": "Allow", "Principal": "*", "Action": "s3:PutObject", "Resource": "*"}}),
        bucket("aws-star", policy={"Statement": [{"Effect": "Allow", "Principal": {"AWS": ["*"]}, "Action": "*"}]}),
        bucket("referer-only", policy=policy(read_all | {"condition": {"string_like": {"qcs:referer": ["*.x.com"]}}})),
        bucket("vpc-only", policy=policy(read_all | {"condition": {"string_equal": {"vpc:requester_vpc": ["vpc-1"]}}})),
        bucket("denied", policy=policy(read_all | {"effect": "deny"})),
        bucket("one-account", policy=policy(read_all | {"principal": {"qcs": ["qcs::cam::uin/100000000002:uin/1"]}})),
    )
    assert statuses(registry, "cos_not_public", estate) == {
        "private": "PASS", "acl-read": "FAIL", "acl-write": "FAIL", "qcs-anyone": "FAIL", "s3-star": "FAIL",
        "aws-star": "FAIL", "referer-only": "FAIL", "vpc-only": "PASS", "denied": "PASS", "one-account": "PASS"}


def test_public_write_policy_is_named_as_write(registry):
    estate = cos(bucket("drop-box", policy=policy({"effect": "allow", "principal": ANYONE_QCS,
                                                    "action": ["name/cos:PutObject"]})))
    [finding] = run_check(registry, "cos_not_public", estate)
    assert finding.status.value == "FAIL" and "lets anyone write" in finding.message


def public_access(registry, actions, key: str = "action") -> tuple[str, str]:
    """(status, access) of cos_not_public for one anyone-statement with these actions (or not-actions)."""
    statement = {"effect": "allow", "principal": ANYONE_QCS, key: actions, "resource": ["*"]}
    [finding] = run_check(registry, "cos_not_public", cos(bucket("open", policy=policy(statement))))
    return finding.status.value, finding.evidence["policy_statements"][0]["access"]


@pytest.mark.parametrize(("actions", "access"), [
    (["name/cos:GetObject*"], "read"),
    (["name/cos:GetObject", "name/cos:HeadObject", "name/cos:GetBucket"], "read"),
    (["cos:Get*", "cos:Head*", "cos:List*"], "read"),
    (["s3:GetObject*"], "read"),
    (["name/cos:*Object"], "write"),  # PutObject, DeleteObject
    (["name/cos:*"], "write"),
    (["*"], "write"),
    (["name/cos:Put*"], "write"),
    (["cos:Delete*"], "write"),
    (["name/cos:GetObject", "name/cos:PostObject"], "write"),
    (["s3:*Object*"], "write"),
    (["permid/123"], "write"),  # a feature set names APIs that are not published: it may include writes
    (["name/cos:SomeFutureAction"], "write"),  # an unknown name may write
])
def test_wildcard_actions_are_write_only_when_they_can_match_a_write_action(registry, actions, access):
    assert public_access(registry, actions) == ("FAIL", access)


def test_not_action_grants_writes_unless_it_excludes_the_whole_service(registry):
    # Everything but the named actions, including COS actions published after this catalogue: may write.
    assert public_access(registry, ["name/cos:GetObject"], key="notaction") == ("FAIL", "write")
    assert public_access(registry, ["name/cos:Put*", "name/cos:Delete*"], key="notaction") == ("FAIL", "write")
    assert public_access(registry, ["name/cos:*"], key="notaction") == ("FAIL", "read")


@pytest.mark.parametrize("principal", [
    "*", {"qcs": ["*"]}, {"qcs": "*"}, {"qcs": ["qcs::cam::anyone:anyone"]}, {"qcs": ["QCS::CAM::ANYONE:ANYONE"]},
    {"qcs": ["qcs::cam::anonymous:anonymous"]}, {"AWS": "*"}, {"AWS": ["arn:aws:iam::123:root", "*"]},
    {"qcs": ["qcs::cam::uin/100000000001:uin/2", "qcs::cam::anyone:anyone"]}, {"qcs": ["qcs::cam::*:*"]},
])
def test_every_documented_public_principal_is_the_public(registry, principal):
    statement = {"effect": "allow", "principal": principal, "action": ["name/cos:GetObject"], "resource": ["*"]}
    [finding] = run_check(registry, "cos_not_public", cos(bucket("open", policy=policy(statement))))
    assert finding.status.value == "FAIL"


@pytest.mark.parametrize("principal", [
    {"qcs": ["qcs::cam::uin/100000000001:uin/anyone-backup"]},
    {"qcs": ["qcs::cam::uin/100000000001:uin/anonymous-reader"]},
    {"qcs": ["qcs::cam::uin/100000000002:uin/100000000002"]},
    {"qcs": ["qcs::cam::uin/100000000001:roleName/anyone"]},
])
def test_a_named_principal_whose_name_mentions_anyone_is_not_the_public(registry, principal):
    statement = {"effect": "allow", "principal": principal, "action": ["name/cos:*"], "resource": ["*"]}
    [finding] = run_check(registry, "cos_not_public", cos(bucket("shared", policy=policy(statement))))
    assert finding.status.value == "PASS"


def test_a_principal_given_once_for_the_whole_policy_applies_to_its_statements(registry):
    document = {"version": "2.0", "principal": {"qcs": ["qcs::cam::anyone:anyone"]},
                "statement": [{"effect": "allow", "action": ["name/cos:GetObject"], "resource": ["*"]}]}
    named = document | {"principal": {"qcs": ["qcs::cam::uin/100000000001:uin/100000000002"]}}
    estate = cos(bucket("open", policy=document), bucket("shared", policy=named))
    assert statuses(registry, "cos_not_public", estate) == {"open": "FAIL", "shared": "PASS"}


def test_a_statement_naming_no_principal_anywhere_cannot_be_judged(registry):
    document = policy({"effect": "allow", "action": ["name/cos:GetObject"], "resource": ["*"]})
    [finding] = run_check(registry, "cos_not_public", cos(bucket("odd", policy=document)))
    assert finding.status.value == "ERROR" and "principal" in finding.message


def test_unreadable_or_uninterpretable_access_config_is_error(registry):
    estate = cos(bucket("acl", unreadable={"acl": "AccessDenied"}),
                 bucket("policy", unreadable={"policy": "AccessDenied"}),
                 bucket("garbled", policy={"statement": "allow everyone"}))
    assert statuses(registry, "cos_not_public", estate) == {"acl": "ERROR", "policy": "ERROR", "garbled": "ERROR"}


# --- scenarios ----------------------------------------------------------------------------------------------------


def test_hardened_scenario_keeps_every_cos_promise(registry):
    findings = scenario_findings(registry, "hardened", COS_CHECKS)
    assert findings
    assert [(f.check_id, f.resource.id, f.message) for f in findings if f.status.value != "PASS"] == []


def test_weimob_2020_scenario_breaks_the_cos_promises(registry):
    findings = scenario_findings(registry, "weimob-2020", COS_CHECKS)
    failed = {(f.check_id, f.resource.id.removesuffix(f"-{APPID}")) for f in findings if f.status.value == "FAIL"}
    assert failed == {
        ("cos_versioning_enabled", "media"), ("cos_versioning_enabled", "media-replica-nj"),
        ("cos_versioning_enabled", "orders-replica-bj"),
        ("cos_cross_region_replication", "media"), ("cos_cross_region_replication", "orders-archive"),
        ("cos_replica_healthy", "orders-copy"),
        *{("cos_cold_storage_tier", b) for b in ("orders-copy", "media-replica-bj", "media-replica-nj",
                                                 "orders-replica-bj")},
        *{("cos_object_lock_enabled", b) for b in ("orders-copy", "media-replica-bj", "media-replica-nj",
                                                   "orders-replica-bj")},
        ("cos_no_destructive_lifecycle", "orders-archive"),
        ("cos_not_public", "media"),
    }
    assert not [f for f in findings if f.status.value == "ERROR"]
