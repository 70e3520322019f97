"""Credit notes through the API: each settlement, voids, numbering, idempotency, refunds and the
reconciliation of an invoice with its notes, payments and the customer's balance."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from billfold.api.responses import CreditNoteOut, InvoiceOut, PaymentHistoryPage, RefundOut, page_of
from conftest import ApiClient, make_invoice
from credit_note_support import assert_reconciles

D = Decimal
ISSUE = "2026-03-15"


async def _category(api: ApiClient, rate: str = "20") -> str:
    body = {"name": f"VAT {rate}", "rates": [{"rate": rate}]}
    return str((await api.create("/v1/tax-categories", body))["id"])


async def _issued(
    api: ApiClient, lines: list[dict[str, Any]] | None = None, **fields: object
) -> tuple[str, list[str]]:
    """An issued invoice with ``lines`` (default: one line of 100.00); its id and its lines' ids."""
    invoice = await make_invoice(api, **fields)
    base = f"/v1/invoices/{invoice['id']}"
    ids = []
    for line in lines or [{"name": "Service", "amount": "100.00"}]:
        ids.append(str((await api.create(f"{base}/line-items", line))["id"]))
    issued = await api.post(f"{base}/issue", json={"issueDate": ISSUE})
    assert issued.status_code == 200, issued.text
    return str(invoice["id"]), ids


async def _invoice(api: ApiClient, invoice_id: str) -> dict[str, Any]:
    response = await api.get(f"/v1/invoices/{invoice_id}")
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()
    InvoiceOut.model_validate(data)
    return data


async def _note(api: ApiClient, invoice_id: str, body: dict[str, Any], status: int = 201) -> dict[str, Any]:
    response = await api.post(f"/v1/invoices/{invoice_id}/credit-notes", json={"issueDate": ISSUE, **body})
    assert response.status_code == status, response.text
    data: dict[str, Any] = response.json()
    if status == 201:
        CreditNoteOut.model_validate(data)
    return data


async def _pay(api: ApiClient, invoice_id: str, amount: str) -> None:
    response = await api.post(f"/v1/invoices/{invoice_id}/payments", json={"amount": amount})
    assert response.status_code == 201, response.text


async def _balance(api: ApiClient, customer_id: str) -> str:
    balances = (await api.get(f"/v1/customers/{customer_id}/credits")).json()["balances"]
    return str(balances[0]["available"]) if balances else "0.00"


