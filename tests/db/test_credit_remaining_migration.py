"""Migration 0017 works out what each existing grant still holds from the entries that reference it."""

from __future__ import annotations

import uuid
from decimal import Decimal

from alembic import command

from billfold.db.migrate import alembic_config, upgrade
from billfold.db.uow import UnitOfWork
from billfold.services.organizations import authenticate
from conftest import served, today, whole_ledger


async def test_existing_grants_get_what_they_hold(fresh_url: str) -> None:
    async with served(fresh_url) as (engine, api):
        customer = (await api.create("/v1/customers", {"name": "Prepaid", "currency": "EUR"}))["id"]
        used_up = await api.create(f"/v1/customers/{customer}/credits", {"amount": "4.00"})
        partly = await api.create(f"/v1/customers/{customer}/credits", {"amount": "10.00"})
        untouched = await api.create(
            f"/v1/customers/{customer}/credits", {"amount": "7.00", "currency": "USD"}
        )
        invoices = []
        # 4.00 + 1.00 of the grants; then the 9.00 left, given back by a void; then 2.00 of them
        for amount in ("5.00", "12.00", "2.00"):
            invoice = await api.create("/v1/invoices", {"customerId": customer, "invoiceDate": today()})
            await api.create(f"/v1/invoices/{invoice['id']}/line-items", {"name": "W", "amount": amount})
            issued = await api.post(f"/v1/invoices/{invoice['id']}/issue", json={"issueDate": today()})
            assert issued.status_code == 200, issued.text
            invoices.append(invoice["id"])
            if amount == "12.00":
                voided = await api.post(f"/v1/invoices/{invoice['id']}/void", json={"reason": "twice"})
                assert voided.status_code == 200, voided.text
        ledger = (await api.get(f"/v1/customers/{customer}/credits")).json()
        kinds = [row["kind"] for row in ledger["data"]]
        assert sorted(kinds) == ["grant"] * 3 + ["return"] + ["use"] * 4
        expected = {used_up["id"]: None, partly["id"]: Decimal("7.00"), untouched["id"]: Decimal("7.00")}

        async def stored() -> dict[str, Decimal | None]:
            async with UnitOfWork(engine, readonly=True) as uow:
                actor = await authenticate(uow, api.key)
            entries = await whole_ledger(engine, actor.organization_id, uuid.UUID(customer))
            return {str(entry.id): entry.remaining for entry in entries if entry.kind == "grant"}

        assert await stored() == expected
        await engine.dispose()
        command.downgrade(alembic_config(fresh_url), "0016")
        upgrade(fresh_url)
        assert await stored() == expected
        ledger = (await api.get(f"/v1/customers/{customer}/credits")).json()
        assert ledger["balances"] == [
            {"currency": "EUR", "available": "7.00"},
            {"currency": "USD", "available": "7.00"},
        ]
