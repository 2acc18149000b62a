"""TencentDB for MySQL (W3.1): cross-AZ replicas, kept and fresh backups, and a DR copy in another region."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from pydantic import Field

from dr_audit.api import EVIDENCE_SOURCES, CheckParams, Estate, MysqlBackup, MysqlInstance, Result, check

# A time this far after collection is not an observation (most likely Beijing time converted the wrong way).
FUTURE_TOLERANCE = timedelta(hours=1)
DR_SYNC_OK = 2  # DrInfo.SyncStatus: 0 not synced, 1 syncing, 2 OK, 3 failed, 4 repairing
SYNC_NAMES = {0: "not synced", 1: "syncing", 2: "OK", 3: "failed", 4: "repairing"}


def prod_masters(estate: Estate, params: CheckParams) -> Iterator[MysqlInstance | Result]:
    """Production masters, or an ERROR result for a master whose environment cannot be told."""
    for instance in estate.cdb.masters():
        if reason := instance.unknown("tags"):
            yield Result.error(instance, f"{reason}: cannot tell whether it is production")
        elif params.scope.is_prod(instance.tags, instance.name):
            yield instance


class MultiAzParams(CheckParams):
    pass


@check(
    id="cdb_multi_az",
    promise="W3.1",
    severity="high",
    title="Production MySQL instances have a replica in another availability zone",
    remediation="Move the instance to multi-AZ deployment with its replica in a different availability zone from "
    "the master (TencentDB for MySQL console: the instance's availability settings), and confirm the replica's zone "
    "in DescribeDBInstanceConfig.",
    requires=("cdb",),
    risk="A master whose replicas share its zone is lost, with the replicas, when the zone fails.",
)
def cdb_multi_az(estate: Estate, params: MultiAzParams) -> Iterator[Result]:
    for item in prod_masters(estate, params):
        if isinstance(item, Result):
            yield item
            continue
        instance = item
        if reason := instance.unknown("multi_az", "replica_zones", "zone"):
            yield Result.error(instance, reason)
            continue
        if instance.multi_az is None or not instance.zone:
            yield Result.error(instance, "deploy mode or zone was not reported")
            continue
        other = sorted({z for z in instance.replica_zones if z and z != instance.zone})
        evidence = {"zone": instance.zone, "replica_zones": instance.replica_zones, "multi_az": instance.multi_az}
        if instance.multi_az and other:
            yield Result.ok(instance, f"replica in {', '.join(other)}", **evidence)
        elif instance.multi_az and not instance.replica_zones:
            yield Result.error(instance, "deploy mode is multi-AZ but no replica zone was reported", **evidence)
        elif instance.multi_az:
            yield Result.fail(instance, f"multi-AZ in name only: every replica is in {instance.zone}", **evidence)
        elif other:
            # DeployMode 0 although a replica shows another zone: the deployment is not promised to stay there.
            yield Result.fail(instance, f"deploy mode is single-AZ (replica reported in {', '.join(other)})",
                              **evidence)
        else:
            yield Result.fail(instance, f"single-AZ deployment in {instance.zone}: no replica in another zone",
                              **evidence)


class BackupRetentionParams(CheckParams):
    min_backup_days: int = Field(7, ge=1)
    min_binlog_days: int = Field(7, ge=1)


@check(
    id="cdb_backup_retention",
    promise="W3.1",
    severity="high",
    title="Automatic MySQL backups and binlogs are kept long enough",
    remediation="Keep data backups for at least {min_backup_days} days and binlogs for at least {min_binlog_days} "
    "days (console: TencentDB for MySQL > Backup and restore > Auto-backup settings; tccli cdb ModifyBackupConfig "
    "--ExpireDays, ModifyBinlogConfig).",
    requires=("cdb",),
    risk="Damage noticed after the retention window (a slow corruption, a deletion found at month end) cannot be "
    "undone: the last good backup is already gone.",
)
def cdb_backup_retention(estate: Estate, params: BackupRetentionParams) -> Iterator[Result]:
    for instance in estate.cdb.masters():
        config = instance.backup_config
        if reason := instance.unknown("backup_config"):
            yield Result.error(instance, reason)
            continue
        if config is None:
            yield Result.error(instance, "backup configuration was not read")
            continue
        backup_days, binlog_days = config.backup_expire_days, config.binlog_expire_days
        if backup_days is None or binlog_days is None:
            missing = "backup" if backup_days is None else "binlog"
            yield Result.error(instance, f"{missing} retention was not reported")
            continue
        evidence = {"backup_expire_days": backup_days, "binlog_expire_days": binlog_days,
                    "min_backup_days": params.min_backup_days, "min_binlog_days": params.min_binlog_days}
        shortfalls = []
        if backup_days < params.min_backup_days:
            shortfalls.append(f"backups kept only {backup_days} days (need {params.min_backup_days})")
        if binlog_days < params.min_binlog_days:
            shortfalls.append(f"binlogs kept only {binlog_days} days (need {params.min_binlog_days})")
        if shortfalls:
            yield Result.fail(instance, "; ".join(shortfalls), **evidence)
        else:
            yield Result.ok(instance, f"backups {backup_days} days, binlogs {binlog_days} days", **evidence)


class CrossRegionDrParams(CheckParams):
    pass


@check(
    id="cdb_cross_region_dr",
    promise="W3.1",
    severity="high",
    title="Production MySQL instances have a DR instance or remote backups in another region",
    remediation="Create a disaster-recovery instance in another region and keep it in sync (tccli cdb "
    "CreateDBInstance with MasterInstanceId and InstanceRole dr), or at least enable cross-region backups of data "
    "and binlogs to another region (console: Backup and restore > Cross-region backup; ModifyRemoteBackupConfig).",
    requires=("cdb",),
    risk="Replicas and backups kept only in the master's region are lost with the region, or with one careless "
    "operator's rights there.",
)
def cdb_cross_region_dr(estate: Estate, params: CrossRegionDrParams) -> Iterator[Result]:
    for item in prod_masters(estate, params):
        if isinstance(item, Result):
            yield item
            continue
        instance = item
        own = instance.region
        dr_unknown = instance.unknown("dr_links")
        remote_unknown = instance.unknown("remote_backup") or (
            "remote backup settings were not read" if instance.remote_backup is None else None)
        links = [] if dr_unknown else [link for link in instance.dr_links if link.region and link.region != own]
        healthy = [link for link in links if link.sync_status == DR_SYNC_OK]
        remote = None if remote_unknown else instance.remote_backup
        remote_regions = sorted({r for r in (remote.regions if remote else []) if r and r != own})
        evidence = {
            "dr_instances": {link.instance_id: {"region": link.region, "sync": sync_name(link.sync_status)}
                             for link in links},
            "remote_backup": {"enabled": remote.backup_enabled, "binlog": remote.binlog_enabled,
                              "regions": remote_regions} if remote else None,
        }
        ways = []
        if healthy:
            ways.append("DR instance " + ", ".join(f"{link.instance_id} in {link.region}" for link in healthy))
        if remote and remote.backup_enabled and remote_regions:
            binlog = " with binlogs" if remote.binlog_enabled else " (data only, no binlogs)"
            ways.append(f"remote backups to {', '.join(remote_regions)}{binlog}")
        if ways:
            yield Result.ok(instance, "; ".join(ways), **evidence)
            continue
        # Absence is proven only when both the DR links and the remote-backup settings were read.
        if dr_unknown or remote_unknown:
            yield Result.error(instance, dr_unknown or remote_unknown or "", **evidence)
            continue
        if links:
            states = ", ".join(f"{link.instance_id} in {link.region} is {sync_name(link.sync_status)}"
                               for link in links)
            dr = f"DR instance not in sync ({states})"
        else:
            dr = f"no DR instance outside {own}"
        if remote and remote.backup_enabled:
            backups = "remote backups stay in the instance's own region"
        else:
            backups = "remote backups are off"
        yield Result.fail(instance, f"{dr}; {backups}", **evidence)


def sync_name(status: int | None) -> str:
    return SYNC_NAMES.get(status, f"in state {status}") if status is not None else "in an unknown sync state"


def backup_time(backup: MysqlBackup) -> datetime | None:
    """The backup's recovery point as far as we can tell: its start (the earlier, stricter time), else its end."""
    return backup.started_at or backup.finished_at


