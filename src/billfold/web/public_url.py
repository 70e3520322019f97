"""The server's public address, for absolute links in answers (``hostedInvoiceUrl``, ``pdfUrl``).

``BILLFOLD_PUBLIC_URL`` when set (behind a proxy, the address customers reach); otherwise the address the
request itself was made to (its scheme and ``Host``). Set per request by :class:`PublicUrl`, read by the
renderers through :data:`PUBLIC_BASE`.
"""

from __future__ import annotations

from contextvars import ContextVar

from starlette.datastructures import URL
from starlette.types import ASGIApp, Receive, Scope, Send

PUBLIC_BASE: ContextVar[str] = ContextVar("billfold_public_base", default="http://127.0.0.1:8000")


class PublicUrl:
    def __init__(self, app: ASGIApp, public_url: str | None = None) -> None:
        self.app = app
        self.public_url = public_url.rstrip("/") if public_url else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            base = self.public_url or str(URL(scope=scope).replace(path="", query="", fragment="")).rstrip(
                "/"
            )
            PUBLIC_BASE.set(base)
        await self.app(scope, receive, send)


def absolute_url(path: str) -> str:
    """A path of this server (``/v1/credit-notes/{id}/pdf``) as an absolute URL."""
    return f"{PUBLIC_BASE.get().rstrip('/')}{path}"


def document_links(hosted_token: str | None) -> tuple[str | None, str | None]:
    """(hosted page URL, PDF URL) for an invoice's hosted token, absolute; ``(None, None)`` before issue."""
    if hosted_token is None:
        return None, None
    page = f"{PUBLIC_BASE.get().rstrip('/')}/i/{hosted_token}"
    return page, f"{page}/pdf"
