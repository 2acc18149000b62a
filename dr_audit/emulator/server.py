"""The API 3.0 HTTP front of the emulated cloud: verify, record, apply faults and limits, dispatch, render.

One endpoint serves every service; the service comes from the TC3 credential scope and the action from
X-TC-Action. Answers are HTTP 200 with `Content-Type: application/json` exactly (the SDK ignores errors otherwise).
"""

from __future__ import annotations

import json
import random
import secrets
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from ..estate import Gap
from .protocol import ApiError, Call
from .services import ServiceBackend
from .signing import parse_authorization, verify

# Documented default limits per action and account (DESIGN.md §7; tencent-cloud-apis.md §3), by service, with the
# actions that document their own limit.
SERVICE_RATE_LIMITS: dict[str, float] = {
    "cam": 20, "cbs": 20, "cvm": 40, "vpc": 100, "cdb": 100, "dasb": 20, "cloudaudit": 20, "sts": 20, "region": 20,
}
ACTION_RATE_LIMITS: dict[str, float] = {
    "cdb:DescribeBackupOverview": 20, "cdb:DescribeBackupSummaries": 20, "cdb:DescribeTagsOfInstanceIds": 20,
    "cdb:DescribeBackupDownloadRestriction": 20, "dasb:DescribeDeviceGroupMembers": 50, "sts:AssumeRole": 600,
}
READ_PREFIXES = ("Describe", "List", "Get", "Search", "Head", "LookUp", "Inquiry", "Query", "Check")


def documented_rate(service: str, action: str) -> float:
    return ACTION_RATE_LIMITS.get(f"{service}:{action}", SERVICE_RATE_LIMITS.get(service, 20.0))


@dataclass
class Faults:
    """Faults the emulated cloud injects (see the emulator contract)."""

    deny_services: set[str] = field(default_factory=set)  # AuthFailure.UnauthorizedOperation for every action
    throttle_fraction: float = 0.0  # this share of requests answer RequestLimitExceeded (seeded)
    internal_error_actions: set[str] = field(default_factory=set)  # "service:Action" -> InternalError
    malformed_actions: set[str] = field(default_factory=set)  # "service:Action" -> a body that is not JSON
    drop_actions: set[str] = field(default_factory=set)  # "service:Action" -> connection closed, no answer
    bad_signature: bool = False  # every request answers AuthFailure.SignatureFailure
    deny_roles: set[str] = field(default_factory=set)  # role ARNs whose AssumeRole is refused (trust not granted)
    # "service:Action" (or "*" for every action) -> the answer without its lists and objects (scalars and RequestId
    # kept), or with no field at all: what a real answer missing its data looks like.
    listless_actions: set[str] = field(default_factory=set)
    emptied_actions: set[str] = field(default_factory=set)
    seed: int = 0

    def hollow(self, service: str, action: str, answer: dict[str, Any]) -> dict[str, Any]:
        """The answer as the faults leave it."""
        named = {f"{service}:{action}", "*"}
        if named & self.emptied_actions:
            return {}
        if named & self.listless_actions:
            return {key: value for key, value in answer.items() if not isinstance(value, list | dict)}
        return answer


@dataclass(frozen=True)
class Principal:
    """Who signs with a SecretId: long-term keys of an account, or temporary keys of a role assumed in it."""

    secret_key: str = field(repr=False)
    account: str
    token: str | None = field(default=None, repr=False)
    role_name: str | None = None
    session: str | None = None
    expires_at: float | None = None


@dataclass(frozen=True)
class RecordedCall:
    service: str
    action: str
    region: str


