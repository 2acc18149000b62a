from datetime import timedelta

from dr_audit.engine import evaluate
from dr_audit.estate import (
    AccessKey,
    Bucket,
    CamAccount,
    CamGroup,
    CamPolicy,
    CamRole,
    CamState,
    CamUser,
    CbsState,
    CdbState,
    CosState,
    CvmState,
    Disk,
    Instance,
    MysqlInstance,
    Replication,
    ReplicationRule,
    Snapshot,
)
from dr_audit.packs import PackCheck, PromisePack
from dr_audit.scope import Scope

from ..conftest import ACCOUNT, NOW, by_resource, gap, make_estate, run_check, scenario_findings

CAM_CHECKS = ["cam_no_full_admin_principals", "cam_no_wildcard_destructive_grants", "cam_operation_protection_enabled",
              "cam_login_protection_enabled", "cam_separation_of_duties", "cam_access_key_hygiene"]
REGION = "ap-shanghai"


def run_with_break_glass(registry, check_id: str, estate, *break_glass: str):
    """Break-glass principals come from the pack's scope, not from a check's parameters."""
    pack = PromisePack(name="test", scope=Scope(break_glass=list(break_glass)), checks={check_id: PackCheck()})
    return evaluate(estate, pack, registry, only=[check_id]).findings


def doc(*statements: dict) -> dict:
    return {"version": "2.0", "statement": list(statements)}


def allow(action, resource="*", **extra) -> dict:
    return {"effect": "allow", "action": action, "resource": resource, **extra}


def deny(action, resource="*") -> dict:
    return {"effect": "deny", "action": action, "resource": resource}


def policy(policy_id: str, name: str, *statements: dict, kind: str = "custom", **extra) -> CamPolicy:
    document = doc(*statements) if statements else None
    return CamPolicy(account=ACCOUNT, policy_id=policy_id, name=name, kind=kind, document=document, **extra)


ADMIN = policy("1", "AdministratorAccess", allow("*"), kind="preset")
READ_ONLY = policy("2", "ReadOnlyAccess", allow(["*:Describe*", "*:List*", "*:Get*"]), kind="preset")


def user(name: str, *policy_ids: str, groups=(), **extra) -> CamUser:
    values = {"console_login": True, "login_protection": ["stoken"], "action_protection": ["stoken"]} | extra
    return CamUser(account=ACCOUNT, uin=f"uin-{name}", name=name, policy_ids=list(policy_ids), group_ids=list(groups),
                   **values)


def group(group_id: str, name: str, *policy_ids: str) -> CamGroup:
    return CamGroup(account=ACCOUNT, group_id=group_id, name=name, policy_ids=list(policy_ids))


def cam(*principals, policies=(), accounts=None) -> CamState:
    return CamState(
        users=[p for p in principals if isinstance(p, CamUser)],
        groups=[p for p in principals if isinstance(p, CamGroup)],
        roles=[p for p in principals if isinstance(p, CamRole)],
        policies=[ADMIN, READ_ONLY, *policies],
        accounts=[CamAccount(account=ACCOUNT, uin=ACCOUNT)] if accounts is None else accounts,
    )


# --------------------------------------------------------------------------------------------- full admin


def test_full_admin_fails_for_direct_inherited_custom_and_role_holders_and_spares_break_glass(registry):
    star = policy("50", "StarStar", allow("name/*:*"))
    estate = make_estate(cam=cam(
        user("ops", "1"), user("via-group", groups=["g1"]), user("custom", "50"), user("reader", "2"),
        user("breakglass-admin", "1"), group("g1", "admins", "1"),
        CamRole(account=ACCOUNT, role_id="r1", name="deployer", policy_ids=["1"]),
        policies=[star],
    ))
    findings = run_with_break_glass(registry, "cam_no_full_admin_principals", estate, "breakglass-*")
    assert by_resource(findings) == {
        "ops": "FAIL", "via-group": "FAIL", "custom": "FAIL", "reader": "PASS", "breakglass-admin": "PASS",
        "admins": "FAIL", "deployer": "FAIL",
    }


