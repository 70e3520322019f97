"""The API reference works offline, and /openapi.json says how to authenticate and what to send.

``/docs`` and ``/redoc`` load their scripts and styles from Billfold itself; every operation but
``/health`` declares how to authenticate (the native key, or the vendor's own auth under each vendor
prefix), every operation that takes a body publishes its schema, and the declared auth really works.
"""

from __future__ import annotations

import base64
import re
import uuid
from typing import Any

import pytest

from conftest import ApiClient

EXTERNAL = re.compile(r"""https?://""")
ASSET = re.compile(r"""(?:src|href)="([^"]+)\"""")
VENDORS = {
    "/aira/": {"type": "apiKey", "in": "header", "name": "X-API-KEY"},
    "/sequence/": {"type": "http", "scheme": "basic"},
    "/orb/": {"type": "http", "scheme": "bearer"},
    "/alguna/": {"type": "http", "scheme": "bearer"},
}
BODY_METHODS = {"post", "put", "patch"}


async def _spec(api: ApiClient) -> dict[str, Any]:
    response = await api.raw.get("/openapi.json")
    assert response.status_code == 200
    spec: dict[str, Any] = response.json()
    return spec


def _operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, operation)
        for path, operations in spec["paths"].items()
        for method, operation in operations.items()
    ]


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
async def test_docs_pages_load_everything_from_billfold(api: ApiClient, page: str) -> None:
    response = await api.raw.get(page)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert EXTERNAL.findall(response.text) == []
    assets = ASSET.findall(response.text)
    scripts = [url for url in assets if url.endswith(".js")]
    assert scripts, response.text
    if page == "/docs":
        assert any(url.endswith(".css") for url in assets)
    for url in assets:
        assert url.startswith("/")
        asset = await api.raw.get(url)
        assert asset.status_code == 200, url
        assert len(asset.content) > 1000, url
        if url.endswith(".js"):
            assert "javascript" in asset.headers["content-type"]
    assert "/openapi.json" in response.text


async def test_every_operation_but_health_declares_auth(api: ApiClient) -> None:
    spec = await _spec(api)
    schemes = spec["components"]["securitySchemes"]
    for path, method, operation in _operations(spec):
        if path == "/health":
            assert "security" not in operation
            continue
        security = operation.get("security")
        assert security, (method, path)
        declared = [schemes[name] for requirement in security for name in requirement]
        vendor = next((want for prefix, want in VENDORS.items() if path.startswith(prefix)), None)
        if vendor is None:
            assert path.startswith("/v1/"), path
            assert {"type": "apiKey", "in": "header", "name": "X-API-KEY"} in declared
            assert {"type": "http", "scheme": "bearer"} in declared
        else:
            assert len(declared) == 1, (method, path)
            assert {key: declared[0][key] for key in vendor} == vendor, (method, path)


# actions that take no body at all (archiving, revoking a link, rotating a secret, a test ping)
BODILESS_ACTION = re.compile(r"/(archive|unarchive|revoke|rotate-secret|test)$")


async def test_every_operation_that_takes_a_body_publishes_its_schema(api: ApiClient) -> None:
    spec = await _spec(api)
    schemas = spec["components"]["schemas"]
    for path, method, operation in _operations(spec):
        if method not in BODY_METHODS or BODILESS_ACTION.search(path):
            continue
        body = operation.get("requestBody")
        assert body, (method, path)
        schema = body["content"]["application/json"]["schema"]
        assert schema, (method, path)
        if "$ref" in schema:
            assert schema["$ref"].removeprefix("#/components/schemas/") in schemas, (method, path)
    # vendor bodies name the vendor's own fields
    orb = schemas["OrbLineIn"]
    assert {"invoice_id", "start_date", "end_date", "quantity", "amount", "item_id"} <= set(orb["properties"])
    assert set(schemas["AlgunaLineIn"]["required"]) == {"description", "unitPrice"}
    assert schemas["AiraLineIn"]["properties"]["startDate"]["anyOf"][0] == {
        "type": "string",
        "format": "date",
    }
    period = schemas["SequenceLineIn"]["properties"]["servicePeriod"]["anyOf"][0]
    assert period == {"$ref": "#/components/schemas/SequenceServicePeriod"}
    # every reference in the document resolves
    for ref in re.findall(r'"\$ref":\s*"#/components/schemas/([^"]+)"', str(spec).replace("'", '"')):
        assert ref in schemas, ref


def _credentials(scheme: dict[str, Any], key: str) -> dict[str, str]:
    if scheme["type"] == "apiKey":
        return {scheme["name"]: key}
    if scheme["scheme"] == "basic":
        return {"Authorization": "Basic " + base64.b64encode(f"{key}:".encode()).decode()}
    return {"Authorization": f"Bearer {key}"}


async def test_the_declared_auth_is_accepted_by_every_operation(api: ApiClient) -> None:
    """What "Try it out" does: authenticate as the operation declares; never a 401."""
    spec = await _spec(api)
    schemes = spec["components"]["securitySchemes"]
    for path, method, operation in _operations(spec):
        if path == "/health":
            continue
        for requirement in operation["security"]:
            (name,) = requirement
            url = re.sub(r"\{[^}]+\}", str(uuid.uuid4()), path)
            headers = _credentials(schemes[name], api.key)
            body = {} if method in BODY_METHODS else None
            answer = await api.raw.request(method.upper(), url, headers=headers, json=body)
            assert answer.status_code not in (401, 500), (method, path, name, answer.text)
            refused = await api.raw.request(
                method.upper(), url, headers=_credentials(schemes[name], "bf_wrong"), json=body
            )
            assert refused.status_code == 401, (method, path, name)
