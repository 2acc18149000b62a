"""Emulated TencentDB for MySQL (2017-03-20, regional): instances with replicas and DR links, backup settings and
backups. Times are Beijing time; a backup still running answers 0000-00-00 00:00:00 for an unknown time, like the
real service.
"""

from __future__ import annotations

from datetime import datetime

from ...estate import Estate, MysqlInstance
from ..protocol import ApiError, Call, Item, beijing_time, int_param, list_param, numeric_id, offset_limit, str_param
from . import ServiceBackend, action, refuse_unreadable

MAX_INSTANCES = 2000
MAX_BACKUPS = 1000
ROLE_TYPES = {"master": 1, "dr": 2, "ro": 3}
NO_TIME = "0000-00-00 00:00:00"
REMOTE_REGIONS = ["ap-beijing", "ap-shanghai", "ap-nanjing", "ap-guangzhou", "ap-chengdu", "ap-chongqing"]


def _time(moment: datetime | None) -> str:
    return beijing_time(moment) or NO_TIME


def _slave(zone: str, region: str) -> Item:
    return {"Vip": "10.0.0.2", "Vport": 3306, "Zone": zone, "Region": region}


def instance_item(db: MysqlInstance, by_id: dict[str, MysqlInstance]) -> Item:
    zones = db.replica_zones
    master = by_id.get(db.master_instance_id or "")
    master_info = None
    if db.master_instance_id:
        master_info = {"Region": db.master_region or (master.region if master else ""), "RegionId": 0, "ZoneId": 0,
                       "Zone": master.zone if master else "", "InstanceId": db.master_instance_id, "ResourceId": "",
                       "Status": 1, "InstanceName": master.name if master else "", "InstanceType": 1,
                       "TaskStatus": 0, "Memory": 8000, "Volume": 200, "DeviceType": "UNIVERSAL", "Qps": 0,
                       "VpcId": 0, "SubnetId": 0, "ExClusterId": "", "ExClusterName": ""}
    return {
        "InstanceId": db.instance_id, "InstanceName": db.name, "InstanceType": ROLE_TYPES[db.role],
        "Region": db.region, "Zone": db.zone, "ZoneId": 0, "ZoneName": db.zone,
        "DeployMode": None if db.multi_az is None else int(db.multi_az),
        "SlaveInfo": None if not zones else {
            "First": _slave(zones[0], db.region),
            "Second": _slave(zones[1], db.region) if len(zones) > 1 else None,
            "Third": _slave(zones[2], db.region) if len(zones) > 2 else None,
        },
        "DrInfo": [{"Status": 1, "Zone": link.zone, "InstanceId": link.instance_id, "Region": link.region,
                    "SyncStatus": link.sync_status, "InstanceName": "", "InstanceType": 2} for link in db.dr_links],
        "MasterInfo": master_info,
        "Status": db.status, "TaskStatus": 0, "ProtectMode": 0, "RoGroups": [], "UniqVpcId": "", "UniqSubnetId": "",
        "TagList": [{"TagKey": k, "TagValue": v} for k, v in db.tags.items()],
        "DestroyProtect": "off", "EngineVersion": "8.0", "DeviceType": "UNIVERSAL", "EngineType": "InnoDB",
        "Memory": 8000, "Volume": 200, "Cpu": 4, "Qps": 0, "Vip": "10.0.0.3", "Vport": 3306, "PayType": 1,
        "CreateTime": "2019-06-01 10:00:00", "DeadlineTime": "0000-00-00 00:00:00", "WanStatus": 0, "InitFlag": 1,
        "AutoRenew": 0, "ProjectId": 0, "VpcId": 0, "SubnetId": 0, "CdbError": 0, "InstanceNodes": 2,
    }


