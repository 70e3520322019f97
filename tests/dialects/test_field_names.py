"""Each vendor API's errors name its own request fields, never the native API's.

Every dialect passes its errors through one mapping (native name -> vendor name) at its error edge; these
tests send several faulty requests to each vendor API and look for the vendor's names in the answer.
"""

from __future__ import annotations

import base64
import re
import uuid
from typing import Any

import pytest
from dialect_helpers import customer
from pydantic import BaseModel

from billfold.dialects.aira import errors as aira_errors
from billfold.dialects.aira import schemas as aira_schemas
from billfold.dialects.alguna import errors as alguna_errors
from billfold.dialects.alguna import schemas as alguna_schemas
from billfold.dialects.field_names import rename_path, rename_text, vendor_error
from billfold.dialects.orb import errors as orb_errors
from billfold.dialects.orb import schemas as orb_schemas
from billfold.dialects.sequence import errors as sequence_errors
from billfold.dialects.sequence import schemas as sequence_schemas
from billfold.web.errors import ErrorInfo
from conftest import ApiClient

HUGE = "99999999999999999"
DIALECTS: dict[str, tuple[dict[str, str], list[type[BaseModel]]]] = {
    "aira": (
        dict(aira_errors.FIELD_NAMES),
        [aira_schemas.InvoiceIn, aira_schemas.GroupIn, aira_schemas.LineIn],
    ),
    "orb": (dict(orb_errors.FIELD_NAMES), [orb_schemas.LineIn]),
    "sequence": (
        dict(sequence_errors.FIELD_NAMES),
        [sequence_schemas.GroupIn, sequence_schemas.LineIn],
    ),
    "alguna": (dict(alguna_errors.FIELD_NAMES), [alguna_schemas.LineIn]),
}


def _request_fields(models: list[type[BaseModel]]) -> set[str]:
    return {field.alias or name for model in models for name, field in model.model_fields.items()}


# request fields nested in objects (the top-level names come from the schemas)
NESTED = {"servicePeriod.startDate", "servicePeriod.endDate"}


def _native_names_in(text: str, names: dict[str, str]) -> list[str]:
    """Native camelCase names (those the vendor calls otherwise) that appear in ``text`` on their own."""
    found = []
    for native, vendor in names.items():
        camel = any(c.isupper() for c in native)
        if native != vendor and camel and re.search(rf"(?<![\w.-]){native}(?![\w-])", text):
            found.append(native)
    return found


# -- the mapping itself --------------------------------------------------------------------------


@pytest.mark.parametrize("dialect", sorted(DIALECTS))
def test_each_mapping_names_the_vendors_own_request_fields(dialect: str) -> None:
    names, models = DIALECTS[dialect]
    fields = _request_fields(models)
    for native, vendor in names.items():
        # a vendor's own field name is never renamed into another (its parse errors already use it)
        assert native not in fields or native == vendor, native
        assert vendor in fields | NESTED or vendor == "Idempotency-Key", vendor


def test_renaming_covers_details_paths_message_and_reasons() -> None:
    names = {"endDate": "end_date", "startDate": "start_date", "productId": "item_id", "name": "title"}
    assert rename_path("productId", names) == "item_id"
    assert rename_path("price.currency", names) == "price.currency"
    assert rename_path("servicePeriod.startDate", names) == "servicePeriod.startDate"
    assert (
        rename_text("endDate: must not be before startDate", names)
        == "end_date: must not be before start_date"
    )
    assert rename_text("name: bad; productId: bad", names) == "title: bad; item_id: bad"
    # plain words in prose stay; a nested vendor path stays
    assert rename_text("the name or productId is required", names) == "the name or item_id is required"
    assert rename_text("servicePeriod.startDate: bad", names) == "servicePeriod.startDate: bad"
    error = ErrorInfo(
        400,
        "validation_error",
        "name or productId is required",
        {"name": "name or productId is required", "productId": "name or productId is required"},
        [{"field": "productId", "message": "no such product"}],
    )
    renamed = vendor_error(error, names)
    assert renamed.message == "name or item_id is required"
    assert renamed.details == {
        "title": "name or item_id is required",
        "item_id": "name or item_id is required",
    }
    assert renamed.causations == [{"field": "item_id", "message": "no such product"}]
    # two native fields with one vendor name: the first reason is kept
    merged = vendor_error(
        ErrorInfo(400, "x", "m", {"amount": "a", "unitPrice": "b"}), {"unitPrice": "amount"}
    )
    assert merged.details == {"amount": "a"}


