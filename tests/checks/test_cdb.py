from datetime import timedelta, timezone

from dr_audit.estate import (
    BackupConfig,
    CdbState,
    DrLink,
    MysqlBackup,
    MysqlInstance,
    RemoteBackupConfig,
)

from ..conftest import ACCOUNT, NOW, by_resource, gap, make_estate, run_check, scenario_findings

BEIJING = timezone(timedelta(hours=8))
CDB_CHECKS = ["cdb_multi_az", "cdb_backup_retention", "cdb_cross_region_dr", "cdb_backup_fresh"]


def mysql(instance_id: str, env: str = "prod", **fields) -> MysqlInstance:
    values = {"region": "ap-shanghai", "zone": "ap-shanghai-2", "tags": {"env": env}} | fields
    return MysqlInstance(account=ACCOUNT, instance_id=instance_id, **values)


def backup(backup_id: str, age: timedelta | None, status: str = "SUCCESS", **fields) -> MysqlBackup:
    started = NOW - age if age is not None else None
    return MysqlBackup(backup_id=backup_id, started_at=started, status=status, **fields)


def estate_of(*instances: MysqlInstance, **parts):
    return make_estate(cdb=CdbState(instances=list(instances)), **parts)


# --- cdb_multi_az -------------------------------------------------------------------------------------------------

def test_multi_az_replica_in_another_zone_passes(registry):
    estate = estate_of(
        mysql("cdb-ok", multi_az=True, replica_zones=["ap-shanghai-3"]),
        mysql("cdb-single", multi_az=False, replica_zones=["ap-shanghai-2"]),
        # DeployMode says multi-AZ, but the replica actually sits beside the master
        mysql("cdb-same-zone", multi_az=True, replica_zones=["ap-shanghai-2"]),
        mysql("cdb-mode-single", multi_az=False, replica_zones=["ap-shanghai-4"]),
        mysql("cdb-dev", env="dev", multi_az=False),
        mysql("cdb-dr", role="dr", multi_az=False),
    )
    findings = run_check(registry, "cdb_multi_az", estate)
    assert by_resource(findings) == {"cdb-ok": "PASS", "cdb-single": "FAIL", "cdb-same-zone": "FAIL",
                                     "cdb-mode-single": "FAIL"}
    assert "multi-AZ in name only" in next(f.message for f in findings if f.resource.id == "cdb-same-zone")


def test_multi_az_unknowns_are_errors(registry):
    estate = estate_of(
        mysql("cdb-mode-unknown", multi_az=None),
        mysql("cdb-no-replica-info", multi_az=True, replica_zones=[]),
        mysql("cdb-denied", multi_az=True, replica_zones=["ap-shanghai-3"],
              unreadable={"replica_zones": "DescribeDBInstanceConfig: UnauthorizedOperation"}),
        mysql("cdb-env-unknown", tags={}, unreadable={"tags": "throttled"}),
        mysql("cdb-bj", region="ap-beijing", multi_az=False),
        gaps=[gap("cdb", region="ap-beijing")],
    )
    assert by_resource(run_check(registry, "cdb_multi_az", estate)) == {
        "cdb-mode-unknown": "ERROR", "cdb-no-replica-info": "ERROR", "cdb-denied": "ERROR",
        "cdb-env-unknown": "ERROR", "cdb": "ERROR"}


# --- cdb_backup_retention -----------------------------------------------------------------------------------------

def test_retention_of_backups_and_binlogs(registry):
    estate = estate_of(
        mysql("cdb-ok", backup_config=BackupConfig(backup_expire_days=7, binlog_expire_days=30)),
        mysql("cdb-short", backup_config=BackupConfig(backup_expire_days=3, binlog_expire_days=7)),
        mysql("cdb-binlog", env="dev", backup_config=BackupConfig(backup_expire_days=14, binlog_expire_days=5)),
    )
    findings = run_check(registry, "cdb_backup_retention", estate)
    # retention is promised for every database, not only production
    assert by_resource(findings) == {"cdb-ok": "PASS", "cdb-short": "FAIL", "cdb-binlog": "FAIL"}
    short = next(f for f in findings if f.resource.id == "cdb-short")
    assert short.message == "backups kept only 3 days (need 7)"
    assert by_resource(run_check(registry, "cdb_backup_retention", estate, min_backup_days=3, min_binlog_days=5)) == {
        "cdb-ok": "PASS", "cdb-short": "PASS", "cdb-binlog": "PASS"}


