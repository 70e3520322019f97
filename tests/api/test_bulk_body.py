"""Plain lines of a bulk create are read without a model per line, to the same values and errors."""

from __future__ import annotations

from typing import Any, get_args

import pytest

from billfold.api.bulk_body import SCOPES, NotPlain, plain_line
from billfold.api.routers.lines import new_line
from billfold.api.schemas import BulkLineIn, InvoiceIn, LineScope
from billfold.services.line_pricing import NewLine
from conftest import ApiClient

CATEGORY = "0191d3c0-7b1e-7c39-9f55-1f0e1d2c3b4a"

READ_LEAN = [
    {"name": "Seat", "quantity": "3", "unitPrice": "19.99"},
    {"name": "Seat", "quantity": "1.50000000000000", "unitPrice": "-0.000000000001"},
    {"name": "Setup", "amount": "100.05", "description": "line one\n\tline two", "unitCode": "HUR"},
    {"productId": CATEGORY.upper(), "amount": "0", "scope": "additional_charge"},
    {"name": "Ünïcødé ✓", "startDate": "2026-02-01", "endDate": "2026-02-28", "taxCategoryId": CATEGORY},
    {"name": "Nulls", "amount": "1", "price": None, "usage": None, "intervals": None, "priceId": None},
]
LEFT_TO_THE_SCHEMA = [
    {"name": "Storage", "price": {"model": "unit", "unitPrice": "0.0025"}, "usage": "10001"},
    {"name": "X", "quantity": 1, "unitPrice": "1"},
    {"name": "X", "quantity": "1", "unitPrice": "1.5e3"},
    {"name": "X", "amount": "1", "color": "red"},
    {"name": "", "amount": "1"},
    {"name": "   ", "amount": "1"},
    {"name": "A\u0007B", "amount": "1"},
    {"name": "X" * 201, "amount": "1"},
    {"name": "X", "amount": "1", "startDate": "2026-02-30"},
    {"name": "X", "amount": "1", "startDate": "20260201"},
    {"name": "X", "amount": "1", "startDate": "２０２６-02-01"},
    {"name": "X", "amount": "1", "taxCategoryId": CATEGORY.replace("-", "")},
    {"name": "X", "amount": "1", "scope": "gift"},
    {"name": "X", "amount": "1", "unitCode": "HOURS"},
    {"name": "X", "amount": "1", "intervals": []},
    {"name": "X", "amount": "1", "description": 5},
    ["not", "an", "object"],
]


def test_the_scopes_are_the_schemas() -> None:
    assert set(get_args(LineScope)) == SCOPES


@pytest.mark.parametrize("raw", READ_LEAN)
def test_a_plain_line_reads_as_the_schema_reads_it(raw: dict[str, Any]) -> None:
    assert plain_line(raw) == new_line(BulkLineIn.model_validate(raw))


@pytest.mark.parametrize("raw", LEFT_TO_THE_SCHEMA)
def test_anything_else_is_left_to_the_schema(raw: Any) -> None:
    with pytest.raises(NotPlain):
        plain_line(raw)


def test_the_body_gives_lean_lines_and_schema_lines_in_order() -> None:
    priced = LEFT_TO_THE_SCHEMA[0]
    body = InvoiceIn.model_validate(
        {"customerId": CATEGORY, "lineItemGroups": [{"name": "G", "lineItems": [READ_LEAN[0], priced]}]}
    )
    groups, lines = body.content()
    assert lines == []
    ((group, items),) = groups
    assert group.name == "G"
    assert group.line_items is None
    assert isinstance(items[0], NewLine)
    assert isinstance(items[1], BulkLineIn)
    assert items[1].price == priced["price"]


async def test_a_bad_body_gets_the_schemas_errors(api: ApiClient) -> None:
    customer = await api.create("/v1/customers", {"name": "Acme"})
    good = {"name": "Seat", "quantity": "1", "unitPrice": "1"}
    lines = [good] * 500 + [{"name": "X", "quantity": "-1", "unitPrice": "1"}] + [good] * 10
    body = {"customerId": customer["id"], "currency": "US", "lineItems": lines}
    response = await api.post("/v1/invoices", json=body)
    assert response.status_code == 400
    details = response.json()["details"]
    assert set(details) == {"currency", "lineItems[500].quantity"}
    assert "negative" in details["lineItems[500].quantity"]
    groups = [{"name": "G", "lineItems": [good, {**good, "sku": "1"}]}]
    response = await api.post("/v1/invoices", json={"customerId": customer["id"], "lineItemGroups": groups})
    assert response.status_code == 400
    assert response.json()["details"] == {"lineItemGroups[0].lineItems[1].sku": "unknown field"}
    groups = [{"name": "", "lineItems": [good]}]
    response = await api.post("/v1/invoices", json={"customerId": customer["id"], "lineItemGroups": groups})
    assert response.status_code == 400
    assert set(response.json()["details"]) == {"lineItemGroups[0].name"}
    assert (await api.get("/v1/invoices")).json()["data"] == []
