"""Lookups over an Estate's lists, grouped once and then answered in O(1), so no check scans a list per resource.

Collectors and plan mapping only ever append to these lists before evaluation starts; a grouping is rebuilt if its
list was replaced or changed length since it was made.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from pydantic import PrivateAttr

from .base import Model

T = TypeVar("T")


class Indexed(Model):
    """A state model whose lookups go through `_grouped`: items by key, in the list's own order."""

    _groupings: dict[str, tuple[int, int, dict[Any, Any]]] = PrivateAttr(default_factory=dict)

    @property
    def _made(self) -> dict[str, tuple[int, int, dict[Any, Any]]]:
        # Reading `self._groupings` goes through pydantic's __getattr__ (about 7 µs, more than the lookup it serves,
        # and lookups run per resource); the private dict itself is read in a fraction of that.
        private = self.__pydantic_private__
        assert private is not None  # a model with private attributes always has them
        made: dict[str, tuple[int, int, dict[Any, Any]]] = private["_groupings"]
        return made

    def _grouped(self, name: str, items: list[T], key: Callable[[T], Hashable]) -> dict[Any, list[T]]:
        made = self._made.get(name)
        if made is None or made[0] != id(items) or made[1] != len(items):
            groups: dict[Any, list[T]] = {}
            for item in items:
                groups.setdefault(key(item), []).append(item)
            made = self._made[name] = (id(items), len(items), groups)
        return made[2]

    def _in_order(self, name: str, items: list[T], chosen: list[T]) -> list[T]:
        """`chosen` (items of `items`) in the list's own order."""
        if len(chosen) < 2:
            return chosen
        cache = self._made
        position = {id(item): n for n, item in enumerate(items)} if (made := cache.get(name)) is None \
            or made[0] != id(items) or made[1] != len(items) else made[2]
        cache[name] = (id(items), len(items), position)
        return sorted(chosen, key=lambda item: position[id(item)])

    def _first(self, name: str, items: list[T], key: Callable[[T], Hashable], wanted: Hashable) -> T | None:
        found = self._grouped(name, items, key).get(wanted)
        return found[0] if found else None
