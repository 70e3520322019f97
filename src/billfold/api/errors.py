"""One table maps domain errors to HTTP, and every error answers ``{code, message, details, causations}``."""

from __future__ import annotations

import logging
import traceback
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from billfold.services.errors import Conflict, DomainError, NotFound, Unauthorized, ValidationFailed
from billfold.web.errors import ErrorInfo, ErrorShape, cap_details, error_response, length_reason, summary

log = logging.getLogger("billfold.api")

STATUS: dict[type[DomainError], int] = {
    ValidationFailed: 400,
    Unauthorized: 401,
    NotFound: 404,
    Conflict: 409,
}


def _respond(request: Request, error: ErrorInfo) -> Response:
    """Answer in the shape of the API the path belongs to (a dialect's vendor shape, else the native one)."""
    shapes: dict[str, ErrorShape] = request.app.state.error_shapes
    return error_response(shapes, request.url.path, error)


def _field(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc[1:]] if loc and loc[0] in ("body", "query", "path", "header") else list(loc)
    text = ""
    for part in parts:
        text += f"[{part}]" if part.isdigit() else (f".{part}" if text else part)
    return text or "body"


def _reason(error: dict[str, Any]) -> str:
    kind = error.get("type", "")
    if kind == "extra_forbidden":
        return "unknown field"
    if kind == "missing":
        return "is required"
    if kind == "json_invalid":
        return "the body is not valid JSON"
    if kind in ("model_attributes_type", "dict_type") and tuple(error.get("loc", ())) == ("body",):
        return "the body must be a JSON object"
    length = length_reason(error)
    if length is not None:
        return length
    message = str(error.get("msg", "invalid"))
    return message.removeprefix("Value error, ")


async def _validation(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    if any(e.get("loc", ("",))[0] == "path" for e in errors):
        return _respond(request, ErrorInfo(404, "not_found", "no such resource", {"path": request.url.path}))
    details = cap_details(
        (("body" if e.get("type") == "json_invalid" else _field(tuple(e.get("loc", ())))), _reason(e))
        for e in errors
    )
    causations = [{"field": field, "message": reason} for field, reason in details.items()]
    message = summary(details)
    return _respond(request, ErrorInfo(400, "validation_error", message, details, causations))


async def _domain(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, DomainError)
    status = next((code for kind, code in STATUS.items() if isinstance(exc, kind)), 400)
    return _respond(request, ErrorInfo(status, exc.code, exc.message, exc.details, exc.causations))


async def _http(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    codes = {404: "not_found", 405: "method_not_allowed", 401: "unauthorized", 413: "payload_too_large"}
    code = codes.get(exc.status_code, "http_error")
    if exc.status_code == 400:  # the framework could not read the body (bad encoding, absurd nesting...)
        reason = "the body could not be read as JSON"
        info = ErrorInfo(
            400, "validation_error", reason, {"body": reason}, [{"field": "body", "message": reason}]
        )
        return _respond(request, info)
    response = _respond(request, ErrorInfo(exc.status_code, code, str(exc.detail)))
    if exc.headers:
        response.headers.update(exc.headers)
    return response


MESSAGE_LIMIT = 300


def brief(exc: BaseException) -> str:
    """``Type: message``, the message cut short: it may quote a request's values (a 100 KB field in a
    file name, a statement's parameters), which have no place in a log."""
    text = str(exc)
    if len(text) > MESSAGE_LIMIT:
        text = f"{text[:MESSAGE_LIMIT]}... ({len(text)} characters)"
    return f"{type(exc).__name__}: {text}"


def describe(exc: BaseException) -> str:
    """A traceback of ``exc`` and the exceptions that led to it: where each was raised (file, line,
    source) and its :func:`brief` message. No local values and no request body are written."""
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or (None if current.__suppress_context__ else current.__context__)
    head = "Traceback (most recent call last):\n"
    parts = [head + "".join(traceback.format_tb(one.__traceback__)) + brief(one) for one in reversed(chain)]
    return "\n\nwhich led to:\n\n".join(parts)


def log_unexpected(method: str, path: str, exc: BaseException) -> None:
    log.error("unhandled error on %s %s\n%s", method, path, describe(exc))


async def _busy(request: Request, exc: Exception) -> Response:
    if "locked" in str(exc) or "busy" in str(exc):
        log.warning("database busy: %s", brief(exc))
        return _respond(request, ErrorInfo(503, "database_busy", "the database is busy; retry the request"))
    return await _unexpected(request, exc)


async def _unexpected(request: Request, exc: Exception) -> Response:
    log_unexpected(request.method, request.url.path, exc)
    return _respond(request, ErrorInfo(500, "internal_error", "an unexpected error occurred"))


class ContainUnexpected:
    """Answer an unexpected error here, logged once by :func:`log_unexpected`. Left to the framework,
    the exception would travel on to the server after the 500, and the server logs it again in full."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watch(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watch)
        except Exception as exc:
            request = Request(scope)
            log_unexpected(request.method, request.url.path, exc)
            if not started:  # else the answer is half sent: nothing more can be said
                info = ErrorInfo(500, "internal_error", "an unexpected error occurred")
                await _respond(request, info)(scope, receive, send)


def install(app: FastAPI) -> None:
    app.state.error_shapes = {}
    app.add_middleware(ContainUnexpected)
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(DomainError, _domain)
    app.add_exception_handler(StarletteHTTPException, _http)
    app.add_exception_handler(OperationalError, _busy)
    app.add_exception_handler(Exception, _unexpected)