class CdbBackend(ServiceBackend):
    service = "cdb"
    version = "2017-03-20"

    def __init__(self, estate: Estate, account: str) -> None:
        super().__init__(estate, account)
        instances = self.mine(estate.cdb.instances)
        by_id = {db.instance_id: db for db in instances}
        self.instances: list[MysqlInstance] = instances
        self.by_id = by_id
        self.items: dict[str, list[Item]] = {}
        for db in instances:
            self.items.setdefault(db.region, []).append(instance_item(db, by_id))

    def _instance(self, call: Call) -> MysqlInstance:
        instance_id = str_param(call.params, "InstanceId", required=True)
        db = self.by_id.get(instance_id or "")
        if db is None or db.region != call.region:
            raise ApiError("InvalidParameter.InstanceNotFound", f"the instance {instance_id} does not exist")
        return db

    @action("DescribeDBInstances")
    def describe_db_instances(self, call: Call) -> Item:
        offset, limit = offset_limit(call.params, maximum=MAX_INSTANCES)
        items = self.items.get(call.region, [])
        ids = list_param(call.params, "InstanceIds")
        types = list_param(call.params, "InstanceTypes")
        statuses = list_param(call.params, "Status")
        with_types = {1} if int_param(call.params, "WithMaster", 1) else set()
        with_types |= {2} if int_param(call.params, "WithDr", 1) else set()
        with_types |= {3} if int_param(call.params, "WithRo", 1) else set()
        selected = [
            item for item in items
            if (not ids or item["InstanceId"] in ids) and (not types or item["InstanceType"] in types)
            and (not statuses or item["Status"] in statuses) and item["InstanceType"] in with_types
        ]
        return {"TotalCount": len(selected), "Items": selected[offset:offset + limit]}

    @action("DescribeBackupConfig")
    def describe_backup_config(self, call: Call) -> Item:
        db = self._instance(call)
        refuse_unreadable(db, "backup_config")
        config = db.backup_config
        if config is None:
            raise ApiError("UnsupportedOperation", f"the instance {db.instance_id} has no backup configuration")
        window = "02:00-06:00"
        return {
            "StartTimeMin": 2, "StartTimeMax": 6, "BackupExpireDays": config.backup_expire_days,
            "BackupMethod": config.method, "BinlogExpireDays": config.binlog_expire_days,
            "BackupTimeWindow": {day: window for day in ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday",
                                                         "Saturday", "Sunday")},
            "EnableBackupPeriodSave": "off", "BackupPeriodSaveDays": 1080, "BackupPeriodSaveInterval": "monthly",
            "BackupPeriodSaveCount": 1, "EnableBackupArchive": "off", "BackupArchiveDays": 180,
            "EnableBinlogArchive": "off", "BinlogArchiveDays": 180, "EnableBackupStandby": "off",
            "BackupStandbyDays": 30, "EnableBinlogStandby": "off", "BinlogStandbyDays": 30,
        }

    @action("DescribeRemoteBackupConfig")
    def describe_remote_backup_config(self, call: Call) -> Item:
        db = self._instance(call)
        refuse_unreadable(db, "remote_backup")
        remote = db.remote_backup
        if remote is None:
            raise ApiError("UnsupportedOperation", f"the instance {db.instance_id} has no remote backup configuration")
        return {"ExpireDays": remote.expire_days, "RemoteBackupSave": "on" if remote.backup_enabled else "off",
                "RemoteBinlogSave": "on" if remote.binlog_enabled else "off", "RemoteRegion": list(remote.regions),
                "RegionList": [r for r in REMOTE_REGIONS if r != db.region]}

    @action("DescribeBackups")
    def describe_backups(self, call: Call) -> Item:
        db = self._instance(call)
        refuse_unreadable(db, "backups")
        offset, limit = offset_limit(call.params, maximum=MAX_BACKUPS)
        lowest = str_param(call.params, "MinStartTime")
        highest = str_param(call.params, "MaxStartTime")
        items = []
        for n, backup in enumerate(db.backups):
            started, finished = _time(backup.started_at), _time(backup.finished_at)
            if (lowest and started < lowest) or (highest and started > highest):
                continue
            items.append({
                "Name": f"{db.instance_id}_backup_{started.replace(' ', '').replace('-', '').replace(':', '')}",
                "Size": 1_073_741_824, "Date": started, "IntranetUrl": "", "InternetUrl": "", "Type": "physical",
                "BackupId": numeric_id(backup.backup_id), "Status": backup.status, "FinishTime": finished,
                "Creator": "SYSTEM" if backup.way == "automatic" else "user", "StartTime": started, "Method": "full",
                "Way": backup.way, "ManualBackupName": "", "SaveMode": "period", "Region": db.region,
                "RemoteInfo": [{"SubBackupId": 10_000 + n, "Region": copy.region, "Status": copy.status,
                                "StartTime": started, "FinishTime": finished, "Url": ""} for copy in backup.remote],
                "CosStorageType": 1, "InstanceId": db.instance_id, "EncryptionFlag": "off",
            })
        return {"TotalCount": len(items), "Items": items[offset:offset + limit]}