def test_full_admin_with_a_deny_on_everything_is_not_full_admin(registry):
    guard = policy("51", "DenyAll", deny("*"))
    estate = make_estate(cam=cam(user("ops", "1", "51"), policies=[guard]))
    assert by_resource(run_check(registry, "cam_no_full_admin_principals", estate)) == {"ops": "PASS"}


def test_full_admin_unknown_documents_are_errors_except_the_documented_preset(registry):
    estate = make_estate(cam=CamState(
        users=[user("a", "60"), user("b", "1"), user("c", "404"), user("d", unreadable={"policy_ids": "denied"})],
        policies=[policy("60", "Mystery"), policy("1", "AdministratorAccess", kind="preset")],
    ))
    assert by_resource(run_check(registry, "cam_no_full_admin_principals", estate)) == {
        "a": "ERROR", "b": "FAIL", "c": "ERROR", "d": "ERROR"}


def test_full_admin_cam_gap_is_an_error(registry):
    estate = make_estate(cam=cam(user("reader", "2")), gaps=[gap("cam")])
    assert {f.status.value for f in run_check(registry, "cam_no_full_admin_principals", estate)} == {"ERROR"}


# ----------------------------------------------------------------------------------------- wildcard grants


def test_wildcard_destructive_grants_on_star_fail_and_scoped_or_explicit_grants_pass(registry):
    estate = make_estate(cam=cam(policies=[
        policy("70", "CosCleanup", allow(["cos:GetObject", "cos:Delete*"])),
        policy("71", "AllCvm", allow("cvm:*")),
        policy("72", "Everything", allow("*")),
        policy("73", "Explicit", allow(["cvm:TerminateInstances"])),
        policy("74", "Scoped", allow("cvm:*", f"qcs::cvm:{REGION}::instance/ins-dev*")),
        policy("75", "Describe", allow(["cvm:Describe*", "cbs:Describe*"])),
        policy("76", "CarvedOut", allow("cos:*"), deny(["cos:Delete*", "cos:Put*"])),
        policy("77", "Lifecycle", allow("cos:Put*")),
    ]))
    findings = run_check(registry, "cam_no_wildcard_destructive_grants", estate)
    assert by_resource(findings) == {
        "CosCleanup": "FAIL", "AllCvm": "FAIL", "Everything": "FAIL", "Explicit": "PASS", "Scoped": "PASS",
        "Describe": "PASS", "CarvedOut": "PASS", "Lifecycle": "FAIL",
    }  # presets (AdministratorAccess, ReadOnlyAccess) are not custom policies and are not examined here
    cleanup = next(f for f in findings if f.resource.id == "CosCleanup")
    assert "cos:DeleteObject" in cleanup.evidence["grants"]["cos:Delete*"]


def test_wildcard_destructive_action_list_is_a_parameter(registry):
    estate = make_estate(cam=cam(policies=[policy("70", "CosCleanup", allow("cos:Delete*"))]))
    findings = run_check(registry, "cam_no_wildcard_destructive_grants", estate, destructive_actions=["cvm:Terminate"])
    assert by_resource(findings) == {"CosCleanup": "PASS"}


def test_wildcard_unreadable_or_malformed_documents_are_errors(registry):
    estate = make_estate(cam=cam(policies=[
        policy("80", "Unread", unreadable={"document": "AuthFailure.UnauthorizedOperation"}),
        policy("81", "NotCollected"),
        CamPolicy(account=ACCOUNT, policy_id="82", name="Broken", kind="custom", document={"statement": "nope"}),
    ]))
    assert by_resource(run_check(registry, "cam_no_wildcard_destructive_grants", estate)) == {
        "Unread": "ERROR", "NotCollected": "ERROR", "Broken": "ERROR"}


# ------------------------------------------------------------------------------------------ MFA protection


