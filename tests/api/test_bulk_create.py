"""An invoice created with its groups and lines in one request (``POST /v1/invoices``)."""

from __future__ import annotations

import re
from typing import Any

from conftest import ApiClient

GRADUATED = {
    "model": "graduated",
    "tiers": [
        {"from": "0", "to": "100", "unitPrice": "1.00", "flatFee": "20"},
        {"from": "100", "to": None, "unitPrice": "0.75", "flatFee": "50"},
    ],
}
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def _normalized(value: Any, stable: set[str], seen: dict[str, str]) -> Any:
    """``value`` with generated ids numbered by first appearance and timestamps and keys dropped, so two
    invoices built the same way compare equal."""
    if isinstance(value, dict):
        return {
            key: _normalized(item, stable, seen)
            for key, item in value.items()
            if not key.endswith("At") and key != "idempotencyKey"
        }
    if isinstance(value, list):
        return [_normalized(item, stable, seen) for item in value]
    if isinstance(value, str) and UUID.match(value) and value not in stable:
        return seen.setdefault(value, f"id{len(seen)}")
    return value


async def _setup(api: ApiClient) -> tuple[str, str, str]:
    customer = await api.create("/v1/customers", {"name": "Acme", "currency": "EUR"})
    vat = await api.create("/v1/tax-categories", {"name": "VAT 21", "rates": [{"rate": "21"}]})
    product = await api.create("/v1/products", {"name": "API calls"})
    return str(customer["id"]), str(vat["id"]), str(product["id"])


