"""The one client layer every live read goes through: read-only guard, rate limits, retries, timeouts, clean errors.

Tencent Cloud API 3.0 calls go through the SDK's per-service clients (`call_json`), with the SDK's own retryer and
region breaker left off: its StandardRetryer re-raises a stale error after a later success, and its breaker fails
over instead of failing fast. Retries, backoff and the per-(account, service, action) token buckets live here.
"""

from __future__ import annotations

import json
import random
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from ..readonly import is_read_action
from .answers import listed
from .clients import SDK_CLIENTS as SDK_CLIENTS  # re-exported: tests and tools look services up here
from .clients import ReadOnlyViolation, Timeouts, api_client
from .deadline import READ_TIMEOUT, BudgetSpent, DeadlinePassed, RunBudget, deadline_at
from .errors import CallError, Secrets, scrub

# Documented default limits per account and action (DESIGN.md §7), by service; the few actions with their own
# documented limit override the service's. Unknown services fall back to the most common CAM-like 20/s.
SERVICE_RATE_LIMITS: dict[str, float] = {
    "cam": 20, "cbs": 20, "cvm": 40, "vpc": 100, "cdb": 100, "dasb": 20, "cloudaudit": 20, "region": 20, "sts": 20,
}
ACTION_RATE_LIMITS: dict[str, float] = {
    "cdb:DescribeBackupOverview": 20, "cdb:DescribeBackupSummaries": 20, "cdb:DescribeTagsOfInstanceIds": 20,
    "dasb:DescribeDeviceGroupMembers": 50, "sts:AssumeRole": 600,
}
DEFAULT_RATE_LIMIT = 20.0

DEADLINE_EXCEEDED = "DeadlineExceeded"


def rate_limit(service: str, action: str) -> float:
    return ACTION_RATE_LIMITS.get(f"{service}:{action}", SERVICE_RATE_LIMITS.get(service, DEFAULT_RATE_LIMIT))


class TokenBucket:
    """A token bucket: `rate` tokens a second, at most `burst` saved up. acquire() waits for a token."""

    def __init__(self, rate: float, burst: float = 1.0, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.rate = rate
        self.burst = max(1.0, burst)
        self._clock, self._sleep = clock, sleep
        self._tokens = self.burst
        self._last = clock()
        self._lock = threading.Lock()

    def acquire(self) -> None:
        # Reserve a token now (possibly going into debt) and sleep off the debt outside the lock, so waiting callers
        # are served in order at exactly `rate` without a busy loop.
        with self._lock:
            now = self._clock()
            self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate)
            self._last = now
            self._tokens -= 1.0
            wait = -self._tokens / self.rate if self._tokens < 0 else 0.0
        if wait > 0:
            self._sleep(wait)


class RateLimiter:
    """One token bucket per (account, service, action), at that action's documented limit times `share`."""

    def __init__(self, share: float = 1.0, overrides: dict[str, float] | None = None, enabled: bool = True) -> None:
        self.share = share
        self.overrides = overrides or {}
        self.enabled = enabled
        self._buckets: dict[tuple[str, str, str], TokenBucket] = {}
        self._lock = threading.Lock()

    def bucket(self, account: str, service: str, action: str) -> TokenBucket:
        key = (account, service, action)
        with self._lock:
            found = self._buckets.get(key)
            if found is None:
                rate = self.overrides.get(f"{service}:{action}", rate_limit(service, action)) * self.share
                found = self._buckets[key] = TokenBucket(rate)
            return found

    def acquire(self, account: str, service: str, action: str) -> None:
        if self.enabled:
            self.bucket(account, service, action).acquire()


@dataclass(frozen=True)
class RetryPolicy:
    """Jittered exponential backoff ("full jitter"): attempt n waits uniform(0, min(cap, base * 2**n))."""

    max_attempts: int = 10
    base: float = 0.1
    cap: float = 5.0

    def delay(self, attempt: int, rng: random.Random) -> float:
        return rng.uniform(0, min(self.cap, self.base * 2 ** attempt))


@dataclass(frozen=True)
class Endpoint:
    """Where API 3.0 requests go: the real `<service>.tencentcloudapi.com`, or one override for every service."""

    url: str | None = None

    def http_profile_args(self) -> dict[str, str]:
        if not self.url:
            return {}
        parts = urlsplit(self.url if "://" in self.url else f"https://{self.url}")
        if not parts.hostname:
            from ..errors import BadInput

            raise BadInput(f"--endpoint-url {self.url!r} is not a URL (expected e.g. http://127.0.0.1:8080)")
        host = f"{parts.hostname}:{parts.port}" if parts.port else parts.hostname
        return {"protocol": parts.scheme or "https", "endpoint": host}


