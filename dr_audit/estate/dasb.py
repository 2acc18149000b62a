"""The cloud bastion host (DASB): its service resources, the devices it manages and its access rules."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import Field

from ..fields import new_list
from .base import DEADLINE, Model, Resource


class BastionResource(Resource):
    RESOURCE_TYPE = "dasb.resource"

    bastion_id: str  # ResourceId, e.g. bh-saas-s3ed4r5e
    status: int | None = None  # 1 normal, 2 isolated, 3 destroyed …
    deployed: bool = False
    expired: bool = False
    expire_at: Annotated[datetime | None, DEADLINE] = None
    vpc_id: str | None = None
    subnet_id: str | None = None
    private_ips: list[str] = Field(default_factory=new_list)
    public_ips: list[str] = Field(default_factory=new_list)
    intranet_ips: list[str] = Field(default_factory=new_list)

    @property
    def resource_id(self) -> str:
        return self.bastion_id

    @property
    def active(self) -> bool:
        return self.status == 1 and self.deployed and not self.expired

    @property
    def addresses(self) -> list[str]:
        return [*self.private_ips, *self.intranet_ips, *self.public_ips]


class BastionDevice(Resource):
    RESOURCE_TYPE = "dasb.device"

    device_id: str
    instance_id: str | None = None
    name: str = ""
    private_ip: str | None = None
    public_ip: str | None = None
    kind: int | None = None
    bastion_resource_id: str | None = None  # None: not bound to any bastion
    vpc_id: str | None = None
    group_ids: list[str] = Field(default_factory=new_list)  # GroupSet[].Id: the device groups it belongs to

    @property
    def resource_id(self) -> str:
        return self.device_id


class BastionAcl(Resource):
    RESOURCE_TYPE = "dasb.acl"

    acl_id: str
    name: str = ""
    allow_any_account: bool = False
    allow_file_delete: bool = False
    cmd_template_ids: list[str] = Field(default_factory=new_list)
    user_ids: list[str] = Field(default_factory=new_list)
    user_group_ids: list[str] = Field(default_factory=new_list)
    device_ids: list[str] = Field(default_factory=new_list)
    device_group_ids: list[str] = Field(default_factory=new_list)
    accounts: list[str] = Field(default_factory=new_list)
    validate_to: Annotated[datetime | None, DEADLINE] = None
    status: int | None = None

    @property
    def resource_id(self) -> str:
        return self.acl_id


class DasbState(Model):
    resources: list[BastionResource] = Field(default_factory=new_list)
    devices: list[BastionDevice] = Field(default_factory=new_list)
    acls: list[BastionAcl] = Field(default_factory=new_list)
