"""TC3-HMAC-SHA256 verification, written from Tencent Cloud's documented signing algorithm.

The server recomputes the signature from the canonical request (method, path, query, the signed headers, the payload
hash), the string to sign (algorithm, timestamp, credential scope date/service/tc3_request, digest) and the HMAC
chain (TC3+key -> date -> service -> tc3_request), and compares it with the Authorization header in constant time.
The credential scope also tells the server which service was addressed: every service shares one endpoint here.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from .protocol import ApiError

ALGORITHM = "TC3-HMAC-SHA256"
MAX_CLOCK_SKEW = 300  # seconds: the real API answers SignatureExpire beyond five minutes

_AUTHORIZATION = re.compile(
    r"^TC3-HMAC-SHA256 Credential=(?P<secret_id>[^/\s]+)/(?P<date>\d{4}-\d{2}-\d{2})/(?P<service>[a-z0-9]+)"
    r"/tc3_request, ?SignedHeaders=(?P<signed>[a-z0-9;\-]+), ?Signature=(?P<signature>[0-9a-f]{64})$"
)


@dataclass(frozen=True)
class Scope:
    """What the Authorization header claims: who signed, for which day and which service."""

    secret_id: str
    date: str
    service: str
    signed_headers: tuple[str, ...]
    signature: str


def parse_authorization(header: str | None) -> Scope:
    if not header:
        raise ApiError("AuthFailure.SignatureFailure", "the request carries no Authorization header")
    match = _AUTHORIZATION.match(header.strip())
    if match is None:
        raise ApiError("AuthFailure.SignatureFailure", "the Authorization header is not a TC3-HMAC-SHA256 signature")
    signed = tuple(match["signed"].split(";"))
    if "content-type" not in signed or "host" not in signed:
        raise ApiError("AuthFailure.SignatureFailure", "SignedHeaders must include content-type and host")
    return Scope(match["secret_id"], match["date"], match["service"], signed, match["signature"])


def _hmac(key: bytes, message: str) -> bytes:
    return hmac.new(key, message.encode("utf-8"), hashlib.sha256).digest()


def signature(secret_key: str, *, method: str, path: str, query: str, headers: Mapping[str, str],
              signed_headers: tuple[str, ...], payload: bytes, timestamp: int, date: str, service: str) -> str:
    """The hex signature a client holding `secret_key` would send for this request."""
    canonical_headers = "".join(f"{name}:{headers.get(name, '').strip().lower()}\n" for name in signed_headers)
    if headers.get("x-tc-content-sha256") == "UNSIGNED-PAYLOAD":
        payload_hash = hashlib.sha256(b"UNSIGNED-PAYLOAD").hexdigest()
    else:
        payload_hash = hashlib.sha256(payload).hexdigest()
    canonical_request = "\n".join(
        [method, path, query, canonical_headers, ";".join(signed_headers), payload_hash])
    scope = f"{date}/{service}/tc3_request"
    string_to_sign = "\n".join(
        [ALGORITHM, str(timestamp), scope, hashlib.sha256(canonical_request.encode("utf-8")).hexdigest()])
    key = _hmac(_hmac(_hmac(("TC3" + secret_key).encode("utf-8"), date), service), "tc3_request")
    return hmac.new(key, string_to_sign.encode("utf-8"), hashlib.sha256).hexdigest()


def verify(*, keys: Mapping[str, str], method: str, path: str, query: str, headers: Mapping[str, str],
           payload: bytes, now: float) -> Scope:
    """Check a request's TC3 signature against the configured keys (SecretId -> SecretKey); return its scope.

    `headers` must have lower-case names. Raises ApiError with the real API's AuthFailure codes.
    """
    scope = parse_authorization(headers.get("authorization"))
    secret_key = keys.get(scope.secret_id)
    if secret_key is None:
        raise ApiError("AuthFailure.SecretIdNotFound", "the SecretId is not found; check that it exists and is on")
    raw_timestamp = headers.get("x-tc-timestamp", "")
    if not raw_timestamp.isdigit():
        raise ApiError("MissingParameter", "the request is missing X-TC-Timestamp")
    timestamp = int(raw_timestamp)
    if abs(now - timestamp) > MAX_CLOCK_SKEW:
        raise ApiError("AuthFailure.SignatureExpire",
                       "the signature has expired: the timestamp is more than five minutes from the server time")
    if datetime.fromtimestamp(timestamp, UTC).date().isoformat() != scope.date:
        raise ApiError("AuthFailure.SignatureFailure", "the credential scope date does not match X-TC-Timestamp")
    expected = signature(secret_key, method=method, path=path, query=query, headers=headers,
                         signed_headers=scope.signed_headers, payload=payload, timestamp=timestamp,
                         date=scope.date, service=scope.service)
    if not hmac.compare_digest(expected, scope.signature):
        raise ApiError("AuthFailure.SignatureFailure", "the request signature does not match")
    return scope
