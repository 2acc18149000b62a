"""One backend per emulated service: the Estate converted to the API's own field names, plus its read actions.

A backend keeps its state as API-shaped dicts built once from the Estate (like moto's per-service backends); its
action handlers only page, filter and pick fields, so the wire answers stay cheap under benchmark load.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, ClassVar

from ...estate import Estate, Resource
from ..protocol import ApiError, Call

Handler = Callable[[Any, Call], dict[str, Any]]


def action(name: str) -> Callable[[Handler], Handler]:
    """Mark a backend method as the handler of one API action."""
    def mark(method: Handler) -> Handler:
        method._api_action = name  # type: ignore[attr-defined]
        return method
    return mark


class ServiceBackend:
    """Base of a service backend: `service` (the TC3 scope name), API `version`, whether it is regional."""

    service: ClassVar[str]
    version: ClassVar[str]
    regional: ClassVar[bool] = True
    handlers: ClassVar[dict[str, Handler]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.handlers = {
            member._api_action: member
            for klass in reversed(cls.__mro__) for member in vars(klass).values()
            if callable(member) and hasattr(member, "_api_action")
        }

    def __init__(self, estate: Estate, account: str) -> None:
        self.estate = estate
        self.account = account

    def answer(self, call: Call) -> dict[str, Any] | None:
        """The Response body (without RequestId) for an implemented action, None when the action is not emulated."""
        handler = self.handlers.get(call.action)
        if handler is None:
            return None
        if self.regional and not call.region:
            raise ApiError("MissingParameter", "the request is missing the required parameter Region")
        return handler(self, call)

    def mine(self, resources: list[Any]) -> list[Any]:
        """The resources of the account this emulated cloud serves."""
        return [r for r in resources if r.account == self.account]


_REASON = re.compile(r"failed: (?P<code>[A-Z][A-Za-z0-9]*(?:\.[A-Za-z0-9]+)*)(?:: (?P<message>.*))?$")


def refuse_unreadable(resource: Resource, *attributes: str) -> None:
    """Fail the read behind an attribute the Estate marks unreadable, with the error its reason names.

    A reason shaped like the collectors' (`cdb:DescribeBackupConfig failed: <Code>: <message>`) gives that code and
    message back, so collecting the emulated Estate records the same reason; any other reason is answered as
    AuthFailure.UnauthorizedOperation with the reason as its message.
    """
    for attribute in attributes:
        reason = resource.unreadable.get(attribute)
        if reason:
            match = _REASON.search(reason)
            if match is None:
                raise ApiError("AuthFailure.UnauthorizedOperation", reason)
            raise ApiError(match["code"], match["message"] or reason)


def by_region(items: list[tuple[str, dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    grouped: dict[str, list[dict[str, Any]]] = {}
    for region, item in items:
        grouped.setdefault(region, []).append(item)
    return grouped
