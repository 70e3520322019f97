"""Prices in the catalog and usage lines priced by them, through the API."""

from __future__ import annotations

from decimal import Decimal

from conftest import ApiClient, make_invoice

GRADUATED = {
    "model": "graduated",
    "tiers": [
        {"from": "0", "to": "100", "unitPrice": "1.00", "flatFee": "20"},
        {"from": "100", "to": None, "unitPrice": "0.75", "flatFee": "50"},
    ],
}


async def _product_and_invoice(api: ApiClient, currency: str = "USD") -> tuple[str, str]:
    product = await api.create("/v1/products", {"name": "API calls"})
    invoice = await make_invoice(api, currency=currency)
    return str(product["id"]), f"/v1/invoices/{invoice['id']}"


def _sub_total(line: dict[str, object]) -> Decimal:
    return sum((Decimal(str(sub["amount"])) for sub in line["subLineItems"]), Decimal(0))  # type: ignore[attr-defined,index]


async def test_graduated_and_volume_catalog_prices(api: ApiClient) -> None:
    # Lago's documented graduated example: 125 units, 0-100 at 1.00 + 20 flat, 100+ at 0.75 + 50 flat.
    product, base = await _product_and_invoice(api)
    graduated = await api.create("/v1/prices", {"productId": product, "currency": "USD", **GRADUATED})
    volume = await api.create(
        "/v1/prices", {"productId": product, "currency": "USD", **GRADUATED, "model": "volume"}
    )
    assert graduated["tiers"][1]["to"] is None  # type: ignore[index]
    line = await api.create(f"{base}/line-items", {"priceId": graduated["id"], "usage": "125"})
    assert line["totalAmount"] == "188.75"
    assert line["scope"] == "metric"
    assert line["name"] == "API calls"
    assert line["totalUsage"] == "125"
    assert line["usageFormat"] == "unit"
    assert _sub_total(line) == Decimal("188.75")
    bulk = await api.create(f"{base}/line-items", {"priceId": volume["id"], "usage": "125"})
    assert bulk["totalAmount"] == "143.75"
    assert (await api.get(base)).json()["totalAmount"] == "332.50"


async def test_basis_points_keep_fractions_of_a_cent(api: ApiClient) -> None:
    product, base = await _product_and_invoice(api)
    price = {"model": "basis_points", "basisPoints": "25"}
    line = await api.create(
        f"{base}/line-items",
        {"productId": product, "price": price, "transactions": ["1.00"] * 10_000},
    )
    assert line["totalAmount"] == "25.00"
    assert line["usageFormat"] == "currency"
    assert _sub_total(line) == Decimal("25.00")


async def test_inline_package_price_and_minimum(api: ApiClient) -> None:
    product, base = await _product_and_invoice(api)
    price = {"model": "package", "packageSize": "100", "packagePrice": "5", "minimumAmount": "12"}
    line = await api.create(f"{base}/line-items", {"productId": product, "price": price, "usage": "101"})
    # 101 units -> 2 packages of 100 = 10.00, topped up to the 12.00 minimum.
    assert line["totalAmount"] == "12.00"
    types = [sub["type"] for sub in line["subLineItems"]]  # type: ignore[attr-defined]
    assert "minimum_amount" in types
    assert _sub_total(line) == Decimal("12.00")


async def test_prorated_fixed_price_with_seat_intervals(api: ApiClient) -> None:
    product, base = await _product_and_invoice(api)
    price = await api.create(
        "/v1/prices",
        {
            "productId": product,
            "currency": "USD",
            "model": "unit",
            "unitPrice": "31.00",
            "billingModel": "proration",
        },
    )
    half = await api.create(
        f"{base}/line-items",
        {"priceId": price["id"], "usage": "1", "startDate": "2026-03-17", "endDate": "2026-03-31"},
    )
    assert half["totalAmount"] == "15.00"  # 15 of March's 31 days
    seats = await api.create(
        f"{base}/line-items",
        {
            "priceId": price["id"],
            "startDate": "2026-03-01",
            "endDate": "2026-03-31",
            "intervals": [
                {"startDate": "2026-03-01", "endDate": "2026-03-10", "quantity": "2"},
                {"startDate": "2026-03-11", "endDate": "2026-03-31", "quantity": "3"},
            ],
        },
    )
    # 2 seats x 10 days + 3 seats x 21 days = 83 seat-days at 1.00 a day.
    assert seats["totalAmount"] == "83.00"
    assert [sub["type"] for sub in seats["subLineItems"]] == ["proration", "proration"]  # type: ignore[attr-defined]
    assert _sub_total(seats) == Decimal("83.00")