async def test_done_when_walkthrough(api: ApiClient) -> None:
    """Issue, take a partial payment, credit one line partly with a partial refund, and read back the
    invoice, the credit note, the refund and the customer's balance: they agree to the cent."""
    vat = await _category(api)
    invoice_id, (hours, _licence) = await _issued(
        api,
        [
            {"name": "Consulting", "quantity": "10", "unitPrice": "95.00", "taxCategoryId": vat},
            {"name": "Licence", "amount": "200.00", "taxCategoryId": vat},
        ],
        currency="EUR",
    )
    invoice = await _invoice(api, invoice_id)
    assert invoice["totalAmount"] == "1380.00"  # (950 + 200) × 1.2
    await _pay(api, invoice_id, "500.00")
    note = await _note(
        api,
        invoice_id,
        {
            "reason": "product_unsatisfactory",
            "memo": "Three hours not delivered",
            "lines": [{"lineItemId": hours, "quantity": "3"}],
            "refundAmount": "100.00",
            "creditAmount": "42.00",
            "idempotencyKey": "walkthrough",
        },
    )
    assert note["number"] == "CN-2026-000001"
    assert (note["subtotalAmount"], note["netAmount"], note["taxAmount"], note["totalAmount"]) == (
        "285.00",
        "285.00",
        "57.00",
        "342.00",
    )
    assert (note["refundAmount"], note["reductionAmount"], note["creditAmount"]) == (
        "100.00",
        "200.00",
        "42.00",
    )
    assert note["lines"][0]["lineItemId"] == hours
    assert note["lines"][0]["quantity"] == "3"
    assert note["taxSummary"] == [
        {
            "taxCategoryId": vat,
            "rate": "20",
            "inclusive": False,
            "taxableAmount": "285.00",
            "taxAmount": "57.00",
        }
    ]
    assert note["pdfUrl"] == f"http://billfold.test/v1/credit-notes/{note['id']}/pdf"
    after = await _invoice(api, invoice_id)
    assert (after["creditedAmount"], after["refundedAmount"], after["amountPaid"]) == (
        "342.00",
        "100.00",
        "500.00",
    )
    assert after["amountRemaining"] == "680.00"  # 1380 − 500 − 200
    assert after["status"] in ("issued", "overdue")
    assert after["creditNotes"] == [
        {
            "id": note["id"],
            "number": "CN-2026-000001",
            "status": "issued",
            "issueDate": ISSUE,
            "totalAmount": "342.00",
            "reductionAmount": "200.00",
        }
    ]
    refunds = (await api.get(f"/v1/invoices/{invoice_id}/refunds")).json()
    page_of(RefundOut).model_validate(refunds)
    assert [(r["amount"], r["creditNoteId"]) for r in refunds["data"]] == [("100.00", note["id"])]
    history = (await api.get(f"/v1/invoices/{invoice_id}/payments")).json()
    PaymentHistoryPage.model_validate(history)
    assert [(x["type"], x["amount"]) for x in history["data"]] == [
        ("payment", "500.00"),
        ("refund", "100.00"),
    ]
    assert await _balance(api, str(after["customerId"])) == "42.00"
    by_customer = (await api.get("/v1/credit-notes", params={"customerId": after["customerId"]})).json()
    assert [n["id"] for n in by_customer["data"]] == [note["id"]]
    read = (await api.get(f"/v1/credit-notes/{note['id']}")).json()
    assert read == note
    assert_reconciles(after, [read])
    # the customer pays what remains: the invoice is paid, and everything still reconciles
    await _pay(api, invoice_id, "680.00")
    paid = await _invoice(api, invoice_id)
    assert (paid["status"], paid["amountRemaining"]) == ("paid", "0.00")
    assert_reconciles(paid, [read])
    events = [e["type"] for e in (await api.get(f"/v1/invoices/{invoice_id}/events")).json()["data"]]
    assert events[-4:] == [
        "credit_note.created",
        "refund.created",
        "invoice.payment_recorded",
        "invoice.paid",
    ]


async def test_reduction_pays_the_invoice_and_its_void_reopens_it(api: ApiClient) -> None:
    invoice_id, (line,) = await _issued(api)
    await _pay(api, invoice_id, "60.00")
    over = await _note(
        api, invoice_id, {"reason": "duplicate", "lines": [{"lineItemId": line, "amount": "50.00"}]}, 409
    )
    assert over["code"] == "credit_exceeds_remaining"
    assert "totalAmount" in over["details"]
    note = await _note(
        api, invoice_id, {"reason": "order_change", "lines": [{"lineItemId": line, "amount": "40.00"}]}
    )
    assert note["reductionAmount"] == "40.00"
    paid = await _invoice(api, invoice_id)
    assert (paid["status"], paid["amountRemaining"]) == ("paid", "0.00")
    assert_reconciles(paid, [note])
    voided = await api.post(f"/v1/credit-notes/{note['id']}/void", json={"reason": "issued by mistake"})
    assert voided.status_code == 200, voided.text
    assert (voided.json()["status"], voided.json()["voidReason"]) == ("void", "issued by mistake")
    assert voided.json()["voidedAt"] is not None
    reopened = await _invoice(api, invoice_id)
    assert (reopened["status"], reopened["amountRemaining"], reopened["creditedAmount"]) == (
        "overdue",  # issued again, and past its due date
        "40.00",
        "0.00",
    )
    assert reopened["creditNotes"][0]["status"] == "void"
    assert_reconciles(reopened, [voided.json()])
    again = await api.post(f"/v1/credit-notes/{note['id']}/void", json={})
    assert (again.status_code, again.json()["code"]) == (409, "invalid_transition")
    events = (await api.get(f"/v1/invoices/{invoice_id}/events")).json()["data"]
    last = events[-1]
    assert (last["type"], last["fromStatus"], last["toStatus"]) == ("credit_note.voided", "paid", "issued")


