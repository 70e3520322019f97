"""One HTTP POST to a webhook URL, to an address Billfold resolved and checked itself.

The host name is resolved here; every address must pass :mod:`billfold.services.webhook_urls` (unless
private targets are allowed), and the connection goes to one of those checked addresses, with the
name in the ``Host`` header and as the TLS server name (SNI, and the name the certificate must match).
So a name that resolves to an internal address at delivery time (DNS rebinding) gets nothing: the body
is never sent. Redirects are not followed (a 3xx is a failure); at most 1 KB of the answer is read.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

import httpx

from billfold.services.webhook_urls import RefusedUrl, Resolver, allowed_addresses, parse

SNIPPET_BYTES = 1024
USER_AGENT = "Billfold-Webhooks/1"


@dataclass(frozen=True, slots=True)
class Outcome:
    status_code: int | None
    duration_ms: int
    snippet: str | None
    error: str | None

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class Sender:
    """Keeps one HTTP client per (scheme, host name), so connections are reused per name only."""

    def __init__(self, *, timeout: float, allow_private: bool, resolver: Resolver | None = None) -> None:
        self.timeout = timeout
        self.allow_private = allow_private
        self.resolver = resolver
        self._clients: dict[tuple[str, str], httpx.AsyncClient] = {}

    def _client(self, scheme: str, host: str) -> httpx.AsyncClient:
        key = (scheme, host)
        client = self._clients.get(key)
        if client is None:
            client = httpx.AsyncClient(follow_redirects=False, timeout=self.timeout, trust_env=False)
            self._clients[key] = client
        return client

    async def close(self) -> None:
        clients, self._clients = self._clients, {}
        for client in clients.values():
            await client.aclose()

    async def post(self, url: str, headers: dict[str, str], body: bytes) -> Outcome:
        started = time.monotonic()
        try:
            async with asyncio.timeout(self.timeout):
                return await self._post(url, headers, body, started)
        except RefusedUrl as error:
            return _failure(started, f"refused: the URL {error}")
        except TimeoutError:
            return _failure(started, f"no answer within {self.timeout:g} s")
        except (httpx.HTTPError, OSError) as error:
            return _failure(started, f"{type(error).__name__}: {error}"[:500])

    async def _post(self, url: str, headers: dict[str, str], body: bytes, started: float) -> Outcome:
        target = parse(url, allow_private=self.allow_private)
        addresses = await allowed_addresses(target, allow_private=self.allow_private, resolver=self.resolver)
        address = addresses[0]
        name = f"[{target.host}]" if ":" in target.host else target.host
        default_port = 443 if target.scheme == "https" else 80
        host_header = name if target.port == default_port else f"{name}:{target.port}"
        connect_host = f"[{address}]" if ":" in address else address
        request_url = f"{target.scheme}://{connect_host}:{target.port}{target.path}"
        extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
        client = self._client(target.scheme, target.host)
        request = client.build_request(
            "POST",
            request_url,
            content=body,
            headers={**headers, "host": host_header, "user-agent": USER_AGENT},
            extensions=extensions,
        )
        response = await client.send(request, stream=True)
        try:
            snippet = b""
            async for chunk in response.aiter_raw():
                snippet += chunk
                if len(snippet) >= SNIPPET_BYTES:
                    break
        finally:
            await response.aclose()
        text = snippet[:SNIPPET_BYTES].decode("utf-8", errors="replace")
        return Outcome(response.status_code, _ms(started), text or None, None)


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


def _failure(started: float, error: str) -> Outcome:
    return Outcome(None, _ms(started), None, error)
