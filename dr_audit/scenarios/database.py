"""Scenario part: database. The production MySQL masters, the development one and, when hardened, their DR
instances in ap-beijing.

Before the incident: single-AZ masters, three days of backups and binlogs, no DR instance and no remote backups,
and last night's backup of the mall database failed. Hardened: multi-AZ, two weeks of backups, a synced DR
instance and remote backups in ap-beijing, and fresh successful backups that reached the remote region.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from ..estate import BackupConfig, DrLink, Estate, MysqlBackup, MysqlInstance, RemoteBackupConfig, RemoteCopy
from .world import ACCOUNT, DR_REGIONS, MYSQL_DEV, MYSQL_DR, MYSQL_PROD, PRIMARY, World

DR_REGION = DR_REGIONS[0]  # ap-beijing
MASTER_ZONE = "ap-shanghai-2"
REPLICA_ZONE = "ap-shanghai-3"
DR_ZONE = "ap-beijing-3"
SYNC_OK = 2


def build(world: World, estate: Estate) -> None:
    apps = {MYSQL_PROD[0]: ("mall", "prod"), MYSQL_PROD[1]: ("crm", "prod"), MYSQL_DEV: ("mall", "dev")}
    for instance_id, (app, env) in apps.items():
        estate.cdb.instances.append(_master(world, instance_id, app, env))
        if world.hardened and instance_id in MYSQL_DR:
            estate.cdb.instances.append(_dr_instance(instance_id, app))


def _master(world: World, instance_id: str, app: str, env: str) -> MysqlInstance:
    prod = env == "prod"
    hardened = world.hardened
    return MysqlInstance(
        account=ACCOUNT, region=PRIMARY, instance_id=instance_id, name=f"{app}-{env}-mysql", role="master",
        zone=MASTER_ZONE,
        # The dev database stays single-AZ even when hardened: only production is promised cross-AZ.
        multi_az=hardened and prod,
        replica_zones=[REPLICA_ZONE if hardened and prod else MASTER_ZONE],
        dr_links=[DrLink(instance_id=MYSQL_DR[instance_id], region=DR_REGION, zone=DR_ZONE, sync_status=SYNC_OK)]
        if hardened and prod else [],
        status=1,
        tags={"env": env, "app": app},
        backup_config=_backup_config(hardened, instance_id),
        remote_backup=RemoteBackupConfig(backup_enabled=True, binlog_enabled=True, regions=[DR_REGION],
                                         expire_days=14)
        if hardened and prod else RemoteBackupConfig(),
        backups=_backups(world, instance_id, remote=hardened and prod),
    )


def _backup_config(hardened: bool, instance_id: str) -> BackupConfig:
    if hardened:
        return BackupConfig(backup_expire_days=14, binlog_expire_days=14, method="physical")
    if instance_id == MYSQL_PROD[1]:
        # CRM kept a week of backups but only three days of binlogs: point-in-time recovery still fell short.
        return BackupConfig(backup_expire_days=7, binlog_expire_days=3, method="physical")
    if instance_id == MYSQL_DEV:
        return BackupConfig(backup_expire_days=7, binlog_expire_days=7, method="physical")
    return BackupConfig(backup_expire_days=3, binlog_expire_days=3, method="physical")


def _backups(world: World, instance_id: str, *, remote: bool) -> list[MysqlBackup]:
    """The two most recent automatic backups, newest first."""
    number = MYSQL_PROD.index(instance_id) + 1 if instance_id in MYSQL_PROD else 9
    tonight = world.ago(hours=9, minutes=30)
    last_night = world.ago(days=1, hours=9, minutes=30)

    def backup(serial: int, started: datetime, status: str) -> MysqlBackup:
        finished = started + timedelta(minutes=23, seconds=7) if status == "SUCCESS" else None
        copies = [RemoteCopy(region=DR_REGION, status="SUCCESS")] if remote and status == "SUCCESS" else []
        return MysqlBackup(backup_id=f"{number}{serial:09d}", started_at=started, finished_at=finished,
                           status=status, way="automatic", remote=copies)

    if not world.hardened and instance_id == MYSQL_PROD[0]:
        # The mall database's backups have failed for two nights; the last good one is older than the RPO.
        return [backup(3, tonight, "FAILED"), backup(2, last_night, "FAILED"),
                backup(1, world.ago(days=2, hours=9, minutes=30), "SUCCESS")]
    return [backup(2, tonight, "SUCCESS"), backup(1, last_night, "SUCCESS")]


def _dr_instance(master_id: str, app: str) -> MysqlInstance:
    return MysqlInstance(
        account=ACCOUNT, region=DR_REGION, instance_id=MYSQL_DR[master_id], name=f"{app}-prod-mysql-dr", role="dr",
        zone=DR_ZONE, multi_az=False, replica_zones=[DR_ZONE], master_instance_id=master_id, master_region=PRIMARY,
        status=1, tags={"env": "prod", "app": app},
        # What a collector reads back for a DR instance: its own settings, no remote backups, no backups yet.
        backup_config=BackupConfig(backup_expire_days=14, binlog_expire_days=14, method="physical"),
        remote_backup=RemoteBackupConfig(), backups=[],
    )
