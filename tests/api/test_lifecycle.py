"""The invoice lifecycle, legal numbering, due dates and payments, including under concurrency."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from conftest import ApiClient, make_invoice, today


async def _invoice_with_line(api: ApiClient, amount: str = "100.00", **fields: object) -> str:
    invoice = await make_invoice(api, **fields)
    await api.create(f"/v1/invoices/{invoice['id']}/line-items", {"name": "Service", "amount": amount})
    return str(invoice["id"])


async def _post(api: ApiClient, invoice_id: str, action: str, body: dict[str, object] | None = None) -> dict:  # type: ignore[type-arg]
    response = await api.post(f"/v1/invoices/{invoice_id}/{action}", json=body or {})
    assert response.status_code in (200, 201), response.text
    data: dict = response.json()  # type: ignore[type-arg]
    return data


async def test_review_reopen_issue_and_locks(api: ApiClient) -> None:
    invoice_id = await _invoice_with_line(api)
    reviewed = await _post(api, invoice_id, "review")
    assert reviewed["status"] == "in_review"
    assert reviewed["isLocked"] is True
    line_id = reviewed["standaloneLineItems"][0]["id"]
    locked = await api.patch(f"/v1/invoices/{invoice_id}/line-items/{line_id}", json={"amount": "1.00"})
    assert locked.status_code == 409
    assert locked.json()["code"] == "invoice_locked"
    added = await api.post(f"/v1/invoices/{invoice_id}/line-items", json={"name": "X", "amount": "1.00"})
    assert added.status_code == 409
    assert (await _post(api, invoice_id, "reopen"))["status"] == "draft"
    issued = await _post(api, invoice_id, "issue", {"issueDate": "2026-02-01"})
    assert issued["status"] in ("issued", "overdue")
    assert issued["invoiceNumber"] == "INV-2026-000001"
    assert issued["issueDate"] == "2026-02-01"
    assert issued["dueDate"] == "2026-03-03"  # default net 30
    again = await api.post(f"/v1/invoices/{invoice_id}/issue", json={})
    assert again.status_code == 409
    assert again.json()["code"] == "invalid_transition"
    assert again.json()["details"] == {"from": "issued", "to": "issued"}
    events = (await api.get(f"/v1/invoices/{invoice_id}/events")).json()["data"]
    assert [e["type"] for e in events] == [
        "invoice.created",
        "invoice.updated",
        "invoice.in_review",
        "invoice.reopened",
        "invoice.issued",
    ]
    assert all(e["apiKeyId"] for e in events)


async def test_numbers_are_sequential_per_year_and_never_go_backwards(api: ApiClient) -> None:
    numbers = []
    for day in ("2024-12-30", "2024-12-31", "2025-01-02", "2025-01-02"):
        invoice_id = await _invoice_with_line(api)
        numbers.append((await _post(api, invoice_id, "issue", {"issueDate": day}))["invoiceNumber"])
    assert numbers == ["INV-2024-000001", "INV-2024-000002", "INV-2025-000001", "INV-2025-000002"]
    late = await _invoice_with_line(api)
    backwards = await api.post(f"/v1/invoices/{late}/issue", json={"issueDate": "2025-01-01"})
    assert backwards.status_code == 409
    assert backwards.json()["code"] == "issue_date_out_of_order"
    # the refused issue consumed no number
    assert (await _post(api, late, "issue", {"issueDate": "2025-01-03"}))[
        "invoiceNumber"
    ] == "INV-2025-000003"


async def test_an_issue_date_after_today_is_refused_and_the_series_stays_open(api: ApiClient) -> None:
    tomorrow = (datetime.now(UTC).date() + timedelta(days=1)).isoformat()
    invoice_id = await _invoice_with_line(api)
    for day in (tomorrow, "9999-12-31"):
        refused = await api.post(f"/v1/invoices/{invoice_id}/issue", json={"issueDate": day})
        assert refused.status_code == 400, refused.text
        assert refused.json()["details"] == {"issueDate": f"must not be after today ({today()})"}
    assert (await api.get(f"/v1/invoices/{invoice_id}")).json()["status"] == "draft"
    issued = await _post(api, invoice_id, "issue", {"issueDate": today()})
    assert issued["invoiceNumber"] == f"INV-{today()[:4]}-000001"
    note = await api.post(
        f"/v1/invoices/{invoice_id}/credit-notes",
        json={
            "reason": "other",
            "issueDate": "9999-12-31",
            "lines": [{"lineItemId": issued["standaloneLineItems"][0]["id"], "quantity": "1"}],
        },
    )
    assert note.status_code == 400, note.text
    assert note.json()["details"] == {"issueDate": f"must not be after today ({today()})"}
    assert (await api.get("/v1/credit-notes", params={"invoiceId": invoice_id})).json()["data"] == []


async def test_custom_format_and_cancel_and_void(api: ApiClient) -> None:
    account = await api.create(
        "/v1/issuing-accounts",
        {"tradeName": "Branch", "numberPrefix": "BR", "numberFormat": "{prefix}/{yy}{mm}/{seq:04}"},
    )
    bad = await api.post("/v1/issuing-accounts", json={"tradeName": "X", "numberFormat": "{prefix}-{year}"})
    assert bad.status_code == 400
    assert "numberFormat" in bad.json()["details"]
    canceled = await _invoice_with_line(api, issuingAccountId=account["id"])
    assert (await _post(api, canceled, "cancel"))["invoiceNumber"] is None
    numbered = await _invoice_with_line(api, issuingAccountId=account["id"])
    issued = await _post(api, numbered, "issue", {"issueDate": "2026-05-04"})
    assert issued["invoiceNumber"] == "BR/2605/0001"
    no_reason = await api.post(f"/v1/invoices/{numbered}/void", json={})
    assert no_reason.status_code == 400
    assert "reason" in no_reason.json()["details"]
    void = await _post(api, numbered, "void", {"reason": "issued to the wrong customer"})
    assert void["status"] == "void"
    assert void["invoiceNumber"] == "BR/2605/0001"
    assert void["voidReason"] == "issued to the wrong customer"
    cancel_issued = await api.post(f"/v1/invoices/{numbered}/cancel", json={})
    assert cancel_issued.status_code == 409


async def test_overdue_is_derived_and_listable(api: ApiClient) -> None:
    customer = await api.create("/v1/customers", {"name": "Late payer", "paymentTermsDays": 10})
    past = await api.create("/v1/invoices", {"customerId": customer["id"]})
    await api.create(f"/v1/invoices/{past['id']}/line-items", {"name": "S", "amount": "5.00"})
    issued = await _post(api, past["id"], "issue", {"issueDate": "2020-01-01"})
    assert issued["dueDate"] == "2020-01-11"
    assert issued["status"] == "overdue"
    future = await api.create("/v1/invoices", {"customerId": customer["id"], "paymentTermsDays": 0})
    await api.create(f"/v1/invoices/{future['id']}/line-items", {"name": "S", "amount": "5.00"})
    assert (await _post(api, future["id"], "issue", {"issueDate": today()}))["status"] == "issued"
    overdue = (await api.get("/v1/invoices", params={"status": "overdue"})).json()["data"]
    assert [row["id"] for row in overdue] == [past["id"]]
    current = (await api.get("/v1/invoices", params={"status": "issued"})).json()["data"]
    assert [row["id"] for row in current] == [future["id"]]


async def test_partial_payments_then_paid(api: ApiClient) -> None:
    invoice_id = await _invoice_with_line(api, "100.00")
    draft_payment = await api.post(f"/v1/invoices/{invoice_id}/payments", json={"amount": "10.00"})
    assert draft_payment.status_code == 409
    await _post(api, invoice_id, "issue", {"issueDate": today()})
    first = await _post(
        api, invoice_id, "payments", {"amount": "40.00", "method": "pix", "idempotencyKey": "p1"}
    )
    assert first["invoiceAmountRemaining"] == "60.00"
    replay = await api.post(
        f"/v1/invoices/{invoice_id}/payments",
        json={"amount": "40.00", "method": "pix", "idempotencyKey": "p1"},
    )
    assert replay.headers["Idempotent-Replayed"] == "true"
    over = await api.post(f"/v1/invoices/{invoice_id}/payments", json={"amount": "60.01"})
    assert over.status_code == 409
    assert over.json()["code"] == "overpayment"
    too_precise = await api.post(f"/v1/invoices/{invoice_id}/payments", json={"amount": "1.001"})
    assert too_precise.status_code == 400
    last = await _post(api, invoice_id, "payments", {"amount": "60.00"})
    assert last["invoiceStatus"] == "paid"
    invoice = (await api.get(f"/v1/invoices/{invoice_id}")).json()
    assert (invoice["status"], invoice["amountPaid"], invoice["amountRemaining"]) == (
        "paid",
        "100.00",
        "0.00",
    )
    assert len((await api.get(f"/v1/invoices/{invoice_id}/payments")).json()["data"]) == 2
    # a bad amount is the request's fault, answered before the paid invoice's 409
    for amount in ("0", "-1.00", "1.001"):
        bad = await api.post(f"/v1/invoices/{invoice_id}/payments", json={"amount": amount})
        assert bad.status_code == 400, (amount, bad.text)
        assert "amount" in bad.json()["details"], bad.text
    assert (await api.post(f"/v1/invoices/{invoice_id}/void", json={"reason": "x"})).status_code == 409


async def test_a_payment_dated_before_the_invoice_was_issued_is_refused(api: ApiClient) -> None:
    invoice_id = await _invoice_with_line(api, "100.00")
    issued_on = datetime.now(UTC).date() - timedelta(days=30)
    await _post(api, invoice_id, "issue", {"issueDate": issued_on.isoformat()})
    url = f"/v1/invoices/{invoice_id}/payments"
    message = f"must not be before the invoice's issue date {issued_on.isoformat()}"
    for day in ("0001-01-01", (issued_on - timedelta(days=1)).isoformat()):
        early = await api.post(url, json={"amount": "10.00", "date": day})
        assert early.status_code == 400, early.text
        assert early.json()["details"] == {"date": message}
    # a bad amount is still named first
    bad_amount = await api.post(url, json={"amount": "0", "date": "0001-01-01"})
    assert bad_amount.status_code == 400, bad_amount.text
    assert list(bad_amount.json()["details"]) == ["amount"]
    assert (await api.get(url)).json()["data"] == []
    assert (await api.get(f"/v1/invoices/{invoice_id}")).json()["amountPaid"] == "0.00"
    on_the_day = await _post(api, invoice_id, "payments", {"amount": "100.00", "date": issued_on.isoformat()})
    assert on_the_day["date"] == issued_on.isoformat()
    assert on_the_day["invoiceStatus"] == "paid"
    # the request's fault is a 400 before the paid invoice's 409
    late = await api.post(url, json={"amount": "1.00", "date": "0001-01-01"})
    assert late.status_code == 400, late.text
    assert late.json()["details"] == {"date": message}


async def test_overpayment_kept_as_credit_and_zero_invoice_paid_on_issue(api: ApiClient) -> None:
    invoice_id = await _invoice_with_line(api, "10.00")
    await _post(api, invoice_id, "issue", {"issueDate": today()})
    paid = await _post(api, invoice_id, "payments", {"amount": "15.00", "keepExcessAsCredit": True})
    assert (paid["appliedAmount"], paid["excessAmount"], paid["invoiceStatus"]) == ("10.00", "5.00", "paid")
    empty = await make_invoice(api)
    assert (await _post(api, str(empty["id"]), "issue", {"issueDate": today()}))["status"] == "paid"


async def test_concurrent_issues_are_gapless_and_unique(api: ApiClient) -> None:
    ids = [await _invoice_with_line(api, "1.00") for _ in range(100)]
    responses = await asyncio.gather(
        *(
            api.post(f"/v1/invoices/{invoice_id}/issue", json={"issueDate": "2026-06-01"})
            for invoice_id in ids
        )
    )
    assert {r.status_code for r in responses} == {200}, [r.text for r in responses if r.status_code != 200]
    numbers = sorted(r.json()["invoiceNumber"] for r in responses)
    assert numbers == [f"INV-2026-{n:06d}" for n in range(1, 101)]


async def test_series_number_independently(api: ApiClient) -> None:
    credit_note = await _invoice_with_line(api, series="credit-notes")
    regular = await _invoice_with_line(api)
    issued = await _post(api, credit_note, "issue", {"issueDate": "2026-06-01"})
    assert issued["invoiceNumber"] == "credit-notes-INV-2026-000001"
    assert issued["series"] == "credit-notes"
    assert (await _post(api, regular, "issue", {"issueDate": "2026-06-01"}))[
        "invoiceNumber"
    ] == "INV-2026-000001"


async def test_concurrent_issue_of_one_invoice_gives_one_number(api: ApiClient) -> None:
    invoice_id = await _invoice_with_line(api)
    responses = await asyncio.gather(
        *(api.post(f"/v1/invoices/{invoice_id}/issue", json={"issueDate": "2026-06-01"}) for _ in range(10))
    )
    assert sorted(r.status_code for r in responses) == [200] + [409] * 9
    events = (await api.get(f"/v1/invoices/{invoice_id}/events")).json()["data"]
    assert [e["type"] for e in events].count("invoice.issued") == 1


async def test_lines_added_while_invoices_are_issued_are_in_their_totals_or_refused(api: ApiClient) -> None:
    """Issues and adds racing on the same drafts (on PostgreSQL an issue reads its invoice without a
    lock first): every line that was added is in its invoice's issued total, every other add was
    refused as locked, and the numbers have no gap."""
    invoices = [await _invoice_with_line(api) for _ in range(6)]

    async def issue(invoice_id: str) -> int:
        response = await api.post(f"/v1/invoices/{invoice_id}/issue", json={"issueDate": today()})
        assert response.status_code == 200, response.text
        return response.status_code

    async def add(invoice_id: str) -> int:
        response = await api.post(
            f"/v1/invoices/{invoice_id}/line-items", json={"name": "Late", "amount": "1.00"}
        )
        assert response.status_code in (201, 409), response.text
        return response.status_code

    work = []
    for invoice_id in invoices:
        work += [add(invoice_id), add(invoice_id), issue(invoice_id), add(invoice_id), add(invoice_id)]
    statuses = await asyncio.gather(*work)
    numbers = []
    for index, invoice_id in enumerate(invoices):
        read = (await api.get(f"/v1/invoices/{invoice_id}")).json()
        added = statuses[5 * index : 5 * index + 5].count(201)
        lines = read["standaloneLineItems"]
        assert len(lines) == 1 + added
        assert read["status"] == "issued"
        assert read["totalAmount"] == f"{100 + added}.00"
        assert read["totalAmount"] == f"{sum(Decimal(line['totalAmount']) for line in lines):.2f}"
        numbers.append(read["invoiceNumber"])
    assert sorted(numbers) == [f"INV-{today()[:4]}-{n:06d}" for n in range(1, 7)]


async def test_the_issue_answer_equals_the_invoice_read_after_it(api: ApiClient) -> None:
    """The issue's answer is rendered from the invoice just issued (in memory, not read again): it must
    be what a GET answers right after, for a taxed invoice with a group, a discount and credit applied,
    and for one paid at issue (nothing due)."""
    category = await api.create("/v1/tax-categories", {"name": "VAT", "rates": [{"rate": "20"}]})
    invoice = await make_invoice(api)
    invoice_id, customer_id = invoice["id"], invoice["customerId"]
    await api.create(f"/v1/customers/{customer_id}/credits", {"amount": "5", "currency": "USD"})
    group = await api.create(f"/v1/invoices/{invoice_id}/line-item-groups", {"name": "Seats"})
    lines = f"/v1/invoices/{invoice_id}/line-items"
    await api.create(
        lines, {"name": "Seat", "quantity": "3", "unitPrice": "9.99", "lineItemGroupId": group["id"]}
    )
    await api.create(lines, {"name": "Setup", "amount": "25.00", "taxCategoryId": category["id"]})
    await api.create(
        f"/v1/invoices/{invoice_id}/adjustments", {"type": "percentage_discount", "percentage": "10"}
    )
    issued = await _post(api, invoice_id, "issue")  # today: the credit is usable from today
    assert issued["creditsAppliedAmount"] == "5.00"
    assert issued == (await api.get(f"/v1/invoices/{invoice_id}")).json()

    free = await make_invoice(api)
    await api.create(f"/v1/invoices/{free['id']}/line-items", {"name": "Trial", "amount": "0.00"})
    paid = await _post(api, str(free["id"]), "issue")
    assert paid["status"] == "paid"
    assert paid == (await api.get(f"/v1/invoices/{free['id']}")).json()
