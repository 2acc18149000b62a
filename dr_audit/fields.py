"""Default factories for pydantic fields: a fresh empty list or dict for each instance.

pydantic inspects every `default_factory`'s signature when it builds a model class. For a builtin such as `list`
that means parsing a text signature, about a millisecond per field, and the Estate alone has over a hundred such
fields; a Python function is inspected in microseconds. A literal default (`= []`) is cheap to declare but is
deep-copied for every instance, which costs more where it matters, in Estates of thousands of resources.
"""

from __future__ import annotations

from typing import Any


def new_list() -> list[Any]:
    return []


def new_dict() -> dict[Any, Any]:
    return {}