def test_operation_protection_required_only_for_users_with_high_risk_rights(registry):
    scoped = policy("90", "TerminateDev", allow("cvm:TerminateInstances", "qcs::cvm:::instance/ins-dev1"))
    estate = make_estate(cam=cam(
        user("ops", "1", action_protection=[]), user("ops-mfa", "1"), user("reader", "2", action_protection=[]),
        user("scoped", "90", action_protection=[]),
        policies=[scoped],
    ))
    assert by_resource(run_check(registry, "cam_operation_protection_enabled", estate)) == {
        "ops": "FAIL", "ops-mfa": "PASS", "reader": "PASS", "scoped": "FAIL"}


def test_operation_protection_unknowns_are_errors(registry):
    conditional = policy("91", "FromOffice", allow("*", condition={"ip_equal": {"qcs:ip": ["10.0.0.0/8"]}}))
    estate = make_estate(cam=cam(
        user("cond", "91", action_protection=[]), user("unread", "1", unreadable={"action_protection": "denied"}),
        policies=[conditional],
    ))
    findings = run_check(registry, "cam_operation_protection_enabled", estate)
    assert by_resource(findings) == {"cond": "ERROR", "unread": "ERROR"}
    assert "ip_equal" in next(f.message for f in findings if f.resource.id == "cond")


def test_login_protection_for_console_users(registry):
    estate = make_estate(cam=cam(
        user("mfa"), user("no-mfa", login_protection=[]), user("api-only", console_login=False, login_protection=[]),
        user("unread", unreadable={"login_protection": "RequestLimitExceeded"}),
    ))
    assert by_resource(run_check(registry, "cam_login_protection_enabled", estate)) == {
        "mfa": "PASS", "no-mfa": "FAIL", "unread": "ERROR"}


# ------------------------------------------------------------------------------------ separation of duties

APPID = "1250000001"
SNAPSHOTS = "qcs::cvm:::snapshot/*"
PROD_VOLUME = f"qcs::cvm:{REGION}:uin/{ACCOUNT}:volume/disk-prod1"
MEDIA = f"media-{APPID}"
REPLICA = f"media-replica-{APPID}"


def data_estate(principals: CamState, **extra):
    return make_estate(
        cam=principals,
        cvm=CvmState(instances=[Instance(account=ACCOUNT, region=REGION, instance_id="ins-prod1", name="mall-1",
                                         tags={"env": "prod"}, disk_ids=["disk-prod1"]),
                                Instance(account=ACCOUNT, region=REGION, instance_id="ins-dev1", name="dev-1",
                                         tags={"env": "dev"}, disk_ids=["disk-dev1"])]),
        cbs=CbsState(disks=[Disk(account=ACCOUNT, region=REGION, disk_id="disk-prod1", instance_id="ins-prod1"),
                            Disk(account=ACCOUNT, region=REGION, disk_id="disk-dev1", instance_id="ins-dev1")],
                     snapshots=[Snapshot(account=ACCOUNT, region=REGION, snapshot_id="snap-p1", disk_id="disk-prod1",
                                         created_at=NOW),
                                Snapshot(account=ACCOUNT, region=REGION, snapshot_id="snap-d1", disk_id="disk-dev1",
                                         created_at=NOW)]),
        cos=CosState(buckets=[
            Bucket(account=ACCOUNT, region=REGION, name=MEDIA, replication=Replication(rules=[
                ReplicationRule(destination_bucket=REPLICA, destination_region="ap-beijing")])),
            Bucket(account=ACCOUNT, region="ap-beijing", name=REPLICA),
        ]),
        cdb=CdbState(instances=[MysqlInstance(account=ACCOUNT, region=REGION, instance_id="cdb-prod1",
                                              tags={"env": "prod"})]),
        **extra,
    )


OPERATOR = policy("100", "ProdOperator", allow(["cbs:TerminateDisks", "cvm:TerminateInstances"], PROD_VOLUME),
                  allow("cos:DeleteObject", f"qcs::cos:{REGION}:uid/{APPID}:{MEDIA}/*"),
                  allow("cdb:IsolateDBInstance", f"qcs::cdb:{REGION}::instanceId/cdb-prod1"))