def test_unknown_backup_configuration_is_an_error(registry):
    estate = estate_of(
        mysql("cdb-none"),
        mysql("cdb-partial", backup_config=BackupConfig(backup_expire_days=7)),
        mysql("cdb-denied", backup_config=BackupConfig(backup_expire_days=7, binlog_expire_days=7),
              unreadable={"backup_config": "DescribeBackupConfig: UnauthorizedOperation"}),
    )
    assert by_resource(run_check(registry, "cdb_backup_retention", estate)) == {
        "cdb-none": "ERROR", "cdb-partial": "ERROR", "cdb-denied": "ERROR"}


# --- cdb_cross_region_dr ------------------------------------------------------------------------------------------

OFF = RemoteBackupConfig()


def test_dr_instance_or_remote_backups_in_another_region_pass(registry):
    estate = estate_of(
        mysql("cdb-dr", dr_links=[DrLink(instance_id="cdb-x", region="ap-beijing", sync_status=2)], remote_backup=OFF),
        mysql("cdb-remote", remote_backup=RemoteBackupConfig(backup_enabled=True, binlog_enabled=True,
                                                              regions=["ap-nanjing"])),
        mysql("cdb-nothing", remote_backup=OFF),
        mysql("cdb-broken-dr", dr_links=[DrLink(instance_id="cdb-y", region="ap-beijing", sync_status=3)],
              remote_backup=OFF),
        # a "DR" instance in the master's own region does not survive the region
        mysql("cdb-same-region", dr_links=[DrLink(instance_id="cdb-z", region="ap-shanghai", sync_status=2)],
              remote_backup=RemoteBackupConfig(backup_enabled=True, regions=["ap-shanghai"])),
        mysql("cdb-dev", env="dev", remote_backup=OFF),
    )
    findings = {f.resource.id: f for f in run_check(registry, "cdb_cross_region_dr", estate)}
    assert {k: f.status.value for k, f in findings.items()} == {
        "cdb-dr": "PASS", "cdb-remote": "PASS", "cdb-nothing": "FAIL", "cdb-broken-dr": "FAIL",
        "cdb-same-region": "FAIL"}
    assert "DR instance cdb-x in ap-beijing" in findings["cdb-dr"].message
    assert "remote backups to ap-nanjing" in findings["cdb-remote"].message
    assert "cdb-y in ap-beijing is failed" in findings["cdb-broken-dr"].message


def test_cross_region_dr_absence_must_be_proven(registry):
    estate = estate_of(
        mysql("cdb-remote-unread"),  # remote backup settings never read
        mysql("cdb-links-denied", remote_backup=OFF, unreadable={"dr_links": "UnauthorizedOperation"}),
        # one readable way that works is enough, even when the other could not be read
        mysql("cdb-dr-ok", dr_links=[DrLink(instance_id="cdb-x", region="ap-beijing", sync_status=2)],
              unreadable={"remote_backup": "DescribeRemoteBackupConfig: InternalError"}),
    )
    assert by_resource(run_check(registry, "cdb_cross_region_dr", estate)) == {
        "cdb-remote-unread": "ERROR", "cdb-links-denied": "ERROR", "cdb-dr-ok": "PASS"}


# --- cdb_backup_fresh ---------------------------------------------------------------------------------------------

