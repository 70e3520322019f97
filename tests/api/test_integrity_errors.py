"""Only the unique conflicts a concurrent request can cause are retried; any other integrity error is
a bug, answered as a logged 500 in the error shape (the idempotency races are in test_plumbing.py)."""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from billfold.api.app import create_app
from billfold.db import models as m
from billfold.db.ids import new_id, utcnow
from billfold.db.repository import Repository
from billfold.db.uow import UnitOfWork
from billfold.services import parties
from billfold.services.context import Actor
from conftest import ApiClient, new_api_key


@pytest.fixture
async def lenient(engine: AsyncEngine) -> AsyncIterator[ApiClient]:
    """A client that gets the 500 answer instead of the exception (as a real server's client would)."""
    transport = httpx.ASGITransport(app=create_app(engine), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://billfold.test") as client:
        yield ApiClient(client, await new_api_key(engine))


def _broken_create(calls: list[int], row: str) -> Any:
    async def create_customer(uow: UnitOfWork, actor: Actor, new: object) -> Any:
        calls.append(1)
        if row == "foreign_key":  # a credit entry for a customer that does not exist
            await uow.repo.insert(
                m.CreditEntry(
                    id=new_id(),
                    organization_id=actor.organization_id,
                    customer_id=uuid.uuid4(),
                    currency="USD",
                    amount=Decimal("1.00"),
                    kind="grant",
                    created_at=utcnow(),
                )
            )
        else:  # a product without a name
            await uow.repo.insert(
                m.Product(
                    id=new_id(),
                    organization_id=actor.organization_id,
                    name=None,
                    idempotency_key="k",
                    created_at=utcnow(),
                )
            )
        raise AssertionError("the insert should have failed")

    return create_customer


@pytest.mark.parametrize("row", ["foreign_key", "not_null"])
async def test_an_unexpected_integrity_error_is_a_logged_500(
    lenient: ApiClient, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, row: str
) -> None:
    calls: list[int] = []
    monkeypatch.setattr(parties, "create_customer", _broken_create(calls, row))
    with caplog.at_level(logging.ERROR, logger="billfold.api"):
        response = await lenient.post("/v1/customers", json={"name": "Acme", "currency": "USD"})
    assert response.status_code == 500
    body = response.json()
    assert body["code"] == "internal_error"
    assert set(body) == {"code", "message", "details", "causations"}
    assert calls == [1], "an unexpected integrity error must not be retried"
    logged = [r for r in caplog.records if r.name == "billfold.api" and r.levelno == logging.ERROR]
    assert logged
    assert "IntegrityError" in logged[0].getMessage()
    assert (await lenient.get("/v1/customers")).json()["data"] == []


async def test_a_lost_name_race_is_retried_and_answers_409(
    api: ApiClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The product name is taken between the service's check and its insert (as by a concurrent
    request): the retry sees the name taken and answers the service's 409, not a 500."""
    await api.create("/v1/products", {"name": "Taken"})
    calls: list[int] = []
    original = Repository.product_by_name

    async def not_yet(self: Repository, organization_id: uuid.UUID, name: str) -> m.Product | None:
        calls.append(1)
        return None if len(calls) == 1 else await original(self, organization_id, name)

    monkeypatch.setattr(Repository, "product_by_name", not_yet)
    response = await api.post("/v1/products", json={"name": "Taken"})
    assert response.status_code == 409, response.text
    assert len(calls) == 2
