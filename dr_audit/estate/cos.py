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
