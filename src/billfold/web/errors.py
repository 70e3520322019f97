"""An error on its way out, independent of the shape it will be answered in.

The native API answers ``{code, message, details, causations}``; a dialect registers its vendor's shape for
its path prefix in ``app.state.error_shapes`` (prefix -> :data:`ErrorShape`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fastapi.responses import Response


@dataclass(frozen=True, slots=True)
class ErrorInfo:
    status: int
    code: str
    message: str
    details: dict[str, Any] = field(default_factory=dict)
    causations: list[dict[str, Any]] = field(default_factory=list)


ErrorShape = Callable[[ErrorInfo], Response]
