"""Off-site copies of protected buckets in another cloud, read through its S3-compatible API."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from .base import Model, Resource
from .cos import LifecycleRule, ObjectLock


class OffsiteCopy(Resource):
    """The bucket of one configured off-site target. `account` is `offsite:<target name>`."""

    RESOURCE_TYPE = "offsite.bucket"

    target: str
    endpoint_url: str = ""
    bucket: str
    source_bucket: str  # the protected COS bucket this copies
    versioning: str | None = None
    object_lock: ObjectLock | None = None
    lifecycle: list[LifecycleRule] = Field(default_factory=list)
    newest_object_at: datetime | None = None
    newest_object_storage_class: str | None = None
    object_count_sampled: int = 0

    @property
    def resource_id(self) -> str:
        return f"{self.target}/{self.bucket}"


class OffsiteState(Model):
    copies: list[OffsiteCopy] = Field(default_factory=list)