@dataclass
class CallStats:
    """Calls sent per service:action (every attempt counts), for progress and the benchmark."""

    sent: Counter[str] = field(default_factory=Counter)
    retried: Counter[str] = field(default_factory=Counter)
    last_sent_at: float = 0.0  # time.monotonic() of the latest call
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def count(self, key: str, retry: bool) -> None:
        with self._lock:
            self.sent[key] += 1
            self.last_sent_at = time.monotonic()
            if retry:
                self.retried[key] += 1


class ApiClient:
    """Reads one account's API 3.0 data. Thread-safe: its threads share one SDK client per (service, region)."""

    def __init__(self, secrets: Secrets, account: str = "", *, endpoint: Endpoint | None = None,
                 limiter: RateLimiter | None = None, retry: RetryPolicy | None = None, timeout: float = READ_TIMEOUT,
                 stats: CallStats | None = None, seed: int | None = None, budget: RunBudget | None = None) -> None:
        self.secrets = secrets
        self.account = account
        self.endpoint = endpoint or Endpoint()
        self.limiter = limiter or RateLimiter()
        self.retry = retry or RetryPolicy()
        self.timeout = timeout  # the wait for each next byte; the whole call is bounded by `budget`
        self.budget = budget or RunBudget(run_seconds=None)
        self.stats = stats or CallStats()
        self._clients: dict[tuple[str, str], Any] = {}
        self._clients_lock = threading.Lock()
        self._rng = random.Random(seed)
        self._rng_lock = threading.Lock()

    # -- the one door every request passes ------------------------------------------------------------------------

    def call(self, service: str, action: str, params: dict[str, Any] | None = None, region: str = "") -> dict[str, Any]:
        """The `Response` object of one read, after rate limiting and retries; raises CallError when it failed.

        Every attempt and pause of one call ends by the call's deadline (its own budget, its service's, the run's):
        a server that never answers, or answers a byte at a time, costs at most that long.
        """
        if not is_read_action(service, action):
            raise ReadOnlyViolation(f"{service}:{action} is not a read-only action; dr-audit never sends it")
        key = f"{service}:{action}"
        attempt = 0
        deadline: float | None = None
        while True:
            self.limiter.acquire(self.account, service, action)
            if deadline is None:  # the call's clock starts once it may be sent: waiting for a token is not its time
                started = time.monotonic()
                try:
                    deadline = self.budget.call_deadline(self.account, service)
                except BudgetSpent as spent:
                    raise self._error(service, action, region, DEADLINE_EXCEEDED, spent.reason) from None
            if time.monotonic() >= deadline:
                raise self._error(service, action, region, DEADLINE_EXCEEDED,
                                  self.budget.spent_reason(self.account, service, started))
            self.stats.count(key, retry=attempt > 0)
            try:
                with deadline_at(deadline):
                    return self._send(service, action, params or {}, region)
            except CallError as error:
                attempt += 1
                if time.monotonic() >= deadline:  # the answer did not come in time: say so, not the socket's words
                    raise self._error(service, action, region, DEADLINE_EXCEEDED,
                                      self.budget.spent_reason(self.account, service, started)) from None
                if not error.transient or attempt >= self.retry.max_attempts:
                    raise
                with self._rng_lock:
                    pause = self.retry.delay(attempt - 1, self._rng)
                if time.monotonic() + pause >= deadline:  # no time left for another try
                    raise
                time.sleep(pause)

    def _send(self, service: str, action: str, params: dict[str, Any], region: str) -> dict[str, Any]:
        from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException

        client = self._sdk_client(service, region)
        try:
            answer = parse_answer(client.call(action, params))
        except TencentCloudSDKException as exc:
            code, message = exc.get_code() or "Unknown", exc.get_message() or ""
            if code == "ServerNetworkError" and isinstance(message, bytes | bytearray):
                message = message[:200].decode("utf-8", "replace")
            raise self._error(service, action, region, code, str(message)) from None
        except json.JSONDecodeError as exc:
            raise self._error(service, action, region, "MalformedResponse", f"answer is not JSON ({exc.msg})") from None
        except (KeyError, TypeError, ValueError) as exc:
            raise self._error(service, action, region, "MalformedResponse", f"{type(exc).__name__}: {exc}") from None
        except DeadlinePassed:
            raise self._error(service, action, region, "ClientNetworkError", "the answer did not arrive in time") \
                from None
        except OSError as exc:
            raise self._error(service, action, region, "ClientNetworkError", str(exc)) from None
        response = answer.get("Response") if isinstance(answer, dict) else None
        if not isinstance(response, dict):
            raise self._error(service, action, region, "MalformedResponse", "answer has no Response object")
        error = response.get("Error")
        if isinstance(error, dict):  # the SDK ignores errors when Content-Type is not exactly application/json
            code, message = str(error.get("Code") or "Unknown"), str(error.get("Message", ""))
            raise self._error(service, action, region, code, message)
        return response

    def _error(self, service: str, action: str, region: str, code: str, message: str) -> CallError:
        return CallError(service, action, region, scrub(code, self.secrets), scrub(message, self.secrets))

    def _sdk_client(self, service: str, region: str) -> Any:
        # One SDK client per (service, region), shared by this account's threads: a client keeps no state between
        # calls but its keys and its (shared, thread-safe) connection pool, and building one per thread cost more
        # than the read it was built for.
        key = (service, region)
        found = self._clients.get(key)
        if found is None:
            with self._clients_lock:
                found = self._clients.get(key)
                if found is None:
                    found = self._clients[key] = self._new_sdk_client(service, region)
        return found

    def _new_sdk_client(self, service: str, region: str) -> Any:
        return api_client(service, region, self.secrets, self.endpoint.http_profile_args(),
                          Timeouts(read=self.timeout))

    # -- paging helpers -------------------------------------------------------------------------------------------

    def offset_pages(self, service: str, action: str, params: dict[str, Any], list_key: str, *, region: str = "",
                     limit: int = 100, as_strings: bool = False, total_key: str = "TotalCount") -> Iterator[dict]:
        """Every item of an Offset/Limit list, page after page until the total is reached or a page comes short."""
        offset = 0
        while True:
            page_params = {**params, "Offset": str(offset) if as_strings else offset,
                           "Limit": str(limit) if as_strings else limit}
            response = self.call(service, action, page_params, region)
            items = _listed(response, list_key, service, action, region, total_key)
            yield from items
            offset += len(items)
            if _last_page(items, offset, limit, response.get(total_key)):
                return

    def page_number_pages(self, service: str, action: str, params: dict[str, Any], list_key: str, *,
                          region: str = "", size: int = 20, page_key: str = "Page", size_key: str = "Rp",
                          total_key: str = "TotalNum") -> Iterator[dict]:
        """Every item of a Page/Rp (CAM) or PageNumber/PageSize (CloudAudit) list, counting pages from 1."""
        page, seen = 1, 0
        while True:
            response = self.call(service, action, {**params, page_key: page, size_key: size}, region)
            items = _listed(response, list_key, service, action, region, total_key)
            yield from items
            seen += len(items)
            if _last_page(items, seen, size, response.get(total_key)):
                return
            page += 1