async def test_patch_usage_reprices_the_line(api: ApiClient) -> None:
    product, base = await _product_and_invoice(api)
    price = await api.create("/v1/prices", {"productId": product, "currency": "USD", **GRADUATED})
    line = await api.create(f"{base}/line-items", {"priceId": price["id"], "usage": "50"})
    assert line["totalAmount"] == "70.00"
    patched = await api.patch(f"{base}/line-items/{line['id']}", json={"usage": "125"})
    assert patched.status_code == 200, patched.text
    assert patched.json()["totalAmount"] == "188.75"
    assert (await api.get(base)).json()["totalAmount"] == "188.75"
    refused = await api.patch(f"{base}/line-items/{line['id']}", json={"unitPrice": "1"})
    assert refused.status_code == 400


async def test_price_validation_names_the_tier_and_writes_nothing(api: ApiClient) -> None:
    product, base = await _product_and_invoice(api)
    gap = {
        "productId": product,
        "currency": "USD",
        "model": "graduated",
        "tiers": [
            {"from": "0", "to": "100", "unitPrice": "1"},
            {"from": "150", "to": None, "unitPrice": "0.5"},
        ],
    }
    response = await api.post("/v1/prices", json=gap)
    assert response.status_code == 400
    assert "tiers[1].from" in response.json()["details"]
    unknown = await api.post("/v1/prices", json={"productId": product, "currency": "USD", "model": "magic"})
    assert unknown.status_code == 400
    assert "model" in unknown.json()["details"]
    number = await api.post(
        "/v1/prices", json={"productId": product, "currency": "USD", "model": "unit", "unitPrice": 1.5}
    )
    assert number.status_code == 400
    assert "unitPrice" in number.json()["details"]
    bad_usage = await api.post(
        f"{base}/line-items",
        json={"productId": product, "price": {"model": "unit", "unitPrice": "1"}, "usage": "-1"},
    )
    assert bad_usage.status_code == 400
    assert (await api.get("/v1/prices")).json()["data"] == []
    assert (await api.get(base)).json()["standaloneLineItems"] == []


async def test_invoice_minimum_tracks_the_shortfall(api: ApiClient) -> None:
    invoice = await make_invoice(api)
    base = f"/v1/invoices/{invoice['id']}"
    line = await api.create(f"{base}/line-items", {"name": "Usage", "amount": "30.00"})
    set_minimum = await api.request("PUT", f"{base}/minimum", json={"amount": "100.00"})
    assert set_minimum.status_code == 200, set_minimum.text
    body = set_minimum.json()
    minimum_line = next(
        item for item in body["standaloneLineItems"] if item["scope"] == "plan_minimum_amount"
    )
    assert minimum_line["totalAmount"] == "70.00"
    assert body["totalAmount"] == "100.00"
    await api.create(f"{base}/line-items", {"name": "More", "amount": "80.00"})
    assert (await api.get(base)).json()["totalAmount"] == "110.00"
    await api.delete(f"{base}/line-items/{line['id']}")
    full = (await api.get(base)).json()
    assert full["totalAmount"] == "100.00"
    refused = await api.delete(f"{base}/line-items/{minimum_line['id']}")
    assert refused.status_code == 409
    removed = await api.request("DELETE", f"{base}/minimum")
    assert removed.json()["totalAmount"] == "80.00"


async def test_a_bounded_last_tier_is_accepted_and_usage_beyond_it_priced_at_its_rate(api: ApiClient) -> None:
    # Orb's tiered and bulk configs may bound the last tier (maximum_units: 1000).
    product, base = await _product_and_invoice(api)
    tiers = [
        {"from": "0", "to": "100", "unitPrice": "1.00"},
        {"from": "100", "to": "1000", "unitPrice": "0.50"},
    ]
    graduated = await api.create(
        "/v1/prices", {"productId": product, "currency": "USD", "model": "graduated", "tiers": tiers}
    )
    assert graduated["tiers"] == tiers  # kept as given
    line = await api.create(f"{base}/line-items", {"priceId": graduated["id"], "usage": "1200"})
    # 100 × 1.00 + 1,100 × 0.50: the 200 units beyond the last bound at the last tier's rate.
    assert line["subtotalAmount"] == "650.00"
    last = line["subLineItems"][-1]  # type: ignore[index]
    assert (last["name"], last["usage"], last["amount"]) == ("Tier 2 (above 100)", "1100", "550.00")
    inline = {"model": "volume", "tiers": tiers}
    bulk = await api.create(f"{base}/line-items", {"productId": product, "price": inline, "usage": "1200"})
    assert bulk["subtotalAmount"] == "600.00"
    within = await api.create(f"{base}/line-items", {"productId": product, "price": inline, "usage": "1000"})
    assert within["subtotalAmount"] == "500.00"
