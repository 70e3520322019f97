"""PATCH of customers, issuing accounts and draft invoices: the change is visible on GET, bad input is a
400 naming the field and writes nothing, another organization's ids are 404, a locked invoice is 409."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from conftest import ApiClient, make_invoice, new_api_key


def error_of(response: httpx.Response, status: int, field: str | None = None, code: str | None = None) -> Any:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"code", "message", "details", "causations"}, body
    if field is not None:
        assert field in body["details"], body
    if code is not None:
        assert body["code"] == code, body
    return body


@pytest.fixture
async def other(engine: AsyncEngine, app_client: httpx.AsyncClient) -> ApiClient:
    return ApiClient(app_client, await new_api_key(engine, "Other organization"))


async def fetch(api: ApiClient, url: str) -> Any:
    response = await api.get(url)
    assert response.status_code == 200, response.text
    return response.json()


async def patched(api: ApiClient, url: str, body: dict[str, Any]) -> Any:
    response = await api.patch(url, json=body)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer == await fetch(api, url)  # the answer is the resource as GET shows it
    return answer


# -- customers -----------------------------------------------------------------------------------------


async def test_customer_edit_is_visible_and_the_default_payment_account_follows(api: ApiClient) -> None:
    customer = await api.create(
        "/v1/customers",
        {"name": "Acme", "emails": ["a@acme.example"], "address": {"city": "Lyon", "country": "FR"}},
    )
    url = f"/v1/customers/{customer['id']}"
    answer = await patched(
        api,
        url,
        {
            "name": "Acme Ltda",
            "emails": ["billing@acme.example"],
            "taxId": "11.222.333/0001-81",
            "taxIdType": "cnpj",
            "address": {"country": "BRA", "state": "AC", "city": "Rio Branco"},
            "paymentTermsDays": 45,
            "currency": "BRL",
        },
    )
    assert answer["name"] == "Acme Ltda"
    assert answer["emails"] == ["billing@acme.example"]
    assert (answer["taxId"], answer["taxIdType"]) == ("11222333000181", "cnpj")
    assert answer["address"]["country"] == "BR"
    assert answer["address"]["state"] == "AC"
    assert answer["address"]["city"] == "Rio Branco"
    assert (answer["paymentTermsDays"], answer["currency"]) == (45, "BRL")
    accounts = (await fetch(api, f"{url}/payment-accounts"))["data"]
    default = next(account for account in accounts if account["isDefault"])
    assert default["tradeName"] == "Acme Ltda"
    assert default["taxId"] == "11222333000181"
    assert default["address"]["city"] == "Rio Branco"


async def test_customer_patch_merges_the_address_and_null_clears(api: ApiClient) -> None:
    customer = await api.create(
        "/v1/customers",
        {
            "name": "Acme",
            "paymentTermsDays": 10,
            "taxId": "x-1",
            "address": {"street": "Rua A", "city": "Rio Branco", "country": "BR"},
        },
    )
    url = f"/v1/customers/{customer['id']}"
    answer = await patched(api, url, {"address": {"street": None, "zipCode": "69900-000"}})
    assert answer["address"]["street"] is None
    assert answer["address"]["city"] == "Rio Branco"
    assert answer["address"]["zipCode"] == "69900-000"
    answer = await patched(api, url, {"paymentTermsDays": None, "taxId": None, "address": None})
    assert answer["paymentTermsDays"] is None
    assert answer["taxId"] is None
    assert set(answer["address"].values()) == {None}


async def test_an_empty_customer_patch_changes_nothing(api: ApiClient) -> None:
    customer = await api.create("/v1/customers", {"name": "Acme"})
    url = f"/v1/customers/{customer['id']}"
    assert await patched(api, url, {}) == customer


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": None}, "name"),
        ({"name": ""}, "name"),
        ({"emails": None}, "emails"),
        ({"emails": ["not-an-email"]}, "emails[0]"),
        ({"taxId": "11.222.333/0001-00", "taxIdType": "cnpj"}, "taxId"),
        ({"taxIdType": "cnpj"}, "taxId"),  # the stored id checked against its new type
        ({"address": {"country": "Atlantis"}}, "address.country"),
        ({"address": {"country": "US"}}, "address.state"),  # the stored state AC is not in the US
        ({"currency": "XXY"}, "currency"),
        ({"currency": None}, "currency"),
        ({"paymentTermsDays": -1}, "paymentTermsDays"),
        ({"paymentTermsDays": "30"}, "paymentTermsDays"),
        ({"withholdingRates": [{"name": "IRRF", "rate": "100"}]}, "withholdingRates[0].rate"),
        ({"idempotencyKey": "k"}, "idempotencyKey"),
        ({"nickname": "x"}, "nickname"),
    ],
)
async def test_an_invalid_customer_edit_names_the_field_and_writes_nothing(
    api: ApiClient, body: dict[str, Any], field: str
) -> None:
    customer = await api.create(
        "/v1/customers",
        {
            "name": "Acme",
            "taxId": "x-1",
            "taxIdType": "zz_unknown",
            "address": {"state": "AC", "country": "BR"},
        },
    )
    url = f"/v1/customers/{customer['id']}"
    before = await fetch(api, url)
    error_of(await api.patch(url, json=body), 400, field)
    assert await fetch(api, url) == before


async def test_customer_currency_is_locked_once_it_has_invoices(api: ApiClient) -> None:
    invoice = await make_invoice(api)
    url = f"/v1/customers/{invoice['customerId']}"
    before = await fetch(api, url)
    error_of(
        await api.patch(url, json={"currency": "EUR", "name": "Renamed"}),
        409,
        "currency",
        "customer_has_invoices",
    )
    assert await fetch(api, url) == before
    assert (await patched(api, url, {"currency": "USD", "name": "Renamed"}))["name"] == "Renamed"


async def test_customer_external_id_stays_unique(api: ApiClient) -> None:
    await api.create("/v1/customers", {"name": "A", "externalCustomerId": "taken"})
    other = await api.create("/v1/customers", {"name": "B", "externalCustomerId": "mine"})
    url = f"/v1/customers/{other['id']}"
    error_of(await api.patch(url, json={"externalCustomerId": "taken"}), 409, "externalCustomerId")
    assert (await patched(api, url, {"externalCustomerId": "new-id"}))["externalCustomerId"] == "new-id"
    assert (await patched(api, url, {"externalCustomerId": None}))["externalCustomerId"] is None


async def test_customer_withholding_rates_are_replaced_and_cleared(api: ApiClient) -> None:
    customer = await api.create("/v1/customers", {"name": "Cliente", "currency": "BRL"})
    url = f"/v1/customers/{customer['id']}"
    answer = await patched(api, url, {"withholdingRates": [{"name": "IRRF", "rate": "1.5"}]})
    assert answer["withholdingRates"] == [{"name": "IRRF", "rate": "1.5", "rounding": "half_up"}]
    assert (await patched(api, url, {"withholdingRates": None}))["withholdingRates"] == []


async def test_new_payment_terms_reach_the_next_issue(api: ApiClient) -> None:
    invoice = await make_invoice(api)
    await patched(api, f"/v1/customers/{invoice['customerId']}", {"paymentTermsDays": 10})
    await api.create(f"/v1/invoices/{invoice['id']}/line-items", {"name": "Work", "amount": "5.00"})
    response = await api.post(f"/v1/invoices/{invoice['id']}/issue", json={"issueDate": "2026-03-20"})
    assert response.status_code == 200, response.text
    assert response.json()["dueDate"] == "2026-03-30"


# -- issuing accounts --------------------------------------------------------------------------------


async def test_issuing_account_edit_is_visible(api: ApiClient) -> None:
    account = await api.create("/v1/issuing-accounts", {"tradeName": "Seller"})
    url = f"/v1/issuing-accounts/{account['id']}"
    answer = await patched(
        api,
        url,
        {
            "tradeName": "Seller SAS",
            "businessName": "Seller Société",
            "emails": ["invoices@seller.example"],
            "taxId": "FR 61 954 506 077",
            "taxIdType": "eu_vat",
            "address": {"city": "Paris", "country": "France"},
            "numberPrefix": "FAC",
            "numberFormat": "{prefix}/{yyyy}/{seq:05}",
        },
    )
    assert (answer["tradeName"], answer["businessName"]) == ("Seller SAS", "Seller Société")
    assert answer["taxId"] == "FR61954506077"
    assert answer["address"]["country"] == "FR"
    assert (answer["numberPrefix"], answer["numberFormat"]) == ("FAC", "{prefix}/{yyyy}/{seq:05}")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"numberFormat": "{prefix}-{nope}"}, "numberFormat"),
        ({"numberPrefix": "has space"}, "numberPrefix"),
        ({"numberPrefix": None}, "numberPrefix"),
        ({"taxId": "FR00000000000", "taxIdType": "eu_vat"}, "taxId"),
        ({"emails": ["@"]}, "emails[0]"),
        ({"isDefault": "yes"}, "isDefault"),
        ({"name": "Not a field here"}, "name"),
    ],
)
async def test_an_invalid_issuing_account_edit_names_the_field_and_writes_nothing(
    api: ApiClient, body: dict[str, Any], field: str
) -> None:
    account = await api.create("/v1/issuing-accounts", {"tradeName": "Seller"})
    url = f"/v1/issuing-accounts/{account['id']}"
    error_of(await api.patch(url, json=body), 400, field)
    assert await fetch(api, url) == account


async def test_numbering_is_locked_once_an_invoice_is_numbered(api: ApiClient) -> None:
    account = await api.create("/v1/issuing-accounts", {"tradeName": "Seller"})
    url = f"/v1/issuing-accounts/{account['id']}"
    invoice = await make_invoice(api, issuingAccountId=account["id"])
    await patched(api, url, {"numberPrefix": "DRAFTS-ONLY"})  # a draft has no number yet
    await api.create(f"/v1/invoices/{invoice['id']}/line-items", {"name": "Work", "amount": "5.00"})
    issued = await api.post(f"/v1/invoices/{invoice['id']}/issue", json={"issueDate": "2026-03-20"})
    assert issued.json()["invoiceNumber"].startswith("DRAFTS-ONLY-")
    before = await fetch(api, url)
    for body, field in (
        ({"numberPrefix": "NEW"}, "numberPrefix"),
        ({"numberFormat": "{seq}-{yyyy}"}, "numberFormat"),
    ):
        error_of(
            await api.patch(url, json={**body, "tradeName": "Renamed"}), 409, field, "account_has_numbers"
        )
    assert await fetch(api, url) == before
    assert (await patched(api, url, {"tradeName": "Renamed", "numberPrefix": "DRAFTS-ONLY"}))[
        "tradeName"
    ] == "Renamed"


async def test_is_default_switches_the_default(api: ApiClient) -> None:
    first = (await fetch(api, "/v1/issuing-accounts"))["data"][0]
    assert first["isDefault"]
    second = await api.create("/v1/issuing-accounts", {"tradeName": "Second"})
    answer = await patched(api, f"/v1/issuing-accounts/{second['id']}", {"isDefault": True})
    assert answer["isDefault"]
    assert not (await fetch(api, f"/v1/issuing-accounts/{first['id']}"))["isDefault"]
    invoice = await make_invoice(api)
    assert invoice["issuingAccountId"] == second["id"]
    error_of(
        await api.patch(f"/v1/issuing-accounts/{second['id']}", json={"isDefault": False}), 400, "isDefault"
    )
    assert (await fetch(api, f"/v1/issuing-accounts/{second['id']}"))["isDefault"]


async def test_switching_the_default_at_once_leaves_exactly_one(api: ApiClient) -> None:
    accounts = [await api.create("/v1/issuing-accounts", {"tradeName": f"Seller {n}"}) for n in range(6)]
    answers = await asyncio.gather(
        *(
            api.patch(f"/v1/issuing-accounts/{account['id']}", json={"isDefault": True})
            for account in accounts
        )
    )
    assert [answer.status_code for answer in answers] == [200] * len(accounts)
    listed = (await fetch(api, "/v1/issuing-accounts?limit=100"))["data"]
    assert sum(row["isDefault"] for row in listed) == 1


# -- invoices --------------------------------------------------------------------------------------------


async def test_draft_invoice_edit_is_visible(api: ApiClient) -> None:
    invoice = await make_invoice(api, memo="old")
    customer_id = invoice["customerId"]
    payment = await api.create(f"/v1/customers/{customer_id}/payment-accounts", {"tradeName": "AP"})
    issuing = await api.create("/v1/issuing-accounts", {"tradeName": "Seller 2"})
    url = f"/v1/invoices/{invoice['id']}"
    answer = await patched(
        api,
        url,
        {
            "memo": "Thanks",
            "invoiceDate": "2026-03-20",
            "paymentTermsDays": 15,
            "paymentAccountId": payment["id"],
            "issuingAccountId": issuing["id"],
            "autoIssue": True,
        },
    )
    assert answer["memo"] == "Thanks"
    assert answer["invoiceDate"] == "2026-03-20"
    assert (answer["periodStart"], answer["periodEnd"]) == ("2026-03-01", "2026-03-31")  # not moved
    assert answer["paymentTermsDays"] == 15
    assert (answer["paymentAccountId"], answer["issuingAccountId"]) == (payment["id"], issuing["id"])
    assert answer["autoIssue"] is True
    answer = await patched(api, url, {"memo": None, "paymentTermsDays": None})
    assert (answer["memo"], answer["paymentTermsDays"]) == (None, None)
    assert await patched(api, url, {}) == answer


async def test_a_new_period_moves_what_followed_the_old_one(api: ApiClient) -> None:
    invoice = await make_invoice(api)
    url = f"/v1/invoices/{invoice['id']}"
    group = await api.create(f"{url}/line-item-groups", {"name": "Plan"})
    own = await api.create(
        f"{url}/line-item-groups", {"name": "Own", "startDate": "2026-03-10", "endDate": "2026-03-20"}
    )
    defaulted = await api.create(
        f"{url}/line-items", {"name": "Seats", "quantity": "2", "unitPrice": "10.00"}
    )
    in_group = await api.create(
        f"{url}/line-items", {"name": "Base", "amount": "3.00", "lineItemGroupId": group["id"]}
    )
    explicit = await api.create(
        f"{url}/line-items",
        {"name": "Setup", "amount": "7.00", "startDate": "2026-03-05", "endDate": "2026-03-06"},
    )
    prorated = await api.create(
        f"{url}/line-items",
        {"name": "Prorated", "price": {"model": "fixed", "amount": "30.00", "billingModel": "proration"}},
    )
    assert prorated["subtotalAmount"] == "30.00"  # all of March
    response = await api.patch(url, json={"periodStart": "2026-04-01", "periodEnd": "2026-04-15"})
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer == await fetch(api, url)
    assert (answer["periodStart"], answer["periodEnd"]) == ("2026-04-01", "2026-04-15")
    groups = {row["id"]: row for row in answer["lineItemGroups"]}
    assert (groups[group["id"]]["startDate"], groups[group["id"]]["endDate"]) == ("2026-04-01", "2026-04-15")
    assert (groups[own["id"]]["startDate"], groups[own["id"]]["endDate"]) == ("2026-03-10", "2026-03-20")
    lines = {row["id"]: row for row in answer["standaloneLineItems"]}
    lines.update({row["id"]: row for row in groups[group["id"]]["lineItems"]})
    for line in (defaulted, in_group, prorated):
        assert (lines[line["id"]]["startDate"], lines[line["id"]]["endDate"]) == ("2026-04-01", "2026-04-15")
    assert (lines[explicit["id"]]["startDate"], lines[explicit["id"]]["endDate"]) == (
        "2026-03-05",
        "2026-03-06",
    )
    assert lines[defaulted["id"]]["subtotalAmount"] == "20.00"
    assert lines[prorated["id"]]["subtotalAmount"] == "15.00"  # priced again: half of April
    assert answer["subtotalAmount"] == "45.00"  # 20 + 3 + 7 + 15


async def test_a_period_that_a_following_line_cannot_be_priced_for_is_refused_whole(api: ApiClient) -> None:
    invoice = await make_invoice(api, memo="kept")
    url = f"/v1/invoices/{invoice['id']}"
    await api.create(f"{url}/line-items", {"name": "Plain", "amount": "5.00"})
    seats = {"model": "unit", "unitPrice": "31.00", "billingModel": "proration"}
    interval = {"startDate": "2026-03-01", "endDate": "2026-03-31", "quantity": "2"}
    line = await api.create(f"{url}/line-items", {"name": "Seats", "price": seats, "intervals": [interval]})
    before = await fetch(api, url)
    response = await api.patch(
        url, json={"periodStart": "2026-04-01", "periodEnd": "2026-04-30", "memo": "x"}
    )
    body = error_of(response, 400)
    # the line the new period breaks is named, with its own field
    assert all(field.startswith(f"lineItems[{line['id']}].intervals") for field in body["details"]), body
    assert await fetch(api, url) == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"periodEnd": "2026-02-01"}, "periodEnd"),
        ({"periodStart": "2026-04-01"}, "periodEnd"),
        ({"periodStart": None}, "periodStart"),
        ({"invoiceDate": None}, "invoiceDate"),
        ({"invoiceDate": "2026-02-30"}, "invoiceDate"),
        ({"dueDate": "2026-05-01"}, "dueDate"),
        ({"paymentTermsDays": 4000}, "paymentTermsDays"),
        ({"memo": 5}, "memo"),
        ({"autoIssue": "true"}, "autoIssue"),
        ({"paymentAccountId": None}, "paymentAccountId"),
        ({"currency": "EUR"}, "currency"),
        ({"customerId": "0190a3c4-0000-7000-8000-000000000000"}, "customerId"),
    ],
)
async def test_an_invalid_invoice_edit_names_the_field_and_writes_nothing(
    api: ApiClient, body: dict[str, Any], field: str
) -> None:
    invoice = await make_invoice(api, memo="kept")
    url = f"/v1/invoices/{invoice['id']}"
    before = await fetch(api, url)
    error_of(
        await api.patch(url, json={**body, "memo": "changed"} if "memo" not in body else body), 400, field
    )
    assert await fetch(api, url) == before


async def test_invoice_accounts_must_be_the_customers_and_the_organizations(
    api: ApiClient, other: ApiClient
) -> None:
    invoice = await make_invoice(api, memo="kept")
    url = f"/v1/invoices/{invoice['id']}"
    before = await fetch(api, url)
    stranger = await api.create("/v1/customers", {"name": "Someone else"})
    strangers_account = (await fetch(api, f"/v1/customers/{stranger['id']}/payment-accounts"))["data"][0]
    foreign_issuer = (await fetch(other, "/v1/issuing-accounts"))["data"][0]
    foreign_invoice = await make_invoice(other)
    foreign_account = (await fetch(other, f"/v1/customers/{foreign_invoice['customerId']}/payment-accounts"))[
        "data"
    ][0]
    for body, field in (
        ({"paymentAccountId": strangers_account["id"]}, "paymentAccountId"),
        ({"paymentAccountId": foreign_account["id"]}, "paymentAccountId"),
        ({"issuingAccountId": foreign_issuer["id"]}, "issuingAccountId"),
    ):
        error_of(await api.patch(url, json={**body, "memo": "changed"}), 404, field)
    assert await fetch(api, url) == before


async def test_a_non_draft_invoice_is_locked(api: ApiClient) -> None:
    invoice = await make_invoice(api, memo="kept")
    url = f"/v1/invoices/{invoice['id']}"
    await api.create(f"{url}/line-items", {"name": "Work", "amount": "5.00"})
    assert (await api.post(f"{url}/review", json={})).status_code == 200
    error_of(await api.patch(url, json={"memo": "changed"}), 409, code="invoice_locked")
    assert (await api.post(f"{url}/issue", json={"issueDate": "2026-03-20"})).status_code == 200
    before = await fetch(api, url)
    for body in ({"memo": "changed"}, {"periodStart": "2026-04-01", "periodEnd": "2026-04-30"}, {}):
        error_of(await api.patch(url, json=body), 409, code="invoice_locked")
    assert await fetch(api, url) == before


# -- another organization ------------------------------------------------------------------------------


async def test_another_organizations_ids_answer_404_and_change_nothing(
    api: ApiClient, other: ApiClient
) -> None:
    invoice = await make_invoice(api, memo="mine")
    customer_url = f"/v1/customers/{invoice['customerId']}"
    account_url = f"/v1/issuing-accounts/{invoice['issuingAccountId']}"
    invoice_url = f"/v1/invoices/{invoice['id']}"
    before = [await fetch(api, url) for url in (customer_url, account_url, invoice_url)]
    for url, body in (
        (customer_url, {"name": "Taken"}),
        (customer_url, {}),
        (account_url, {"tradeName": "Taken", "isDefault": True}),
        (invoice_url, {"memo": "Taken"}),
        (invoice_url, {}),
    ):
        error_of(await other.patch(url, json=body), 404, code="not_found")
    assert [await fetch(api, url) for url in (customer_url, account_url, invoice_url)] == before


async def test_a_line_into_a_group_not_on_its_invoice_is_404_naming_the_group(
    api: ApiClient, engine: AsyncEngine
) -> None:
    invoice = await make_invoice(api)
    url = f"/v1/invoices/{invoice['id']}/line-items"
    second = await make_invoice(api)
    theirs = await api.create(f"/v1/invoices/{second['id']}/line-item-groups", {"name": "Second's"})
    other = ApiClient(api.raw, await new_api_key(engine, "Other groups"))
    foreign_invoice = await make_invoice(other)
    foreign = await other.create(f"/v1/invoices/{foreign_invoice['id']}/line-item-groups", {"name": "X"})
    for group_id in (theirs["id"], foreign["id"], "00000000-0000-7000-8000-000000000000"):
        body = {"name": "Seat", "amount": "1.00", "lineItemGroupId": group_id}
        response = await api.post(url, json=body)
        assert response.status_code == 404, response.text
        assert response.json()["details"] == {"lineItemGroupId": "no such group on this invoice"}
    missing = await api.post(
        "/v1/invoices/00000000-0000-7000-8000-000000000000/line-items",
        json={"name": "Seat", "amount": "1.00", "lineItemGroupId": theirs["id"]},
    )
    assert missing.status_code == 404
    assert "invoice" in missing.json()["message"]
    assert (await api.get(url)).json()["data"] == []
    assert (await api.get(f"/v1/invoices/{second['id']}/line-items")).json()["data"] == []
    own = await api.create(f"/v1/invoices/{invoice['id']}/line-item-groups", {"name": "Own"})
    line = await api.create(url, {"name": "Seat", "amount": "1.00", "lineItemGroupId": own["id"]})
    assert line["lineItemGroupId"] == own["id"]