async def test_credit_to_the_balance_and_its_void(api: ApiClient) -> None:
    invoice_id, (line,) = await _issued(api)
    await _pay(api, invoice_id, "100.00")
    note = await _note(api, invoice_id, {"reason": "other", "amount": "30.00", "creditAmount": "30.00"})
    assert (note["creditAmount"], note["reductionAmount"], note["lines"][0]["lineItemId"]) == (
        "30.00",
        "0.00",
        None,
    )
    invoice = await _invoice(api, invoice_id)
    customer_id = str(invoice["customerId"])
    assert await _balance(api, customer_id) == "30.00"
    ledger = (await api.get(f"/v1/customers/{customer_id}/credits")).json()["data"]
    assert (ledger[0]["invoiceId"], ledger[0]["kind"]) == (invoice_id, "grant")
    assert_reconciles(invoice, [note])
    voided = await api.post(f"/v1/credit-notes/{note['id']}/void", json={})
    assert voided.status_code == 200, voided.text
    assert await _balance(api, customer_id) == "0.00"
    assert_reconciles(await _invoice(api, invoice_id), [voided.json()])
    assert line


async def test_void_refused_once_the_credit_was_used(api: ApiClient) -> None:
    invoice_id, _ = await _issued(api)
    await _pay(api, invoice_id, "100.00")
    note = await _note(api, invoice_id, {"reason": "other", "amount": "30.00", "creditAmount": "30.00"})
    customer_id = str((await _invoice(api, invoice_id))["customerId"])
    second = await api.create("/v1/invoices", {"customerId": customer_id, "invoiceDate": ISSUE})
    await api.create(f"/v1/invoices/{second['id']}/line-items", {"name": "More", "amount": "10.00"})
    today = datetime.now(UTC).date().isoformat()  # credit is usable from the day it was granted
    issued = (await api.post(f"/v1/invoices/{second['id']}/issue", json={"issueDate": today})).json()
    assert issued["creditsAppliedAmount"] == "10.00"
    refused = await api.post(f"/v1/credit-notes/{note['id']}/void", json={})
    assert (refused.status_code, refused.json()["code"]) == (409, "credit_note_credit_used")
    assert (await api.get(f"/v1/credit-notes/{note['id']}")).json()["status"] == "issued"
    assert await _balance(api, customer_id) == "20.00"


async def test_refund_and_out_of_band(api: ApiClient) -> None:
    invoice_id, (line,) = await _issued(api)
    await _pay(api, invoice_id, "30.00")
    too_much = await _note(
        api,
        invoice_id,
        {"reason": "fraudulent", "lines": [{"lineItemId": line, "amount": "50.00"}], "refundAmount": "30.01"},
        409,
    )
    assert (too_much["code"], list(too_much["details"])) == ("refund_exceeds_paid", ["refundAmount"])
    note = await _note(
        api,
        invoice_id,
        {
            "reason": "fraudulent",
            "lines": [{"lineItemId": line, "amount": "50.00"}],
            "refundAmount": "30.00",
            "outOfBandAmount": "5.00",
        },
    )
    assert (note["refundAmount"], note["outOfBandAmount"], note["reductionAmount"]) == (
        "30.00",
        "5.00",
        "15.00",
    )
    invoice = await _invoice(api, invoice_id)
    assert (invoice["amountRemaining"], invoice["refundedAmount"]) == ("55.00", "30.00")
    assert_reconciles(invoice, [note])
    refused = await api.post(f"/v1/credit-notes/{note['id']}/void", json={})
    assert (refused.status_code, refused.json()["code"]) == (409, "credit_note_refunded")
    # nothing more was paid that could be refunded
    again = await _note(
        api,
        invoice_id,
        {"reason": "other", "lines": [{"lineItemId": line, "amount": "1.00"}], "refundAmount": "0.01"},
        409,
    )
    assert again["code"] == "refund_exceeds_paid"


async def test_three_notes_of_three_cents_credit_the_tax_charged(api: ApiClient) -> None:
    vat = await _category(api)
    invoice_id, ids = await _issued(
        api, [{"name": f"L{i}", "quantity": "1", "unitPrice": "0.03", "taxCategoryId": vat} for i in range(3)]
    )
    invoice = await _invoice(api, invoice_id)
    assert (invoice["taxAmount"], invoice["totalAmount"]) == ("0.02", "0.11")
    notes = [
        await _note(api, invoice_id, {"reason": "other", "lines": [{"lineItemId": i, "quantity": "1"}]})
        for i in ids
    ]
    assert [n["taxAmount"] for n in notes] == ["0.01", "0.00", "0.01"]
    assert [n["number"] for n in notes] == ["CN-2026-000001", "CN-2026-000002", "CN-2026-000003"]
    after = await _invoice(api, invoice_id)
    assert (after["creditedAmount"], after["amountRemaining"], after["status"]) == ("0.11", "0.00", "paid")
    full = await _note(
        api, invoice_id, {"reason": "other", "lines": [{"lineItemId": ids[0], "quantity": "1"}]}, 409
    )
    assert full["code"] == "credit_exceeds_invoice"
    assert "lines[0].lineItemId" in full["details"]
    assert_reconciles(after, notes)


