"""ASGI middleware that runs before routing."""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

_FORM = b"application/x-www-form-urlencoded"


class JsonByDefault:
    """Treat a request body as JSON when the client sent no content type or curl's default form type.

    ``curl -d '{...}'`` labels its body as a form; every Billfold endpoint takes JSON only, so reading it
    as JSON is what the caller meant. Any other declared type is left alone (and refused by validation).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] in ("POST", "PATCH", "PUT"):
            headers = [(k, v) for k, v in scope["headers"] if k != b"content-type"]
            declared = [v for k, v in scope["headers"] if k == b"content-type"]
            if not declared or declared[0].split(b";")[0].strip().lower() == _FORM:
                scope = dict(scope, headers=[*headers, (b"content-type", b"application/json")])
        await self.app(scope, receive, send)
