"""A customer's prepaid credit: grants over the API, the ledger and its balances, and the service
functions the invoice calculation uses at issue to read grants and record uses."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date, datetime, timedelta
from decimal import Decimal

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from billfold.api.responses import CreditEntryOut, CreditLedgerOut
from billfold.core.credits import CreditGrant, CreditUse, apply_credits, available_credit, remaining_units
from billfold.db import models as m
from billfold.db.ids import new_id
from billfold.db.uow import UnitOfWork
from billfold.services.context import Actor
from billfold.services.credits import (
    balances,
    credit_grants_and_uses,
    grants_and_uses,
    record_credit_uses,
    return_invoice_credits,
)
from billfold.services.errors import Conflict, NotFound
from billfold.services.organizations import authenticate
from conftest import ApiClient, make_invoice, new_api_key, today, today_date, whole_ledger


def tomorrow() -> str:
    return (today_date() + timedelta(days=1)).isoformat()


async def _customer(api: ApiClient, currency: str = "EUR") -> str:
    return str((await api.create("/v1/customers", {"name": "Prepaid", "currency": currency}))["id"])


async def _ledger(api: ApiClient, customer_id: str) -> dict:  # type: ignore[type-arg]
    response = await api.get(f"/v1/customers/{customer_id}/credits")
    assert response.status_code == 200, response.text
    data: dict = response.json()  # type: ignore[type-arg]
    CreditLedgerOut.model_validate(data)  # the published schema holds
    return data


async def _invoice(api: ApiClient, customer_id: str) -> dict:  # type: ignore[type-arg]
    """A draft invoice of the customer."""
    return await api.create("/v1/invoices", {"customerId": customer_id, "invoiceDate": "2026-03-15"})


async def _actor(engine: AsyncEngine, api: ApiClient) -> Actor:
    async with UnitOfWork(engine, readonly=True) as uow:
        return await authenticate(uow, api.key)


async def test_grant_and_read_the_ledger(api: ApiClient) -> None:
    customer_id = await _customer(api)
    assert await _ledger(api, customer_id) == {
        "data": [],
        "balances": [],
        "hasMore": False,
        "nextCursor": None,
    }
    grant = await api.create(
        f"/v1/customers/{customer_id}/credits",
        {"amount": "50.5", "expiresOn": tomorrow(), "reason": "welcome", "idempotencyKey": "welcome"},
    )
    CreditEntryOut.model_validate(grant)
    assert grant["object"] == "credit_entry"
    assert grant["customerId"] == customer_id
    assert grant["kind"] == "grant"
    assert grant["amount"] == "50.50"
    assert grant["currency"] == "EUR"
    assert grant["expiresOn"] == tomorrow()
    assert grant["reason"] == "welcome"
    assert (grant["grantId"], grant["invoiceId"], grant["paymentId"]) == (None, None, None)
    assert grant["remaining"] == "50.50"
    assert str(grant["createdAt"]).endswith("Z")
    usd = await api.create(f"/v1/customers/{customer_id}/credits", {"amount": "10", "currency": "USD"})
    assert (usd["amount"], usd["currency"], usd["expiresOn"], usd["reason"]) == ("10.00", "USD", None, None)
    jpy = await api.create(f"/v1/customers/{customer_id}/credits", {"amount": "500", "currency": "JPY"})
    assert jpy["remaining"] == "500"
    ledger = await _ledger(api, customer_id)
    assert {row["id"] for row in ledger["data"]} == {grant["id"], usd["id"], jpy["id"]}
    assert ledger["data"][-1] == grant  # newest first
    assert ledger["balances"] == [
        {"currency": "EUR", "available": "50.50"},
        {"currency": "JPY", "available": "500"},
        {"currency": "USD", "available": "10.00"},
    ]
    assert (ledger["hasMore"], ledger["nextCursor"]) == (False, None)


async def test_idempotent_grant(api: ApiClient) -> None:
    customer_id = await _customer(api)
    url = f"/v1/customers/{customer_id}/credits"
    first = await api.post(url, json={"amount": "5.00"}, headers={"Idempotency-Key": "g1"})
    again = await api.post(url, json={"amount": "5.00"}, headers={"Idempotency-Key": "g1"})
    assert again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    other = await api.post(url, json={"amount": "6.00"}, headers={"Idempotency-Key": "g1"})
    assert other.status_code == 409
    assert other.json()["code"] == "idempotency_key_reused"
    assert (await _ledger(api, customer_id))["balances"] == [{"currency": "EUR", "available": "5.00"}]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        pytest.param({"amount": "0"}, "amount", id="zero"),
        pytest.param({"amount": "-5.00"}, "amount", id="negative"),
        pytest.param({"amount": "1.001"}, "amount", id="too-many-places"),
        pytest.param({"amount": "1.5", "currency": "JPY"}, "amount", id="jpy-places"),
        pytest.param({"amount": 5}, "amount", id="json-number"),
        pytest.param({"amount": "1e3"}, "amount", id="exponent"),
        pytest.param({}, "amount", id="missing"),
        pytest.param({"amount": "5", "currency": "usd"}, "currency", id="lower-case-currency"),
        pytest.param({"amount": "5", "currency": "XXX"}, "currency", id="unit-less-currency"),
        pytest.param({"amount": "5", "currency": "ZZZ"}, "currency", id="unknown-currency"),
        pytest.param({"amount": "5", "expiresOn": today()}, "expiresOn", id="expires-today"),
        pytest.param({"amount": "5", "expiresOn": "2020-01-01"}, "expiresOn", id="expired"),
        pytest.param({"amount": "5", "expiresOn": "tomorrow"}, "expiresOn", id="not-a-date"),
        pytest.param({"amount": "5", "reason": ""}, "reason", id="empty-reason"),
        pytest.param({"amount": "5", "kind": "use"}, "kind", id="unknown-field"),
    ],
)
async def test_bad_grants_are_400(api: ApiClient, body: dict[str, object], field: str) -> None:
    customer_id = await _customer(api)
    response = await api.post(f"/v1/customers/{customer_id}/credits", json=body)
    assert response.status_code == 400, response.text
    assert field in response.json()["details"], response.json()
    assert (await _ledger(api, customer_id))["data"] == []


async def test_unknown_or_foreign_customer_is_404(api: ApiClient, engine: AsyncEngine) -> None:
    unknown = uuid.uuid4()
    assert (await api.post(f"/v1/customers/{unknown}/credits", json={"amount": "1.00"})).status_code == 404
    assert (await api.get(f"/v1/customers/{unknown}/credits")).status_code == 404
    customer_id = await _customer(api)
    await api.create(f"/v1/customers/{customer_id}/credits", {"amount": "9.00", "reason": "Secret"})
    other = ApiClient(api.raw, await new_api_key(engine, "Other"))
    granted = await other.post(f"/v1/customers/{customer_id}/credits", json={"amount": "1.00"})
    assert granted.status_code == 404
    read = await other.get(f"/v1/customers/{customer_id}/credits")
    assert read.status_code == 404
    assert "Secret" not in read.text
    assert (await _ledger(api, customer_id))["balances"] == [{"currency": "EUR", "available": "9.00"}]
    async with UnitOfWork(engine) as uow:
        actor = await authenticate(uow, other.key)
        with pytest.raises(NotFound):
            await credit_grants_and_uses(uow, actor, uuid.UUID(customer_id), "EUR")


async def test_expired_grants_leave_the_balance(api: ApiClient, engine: AsyncEngine) -> None:
    customer_id = await _customer(api)
    actor = await _actor(engine, api)
    async with UnitOfWork(engine) as uow:
        for expires in (date(2021, 1, 1), today_date()):
            await uow.repo.add(
                m.CreditEntry(
                    id=new_id(),
                    organization_id=actor.organization_id,
                    customer_id=uuid.UUID(customer_id),
                    currency="EUR",
                    amount=Decimal("7.00"),
                    kind="grant",
                    reason="old",
                    expires_at=expires,
                    invoice_id=None,
                    payment_id=None,
                    created_at=datetime(2020, 6, 1),
                    remaining=Decimal("7.00"),
                )
            )
        await uow.commit()
    await api.create(f"/v1/customers/{customer_id}/credits", {"amount": "3.00", "expiresOn": tomorrow()})
    ledger = await _ledger(api, customer_id)
    assert len(ledger["data"]) == 3
    # expiresOn is the first day a grant can no longer be used: one expiring today is gone
    assert ledger["balances"] == [{"currency": "EUR", "available": "3.00"}]


async def test_grants_and_uses_for_the_calculation(api: ApiClient, engine: AsyncEngine) -> None:
    customer_id = await _customer(api)
    late = await api.create(f"/v1/customers/{customer_id}/credits", {"amount": "30.00"})
    soon = await api.create(
        f"/v1/customers/{customer_id}/credits", {"amount": "20.00", "expiresOn": tomorrow()}
    )
    await api.create(f"/v1/customers/{customer_id}/credits", {"amount": "99.00", "currency": "USD"})
    invoice = await make_invoice(api, currency="EUR")
    invoice_id = uuid.UUID(str(invoice["id"]))
    actor = await _actor(engine, api)
    async with UnitOfWork(engine) as uow:
        grants, uses = await credit_grants_and_uses(uow, actor, uuid.UUID(customer_id), "EUR", lock=True)
        assert grants == [
            CreditGrant(str(late["id"]), Decimal("30.00"), today_date(), None),
            CreditGrant(str(soon["id"]), Decimal("20.00"), today_date(), today_date() + timedelta(days=1)),
        ]
        assert uses == []
        applied = apply_credits(
            Decimal("40.00"), grants, uses, as_of=today_date(), exponent=2, invoice_id=str(invoice_id)
        )
        assert applied.applied == Decimal("40.00")
        await record_credit_uses(uow, actor, uuid.UUID(customer_id), invoice_id, "EUR", applied.uses)
        await uow.commit()
    ledger = await _ledger(api, customer_id)
    spent = [row for row in ledger["data"] if row["kind"] == "use"]
    assert sorted((row["grantId"], row["amount"]) for row in spent) == sorted(
        [(soon["id"], "-20.00"), (late["id"], "-20.00")]
    )
    assert all(row["invoiceId"] == str(invoice_id) and row["currency"] == "EUR" for row in spent)
    assert {row["reason"] for row in spent} == {f"grant:{soon['id']}", f"grant:{late['id']}"}
    assert ledger["balances"] == [
        {"currency": "EUR", "available": "10.00"},
        {"currency": "USD", "available": "99.00"},
    ]
    async with UnitOfWork(engine) as uow:
        # the grants that hold credit: the late one alone, 10.00 left
        assert await credit_grants_and_uses(uow, actor, uuid.UUID(customer_id), "EUR") == (
            [CreditGrant(str(late["id"]), Decimal("10.00"), today_date(), None)],
            [],
        )
        # for the invoice that took credit: its uses, and each grant with what it took back on it
        grants, uses = await credit_grants_and_uses(
            uow, actor, uuid.UUID(customer_id), "EUR", invoice_id=invoice_id
        )
        assert grants == [
            CreditGrant(str(late["id"]), Decimal("30.00"), today_date(), None),
            CreditGrant(str(soon["id"]), Decimal("20.00"), today_date(), today_date() + timedelta(days=1)),
        ]
        assert sorted(uses, key=lambda use: use.grant_id) == sorted(
            [
                CreditUse(str(soon["id"]), Decimal("20.00"), str(invoice_id)),
                CreditUse(str(late["id"]), Decimal("20.00"), str(invoice_id)),
            ],
            key=lambda use: use.grant_id,
        )
        # issuing again hands back the recorded uses, and recording them again writes nothing
        again = apply_credits(
            Decimal("40.00"), grants, uses, as_of=today_date(), exponent=2, invoice_id=str(invoice_id)
        )
        await record_credit_uses(uow, actor, uuid.UUID(customer_id), invoice_id, "EUR", again.uses)
        with pytest.raises(Conflict) as other_uses:
            await record_credit_uses(
                uow,
                actor,
                uuid.UUID(customer_id),
                invoice_id,
                "EUR",
                [CreditUse(str(late["id"]), Decimal("1.00"))],
            )
        assert other_uses.value.code == "credits_already_applied"
        await uow.commit()
    assert len((await _ledger(api, customer_id))["data"]) == 5


async def test_recording_more_than_a_grant_holds_is_a_conflict(api: ApiClient, engine: AsyncEngine) -> None:
    customer_id = await _customer(api)
    grant = await api.create(f"/v1/customers/{customer_id}/credits", {"amount": "10.00"})
    first = uuid.UUID(str((await make_invoice(api, currency="EUR"))["id"]))
    second = uuid.UUID(str((await make_invoice(api, currency="EUR"))["id"]))
    actor = await _actor(engine, api)
    customer = uuid.UUID(customer_id)
    async with UnitOfWork(engine) as uow:
        # both invoices read the balance before either recorded its use
        grants, uses = await credit_grants_and_uses(uow, actor, customer, "EUR")
        for_first = apply_credits(
            Decimal("8.00"), grants, uses, as_of=today_date(), exponent=2, invoice_id=str(first)
        )
        for_second = apply_credits(
            Decimal("8.00"), grants, uses, as_of=today_date(), exponent=2, invoice_id=str(second)
        )
        await record_credit_uses(uow, actor, customer, first, "EUR", for_first.uses)
        with pytest.raises(Conflict) as overspent:
            await record_credit_uses(uow, actor, customer, second, "EUR", for_second.uses)
        assert overspent.value.code == "credit_balance_changed"
        with pytest.raises(Conflict) as unknown:
            await record_credit_uses(
                uow, actor, customer, second, "USD", [CreditUse(str(grant["id"]), Decimal("1"))]
            )
        assert unknown.value.code == "credit_balance_changed"
        await uow.commit()
    assert (await _ledger(api, customer_id))["balances"] == [{"currency": "EUR", "available": "2.00"}]


async def test_returned_credit_counts_again(api: ApiClient, engine: AsyncEngine) -> None:
    customer_id = await _customer(api)
    grant = await api.create(f"/v1/customers/{customer_id}/credits", {"amount": "10.00"})
    invoice_id = uuid.UUID(str((await _invoice(api, customer_id))["id"]))
    actor = await _actor(engine, api)
    async with UnitOfWork(engine) as uow:
        use = CreditUse(str(grant["id"]), Decimal("6.00"), str(invoice_id))
        await record_credit_uses(uow, actor, uuid.UUID(customer_id), invoice_id, "EUR", [use])
        await uow.commit()
    ledger = await _ledger(api, customer_id)
    assert ledger["balances"] == [{"currency": "EUR", "available": "4.00"}]
    assert sorted((row["kind"], row["remaining"]) for row in ledger["data"]) == [
        ("grant", "4.00"),
        ("use", None),
    ]
    async with UnitOfWork(engine) as uow:
        invoice = await uow.repo.get(m.Invoice, actor.organization_id, invoice_id)
        assert invoice is not None
        await return_invoice_credits(uow, actor, invoice)
        await uow.commit()
    ledger = await _ledger(api, customer_id)
    assert sorted(row["kind"] for row in ledger["data"]) == ["grant", "return", "use"]
    assert ledger["balances"] == [{"currency": "EUR", "available": "10.00"}]
    assert [row["remaining"] for row in ledger["data"] if row["kind"] == "grant"] == ["10.00"]
    async with UnitOfWork(engine, readonly=True) as uow:
        customer = uuid.UUID(customer_id)
        assert (await credit_grants_and_uses(uow, actor, customer, "EUR", invoice_id=invoice_id))[1] == []


async def _grants_agree_with_the_ledger(engine: AsyncEngine, actor: Actor, customer_id: str) -> Decimal:
    """Every grant's stored ``remaining`` is what the whole ledger (every entry that references it) says
    it holds, and the balance read from the grants alone is the one worked out from every entry, which
    it answers."""
    entries = await whole_ledger(engine, actor.organization_id, uuid.UUID(customer_id))
    grants, uses = grants_and_uses(entries)
    held = remaining_units(grants, uses, 2)
    stored = {str(e.id): e.remaining for e in entries if e.kind == "grant"}
    assert stored == {
        grant_id: (Decimal(units).scaleb(-2) if units else None) for grant_id, units in held.items()
    }
    whole = available_credit(grants, uses, as_of=today_date(), exponent=2)
    async with UnitOfWork(engine, readonly=True) as uow:
        [balance] = await balances(uow, actor, uuid.UUID(customer_id))
    assert balance.available == whole
    return whole


async def test_each_grant_keeps_what_the_whole_ledger_says_it_holds(
    api: ApiClient, engine: AsyncEngine
) -> None:
    """Grants, uses at issue, a void giving credit back, a grant used up: after each, every grant's
    stored ``remaining`` is what the whole ledger (every entry that references it) says it holds, and
    the balances read from the grants alone equal the ones worked out from every entry."""
    customer_id = await _customer(api)
    await api.create(f"/v1/customers/{customer_id}/credits", {"amount": "25.00"})
    await api.create(f"/v1/customers/{customer_id}/credits", {"amount": "5.00", "expiresOn": tomorrow()})
    actor = await _actor(engine, api)

    async def check() -> None:
        await _grants_agree_with_the_ledger(engine, actor, customer_id)

    issued = []
    for amount in ("12.00", "12.00", "9.00"):
        invoice = await _invoice(api, customer_id)
        await api.create(f"/v1/invoices/{invoice['id']}/line-items", {"name": "Work", "amount": amount})
        answer = await api.post(f"/v1/invoices/{invoice['id']}/issue", json={"issueDate": today()})
        assert answer.status_code == 200, answer.text
        issued.append(answer.json())
        await check()
    # 30.00 of credit: 5.00 (expiring first) and 7.00, then 12.00, then the last 6.00 of 9.00
    assert [invoice["creditsAppliedAmount"] for invoice in issued] == ["12.00", "12.00", "6.00"]
    # the last one (3.00 still due) voided: its 6.00 goes back to the grant it came from
    voided = await api.post(f"/v1/invoices/{issued[2]['id']}/void", json={"reason": "billed twice"})
    assert voided.status_code == 200, voided.text
    await check()
    assert (await _ledger(api, customer_id))["balances"] == [{"currency": "EUR", "available": "6.00"}]
    again = await _invoice(api, customer_id)
    await api.create(f"/v1/invoices/{again['id']}/line-items", {"name": "Work", "amount": "10.00"})
    answer = await api.post(f"/v1/invoices/{again['id']}/issue", json={"issueDate": today()})
    assert answer.json()["creditsAppliedAmount"] == "6.00"
    await check()


async def test_issuing_reads_the_grants_that_hold_credit_not_every_use(
    api: ApiClient, engine: AsyncEngine
) -> None:
    customer_id = await _customer(api)
    for _ in range(3):
        await api.create(f"/v1/customers/{customer_id}/credits", {"amount": "1.00"})
    for _ in range(4):  # the first three each use a grant up; the fourth finds none
        invoice = await _invoice(api, customer_id)
        await api.create(f"/v1/invoices/{invoice['id']}/line-items", {"name": "Work", "amount": "1.00"})
        answer = await api.post(f"/v1/invoices/{invoice['id']}/issue", json={"issueDate": today()})
        assert answer.status_code == 200, answer.text
    assert answer.json()["creditsAppliedAmount"] == "0.00"
    last = await api.create(f"/v1/customers/{customer_id}/credits", {"amount": "2.00"})
    actor = await _actor(engine, api)
    draft = uuid.UUID(str((await _invoice(api, customer_id))["id"]))
    async with UnitOfWork(engine, readonly=True) as uow:
        read = await uow.repo.credit_for_invoice(actor.organization_id, uuid.UUID(customer_id), "EUR", draft)
        assert [(str(row.id), row.remaining) for row in read] == [(last["id"], Decimal("2.00"))]
        assert len(await whole_ledger(engine, actor.organization_id, uuid.UUID(customer_id))) == 7
        loaded = await uow.repo.invoice_to_issue(actor.organization_id, draft)
        assert loaded is not None
        assert loaded.has_credit


async def test_an_overpayment_kept_as_credit_is_a_grant(api: ApiClient) -> None:
    customer_id = await _customer(api, "USD")
    invoice = await api.create("/v1/invoices", {"customerId": customer_id, "invoiceDate": "2026-03-15"})
    await api.create(f"/v1/invoices/{invoice['id']}/line-items", {"name": "Service", "amount": "100.00"})
    issued = await api.post(f"/v1/invoices/{invoice['id']}/issue", json={"issueDate": today()})
    assert issued.status_code == 200, issued.text
    payment = await api.create(
        f"/v1/invoices/{invoice['id']}/payments", {"amount": "120.00", "keepExcessAsCredit": True}
    )
    ledger = await _ledger(api, customer_id)
    [entry] = ledger["data"]
    assert (entry["kind"], entry["amount"], entry["reason"]) == ("grant", "20.00", "overpayment")
    assert (entry["invoiceId"], entry["paymentId"], entry["grantId"]) == (invoice["id"], payment["id"], None)
    assert ledger["balances"] == [{"currency": "USD", "available": "20.00"}]


async def test_concurrent_issues_spend_each_grant_once(api: ApiClient, engine: AsyncEngine) -> None:
    customer_id = await _customer(api)
    for amount in ("7.00", "11.00", "13.00"):  # 31.00 of credit
        await api.create(f"/v1/customers/{customer_id}/credits", {"amount": amount})
    invoices = []
    for _ in range(12):  # 48.00 due in all
        invoice = await _invoice(api, customer_id)
        await api.create(f"/v1/invoices/{invoice['id']}/line-items", {"name": "Work", "amount": "4.00"})
        invoices.append(invoice["id"])
    answers = await asyncio.gather(
        *(api.post(f"/v1/invoices/{i}/issue", json={"issueDate": today()}) for i in invoices)
    )
    assert [answer.status_code for answer in answers] == [200] * 12, [a.text for a in answers]
    applied = sum((Decimal(answer.json()["creditsAppliedAmount"]) for answer in answers), Decimal(0))
    assert applied == Decimal("31.00")
    ledger = await _ledger(api, customer_id)
    assert ledger["balances"] == [{"currency": "EUR", "available": "0.00"}]
    actor = await _actor(engine, api)
    entries = await whole_ledger(engine, actor.organization_id, uuid.UUID(customer_id))
    grants, uses = grants_and_uses(entries)
    assert set(remaining_units(grants, uses, 2).values()) == {0}  # every grant spent exactly, never more
    assert {entry.remaining for entry in entries} == {None}


async def test_the_ledger_is_paged_newest_first_with_the_balances_on_every_page(api: ApiClient) -> None:
    customer_id = await _customer(api)
    made = [
        (await api.create(f"/v1/customers/{customer_id}/credits", {"amount": f"{n}.00"}))["id"]
        for n in range(1, 6)
    ]
    first = await api.get(f"/v1/customers/{customer_id}/credits", params={"limit": 2})
    assert first.status_code == 200, first.text
    page = first.json()
    CreditLedgerOut.model_validate(page)
    assert [row["id"] for row in page["data"]] == made[:-3:-1]
    assert (page["hasMore"], page["nextCursor"]) == (True, made[-2])
    assert page["balances"] == [{"currency": "EUR", "available": "15.00"}]
    seen = [row["id"] for row in page["data"]]
    while page["hasMore"]:
        page = (
            await api.get(
                f"/v1/customers/{customer_id}/credits", params={"limit": 2, "after": page["nextCursor"]}
            )
        ).json()
        assert page["balances"] == [{"currency": "EUR", "available": "15.00"}]
        seen += [row["id"] for row in page["data"]]
    assert seen == made[::-1]
    assert page["nextCursor"] is None
    for bad in ({"limit": 0}, {"limit": 101}, {"after": "not-a-cursor"}):
        refused = await api.get(f"/v1/customers/{customer_id}/credits", params=bad)
        assert refused.status_code == 400, refused.text
        assert next(iter(bad)) in refused.json()["details"]


async def test_concurrent_voids_and_issues_keep_every_grant_exact(
    api: ApiClient, engine: AsyncEngine
) -> None:
    customer_id = await _customer(api)

    async def draft(amount: str) -> str:
        invoice = await _invoice(api, customer_id)
        await api.create(f"/v1/invoices/{invoice['id']}/line-items", {"name": "Work", "amount": amount})
        return str(invoice["id"])

    async def issue(invoice_id: str) -> httpx.Response:
        return await api.post(f"/v1/invoices/{invoice_id}/issue", json={"issueDate": today()})

    # three issued invoices, each holding 5.00 of its own grant (5.00 still due: voidable)
    first = []
    for _ in range(3):
        await api.create(f"/v1/customers/{customer_id}/credits", {"amount": "5.00"})
        first.append(await draft("10.00"))
        assert (await issue(first[-1])).json()["creditsAppliedAmount"] == "5.00"
    await api.create(f"/v1/customers/{customer_id}/credits", {"amount": "4.00"})
    later = [await draft("7.00") for _ in range(6)]
    # the voids give 15.00 back while six invoices take what they find: 19.00 at most
    answers = await asyncio.gather(
        *(api.post(f"/v1/invoices/{i}/void", json={"reason": "redo"}) for i in first),
        *(issue(invoice_id) for invoice_id in later),
    )
    assert {answer.status_code for answer in answers} == {200}, [a.text for a in answers]
    left = await _grants_agree_with_the_ledger(engine, await _actor(engine, api), customer_id)
    taken = sum((Decimal(answer.json()["creditsAppliedAmount"]) for answer in answers[3:]), Decimal(0))
    assert taken >= Decimal("4.00")
    assert left + taken == Decimal("19.00")


async def test_voiding_an_invoice_gives_back_its_credit_not_a_voided_notes(
    api: ApiClient, engine: AsyncEngine
) -> None:
    """A credit note's credit taken back when the note was voided (a ``reversal`` naming the invoice)
    is not credit the invoice used: voiding the invoice later returns only what it took at issue."""
    customer_id = await _customer(api)
    await api.create(f"/v1/customers/{customer_id}/credits", {"amount": "3.00"})
    invoice = await _invoice(api, customer_id)
    await api.create(f"/v1/invoices/{invoice['id']}/line-items", {"name": "Work", "amount": "10.00"})
    issued = await api.post(f"/v1/invoices/{invoice['id']}/issue", json={"issueDate": today()})
    assert issued.json()["creditsAppliedAmount"] == "3.00"
    note = await api.create(
        f"/v1/invoices/{invoice['id']}/credit-notes",
        {"reason": "other", "amount": "2.00", "creditAmount": "2.00"},
    )
    assert (await _ledger(api, customer_id))["balances"] == [{"currency": "EUR", "available": "2.00"}]
    assert (await api.post(f"/v1/credit-notes/{note['id']}/void", json={})).status_code == 200
    assert (await _ledger(api, customer_id))["balances"] == [{"currency": "EUR", "available": "0.00"}]
    voided = await api.post(f"/v1/invoices/{invoice['id']}/void", json={"reason": "redo"})
    assert voided.status_code == 200, voided.text
    ledger = await _ledger(api, customer_id)
    assert ledger["balances"] == [{"currency": "EUR", "available": "3.00"}]
    assert sorted(row["kind"] for row in ledger["data"]) == ["grant", "grant", "return", "reversal", "use"]
    assert await _grants_agree_with_the_ledger(engine, await _actor(engine, api), customer_id) == Decimal(
        "3.00"
    )
