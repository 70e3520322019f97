"""Migration 0015: idempotency records keyed ``(organization_id, scope, key)``. Existing records are kept
(a replay still answers them) and the downgrade gives them ids again; and a database whose statistics
were never gathered finds a record through its key, not by reading the organization's every record."""

from __future__ import annotations

import json
import uuid

import httpx
import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy.dialects import postgresql

from billfold.api.app import create_app
from billfold.db.engine import make_engine
from billfold.db.migrate import alembic_config, upgrade
from billfold.db.organization_queries import _key_holder
from billfold.db.uow import UnitOfWork
from billfold.services.idempotency import fingerprint
from billfold.services.organizations import create_organization


async def _organization(url: str) -> tuple[uuid.UUID, str]:
    engine = make_engine(url)
    try:
        async with UnitOfWork(engine) as uow:
            organization, key = await create_organization(uow, "Keys")
            await uow.commit()
        return organization.id, key
    finally:
        await engine.dispose()


async def _execute(url: str, statement: str, **params: object) -> list[sa.Row[tuple[object, ...]]]:
    engine = make_engine(url)
    try:
        async with engine.begin() as connection:
            typed = [
                sa.bindparam(name, type_=sa.Uuid()) for name, v in params.items() if isinstance(v, uuid.UUID)
            ]
            result = await connection.execute(sa.text(statement).bindparams(*typed), params)
            return list(result.all()) if result.returns_rows else []
    finally:
        await engine.dispose()


async def test_existing_records_are_kept_and_replayed(fresh_url: str) -> None:
    upgrade(fresh_url, "0014")
    organization_id, api_key = await _organization(fresh_url)
    body = {"name": "Replayed"}
    answer = {"id": "an earlier answer", "name": "Replayed"}
    await _execute(
        fresh_url,
        "INSERT INTO idempotency_records (id, organization_id, scope, key, fingerprint, status_code,"
        " response_body, created_at) VALUES (:id, :organization, 'customer', 'k-1', :digest, 201, :body,"
        " '2026-12-01 10:00:00')",
        id=uuid.uuid4(),
        organization=organization_id,
        digest=fingerprint("native", "customer", body),
        body=json.dumps(answer),
    )

    upgrade(fresh_url)

    engine = make_engine(fresh_url)
    try:
        transport = httpx.ASGITransport(app=create_app(engine))
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            headers = {"X-API-KEY": api_key, "Idempotency-Key": "k-1"}
            replayed = await client.post("/v1/customers", json=body, headers=headers)
            assert replayed.status_code == 201
            assert replayed.headers["Idempotent-Replayed"] == "true"
            assert replayed.json() == answer
            headers["Idempotency-Key"] = "k-2"
            assert (await client.post("/v1/customers", json=body, headers=headers)).status_code == 201
            again = await client.post("/v1/customers", json={"name": "Other"}, headers=headers)
            assert again.status_code == 409
    finally:
        await engine.dispose()

    command.downgrade(alembic_config(fresh_url), "0014")
    rows = await _execute(fresh_url, "SELECT key, id FROM idempotency_records ORDER BY key")
    assert [row[0] for row in rows] == ["k-1", "k-2"]
    assert all(row[1] is not None for row in rows)
    assert len({row[1] for row in rows}) == 2


@pytest.mark.parametrize("fresh_url", ["postgresql"], indirect=True)
async def test_a_new_database_finds_a_record_by_its_key(fresh_url: str) -> None:
    """No ``ANALYZE`` has run: the key holder's statement still probes the record by organization, scope
    and key (before 0015 the planner took the ``(organization_id, id)`` key and filtered every record of
    the organization, for every create)."""
    upgrade(fresh_url)
    organization_id, _ = await _organization(fresh_url)
    await _execute(
        fresh_url,
        "INSERT INTO idempotency_records (organization_id, scope, key, fingerprint, status_code,"
        " response_body, created_at) SELECT :organization, 'line_item:x', 'k' || n, 'f', 201, '{}',"
        " '2026-12-01 10:00:00' FROM generate_series(1, 2000) AS n",
        organization=organization_id,
    )
    statement = _key_holder(("line_item:x", "k17")).params(key_hash="h", scope="line_item:x", used="k17")
    sql = str(statement.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}))
    plan = json.dumps((await _execute(fresh_url, f"EXPLAIN (FORMAT JSON) {sql}"))[0][0])
    assert "pk_idempotency_records" in plan
    assert "idempotency_records_pkey" not in plan
    probe = next(
        node
        for node in _nodes(json.loads(plan)[0]["Plan"])
        if node.get("Relation Name") == "idempotency_records"
    )
    assert "scope" in probe["Index Cond"]
    assert "key" in probe["Index Cond"]
    assert "Filter" not in probe


def _nodes(node: dict[str, object]) -> list[dict[str, object]]:
    found = [node]
    for child in node.get("Plans", []):  # type: ignore[union-attr]
        found += _nodes(child)
    return found
