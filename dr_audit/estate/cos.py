"""COS buckets and the configuration that keeps their data: versioning, replication, lifecycle, object lock."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from .base import Model, Resource


class ReplicationRule(Model):
    id: str = ""
    enabled: bool = True
    prefix: str = ""  # "" replicates the whole bucket
    destination_bucket: str  # bucket name with its APPID, e.g. data-dr-1250000000
    destination_region: str  # parsed from qcs::cos:<region>::<bucket>
    storage_class: str | None = None
    delete_marker_replication: bool | None = None


class Replication(Model):
    role: str = ""
    rules: list[ReplicationRule] = Field(default_factory=list)


class Transition(Model):
    days: int | None = None
    date: str | None = None
    storage_class: str


class LifecycleRule(Model):
    id: str = ""
    enabled: bool = True
    prefix: str = ""
    transitions: list[Transition] = Field(default_factory=list)
    noncurrent_transitions: list[Transition] = Field(default_factory=list)
    expiration_days: int | None = None
    expiration_date: str | None = None
    expired_object_delete_marker: bool = False
    noncurrent_expiration_days: int | None = None


class ObjectLock(Model):
    enabled: bool = False
    mode: str | None = None  # COS supports COMPLIANCE only
    days: int | None = None
    years: int | None = None

    @property
    def retention_days(self) -> int:
        return (self.days or 0) + 365 * (self.years or 0)


class BucketAcl(Model):
    public_read: bool = False
    public_write: bool = False


class Bucket(Resource):
    """A COS bucket. A config that was read and found absent is None; one that failed is in `unreadable`."""

    RESOURCE_TYPE = "cos.bucket"

    name: str
    tags: dict[str, str] = Field(default_factory=dict)
    versioning: str | None = None  # Enabled / Suspended / None (never enabled)
    replication: Replication | None = None
    lifecycle: list[LifecycleRule] = Field(default_factory=list)
    object_lock: ObjectLock | None = None
    acl: BucketAcl = Field(default_factory=BucketAcl)
    policy: dict[str, Any] | None = None  # the bucket policy document
    logging_target: str | None = None  # target bucket of access logging, None when off
    created_at: datetime | None = None

    @property
    def resource_id(self) -> str:
        return self.name


class CosState(Model):
    buckets: list[Bucket] = Field(default_factory=list)

    def bucket(self, name: str) -> Bucket | None:
        for bucket in self.buckets:
            if bucket.name == name:
                return bucket
        return None


def bucket_roles(buckets: list[Bucket], include_protected: list[str], exclude_protected: list[str],
                 include_backup: list[str], exclude_backup: list[str]) -> tuple[list[Bucket], list[Bucket]]:
    """Split buckets into (protected, backup) as DESIGN.md §4 defines them.

    Backup/replica buckets: every replication destination plus those tagged `dr-audit:role=backup`, or exactly
    the `include_backup` globs when given. Protected buckets: every other bucket that is not an access-log or
    audit-log target and not tagged `dr-audit:exclude`, or exactly the `include_protected` globs when given.
    `log_targets` come from bucket logging; audit-track buckets are excluded by the caller passing them in
    `exclude_protected`.
    """
    from fnmatch import fnmatchcase

    def matches(name: str, patterns: list[str]) -> bool:
        return any(fnmatchcase(name, p) for p in patterns)

    destinations = {
        rule.destination_bucket
        for b in buckets if b.replication is not None
        for rule in b.replication.rules
    }
    if include_backup:
        backup = [b for b in buckets if matches(b.name, include_backup)]
    else:
        backup = [b for b in buckets if b.name in destinations or b.tags.get("dr-audit:role") == "backup"]
    backup = [b for b in backup if not matches(b.name, exclude_backup)]
    backup_names = {b.name for b in backup}
    log_targets = {b.logging_target for b in buckets if b.logging_target}
    if include_protected:
        protected = [b for b in buckets if matches(b.name, include_protected)]
    else:
        protected = [
            b for b in buckets
            if b.name not in backup_names and b.name not in log_targets and "dr-audit:exclude" not in b.tags
        ]
    protected = [b for b in protected if not matches(b.name, exclude_protected)]
    return protected, backup