# -- the vendor APIs -----------------------------------------------------------------------------


async def _invoice(api: ApiClient) -> str:
    buyer = await customer(api)
    invoice = await api.create("/v1/invoices", {"customerId": buyer["id"], "invoiceDate": "2026-03-15"})
    return str(invoice["id"])


async def test_orb_errors_name_orbs_fields(api: ApiClient) -> None:
    names = DIALECTS["orb"][0]
    invoice_id = await _invoice(api)
    bearer = {"Authorization": f"Bearer {api.key}"}
    base = {"invoice_id": invoice_id, "quantity": 1, "amount": "1.00", "name": "Seats"}
    url = "/orb/v1/invoice_line_items"

    async def refused(body: dict[str, Any], status: int = 400, **headers: str) -> dict[str, Any]:
        response = await api.raw.post(url, json=body, headers={**bearer, **headers})
        assert response.status_code == status, response.text
        assert _native_names_in(response.text, names) == [], response.text
        answer: dict[str, Any] = response.json()
        return answer

    reversed_dates = await refused({**base, "start_date": "2026-03-31", "end_date": "2026-03-01"})
    assert reversed_dates["validation_errors"] == ["end_date: must not be before start_date"]
    assert "end_date" in reversed_dates["detail"]
    dates = {"start_date": "2026-03-01", "end_date": "2026-03-31"}
    no_item = await refused({**base, **dates, "name": None})
    assert sorted(e.split(":")[0] for e in no_item["validation_errors"]) == ["item_id", "name"]
    assert "item_id" in no_item["detail"]
    bad_key = await refused({**base, **dates}, **{"Idempotency-Key": "not a key!"})
    assert bad_key["validation_errors"][0].startswith("Idempotency-Key: ")
    places = await refused({**base, **dates, "amount": "1.001"})
    assert places["validation_errors"][0].startswith("amount: ")
    missing_item = await refused({**base, **dates, "item_id": str(uuid.uuid4())}, 404)
    assert missing_item["status"] == 404


async def test_sequence_errors_name_sequences_fields(api: ApiClient) -> None:
    names = DIALECTS["sequence"][0]
    invoice_id = await _invoice(api)
    token = base64.b64encode(f"{api.key}:".encode()).decode()
    auth = {"Authorization": f"Basic {token}"}
    lines = f"/sequence/api/invoices/{invoice_id}/line-items"

    async def refused(url: str, body: dict[str, Any], status: int = 400, **headers: str) -> dict[str, Any]:
        response = await api.raw.post(url, json=body, headers={**auth, **headers})
        assert response.status_code == status, response.text
        assert _native_names_in(response.text, names) == [], response.text
        answer: dict[str, Any] = response.json()
        return answer

    period = {"startDate": "2026-03-31", "endDate": "2026-03-01"}
    reversed_dates = await refused(lines, {"title": "Seats", "rate": "1.00", "servicePeriod": period})
    assert reversed_dates["details"] == {
        "servicePeriod.endDate": "must not be before servicePeriod.startDate"
    }
    assert reversed_dates["causations"][0]["field"] == "servicePeriod.endDate"
    no_group = await refused(lines, {"title": "Seats", "rate": "1.00", "groupId": str(uuid.uuid4())}, 404)
    assert set(no_group["details"]) == {"groupId"}
    huge = await refused(lines, {"title": "Seats", "rate": HUGE, "quantity": HUGE})
    assert set(huge["details"]) == {"quantity"}
    assert "rate" in huge["details"]["quantity"]
    bad_key = await refused(lines, {"title": "Seats", "rate": "1.00"}, **{"Idempotency-Key": "not a key!"})
    assert set(bad_key["details"]) == {"Idempotency-Key"}
    groups = f"/sequence/api/invoices/{invoice_id}/line-item-groups"
    no_category = await refused(groups, {"title": "G", "taxCategoryId": str(uuid.uuid4())}, 404)
    assert set(no_category["details"]) == {"taxCategoryId"}