def _content(vat: str, product: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    groups = [
        {
            "name": "Platform",
            "taxCategoryId": vat,
            "lineItems": [
                {"name": "Seat", "quantity": "3", "unitPrice": "19.99"},
                {"name": "Seat", "quantity": "1", "unitPrice": "0.015"},
                {"productId": product, "price": GRADUATED, "usage": "250"},
            ],
        },
        {"name": "Services", "lineItems": [{"name": "Setup", "amount": "100.05"}]},
    ]
    lines = [
        {"name": "Consulting", "quantity": "2.5", "unitPrice": "80", "taxCategoryId": vat},
        {"name": "Refund", "amount": "-10"},
        {"name": "Storage", "price": {"model": "unit", "unitPrice": "0.0025"}, "usage": "10001"},
    ]
    return groups, lines


async def _with_discount(api: ApiClient, invoice_id: str) -> dict[str, Any]:
    body = {"type": "percentage_discount", "percentage": "7.5"}
    response = await api.post(f"/v1/invoices/{invoice_id}/adjustments", json=body)
    assert response.status_code in (200, 201), response.text
    answer = await api.get(f"/v1/invoices/{invoice_id}")
    assert answer.status_code == 200
    data: dict[str, Any] = answer.json()
    return data


async def test_an_invoice_built_in_bulk_equals_one_built_line_by_line(api: ApiClient) -> None:
    customer, vat, product = await _setup(api)
    groups, lines = _content(vat, product)
    head = {"customerId": customer, "invoiceDate": "2026-03-15"}

    bulk = await api.create("/v1/invoices", {**head, "lineItemGroups": groups, "lineItems": lines})
    fetched = (await api.get(f"/v1/invoices/{bulk['id']}")).json()
    assert bulk == fetched  # the 201 answers the invoice as GET does

    single = await api.create("/v1/invoices", head)
    base = f"/v1/invoices/{single['id']}"
    for group in groups:
        fields = {key: value for key, value in group.items() if key != "lineItems"}
        made = await api.create(f"{base}/line-item-groups", fields)
        for line in group["lineItems"]:
            await api.create(f"{base}/line-items", {**line, "lineItemGroupId": made["id"]})
    for line in lines:
        await api.create(f"{base}/line-items", line)
    by_line = (await api.get(base)).json()

    stable = {customer, vat, product, str(bulk["paymentAccountId"]), str(bulk["issuingAccountId"])}
    assert bulk["taxAmount"] != "0.00"
    assert len(bulk["lineItemGroups"]) == 2
    assert _normalized(bulk, stable, {}) == _normalized(by_line, stable, {})
    # a covering discount over both: the running sums the bulk create stored carry on the same way
    assert _normalized(await _with_discount(api, str(bulk["id"])), stable, {}) == _normalized(
        await _with_discount(api, str(single["id"])), stable, {}
    )


async def test_one_bad_line_is_named_and_nothing_is_written(api: ApiClient) -> None:
    customer, vat, product = await _setup(api)
    groups, lines = _content(vat, product)
    head = {"customerId": customer, "invoiceDate": "2026-03-15"}
    before = (await api.get("/v1/invoices")).json()["data"]

    bad_lines = [*lines, {"name": "X", "quantity": "1", "unitPrice": "1.5e3"}]
    response = await api.post("/v1/invoices", json={**head, "lineItems": bad_lines})
    assert response.status_code == 400
    assert "lineItems[3].unitPrice" in response.json()["details"]

    groups[1]["lineItems"].append({"name": "X", "quantity": "1", "amount": "1", "unitPrice": "2"})
    response = await api.post("/v1/invoices", json={**head, "lineItemGroups": groups})
    assert response.status_code == 400
    assert set(response.json()["details"]) == {
        "lineItemGroups[1].lineItems[1].amount",
        "lineItemGroups[1].lineItems[1].unitPrice",
    }

    missing = [{"name": "Y", "quantity": "1", "unitPrice": "1", "taxCategoryId": customer}]
    response = await api.post("/v1/invoices", json={**head, "lineItems": [*lines, *missing]})
    assert response.status_code == 404
    assert set(response.json()["details"]) == {"lineItems[3].taxCategoryId"}

    assert (await api.get("/v1/invoices")).json()["data"] == before


async def test_lines_whose_sum_is_out_of_range_are_named_as_the_list(api: ApiClient) -> None:
    """Each line is in range (18 digits); together they are not: the list is named, not ``amount`` (a
    field no line of the request has), and nothing is written."""
    customer, _, _ = await _setup(api)
    before = (await api.get("/v1/invoices")).json()["data"]
    lines = [{"name": "Big", "amount": "999999999999999999"}] * 1001
    for body, field in (
        ({"lineItems": lines}, "lineItems"),
        ({"lineItemGroups": [{"name": "G", "lineItems": lines}]}, "lineItemGroups"),
    ):
        response = await api.post("/v1/invoices", json={"customerId": customer, **body})
        assert response.status_code == 400, response.text
        assert set(response.json()["details"]) == {field}
        assert "out of range" in response.json()["details"][field]
    assert (await api.get("/v1/invoices")).json()["data"] == before


async def test_at_most_ten_thousand_lines(api: ApiClient) -> None:
    customer, _, _ = await _setup(api)
    line = {"name": "Seat", "quantity": "1", "unitPrice": "1"}
    groups = [{"name": "G", "lineItems": [line] * 5000}, {"name": "H", "lineItems": [line] * 5000}]
    body = {"customerId": customer, "lineItemGroups": groups, "lineItems": [line]}
    response = await api.post("/v1/invoices", json=body)
    assert response.status_code == 400
    assert set(response.json()["details"]) == {"lineItems"}


async def test_the_whole_create_is_one_idempotent_request(api: ApiClient) -> None:
    customer, vat, product = await _setup(api)
    groups, lines = _content(vat, product)
    body = {"customerId": customer, "lineItemGroups": groups, "lineItems": lines}
    headers = {"Idempotency-Key": "bulk-1"}
    first = await api.post("/v1/invoices", json=body, headers=headers)
    again = await api.post("/v1/invoices", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    changed = await api.post("/v1/invoices", json={**body, "lineItems": lines[:1]}, headers=headers)
    assert changed.status_code == 409
    assert len((await api.get("/v1/invoices")).json()["data"]) == 1


async def test_a_line_naming_an_archived_product_is_refused_by_its_position(api: ApiClient) -> None:
    customer, _, product = await _setup(api)
    archived = await api.post(f"/v1/products/{product}/archive")
    assert archived.status_code == 200
    lines = [{"name": "Seat", "amount": "1"}, {"name": "API calls", "amount": "2"}]
    response = await api.post("/v1/invoices", json={"customerId": customer, "lineItems": lines})
    assert response.status_code == 409
    assert set(response.json()["details"]) == {"lineItems[1].name"}
    by_id = [{"productId": product, "amount": "2"}]
    response = await api.post("/v1/invoices", json={"customerId": customer, "lineItems": by_id})
    assert response.status_code == 409
    assert set(response.json()["details"]) == {"lineItems[0].productId"}


async def test_plain_lines_of_every_kind_equal_lines_added_one_by_one(api: ApiClient) -> None:
    """Plain lines are made on a lean path: the same figures, texts and answer as the line-by-line path,
    for zeros (negative ones too), defaults, inclusive and exclusive rates, dates and unit codes."""
    customer = await api.create("/v1/customers", {"name": "Acme", "currency": "EUR"})
    inclusive = await api.create(
        "/v1/tax-categories", {"name": "Incl 7", "rates": [{"rate": "7", "inclusive": True}]}
    )
    vat = await api.create("/v1/tax-categories", {"name": "VAT 19.5", "rates": [{"rate": "19.5"}]})
    priced = await api.create(
        "/v1/products", {"name": "Priced", "defaultUnitPrice": "4.995", "taxCategoryId": vat["id"]}
    )
    lines: list[dict[str, Any]] = [
        {"name": "Zero", "amount": "-0"},
        {"name": "Zero", "quantity": "0", "unitPrice": "-5"},
        {"name": "Half", "quantity": "1.50000", "unitPrice": "0.333", "taxCategoryId": inclusive["id"]},
        {"productId": priced["id"], "quantity": "3"},
        {"name": "Priced", "quantity": "2", "description": "two\tof them", "unitCode": "HUR"},
        {"name": "Dated", "amount": "12.30", "startDate": "2026-03-02", "endDate": "2026-03-09"},
        {"name": "Credit", "quantity": "2", "unitPrice": "-0.015", "taxCategoryId": vat["id"]},
        {"name": "Charge", "amount": "7", "scope": "additional_charge", "taxCategoryId": inclusive["id"]},
    ]
    groups = [{"name": "Taxed", "taxCategoryId": vat["id"], "lineItems": lines[2:6]}]
    head = {"customerId": customer["id"], "invoiceDate": "2026-03-15"}

    bulk = await api.create("/v1/invoices", {**head, "lineItemGroups": groups, "lineItems": lines})
    assert bulk == (await api.get(f"/v1/invoices/{bulk['id']}")).json()

    single = await api.create("/v1/invoices", head)
    base = f"/v1/invoices/{single['id']}"
    made = await api.create(f"{base}/line-item-groups", {"name": "Taxed", "taxCategoryId": vat["id"]})
    for line in lines[2:6]:
        await api.create(f"{base}/line-items", {**line, "lineItemGroupId": made["id"]})
    for line in lines:
        await api.create(f"{base}/line-items", line)
    by_line = (await api.get(base)).json()

    stable = {str(customer["id"]), str(inclusive["id"]), str(vat["id"]), str(priced["id"])}
    stable |= {str(bulk["paymentAccountId"]), str(bulk["issuingAccountId"])}
    assert len(bulk["standaloneLineItems"]) == len(lines)
    assert _normalized(bulk, stable, {}) == _normalized(by_line, stable, {})


async def test_at_most_a_thousand_groups(api: ApiClient) -> None:
    """Groups are bounded apart from lines (``MAX_BULK_GROUPS``): 1,001 empty groups are refused naming
    ``lineItemGroups`` and write nothing; 1,000 are made, in order."""
    customer, _, _ = await _setup(api)
    response = await api.post(
        "/v1/invoices", json={"customerId": customer, "lineItemGroups": [{"name": "g"}] * 1001}
    )
    assert response.status_code == 400
    assert response.json()["details"] == {"lineItemGroups": "at most 1000 groups in one request"}
    assert (await api.get("/v1/invoices")).json()["data"] == []

    groups = [{"name": f"G {i % 3}"} for i in range(1000)]
    made = await api.create("/v1/invoices", {"customerId": customer, "lineItemGroups": groups})
    assert [group["index"] for group in made["lineItemGroups"]] == list(range(1000))
    assert [group["name"] for group in made["lineItemGroups"]] == [group["name"] for group in groups]
    assert len({group["productId"] for group in made["lineItemGroups"]}) == 3


async def test_groups_naming_products_and_categories_equal_groups_made_one_by_one(api: ApiClient) -> None:
    """Groups look their products and tax categories up once per distinct one, shared with the lines:
    the same products (found by id or name, or made by name once) and the same invoice as creating the
    groups and lines one request at a time."""
    customer, vat, product = await _setup(api)
    groups: list[dict[str, Any]] = [
        {"name": "API calls", "taxCategoryId": vat, "lineItems": [{"name": "Seat", "amount": "3"}]},
        {"productId": product, "lineItems": [{"name": "API calls", "quantity": "2", "unitPrice": "1.5"}]},
        {"name": "Seat", "taxCategoryId": vat},
        {"name": "New group", "description": "made by name", "startDate": "2026-03-01"},
        {"name": "New group", "taxCategoryId": vat, "lineItems": [{"name": "New group", "amount": "1"}]},
        {"productId": product, "name": "Renamed", "endDate": "2026-03-31"},
    ]
    lines = [{"name": "Seat", "amount": "5", "taxCategoryId": vat}]
    head = {"customerId": customer, "invoiceDate": "2026-03-15"}

    bulk = await api.create("/v1/invoices", {**head, "lineItemGroups": groups, "lineItems": lines})
    assert bulk == (await api.get(f"/v1/invoices/{bulk['id']}")).json()
    made = bulk["lineItemGroups"]
    assert made[0]["productId"] == made[1]["productId"] == product
    assert made[3]["productId"] == made[4]["productId"] == made[4]["lineItems"][0]["productId"]
    assert (
        made[2]["productId"]
        == made[0]["lineItems"][0]["productId"]
        == bulk["standaloneLineItems"][0]["productId"]
    )

    single = await api.create("/v1/invoices", head)
    base = f"/v1/invoices/{single['id']}"
    for group in groups:
        fields = {key: value for key, value in group.items() if key != "lineItems"}
        one = await api.create(f"{base}/line-item-groups", fields)
        for line in group.get("lineItems", ()):
            await api.create(f"{base}/line-items", {**line, "lineItemGroupId": one["id"]})
    for line in lines:
        await api.create(f"{base}/line-items", line)
    by_line = (await api.get(base)).json()

    products = {group["productId"] for group in made} | {made[2]["productId"]}
    stable = {customer, vat, *products, str(bulk["paymentAccountId"]), str(bulk["issuingAccountId"])}
    assert _normalized(bulk, stable, {}) == _normalized(by_line, stable, {})


async def test_a_bad_group_is_named_by_its_position_and_nothing_is_written(api: ApiClient) -> None:
    customer, vat, product = await _setup(api)
    head = {"customerId": customer}
    good = {"name": "Fine", "taxCategoryId": vat}

    unknown = [good, {"name": "X", "taxCategoryId": customer}]
    response = await api.post("/v1/invoices", json={**head, "lineItemGroups": unknown})
    assert response.status_code == 404
    assert set(response.json()["details"]) == {"lineItemGroups[1].taxCategoryId"}

    missing = [good, good, {"productId": customer}]
    response = await api.post("/v1/invoices", json={**head, "lineItemGroups": missing})
    assert response.status_code == 404
    assert set(response.json()["details"]) == {"lineItemGroups[2].productId"}

    dates = [good, {"name": "Y", "startDate": "2026-03-02", "endDate": "2026-03-01"}]
    response = await api.post("/v1/invoices", json={**head, "lineItemGroups": dates})
    assert response.status_code == 400
    assert set(response.json()["details"]) == {"lineItemGroups[1].endDate"}

    nameless = [good, {"description": "no name"}]
    response = await api.post("/v1/invoices", json={**head, "lineItemGroups": nameless})
    assert response.status_code == 400
    assert set(response.json()["details"]) == {"lineItemGroups[1].name", "lineItemGroups[1].productId"}

    assert (await api.post(f"/v1/products/{product}/archive")).status_code == 200
    for group, field in (({"name": "API calls"}, "name"), ({"productId": product}, "productId")):
        response = await api.post("/v1/invoices", json={**head, "lineItemGroups": [good, good, group]})
        assert response.status_code == 409
        assert set(response.json()["details"]) == {f"lineItemGroups[2].{field}"}

    assert (await api.get("/v1/invoices")).json()["data"] == []
