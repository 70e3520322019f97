"""Time-ordered UUIDs (version 7, RFC 9562), so ids sort by creation and paginate by cursor."""

from __future__ import annotations

import os
import time
import uuid
from datetime import UTC, datetime

_MILLIS = (1 << 48) - 1
_VERSION_AND_VARIANT = 0x7 << 76 | 0x2 << 62  # version 7, RFC 4122 variant
_RANDOM = ((1 << 80) - 1) & ~(0xF << 76) & ~(0x3 << 62)  # the 74 random bits around them


def _prefix() -> int:
    return ((time.time_ns() // 1_000_000) & _MILLIS) << 80 | _VERSION_AND_VARIANT


def new_id() -> uuid.UUID:
    return uuid.UUID(int=_prefix() | (int.from_bytes(os.urandom(10), "big") & _RANDOM))


_NEW = object.__new__
_SET = object.__setattr__  # as uuid.UUID.__init__ sets its (immutable) attributes
_UNKNOWN = uuid.SafeUUID.unknown


def new_ids(count: int) -> list[uuid.UUID]:
    """``count`` new ids with one read of the system's randomness (a bulk create's lines), all of this
    millisecond. Each is made as ``uuid.UUID(int=...)`` makes it, without the constructor's checks of
    arguments this function never gives (1,000 ids: 1.4 -> 0.5 ms)."""
    prefix, random = _prefix(), os.urandom(10 * count)
    ids = []
    for start in range(0, 10 * count, 10):
        made = _NEW(uuid.UUID)
        _SET(made, "int", prefix | (int.from_bytes(random[start : start + 10], "big") & _RANDOM))
        _SET(made, "is_safe", _UNKNOWN)
        ids.append(made)
    return ids


def utcnow() -> datetime:
    """Naive UTC, as stored in every timestamp column."""
    return datetime.now(UTC).replace(tzinfo=None)
