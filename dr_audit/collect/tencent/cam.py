"""CAM (global): sub-users with their groups, direct policies, MFA flags and access keys; groups, roles, every
custom policy and every attached policy's document; the root account's own flags and keys."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any, Literal

from ...estate import AccessKey, CamAccount, CamGroup, CamPolicy, CamRole, CamUser, mask_key_id
from ..answers import MissingField, ids, listed, require, require_object
from ..errors import CallError
from .common import AccountRun, ImplausibleValue, beijing_time, epoch_time, lane, mark_unreadable, text

SERVICE = "cam"
REGION = ""  # CAM is global
FACTORS = (("Phone", "phone"), ("Token", "token"), ("Stoken", "stoken"), ("Wechat", "wechat"), ("Custom", "custom"),
           ("Mail", "mail"), ("U2FToken", "u2f_token"), ("Passkey", "passkey"))
LAST_USED_BATCH = 10  # GetSecurityLastUsed takes at most 10 SecretIds


def collect(run: AccountRun) -> None:
    cam = CamCollector(run)
    cam.keys.expect(1)  # the sub-user listing itself: no partial flush of key batches before it is done
    run.spawn_inventory(SERVICE, REGION, cam.users)
    run.spawn_inventory(SERVICE, REGION, cam.groups)
    run.spawn_inventory(SERVICE, REGION, cam.roles)
    run.spawn_inventory(SERVICE, REGION, cam.custom_policies)
    run.spawn_inventory(SERVICE, REGION, cam.root)


def factors(flag: Any) -> list[str]:
    """The enabled MFA factors of a LoginActionFlag (older answers lack some factors: absent means off)."""
    if not isinstance(flag, dict):
        return []
    return [name for field, name in FACTORS if flag.get(field) in (1, "1", True)]


def policy_document(raw: Any) -> dict[str, Any] | None:
    """PolicyDocument is a JSON string (sometimes URL-encoded); a dict passes through."""
    if isinstance(raw, dict):
        return raw
    if not raw:
        return None
    source = str(raw)
    for candidate in (source, _unquote(source)):
        try:
            parsed = json.loads(candidate)
        except ValueError:
            continue
        if isinstance(parsed, dict):
            return parsed
    raise ValueError("PolicyDocument is not a JSON object")


def _unquote(source: str) -> str:
    from urllib.parse import unquote

    return unquote(source)


class CamCollector:
    def __init__(self, run: AccountRun) -> None:
        self.run = run
        self.client = run.client
        self._seen_policies: set[str] = set()
        self._lock = threading.Lock()
        self.keys = KeyUsage(self)

    # -- policies: every custom one, and the document of every attached one -----------------------------------

    def custom_policies(self) -> None:
        for entry in self.client.page_number_pages(SERVICE, "ListPolicies", {"Scope": "Local"}, "List", size=200):
            self.need_policy(entry.get("PolicyId"), text(entry.get("PolicyName")), entry.get("Type"))

    def need_policy(self, policy_id: Any, name: str = "", kind: Any = None) -> None:
        """Fetch a policy's document once, whoever mentions it first."""
        if policy_id is None or policy_id == "":
            return
        key = str(policy_id)
        with self._lock:
            if key in self._seen_policies:
                return
            self._seen_policies.add(key)
        placeholder = CamPolicy(account=self.run.account, policy_id=key, name=name or key, kind=_kind(kind))
        self.run.spawn_detail(SERVICE, placeholder, ("document",), self._policy, placeholder)
        self.run.harvest.add(self.run.estate.cam.policies, [placeholder])

    def _policy(self, policy: CamPolicy) -> None:
        response = require(self.client.call(SERVICE, "GetPolicy", {"PolicyId": int(policy.policy_id)}),
                           ("PolicyDocument",), SERVICE, "GetPolicy")
        if not response["PolicyDocument"]:  # every policy has a document: an empty one was not read
            raise MissingField(SERVICE, "GetPolicy", REGION, "PolicyDocument", " (it is empty)")
        policy.name = text(response.get("PolicyName")) or policy.name
        if response.get("Type") is not None:
            policy.kind = _kind(response.get("Type"))
        try:
            policy.document = policy_document(response.get("PolicyDocument"))
        except ValueError as exc:
            mark_unreadable(policy, ("document",), f"cam:GetPolicy: {exc}", self.run.harvest.lock)

    # -- users ----------------------------------------------------------------------------------------------------

    def users(self) -> None:
        try:
            self._users()
        finally:
            self.keys.listed_one()

    def _users(self) -> None:
        response = self.client.call(SERVICE, "ListUsers", {})  # no paging: ListUsers returns every sub-user
        users: list[CamUser] = []
        for entry in listed(response, "Data", SERVICE, "ListUsers"):
            uin = entry.get("Uin") if isinstance(entry, dict) else None
            if uin is None:  # a user nobody can name cannot be judged, and dropping it would hide it
                raise MissingField(SERVICE, "ListUsers", REGION, "Data[].Uin")
            users.append(CamUser(account=self.run.account, uin=str(uin), name=text(entry.get("Name")),
                                 console_login=entry.get("ConsoleLogin") in (1, "1", True)))
        self.run.harvest.add(self.run.estate.cam.users, users)
        self.keys.expect(len(users))
        for user in users:
            self.run.spawn_detail(SERVICE, user, ("group_ids",), self._user_groups, user)
            self.run.spawn_detail(SERVICE, user, ("policy_ids",), self._user_policies, user)
            self.run.spawn_detail(SERVICE, user, ("login_protection", "action_protection"), self._user_flags, user)
            self.run.spawn_detail(SERVICE, user, ("access_keys",), self._user_keys, user)
        for start in range(0, len(users), 50):  # DescribeSubAccounts takes 50 UINs a call
            batch = users[start:start + 50]
            self.run.tasks.spawn(lane(SERVICE, self._last_logins), self._last_logins, batch,
                                 on_crash=self._marker(batch, ("last_login_at",)))

    def _user_groups(self, user: CamUser) -> None:
        found = list(self.client.page_number_pages(SERVICE, "ListGroupsForUser", {"SubUin": int(user.uin)},
                                                   "GroupInfo"))
        user.group_ids = ids(found, "GroupId", SERVICE, "ListGroupsForUser", "GroupInfo")

    def _user_policies(self, user: CamUser) -> None:
        found = list(self.client.page_number_pages(SERVICE, "ListAttachedUserPolicies", {"TargetUin": int(user.uin)},
                                                   "List"))
        user.policy_ids = ids(found, "PolicyId", SERVICE, "ListAttachedUserPolicies", "List")
        for entry in found:
            self.need_policy(entry.get("PolicyId"), text(entry.get("PolicyName")), entry.get("PolicyType"))

    def _user_flags(self, user: CamUser) -> None:
        response = self.client.call(SERVICE, "DescribeSafeAuthFlagColl", {"SubUin": int(user.uin)})
        user.login_protection = factors(require_object(response, "LoginFlag", SERVICE, "DescribeSafeAuthFlagColl"))
        user.action_protection = factors(require_object(response, "ActionFlag", SERVICE, "DescribeSafeAuthFlagColl"))

    def _user_keys(self, user: CamUser) -> None:
        try:
            response = self.client.call(SERVICE, "ListAccessKeys", {"TargetUin": int(user.uin)})
            user.access_keys = self.keys.add(listed(response, "AccessKeys", SERVICE, "ListAccessKeys"), user)
        finally:
            self.keys.listed_one()

    def _last_logins(self, batch: list[CamUser]) -> None:
        by_uin = {user.uin: user for user in batch}
        try:
            response = self.client.call(SERVICE, "DescribeSubAccounts",
                                        {"FilterSubAccountUin": [int(user.uin) for user in batch]})
            entries = listed(response, "SubAccounts", SERVICE, "DescribeSubAccounts")
        except CallError:
            # Fifty users a call is the cheap way; GetUser, one by one, is the way every account allows.
            for user in batch:
                self.run.spawn_detail(SERVICE, user, ("last_login_at",), self._last_login, user)
            return
        seen: set[str] = set()
        for entry in entries:
            found = by_uin.get(str(entry.get("Uin")))
            if found is None:
                continue
            seen.add(found.uin)
            if "LastLoginTime" not in entry:  # null is "never"; absent is not known
                mark_unreadable(found, ("last_login_at",), "cam:DescribeSubAccounts answer has no LastLoginTime",
                                self.run.harvest.lock)
                continue
            found.last_login_at = beijing_time(entry.get("LastLoginTime"))
        for uin, user in by_uin.items():
            if uin not in seen:
                mark_unreadable(user, ("last_login_at",), "cam:DescribeSubAccounts did not return this user",
                                self.run.harvest.lock)

    def _last_login(self, user: CamUser) -> None:
        response = require(self.client.call(SERVICE, "GetUser", {"Name": user.name}), ("RecentlyLoginTime",),
                           SERVICE, "GetUser")
        user.last_login_at = beijing_time(response.get("RecentlyLoginTime"))

    def _marker(self, resources: list[Any], attributes: tuple[str, ...]) -> Callable[[BaseException], None]:
        return lambda exc: self._mark_all(resources, attributes, exc)

    def _mark_all(self, resources: list[Any], attributes: tuple[str, ...], exc: BaseException) -> None:
        reason = exc.reason if isinstance(exc, CallError) else f"collector error: {type(exc).__name__}: {exc}"
        for resource in resources:
            mark_unreadable(resource, attributes, reason, self.run.harvest.lock)

    # -- groups and roles -----------------------------------------------------------------------------------------

    def groups(self) -> None:
        listed_groups = list(self.client.page_number_pages(SERVICE, "ListGroups", {}, "GroupInfo"))
        groups = [CamGroup(account=self.run.account, group_id=group_id, name=text(entry.get("GroupName")))
                  for group_id, entry in zip(ids(listed_groups, "GroupId", SERVICE, "ListGroups", "GroupInfo"),
                                             listed_groups, strict=True)]
        self.run.harvest.add(self.run.estate.cam.groups, groups)
        for group in groups:
            self.run.spawn_detail(SERVICE, group, ("policy_ids",), self._group_policies, group)

    def _group_policies(self, group: CamGroup) -> None:
        found = list(self.client.page_number_pages(SERVICE, "ListAttachedGroupPolicies",
                                                   {"TargetGroupId": int(group.group_id)}, "List"))
        group.policy_ids = ids(found, "PolicyId", SERVICE, "ListAttachedGroupPolicies", "List")
        for entry in found:
            self.need_policy(entry.get("PolicyId"), text(entry.get("PolicyName")), entry.get("PolicyType"))

    def roles(self) -> None:
        roles: list[CamRole] = []
        listed_roles = list(self.client.page_number_pages(SERVICE, "DescribeRoleList", {}, "List", size=200))
        for role_id, entry in zip(ids(listed_roles, "RoleId", SERVICE, "DescribeRoleList", "List"), listed_roles,
                                  strict=True):
            role = CamRole(account=self.run.account, role_id=role_id, name=text(entry.get("RoleName")),
                           role_type=entry.get("RoleType") or None)
            try:
                if "PolicyDocument" not in entry:  # empty is "no trust policy"; absent is not known
                    raise ValueError("answer has no PolicyDocument")
                role.trust_document = policy_document(entry.get("PolicyDocument"))
            except ValueError as exc:
                role.unreadable["trust_document"] = f"cam:DescribeRoleList: {exc}"
            roles.append(role)
        self.run.harvest.add(self.run.estate.cam.roles, roles)
        for role in roles:
            self.run.spawn_detail(SERVICE, role, ("policy_ids",), self._role_policies, role)

    def _role_policies(self, role: CamRole) -> None:
        found = list(self.client.page_number_pages(SERVICE, "ListAttachedRolePolicies", {"RoleId": role.role_id},
                                                   "List", size=200))
        role.policy_ids = ids(found, "PolicyId", SERVICE, "ListAttachedRolePolicies", "List")
        for entry in found:
            self.need_policy(entry.get("PolicyId"), text(entry.get("PolicyName")), entry.get("PolicyType"))

    # -- the root account -----------------------------------------------------------------------------------------

    def root(self) -> None:
        account = CamAccount(account=self.run.account, uin=self.run.account)
        self.run.harvest.add(self.run.estate.cam.accounts, [account])
        self.keys.expect(1)
        self.run.spawn_detail(SERVICE, account, ("login_protection", "action_protection"), self._root_flags, account)
        self.run.spawn_detail(SERVICE, account, ("root_access_keys",), self._root_keys, account)

    def _root_flags(self, account: CamAccount) -> None:
        response = self.client.call(SERVICE, "DescribeSafeAuthFlag", {})
        account.login_protection = factors(require_object(response, "LoginFlag", SERVICE, "DescribeSafeAuthFlag"))
        account.action_protection = factors(require_object(response, "ActionFlag", SERVICE, "DescribeSafeAuthFlag"))

    def _root_keys(self, account: CamAccount) -> None:
        try:
            # Without TargetUin, ListAccessKeys answers for the caller: the owner account when run with its keys.
            response = self.client.call(SERVICE, "ListAccessKeys", {})
            account.root_access_keys = self.keys.add(listed(response, "AccessKeys", SERVICE, "ListAccessKeys"),
                                                     account)
        finally:
            self.keys.listed_one()


