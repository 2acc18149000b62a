"""CVM instances: where they run, which network they sit in, and their tags and disks."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

from pydantic import Field

from ..fields import new_dict, new_list
from .base import TIMESTAMP, Resource
from .index import Indexed

if TYPE_CHECKING:
    from ..scope import Scope


class Instance(Resource):
    """A CVM instance. `unreadable` keys the checks consult: "tags", "zone", "state"."""

    RESOURCE_TYPE = "cvm.instance"

    instance_id: str
    name: str = ""
    zone: str = ""
    state: str = "RUNNING"
    vpc_id: str | None = None
    subnet_id: str | None = None
    security_group_ids: list[str] = Field(default_factory=new_list)
    private_ips: list[str] = Field(default_factory=new_list)
    public_ips: list[str] = Field(default_factory=new_list)
    tags: dict[str, str] = Field(default_factory=new_dict)
    disk_ids: list[str] = Field(default_factory=new_list)  # system disk first, then data disks
    created_at: Annotated[datetime | None, TIMESTAMP] = None

    @property
    def resource_id(self) -> str:
        return self.instance_id


class CvmState(Indexed):
    instances: list[Instance] = Field(default_factory=new_list)

    def instance(self, instance_id: str) -> Instance | None:
        return self._first("instances", self.instances, lambda i: i.instance_id, instance_id)

    def environments(self, scope: Scope) -> list[str | None]:
        """Each instance's environment under `scope` (`Scope.env_of` of its tags and name), in `instances`' order:
        told once for every check that sets prod hosts apart. Whether its tags were read is the caller's to ask."""
        return self._each(f"environments {scope.environment_key()}", self.instances,
                          lambda i: scope.env_of(i.tags, i.name))