BACKUPS = policy("101", "BackupOperator", allow("cbs:DeleteSnapshots", SNAPSHOTS),
                 allow("cos:DeleteObject", f"qcs::cos:ap-beijing:uid/{APPID}:{REPLICA}/*"),
                 allow("cdb:DeleteBackup", f"qcs::cdb:{REGION}::instanceId/cdb-prod1"))
DEV_ALL = policy("102", "DevEverything", allow("cvm:*", "qcs::cvm:::*/*-dev1"))
COS_ALL = policy("103", "CosAll", allow("cos:Delete*", "qcs::cos:::*"))
SQL_ALL = policy("104", "SqlAll", allow("cdb:*"))


def test_separation_of_duties_fails_whoever_can_destroy_data_and_its_backups(registry):
    principals = cam(
        user("admin", "1"), user("operator", groups=["ops"]), user("backup", groups=["bak"]),
        user("both", groups=["ops", "bak"]), user("dev", "102"), user("cos-cleaner", "103"), user("dba", "104"),
        user("breakglass-admin", "1"), group("ops", "operators", "100"), group("bak", "backup-admins", "101"),
        policies=[OPERATOR, BACKUPS, DEV_ALL, COS_ALL, SQL_ALL],
    )
    findings = run_with_break_glass(registry, "cam_separation_of_duties", data_estate(principals), "breakglass-admin")
    assert by_resource(findings) == {
        "admin": "FAIL", "operator": "PASS", "backup": "PASS", "both": "FAIL", "dev": "PASS", "cos-cleaner": "FAIL",
        "dba": "FAIL", "breakglass-admin": "PASS", "operators": "PASS", "backup-admins": "PASS",
    }
    cos_cleaner = next(f for f in findings if f.resource.id == "cos-cleaner")
    assert cos_cleaner.evidence["domain"] == f"bucket {MEDIA}" and REPLICA in cos_cleaner.evidence["backup"]


def test_separation_of_duties_pairs_a_tagged_backup_bucket_with_every_protected_bucket(registry):
    media_and_vault = policy("107", "MediaAndVault", allow("cos:DeleteObject", [
        f"qcs::cos:{REGION}:uid/{APPID}:{MEDIA}/*", f"qcs::cos:{REGION}:uid/{APPID}:vault-{APPID}/*"]))
    estate = data_estate(cam(user("cleaner", "107"), policies=[media_and_vault]))
    assert by_resource(run_check(registry, "cam_separation_of_duties", estate)) == {"cleaner": "PASS"}
    estate.cos.buckets.append(Bucket(account=ACCOUNT, region=REGION, name=f"vault-{APPID}",
                                     tags={"dr-audit:role": "backup"}))
    findings = run_check(registry, "cam_separation_of_duties", estate)
    assert by_resource(findings) == {"cleaner": "FAIL"}
    assert f"vault-{APPID}" in findings[0].evidence["backup"]


def test_separation_of_duties_an_explicit_deny_on_the_backup_side_restores_separation(registry):
    guard = policy("105", "NoBackupDeletes", deny(["cbs:DeleteSnapshots", "cvm:DeleteSnapshots", "cos:Delete*",
                                                   "cdb:DeleteBackup", "cdb:Isolate*", "cdb:Offline*"]))
    principals = cam(user("operator", "100", "105", "101"), policies=[OPERATOR, BACKUPS, guard])
    assert by_resource(run_check(registry, "cam_separation_of_duties", data_estate(principals))) == {
        "operator": "PASS"}


def test_separation_of_duties_unknowns_are_errors_and_missing_services_too(registry):
    conditional = policy("106", "OfficeOnly", allow("*", condition={"ip_equal": {"qcs:ip": ["10.0.0.0/8"]}}))
    principals = cam(user("cond", "106"), user("lost", "999"), policies=[conditional])
    assert by_resource(run_check(registry, "cam_separation_of_duties", data_estate(principals))) == {
        "cond": "ERROR", "lost": "ERROR"}
    estate = data_estate(cam(user("admin", "1")), services=["cam", "cvm", "cbs", "cos"])
    assert {f.status.value for f in run_check(registry, "cam_separation_of_duties", estate)} == {"ERROR"}