async def test_numbering_per_issuing_account_and_apart_from_invoices(api: ApiClient) -> None:
    other = await api.create(
        "/v1/issuing-accounts",
        {
            "businessName": "Branch",
            "creditNoteNumberPrefix": "AV",
            "creditNoteNumberFormat": "{prefix}{yy}-{seq:04}",
        },
    )
    assert (other["creditNoteNumberPrefix"], other["creditNoteNumberFormat"]) == (
        "AV",
        "{prefix}{yy}-{seq:04}",
    )
    first, (a,) = await _issued(api)
    second, (b,) = await _issued(api, issuingAccountId=other["id"])
    n1 = await _note(api, first, {"reason": "other", "lines": [{"lineItemId": a, "amount": "1.00"}]})
    n2 = await _note(api, second, {"reason": "other", "lines": [{"lineItemId": b, "amount": "1.00"}]})
    n3 = await _note(api, first, {"reason": "other", "lines": [{"lineItemId": a, "amount": "1.00"}]})
    assert (n1["number"], n2["number"], n3["number"]) == ("CN-2026-000001", "AV26-0001", "CN-2026-000002")
    assert (await _invoice(api, first))["invoiceNumber"] == "INV-2026-000001"
    locked = await api.patch(f"/v1/issuing-accounts/{other['id']}", json={"creditNoteNumberPrefix": "X"})
    assert (locked.status_code, locked.json()["code"]) == (409, "account_has_numbers")
    assert "creditNoteNumberPrefix" in locked.json()["details"]
    fresh = await api.create("/v1/issuing-accounts", {"businessName": "New"})
    changed = await api.patch(f"/v1/issuing-accounts/{fresh['id']}", json={"creditNoteNumberPrefix": "CR"})
    assert (changed.status_code, changed.json()["creditNoteNumberPrefix"]) == (200, "CR")
    bad = await api.patch(
        f"/v1/issuing-accounts/{fresh['id']}", json={"creditNoteNumberFormat": "{prefix}-x"}
    )
    assert (bad.status_code, list(bad.json()["details"])) == (400, ["creditNoteNumberFormat"])
    before = await _note(api, first, {"reason": "other", "issueDate": "2026-03-14", "amount": "1.00"}, 400)
    assert list(before["details"]) == ["issueDate"]
    later = await _note(api, first, {"reason": "other", "issueDate": "2026-04-01", "amount": "1.00"})
    assert later["number"] == "CN-2026-000003"
    backwards = await _note(api, first, {"reason": "other", "issueDate": "2026-03-20", "amount": "1.00"}, 409)
    assert backwards["code"] == "issue_date_out_of_order"


async def test_idempotent_replay_and_reuse(api: ApiClient) -> None:
    invoice_id, (line,) = await _issued(api)
    body = {"reason": "other", "issueDate": ISSUE, "amount": "10.00", "idempotencyKey": "cn-1"}
    first = await api.post(f"/v1/invoices/{invoice_id}/credit-notes", json=body)
    replay = await api.post(f"/v1/invoices/{invoice_id}/credit-notes", json=body)
    assert (replay.status_code, replay.headers["Idempotent-Replayed"]) == (201, "true")
    assert replay.json() == first.json()
    reused = await api.post(f"/v1/invoices/{invoice_id}/credit-notes", json={**body, "amount": "11.00"})
    assert (reused.status_code, reused.json()["code"]) == (409, "idempotency_key_reused")
    listed = (await api.get("/v1/credit-notes", params={"invoiceId": invoice_id})).json()
    assert [n["id"] for n in listed["data"]] == [first.json()["id"]]
    assert (await _invoice(api, invoice_id))["creditedAmount"] == "10.00"
    # a key is scoped to its invoice (as a payment's): the same key on another invoice makes its own note
    other_id, _ = await _issued(api)
    elsewhere = await api.post(f"/v1/invoices/{other_id}/credit-notes", json=body)
    assert (elsewhere.status_code, elsewhere.json()["invoiceId"]) == (201, other_id)
    assert "Idempotent-Replayed" not in elsewhere.headers
    assert line


