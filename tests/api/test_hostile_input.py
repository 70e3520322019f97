"""Hostile strings and bodies on the native API: duplicated keys, NUL and other control characters.

Each is a 400 naming the field at fault, on SQLite and PostgreSQL alike (PostgreSQL cannot store NUL in
text, so before the fix it answered 500 where SQLite stored the value), and nothing is written.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from conftest import ApiClient, make_invoice

JSON = {"Content-Type": "application/json"}


def refused(response: httpx.Response, field: str, reason: str | None = None) -> dict[str, Any]:
    assert response.status_code == 400, response.text
    body: dict[str, Any] = response.json()
    assert set(body) == {"code", "message", "details", "causations"}, body
    assert field in body["details"], body
    if reason is not None:
        assert reason in body["details"][field], body
    return body


async def raw(api: ApiClient, method: str, url: str, text: str) -> httpx.Response:
    return await api.request(method, url, content=text.encode(), headers=JSON)


# -- duplicated keys ---------------------------------------------------------------------------------


async def test_a_duplicated_amount_is_refused_and_writes_nothing(api: ApiClient) -> None:
    invoice = await make_invoice(api)
    url = f"/v1/invoices/{invoice['id']}/line-items"
    response = await raw(api, "POST", url, '{"name":"dup","amount":"1.00","amount":"1000000.00"}')
    body = refused(response, "amount", "duplicated key")
    assert body["code"] == "validation_error"
    lines = (await api.get(url)).json()
    assert lines["data"] == []
    assert (await api.get(f"/v1/invoices/{invoice['id']}")).json()["totalAmount"] == "0.00"


async def test_a_duplicated_key_in_a_nested_object_is_named_by_its_path(api: ApiClient) -> None:
    text = '{"name":"Acme","address":{"city":"Lyon","city":"Paris"}}'
    refused(await raw(api, "POST", "/v1/customers", text), "address.city", "duplicated key")
    text = '{"name":"VAT","rates":[{"rate":"20"},{"rate":"5","rate":"50"}]}'
    refused(await raw(api, "POST", "/v1/tax-categories", text), "rates[1].rate", "duplicated key")
    assert (await api.get("/v1/customers")).json()["data"] == []


async def test_every_native_body_refuses_duplicated_keys(api: ApiClient) -> None:
    """Every operation of the native API that takes a body, found in its own OpenAPI document."""
    spec = (await api.get("/openapi.json")).json()
    tried = 0
    for path, operations in spec["paths"].items():
        if not path.startswith("/v1/"):
            continue
        for method, operation in operations.items():
            if "requestBody" not in operation:
                continue
            url = path
            for name in [p["name"] for p in operation.get("parameters", []) if p["in"] == "path"]:
                url = url.replace("{" + name + "}", "00000000-0000-4000-8000-000000000000")
            response = await raw(api, method.upper(), url, '{"name":"a","name":"b"}')
            refused(response, "name", "duplicated key")
            tried += 1
    assert tried >= 15


async def test_the_same_key_in_different_objects_is_fine(api: ApiClient) -> None:
    text = '{"name":"Acme","address":{"city":"Lyon"},"withholdingRates":[{"name":"IR","rate":"1.5"}]}'
    response = await raw(api, "POST", "/v1/customers", text)
    assert response.status_code == 201, response.text


# -- NUL and control characters ----------------------------------------------------------------------


async def _creates(api: ApiClient) -> list[tuple[str, str, dict[str, Any], str]]:
    """(method, url, body with a NUL in one field, that field) for each kind of resource."""
    invoice = await make_invoice(api)
    base = f"/v1/invoices/{invoice['id']}"
    customer = invoice["customerId"]
    group = await api.create(f"{base}/line-item-groups", {"name": "Seats"})
    line = await api.create(f"{base}/line-items", {"name": "Seat", "amount": "5.00"})
    product = await api.create("/v1/products", {"name": "Plan"})
    nul = "a\u0000b"
    return [
        ("POST", "/v1/customers", {"name": nul}, "name"),
        ("POST", "/v1/customers", {"name": "Acme", "address": {"city": nul}}, "address.city"),
        ("POST", "/v1/customers", {"name": "Acme", "emails": ["a@example.com", nul]}, "emails[1]"),
        ("POST", f"/v1/customers/{customer}/payment-accounts", {"tradeName": nul}, "tradeName"),
        ("POST", "/v1/issuing-accounts", {"businessName": nul}, "businessName"),
        ("POST", "/v1/products", {"name": nul}, "name"),
        ("POST", "/v1/products", {"name": "P", "description": nul}, "description"),
        ("POST", "/v1/tax-categories", {"name": nul, "rates": [{"rate": "20"}]}, "name"),
        ("PATCH", "/v1/organization", {"name": nul}, "name"),
        ("POST", "/v1/invoices", {"customerId": customer, "memo": nul}, "memo"),
        ("POST", f"{base}/line-item-groups", {"name": nul}, "name"),
        ("PATCH", f"{base}/line-item-groups/{group['id']}", {"description": nul}, "description"),
        ("POST", f"{base}/line-items", {"name": nul, "amount": "1.00"}, "name"),
        ("PATCH", f"{base}/line-items/{line['id']}", {"name": nul}, "name"),
        ("POST", f"{base}/adjustments", {"type": "amount_discount", "amount": "1", "reason": nul}, "reason"),
        ("POST", f"/v1/customers/{customer}/credits", {"amount": "5.00", "reason": nul}, "reason"),
        (
            "POST",
            "/v1/prices",
            {"productId": product["id"], "currency": "USD", "model": "unit", "unitPrice": "1", "note": nul},
            "note",
        ),
        ("POST", f"{base}/line-items", {"name": "X", "price": {"model": nul}}, "price.model"),
    ]


async def test_a_nul_anywhere_in_a_body_is_a_400_naming_the_field(api: ApiClient) -> None:
    for method, url, body, field in await _creates(api):
        response = await api.request(method, url, json=body)
        refused(response, field, "NUL")
    customers = (await api.get("/v1/customers")).json()["data"]
    assert [c["name"] for c in customers] == ["Acme"]  # the one make_invoice made
    organization = (await api.get("/v1/organization")).json()
    assert "\u0000" not in json.dumps(organization)


async def test_a_nul_in_a_field_name_or_a_lone_surrogate_is_refused(api: ApiClient) -> None:
    refused(await raw(api, "POST", "/v1/products", '{"name":"P","x\\u0000":1}'), "body")
    refused(await raw(api, "POST", "/v1/products", '{"name":"\\ud800"}'), "name", "surrogate")
    paired = await raw(api, "POST", "/v1/products", '{"name":"Smile \\ud83d\\ude00"}')
    assert paired.status_code == 201, paired.text
    assert paired.json()["name"] == "Smile \U0001f600"


CONTROLS = ["a\u0001b", "tab\there", "line\nbreak", "bell\u0007", "del\u007f", "\u0085"]


@pytest.mark.parametrize("value", CONTROLS)
async def test_names_refuse_every_control_character(api: ApiClient, value: str) -> None:
    refused(await api.post("/v1/customers", json={"name": value}), "name", "control")
    refused(await api.post("/v1/products", json={"name": value}), "name", "control")
    rates = [{"rate": "20"}]
    refused(await api.post("/v1/tax-categories", json={"name": value, "rates": rates}), "name", "control")
    refused(await api.post("/v1/issuing-accounts", json={"tradeName": value}), "tradeName", "control")
    refused(await api.patch("/v1/organization", json={"name": value}), "name", "control")
    invoice = await make_invoice(api)
    base = f"/v1/invoices/{invoice['id']}"
    refused(await api.post(f"{base}/line-items", json={"name": value, "amount": "1"}), "name", "control")
    refused(await api.post(f"{base}/line-item-groups", json={"name": value}), "name", "control")
    assert (await api.get(f"{base}/line-items")).json()["data"] == []


# whitespace, then characters drawn as nothing: a Hangul filler; the blank Braille pattern, default-ignorable
# code points and the other Hangul fillers
BLANKS = [" ", "   ", "\u00a0\u2003", "\u3000", "\u3164", "\u2800\u034f\ufe0f\u17b5\uffa0\u115f\u1160"]


@pytest.mark.parametrize("value", BLANKS)
async def test_names_refuse_whitespace_only(api: ApiClient, value: str) -> None:
    refused(await api.post("/v1/customers", json={"name": value}), "name", "blank")
    refused(await api.post("/v1/products", json={"name": value}), "name", "blank")
    invoice = await make_invoice(api)
    url = f"/v1/invoices/{invoice['id']}/line-items"
    refused(await api.post(url, json={"name": value, "amount": "1"}), "name", "blank")


async def test_free_text_keeps_tabs_and_newlines_but_no_other_control_character(api: ApiClient) -> None:
    invoice = await make_invoice(api, memo="Line one\n\tindented")
    assert invoice["memo"] == "Line one\n\tindented"
    product = await api.create("/v1/products", {"name": "P", "description": "a\nb\tc"})
    assert product["description"] == "a\nb\tc"
    customer = invoice["customerId"]
    for value in ("carriage\rreturn", "bell\u0007", "escape\u001b[0m", "c1\u009b"):
        body = {"customerId": customer, "memo": value}
        refused(await api.post("/v1/invoices", json=body), "memo", "control")
        refused(await api.post("/v1/products", json={"name": "Q", "description": value}), "description")
        credit = {"amount": "5.00", "reason": value}
        refused(await api.post(f"/v1/customers/{customer}/credits", json=credit), "reason", "control")
    names = [p["name"] for p in (await api.get("/v1/products")).json()["data"]]
    assert names == ["P"]


async def test_a_nul_in_a_query_parameter_or_path_is_a_400(api: ApiClient) -> None:
    refused(await api.get("/v1/invoices?customerId=%00"), "customerId", "NUL")
    refused(await api.get("/v1/products?after=abc%00def&limit=10"), "after", "NUL")
    refused(await api.get("/v1/customers/%00"), "path", "NUL")
    refused(await api.get("/aira/v1/invoices?externalCustomerId=%00"), "externalCustomerId", "NUL")


async def test_an_invalid_body_still_answers_the_usual_400(api: ApiClient) -> None:
    refused(await raw(api, "POST", "/v1/products", '{"name": "P",'), "body", "not valid JSON")
    nan = await raw(api, "POST", "/v1/products", '{"name": "P", "defaultUnitPrice": NaN}')
    refused(nan, "defaultUnitPrice")