class TokenBucket:
    """A non-blocking token bucket: the server refuses, it does not queue, like the real API."""

    def __init__(self, rate: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = rate
        self.capacity = max(1.0, rate)  # at most one second's worth of calls in a burst
        self.tokens = self.capacity
        self.clock = clock
        self.last = clock()
        self.lock = threading.Lock()

    def take(self) -> bool:
        with self.lock:
            now = self.clock()
            self.tokens = min(self.capacity, self.tokens + (now - self.last) * self.rate)
            self.last = now
            if self.tokens >= 1.0:
                self.tokens -= 1.0
                return True
            return False


class ApiFront:
    """Everything a request handler needs, independent of HTTP."""

    def __init__(self, backends: Mapping[str, Mapping[str, list[ServiceBackend]]],
                 principals: Mapping[str, Principal], *, latency: float = 0.0,
                 rate_limits: bool | Mapping[str, float] = False, faults: Faults | None = None,
                 gaps: Iterable[Gap] = ()) -> None:
        self.backends = backends  # account -> service -> backends
        self.principals = dict(principals)  # SecretId -> who signs with it
        self.principals_lock = threading.Lock()
        # The Estate's read gaps become the failures that caused them: (account, service, region "" = every
        # region) -> the gaps there, each failing its operation (or every action of the service when it names none).
        self.gaps: dict[tuple[str, str, str], list[Gap]] = {}
        for gap in gaps:
            self.gaps.setdefault((gap.account, gap.service, gap.region), []).append(gap)
        self.latency = latency
        self.faults = faults or Faults()
        self.rng = random.Random(self.faults.seed)
        self.rng_lock = threading.Lock()
        self.requests: list[RecordedCall] = []
        self.rate_limits = rate_limits
        self.buckets: dict[tuple[str, str], TokenBucket] = {}
        self.buckets_lock = threading.Lock()

    def issue_temporary(self, account: str, role_name: str, session: str, duration: int) -> dict[str, Any]:
        """STS AssumeRole: fresh temporary keys and a token that sign as `account` until they expire."""
        secret_id = "AKID" + secrets.token_hex(16)
        principal = Principal(secret_key=secrets.token_urlsafe(24), account=account, token=secrets.token_urlsafe(48),
                              role_name=role_name, session=session, expires_at=time.time() + duration)
        with self.principals_lock:
            self.principals[secret_id] = principal
        return {"Credentials": {"Token": principal.token, "TmpSecretId": secret_id,
                                "TmpSecretKey": principal.secret_key},
                "ExpiredTime": int(principal.expires_at or 0),
                "Expiration": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(principal.expires_at))}

    def account_of(self, secret_id: str) -> str | None:
        principal = self.principals.get(secret_id)
        return principal.account if principal is not None else None

    def _limit(self, service: str, action: str) -> float | None:
        if self.rate_limits is True:
            return documented_rate(service, action)
        if isinstance(self.rate_limits, Mapping):
            return self.rate_limits.get(f"{service}:{action}")
        return None

    def _throttled(self, account: str, service: str, action: str) -> bool:
        rate = self._limit(service, action)
        if rate is None:
            return False
        key = (account, f"{service}:{action}")  # limits are per account and action
        with self.buckets_lock:
            bucket = self.buckets.get(key)
            if bucket is None:
                bucket = self.buckets[key] = TokenBucket(rate)
        return not bucket.take()

    def handle(self, *, method: str, path: str, query: str, headers: Mapping[str, str], body: bytes
               ) -> tuple[str, dict[str, Any] | bytes | None]:
        """("ok"|"error", Response dict) to render, ("raw", bytes) for a malformed body, ("drop", None)."""
        action = headers.get("x-tc-action", "")
        region = headers.get("x-tc-region", "")
        try:
            claimed = parse_authorization(headers.get("authorization"))
        except ApiError as exc:
            return "error", _error(exc)
        self.requests.append(RecordedCall(claimed.service, action, region))
        if self.latency:
            time.sleep(self.latency)
        try:
            if self.faults.bad_signature:
                raise ApiError("AuthFailure.SignatureFailure", "the request signature does not match")
            now = time.time()
            # Only the claimed signer's key can verify: copying every principal's (hundreds, once an organization's
            # roles are assumed) on every request cost the emulator more than the check.
            claimed_principal = self.principals.get(claimed.secret_id)
            keys = {claimed.secret_id: claimed_principal.secret_key} if claimed_principal is not None else {}
            scope = verify(keys=keys, method=method, path=path, query=query, headers=headers, payload=body, now=now)
            principal = self.principals[scope.secret_id]
            if principal.token is not None and headers.get("x-tc-token") != principal.token:
                raise ApiError("AuthFailure.TokenFailure", "temporary keys need their X-TC-Token")
            if principal.expires_at is not None and now > principal.expires_at:
                raise ApiError("AuthFailure.TokenFailure", "the temporary keys have expired")
            account = principal.account
            service = scope.service
            if not action:
                raise ApiError("MissingParameter", "the request is missing X-TC-Action")
            name = f"{service}:{action}"
            if name in self.faults.drop_actions:
                return "drop", None
            if name in self.faults.malformed_actions:
                return "raw", b"<html><body>502 Bad Gateway</body></html>"
            if name in self.faults.internal_error_actions:
                raise ApiError("InternalError", "an internal error occurred; try again later")
            if service in self.faults.deny_services:
                raise ApiError("AuthFailure.UnauthorizedOperation",
                               f"the caller is not authorised to perform {service}:{action}")
            if self.faults.throttle_fraction:
                with self.rng_lock:
                    throttle = self.rng.random() < self.faults.throttle_fraction
                if throttle:
                    raise ApiError("RequestLimitExceeded", "the request rate exceeds the limit")
            if self._throttled(account, service, action):
                raise ApiError("RequestLimitExceeded", f"the request rate of {action} exceeds the limit")
            for gap in self.gaps.get((account, service, region), []) + self.gaps.get((account, service, ""), []):
                if not gap.operation or gap.operation == action:
                    raise ApiError(gap.code, gap.message or f"{service}:{action} could not be read")
            answer = self._dispatch(principal, service, action, region, body, headers.get("x-tc-version"))
            return "ok", self.faults.hollow(service, action, answer)
        except ApiError as exc:
            return "error", _error(exc)

    def _dispatch(self, principal: Principal, service: str, action: str, region: str, body: bytes,
                  version: str | None) -> dict[str, Any]:
        # The cloud judges by its own rules, not by the auditor's declarations: an auditor's role grants reads only,
        # so anything else is refused (and was recorded above); a read nobody serves does not exist.
        if not action.startswith(READ_PREFIXES) and (service, action) != ("sts", "AssumeRole"):
            raise ApiError("UnauthorizedOperation", f"the auditor may not perform {service}:{action}")
        try:
            params = json.loads(body or b"{}")
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise ApiError("InvalidParameter", "the request body is not JSON") from None
        if not isinstance(params, dict):
            raise ApiError("InvalidParameter", "the request body must be a JSON object")
        call = Call(service, action, region, params, role_name=principal.role_name, session=principal.session)
        for backend in self.backends.get(principal.account, {}).get(service, []):
            if action not in backend.handlers:
                continue
            if version and version != backend.version:
                raise ApiError("NoSuchVersion", f"{service} has no API version {version}")
            answer = backend.answer(call)
            if answer is not None:
                return answer
        raise ApiError("InvalidAction", f"the action {action} is not emulated for {service}")


