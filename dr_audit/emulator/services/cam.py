"""Emulated CAM (2019-01-16, global): sub-users, groups, roles, policies, attachments, MFA flags and API keys.

The caller is the root account of the served Estate (DescribeSafeAuthFlag and ListAccessKeys without TargetUin
answer for it). Masked key ids in the Estate are widened into full, unique SecretIds whose mask equals the Estate's.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from ...estate import AccessKey, CamAccount, CamGroup, CamPolicy, CamRole, CamUser, Estate, mask_key_id
from ..protocol import ApiError, Call, Item, beijing_time, int_param, list_param, numeric_id, page_rp, str_param
from . import ServiceBackend, action, refuse_unreadable

# LoginActionFlag fields, by the factor names the Estate keeps.
MFA_FIELDS = {"phone": "Phone", "token": "Token", "stoken": "Stoken", "wechat": "Wechat", "custom": "Custom",
              "mail": "Mail", "u2f_token": "U2FToken", "passkey": "Passkey"}
SECRET_ID_LENGTH = 36  # "AKID" and 32 more characters
CREATED = "2019-03-01 10:00:00"  # the Estate keeps no creation times for principals; the APIs always give one
MAX_RP = 200
MAX_PAGE = 200
MAX_LAST_USED_IDS = 10
MAX_SUB_ACCOUNT_UINS = 50


def mfa_flag(factors: list[str]) -> Item:
    return {field: int(name in factors) for name, field in MFA_FIELDS.items()}


def full_secret_id(masked: str, salt: str) -> str:
    """A SecretId whose mask_key_id is `masked`; `salt` keeps ids with the same mask apart."""
    digest = hashlib.sha256(salt.encode()).hexdigest()
    if masked == "****":
        full = "AK" + digest[:6]
    else:
        prefix, _, suffix = masked.partition("****")
        middle_length = max(1, SECRET_ID_LENGTH - len(prefix) - len(suffix))
        middle = (digest * 2)[:middle_length]
        full = prefix + "".join(c.upper() if n % 3 == 0 else c for n, c in enumerate(middle)) + suffix
    return full if mask_key_id(full) == masked else masked.replace("****", digest[:28])


def policy_document(document: dict[str, Any] | None) -> str | None:
    return None if document is None else json.dumps(document, ensure_ascii=False, separators=(",", ":"))


class CamBackend(ServiceBackend):
    service = "cam"
    version = "2019-01-16"
    regional = False

    def __init__(self, estate: Estate, account: str) -> None:
        super().__init__(estate, account)
        cam = estate.cam
        self.users: list[CamUser] = self.mine(cam.users)
        self.groups: list[CamGroup] = self.mine(cam.groups)
        self.roles: list[CamRole] = self.mine(cam.roles)
        self.policies: list[CamPolicy] = self.mine(cam.policies)
        roots = [a for a in self.mine(cam.accounts) if isinstance(a, CamAccount)]
        self.root: CamAccount | None = roots[0] if roots else None
        self.uid = {u.uin: 100_000_001 + n for n, u in enumerate(self.users)}
        self.user_by_uin = {numeric_id(u.uin): u for u in self.users}
        self.user_by_uid = {uid: self.user_by_uin[numeric_id(uin)] for uin, uid in self.uid.items()}
        self.group_by_id = {numeric_id(g.group_id): g for g in self.groups}
        self.policy_by_id = {numeric_id(p.policy_id): p for p in self.policies}
        # Full SecretIds for every key, and who owns each (None: the root).
        self.secret_ids: dict[int, list[str]] = {}
        self.keys: dict[str, AccessKey] = {}
        owners: list[tuple[str, list[AccessKey]]] = [(u.uin, u.access_keys) for u in self.users]
        if self.root is not None:
            owners.append((self.root.uin, self.root.root_access_keys))
        for uin, keys in owners:
            ids = []
            for n, key in enumerate(keys):
                full = full_secret_id(key.key_id, f"{self.account}/{uin}/{n}")
                ids.append(full)
                self.keys[full] = key
            self.secret_ids[numeric_id(uin)] = ids

    # ---- lookups ------------------------------------------------------------------------------------------------

    def _user(self, call: Call, uin_param: str = "TargetUin") -> CamUser:
        uin = int_param(call.params, uin_param)
        if uin is None:
            raise ApiError("MissingParameter", f"the request is missing the required parameter {uin_param}")
        user = self.user_by_uin.get(uin)
        if user is None:
            raise ApiError("ResourceNotFound.UserNotExist", f"no sub-user has uin {uin}")
        return user

    def _group(self, call: Call, name: str) -> CamGroup:
        group_id = int_param(call.params, name)
        if group_id is None:
            raise ApiError("MissingParameter", f"the request is missing the required parameter {name}")
        group = self.group_by_id.get(group_id)
        if group is None:
            raise ApiError("ResourceNotFound.GroupNotExist", f"no group has id {group_id}")
        return group

    def _policy(self, policy_id: str) -> CamPolicy | None:
        return self.policy_by_id.get(numeric_id(policy_id))

    def _policies(self, ids: list[str]) -> list[CamPolicy]:
        return [p for pid in ids if (p := self._policy(pid)) is not None]

    @staticmethod
    def _page(call: Call, items: list[Item], *, max_rp: int | None = MAX_RP, max_page: int | None = MAX_PAGE
              ) -> list[Item]:
        offset, limit = page_rp(call.params, max_rp=max_rp, max_page=max_page)
        return items[offset:offset + limit]

    # ---- users and groups ---------------------------------------------------------------------------------------

    def _sub_account(self, user: CamUser) -> Item:
        return {"Uin": numeric_id(user.uin), "Name": user.name, "Uid": self.uid[user.uin], "Remark": "",
                "ConsoleLogin": int(user.console_login), "PhoneNum": "", "CountryCode": "86", "Email": "",
                "CreateTime": CREATED, "NickName": user.name}

    @action("ListUsers")
    def list_users(self, call: Call) -> Item:
        return {"Data": [self._sub_account(u) for u in self.users]}  # no paging: every sub-user at once

    @action("GetUser")
    def get_user(self, call: Call) -> Item:
        name = str_param(call.params, "Name", required=True)
        user = next((u for u in self.users if u.name == name), None)
        if user is None:
            raise ApiError("ResourceNotFound.UserNotExist", f"no sub-user is named {name!r}")
        refuse_unreadable(user, "last_login_at")
        info = self._sub_account(user)
        return {key: info[key] for key in ("Uin", "Name", "Uid", "Remark", "ConsoleLogin", "PhoneNum", "CountryCode",
                                           "Email")} | {"RecentlyLoginIP": "" if user.last_login_at is None
                                                        else "10.0.0.1",
                                                        "RecentlyLoginTime": beijing_time(user.last_login_at)}

    @action("DescribeSubAccounts")
    def describe_sub_accounts(self, call: Call) -> Item:
        uins = list_param(call.params, "FilterSubAccountUin", maximum=MAX_SUB_ACCOUNT_UINS)
        if not uins:
            raise ApiError("MissingParameter", "the request is missing the required parameter FilterSubAccountUin")
        wanted = {str(uin) for uin in uins}
        found = [u for u in self.users if u.uin in wanted]
        for user in found:  # one unreadable user fails the whole batch, as a denied call would
            refuse_unreadable(user, "last_login_at")
        return {"SubAccounts": [
            {"Uin": numeric_id(u.uin), "Name": u.name, "Uid": self.uid[u.uin], "Remark": "", "CreateTime": CREATED,
             "UserType": 2, "LastLoginIp": "" if u.last_login_at is None else "10.0.0.1",
             "LastLoginTime": beijing_time(u.last_login_at)}
            for u in found
        ]}

    def _group_info(self, group: CamGroup) -> Item:
        return {"GroupId": numeric_id(group.group_id), "GroupName": group.name, "CreateTime": CREATED, "Remark": ""}

    @action("ListGroups")
    def list_groups(self, call: Call) -> Item:
        keyword = str_param(call.params, "Keyword") or ""
        groups = [self._group_info(g) for g in self.groups if keyword in g.name]
        return {"TotalNum": len(groups), "GroupInfo": self._page(call, groups, max_rp=None, max_page=None)}

    @action("ListGroupsForUser")
    def list_groups_for_user(self, call: Call) -> Item:
        uid = int_param(call.params, "Uid")
        if uid is not None:
            user = self.user_by_uid.get(uid)
            if user is None:
                raise ApiError("ResourceNotFound.UserNotExist", f"no sub-user has uid {uid}")
        elif call.params.get("SubUin") is not None:
            user = self._user(call, "SubUin")
        else:
            raise ApiError("MissingParameter", "give Uid or SubUin")
        refuse_unreadable(user, "group_ids")
        groups = [self._group_info(g) for gid in user.group_ids if (g := self.group_by_id.get(numeric_id(gid)))]
        return {"TotalNum": len(groups), "GroupInfo": self._page(call, groups, max_rp=None, max_page=None)}

    @action("ListUsersForGroup")
    def list_users_for_group(self, call: Call) -> Item:
        group = self._group(call, "GroupId")
        members = [
            {"Uid": self.uid[u.uin], "Uin": numeric_id(u.uin), "Name": u.name, "PhoneNum": "", "CountryCode": "86",
             "PhoneFlag": 0, "Email": "", "EmailFlag": 0, "UserType": 0, "CreateTime": CREATED,
             "IsReceiverOwner": 0, "Remark": ""}
            for u in self.users if group.group_id in u.group_ids
        ]
        return {"TotalNum": len(members), "UserInfo": self._page(call, members, max_rp=None, max_page=None)}

    # ---- policies -------------------------------------------------------------------------------------------------

    def _attached_to(self, policy: CamPolicy) -> list[tuple[int, Item]]:
        """(RelatedType, AttachEntityOfPolicy) for every principal the policy is attached to directly."""
        entities: list[tuple[int, Item]] = []
        for user in self.users:
            if policy.policy_id in user.policy_ids:
                entities.append((1, {"Id": str(self.uid[user.uin]), "Name": user.name, "Uin": numeric_id(user.uin),
                                     "RelatedType": 1, "AttachmentTime": CREATED}))
        for group in self.groups:
            if policy.policy_id in group.policy_ids:
                entities.append((2, {"Id": str(numeric_id(group.group_id)), "Name": group.name, "Uin": None,
                                     "RelatedType": 2, "AttachmentTime": CREATED}))
        for role in self.roles:
            if policy.policy_id in role.policy_ids:
                entities.append((3, {"Id": role.role_id, "Name": role.name, "Uin": None, "RelatedType": 3,
                                     "AttachmentTime": CREATED}))
        return entities

    @staticmethod
    def _type(policy: CamPolicy) -> int:
        return 1 if policy.kind == "custom" else 2

    @action("ListPolicies")
    def list_policies(self, call: Call) -> Item:
        scope = str_param(call.params, "Scope") or "All"
        if scope not in ("All", "QCS", "Local"):
            raise ApiError("InvalidParameterValue", f"Scope={scope!r} must be All, QCS or Local")
        keyword = str_param(call.params, "Keyword") or ""
        listed = []
        for policy in self.policies:
            if (scope == "QCS" and policy.kind != "preset") or (scope == "Local" and policy.kind != "custom"):
                continue
            if keyword not in policy.name:
                continue
            count = len(self._attached_to(policy))
            listed.append({
                "PolicyId": numeric_id(policy.policy_id), "PolicyName": policy.name, "AddTime": CREATED,
                "Type": self._type(policy), "Description": "", "CreateMode": 2 if policy.kind == "custom" else 1,
                "Attachments": count, "ServiceType": "", "IsAttached": int(count > 0),
                "AttachEntityCount": count, "UpdateTime": CREATED,
            })
        return {"TotalNum": len(listed), "List": self._page(call, listed)}

    @action("GetPolicy")
    def get_policy(self, call: Call) -> Item:
        policy_id = int_param(call.params, "PolicyId")
        if policy_id is None:
            raise ApiError("MissingParameter", "the request is missing the required parameter PolicyId")
        policy = self.policy_by_id.get(policy_id)
        if policy is None:
            raise ApiError("ResourceNotFound.PolicyIdNotExist", f"no policy has id {policy_id}")
        refuse_unreadable(policy, "document")
        return {"PolicyName": policy.name, "Description": "", "Type": self._type(policy), "AddTime": CREATED,
                "UpdateTime": CREATED, "PolicyDocument": policy_document(policy.document),
                "PresetAlias": policy.name if policy.kind == "preset" else None, "IsServiceLinkedRolePolicy": 0}

    def _attach_info(self, policy: CamPolicy) -> Item:
        return {"PolicyId": numeric_id(policy.policy_id), "PolicyName": policy.name, "AddTime": CREATED,
                "CreateMode": 2 if policy.kind == "custom" else 1,
                "PolicyType": "User" if policy.kind == "custom" else "QCS", "Remark": "",
                "OperateOwnerUin": self.account, "OperateUin": self.account, "OperateUinType": 0}

    @action("ListAttachedUserPolicies")
    def list_attached_user_policies(self, call: Call) -> Item:
        user = self._user(call)
        refuse_unreadable(user, "policy_ids")
        listed = [self._attach_info(p) for p in self._policies(user.policy_ids)]
        return {"TotalNum": len(listed), "List": self._page(call, listed, max_rp=None, max_page=None)}

    @action("ListAttachedUserAllPolicies")
    def list_attached_user_all_policies(self, call: Call) -> Item:
        user = self._user(call)
        refuse_unreadable(user, "policy_ids", "group_ids")
        attach_type = int_param(call.params, "AttachType", 0)
        if attach_type not in (0, 1, 2):
            raise ApiError("InvalidParameterValue", "AttachType must be 0, 1 or 2")
        strategy_type = int_param(call.params, "StrategyType")
        keyword = str_param(call.params, "Keyword") or ""
        via: dict[str, list[CamGroup]] = {}
        order: list[str] = []
        if attach_type in (0, 1):
            for pid in user.policy_ids:
                via.setdefault(pid, [])
                order.append(pid)
        if attach_type in (0, 2):
            for gid in user.group_ids:
                group = self.group_by_id.get(numeric_id(gid))
                for pid in group.policy_ids if group else []:
                    if pid not in via:
                        order.append(pid)
                    via.setdefault(pid, []).append(group)  # type: ignore[arg-type]
        listed = []
        for pid in dict.fromkeys(order):
            policy = self._policy(pid)
            if policy is None or keyword not in policy.name:
                continue
            if strategy_type is not None and self._type(policy) != strategy_type:
                continue
            listed.append({
                "PolicyId": str(numeric_id(policy.policy_id)), "PolicyName": policy.name, "Description": "",
                "AddTime": CREATED, "StrategyType": str(self._type(policy)),
                "CreateMode": "2" if policy.kind == "custom" else "1",
                "Groups": [{"GroupId": numeric_id(g.group_id), "GroupName": g.name} for g in via[pid]],
            })
        return {"PolicyList": self._page(call, listed), "TotalNum": len(listed)}

    @action("ListAttachedGroupPolicies")
    def list_attached_group_policies(self, call: Call) -> Item:
        group = self._group(call, "TargetGroupId")
        refuse_unreadable(group, "policy_ids")
        keyword = str_param(call.params, "Keyword") or ""
        listed = [self._attach_info(p) for p in self._policies(group.policy_ids) if keyword in p.name]
        return {"TotalNum": len(listed), "List": self._page(call, listed, max_rp=None, max_page=None)}

    @action("ListEntitiesForPolicy")
    def list_entities_for_policy(self, call: Call) -> Item:
        policy_id = int_param(call.params, "PolicyId")
        policy = self.policy_by_id.get(policy_id) if policy_id is not None else None
        if policy is None:
            raise ApiError("ResourceNotFound.PolicyIdNotExist", f"no policy has id {policy_id}")
        wanted = {"All": (1, 2, 3), "User": (1,), "Group": (2,), "Role": (3,)}.get(
            str_param(call.params, "EntityFilter") or "All")
        if wanted is None:
            raise ApiError("InvalidParameterValue", "EntityFilter must be All, User, Group or Role")
        listed = [entity for kind, entity in self._attached_to(policy) if kind in wanted]
        return {"TotalNum": len(listed), "List": self._page(call, listed, max_rp=None, max_page=None)}

    # ---- roles ----------------------------------------------------------------------------------------------------

    @action("DescribeRoleList")
    def describe_role_list(self, call: Call) -> Item:
        listed = [{
            "RoleId": role.role_id, "RoleName": role.name, "PolicyDocument": policy_document(role.trust_document),
            "Description": "", "AddTime": CREATED, "UpdateTime": CREATED, "ConsoleLogin": 0,
            "RoleType": role.role_type, "SessionDuration": 7200,
            "RoleArn": f"qcs::cam::uin/{self.account}:roleName/{role.name}",
        } for role in self.roles]
        return {"List": self._page(call, listed), "TotalNum": len(listed)}

    @action("ListAttachedRolePolicies")
    def list_attached_role_policies(self, call: Call) -> Item:
        role_id, role_name = str_param(call.params, "RoleId"), str_param(call.params, "RoleName")
        if role_id is None and role_name is None:
            raise ApiError("MissingParameter", "give RoleId or RoleName")
        role = next((r for r in self.roles if (role_id is not None and r.role_id == role_id)
                     or (role_id is None and r.name == role_name)), None)
        if role is None:
            raise ApiError("ResourceNotFound.RoleNotExist", "no such role")
        refuse_unreadable(role, "policy_ids")
        policy_type = str_param(call.params, "PolicyType")
        keyword = str_param(call.params, "Keyword") or ""
        listed = []
        for policy in self._policies(role.policy_ids):
            kind = "User" if policy.kind == "custom" else "QCS"
            if (policy_type is not None and kind != policy_type) or keyword not in policy.name:
                continue
            listed.append({"PolicyId": numeric_id(policy.policy_id), "PolicyName": policy.name, "AddTime": CREATED,
                           "PolicyType": kind, "CreateMode": 2 if policy.kind == "custom" else 1,
                           "Deactived": 0, "DeactivedDetail": [], "Description": ""})
        return {"List": self._page(call, listed), "TotalNum": len(listed)}

    # ---- protection and keys --------------------------------------------------------------------------------------

    @staticmethod
    def _safe_auth(login: list[str], act: list[str]) -> Item:
        return {"LoginFlag": mfa_flag(login), "ActionFlag": mfa_flag(act),
                "OffsiteFlag": {"VerifyFlag": 0, "NotifyPhone": 0, "NotifyEmail": 0, "NotifyWechat": 0, "Tips": 0},
                "PromptTrust": 0}

    @action("DescribeSafeAuthFlag")
    def describe_safe_auth_flag(self, call: Call) -> Item:
        if self.root is None:
            return self._safe_auth([], [])
        refuse_unreadable(self.root, "login_protection", "action_protection")
        return self._safe_auth(self.root.login_protection, self.root.action_protection)

    @action("DescribeSafeAuthFlagColl")
    def describe_safe_auth_flag_coll(self, call: Call) -> Item:
        user = self._user(call, "SubUin")
        refuse_unreadable(user, "login_protection", "action_protection")
        return self._safe_auth(user.login_protection, user.action_protection)

    @action("ListAccessKeys")
    def list_access_keys(self, call: Call) -> Item:
        if call.params.get("TargetUin") is not None:
            user = self._user(call)
            refuse_unreadable(user, "access_keys")
            owner = numeric_id(user.uin)
        elif self.root is not None:
            refuse_unreadable(self.root, "root_access_keys")
            owner = numeric_id(self.root.uin)
        else:
            return {"AccessKeys": []}
        return {"AccessKeys": [
            {"AccessKeyId": secret_id, "Status": self.keys[secret_id].status,
             "CreateTime": beijing_time(self.keys[secret_id].created_at), "Description": None}
            for secret_id in self.secret_ids.get(owner, [])
        ]}

    @action("GetSecurityLastUsed")
    def get_security_last_used(self, call: Call) -> Item:
        ids = list_param(call.params, "SecretIdList", maximum=MAX_LAST_USED_IDS)
        if not ids:
            raise ApiError("MissingParameter", "the request is missing the required parameter SecretIdList")
        rows = []
        for secret_id in ids:
            key = self.keys.get(secret_id) if isinstance(secret_id, str) else None
            if key is None:
                continue
            used: datetime | None = key.last_used_at
            rows.append({"SecretId": secret_id, "LastUsedDate": beijing_time(used),
                         "LastSecretUsedDate": None if used is None else int(used.timestamp())})
        return {"SecretIdLastUsedRows": rows}

    @action("GetAccountSummary")
    def get_account_summary(self, call: Call) -> Item:
        return {"Policies": sum(p.kind == "custom" for p in self.policies), "Roles": len(self.roles), "Idps": 0,
                "User": len(self.users), "Group": len(self.groups), "Member": len(self.users),
                "IdentityProviders": 0}
