"""A route that needs none of the framework's general dependency solving is called directly
(``billfold.web.body._direct``): it must answer every request exactly as the framework's own handler
does. The same requests are sent twice to one app: once as served, once with a dependency override set
(which sends every route back to the framework's handler), and the answers compared."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from fastapi import Request
from fastapi.responses import Response
from fastapi.routing import APIRoute

from billfold.api.app import create_app
from billfold.web import body
from conftest import ApiClient, make_invoice, new_api_key


def _unused() -> None:  # overriding it changes nothing but the handler that answers
    return None


async def _answers(
    client: httpx.AsyncClient, key: str, requests: list[tuple[str, str, Any, dict[str, str]]]
) -> list[tuple[int, Any]]:
    found = []
    for method, url, content, headers in requests:
        sent = {"X-API-KEY": key, "Idempotency-Key": uuid.uuid4().hex, **headers}
        if isinstance(content, (bytes, str)):
            response = await client.request(method, url, content=content, headers=sent)
        else:
            response = await client.request(method, url, json=content, headers=sent)
        answer = response.json() if response.content else None
        if response.status_code == 201 and isinstance(
            answer, dict
        ):  # a line added: its own id, index and time each time
            answer = {name: answer[name] for name in ("object", "invoiceId", "name", "totalAmount")}
        found.append((response.status_code, answer))
    return found


async def test_a_direct_route_answers_as_the_framework_does(engine: Any) -> None:
    app = create_app(engine)
    key = await new_api_key(engine)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://billfold.test") as client:
        invoice = (await make_invoice(ApiClient(client, key)))["id"]
        lines = f"/v1/invoices/{invoice}/line-items"
        requests: list[tuple[str, str, Any, dict[str, str]]] = [
            ("POST", lines, {"name": "Item", "quantity": "2", "unitPrice": "1.005"}, {}),
            ("POST", lines, {"name": "Item", "quantity": "two"}, {}),
            ("POST", lines, {"quantity": 2, "unitPrice": None}, {}),
            ("POST", lines, {"name": "Item", "lineItemGroupId": "nope"}, {}),
            ("POST", lines, [1, 2], {}),
            ("POST", lines, "null", {"Content-Type": "application/json"}),
            ("POST", lines, b"", {"Content-Type": "application/json"}),
            ("POST", lines, b"name=Item", {"Content-Type": "text/plain"}),
            ("POST", lines, b'{"name": "Item"}', {"Content-Type": "application/vnd.api+json"}),
            ("POST", "/v1/invoices/not-a-uuid/line-items", {"name": 5}, {}),
            ("POST", f"/v1/invoices/{uuid.uuid4()}/line-items", {"name": "Item", "amount": "1"}, {}),
            ("POST", f"/v1/invoices/{invoice}/issue", {"issueDate": "31-12-2026"}, {}),
            ("POST", "/v1/invoices/not-a-uuid/issue", {}, {}),
            ("POST", lines, {"name": "Item"}, {"X-API-KEY": ""}),
        ]
        direct = await _answers(client, key, requests)
        app.dependency_overrides[_unused] = _unused
        framework = await _answers(client, key, requests)
    assert direct == framework
    statuses = [status for status, _ in direct]
    assert statuses[0] == 201
    assert statuses[-1] == 401
    assert all(400 <= status < 500 for status in statuses[1:])


def test_only_routes_that_need_no_dependency_solving_are_called_directly() -> None:
    async def endpoint(thing_id: uuid.UUID, request: Request) -> dict[str, str]:  # the framework renders
        raise AssertionError

    async def fallback(request: Request) -> Any:
        raise AssertionError

    assert body._direct(APIRoute("/things/{thing_id}", endpoint), fallback) is None

    async def answers(thing_id: uuid.UUID, request: Request) -> Response:
        raise AssertionError

    assert body._direct(APIRoute("/things/{thing_id}", answers), fallback) is not None

    async def with_query(thing_id: uuid.UUID, limit: int = 10) -> Response:
        raise AssertionError

    assert body._direct(APIRoute("/things/{thing_id}", with_query), fallback) is None


async def test_the_hot_writes_are_called_directly(engine: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    built: list[str] = []
    real = body._direct

    def spy(route: Any, fallback: Any) -> Any:
        found = real(route, fallback)
        if found is not None:
            built.append(route.path)
        return found

    monkeypatch.setattr(body, "_direct", spy)
    transport = httpx.ASGITransport(app=create_app(engine))
    async with httpx.AsyncClient(transport=transport, base_url="http://billfold.test") as client:
        invoice = uuid.uuid4()
        for path in (f"/v1/invoices/{invoice}/line-items", f"/v1/invoices/{invoice}/issue"):
            response = await client.post(path, json={}, headers={"X-API-KEY": "bf_not-a-key"})
            assert response.status_code == 401
    assert "/v1/invoices/{invoice_id}/line-items" in built
    assert "/v1/invoices/{invoice_id}/issue" in built
