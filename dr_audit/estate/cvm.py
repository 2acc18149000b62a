"""CVM instances: where they run, which network they sit in, and their tags and disks."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from .base import Model, Resource


class Instance(Resource):
    """A CVM instance. `unreadable` keys the checks consult: "tags", "zone", "state"."""

    RESOURCE_TYPE = "cvm.instance"

    instance_id: str
    name: str = ""
    zone: str = ""
    state: str = "RUNNING"
    vpc_id: str | None = None
    subnet_id: str | None = None
    security_group_ids: list[str] = Field(default_factory=list)
    private_ips: list[str] = Field(default_factory=list)
    public_ips: list[str] = Field(default_factory=list)
    tags: dict[str, str] = Field(default_factory=dict)
    disk_ids: list[str] = Field(default_factory=list)  # system disk first, then data disks
    created_at: datetime | None = None

    @property
    def resource_id(self) -> str:
        return self.instance_id


class CvmState(Model):
    instances: list[Instance] = Field(default_factory=list)

    def instance(self, instance_id: str) -> Instance | None:
        for instance in self.instances:
            if instance.instance_id == instance_id:
                return instance
        return None
