"""Time-ordered UUIDs (version 7, RFC 9562), so ids sort by creation and paginate by cursor."""

from __future__ import annotations

import os
import time
import uuid
from datetime import UTC, datetime


def new_id() -> uuid.UUID:
    millis = time.time_ns() // 1_000_000
    value = (millis & ((1 << 48) - 1)) << 80
    value |= int.from_bytes(os.urandom(10), "big") & ((1 << 80) - 1)
    value &= ~(0xF << 76)
    value |= 0x7 << 76  # version 7
    value &= ~(0x3 << 62)
    value |= 0x2 << 62  # RFC 4122 variant
    return uuid.UUID(int=value)


def utcnow() -> datetime:
    """Naive UTC, as stored in every timestamp column."""
    return datetime.now(UTC).replace(tzinfo=None)