def test_fresh_successful_backup_passes_and_failed_or_old_ones_fail(registry):
    estate = estate_of(
        # not newest-first, as the API sometimes answers
        mysql("cdb-ok", backups=[backup("1", timedelta(days=3)), backup("2", timedelta(hours=6))]),
        mysql("cdb-failed", backups=[backup("3", timedelta(hours=2), "FAILED"), backup("4", timedelta(hours=30))]),
        mysql("cdb-never", backups=[]),
        # a running backup has no time yet (0000-00-00 in the API): it proves nothing
        mysql("cdb-running", backups=[backup("5", None, "RUNNING"), backup("6", timedelta(days=2))]),
        mysql("cdb-dev", env="dev", backups=[backup("7", timedelta(days=4))]),
    )
    findings = {f.resource.id: f for f in run_check(registry, "cdb_backup_fresh", estate)}
    assert {k: f.status.value for k, f in findings.items()} == {
        "cdb-ok": "PASS", "cdb-failed": "FAIL", "cdb-never": "FAIL", "cdb-running": "FAIL", "cdb-dev": "FAIL"}
    assert findings["cdb-failed"].message.endswith("latest attempt FAILED")
    assert findings["cdb-ok"].evidence["backup"] == "2"
    assert by_resource(run_check(registry, "cdb_backup_fresh", estate, rpo_hours=24 * 5))["cdb-dev"] == "PASS"


def test_backup_times_in_beijing_time_compare_correctly(registry):
    # 20 h ago in UTC+8 is 20 h ago; the same wall-clock reading mislabelled as UTC would be 8 h in the future.
    beijing = (NOW - timedelta(hours=20)).astimezone(BEIJING)
    estate = estate_of(
        mysql("cdb-bj", backups=[MysqlBackup(backup_id="1", started_at=beijing, status="SUCCESS")]),
        mysql("cdb-misread", backups=[MysqlBackup(backup_id="2", started_at=NOW + timedelta(hours=8),
                                                  status="SUCCESS")]),
        mysql("cdb-naive", backups=[MysqlBackup(backup_id="3", started_at=(NOW - timedelta(hours=1)).replace(
            tzinfo=None), status="SUCCESS")]),
    )
    assert by_resource(run_check(registry, "cdb_backup_fresh", estate)) == {
        "cdb-bj": "PASS", "cdb-misread": "ERROR", "cdb-naive": "ERROR"}


def test_unreadable_backups_are_errors(registry):
    estate = estate_of(
        mysql("cdb-denied", backups=[], unreadable={"backups": "DescribeBackups: UnauthorizedOperation"}),
        mysql("cdb-nj", region="ap-nanjing", backups=[]),
        gaps=[gap("cdb", region="ap-nanjing")],
    )
    assert by_resource(run_check(registry, "cdb_backup_fresh", estate)) == {"cdb-denied": "ERROR", "cdb": "ERROR"}


# --- scenarios ----------------------------------------------------------------------------------------------------

def test_hardened_scenario_keeps_every_database_promise(registry):
    findings = scenario_findings(registry, "hardened", CDB_CHECKS)
    assert {f.check_id for f in findings} == set(CDB_CHECKS)
    assert [f for f in findings if f.status.value != "PASS"] == []
    # the DR instances are not masters: they are not judged for backups of their own
    assert "cdb-drmall01" not in {f.resource.id for f in findings}


def test_weimob_2020_scenario_breaks_the_database_promises(registry):
    findings = scenario_findings(registry, "weimob-2020", CDB_CHECKS)
    failed = {(f.check_id, f.resource.id) for f in findings if f.status.value == "FAIL"}
    assert {f.status.value for f in findings} <= {"PASS", "FAIL"}
    for check_id in ("cdb_multi_az", "cdb_cross_region_dr", "cdb_backup_retention"):
        assert {(check_id, "cdb-mall0001"), (check_id, "cdb-crm00001")} <= failed
    assert ("cdb_backup_fresh", "cdb-mall0001") in failed
    assert ("cdb_backup_fresh", "cdb-dev00001") not in failed
