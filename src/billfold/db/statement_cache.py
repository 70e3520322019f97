"""The repository's cache of built statements (shared by :class:`billfold.db.repository.Repository` and
its query mixins): a statement's SQL structure is built once per process, its values bound at every
execution."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_STATEMENTS: dict[Any, Any] = {}


def built(name: Any, build: Callable[[], Any]) -> Any:
    """The statement ``name``, built once per process (SQL structure only, its values bound at every
    execution): building a statement costs the hot paths more Python than executing it."""
    found = _STATEMENTS.get(name)
    if found is None:
        found = _STATEMENTS[name] = build()
    return found
