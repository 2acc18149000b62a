"""CloudAudit tracks: what is recorded and where the records are kept."""

from __future__ import annotations

from pydantic import Field

from ..fields import new_list
from .base import Model, Resource


class AuditTrack(Resource):
    RESOURCE_TYPE = "cloudaudit.track"

    track_id: str
    name: str = ""
    status: int = 0  # 1 on
    action_type: str = ""  # Read / Write / *
    resource_type: str = ""  # a product, or * for all
    event_names: list[str] = Field(default_factory=new_list)
    storage_type: str | None = None  # cos / cls / ckafka
    storage_region: str | None = None
    storage_name: str | None = None  # for cos: the bucket name without -APPID
    storage_prefix: str | None = None

    @property
    def resource_id(self) -> str:
        return self.name or self.track_id


class CloudAuditState(Model):
    tracks: list[AuditTrack] = Field(default_factory=new_list)
