"""Where an off-site target is and which keys read it: the pack names provider, region and bucket; the endpoint and
keys come from whoever runs the audit (environment variables, the standard AWS chain, or a local copy of the pack)."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass

from ..scope import PROVIDERS_WITH_DEFAULT_ENDPOINT, OffsiteTarget
from .errors import Secrets

# One endpoint for every off-site target (the usual case: one other cloud), and the AWS chain's own key variables.
ENDPOINT_ENV = "DR_AUDIT_OFFSITE_ENDPOINT_URL"
AWS_KEY_ENVS = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")


def target_endpoint_env(name: str) -> str:
    """The variable that sets one target's endpoint: DR_AUDIT_OFFSITE_<NAME>_ENDPOINT_URL, NAME upper-cased with
    every run of other characters made one underscore (othercloud-cold -> DR_AUDIT_OFFSITE_OTHERCLOUD_COLD_…)."""
    token = re.sub(r"[^A-Z0-9]+", "_", name.upper()).strip("_") or "TARGET"
    return f"DR_AUDIT_OFFSITE_{token}_ENDPOINT_URL"


@dataclass(frozen=True)
class OffsiteAccess:
    """How to reach one target: its endpoint (None: the provider's default) and keys (None: the AWS chain)."""

    endpoint_url: str | None
    secrets: Secrets | None


class NotConfigured(Exception):
    """The target cannot be read because nobody said where it is or with which keys; the message says how to."""


def endpoint_for(target: OffsiteTarget, environ: Mapping[str, str] | None = None) -> str | None:
    """The pack's own endpoint_url (a local override) first, then the target's variable, then the shared one.

    None means the provider's default endpoint; NotConfigured when the provider has none.
    """
    environ = os.environ if environ is None else environ
    for value in (target.endpoint_url, environ.get(target_endpoint_env(target.name)), environ.get(ENDPOINT_ENV)):
        if value and value.strip():
            return value.strip()
    if target.provider.lower() in PROVIDERS_WITH_DEFAULT_ENDPOINT:
        return None
    raise NotConfigured(
        f"off-site target {target.name} ({target.provider}) is not configured: no endpoint "
        f"for provider {target.provider}; set {ENDPOINT_ENV} (every target) or {target_endpoint_env(target.name)} "
        "(this one), or give endpoint_url in a local copy of the pack")


def secrets_for(target: OffsiteTarget, environ: Mapping[str, str] | None = None,
                chain_has_keys: bool | None = None) -> Secrets | None:
    """Keys from the variables the pack names; None lets boto3 use the standard AWS chain, when it has keys.

    `chain_has_keys` None asks boto3's chain (environment, shared files, container and instance roles).
    """
    environ = os.environ if environ is None else environ
    if target.access_key_env and target.secret_key_env:
        key_id, secret = environ.get(target.access_key_env), environ.get(target.secret_key_env)
        if key_id and secret:
            return Secrets(key_id, secret)
    if chain_has_keys is None:
        chain_has_keys = aws_chain_has_keys()
    if chain_has_keys:
        return None
    named = (f"{target.access_key_env} and {target.secret_key_env}, or "
             if target.access_key_env and target.secret_key_env else "")
    raise NotConfigured(
        f"off-site target {target.name} ({target.provider}) is not configured: no keys to "
        f"read it; set {named}{' and '.join(AWS_KEY_ENVS)} (or an AWS profile or role)")


def aws_chain_has_keys() -> bool:
    """Whether boto3's standard chain finds keys; an unreadable profile counts as none."""
    import boto3
    from botocore.exceptions import BotoCoreError

    try:
        return boto3.session.Session().get_credentials() is not None
    except BotoCoreError:
        return False


def access_for(target: OffsiteTarget, secrets: Secrets | None = None) -> OffsiteAccess:
    """Endpoint and keys for `target`; `secrets` given by the caller (the demo) are used as they are."""
    endpoint = endpoint_for(target)
    return OffsiteAccess(endpoint, secrets if secrets is not None else secrets_for(target))
