"""TencentDB for MySQL: instances, their replicas and DR links, backup configuration and recent backups."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field

from ..fields import new_dict, new_list
from .base import DAYS, TIMESTAMP, Model, Plausible, Resource


class DrLink(Model):
    instance_id: str
    region: str
    zone: str = ""
    sync_status: Annotated[int | None, Plausible(0, 4)] = None  # 0 not synced, 1 syncing, 2 OK, 3 failed, 4 repairing


class BackupConfig(Model):
    backup_expire_days: Annotated[int | None, DAYS] = None
    binlog_expire_days: Annotated[int | None, DAYS] = None
    method: str | None = None


class RemoteBackupConfig(Model):
    backup_enabled: bool = False
    binlog_enabled: bool = False
    regions: list[str] = Field(default_factory=new_list)
    expire_days: Annotated[int | None, DAYS] = None


class RemoteCopy(Model):
    region: str
    status: str


class MysqlBackup(Model):
    backup_id: str
    started_at: Annotated[datetime | None, TIMESTAMP] = None
    finished_at: Annotated[datetime | None, TIMESTAMP] = None
    status: str  # SUCCESS / FAILED / RUNNING
    way: str = "automatic"
    remote: list[RemoteCopy] = Field(default_factory=new_list)


class MysqlInstance(Resource):
    """A MySQL instance. `backup_config` and `remote_backup` are None until read (None means unknown, never
    "off"); backup times are aware UTC (the API's Beijing times converted; a running backup's zero time is None).
    `unreadable` keys the checks consult: "tags", "zone", "multi_az", "replica_zones", "dr_links",
    "backup_config", "remote_backup", "backups"."""

    RESOURCE_TYPE = "cdb.instance"

    instance_id: str
    name: str = ""
    role: Literal["master", "dr", "ro"] = "master"
    zone: str = ""
    multi_az: bool | None = None  # DeployMode == 1
    replica_zones: list[str] = Field(default_factory=new_list)  # SlaveInfo First/Second/Third zones
    dr_links: list[DrLink] = Field(default_factory=new_list)
    master_instance_id: str | None = None
    master_region: str | None = None
    status: int | None = None
    tags: dict[str, str] = Field(default_factory=new_dict)
    backup_config: BackupConfig | None = None
    remote_backup: RemoteBackupConfig | None = None
    backups: list[MysqlBackup] = Field(default_factory=new_list)  # recent backups, newest first

    @property
    def resource_id(self) -> str:
        return self.instance_id


class CdbState(Model):
    instances: list[MysqlInstance] = Field(default_factory=new_list)

    def masters(self) -> list[MysqlInstance]:
        return [i for i in self.instances if i.role == "master"]
