"""The public base of a request's links: worked out as Starlette's ``URL`` works it out, for every Host."""

from __future__ import annotations

import itertools

import pytest
from starlette.datastructures import URL

from billfold.web import public_url
from billfold.web.public_url import _base_of

HOSTS = [
    b"example.com",
    b"example.com:8080",
    b"Example.COM:80",
    b"x:443",
    b"x:0",
    b"x:0080",
    b"x:9999",
    b"x:99999",
    b"x:65535",
    b"127.0.0.1:45123",
    b"x:65536",
    b"x:123456",
    b"x:",
    b"1.2.3.4",
    b"h\xe9st",
    b"",
    b"[::1]:80",
    b"evil.com/x?y#z",
    b"a:b:c",
    b"a..b",
    b"-x",
    b".",
    b"a b",
    None,
]


@pytest.mark.parametrize(
    ("host", "scheme", "server"),
    list(itertools.product(HOSTS, ["http", "https"], [("10.0.0.1", 80), ("10.0.0.1", 8443), None])),
)
def test_base_is_starlettes(host: bytes | None, scheme: str, server: tuple[str, int] | None) -> None:
    scope = {
        "type": "http",
        "scheme": scheme,
        "path": "/v1/invoices/x/issue",
        "root_path": "",
        "query_string": b"a=1",
        "headers": [(b"accept", b"*/*")] + ([(b"host", host)] if host is not None else []),
        "server": server,
    }
    expected = str(URL(scope=scope).replace(path="", query="", fragment="")).rstrip("/")
    assert _base_of(scope) == expected


def test_plain_host_is_taken_as_it_is(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(public_url, "URL", None)  # not parsed
    for host in ("billing.example.com:8443", "127.0.0.1:45123", "localhost"):
        scope = {"type": "http", "scheme": "https", "headers": [(b"host", host.encode())]}
        assert _base_of(scope) == f"https://{host}"
