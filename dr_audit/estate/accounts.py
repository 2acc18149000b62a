"""Which accounts a run meant to audit and what became of each: audited, failed (its role could not be assumed, so
every check of it is ERROR) or excluded by the user's filters."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import SerializerFunctionWrapHandler, model_serializer

from .base import Model

AccountOutcome = Literal["audited", "failed", "excluded"]


class AccountStatus(Model):
    """One account of an organization or --role-arn run. `name` and `unit` are the organization's (TCO member name
    and unit), empty for accounts named only by a role ARN."""

    account: str
    status: AccountOutcome
    name: str = ""
    unit: str = ""
    reason: str = ""  # why failed or excluded; empty when audited
    shard: int | None = None  # excluded because this shard of the run group audits it

    @model_serializer(mode="wrap")
    def _shard_when_known(self, write: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # Only a shard that leaves the account to another writes `shard`: every other report and snapshot (and its
        # estate_sha256) reads as before.
        data: dict[str, Any] = write(self)
        if self.shard is None:
            data.pop("shard", None)
        return data
