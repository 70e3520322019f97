"""Issuing: the answer rendered before the number was drawn is the invoice as it was committed, and
whatever shows the number (events, credit reasons) shows the drawn one."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from billfold.services import lifecycle
from conftest import ApiClient, make_invoice, statements_sent, today


async def _get(api: ApiClient, url: str) -> Any:
    response = await api.get(url)
    assert response.status_code == 200, response.text
    return response.json()


async def _issue(api: ApiClient, invoice_id: object, day: str = "2026-06-01") -> dict[str, Any]:
    response = await api.post(f"/v1/invoices/{invoice_id}/issue", json={"issueDate": day})
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()
    return data


async def test_the_issue_answer_is_what_a_get_returns_after(api: ApiClient) -> None:
    category = await api.create("/v1/tax-categories", {"name": "VAT", "rates": [{"rate": "20"}]})
    customer = await api.create("/v1/customers", {"name": "Acme", "currency": "USD"})
    await api.create(f"/v1/customers/{customer['id']}/credits", {"amount": "7.00"})
    invoice = await api.create("/v1/invoices", {"customerId": customer["id"], "invoiceDate": "2026-05-30"})
    base = f"/v1/invoices/{invoice['id']}"
    group = await api.create(f"{base}/line-item-groups", {"name": "Group"})
    await api.create(
        f"{base}/line-items",
        {"name": "Taxed", "amount": "10.00", "taxCategoryId": category["id"], "lineItemGroupId": group["id"]},
    )
    await api.create(f"{base}/line-items", {"name": "Plain", "quantity": "3", "unitPrice": "1.005"})
    await api.create(f"{base}/adjustments", {"type": "percentage_discount", "percentage": "10"})
    issued = await _issue(api, invoice["id"], today())  # the credit (granted today) is available
    assert issued["invoiceNumber"] == f"INV-{today()[:4]}-000001"
    assert issued["creditsAppliedAmount"] == "7.00"
    assert issued == await _get(api, base)


async def test_events_and_credit_reasons_carry_the_drawn_number(api: ApiClient, private_allowed: Any) -> None:
    hook = {"url": "http://127.0.0.1:9/hooks", "enabledEvents": ["invoice.issued", "invoice.paid"]}
    endpoint = await api.create("/v1/webhook-endpoints", hook)
    first = await make_invoice(api)
    await api.create(f"/v1/invoices/{first['id']}/line-items", {"name": "Refund", "amount": "-50.00"})
    negative = await _issue(api, first["id"], today())
    second = await make_invoice(api)
    base = f"/v1/invoices/{second['id']}"
    await api.create(f"{base}/line-items", {"name": "Credits", "amount": "20.00", "scope": "credit_purchase"})
    await api.create(f"{base}/line-items", {"name": "Voucher", "amount": "-20.00"})
    paid = await _issue(api, second["id"], today())
    assert (negative["invoiceNumber"], negative["status"]) == (f"INV-{today()[:4]}-000001", "paid")
    assert (paid["invoiceNumber"], paid["status"]) == (f"INV-{today()[:4]}-000002", "paid")
    for invoice in (negative, paid):
        events = (await _get(api, f"/v1/invoices/{invoice['id']}/events"))["data"]
        issued, settled = events[-2:]
        assert (issued["type"], settled["type"]) == ("invoice.issued", "invoice.paid")
        assert issued["data"] == {"invoiceNumber": invoice["invoiceNumber"]}
        assert issued["payload"]["invoiceNumber"] == invoice["invoiceNumber"]
        assert issued["payload"]["status"] == "issued"
        assert settled["payload"]["invoiceNumber"] == invoice["invoiceNumber"]
        assert settled["sequence"] > issued["sequence"]
    reasons = {
        entry["reason"]
        for customer in (negative["customerId"], paid["customerId"])
        for entry in (await _get(api, f"/v1/customers/{customer}/credits"))["data"]
    }
    assert reasons == {
        f"negative total of invoice INV-{today()[:4]}-000001",
        f"credit purchase on invoice INV-{today()[:4]}-000002",
    }
    everything = (await _get(api, "/v1/events?limit=100"))["data"]
    assert "#number-" not in str(everything)
    assert [e["sequence"] for e in everything] == list(range(1, len(everything) + 1))
    deliveries = (await _get(api, f"/v1/webhook-endpoints/{endpoint['id']}/deliveries?limit=100"))["data"]
    subscribed = [e["id"] for e in everything if e["type"] in hook["enabledEvents"]]
    assert sorted(d["eventId"] for d in deliveries) == sorted(subscribed)
    assert len(subscribed) == 4


async def test_a_number_with_quotes_and_backslashes_is_drawn_as_the_format_says(api: ApiClient) -> None:
    template = "N°\"q'\\{seq:03}"
    account = await api.create("/v1/issuing-accounts", {"tradeName": "Odd", "numberFormat": template})
    invoice = await make_invoice(api, issuingAccountId=account["id"])
    await api.create(f"/v1/invoices/{invoice['id']}/line-items", {"name": "Item", "amount": "5.00"})
    issued = await _issue(api, invoice["id"], today())
    assert issued["invoiceNumber"] == "N°\"q'\\001"
    assert issued == await _get(api, f"/v1/invoices/{invoice['id']}")
    events = (await _get(api, f"/v1/invoices/{invoice['id']}/events"))["data"]
    assert events[-1]["payload"]["invoiceNumber"] == issued["invoiceNumber"]
    assert events[-1]["data"] == {"invoiceNumber": issued["invoiceNumber"]}


def _watch_reads(monkeypatch: pytest.MonkeyPatch, then: Any = None) -> list[bool]:
    """Whether each attempt at an issue read its invoice unlocked (``live_parties`` runs once per
    attempt that gets that far); ``then()`` runs after the first unlocked read."""
    attempts: list[bool] = []
    real = lifecycle.live_parties

    async def watched(uow: Any, actor: Any, invoice: Any, loaded: Any) -> Any:
        attempts.append(loaded.version is not None)
        if then is not None and attempts == [True]:
            await then()
        return await real(uow, actor, invoice, loaded)

    monkeypatch.setattr(lifecycle, "live_parties", watched)
    return attempts


async def test_an_invoice_changed_after_its_unlocked_read_is_issued_again_locked(
    api: ApiClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On PostgreSQL an issue reads its invoice without a lock; a line added between that read and
    the numbering statement makes that statement write nothing (no number drawn, no event), and the
    issue runs again in one transaction, locking: the line is in the issued invoice. On SQLite the
    issue holds the database's write lock from its start."""
    invoice = await make_invoice(api)
    base = f"/v1/invoices/{invoice['id']}"
    await api.create(f"{base}/line-items", {"name": "First", "amount": "10.00"})

    async def add_meanwhile() -> None:
        await api.create(f"{base}/line-items", {"name": "Second", "amount": "5.00"})

    attempts = _watch_reads(monkeypatch, add_meanwhile)
    issued = await _issue(api, invoice["id"])
    dialect = api.raw._transport.app.state.engine.dialect.name  # type: ignore[attr-defined]
    if dialect == "postgresql":
        assert attempts == [True, False]
        assert issued["totalAmount"] == "15.00"
        assert [line["name"] for line in issued["standaloneLineItems"]] == ["First", "Second"]
    else:
        assert attempts == [False]
    assert issued["invoiceNumber"] == "INV-2026-000001"
    assert issued == await _get(api, base)
    events = (await _get(api, f"{base}/events"))["data"]
    assert [event["type"] for event in events].count("invoice.issued") == 1
    monkeypatch.undo()
    following = await make_invoice(api)
    await api.create(f"/v1/invoices/{following['id']}/line-items", {"name": "Next", "amount": "1.00"})
    assert (await _issue(api, following["id"]))["invoiceNumber"] == "INV-2026-000002"  # no gap


