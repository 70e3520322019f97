"""An error on its way out, independent of the shape it will be answered in.

The native API answers ``{code, message, details, causations}``; a dialect registers its vendor's shape for
its path prefix in ``app.state.error_shapes`` (prefix -> :data:`ErrorShape`).

An answer stays small whatever the request: ``details`` names at most :data:`MAX_DETAILS` fields (and
``"_more": "N more"`` says how many were left out), ``causations`` holds at most as many entries, and the
message is cut at :data:`MAX_MESSAGE` characters. So a body of 100,000 unknown keys answers a short 400.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import orjson
from fastapi.responses import Response

MAX_DETAILS = 20
MAX_MESSAGE = 2000
MORE = "_more"


@dataclass(frozen=True, slots=True)
class ErrorInfo:
    status: int
    code: str
    message: str
    details: dict[str, Any] = field(default_factory=dict)
    causations: list[dict[str, Any]] = field(default_factory=list)


ErrorShape = Callable[[ErrorInfo], Response]


def cap_details(problems: Iterable[tuple[str, Any]], total: int | None = None) -> dict[str, Any]:
    """The first :data:`MAX_DETAILS` distinct fields of ``problems`` (field, reason), plus ``_more`` when
    there were more (``total`` counts them when ``problems`` is cut short by the caller)."""
    details: dict[str, Any] = {}
    extra = 0
    for name, reason in problems:
        if name in details:
            continue
        if len(details) < MAX_DETAILS:
            details[name] = reason
        else:
            extra += 1
    if total is not None:
        extra = max(extra, total - len(details))
    if extra:
        details[MORE] = f"{extra} more"
    return details


_LENGTHS = frozenset({"too_long", "too_short", "string_too_long", "string_too_short"})


def length_reason(error: Mapping[str, Any]) -> str | None:
    """A validation error's message about a text's length in characters (``None`` for any other
    error). A text checked after its own validator (stripped, refused characters) reads as a sequence
    to pydantic, whose message would count "items"."""
    kind = error.get("type", "")
    if kind not in _LENGTHS or not isinstance(error.get("input"), str):
        return None
    context = error.get("ctx") or {}
    most = kind in ("too_long", "string_too_long")
    bound = context.get("max_length" if most else "min_length")
    if bound is None:
        return None
    unit = "character" if bound == 1 else "characters"
    return f"must have at {'most' if most else 'least'} {bound} {unit}" + (
        f" (this one has {len(error['input'])})" if most else ""
    )


def summary(details: Mapping[str, Any]) -> str:
    """``field: reason; ...`` for a message, short however many fields there are."""
    text = "; ".join(f"{name}: {reason}" for name, reason in details.items())
    return text if len(text) <= MAX_MESSAGE else text[: MAX_MESSAGE - 1] + "…"


def bounded(error: ErrorInfo) -> ErrorInfo:
    """``error`` with its details, causations and message within the limits above."""
    listed = len(error.details) - (MORE in error.details)
    if listed <= MAX_DETAILS and len(error.causations) <= MAX_DETAILS and len(error.message) <= MAX_MESSAGE:
        return error
    details = error.details
    if listed > MAX_DETAILS:
        details = cap_details((k, v) for k, v in details.items() if k != MORE)
    message = error.message if len(error.message) <= MAX_MESSAGE else error.message[: MAX_MESSAGE - 1] + "…"
    return replace(error, message=message, details=details, causations=error.causations[:MAX_DETAILS])


def native_body(error: ErrorInfo) -> dict[str, Any]:
    return {
        "code": error.code,
        "message": error.message,
        "details": error.details,
        "causations": error.causations,
    }


def error_response(shapes: Mapping[str, ErrorShape], path: str, error: ErrorInfo) -> Response:
    """Answer ``error`` in the shape of the API ``path`` belongs to (a dialect's vendor shape, else the
    native one), bounded in size."""
    error = bounded(error)
    for prefix in sorted(shapes, key=len, reverse=True):
        if path.startswith(prefix):
            return shapes[prefix](error)
    response = Response(
        content=orjson.dumps(native_body(error)), status_code=error.status, media_type="application/json"
    )
    if error.status == 401:
        response.headers["WWW-Authenticate"] = "Bearer"
    return response