def _kind(value: Any) -> Literal["custom", "preset"]:
    """Policy type: 1 / "User" is custom, 2 / "QCS" is preset."""
    return "preset" if value in (2, "2", "QCS", "preset") else "custom"


class KeyUsage:
    """Batches access keys 10 at a time into GetSecurityLastUsed, across users, flushing the rest at the end.

    Full SecretIds live here only while their batch is pending; the Estate gets masked ids.
    """

    def __init__(self, cam: CamCollector) -> None:
        self.cam = cam
        self._pending: list[tuple[str, AccessKey, Any]] = []
        self._lists_left: int | None = None
        self._lock = threading.Lock()

    def expect(self, lists: int) -> None:
        """`lists` more ListAccessKeys calls will report; when the count of outstanding ones reaches 0 the
        leftover keys are flushed (possibly more than once: a flush sends only what is pending)."""
        with self._lock:
            self._lists_left = lists + (self._lists_left or 0)

    def listed_one(self) -> None:
        with self._lock:
            self._lists_left = (self._lists_left or 0) - 1
            last = self._lists_left == 0
        if last:
            self.flush()

    def add(self, raw_keys: list[Any], owner: Any) -> list[AccessKey]:
        keys: list[AccessKey] = []
        ready: list[list[tuple[str, AccessKey, Any]]] = []
        with self._lock:
            for entry in raw_keys:
                secret_id = text(entry.get("AccessKeyId")) if isinstance(entry, dict) else ""
                if not secret_id:  # a key without its id cannot be judged, and dropping it would hide it
                    raise MissingField(SERVICE, "ListAccessKeys", REGION, "AccessKeys[].AccessKeyId")
                status: Literal["Active", "Inactive"] = (
                    "Active" if text(entry.get("Status")).lower() == "active" else "Inactive")
                key = AccessKey(key_id=mask_key_id(secret_id), status=status,
                                created_at=beijing_time(entry.get("CreateTime")))
                keys.append(key)
                self._pending.append((secret_id, key, owner))
                if len(self._pending) >= LAST_USED_BATCH:
                    ready.append(self._pending[:LAST_USED_BATCH])
                    del self._pending[:LAST_USED_BATCH]
        for batch in ready:
            self._send(batch)
        return keys

    def flush(self) -> None:
        with self._lock:
            batch, self._pending = self._pending, []
        for start in range(0, len(batch), LAST_USED_BATCH):
            self._send(batch[start:start + LAST_USED_BATCH])

    def _send(self, batch: list[tuple[str, AccessKey, Any]]) -> None:
        if not batch:
            return
        owners = list({id(owner): owner for _, _, owner in batch}.values())

        def failed(exc: BaseException) -> None:
            for owner in owners:
                attribute = "root_access_keys" if isinstance(owner, CamAccount) else "access_keys"
                self.cam._mark_all([owner], (attribute,), exc)

        self.cam.run.tasks.spawn(lane(SERVICE, self._last_used), self._last_used, batch, on_crash=failed)

    def _last_used(self, batch: list[tuple[str, AccessKey, Any]]) -> None:
        response = self.cam.client.call(SERVICE, "GetSecurityLastUsed",
                                        {"SecretIdList": [secret_id for secret_id, _, _ in batch]})
        rows = {text(row.get("SecretId")): row
                for row in listed(response, "SecretIdLastUsedRows", SERVICE, "GetSecurityLastUsed")
                if isinstance(row, dict)}
        for secret_id, key, owner in batch:
            attribute = "root_access_keys" if isinstance(owner, CamAccount) else "access_keys"
            row = rows.get(secret_id)
            if row is None:
                mark_unreadable(owner, (attribute,), "cam:GetSecurityLastUsed did not report a key",
                                self.cam.run.harvest.lock)
                continue
            if "LastSecretUsedDate" not in row and "LastUsedDate" not in row:  # null is "never"; absent is unknown
                mark_unreadable(owner, (attribute,), "cam:GetSecurityLastUsed answer has no LastSecretUsedDate",
                                self.cam.run.harvest.lock)
                continue
            try:
                key.last_used_at = last_used(row)
            except ImplausibleValue as exc:
                mark_unreadable(owner, (attribute,), f"cam:GetSecurityLastUsed {exc}", self.cam.run.harvest.lock)


def last_used(row: dict[str, Any]) -> datetime | None:
    """LastSecretUsedDate (a Unix time, seconds or milliseconds) is exact; LastUsedDate is a day, one day late,
    often null."""
    exact = row.get("LastSecretUsedDate")
    if exact not in (None, 0, "", "0"):
        return epoch_time(exact, "LastSecretUsedDate")
    return beijing_time(row.get("LastUsedDate"))
