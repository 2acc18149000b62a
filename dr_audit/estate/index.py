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
V = TypeVar("V")


class Indexed(Model):
    """A state model whose lookups go through `_grouped`: items by key, in the list's own order."""

    # name -> (the list grouped, its length then, the grouping or the values)
    _groupings: dict[str, tuple[list[Any], int, Any]] = PrivateAttr(default_factory=dict)

    def _grouped(self, name: str, items: list[T], key: Callable[[T], Hashable]) -> dict[Any, list[T]]:
        """`items` by `key`. Lookups run per resource, so the made grouping is read from the private dict directly:
        pydantic's __getattr__ for `self._groupings` costs more than the lookup it serves."""
        made = self.__pydantic_private__["_groupings"].get(name)  # type: ignore[index]
        if made is not None and made[0] is items and made[1] == len(items):
            groups: dict[Any, list[T]] = made[2]
            return groups
        groups = {}
        found = groups.get  # not setdefault: it would make an empty list for every item
        for item in items:
            if (group := found(wanted := key(item))) is None:
                groups[wanted] = [item]
            else:
                group.append(item)
        self.__pydantic_private__["_groupings"][name] = (items, len(items), groups)  # type: ignore[index]
        return groups

    def _in_order(self, name: str, items: list[T], chosen: list[T]) -> list[T]:
        """`chosen` (items of `items`) in the list's own order."""
        if len(chosen) < 2:
            return chosen
        made = self.__pydantic_private__["_groupings"].get(name)  # type: ignore[index]
        if made is None or made[0] is not items or made[1] != len(items):
            made = (items, len(items), {id(item): n for n, item in enumerate(items)})
            self.__pydantic_private__["_groupings"][name] = made  # type: ignore[index]
        position = made[2]
        return sorted(chosen, key=lambda item: position[id(item)])

    def _each(self, name: str, items: list[T], value: Callable[[T], V]) -> list[V]:
        """`value` of every item, in the list's order, worked out once per `name` (which must say everything the
        values depend on besides the item) for all the checks that ask."""
        made = self.__pydantic_private__["_groupings"].get(name)  # type: ignore[index]
        if made is not None and made[0] is items and made[1] == len(items):
            values: list[V] = made[2]
            return values
        values = [value(item) for item in items]
        self.__pydantic_private__["_groupings"][name] = (items, len(items), values)  # type: ignore[index]
        return values

    def _first(self, name: str, items: list[T], key: Callable[[T], Hashable], wanted: Hashable) -> T | None:
        found = self._grouped(name, items, key).get(wanted)
        return found[0] if found else None
