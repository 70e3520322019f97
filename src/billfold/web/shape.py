"""Shaping neutral stored data at the edge: snake_case keys (as the database keeps JSON) to the
camelCase of the native API and of the vendors that use it."""

from __future__ import annotations

import re
from typing import Any

_WORD = re.compile(r"_([a-z0-9])")


def camel(name: str) -> str:
    """``minimum_amount_applied`` -> ``minimumAmountApplied``."""
    return _WORD.sub(lambda match: match.group(1).upper(), name)


def camel_keys(value: Any) -> Any:
    """``value`` (JSON) with every dict key in camelCase, at any depth; values are left alone."""
    if isinstance(value, dict):
        return {camel(key): camel_keys(item) for key, item in value.items()}
    if isinstance(value, list):
        return [camel_keys(item) for item in value]
    return value
