"""Tax categories, a product's tax category and a customer's withholding rates."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from billfold.api.responses import CustomerOut, ProductOut, TaxCategoryOut
from billfold.core.taxes import TaxCategory, TaxRate
from billfold.db.uow import UnitOfWork
from billfold.services.organizations import authenticate
from billfold.services.tax_categories import load_tax_categories
from conftest import ApiClient, make_invoice, new_api_key

VAT = {
    "name": "VAT standard",
    "rates": [
        {"rate": "19", "country": "DEU"},
        {"rate": "20.00", "inclusive": True, "country": "fr"},
        {"rate": "7.5"},
    ],
}


async def test_create_read_and_list(api: ApiClient) -> None:
    made = await api.create("/v1/tax-categories", {**VAT, "idempotencyKey": "vat-1"})
    TaxCategoryOut.model_validate(made)
    assert made["object"] == "tax_category"
    assert made["name"] == "VAT standard"
    no_reason = {"vatCategory": "S", "exemptionReason": None, "exemptionReasonCode": None}
    assert made["rates"] == [
        {"rate": "19", "inclusive": False, "country": "DE", **no_reason},
        {"rate": "20", "inclusive": True, "country": "FR", **no_reason},
        {"rate": "7.5", "inclusive": False, "country": None, **no_reason},
    ]
    assert made["idempotencyKey"] == "vat-1"
    assert str(made["createdAt"]).endswith("Z")
    one = await api.get(f"/v1/tax-categories/{made['id']}")
    assert one.status_code == 200
    assert one.json() == made
    exempt = await api.create("/v1/tax-categories", {"name": "Exempt", "rates": [{"rate": "0"}]})
    assert exempt["rates"] == [
        {"rate": "0", "inclusive": False, "country": None, **no_reason, "vatCategory": "Z"}
    ]
    first = (await api.get("/v1/tax-categories", params={"limit": 1})).json()
    assert [row["id"] for row in first["data"]] == [exempt["id"]]
    assert first["hasMore"] is True
    rest = (await api.get("/v1/tax-categories", params={"after": first["nextCursor"]})).json()
    assert [row["id"] for row in rest["data"]] == [made["id"]]
    assert rest["hasMore"] is False
    assert rest["nextCursor"] is None


async def test_idempotent_create(api: ApiClient) -> None:
    body = {"name": "Reduced", "rates": [{"rate": "7"}], "idempotencyKey": "reduced"}
    first = await api.post("/v1/tax-categories", json=body)
    again = await api.post("/v1/tax-categories", json=body)
    assert again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    other = await api.post("/v1/tax-categories", json={**body, "rates": [{"rate": "8"}]})
    assert other.status_code == 409
    assert other.json()["code"] == "idempotency_key_reused"
    assert len((await api.get("/v1/tax-categories")).json()["data"]) == 1


@pytest.mark.parametrize(
    ("rates", "field"),
    [
        pytest.param([], "rates", id="no-rates"),
        pytest.param([{"rate": "100"}], "rates[0].rate", id="hundred"),
        pytest.param([{"rate": "250"}], "rates[0].rate", id="over-hundred"),
        pytest.param([{"rate": "-1"}], "rates[0].rate", id="negative"),
        pytest.param([{"rate": "-0"}], "rates[0].rate", id="minus-zero"),
        pytest.param([{"rate": "12.34567"}], "rates[0].rate", id="five-places"),
        pytest.param([{"rate": 20}], "rates[0].rate", id="json-number"),
        pytest.param([{"rate": "2e1"}], "rates[0].rate", id="exponent"),
        pytest.param([{"rate": "NaN"}], "rates[0].rate", id="nan"),
        pytest.param([{"rate": "20", "inclusive": "yes"}], "rates[0].inclusive", id="loose-bool"),
        pytest.param([{"rate": "20", "country": "Atlantis"}], "rates[0].country", id="unknown-country"),
        pytest.param([{"rate": "20"}, {"rate": "10"}], "rates[1].country", id="two-defaults"),
        pytest.param(
            [{"rate": "20", "country": "DE"}, {"rate": "7", "country": "deu"}],
            "rates[1].country",
            id="one-country-twice",
        ),
        pytest.param([{"rate": "20", "bogus": 1}], "rates[0].bogus", id="unknown-field"),
    ],
)
async def test_bad_rates_are_400_naming_the_field(api: ApiClient, rates: object, field: str) -> None:
    response = await api.post("/v1/tax-categories", json={"name": "Bad", "rates": rates})
    assert response.status_code == 400, response.text
    assert response.json()["code"] == "validation_error"
    assert field in response.json()["details"], response.json()
    assert (await api.get("/v1/tax-categories")).json()["data"] == []


async def test_name_is_required(api: ApiClient) -> None:
    response = await api.post("/v1/tax-categories", json={"rates": [{"rate": "20"}]})
    assert response.status_code == 400
    assert "name" in response.json()["details"]


async def test_unknown_category_is_404(api: ApiClient) -> None:
    response = await api.get("/v1/tax-categories/00000000-0000-7000-8000-000000000000")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


async def test_load_tax_categories_gives_core_objects(api: ApiClient, engine: AsyncEngine) -> None:
    made = await api.create("/v1/tax-categories", VAT)
    async with UnitOfWork(engine, readonly=True) as uow:
        actor = await authenticate(uow, api.key)
        categories = await load_tax_categories(uow, actor)
    category = categories[str(made["id"])]
    assert category == TaxCategory(
        str(made["id"]),
        (
            TaxRate(Decimal("19"), False, "DE"),
            TaxRate(Decimal("20"), True, "FR"),
            TaxRate(Decimal("7.5"), False, None),
        ),
        name="VAT standard",
    )
    assert category.key_for("DE").rate == Decimal("19")
    assert category.key_for("FR").inclusive is True
    assert category.key_for("BR").rate == Decimal("7.5")


async def test_load_tax_categories_sees_only_the_callers(api: ApiClient, engine: AsyncEngine) -> None:
    async with UnitOfWork(engine, readonly=True) as uow:
        assert await load_tax_categories(uow, await authenticate(uow, api.key)) == {}


# -- products --------------------------------------------------------------------------------------


async def test_product_with_a_tax_category(api: ApiClient) -> None:
    category = await api.create("/v1/tax-categories", VAT)
    product = await api.create(
        "/v1/products", {"name": "Consulting", "taxCategory": "services", "taxCategoryId": category["id"]}
    )
    ProductOut.model_validate(product)
    assert product["taxCategoryId"] == category["id"]
    assert product["taxCategory"] == "services"
    assert (await api.get(f"/v1/products/{product['id']}")).json() == product
    plain = await api.create("/v1/products", {"name": "Plain"})
    assert plain["taxCategoryId"] is None


async def test_product_with_an_unknown_tax_category_is_404(api: ApiClient) -> None:
    response = await api.post(
        "/v1/products", json={"name": "X", "taxCategoryId": "00000000-0000-7000-8000-000000000000"}
    )
    assert response.status_code == 404
    assert response.json()["details"] == {"taxCategoryId": "no such tax category"}
    malformed = await api.post("/v1/products", json={"name": "X", "taxCategoryId": "vat"})
    assert malformed.status_code == 400
    assert "taxCategoryId" in malformed.json()["details"]
    assert (await api.get("/v1/products")).json()["data"] == []


async def test_another_organizations_tax_category_is_404(api: ApiClient, engine: AsyncEngine) -> None:
    foreign = await api.create("/v1/tax-categories", VAT)
    other = ApiClient(api.raw, await new_api_key(engine, "Other"))
    assert (await other.get(f"/v1/tax-categories/{foreign['id']}")).status_code == 404
    assert (await other.get("/v1/tax-categories")).json()["data"] == []
    response = await other.post("/v1/products", json={"name": "X", "taxCategoryId": foreign["id"]})
    assert response.status_code == 404
    assert "taxCategoryId" in response.json()["details"]


# -- withholding rates -------------------------------------------------------------------------


async def test_customer_withholding_rates(api: ApiClient) -> None:
    customer = await api.create(
        "/v1/customers",
        {
            "name": "Cliente",
            "currency": "BRL",
            "withholdingRates": [
                {"name": "IRRF", "rate": "1.50"},
                {"name": "PIS/COFINS/CSLL", "rate": "4.65", "rounding": "down"},
            ],
        },
    )
    CustomerOut.model_validate(customer)
    assert customer["withholdingRates"] == [
        {"name": "IRRF", "rate": "1.5", "rounding": "half_up"},
        {"name": "PIS/COFINS/CSLL", "rate": "4.65", "rounding": "down"},
    ]
    assert (await api.get(f"/v1/customers/{customer['id']}")).json() == customer
    plain = await api.create("/v1/customers", {"name": "Plain"})
    assert plain["withholdingRates"] == []


@pytest.mark.parametrize(
    ("rates", "field"),
    [
        pytest.param([{"name": "A", "rate": 1.5}], "withholdingRates[0].rate", id="json-number"),
        pytest.param([{"name": "A", "rate": "-1"}], "withholdingRates[0].rate", id="negative"),
        pytest.param([{"name": "A", "rate": "1.23456"}], "withholdingRates[0].rate", id="five-places"),
        pytest.param([{"name": "A", "rate": "100"}], "withholdingRates[0].rate", id="hundred"),
        pytest.param(
            [{"name": "A", "rate": "60"}, {"name": "B", "rate": "40"}], "withholdingRates", id="sum-100"
        ),
        pytest.param(
            [{"name": "A", "rate": "1"}, {"name": "A", "rate": "2"}],
            "withholdingRates[1].name",
            id="same-name",
        ),
        pytest.param(
            [{"name": "A", "rate": "1", "rounding": "ceiling"}], "withholdingRates[0].rounding", id="mode"
        ),
        pytest.param([{"name": "", "rate": "1"}], "withholdingRates[0].name", id="empty-name"),
        pytest.param([{"rate": "1"}], "withholdingRates[0].name", id="no-name"),
    ],
)
async def test_bad_withholding_rates_are_400(api: ApiClient, rates: object, field: str) -> None:
    response = await api.post("/v1/customers", json={"name": "Bad", "withholdingRates": rates})
    assert response.status_code == 400, response.text
    assert field in response.json()["details"], response.json()
    assert (await api.get("/v1/customers")).json()["data"] == []


async def test_a_line_names_only_its_own_organizations_tax_category(
    api: ApiClient, engine: AsyncEngine
) -> None:
    """The categories an add reads with the invoice's lock decide: its own is used, another
    organization's (or none at all) is 404 naming ``taxCategoryId`` and nothing is written."""
    own = await api.create("/v1/tax-categories", VAT)
    other = ApiClient(api.raw, await new_api_key(engine, "Other"))
    foreign = await other.create("/v1/tax-categories", VAT)
    invoice = await make_invoice(api)
    url = f"/v1/invoices/{invoice['id']}/line-items"
    for category in (foreign["id"], "00000000-0000-7000-8000-000000000000"):
        response = await api.post(url, json={"name": "Fee", "amount": "10.00", "taxCategoryId": category})
        assert response.status_code == 404, response.text
        assert response.json()["details"] == {"taxCategoryId": "no such tax category"}
    assert (await api.get(url)).json()["data"] == []
    assert (await api.get("/v1/products")).json()["data"] == []  # the refused line made no product
    line = await api.create(url, {"name": "Fee", "amount": "10.00", "taxCategoryId": own["id"]})
    assert line["taxCategoryId"] == own["id"]
    again = await api.create(url, {"name": "Fee", "amount": "5.00"})
    assert again["productId"] == line["productId"]  # the name's product, made once
    assert len((await api.get("/v1/products")).json()["data"]) == 1
