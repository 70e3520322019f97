"""ASGI middleware that runs before routing."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from billfold.web.errors import ErrorInfo, ErrorShape, cap_details, error_response, summary

_FORM = b"application/x-www-form-urlencoded"


class JsonByDefault:
    """Treat a request body as JSON when the client sent no content type or curl's default form type.

    ``curl -d '{...}'`` labels its body as a form; every Billfold endpoint takes JSON only, so reading it
    as JSON is what the caller meant. A body declared as anything else (``text/plain``, XML) is a 415
    naming ``Content-Type``, not a confusing "the body must be a JSON object"; a declared type with no
    body (``Content-Length: 0``) is let through.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] in ("POST", "PATCH", "PUT"):
            headers = [(k, v) for k, v in scope["headers"] if k != b"content-type"]
            declared = [v for k, v in scope["headers"] if k == b"content-type"]
            kind = declared[0].split(b";")[0].strip().lower() if declared else b""
            if not declared or kind == _FORM:
                scope = dict(scope, headers=[*headers, (b"content-type", b"application/json")])
            elif not _json_type(kind) and _has_body(scope):
                await _refuse(scope, receive, send, _unsupported(kind.decode("latin-1")))
                return
        await self.app(scope, receive, send)


def _json_type(kind: bytes) -> bool:
    return kind == b"application/json" or (kind.startswith(b"application/") and kind.endswith(b"+json"))


def _has_body(scope: Scope) -> bool:
    for key, value in scope["headers"]:
        if key == b"content-length":
            return bool(value.strip() != b"0")
        if key == b"transfer-encoding":
            return True
    return False


def _unsupported(kind: str) -> ErrorInfo:
    reason = f"must be application/json (this request's body is {kind[:100]!r})"
    causations = [{"field": "Content-Type", "message": reason}]
    message = f"Content-Type {reason}"
    return ErrorInfo(415, "unsupported_media_type", message, {"Content-Type": reason}, causations)


def _shapes(scope: Scope) -> Mapping[str, ErrorShape]:
    app = scope.get("app")
    state = getattr(app, "state", None)
    shapes: Mapping[str, ErrorShape] = getattr(state, "error_shapes", {})
    return shapes


async def _refuse(scope: Scope, receive: Receive, send: Send, error: ErrorInfo) -> None:
    response = error_response(_shapes(scope), scope.get("path", ""), error)
    await response(scope, receive, send)


def _too_large(limit: int) -> ErrorInfo:
    message = f"the request body is larger than {limit} bytes"
    causations = [{"field": "body", "message": message}]
    return ErrorInfo(413, "payload_too_large", message, {"body": message}, causations)


def _nul_in_request_line(scope: Scope) -> ErrorInfo | None:
    """A NUL in the path or a query parameter (``?externalCustomerId=%00``): PostgreSQL cannot compare
    text holding NUL, so it is refused here, before any route can hand it to a query."""
    reason = "must not contain the NUL character (%00)"
    problems: list[tuple[str, str]] = []
    if "\x00" in scope.get("path", ""):
        problems.append(("path", reason))
    query: bytes = scope.get("query_string", b"")
    if b"%00" in query or b"\x00" in query:
        for name, value in parse_qsl(query.decode("latin-1"), keep_blank_values=True):
            if "\x00" in name or "\x00" in value:
                problems.append((name.replace("\x00", "") or "query", reason))
    if not problems:
        return None
    details = cap_details(problems)
    causations = [{"field": name, "message": reason} for name, reason in details.items()]
    return ErrorInfo(400, "validation_error", summary(details), details, causations)


class BoundedBody:
    """Refuse a request body over ``limit`` bytes with 413 ``payload_too_large`` (in the error shape of the
    API the path belongs to), before any of it is parsed.

    A declared ``Content-Length`` over the limit is refused at once; a body without one (chunked) is
    counted as it streams and refused as soon as it passes the limit. The body is buffered here (it is
    bounded) and handed on in one piece, so nothing downstream reads past the limit.
    """

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        refused = _nul_in_request_line(scope)
        if refused is not None:
            await _refuse(scope, receive, send, refused)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.limit:
            await _refuse(scope, receive, send, _too_large(self.limit))
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return
            chunk: bytes = message.get("body", b"")
            size += len(chunk)
            if size > self.limit:
                await _refuse(scope, receive, send, _too_large(self.limit))
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        await self.app(scope, _replay(b"".join(chunks), receive), send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            message: dict[str, Any] = {"type": "http.request", "body": body, "more_body": False}
            return message
        return await receive()

    return replay
