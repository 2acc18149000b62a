"""TencentDB for MySQL (regional): instances with replicas and DR links, backup and remote-backup configuration,
and recent backups (newest first)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from ...estate import BackupConfig, DrLink, MysqlBackup, MysqlInstance, RemoteBackupConfig, RemoteCopy
from ..answers import listed, require
from .common import AccountRun, beijing_time, items, optional_int, optional_text, tags, text

SERVICE = "cdb"
ROLES: dict[int, Literal["master", "dr", "ro"]] = {1: "master", 2: "dr", 3: "ro"}
INSTANCE_PAGE = 2000  # DescribeDBInstances allows up to 2000 a page
BACKUP_PAGE = 1000  # DescribeBackups allows up to 1000 a page
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def collect(run: AccountRun, region: str) -> None:
    run.spawn_inventory(SERVICE, region, instances, run, region)


def instances(run: AccountRun, region: str) -> None:
    found = [instance(run.account, region, entry)
             for entry in run.client.offset_pages(SERVICE, "DescribeDBInstances", {}, "Items", region=region,
                                                  limit=INSTANCE_PAGE)]
    run.harvest.add(run.estate.cdb.instances, found)
    for db in found:
        run.spawn_detail(SERVICE, db, ("backup_config",), backup_config, run, db)
        run.spawn_detail(SERVICE, db, ("remote_backup",), remote_backup, run, db)
        run.spawn_detail(SERVICE, db, ("backups",), backups, run, db)


def instance(account: str, region: str, entry: dict[str, Any]) -> MysqlInstance:
    slaves = entry.get("SlaveInfo") or {}
    replica_zones = [text(slaves[k].get("Zone")) for k in ("First", "Second", "Third")
                     if isinstance(slaves, dict) and isinstance(slaves.get(k), dict) and slaves[k].get("Zone")]
    master = entry.get("MasterInfo") or {}
    deploy = optional_int(entry.get("DeployMode"))
    return MysqlInstance(
        account=account, region=text(entry.get("Region")) or region, instance_id=text(entry.get("InstanceId")),
        name=text(entry.get("InstanceName")), role=ROLES.get(optional_int(entry.get("InstanceType")) or 1, "master"),
        zone=text(entry.get("Zone")), multi_az=None if deploy is None else deploy == 1, replica_zones=replica_zones,
        dr_links=[DrLink(instance_id=text(d.get("InstanceId")), region=text(d.get("Region")), zone=text(d.get("Zone")),
                         sync_status=optional_int(d.get("SyncStatus")))
                  for d in items(entry.get("DrInfo")) if isinstance(d, dict)],
        master_instance_id=optional_text(master.get("InstanceId")) if isinstance(master, dict) else None,
        master_region=optional_text(master.get("Region")) if isinstance(master, dict) else None,
        status=optional_int(entry.get("Status")), tags=tags(entry.get("TagList")),
    )


def backup_config(run: AccountRun, db: MysqlInstance) -> None:
    response = require(run.client.call(SERVICE, "DescribeBackupConfig", {"InstanceId": db.instance_id}, db.region),
                       ("BackupExpireDays", "BinlogExpireDays"), SERVICE, "DescribeBackupConfig", db.region)
    db.backup_config = BackupConfig(backup_expire_days=optional_int(response.get("BackupExpireDays")),
                                    binlog_expire_days=optional_int(response.get("BinlogExpireDays")),
                                    method=optional_text(response.get("BackupMethod")))


def remote_backup(run: AccountRun, db: MysqlInstance) -> None:
    response = require(run.client.call(SERVICE, "DescribeRemoteBackupConfig", {"InstanceId": db.instance_id},
                                       db.region),
                       ("RemoteBackupSave", "RemoteBinlogSave", "ExpireDays"), SERVICE, "DescribeRemoteBackupConfig",
                       db.region)
    db.remote_backup = RemoteBackupConfig(
        backup_enabled=text(response.get("RemoteBackupSave")).lower() == "on",
        binlog_enabled=text(response.get("RemoteBinlogSave")).lower() == "on",
        regions=[text(r) for r in listed(response, "RemoteRegion", SERVICE, "DescribeRemoteBackupConfig", db.region)],
        expire_days=optional_int(response.get("ExpireDays")),
    )


def backups(run: AccountRun, db: MysqlInstance) -> None:
    found = [backup(e) for e in run.client.offset_pages(SERVICE, "DescribeBackups", {"InstanceId": db.instance_id},
                                                        "Items", region=db.region, limit=BACKUP_PAGE)]
    # Newest first whatever order the answer used; a running backup (zero start time) counts as the newest.
    found.sort(key=lambda b: (b.started_at is None, b.started_at or b.finished_at or EPOCH), reverse=True)
    db.backups = found


def backup(entry: dict[str, Any]) -> MysqlBackup:
    return MysqlBackup(
        backup_id=text(entry.get("BackupId")), started_at=beijing_time(entry.get("StartTime")),
        finished_at=beijing_time(entry.get("FinishTime")), status=text(entry.get("Status")),
        way=text(entry.get("Way")) or "automatic",
        remote=[RemoteCopy(region=text(r.get("Region")), status=text(r.get("Status")))
                for r in items(entry.get("RemoteInfo")) if isinstance(r, dict)],
    )
