"""Native field names → a vendor's request field names, applied to errors at each dialect's edge.

The services name fields as the native API does (``endDate``, ``productId``, ``unitPrice``). A dialect
answers in its vendor's names instead, so each dialect declares one mapping (native name → its own
request field, e.g. Orb's ``endDate`` → ``end_date``, ``productId`` → ``item_id``) and its error shape
passes every error through :func:`vendor_error` before rendering it. The mapping is applied to

- each ``details`` key: the path's first segment (``productId`` → ``item_id``; a nested vendor path such
  as Sequence's ``servicePeriod.startDate`` is left alone);
- the text of the message and of each reason: a field named at the start of a ``field: reason`` part,
  and any camelCase native name elsewhere (``must not be before startDate`` → ``... start_date``).
  A plain lower-case word (``name``) is only renamed where it is a field, never inside prose.

When two native fields map to one vendor field, the first reason is kept.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from billfold.web.errors import ErrorInfo

FieldNames = Mapping[str, str]

_HEAD = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*")
# a field path at the start of the text or of a "; "-separated part, followed by ": "
_LEADING = re.compile(r"(^|; )([A-Za-z_][A-Za-z0-9_]*)(?=[.\[:])")
# a camelCase identifier standing alone (not part of a dotted path or a longer word)
_CAMEL = re.compile(r"(?<![\w.])[a-z][a-z0-9]*[A-Z][A-Za-z0-9]*(?![\w])")


def rename_path(path: str, names: FieldNames) -> str:
    """``productId`` → ``item_id``; ``price.currency`` → its head renamed, the rest as it is."""
    head = _HEAD.match(path)
    if head is None:
        return path
    return names.get(head.group(), head.group()) + path[head.end() :]


def rename_text(text: str, names: FieldNames) -> str:
    text = _LEADING.sub(lambda m: m.group(1) + names.get(m.group(2), m.group(2)), text)
    return _CAMEL.sub(lambda m: names.get(m.group(), m.group()), text)


def _value(value: Any, names: FieldNames) -> Any:
    return rename_text(value, names) if isinstance(value, str) else value


def vendor_error(error: ErrorInfo, names: FieldNames) -> ErrorInfo:
    """``error`` with every native field name its vendor's (details, message and causations)."""
    if not names:
        return error
    details: dict[str, Any] = {}
    for key, value in error.details.items():
        details.setdefault(rename_path(key, names), _value(value, names))
    causations = [
        {key: _value(value, names) for key, value in causation.items()} for causation in error.causations
    ]
    return replace(error, message=rename_text(error.message, names), details=details, causations=causations)