def _error(exc: ApiError) -> dict[str, Any]:
    return {"Error": {"Code": exc.code, "Message": exc.message}}


def make_handler(front: ApiFront) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive: the SDK reuses connections
        # Headers and body go out in two writes; without TCP_NODELAY every answer waits for a delayed ACK (~40 ms).
        disable_nagle_algorithm = True

        def do_POST(self) -> None:  # noqa: N802 (the stdlib's naming)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            path, _, query = self.path.partition("?")
            headers = {name.lower(): value for name, value in self.headers.items()}
            kind, payload = front.handle(method="POST", path=path, query=query, headers=headers, body=body)
            if kind == "drop":
                self.close_connection = True
                return
            if kind == "raw":
                assert isinstance(payload, bytes)
                data = payload
            else:
                assert isinstance(payload, dict)
                payload["RequestId"] = str(uuid.uuid4())
                data = json.dumps({"Response": payload}, ensure_ascii=False).encode("utf-8")
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass  # the emulator never prints; callers read `requests`

    return Handler


class ApiServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256
    allow_reuse_address = True


def serve(front: ApiFront, host: str = "127.0.0.1", port: int = 0) -> tuple[ApiServer, threading.Thread]:
    server = ApiServer((host, port), make_handler(front))
    thread = threading.Thread(target=server.serve_forever, name="emulated-tencent-cloud", daemon=True)
    thread.start()
    return server, thread
