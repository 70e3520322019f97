"""JSON columns: written by orjson where it can, by the standard library where it cannot; read back the same."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from billfold.db import models as m
from billfold.db.engine import json_text
from billfold.db.ids import new_id, utcnow
from billfold.db.uow import UnitOfWork
from billfold.services.organizations import create_organization

VALUES: list[Any] = [
    {"tiers": [{"upTo": "10", "unitPrice": "1.5"}, {"upTo": None, "unitPrice": "0.9"}]},
    {"big": 123456789012345678901234567890, "small": -(2**63)},  # beyond 64 bits: the standard library
    {"text": "Zürich – 東京 \u0000\u001f\u2028 \"quoted\" \\ </script>"},
    {1: "an integer key", "nested": {"list": [1, 2.5, True, False, None]}},
    [],
    "plain",
]


@pytest.mark.parametrize("value", VALUES)
def test_json_text_reads_back_as_the_standard_library_writes(value: Any) -> None:
    assert json.loads(json_text(value)) == json.loads(json.dumps(value))


@pytest.mark.parametrize("value", VALUES[:4])
async def test_json_column_round_trip(engine: AsyncEngine, value: Any) -> None:
    async with UnitOfWork(engine) as uow:
        organization, _ = await create_organization(uow, "JSON store")
        product = m.Product(
            id=new_id(),
            organization_id=organization.id,
            name="p",
            idempotency_key="p",
            created_at=utcnow(),
        )
        price = m.Price(
            id=new_id(),
            organization_id=organization.id,
            product_id=product.id,
            currency="EUR",
            model="tiered",
            config=value,
            idempotency_key="q",
            created_at=utcnow(),
        )
        await uow.repo.add(product)
        await uow.session.flush()
        await uow.repo.add(price)
        await uow.commit()
    async with UnitOfWork(engine, readonly=True) as uow:
        loaded = await uow.repo.get(m.Price, organization.id, price.id)
    assert loaded is not None
    assert loaded.config == json.loads(json.dumps(value))
