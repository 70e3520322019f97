"""Corrections under concurrency, voids that reverse what an invoice consumed, and negative invoices."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

from conftest import ApiClient, make_invoice, today
from credit_note_support import assert_reconciles

D = Decimal


async def _issued(api: ApiClient, amount: str = "100.00", customer_id: str | None = None) -> dict[str, Any]:
    if customer_id is None:
        invoice = await make_invoice(api, invoiceDate=today())
    else:
        invoice = await api.create("/v1/invoices", {"customerId": customer_id, "invoiceDate": today()})
    await api.create(f"/v1/invoices/{invoice['id']}/line-items", {"name": "Service", "amount": amount})
    response = await api.post(f"/v1/invoices/{invoice['id']}/issue", json={"issueDate": today()})
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()
    return data


async def _get(api: ApiClient, url: str) -> Any:
    response = await api.get(url)
    assert response.status_code == 200, response.text
    return response.json()


async def _notes(api: ApiClient, invoice_id: str) -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = (await _get(api, f"/v1/credit-notes?invoiceId={invoice_id}&limit=100"))[
        "data"
    ]
    return data


async def _balance(api: ApiClient, customer_id: str) -> str:
    balances = (await _get(api, f"/v1/customers/{customer_id}/credits"))["balances"]
    return str(balances[0]["available"]) if balances else "0.00"


async def test_void_returns_the_credit_an_invoice_applied(api: ApiClient) -> None:
    customer = await api.create("/v1/customers", {"name": "Prepaid", "currency": "USD"})
    customer_id = str(customer["id"])
    await api.create(f"/v1/customers/{customer_id}/credits", {"amount": "30.00"})
    invoice = await _issued(api, customer_id=customer_id)
    assert (invoice["creditsAppliedAmount"], invoice["amountRemaining"]) == ("30.00", "70.00")
    assert await _balance(api, customer_id) == "0.00"
    voided = await api.post(f"/v1/invoices/{invoice['id']}/void", json={"reason": "wrong customer"})
    assert voided.status_code == 200, voided.text
    assert await _balance(api, customer_id) == "30.00"
    ledger = (await _get(api, f"/v1/customers/{customer_id}/credits"))["data"]
    returned = [entry for entry in ledger if entry["kind"] == "return"]
    assert [(e["amount"], e["invoiceId"]) for e in returned] == [("30.00", invoice["id"])]
    # the returned credit is usable again
    again = await _issued(api, customer_id=customer_id)
    assert again["creditsAppliedAmount"] == "30.00"


async def test_void_is_refused_once_payments_or_credit_notes_exist(api: ApiClient) -> None:
    paid = await _issued(api)
    assert (
        await api.post(f"/v1/invoices/{paid['id']}/payments", json={"amount": "10.00"})
    ).status_code == 201
    refused = await api.post(f"/v1/invoices/{paid['id']}/void", json={"reason": "x"})
    assert (refused.status_code, refused.json()["code"]) == (409, "invoice_has_payments")
    assert (await _get(api, f"/v1/invoices/{paid['id']}"))["status"] == "issued"
    credited = await _issued(api)
    note = await api.post(
        f"/v1/invoices/{credited['id']}/credit-notes", json={"reason": "other", "amount": "5.00"}
    )
    assert note.status_code == 201, note.text
    refused = await api.post(f"/v1/invoices/{credited['id']}/void", json={"reason": "x"})
    assert (refused.status_code, refused.json()["code"]) == (409, "invoice_has_credit_notes")
    assert (await api.post(f"/v1/credit-notes/{note.json()['id']}/void", json={})).status_code == 200
    assert (await api.post(f"/v1/invoices/{credited['id']}/void", json={"reason": "x"})).status_code == 200


async def test_negative_invoice_credits_the_customer_and_reads_paid(api: ApiClient) -> None:
    invoice = await _issued(api, amount="-50.00")
    assert (invoice["status"], invoice["totalAmount"]) == ("paid", "-50.00")
    assert (invoice["amountDue"], invoice["amountRemaining"]) == ("0.00", "0.00")
    customer_id = str(invoice["customerId"])
    assert await _balance(api, customer_id) == "50.00"
    ledger = (await _get(api, f"/v1/customers/{customer_id}/credits"))["data"]
    assert [(e["kind"], e["amount"], e["invoiceId"]) for e in ledger] == [("grant", "50.00", invoice["id"])]
    refused = await api.post(
        f"/v1/invoices/{invoice['id']}/credit-notes", json={"reason": "other", "amount": "1.00"}
    )
    assert (refused.status_code, refused.json()["code"]) == (409, "credit_exceeds_invoice")
    # the next invoice takes the credit
    following = await _issued(api, amount="80.00", customer_id=customer_id)
    assert (following["creditsAppliedAmount"], following["amountRemaining"]) == ("50.00", "30.00")


async def test_concurrent_notes_for_the_whole_remaining_amount_one_wins(api: ApiClient) -> None:
    invoice = await _issued(api)
    url = f"/v1/invoices/{invoice['id']}/credit-notes"
    responses = await asyncio.gather(
        *(api.post(url, json={"reason": "duplicate", "amount": "100.00"}) for _ in range(20))
    )
    assert sorted(r.status_code for r in responses) == [201] + [409] * 19, [r.text for r in responses]
    assert {r.json()["code"] for r in responses if r.status_code == 409} <= {
        "credit_exceeds_invoice",
        "credit_exceeds_remaining",
    }
    after = await _get(api, f"/v1/invoices/{invoice['id']}")
    assert (after["status"], after["creditedAmount"], after["amountRemaining"]) == ("paid", "100.00", "0.00")
    notes = await _notes(api, str(invoice["id"]))
    assert len(notes) == 1
    assert_reconciles(after, notes)


async def test_concurrent_refunds_never_refund_more_than_was_paid(api: ApiClient) -> None:
    invoice = await _issued(api)
    assert (
        await api.post(f"/v1/invoices/{invoice['id']}/payments", json={"amount": "30.00"})
    ).status_code == 201
    url = f"/v1/invoices/{invoice['id']}/credit-notes"
    body = {"reason": "product_unsatisfactory", "amount": "4.00", "refundAmount": "4.00"}
    responses = await asyncio.gather(*(api.post(url, json=body) for _ in range(20)))
    created = [r for r in responses if r.status_code == 201]
    assert len(created) == 7  # 7 × 4.00 = 28.00 of the 30.00 paid
    assert {r.json()["code"] for r in responses if r.status_code != 201} == {"refund_exceeds_paid"}
    after = await _get(api, f"/v1/invoices/{invoice['id']}")
    refunds = (await _get(api, f"/v1/invoices/{invoice['id']}/refunds"))["data"]
    assert after["refundedAmount"] == "28.00"
    assert sum(D(r["amount"]) for r in refunds) == D("28.00")
    assert D(after["refundedAmount"]) <= D(after["amountPaid"])
    assert_reconciles(after, await _notes(api, str(invoice["id"])))


async def test_a_credit_note_racing_a_payment_leaves_amounts_consistent(api: ApiClient) -> None:
    for _ in range(3):
        invoice = await _issued(api)
        base = f"/v1/invoices/{invoice['id']}"
        assert (await api.post(f"{base}/payments", json={"amount": "40.00"})).status_code == 201
        note, payment = await asyncio.gather(
            api.post(f"{base}/credit-notes", json={"reason": "order_change", "amount": "60.00"}),
            api.post(f"{base}/payments", json={"amount": "60.00"}),
        )
        assert sorted([note.status_code, payment.status_code]) == [201, 409], (note.text, payment.text)
        after = await _get(api, base)
        assert (after["status"], after["amountRemaining"]) == ("paid", "0.00")
        notes = await _notes(api, str(invoice["id"]))
        assert_reconciles(after, notes)
        assert D(after["amountPaid"]) + D(after["creditedAmount"]) == D("100.00")
