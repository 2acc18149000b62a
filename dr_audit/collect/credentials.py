"""Which keys sign the live reads: the Tencent Cloud SDK's credential chain, plus one assumed role per --role-arn.

The chain is the SDK's order (environment, profile file, CVM instance role); we read it ourselves because the SDK's
own environment reader drops TENCENTCLOUD_SESSION_TOKEN and its profile reader knows only `[default]`.
"""

from __future__ import annotations

import configparser
import os
import re
from pathlib import Path

from ..errors import BadInput
from .client import ApiClient
from .errors import CallError, Secrets

NO_CREDENTIALS = (
    "no Tencent Cloud credentials found: set TENCENTCLOUD_SECRET_ID and TENCENTCLOUD_SECRET_KEY, or pass --profile "
    "NAME (~/.tencentcloud/credentials), or run on a CVM with a role (or try --demo)"
)
# Tests and offline machines set this so nothing ever probes the CVM metadata service.
NO_INSTANCE_ROLE_ENV = "DR_AUDIT_NO_INSTANCE_ROLE"
SESSION_NAME = "dr-audit"


def from_environment() -> Secrets | None:
    secret_id = os.environ.get("TENCENTCLOUD_SECRET_ID", "").strip()
    secret_key = os.environ.get("TENCENTCLOUD_SECRET_KEY", "").strip()
    if not secret_id or not secret_key:
        return None
    return Secrets(secret_id, secret_key, os.environ.get("TENCENTCLOUD_SESSION_TOKEN") or None)


def credentials_files() -> list[Path]:
    return [Path("~/.tencentcloud/credentials").expanduser(), Path("/etc/tencentcloud/credentials")]


def from_profile(profile: str) -> Secrets | None:
    for path in credentials_files():
        if not path.is_file():
            continue
        parser = configparser.ConfigParser()
        try:
            parser.read(path, encoding="utf-8")
        except (configparser.Error, OSError, UnicodeDecodeError) as exc:  # the name only: the file holds secrets
            raise BadInput(f"{path}: cannot read credentials file: {type(exc).__name__}") from None
        if not parser.has_section(profile):
            continue
        section = parser[profile]
        secret_id = section.get("secret_id", "").strip().strip('"')
        secret_key = section.get("secret_key", "").strip().strip('"')
        if secret_id and secret_key:
            token = section.get("token", "").strip().strip('"') or None
            return Secrets(secret_id, secret_key, token)
    return None


def from_instance_role() -> Secrets | None:
    """Keys of the CVM role this machine runs with, from the metadata service; None when not on a CVM."""
    if os.environ.get(NO_INSTANCE_ROLE_ENV):
        return None
    import requests

    base = "http://metadata.tencentyun.com/latest/meta-data/cam/security-credentials/"
    try:
        role = requests.get(base, timeout=1).text.strip()
        if not role or "\n" in role:
            return None
        data = requests.get(base + role, timeout=2).json()
    except (requests.RequestException, ValueError):
        return None
    try:
        return Secrets(data["TmpSecretId"], data["TmpSecretKey"], data.get("Token"))
    except (KeyError, TypeError):
        return None


def base_secrets(profile: str | None) -> Secrets:
    """The caller's own keys by the SDK chain; a named profile that is missing or empty is bad input."""
    if profile:
        found = from_profile(profile)
        if found is None:
            raise BadInput(f"--profile {profile}: no such profile with secret_id and secret_key in "
                           f"{credentials_files()[0]} (or try --demo)")
        return found
    found = from_environment() or from_profile("default") or from_instance_role()
    if found is None:
        raise BadInput(NO_CREDENTIALS)
    return found


class RoleUnavailable(Exception):
    """A role that could not be assumed (denied, missing, unreachable): its account cannot be read this run."""

    def __init__(self, role_arn: str, error: CallError) -> None:
        super().__init__(f"{role_arn}: {error.code}: {error.message}")
        self.role_arn, self.error = role_arn, error

    @property
    def account(self) -> str:
        """The account the ARN names (uin/<account>), or the ARN itself when it names none we can read."""
        found = ROLE_ACCOUNT.match(self.role_arn.strip())
        return found["account"] if found else f"unidentified:{self.role_arn.strip()}"


ROLE_ACCOUNT = re.compile(r"^qcs::cam::uin/(?P<account>\d+):", re.IGNORECASE)


def assume_role(client: ApiClient, role_arn: str, duration_seconds: int = 7200,
                source: str | None = "--role-arn") -> Secrets:
    """Temporary keys for `role_arn`, through STS AssumeRole signed with the base keys. An ARN the user gave
    (`source`, the flag) that STS calls malformed is bad input; any other failure, or any failure of an ARN built
    by dr-audit (source None), raises RoleUnavailable, for that account's checks to say ERROR."""
    try:
        response = client.call("sts", "AssumeRole", {"RoleArn": role_arn, "RoleSessionName": SESSION_NAME,
                                                     "DurationSeconds": duration_seconds}, region="ap-guangzhou")
    except CallError as error:
        if source is not None and error.code.startswith("InvalidParameter"):
            raise BadInput(f"{source} {role_arn}: cannot assume the role: {error.code}: {error.message}") from None
        raise RoleUnavailable(role_arn, error) from None
    keys = response.get("Credentials") or {}
    if not keys.get("TmpSecretId") or not keys.get("TmpSecretKey"):
        raise RoleUnavailable(role_arn, CallError("sts", "AssumeRole", "", "MalformedResponse",
                                                  "STS answered without temporary credentials"))
    return Secrets(keys["TmpSecretId"], keys["TmpSecretKey"], keys.get("Token"))


def account_id(client: ApiClient) -> str:
    """The account (owner UIN) the keys belong to, from STS GetCallerIdentity."""
    response = client.call("sts", "GetCallerIdentity", {}, region="ap-guangzhou")
    account = response.get("AccountId")
    if not account:
        raise CallError("sts", "GetCallerIdentity", "", "MalformedResponse", "no AccountId in the answer")
    return str(account)