async def test_only_issued_or_paid_invoices_take_credit_notes(api: ApiClient) -> None:
    draft = await make_invoice(api)
    await api.create(f"/v1/invoices/{draft['id']}/line-items", {"name": "S", "amount": "5.00"})
    refused = await _note(api, str(draft["id"]), {"reason": "other", "amount": "1.00"}, 409)
    assert (refused["code"], refused["details"]) == ("invoice_not_creditable", {"status": "draft"})
    invoice_id, _ = await _issued(api)
    assert (await api.post(f"/v1/invoices/{invoice_id}/void", json={"reason": "wrong"})).status_code == 200
    void = await _note(api, invoice_id, {"reason": "other", "amount": "1.00"}, 409)
    assert void["details"] == {"status": "void"}


async def test_hostile_input_is_refused_and_writes_nothing(api: ApiClient) -> None:
    invoice_id, (line,) = await _issued(api)
    other_id, (other_line,) = await _issued(api)
    cases: list[tuple[dict[str, Any], int, str]] = [
        ({"reason": "other", "amount": 10}, 400, "amount"),
        ({"reason": "other", "amount": "-1.00"}, 400, "amount"),
        ({"reason": "other", "amount": "1.001"}, 400, "amount"),
        ({"reason": "other", "amount": "1.00", "refundAmount": 1}, 400, "refundAmount"),
        ({"reason": "other", "amount": "1.00", "creditAmount": "-1.00"}, 400, "creditAmount"),
        ({"reason": "other", "amount": "1.00", "outOfBandAmount": "0.001"}, 400, "outOfBandAmount"),
        ({"reason": "bored", "amount": "1.00"}, 400, "reason"),
        ({"reason": "other"}, 400, "lines"),
        (
            {"reason": "other", "lines": [{"lineItemId": line, "quantity": "1"}], "amount": "1.00"},
            400,
            "lines",
        ),
        ({"reason": "other", "lines": [{"lineItemId": line, "amount": "0.00"}]}, 400, "lines[0].amount"),
        ({"reason": "other", "lines": [{"lineItemId": line, "amount": "100.01"}]}, 409, "lines[0].amount"),
        (
            {"reason": "other", "lines": [{"lineItemId": other_line, "amount": "1.00"}]},
            400,
            "lines[0].lineItemId",
        ),
        (
            {
                "reason": "other",
                "lines": [{"lineItemId": "00000000-0000-7000-8000-000000000000", "amount": "1"}],
            },
            400,
            "lines[0].lineItemId",
        ),
        (
            {"reason": "other", "lines": [{"lineItemId": line, "amount": "1.00"}] * 2},
            400,
            "lines[1].lineItemId",
        ),
        ({"reason": "other", "lines": [{"lineItemId": line, "quantity": "1"}]}, 400, "lines[0].quantity"),
        ({"reason": "other", "amount": "1.00", "refundAmount": "2.00"}, 409, "refundAmount"),
        ({"reason": "other", "amount": "1.00", "taxCategoryId": await _category(api)}, 400, "taxCategoryId"),
    ]
    for body, status, field in cases:
        response = await api.post(f"/v1/invoices/{invoice_id}/credit-notes", json=body)
        assert response.status_code == status, (body, response.text)
        assert any(field in key for key in response.json()["details"]), (body, response.json())
    invoice = await _invoice(api, invoice_id)
    assert (invoice["creditedAmount"], invoice["creditNotes"]) == ("0.00", [])
    assert (await api.get("/v1/credit-notes")).json()["data"] == []
    assert other_id