async def test_alguna_errors_name_algunas_fields(api: ApiClient) -> None:
    names = DIALECTS["alguna"][0]
    invoice_id = await _invoice(api)
    bearer = {"Authorization": f"Bearer {api.key}"}
    url = f"/alguna/invoices/{invoice_id}/line-items"

    async def refused(body: dict[str, Any], **headers: str) -> str:
        response = await api.raw.post(url, json=body, headers={**bearer, **headers})
        assert response.status_code == 400, response.text
        assert _native_names_in(response.text, names) == [], response.text
        detail: str = response.json()["detail"]
        return detail

    huge = await refused({"description": "Seats", "unitPrice": HUGE, "quantity": HUGE})
    assert huge.startswith("quantity: quantity × unitPrice")
    bad_key = await refused({"description": "Seats", "unitPrice": "1"}, **{"Idempotency-Key": "not a key!"})
    assert bad_key.startswith("Idempotency-Key: ")


async def test_aira_errors_name_airas_fields(api: ApiClient) -> None:
    fields = _request_fields(DIALECTS["aira"][1])
    invoice = await api.post(
        "/aira/v1/invoices",
        json={
            "idempotencyKey": "i1",
            "invoiceDate": "2026-03-15",
            "memo": "m",
            "customerId": (await customer(api))["id"],
        },
    )
    assert invoice.status_code == 200, invoice.text
    base = f"/aira/v1/invoices/{invoice.json()['id']}"

    async def refused(url: str, body: dict[str, Any], status: int = 400) -> dict[str, Any]:
        response = await api.post(url, json=body)
        assert response.status_code == status, response.text
        answer: dict[str, Any] = response.json()
        assert set(answer["details"]) <= fields, answer
        return answer

    product = await api.create("/v1/products", {"name": "Seats"})
    group = {
        "idempotencyKey": "g1",
        "productId": product["id"],
        "startDate": "2026-03-31",
        "endDate": "2026-03-01",
    }
    reversed_dates = await refused(f"{base}/line-item-groups", group)
    assert reversed_dates["details"] == {"endDate": "must not be before startDate"}
    nameless = await refused(f"{base}/line-items", {"idempotencyKey": "l1", "amount": 1})
    assert set(nameless["details"]) == {"name", "productId"}
    no_group = await refused(
        f"{base}/line-items",
        {"idempotencyKey": "l2", "name": "X", "amount": 1, "lineItemGroupId": str(uuid.uuid4())},
        404,
    )
    assert set(no_group["details"]) == {"lineItemGroupId"}
    both = await refused(
        f"{base}/line-items", {"idempotencyKey": "l3", "name": "X", "amount": 1, "unitPrice": "1"}
    )
    assert set(both["details"]) == {"amount", "unitPrice"}


async def test_orb_names_a_missing_item_an_item(api: ApiClient) -> None:
    response = await api.raw.post(
        "/orb/v1/invoice_line_items",
        headers={"Authorization": f"Bearer {api.key}"},
        json={
            "invoice_id": await _invoice(api),
            "item_id": "00000000-0000-0000-0000-000000000000",
            "quantity": 1,
            "amount": "1.00",
            "start_date": "2026-03-01",
            "end_date": "2026-03-31",
        },
    )
    assert response.status_code == 404, response.text
    assert response.json()["detail"].startswith("item 00000000-0000-0000-0000-000000000000")
    assert "product" not in response.text
