"""What every Tencent Cloud collector shares: the per-account run context and the real-answer traps (DESIGN.md
§7, docs §7): Beijing-time strings, nulls where lists belong, tags in two spellings."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from ...estate import Estate, Gap, Resource
from ..client import ApiClient
from ..errors import CallError
from ..tasks import TaskGroup

BEIJING = timezone(timedelta(hours=8), "Asia/Shanghai")


# Unix times from the API are plausible between these (seconds); anything outside is a unit or data error.
EARLIEST_EPOCH = int(datetime(2000, 1, 1, tzinfo=UTC).timestamp())
LATEST_EPOCH = int(datetime(2100, 1, 1, tzinfo=UTC).timestamp())
MILLISECONDS_FROM = 100_000_000_000  # as seconds that is the year 5138: a value this large counts milliseconds


class ImplausibleValue(ValueError):
    """A value outside its physical range: unknown, so whatever it decides is unknown too."""

    def __init__(self, field: str, value: Any, why: str) -> None:
        super().__init__(f"{field}={value!r} {why}")
        self.field, self.value = field, value


def epoch_time(value: Any, field: str = "time") -> datetime | None:
    """An integer Unix time, in seconds or milliseconds by its magnitude (the API documents an integer, not its
    unit). 0 is None (never); a negative, fractional-nonsense or out-of-range value raises ImplausibleValue."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ImplausibleValue(field, value, "is not a Unix time")
    if isinstance(value, str):
        if not value.strip().isdigit():
            raise ImplausibleValue(field, value, "is not a Unix time")
        value = int(value.strip())
    if value == 0:
        return None
    seconds = value / 1000 if value >= MILLISECONDS_FROM else value
    if not EARLIEST_EPOCH <= seconds < LATEST_EPOCH:
        raise ImplausibleValue(field, value, "is not a plausible Unix time in seconds or milliseconds")
    return datetime.fromtimestamp(seconds, UTC)


def beijing_time(value: Any) -> datetime | None:
    """A Tencent time as aware UTC. Strings without a zone are Beijing time; zero dates and empties are None;
    numbers are Unix times (seconds or milliseconds, see epoch_time)."""
    if value is None or value == "":
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return epoch_time(value)
    text = str(value).strip()
    if not text or text.startswith("0000-00-00"):
        return None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=BEIJING)
    return parsed.astimezone(UTC)


def utc_time(value: Any) -> datetime | None:
    """A time the API gives in UTC (CVM CreatedTime, ISO 8601 with Z); one without a zone is taken as UTC too."""
    if value is None or value == "":
        return None
    text = str(value).strip()
    if not text or text.startswith("0000-00-00"):
        return None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)


def items(value: Any) -> list[Any]:
    """A list field that may come back null."""
    return list(value) if isinstance(value, list) else []


def text(value: Any) -> str:
    return "" if value is None else str(value)


def optional_text(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)


def optional_int(value: Any) -> int | None:
    if value is None or value == "":
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def tags(value: Any) -> dict[str, str]:
    """Tags as a dict, whatever the spelling: Key/Value, TagKey/TagValue, or CVM's duplicated tagKey/tagValue."""
    result: dict[str, str] = {}
    for tag in items(value):
        if not isinstance(tag, dict):
            continue
        key = tag.get("Key", tag.get("TagKey", tag.get("tagKey")))
        val = tag.get("Value", tag.get("TagValue", tag.get("tagValue")))
        if key is not None:
            result[str(key)] = "" if val is None else str(val)
    return result


@dataclass
class Harvest:
    """The Estate being filled by many threads: additions go through one lock."""

    estate: Estate
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, target: list[Any], found: Iterable[Any]) -> None:
        with self.lock:
            target.extend(found)

    def gap(self, gap: Gap) -> None:
        with self.lock:
            self.estate.gaps.append(gap)


@dataclass
class AccountRun:
    """One account's collection: its client, regions, task group and the Estate being filled."""

    client: ApiClient
    account: str
    regions: list[str]
    tasks: TaskGroup
    harvest: Harvest
    now: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def estate(self) -> Estate:
        return self.harvest.estate

    def record_gap(self, service: str, region: str, operation: str, code: str, message: str) -> None:
        self.harvest.gap(Gap(account=self.account, service=service, region=region, operation=operation, code=code,
                             message=message))

    def gap_from(self, service: str, region: str, error: CallError) -> None:
        self.record_gap(service, region, error.action, error.code, error.message)

    def spawn_inventory(self, service: str, region: str, fn: Callable[..., Any], *args: Any) -> None:
        """Run an inventory read; a failure (or a crash) becomes a gap for (account, service, region)."""

        def crashed(exc: BaseException) -> None:
            if isinstance(exc, CallError):
                self.gap_from(service, region, exc)
            else:
                self.record_gap(service, region, getattr(fn, "__name__", "collect"), "CollectorError",
                                f"{type(exc).__name__}: {exc}"[:300])

        self.tasks.spawn(lane(service, fn), fn, *args, on_crash=crashed)

    def spawn_detail(self, service: str, resource: Resource, attributes: tuple[str, ...], fn: Callable[..., Any],
                     *args: Any) -> None:
        """Run a per-resource read; a failure marks `attributes` of that resource unreadable, with the reason."""

        def crashed(exc: BaseException) -> None:
            reason = exc.reason if isinstance(exc, CallError) else f"collector error: {type(exc).__name__}: {exc}"
            mark_unreadable(resource, attributes, reason, self.harvest.lock)

        self.tasks.spawn(lane(service, fn), fn, *args, on_crash=crashed)


def lane(service: str, fn: Callable[..., Any]) -> str:
    """Each kind of read gets its own workers: per-action rate limits then pace each kind on its own, and one slow
    kind (20/s, thousands of users) never holds the workers another kind (100/s) is waiting for."""
    return f"{service}:{getattr(fn, '__name__', 'read')}"


def mark_unreadable(resource: Resource, attributes: Iterable[str], reason: str,
                    lock: threading.Lock | None = None) -> None:
    if lock is None:
        for attribute in attributes:
            resource.unreadable[attribute] = reason[:300]
        return
    with lock:
        for attribute in attributes:
            resource.unreadable[attribute] = reason[:300]


def fit(model: type[Any], **values: Any) -> Any:
    """Build a model from the values it declares: collectors keep working while the Estate models grow."""
    declared = model.model_fields
    return model(**{key: value for key, value in values.items() if key in declared})
