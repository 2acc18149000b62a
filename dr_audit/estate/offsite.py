"""Off-site copies of protected buckets in another cloud, read through its S3-compatible API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import Field

from ..fields import new_list
from .base import TIMESTAMP, Model, Plausible, Resource
from .cos import LifecycleRule, ObjectLock


class OffsiteCopy(Resource):
    """The bucket of one configured off-site target. `account` is `offsite:<target name>`.

    What the collector records, and how offsite_cold_copy reads it:
    - the target answered and the bucket exists: an OffsiteCopy (newest_object_at None when it holds no object);
    - the target answered that the bucket does not exist (NoSuchBucket): no OffsiteCopy (the check FAILs);
    - the target could not be read at all (unreachable, denied): a Gap with account `offsite:<target name>` and
      service `offsite`, or an OffsiteCopy whose `unreadable` names `bucket` (the check answers ERROR);
    - one configuration could not be read: its field name in `unreadable` (versioning, object_lock, lifecycle,
      newest_object_at, newest_object_storage_class).
    """

    RESOURCE_TYPE = "offsite.bucket"

    target: str
    endpoint_url: str = ""
    bucket: str
    source_bucket: str  # the protected COS bucket this copies
    versioning: str | None = None
    object_lock: ObjectLock | None = None
    lifecycle: list[LifecycleRule] = Field(default_factory=new_list)
    newest_object_at: Annotated[datetime | None, TIMESTAMP] = None
    newest_object_storage_class: str | None = None
    object_count_sampled: Annotated[int, Plausible(0, None)] = 0

    @property
    def resource_id(self) -> str:
        return f"{self.target}/{self.bucket}"


class OffsiteState(Model):
    copies: list[OffsiteCopy] = Field(default_factory=new_list)
