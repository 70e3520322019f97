"""Dates at the ends of the calendar (0001-01-01, 9999-12-31) on every date the API computes with.

A computed date that would fall outside the calendar (a due date, a billing period) is a 400 naming the
field, never a 500; everything that stays inside works, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import httpx
import pytest

from billfold.services.errors import ValidationFailed
from billfold.services.lifecycle import due_date
from conftest import ApiClient, make_invoice, today


def refused(response: httpx.Response, field: str) -> dict[str, Any]:
    assert response.status_code == 400, response.text
    body: dict[str, Any] = response.json()
    assert field in body["details"], body
    assert "9999-12-31" in body["details"][field], body
    return body


async def _issue(api: ApiClient, invoice_id: object, day: str) -> httpx.Response:
    await api.create(f"/v1/invoices/{invoice_id}/line-items", {"name": "Fee", "amount": "10.00"})
    return await api.post(f"/v1/invoices/{invoice_id}/issue", json={"issueDate": day})


async def test_an_issue_date_at_the_end_of_the_calendar_is_a_400_and_uses_no_number(api: ApiClient) -> None:
    invoice = await make_invoice(api)
    response = await _issue(api, invoice["id"], "9999-12-31")
    assert response.status_code == 400, response.text
    assert response.json()["details"] == {"issueDate": f"must not be after today ({today()})"}
    after = (await api.get(f"/v1/invoices/{invoice['id']}")).json()
    assert after["status"] == "draft"
    assert after["invoiceNumber"] is None
    issued = await api.post(f"/v1/invoices/{invoice['id']}/issue", json={"issueDate": "2026-03-15"})
    assert issued.status_code == 200, issued.text
    assert issued.json()["invoiceNumber"].endswith("000001")  # the refused issue used no number


def test_a_due_date_past_the_calendar_is_a_400_on_issue_date() -> None:
    # an issue date is never after today, so only the service's own guard can meet this
    assert due_date(date(9999, 12, 31), 0) == date(9999, 12, 31)
    with pytest.raises(ValidationFailed) as caught:
        due_date(date(9991, 1, 1), 3650)  # + 3650 days: 10000-12-29
    assert "9999-12-31" in caught.value.details["issueDate"]
    assert "3650 days" in caught.value.details["issueDate"]


async def test_long_payment_terms(api: ApiClient) -> None:
    invoice = await make_invoice(api, paymentTermsDays=3650)
    issued = await _issue(api, invoice["id"], today())
    assert issued.status_code == 200, issued.text
    assert issued.json()["dueDate"] == (date.fromisoformat(today()) + timedelta(days=3650)).isoformat()
    overdue = await api.get("/v1/invoices?status=overdue")
    assert overdue.status_code == 200, overdue.text


async def test_invoices_at_both_ends_of_the_calendar(api: ApiClient) -> None:
    first = await make_invoice(api, invoiceDate="0001-01-01")
    assert (first["periodStart"], first["periodEnd"]) == ("0001-01-01", "0001-01-31")
    last = await make_invoice(api, invoiceDate="9999-12-31")
    assert (last["periodStart"], last["periodEnd"]) == ("9999-12-01", "9999-12-31")
    base = f"/v1/invoices/{last['id']}"
    group = await api.create(f"{base}/line-item-groups", {"name": "All time"})
    line = await api.create(
        f"{base}/line-items",
        {
            "name": "Span",
            "amount": "1.00",
            "lineItemGroupId": group["id"],
            "startDate": "0001-01-01",
            "endDate": "9999-12-31",
        },
    )
    assert (line["startDate"], line["endDate"]) == ("0001-01-01", "9999-12-31")
    issued = await _issue(api, first["id"], "0001-01-01")
    assert issued.status_code == 200, issued.text
    assert issued.json()["dueDate"] == "0001-01-31"
    for url in (f"/v1/invoices/{first['id']}", base, "/v1/invoices", "/v1/invoices?status=overdue"):
        response = await api.get(url)
        assert response.status_code == 200, (url, response.text)


async def test_prorated_billing_periods_at_the_end_of_the_calendar(api: ApiClient) -> None:
    invoice = await make_invoice(api, invoiceDate="9999-12-31")
    base = f"/v1/invoices/{invoice['id']}"
    product = await api.create("/v1/products", {"name": "Seats"})
    common = {"productId": product["id"], "currency": "USD", "model": "unit", "billingModel": "proration"}
    monthly = await api.create("/v1/prices", {**common, "unitPrice": "31.00"})
    yearly = await api.create("/v1/prices", {**common, "unitPrice": "365.00", "billingInterval": "year"})
    daily = await api.create("/v1/prices", {**common, "unitPrice": "30.00", "billingInterval": "30"})
    december = {"usage": "1", "startDate": "9999-12-01", "endDate": "9999-12-31"}
    line = await api.create(f"{base}/line-items", {"priceId": monthly["id"], **december})
    assert line["totalAmount"] == "31.00"
    line = await api.create(f"{base}/line-items", {"priceId": yearly["id"], **december})
    assert line["totalAmount"] == "31.00"
    late = {"priceId": daily["id"], "usage": "1", "startDate": "9999-12-20", "endDate": "9999-12-31"}
    refused(await api.post(f"{base}/line-items", json=late), "startDate")
    early = await make_invoice(api, invoiceDate="0001-01-01")
    line = await api.create(
        f"/v1/invoices/{early['id']}/line-items",
        {"priceId": daily["id"], "usage": "1", "startDate": "0001-01-01", "endDate": "0001-01-30"},
    )
    assert line["totalAmount"] == "30.00"
    lines = (await api.get(f"{base}/line-items")).json()["data"]
    assert len(lines) == 2


async def test_credits_and_payments_at_the_end_of_the_calendar(api: ApiClient) -> None:
    invoice = await make_invoice(api, paymentTermsDays=0)
    customer = invoice["customerId"]
    grant = await api.create(
        f"/v1/customers/{customer}/credits", {"amount": "5.00", "expiresOn": "9999-12-31"}
    )
    assert grant["expiresOn"] == "9999-12-31"
    issued = await _issue(api, invoice["id"], today())
    assert issued.status_code == 200, issued.text
    assert issued.json()["creditsAppliedAmount"] == "5.00"  # the credit lasts until 9999-12-31
    future = await api.post(
        f"/v1/invoices/{invoice['id']}/payments", json={"amount": "4.99", "date": "9999-12-31"}
    )
    assert future.status_code == 400, future.text  # money is not received in the future
    assert future.json()["details"] == {"date": f"must not be after today ({today()})"}
    assert (await api.get(f"/v1/invoices/{invoice['id']}/payments")).json()["data"] == []
    payment = await api.post(
        f"/v1/invoices/{invoice['id']}/payments", json={"amount": "4.99", "date": today()}
    )
    assert payment.status_code == 201, payment.text
    assert payment.json()["date"] == today()
    early = await api.post(
        f"/v1/invoices/{invoice['id']}/payments", json={"amount": "0.01", "date": "0001-01-01"}
    )
    assert early.status_code == 400, early.text  # nor before the invoice was issued
    assert early.json()["details"] == {"date": f"must not be before the invoice's issue date {today()}"}
    assert (await api.get(f"/v1/customers/{customer}/credits")).status_code == 200
