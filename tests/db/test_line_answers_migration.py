"""Migration 0014: lines written before it get their currency's places and, on PostgreSQL, the answer the
database keeps; the native read of such an invoice answers what Python writes; the downgrade takes both
away."""

from __future__ import annotations

import uuid

import orjson
import sqlalchemy as sa
from alembic import command

from billfold.api import invoice_answers
from billfold.db.engine import make_engine
from billfold.db.migrate import alembic_config, upgrade
from billfold.db.uow import UnitOfWork
from billfold.services import invoice_records, invoices
from billfold.services.documents import actor_for
from conftest import make_invoice, served


async def _places(url: str) -> list[object]:
    engine = make_engine(url)
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(
                sa.text("SELECT amount_places FROM line_items ORDER BY position, amount_places DESC")
            )
            return [row[0] for row in rows]
    finally:
        await engine.dispose()


async def test_existing_lines_get_their_places_and_answers(fresh_url: str) -> None:
    async with served(fresh_url) as (engine, api):
        organization_id = uuid.UUID((await api.get("/v1/organization")).json()["id"])
        made = []
        for currency, amount in (("USD", "10.5"), ("JPY", "1000"), ("BHD", "0.125")):
            invoice = await make_invoice(api, currency)
            base = f"/v1/invoices/{invoice['id']}"
            await api.create(f"{base}/line-items", {"name": 'Work "A"', "amount": amount})
            await api.create(f"{base}/line-items", {"name": "Hours", "quantity": "1.5", "unitPrice": amount})
            made.append(str(invoice["id"]))
        await engine.dispose()
        command.downgrade(alembic_config(fresh_url), "0013")
        upgrade(fresh_url)
        assert await _places(fresh_url) == [3, 2, 0, 3, 2, 0]
        for invoice_id in made:
            async with UnitOfWork(engine) as uow:
                actor = actor_for(await uow.repo.organization(organization_id))
                record = await invoice_records.load_invoice_record(
                    uow, actor, uuid.UUID(invoice_id), native=True
                )
                view = await invoices.load_invoice(uow, actor, uuid.UUID(invoice_id))
            if engine.dialect.name == "postgresql":
                assert record.answers is not None
                assert all(isinstance(lines, str) for lines in record.answers.values())
            native = orjson.dumps(invoice_answers.invoice(record))
            assert native == orjson.dumps(invoice_answers.invoice(invoice_records.record_of(view)))
