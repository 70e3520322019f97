"""The server's public address, for absolute links in answers (``hostedInvoiceUrl``, ``pdfUrl``).

``BILLFOLD_PUBLIC_URL`` when set (behind a proxy, the address customers reach); otherwise the address the
request itself was made to (its scheme and ``Host``). Kept per request by :class:`PublicUrl`, read by the
renderers through :func:`public_base` (worked out only when an answer has a link: most have none).
"""

from __future__ import annotations

import re
from contextvars import ContextVar

from starlette.datastructures import URL
from starlette.types import ASGIApp, Receive, Scope, Send

DEFAULT_BASE = "http://127.0.0.1:8000"
# The configured public URL, or the request's scope to work the base out from.
_REQUEST: ContextVar[str | Scope] = ContextVar("billfold_public_base", default=DEFAULT_BASE)


class PublicUrl:
    def __init__(self, app: ASGIApp, public_url: str | None = None) -> None:
        self.app = app
        self.public_url = public_url.rstrip("/") if public_url else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            _REQUEST.set(self.public_url or scope)
        await self.app(scope, receive, send)


def public_base() -> str:
    """The public address of the server for the request being answered, without a trailing slash."""
    known = _REQUEST.get()
    if isinstance(known, str):
        return known
    base = _base_of(known)
    _REQUEST.set(base)  # worked out once per request (an answer and its event payload both link)
    return base


_PLAIN_HOST = re.compile(rb"[A-Za-z0-9.-]+(?::([0-9]{1,5}))?")


def _base_of(scope: Scope) -> str:
    """The request's scheme and ``Host``: a plain name or address (and port) as it is; anything else
    (no ``Host``, IPv6, odd characters) as Starlette's ``URL`` works it out, which costs ten times more."""
    for name, value in scope["headers"]:
        if name == b"host":
            plain = _PLAIN_HOST.fullmatch(value)
            if plain and int(plain[1] or 0) <= 65535:
                return f"{scope.get('scheme', 'http')}://{value.decode('ascii')}"
            break
    return str(URL(scope=scope).replace(path="", query="", fragment="")).rstrip("/")


def absolute_url(path: str) -> str:
    """A path of this server (``/v1/credit-notes/{id}/pdf``) as an absolute URL."""
    return f"{public_base()}{path}"


def document_links(hosted_token: str | None) -> tuple[str | None, str | None]:
    """(hosted page URL, PDF URL) for an invoice's hosted token, absolute; ``(None, None)`` before issue."""
    if hosted_token is None:
        return None, None
    page = f"{public_base()}/i/{hosted_token}"
    return page, f"{page}/pdf"