def _listed(response: dict[str, Any], list_key: str, service: str, action: str, region: str,
            total_key: str) -> list[Any]:
    """A page's items; an answer without its list field raises MissingField (a CallError), never reads as empty."""
    return listed(response, list_key, service, action, region, total_key)


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
# What a body holding a lone surrogate after parsing must contain: a \uD800-\uDFFF escape, UTF-8 bytes of a
# surrogate (json reads bytes with "surrogatepass"), or NUL bytes (a UTF-16 or UTF-32 body, which this does not scan).
_MAY_HOLD_SURROGATE = re.compile(rb"\\u[dD][89a-fA-F]|\xed[\xa0-\xbf]|\x00")


def parse_answer(content: bytes | str) -> Any:
    """The JSON of an answer, with every lone surrogate replaced (`valid_unicode`); the walk that replaces them is
    skipped when the body cannot hold one, as nearly every answer cannot."""
    answer = json.loads(content)
    raw = content.encode("utf-8", "surrogatepass") if isinstance(content, str) else content
    return valid_unicode(answer) if _MAY_HOLD_SURROGATE.search(raw) else answer


def valid_unicode(value: Any) -> Any:
    """The answer with every lone surrogate (a `\\ud800` JSON escape decodes to one) replaced by U+FFFD.

    Such a string cannot be written as UTF-8: left in, one name from a hostile or broken endpoint would stop the
    snapshot, the history store and every report from being written.
    """
    if isinstance(value, str):
        return _LONE_SURROGATE.sub("\ufffd", value) if _LONE_SURROGATE.search(value) else value
    if isinstance(value, dict):
        return {valid_unicode(key): valid_unicode(item) for key, item in value.items()}
    if isinstance(value, list):
        return [valid_unicode(item) for item in value]
    return value


def _last_page(items: list[Any], seen: int, size: int, total: Any) -> bool:
    """The total, when the answer gives one, decides; otherwise a short page is the last."""
    if not items:
        return True
    if isinstance(total, int) or (isinstance(total, str) and total.isdigit()):
        return seen >= int(total)
    return len(items) < size