async def test_a_plain_amount_without_a_category_credits_only_what_was_charged_untaxed(
    api: ApiClient,
) -> None:
    """A plain amount without taxCategoryId is untaxed: it may not credit tax-free money the invoice
    never charged (a fully taxed invoice has none), nor more than its untaxed lines less earlier notes."""
    vat = await _category(api)
    taxed_id, _ = await _issued(api, [{"name": "x", "amount": "100.00", "taxCategoryId": vat}])
    assert (await _invoice(api, taxed_id))["totalAmount"] == "120.00"
    for amount in ("120.00", "0.01"):
        refused = await _note(api, taxed_id, {"reason": "other", "amount": amount}, 409)
        assert refused["code"] == "credit_exceeds_invoice"
        assert list(refused["details"]) == ["amount"]
    # at the invoice's rate, the same amount's net is capped by what was charged at 20 %
    note = await _note(api, taxed_id, {"reason": "other", "amount": "100.00", "taxCategoryId": vat})
    assert (note["netAmount"], note["taxAmount"], note["totalAmount"]) == ("100.00", "20.00", "120.00")

    mixed_id, (untaxed, _taxed) = await _issued(
        api,
        [{"name": "u", "amount": "10.00"}, {"name": "x", "amount": "100.00", "taxCategoryId": vat}],
    )
    refused = await _note(api, mixed_id, {"reason": "other", "amount": "50.00"}, 409)
    assert refused["code"] == "credit_exceeds_invoice"
    assert "10.00" in refused["details"]["amount"]
    await _note(api, mixed_id, {"reason": "other", "lines": [{"lineItemId": untaxed, "amount": "4.00"}]})
    refused = await _note(api, mixed_id, {"reason": "other", "amount": "6.01"}, 409)
    assert "6.00" in refused["details"]["amount"]
    note = await _note(api, mixed_id, {"reason": "other", "amount": "6.00"})
    assert (note["taxAmount"], note["totalAmount"], note["taxSummary"]) == ("0.00", "6.00", [])
    # the untaxed money is credited in full: the untaxed line is refused too (the rest is taxed)
    refused = await _note(
        api, mixed_id, {"reason": "other", "lines": [{"lineItemId": untaxed, "amount": "1.00"}]}, 409
    )
    assert list(refused["details"]) == ["lines"]
    invoice = await _invoice(api, mixed_id)
    assert invoice["creditedAmount"] == "10.00"
    assert_reconciles(invoice, (await api.get(f"/v1/credit-notes?invoiceId={mixed_id}")).json()["data"])


async def test_a_plain_amount_over_the_total_names_amount(api: ApiClient) -> None:
    """The invoice's total (70.00) is below what it charged at 20 % (a credit line): a plain amount at
    20 % over the total names ``amount``, a line ``lines``."""
    vat = await _category(api)
    invoice_id, (line, _credit) = await _issued(
        api,
        [
            {"name": "x", "quantity": "1", "unitPrice": "100.00", "taxCategoryId": vat},
            {"name": "c", "amount": "-50.00"},
        ],
    )
    assert (await _invoice(api, invoice_id))["totalAmount"] == "70.00"
    body = {"reason": "other", "amount": "100.00", "taxCategoryId": vat}
    refused = await _note(api, invoice_id, body, 409)
    assert refused["code"] == "credit_exceeds_invoice"
    assert refused["details"] == {
        "amount": "credits more than the invoice's total less earlier credit notes (70.00)"
    }
    refused = await _note(
        api, invoice_id, {"reason": "other", "lines": [{"lineItemId": line, "quantity": "1"}]}, 409
    )
    assert list(refused["details"]) == ["lines"]


async def test_another_organizations_ids_are_not_found(api: ApiClient, engine: Any) -> None:
    from conftest import new_api_key

    invoice_id, (line,) = await _issued(api)
    note = await _note(api, invoice_id, {"reason": "other", "amount": "1.00"})
    stranger = ApiClient(api.raw, await new_api_key(engine, "Stranger"))
    for method, url, body in (
        ("POST", f"/v1/invoices/{invoice_id}/credit-notes", {"reason": "other", "amount": "1.00"}),
        ("GET", f"/v1/credit-notes/{note['id']}", None),
        ("POST", f"/v1/credit-notes/{note['id']}/void", {}),
        ("GET", f"/v1/invoices/{invoice_id}/refunds", None),
        ("GET", f"/v1/invoices/{invoice_id}/payments", None),
    ):
        response = await stranger.request(method, url, json=body)
        assert response.status_code == 404, (url, response.text)
    assert (await stranger.get("/v1/credit-notes", params={"invoiceId": invoice_id})).json()["data"] == []
    assert (await api.get(f"/v1/credit-notes/{note['id']}")).json()["status"] == "issued"
    assert line
