"""Shared building blocks of the Estate: the base model, resource references and read gaps."""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field

from ..fields import new_dict


class Model(BaseModel):
    """Base of every Estate model: unknown fields are rejected so a corrupt snapshot fails loudly."""

    model_config = ConfigDict(extra="forbid", validate_assignment=False)


class ResourceRef(Model):
    """What a finding is about: the contract's `resource` object."""

    type: str
    id: str
    region: str = ""
    account: str = ""


class Origin(Model):
    """Where a resource was declared, for plan sources (Terraform address, file and line)."""

    address: str
    file: str | None = None
    line: int | None = None


class Resource(Model):
    """An observed cloud resource.

    `unreadable` maps an attribute name to the reason it could not be read (a denied call, a throttled-out read,
    or "unknown until apply" under a plan). Checks that need such an attribute answer ERROR for this resource.
    """

    RESOURCE_TYPE: ClassVar[str] = "resource"

    account: str
    region: str = ""
    unreadable: dict[str, str] = Field(default_factory=new_dict)
    origin: Origin | None = None

    @property
    def resource_id(self) -> str:
        raise NotImplementedError

    def ref(self) -> ResourceRef:
        # Under a plan the cloud id is often unknown until apply; the Terraform address names the resource instead.
        resource_id = self.origin.address if self.origin is not None else self.resource_id
        # Every field is already a validated str of this model: skip validating them again, once per finding.
        return ResourceRef.model_construct(type=self.RESOURCE_TYPE, id=resource_id, region=self.region,
                                           account=self.account)

    def unknown(self, *attributes: str) -> str | None:
        """The reason the first of `attributes` could not be read, or None when all were read."""
        for attribute in attributes:
            if attribute in self.unreadable:
                return f"{attribute}: {self.unreadable[attribute]}"
        return None


class Gap(Model):
    """A read that failed for a whole (account, service, region): the inventory there is unknown."""

    account: str
    service: str
    region: str = ""
    operation: str = ""
    code: str
    message: str = ""

    def covers(self, account: str, region: str) -> bool:
        """A global gap (region "") covers every region of its account."""
        return self.account == account and (not self.region or self.region == region)

    def describe(self) -> str:
        where = f"{self.service} in {self.region}" if self.region else self.service
        call = f" ({self.operation})" if self.operation else ""
        detail = f": {self.message}" if self.message else ""
        return f"{where} could not be read{call}: {self.code}{detail}"


def account_ref(account: str) -> ResourceRef:
    """Account-wide checks use the account itself as the resource."""
    return ResourceRef(type="account", id=account, region="", account=account)
