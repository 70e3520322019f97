"""Customers, payment accounts, issuing accounts and products through the native API."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from conftest import ApiClient, new_api_key

ERROR_KEYS = {"code", "message", "details", "causations"}


def assert_error(
    response: httpx.Response, status: int, *fields: str, code: str | None = None
) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert set(body) == ERROR_KEYS, body
    assert isinstance(body["message"], str)
    assert body["message"]
    assert isinstance(body["details"], dict)
    assert isinstance(body["causations"], list)
    if code is not None:
        assert body["code"] == code, body
    for field in fields:
        assert field in body["details"], (field, body)
    return body


async def customer_ids(api: ApiClient) -> list[str]:
    return [row["id"] for row in (await api.get("/v1/customers", params={"limit": 100})).json()["data"]]


# -- tax ids ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tax_id_type", "given", "stored"),
    [
        ("cnpj", "11.222.333/0001-81", "11222333000181"),
        ("cnpj", "11222333000181", "11222333000181"),
        ("br_cnpj", "11.222.333/0001-81", "11222333000181"),
        ("cpf", "390.533.447-05", "39053344705"),
        ("br_cpf", "390.533.447-05", "39053344705"),
        ("eu_vat", "FR 61 954 506 077", "FR61954506077"),
        ("eu_vat", "NL004495445B01", "NL004495445B01"),
    ],
)
async def test_valid_tax_id_is_stored_compact(
    api: ApiClient, tax_id_type: str, given: str, stored: str
) -> None:
    customer = await api.create("/v1/customers", {"name": "Taxed", "taxId": given, "taxIdType": tax_id_type})
    assert (customer["taxId"], customer["taxIdType"]) == (stored, tax_id_type)
    fetched = (await api.get(f"/v1/customers/{customer['id']}")).json()
    assert fetched["taxId"] == stored


@pytest.mark.parametrize(
    ("tax_id_type", "given"),
    [
        ("cnpj", "11.222.333/0001-82"),
        ("cnpj", "1122233300018"),
        ("cnpj", "not a number"),
        ("br_cnpj", "00.000.000/0000-01"),
        ("cpf", "390.533.447-06"),
        ("cpf", "39053344"),
        ("eu_vat", "FR 61 954 506 078"),
        ("eu_vat", "XX123456789"),
        ("eu_vat", ""),
    ],
)
async def test_invalid_tax_id_is_refused(api: ApiClient, tax_id_type: str, given: str) -> None:
    response = await api.post(
        "/v1/customers", json={"name": "Taxed", "taxId": given, "taxIdType": tax_id_type}
    )
    error = assert_error(response, 400, "taxId", code="validation_error")
    assert tax_id_type in error["details"]["taxId"]
    assert await customer_ids(api) == []


@pytest.mark.parametrize(
    ("tax_id_type", "given"),
    [
        ("us_custom", "ABC-123/x"),
        ("internal", "anything goes 42"),
        ("zz_vat", "ZZ-0001"),
        ("util_clean", "KEEP-ME 1"),
        ("util_sys", "KEEP-ME 2"),
    ],
)
async def test_unknown_tax_id_type_is_stored_as_given(api: ApiClient, tax_id_type: str, given: str) -> None:
    response = await api.post(
        "/v1/customers", json={"name": "Taxed", "taxId": given, "taxIdType": tax_id_type}
    )
    assert response.status_code == 201, response.text
    assert (response.json()["taxId"], response.json()["taxIdType"]) == (given, tax_id_type)


async def test_tax_id_without_type_is_stored_as_given(api: ApiClient) -> None:
    customer = await api.create("/v1/customers", {"name": "Taxed", "taxId": "11.222.333/0001-82"})
    assert (customer["taxId"], customer["taxIdType"]) == ("11.222.333/0001-82", None)


async def test_payment_and_issuing_accounts_validate_tax_ids_too(api: ApiClient) -> None:
    customer = await api.create("/v1/customers", {"name": "Acme"})
    url = f"/v1/customers/{customer['id']}/payment-accounts"
    bad = {"taxId": "390.533.447-06", "taxIdType": "cpf"}
    assert_error(await api.post(url, json=bad), 400, "taxId", code="validation_error")
    assert_error(await api.post("/v1/issuing-accounts", json=bad), 400, "taxId", code="validation_error")
    good = {"taxId": "390.533.447-05", "taxIdType": "cpf"}
    assert (await api.create(url, good))["taxId"] == "39053344705"
    assert (await api.create("/v1/issuing-accounts", good))["taxId"] == "39053344705"


# -- countries and subdivisions --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("BR", "BR"),
        ("BRA", "BR"),
        ("Brazil", "BR"),
        ("br", "BR"),
        ("bra", "BR"),
        ("DE", "DE"),
        ("DEU", "DE"),
        ("Germany", "DE"),
        ("United States", "US"),
        ("USA", "US"),
    ],
)
async def test_country_is_normalised_to_alpha_2(api: ApiClient, given: str, stored: str) -> None:
    customer = await api.create("/v1/customers", {"name": "Addressed", "address": {"country": given}})
    assert customer["address"]["country"] == stored


@pytest.mark.parametrize(
    ("country", "state", "stored"),
    [
        ("BR", "AC", "AC"),
        ("BR", "ac", "AC"),
        ("BR", "BR-SP", "SP"),
        ("Brazil", "RJ", "RJ"),
        ("US", "CA", "CA"),
        ("USA", "US-NY", "NY"),
        ("DE", "BY", "BY"),
    ],
)
async def test_subdivision_of_the_country_is_accepted(
    api: ApiClient, country: str, state: str, stored: str
) -> None:
    customer = await api.create(
        "/v1/customers", {"name": "Addressed", "address": {"country": country, "state": state}}
    )
    assert customer["address"]["state"] == stored


@pytest.mark.parametrize(
    ("address", "field"),
    [
        ({"country": "BR", "state": "ZZ"}, "address.state"),
        ({"country": "BR", "state": "CA"}, "address.state"),
        ({"country": "BR", "state": "US-CA"}, "address.state"),
        ({"country": "US", "state": "SP"}, "address.state"),
        ({"state": "AC"}, "address.state"),
        ({"country": "Narnia"}, "address.country"),
        ({"country": "QQ"}, "address.country"),
        ({"country": ""}, "address.country"),
    ],
)
async def test_bad_country_or_subdivision_is_refused(
    api: ApiClient, address: dict[str, str], field: str
) -> None:
    response = await api.post("/v1/customers", json={"name": "Addressed", "address": address})
    assert_error(response, 400, field, code="validation_error")
    assert await customer_ids(api) == []


async def test_full_address_round_trips(api: ApiClient) -> None:
    address = {
        "street": "Avenida Paulista",
        "number": "1578",
        "complement": "Andar 5",
        "neighborhood": "Bela Vista",
        "city": "São Paulo",
        "state": "SP",
        "zipCode": "01310-200",
        "country": "BRA",
    }
    customer = await api.create("/v1/customers", {"name": "Paulista", "address": address})
    fetched = (await api.get(f"/v1/customers/{customer['id']}")).json()
    assert fetched["address"] == {**address, "country": "BR"}


# -- customers -------------------------------------------------------------------------------------


async def test_customer_shape_and_defaults(api: ApiClient) -> None:
    customer = await api.create("/v1/customers", {"name": "Plain"})
    assert customer["object"] == "customer"
    assert customer["currency"] == "USD"
    assert customer["externalCustomerId"] is None
    assert customer["emails"] == []
    assert customer["idempotencyKey"]
    assert (await api.get(f"/v1/customers/{customer['id']}")).json() == customer


async def test_duplicate_external_customer_id_is_409(api: ApiClient) -> None:
    first = await api.create("/v1/customers", {"name": "One", "externalCustomerId": "cust_42-a"})
    response = await api.post("/v1/customers", json={"name": "Two", "externalCustomerId": "cust_42-a"})
    error = assert_error(response, 409, "externalCustomerId", code="duplicate_external_customer_id")
    assert "cust_42-a" in error["message"]
    assert await customer_ids(api) == [first["id"]]
    # The match is exact: another case is another id.
    await api.create("/v1/customers", {"name": "Three", "externalCustomerId": "CUST_42-A"})


async def test_external_customer_id_is_unique_per_organization_only(
    api: ApiClient, engine: AsyncEngine, app_client: httpx.AsyncClient
) -> None:
    other = ApiClient(app_client, await new_api_key(engine, "Elsewhere"))
    mine = await api.create("/v1/customers", {"name": "One", "externalCustomerId": "shared"})
    theirs = await other.create("/v1/customers", {"name": "One", "externalCustomerId": "shared"})
    assert mine["id"] != theirs["id"]


async def test_invoice_by_external_customer_id(api: ApiClient) -> None:
    customer = await api.create(
        "/v1/customers", {"name": "Ext", "externalCustomerId": "ext-9", "currency": "EUR"}
    )
    invoice = await api.create("/v1/invoices", {"externalCustomerId": "ext-9"})
    assert invoice["customerId"] == customer["id"]
    assert invoice["currency"] == "EUR"
    missing = await api.post("/v1/invoices", json={"externalCustomerId": "ext-10"})
    assert_error(missing, 404, "externalCustomerId", code="not_found")


@pytest.mark.parametrize("code", ["USD", "EUR", "JPY", "BHD", "IQD", "BRL"])
async def test_customer_currency_is_any_iso_code_with_a_minor_unit(api: ApiClient, code: str) -> None:
    assert (await api.create("/v1/customers", {"name": "Money", "currency": code}))["currency"] == code


# -- payment accounts ------------------------------------------------------------------------------


async def test_new_customer_gets_a_default_payment_account_from_its_details(api: ApiClient) -> None:
    details = {
        "emails": ["billing@acme.example", "ap@acme.example"],
        "taxId": "11.222.333/0001-81",
        "taxIdType": "cnpj",
        "address": {
            "street": "Rua A",
            "number": "10",
            "city": "Rio Branco",
            "state": "AC",
            "country": "Brazil",
        },
    }
    customer = await api.create("/v1/customers", {"name": "Acme Ltda", **details})
    accounts = (await api.get(f"/v1/customers/{customer['id']}/payment-accounts")).json()
    assert accounts["hasMore"] is False
    [account] = accounts["data"]
    assert account["object"] == "payment_account"
    assert account["isDefault"] is True
    assert account["customerId"] == customer["id"]
    assert account["tradeName"] == "Acme Ltda"
    assert account["businessName"] == "Acme Ltda"
    assert account["emails"] == details["emails"]
    assert (account["taxId"], account["taxIdType"]) == ("11222333000181", "cnpj")
    assert account["address"] == customer["address"]
    assert account["address"]["country"] == "BR"
    assert account["address"]["state"] == "AC"
    invoice = await api.create("/v1/invoices", {"customerId": customer["id"]})
    assert invoice["paymentAccountId"] == account["id"]


async def test_default_payment_account_keeps_given_trade_and_business_names(api: ApiClient) -> None:
    customer = await api.create(
        "/v1/customers", {"name": "Acme", "tradeName": "Acme Store", "businessName": "Acme Holdings SA"}
    )
    [account] = (await api.get(f"/v1/customers/{customer['id']}/payment-accounts")).json()["data"]
    assert (account["tradeName"], account["businessName"]) == ("Acme Store", "Acme Holdings SA")


async def test_extra_payment_accounts(api: ApiClient) -> None:
    customer = await api.create("/v1/customers", {"name": "Acme", "emails": ["a@acme.example"]})
    url = f"/v1/customers/{customer['id']}/payment-accounts"
    extra = await api.create(
        url,
        {
            "businessName": "Acme Europe BV",
            "emails": ["eu@acme.example"],
            "taxId": "NL004495445B01",
            "taxIdType": "eu_vat",
            "address": {"city": "Amsterdam", "country": "Netherlands"},
        },
    )
    assert extra["isDefault"] is False
    assert extra["tradeName"] == "Acme"
    assert extra["businessName"] == "Acme Europe BV"
    assert extra["emails"] == ["eu@acme.example"]
    assert extra["address"]["country"] == "NL"
    listed = (await api.get(url)).json()["data"]
    assert {row["id"] for row in listed} == {extra["id"], *(row["id"] for row in listed if row["isDefault"])}
    assert sorted(row["isDefault"] for row in listed) == [False, True]
    # An invoice may bill the extra account; the default stays the default.
    invoice = await api.create(
        "/v1/invoices", {"customerId": customer["id"], "paymentAccountId": extra["id"]}
    )
    assert invoice["paymentAccountId"] == extra["id"]
    plain = await api.create("/v1/invoices", {"customerId": customer["id"]})
    assert plain["paymentAccountId"] != extra["id"]


async def test_payment_account_of_another_customer_is_refused(api: ApiClient) -> None:
    first = await api.create("/v1/customers", {"name": "First"})
    second = await api.create("/v1/customers", {"name": "Second"})
    [account] = (await api.get(f"/v1/customers/{second['id']}/payment-accounts")).json()["data"]
    response = await api.post(
        "/v1/invoices", json={"customerId": first["id"], "paymentAccountId": account["id"]}
    )
    assert_error(response, 404, "paymentAccountId", code="not_found")
    assert (await api.get("/v1/invoices")).json()["data"] == []


async def test_payment_account_for_unknown_customer_is_404(api: ApiClient) -> None:
    response = await api.post(
        "/v1/customers/01900000-0000-7000-8000-000000000000/payment-accounts", json={"tradeName": "x"}
    )
    assert_error(response, 404, code="not_found")


# -- issuing accounts ------------------------------------------------------------------------------


async def test_issuing_accounts_include_the_organizations_default(api: ApiClient) -> None:
    listed = (await api.get("/v1/issuing-accounts")).json()
    assert listed["hasMore"] is False
    assert listed["nextCursor"] is None
    [default] = listed["data"]
    assert default["object"] == "issuing_account"
    assert default["isDefault"] is True
    assert default["tradeName"] == "Test organization"
    assert default["businessName"] == "Test organization"
    customer = await api.create("/v1/customers", {"name": "Acme"})
    invoice = await api.create("/v1/invoices", {"customerId": customer["id"]})
    assert invoice["issuingAccountId"] == default["id"]


async def test_new_issuing_account(api: ApiClient) -> None:
    body = {
        "tradeName": "Billfold Brasil",
        "businessName": "Billfold Brasil Ltda",
        "emails": ["fiscal@example.com"],
        "taxId": "11.222.333/0001-81",
        "taxIdType": "cnpj",
        "address": {"city": "São Paulo", "state": "SP", "country": "BR", "zipCode": "01310-200"},
    }
    account = await api.create("/v1/issuing-accounts", body)
    assert account["isDefault"] is False
    assert account["tradeName"] == "Billfold Brasil"
    assert account["taxId"] == "11222333000181"
    assert (await api.get(f"/v1/issuing-accounts/{account['id']}")).json() == account
    listed = (await api.get("/v1/issuing-accounts")).json()["data"]
    assert len(listed) == 2
    assert account["id"] in {row["id"] for row in listed}
    assert [row["isDefault"] for row in listed].count(True) == 1
    customer = await api.create("/v1/customers", {"name": "Acme"})
    invoice = await api.create(
        "/v1/invoices", {"customerId": customer["id"], "issuingAccountId": account["id"]}
    )
    assert invoice["issuingAccountId"] == account["id"]


# -- products --------------------------------------------------------------------------------------


async def test_product_shape(api: ApiClient) -> None:
    product = await api.create(
        "/v1/products",
        {
            "name": "Platform",
            "description": "The platform fee",
            "defaultUnitPrice": "99.90",
            "taxCategory": "saas",
        },
    )
    assert product["object"] == "product"
    assert product["defaultUnitPrice"] == "99.9"
    assert product["taxCategory"] == "saas"
    assert (await api.get(f"/v1/products/{product['id']}")).json() == product
    bare = await api.create("/v1/products", {"name": "Bare"})
    assert (bare["defaultUnitPrice"], bare["description"], bare["taxCategory"]) == (None, None, None)


async def test_duplicate_product_name_is_409(api: ApiClient) -> None:
    first = await api.create("/v1/products", {"name": "Platform"})
    response = await api.post("/v1/products", json={"name": "Platform", "defaultUnitPrice": "1"})
    assert_error(response, 409, "name", code="duplicate_product_name")
    listed = (await api.get("/v1/products")).json()["data"]
    assert [row["id"] for row in listed] == [first["id"]]
    for same in (" Platform", "Platform\u3000"):  # the same name once trimmed
        assert_error(await api.post("/v1/products", json={"name": same}), 409, "name")
    composed = await api.create("/v1/products", {"name": "Caf\u00e9"})
    decomposed = await api.post("/v1/products", json={"name": "Cafe\u0301"})  # looks the same: is the same
    assert_error(decomposed, 409, "name", code="duplicate_product_name")
    assert composed["name"] == "Caf\u00e9"


@pytest.mark.parametrize(
    ("given", "shown"),
    [
        ("10.500", "10.5"),
        ("100", "100"),
        ("100.000", "100"),
        ("0", "0"),
        ("0.000", "0"),
        ("-0", "0"),
        ("0.000000000001", "0.000000000001"),
        ("-2.50", "-2.5"),
        ("123456789012345678.123456789012", "123456789012345678.123456789012"),
        ("000042.4200", "42.42"),
    ],
)
async def test_default_unit_price_is_fixed_point(api: ApiClient, given: str, shown: str) -> None:
    product = await api.create("/v1/products", {"name": "Priced", "defaultUnitPrice": given})
    assert product["defaultUnitPrice"] == shown
    fetched = (await api.get(f"/v1/products/{product['id']}")).json()
    assert fetched["defaultUnitPrice"] == shown
    assert "E" not in fetched["defaultUnitPrice"].upper()


# -- pagination ------------------------------------------------------------------------------------


async def test_customer_list_pagination(api: ApiClient) -> None:
    created = [(await api.create("/v1/customers", {"name": f"C{i}"}))["id"] for i in range(5)]
    seen: list[str] = []
    after: str | None = None
    pages = 0
    while True:
        params: dict[str, object] = {"limit": 2}
        if after is not None:
            params["after"] = after
        page = (await api.get("/v1/customers", params=params)).json()
        assert set(page) == {"data", "hasMore", "nextCursor"}
        pages += 1
        ids = [row["id"] for row in page["data"]]
        seen.extend(ids)
        if page["hasMore"]:
            assert len(ids) == 2
            assert page["nextCursor"] == ids[-1]
            after = page["nextCursor"]
        else:
            assert page["nextCursor"] is None
            break
    assert pages == 3
    assert len(seen) == len(set(seen)) == 5
    assert set(seen) == set(created)
    assert seen == sorted(created, reverse=True)
    everything = (await api.get("/v1/customers", params={"limit": 100})).json()
    assert [row["id"] for row in everything["data"]] == seen
    assert everything["hasMore"] is False
    assert everything["nextCursor"] is None
    exact = (await api.get("/v1/customers", params={"limit": 5})).json()
    assert exact["hasMore"] is False
    assert exact["nextCursor"] is None


async def test_empty_customer_list(api: ApiClient) -> None:
    assert (await api.get("/v1/customers")).json() == {"data": [], "hasMore": False, "nextCursor": None}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": 101}, "limit"),
        ({"limit": -1}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"limit": "1.5"}, "limit"),
        ({"limit": 10**30}, "limit"),
        ({"after": "not-a-cursor"}, "after"),
        ({"after": ""}, "after"),
        ({"after": "1234"}, "after"),
    ],
)
@pytest.mark.parametrize("url", ["/v1/customers", "/v1/products", "/v1/invoices", "/v1/issuing-accounts"])
async def test_bad_page_parameters_are_400(
    api: ApiClient, url: str, params: dict[str, object], field: str
) -> None:
    response = await api.get(url, params=params)
    assert_error(response, 400, field, code="validation_error")


@pytest.mark.parametrize("limit", [1, 100])
async def test_limit_bounds_are_inclusive(api: ApiClient, limit: int) -> None:
    response = await api.get("/v1/customers", params={"limit": limit})
    assert response.status_code == 200, response.text
