"""Building invoices with everything EN 16931 can express, through the API (shared by the document tests)."""

from __future__ import annotations

from typing import Any

from conftest import ApiClient

SELLER_VAT = "DE123456788"
BUYER_VAT = "FR40303265045"
SELLER = {
    "businessName": "Billfold Demo GmbH",
    "tradeName": "Billfold Demo",
    "vatId": SELLER_VAT,
    "legalRegistrationId": "HRB 123456",
    "contact": {"name": "Anna Schmidt", "phone": "+49 30 1234567", "email": "billing@billfold.example"},
    "iban": "DE89 3704 0044 0532 0130 00",
    "bic": "COBADEFFXXX",
    "electronicAddress": {"value": SELLER_VAT, "scheme": "9930"},
    "address": {
        "street": "Hauptstraße",
        "number": "1",
        "city": "Berlin",
        "zipCode": "10115",
        "country": "DE",
    },
}
BUYER_ADDRESS = {
    "street": "Rue de la Paix",
    "number": "12",
    "city": "Paris",
    "zipCode": "75002",
    "country": "FR",
}


async def tax_category(api: ApiClient, name: str, rate: str, **fields: object) -> str:
    body = {"name": name, "rates": [{"rate": rate, **fields}]}
    return str((await api.create("/v1/tax-categories", body))["id"])


async def seller(api: ApiClient, **changes: object) -> dict[str, Any]:
    """The organization's default issuing account, with the seller's EN 16931 data."""
    account = (await api.get("/v1/issuing-accounts")).json()["data"][0]
    response = await api.patch(f"/v1/issuing-accounts/{account['id']}", json={**SELLER, **changes})
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()
    return data


async def customer(api: ApiClient, currency: str = "EUR", **fields: object) -> str:
    body = {
        "name": "Acme Industries SARL",
        "currency": currency,
        "taxId": BUYER_VAT,
        "taxIdType": "eu_vat",
        "emails": ["ap@acme.example"],
        "address": BUYER_ADDRESS,
        **fields,
    }
    return str((await api.create("/v1/customers", body))["id"])


async def invoice(api: ApiClient, customer_id: str, **fields: object) -> str:
    body = {"customerId": customer_id, "invoiceDate": "2026-11-20", "memo": "November", **fields}
    return str((await api.create("/v1/invoices", body))["id"])


async def issue(api: ApiClient, invoice_id: str) -> dict[str, Any]:
    response = await api.post(f"/v1/invoices/{invoice_id}/issue", json={})
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()
    return data


async def full_invoice(api: ApiClient) -> tuple[str, dict[str, Any]]:
    """An EUR invoice with two VAT rates, an exempt (E) and a reverse-charge (AE) line, an inclusive
    price, line and invoice discounts, a usage line with sub lines, a credit line, credits applied at
    issue and a partial payment after. Returns its id and the issued invoice as the API answers it."""
    await seller(api)
    std = await tax_category(api, "VAT 19", "19", vatCategory="S")
    reduced = await tax_category(api, "VAT 7", "7")
    exempt = await tax_category(
        api, "Exempt", "0", vatCategory="E", exemptionReason="Exempt under Art. 132(1)(i) 2006/112/EC"
    )
    reverse = await tax_category(
        api, "Reverse charge", "0", vatCategory="AE", exemptionReasonCode="VATEX-EU-AE"
    )
    gross = await tax_category(api, "VAT 19 incl.", "19", inclusive=True)
    patched = await api.patch("/v1/organization", json={"defaultTaxCategoryId": std})
    assert patched.status_code == 200, patched.text
    buyer = await customer(api, locale="de", electronicAddress={"value": "ap@acme.example", "scheme": "EM"})
    granted = await api.post(f"/v1/customers/{buyer}/credits", json={"amount": "10.00", "currency": "EUR"})
    assert granted.status_code == 201, granted.text
    invoice_id = await invoice(api, buyer, buyerReference="PO-REF-7", purchaseOrder="PO-2026-11")
    base = f"/v1/invoices/{invoice_id}"
    group = await api.create(f"{base}/line-item-groups", {"name": "Seats"})
    seat = await api.create(
        f"{base}/line-items",
        {
            "name": "Seat",
            "lineItemGroupId": group["id"],
            "quantity": "3",
            "unitPrice": "0.335",
            "unitCode": "C62",
        },
    )
    discounted = await api.post(
        f"{base}/line-items/{seat['id']}/adjustments", json={"type": "amount_discount", "amount": "0.10"}
    )
    assert discounted.status_code == 201, discounted.text
    await api.create(
        f"{base}/line-items",
        {"name": "Books", "quantity": "2", "unitPrice": "12.50", "taxCategoryId": reduced, "unitCode": "H87"},
    )
    await api.create(f"{base}/line-items", {"name": "Training", "amount": "100.00", "taxCategoryId": exempt})
    await api.create(
        f"{base}/line-items",
        {"name": "Consulting", "quantity": "4", "unitPrice": "150", "taxCategoryId": reverse},
    )
    await api.create(
        f"{base}/line-items",
        {"name": "Shop item", "quantity": "1", "unitPrice": "11.90", "taxCategoryId": gross},
    )
    graduated = {
        "model": "graduated",
        "tiers": [
            {"from": "0", "to": "100", "unitPrice": "0.10"},
            {"from": "100", "to": None, "unitPrice": "0.0725"},
        ],
    }
    await api.create(f"{base}/line-items", {"name": "API calls", "price": graduated, "usage": "1234"})
    await api.create(f"{base}/line-items", {"name": "Goodwill credit", "quantity": "1", "unitPrice": "-5.00"})
    invoice_discount = await api.post(
        f"{base}/adjustments", json={"type": "percentage_discount", "percentage": "5"}
    )
    assert invoice_discount.status_code == 201, invoice_discount.text
    issued = await issue(api, invoice_id)
    paid = await api.post(f"{base}/payments", json={"amount": "50.00"})
    assert paid.status_code == 201, paid.text
    final = (await api.get(base)).json()
    return invoice_id, {**issued, **final}
