"""What a failed read is, and the keys no message about it may show: `CallError`, `Secrets` and `scrub`.

A leaf of the collector: the client layer, the answer readers and every collector build on it; it imports none of them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_THROTTLED = re.compile(r"^RequestLimitExceeded")
_TRANSIENT_CODES = frozenset({"InternalError", "ServerNetworkError", "ClientNetworkError", "MalformedResponse",
                              "ServiceUnavailable", "RequestTimeout"})
_KEY_LIKE = re.compile(r"AKID[A-Za-z0-9]{8,}")


@dataclass(frozen=True)
class Secrets:
    """Keys that sign requests. repr() never shows them."""

    secret_id: str
    secret_key: str = field(repr=False)
    token: str | None = field(default=None, repr=False)

    def __repr__(self) -> str:
        return f"Secrets(secret_id={self.secret_id[:4]}****)"


class CallError(Exception):
    """A read that failed for good (after retries): code and a message with every secret scrubbed."""

    def __init__(self, service: str, action: str, region: str, code: str, message: str) -> None:
        super().__init__(f"{service}:{action} {code}: {message}")
        self.service, self.action, self.region, self.code, self.message = service, action, region, code, message

    @property
    def reason(self) -> str:
        """What an `unreadable` entry says: the call and why it failed."""
        return f"{self.service}:{self.action} failed: {self.code}: {self.message}" if self.message else \
            f"{self.service}:{self.action} failed: {self.code}"

    @property
    def transient(self) -> bool:
        return bool(_THROTTLED.match(self.code)) or self.code in _TRANSIENT_CODES or self.code.startswith(
            "InternalError")


def scrub(text: str, secrets: Secrets | None) -> str:
    """Remove every secret (and anything shaped like a SecretId) from a message, and keep it to one short line."""
    text = " ".join(str(text).split())
    if secrets is not None:
        for value in (secrets.secret_key, secrets.token, secrets.secret_id):
            if value:
                text = text.replace(value, "****")
    text = _KEY_LIKE.sub(lambda m: f"{m.group(0)[:4]}****", text)
    return text[:300]