# --------------------------------------------------------------------------------------------- access keys


def key(suffix: str, created_days: float | None, used_days: float | None, status: str = "Active") -> AccessKey:
    def at(days):
        return None if days is None else NOW - timedelta(days=days)

    return AccessKey(key_id=f"AKID****{suffix}", status=status, created_at=at(created_days), last_used_at=at(used_days))


def test_access_key_hygiene_root_keys_and_stale_keys_fail(registry):
    root = CamAccount(account=ACCOUNT, uin=ACCOUNT, root_access_keys=[key("r00t", 900, 1)])
    estate = make_estate(cam=cam(
        user("fresh", access_keys=[key("aaaa", 300, 2)]),
        user("stale", access_keys=[key("bbbb", 300, 120)]),
        user("never-old", access_keys=[key("cccc", 100, None)]),
        user("never-new", access_keys=[key("dddd", 10, None)]),
        user("disabled", access_keys=[key("eeee", 900, None, status="Inactive")]),
        user("no-keys"),
        accounts=[root],
    ))
    findings = run_check(registry, "cam_access_key_hygiene", estate)
    assert by_resource(findings) == {
        ACCOUNT: "FAIL", "fresh": "PASS", "stale": "FAIL", "never-old": "FAIL", "never-new": "PASS"}
    assert "AKID****r00t" in next(f.message for f in findings if f.resource.id == ACCOUNT)


def test_access_key_hygiene_threshold_is_a_parameter_and_judged_at_collection_time(registry):
    estate = make_estate(cam=cam(user("u", access_keys=[key("aaaa", 300, 40)])))
    assert by_resource(run_check(registry, "cam_access_key_hygiene", estate, max_unused_days=30))["u"] == "FAIL"
    assert by_resource(run_check(registry, "cam_access_key_hygiene", estate))["u"] == "PASS"


def test_access_key_hygiene_unreadable_keys_are_errors(registry):
    estate = make_estate(cam=cam(
        user("unread", unreadable={"access_keys": "denied"}), user("undated", access_keys=[key("ffff", None, None)]),
        accounts=[],
    ))
    assert by_resource(run_check(registry, "cam_access_key_hygiene", estate)) == {
        ACCOUNT: "ERROR", "unread": "ERROR", "undated": "ERROR"}


# ------------------------------------------------------------------------------------------------ scenarios


def test_hardened_scenario_keeps_every_cam_promise(registry):
    findings = scenario_findings(registry, "hardened", CAM_CHECKS)
    assert findings and {f.status.value for f in findings} == {"PASS"}
    sod = [f for f in findings if f.check_id == "cam_separation_of_duties" and not f.evidence.get("break_glass")]
    assert sod and all(f.evidence["domains"] > 0 for f in sod)  # judged against real data, not vacuously


def test_weimob_scenario_breaks_the_cam_promises_as_in_the_incident(registry):
    findings = scenario_findings(registry, "weimob-2020", CAM_CHECKS)
    failed = {(f.check_id, f.resource.id) for f in findings if f.status.value == "FAIL"}
    assert not [f for f in findings if f.status.value == "ERROR"]
    assert {
        ("cam_no_full_admin_principals", "ops-wang"),
        ("cam_no_wildcard_destructive_grants", "OpsFullAccess"),
        ("cam_no_wildcard_destructive_grants", "DevCosCleanup"),
        ("cam_operation_protection_enabled", "ops-wang"),
        ("cam_login_protection_enabled", "ops-wang"),
        ("cam_separation_of_duties", "ops-wang"),
        ("cam_separation_of_duties", "ci-deployer"),
        ("cam_access_key_hygiene", ACCOUNT),
        ("cam_access_key_hygiene", "dev-zhang"),
    } <= failed
    assert ("cam_no_full_admin_principals", "breakglass-admin") not in failed