class BackupFreshParams(CheckParams):
    rpo_hours: float = Field(26, gt=0)


@check(
    id="cdb_backup_fresh",
    promise="W3.1",
    severity="high",
    title="Each MySQL instance has a successful backup younger than the RPO",
    remediation="Find out why recent backups failed or did not run (backup window, storage quota, instance "
    "status) and take a backup now (tccli cdb CreateBackup); a successful backup must stay younger than "
    "{rpo_hours} hours.",
    requires=("cdb",),
    sources=EVIDENCE_SOURCES,
    risk="A backup schedule that fails quietly leaves the newest restorable copy days old.",
)
def cdb_backup_fresh(estate: Estate, params: BackupFreshParams) -> Iterator[Result]:
    now = estate.collected_at
    rpo = timedelta(hours=params.rpo_hours)
    for instance in estate.cdb.masters():
        if reason := instance.unknown("backups"):
            yield Result.error(instance, reason)
            continue
        ages = backup_ages(instance.backups, now)
        if isinstance(ages, str):
            yield Result.error(instance, ages)
            continue
        attempts = sorted(ages, key=lambda pair: pair[0])  # newest first: the API does not always order them
        latest = {"backup": attempts[0][1].backup_id, "status": attempts[0][1].status} if attempts else None
        successes = [(age, backup) for age, backup in attempts if backup.status == "SUCCESS"]
        evidence: dict[str, Any] = {"rpo_hours": params.rpo_hours, "latest_attempt": latest}
        if not successes:
            yield Result.fail(instance, "no successful backup on record", **evidence)
            continue
        age, newest = successes[0]
        evidence |= {"backup": newest.backup_id, "age_hours": round(age.total_seconds() / 3600, 1)}
        if age < rpo:
            yield Result.ok(instance, f"newest successful backup is {_hours(age)} old", **evidence)
            continue
        tail = f"; latest attempt {latest['status']}" if latest and latest["status"] != "SUCCESS" else ""
        yield Result.fail(instance, f"newest successful backup {newest.backup_id} is {_hours(age)} old "
                          f"(RPO {params.rpo_hours:g} h){tail}", **evidence)


def backup_ages(backups: list[MysqlBackup], now: datetime) -> list[tuple[timedelta, MysqlBackup]] | str:
    """Each dated backup with its age at `now`, or why the dates cannot be trusted.

    A running backup may carry no time yet (the API's 0000-00-00): it is left out, not guessed.
    """
    aged = []
    for backup in backups:
        moment = backup_time(backup)
        if moment is None:
            continue
        if moment.tzinfo is None or moment.utcoffset() is None:
            return f"backup {backup.backup_id}: time {moment.isoformat()} carries no time zone"
        if now - moment < -FUTURE_TOLERANCE:
            return f"backup {backup.backup_id} is dated after the collection ({moment.isoformat()}): time zone misread?"
        aged.append((max(now - moment, timedelta(0)), backup))
    return aged


def _hours(age: timedelta) -> str:
    total = age.total_seconds() / 3600
    return f"{total:.1f} h" if total < 48 else f"{total / 24:.1f} days"