async def test_an_issue_that_spends_credit_or_owes_nothing_is_issued_locked(
    api: ApiClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The unlocked issue is only for an invoice whose stored figures are final and whose issue
    writes nothing but its number: credit to spend, a tax to calculate or a total of zero take the
    locked issue at once, and a plain invoice the unlocked one (on PostgreSQL)."""
    dialect = api.raw._transport.app.state.engine.dialect.name  # type: ignore[attr-defined]
    category = await api.create("/v1/tax-categories", {"name": "VAT", "rates": [{"rate": "20"}]})
    credited = await make_invoice(api)
    await api.create(f"/v1/customers/{credited['customerId']}/credits", {"amount": "3.00"})
    taxed = await make_invoice(api)
    free = await make_invoice(api)
    plain = await make_invoice(api)
    lines = [
        (credited, {"name": "Item", "amount": "10.00"}),
        (taxed, {"name": "Item", "amount": "10.00", "taxCategoryId": category["id"]}),
        (free, {"name": "Trial", "amount": "0.00"}),
        (plain, {"name": "Item", "amount": "10.00"}),
    ]
    for invoice, line in lines:
        await api.create(f"/v1/invoices/{invoice['id']}/line-items", line)
    expected = {"credited": "7.00", "taxed": "12.00", "free": "0.00", "plain": "10.00"}
    for name, invoice in (("credited", credited), ("taxed", taxed), ("free", free), ("plain", plain)):
        attempts = _watch_reads(monkeypatch)
        issued = await _issue(api, invoice["id"], today())
        monkeypatch.undo()
        assert issued["amountDue"] == expected[name], name
        unlocked = dialect == "postgresql" and name == "plain"
        assert attempts == ([True] if unlocked else [False]), name


async def test_the_unlocked_issue_answers_the_lines_read_with_the_invoice_as_a_get_does(
    api: ApiClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On PostgreSQL the unlocked issue reads the invoice's lines in the statement that reads the
    invoice (records of every column): its answer is still exactly what a GET returns after, for lines
    of every kind (a price model with usage, dates, a description, a unit code, a group, a product)."""
    dialect = api.raw._transport.app.state.engine.dialect.name  # type: ignore[attr-defined]
    invoice = await make_invoice(api)
    base = f"/v1/invoices/{invoice['id']}"
    product = await api.create("/v1/products", {"name": "Storage"})
    price = await api.create(
        "/v1/prices", {"productId": product["id"], "currency": "USD", "model": "unit", "unitPrice": "0.0025"}
    )
    group = await api.create(f"{base}/line-item-groups", {"name": "Usage", "startDate": "2026-02-01"})
    for line in (
        {"name": "Seat", "quantity": "3", "unitPrice": "19.99"},
        {"name": "Setup", "amount": "100.05", "description": "line one\n\tline two", "unitCode": "HUR"},
        {"name": "Ünïcødé ✓", "amount": "1", "startDate": "2026-02-01", "endDate": "2026-02-28"},
        {"priceId": price["id"], "usage": "10001", "lineItemGroupId": group["id"]},
        {"name": "Inline", "price": {"model": "unit", "unitPrice": "0.5"}, "usage": "3"},
    ):
        await api.create(f"{base}/line-items", line)
    attempts = _watch_reads(monkeypatch)
    issued = await _issue(api, invoice["id"])
    assert attempts == ([True] if dialect == "postgresql" else [False])
    assert issued == await _get(api, base)
    assert len(issued["standaloneLineItems"]) == 4
    assert [len(g["lineItems"]) for g in issued["lineItemGroups"]] == [1]


async def test_a_plain_issue_is_two_statements_and_no_transaction(
    api: ApiClient, engine: AsyncEngine
) -> None:
    """On PostgreSQL: the caller's key with the invoice and its lines (one statement), then the
    numbering statement; no BEGIN, no COMMIT."""
    invoice = await make_invoice(api)
    await api.create(f"/v1/invoices/{invoice['id']}/line-items", {"name": "Item", "amount": "3.00"})
    with statements_sent(engine) as statements:
        issued = await _issue(api, invoice["id"])
    if engine.dialect.name == "postgresql":
        assert len(statements) == 2, statements
        assert "FROM api_keys" in statements[0]
        assert "LATERAL" in statements[0]
        assert statements[1].startswith("WITH seen AS")
    assert issued["invoiceNumber"] == "INV-2026-000001"
    assert issued == await _get(api, f"/v1/invoices/{invoice['id']}")
