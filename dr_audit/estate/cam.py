"""CAM: principals, policies, attachments, MFA flags and access keys."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import Field, PrivateAttr

from ..fields import new_list
from .base import TIMESTAMP, Model, Resource
from .index import Indexed


class AccessKey(Model):
    """An API key. Only a masked id is ever kept (`AKID****abcd`): the Estate is an output too."""

    key_id: str
    status: Literal["Active", "Inactive"]
    created_at: Annotated[datetime | None, TIMESTAMP] = None
    last_used_at: Annotated[datetime | None, TIMESTAMP] = None  # None: never used, or used before tracking began


def mask_key_id(key_id: str) -> str:
    """Keep enough of a SecretId to recognise it, never enough to use it."""
    if len(key_id) <= 8:
        return "****"
    return f"{key_id[:4]}****{key_id[-4:]}"


class CamPolicy(Resource):
    RESOURCE_TYPE = "cam.policy"

    policy_id: str
    name: str
    kind: Literal["custom", "preset"]
    # The parsed JSON of PolicyDocument, as Tencent gives it (version/statement/effect/action/resource/condition).
    document: dict[str, Any] | None = None

    @property
    def resource_id(self) -> str:
        return self.name


class CamUser(Resource):
    RESOURCE_TYPE = "cam.user"

    uin: str
    name: str
    console_login: bool = False
    group_ids: list[str] = Field(default_factory=new_list)
    policy_ids: list[str] = Field(default_factory=new_list)  # attached directly
    # Enabled MFA factors (phone, token, stoken, wechat, custom, mail, u2f_token, passkey); [] means none.
    login_protection: list[str] = Field(default_factory=new_list)
    action_protection: list[str] = Field(default_factory=new_list)
    access_keys: list[AccessKey] = Field(default_factory=new_list)
    last_login_at: Annotated[datetime | None, TIMESTAMP] = None

    @property
    def resource_id(self) -> str:
        return self.name


class CamGroup(Resource):
    RESOURCE_TYPE = "cam.group"

    group_id: str
    name: str
    policy_ids: list[str] = Field(default_factory=new_list)

    @property
    def resource_id(self) -> str:
        return self.name


class CamRole(Resource):
    RESOURCE_TYPE = "cam.role"

    role_id: str
    name: str
    role_type: str | None = None  # user / system / service_linked
    trust_document: dict[str, Any] | None = None
    policy_ids: list[str] = Field(default_factory=new_list)

    @property
    def resource_id(self) -> str:
        return self.name


class CamAccount(Resource):
    """The root (owner) account itself."""

    RESOURCE_TYPE = "account"

    uin: str
    root_access_keys: list[AccessKey] = Field(default_factory=new_list)
    login_protection: list[str] = Field(default_factory=new_list)
    action_protection: list[str] = Field(default_factory=new_list)

    @property
    def resource_id(self) -> str:
        return self.account


Principal = CamUser | CamGroup | CamRole


class CamState(Indexed):
    accounts: list[CamAccount] = Field(default_factory=new_list)
    users: list[CamUser] = Field(default_factory=new_list)
    groups: list[CamGroup] = Field(default_factory=new_list)
    roles: list[CamRole] = Field(default_factory=new_list)
    policies: list[CamPolicy] = Field(default_factory=new_list)
    # The CAM evaluator the checks of a run share (cam_policy.Evaluator.of), with the lists it was made over.
    _evaluator: tuple[tuple[list[Any], ...], tuple[int, ...], Any] | None = PrivateAttr(default=None)

    def policy(self, account: str, policy_id: str) -> CamPolicy | None:
        return self._first("policies", self.policies, lambda p: (p.account, p.policy_id), (account, policy_id))

    def group(self, account: str, group_id: str) -> CamGroup | None:
        return self._first("groups", self.groups, lambda g: (g.account, g.group_id), (account, group_id))

    def effective_policy_ids(self, principal: CamUser | CamGroup | CamRole) -> list[str]:
        """Direct attachments plus, for users, those inherited through groups (order kept, no repeats)."""
        ids = list(principal.policy_ids)
        if isinstance(principal, CamUser):
            for group_id in principal.group_ids:
                group = self.group(principal.account, group_id)
                if group is not None:
                    ids.extend(group.policy_ids)
        return list(dict.fromkeys(ids))
