"""API keys over the API: listed (never the key or its hash) and revoked; a revoked key is refused at once,
by every worker."""

from __future__ import annotations

import uuid

import httpx
from fastapi import Depends, Request
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncEngine

from billfold.api.app import create_app
from billfold.api.responses import ApiKeyOut, page_of
from billfold.core.money import RoundingMode
from billfold.db.uow import UnitOfWork
from billfold.services.api_keys import create_api_key, hash_key, revoke_organization_key
from billfold.services.context import Actor
from billfold.services.organizations import SettingsChange, authenticate, update_settings
from billfold.web.plumbing import current_actor, json_response, write
from conftest import ApiClient, new_api_key


async def _second_key(engine: AsyncEngine, api: ApiClient, name: str | None = "CI") -> str:
    async with UnitOfWork(engine) as uow:
        actor = await authenticate(uow, api.key)
        key = await create_api_key(uow, actor.organization_id, name)
        await uow.commit()
    return key


async def test_the_list_shows_each_key_without_its_secret(api: ApiClient, engine: AsyncEngine) -> None:
    second = await _second_key(engine, api)
    response = await api.get("/v1/api-keys")
    assert response.status_code == 200, response.text
    page = response.json()
    page_of(ApiKeyOut).model_validate(page)
    keys = page["data"]
    assert (
        [(row["prefix"], row["name"], row["revokedAt"]) for row in keys]
        == [
            (second[:10], "CI", None),  # newest first
            (api.key[:10], None, None),
        ]
    )
    assert all(row["object"] == "api_key" and row["createdAt"].endswith("Z") for row in keys)
    for secret in (api.key, second, hash_key(api.key), hash_key(second)):
        assert secret not in response.text
    first = await api.get("/v1/api-keys?limit=1")
    assert [row["id"] for row in first.json()["data"]] == [keys[0]["id"]]
    rest = await api.get(f"/v1/api-keys?limit=1&after={first.json()['nextCursor']}")
    assert [row["id"] for row in rest.json()["data"]] == [keys[1]["id"]]
    assert rest.json()["hasMore"] is False


async def test_a_revoked_key_is_refused_at_once(api: ApiClient, engine: AsyncEngine) -> None:
    second = ApiClient(api.raw, await _second_key(engine, api))
    assert (await second.get("/v1/customers")).status_code == 200
    listed = (await api.get("/v1/api-keys")).json()["data"]
    response = await api.delete(f"/v1/api-keys/{listed[0]['id']}")
    assert response.status_code == 200, response.text
    revoked = response.json()
    ApiKeyOut.model_validate(revoked)
    assert revoked["id"] == listed[0]["id"]
    assert revoked["revokedAt"] is not None
    refused = await second.get("/v1/customers")
    assert refused.status_code == 401
    assert refused.json()["code"] == "unauthorized"
    assert (await second.post("/v1/customers", json={"name": "After"})).status_code == 401
    # the key that revoked it still works; revoking again changes nothing
    again = await api.delete(f"/v1/api-keys/{listed[0]['id']}")
    assert (again.status_code, again.json()) == (200, revoked)
    assert [row["revokedAt"] for row in (await api.get("/v1/api-keys")).json()["data"]] == [
        revoked["revokedAt"],
        None,
    ]
    assert [row["name"] for row in (await api.get("/v1/customers")).json()["data"]] == []


async def test_the_key_in_use_may_revoke_itself(api: ApiClient) -> None:
    (mine,) = (await api.get("/v1/api-keys")).json()["data"]
    response = await api.delete(f"/v1/api-keys/{mine['id']}")
    assert response.status_code == 200, response.text
    assert (await api.get("/v1/api-keys")).status_code == 401


async def test_another_organizations_key_is_404(api: ApiClient, engine: AsyncEngine) -> None:
    other = ApiClient(api.raw, await new_api_key(engine, "Other"))
    (theirs,) = (await other.get("/v1/api-keys")).json()["data"]
    for key_id in (theirs["id"], str(uuid.uuid4())):
        response = await api.delete(f"/v1/api-keys/{key_id}")
        assert response.status_code == 404, response.text
        assert response.json()["code"] == "not_found"
    assert (await api.delete("/v1/api-keys/not-a-uuid")).status_code == 404
    assert (await other.get("/v1/api-keys")).json()["data"] == [theirs]
    assert (await other.get("/v1/customers")).status_code == 200
    assert theirs["id"] not in (await api.get("/v1/api-keys")).text


async def test_a_key_revoked_through_one_worker_is_refused_by_another(
    api: ApiClient, engine: AsyncEngine
) -> None:
    """Two app instances over one database stand for two worker processes."""
    second_key = await _second_key(engine, api)
    transport = httpx.ASGITransport(app=create_app(engine))
    async with httpx.AsyncClient(transport=transport, base_url="http://worker-2.test") as client:
        worker_2 = ApiClient(client, second_key)
        assert (await worker_2.get("/v1/customers")).status_code == 200  # worker 2 has seen the key
        assert (await worker_2.post("/v1/customers", json={"name": "Before"})).status_code == 201
        (newest, _) = (await api.get("/v1/api-keys")).json()["data"]
        assert (await api.delete(f"/v1/api-keys/{newest['id']}")).status_code == 200
        assert (await worker_2.get("/v1/customers")).status_code == 401
        assert (await worker_2.post("/v1/customers", json={"name": "After"})).status_code == 401
    names = [row["name"] for row in (await api.get("/v1/customers")).json()["data"]]
    assert names == ["Before"]


async def test_a_write_reads_the_key_and_settings_again_in_its_own_transaction(
    api: ApiClient, engine: AsyncEngine
) -> None:
    """Between a request's authentication and its write, the settings change and then the key is
    revoked (as another worker could do): the write sees both."""
    app = create_app(engine)
    seen: list[object] = []

    @app.post("/v1/race")
    async def race(request: Request, actor: Actor = Depends(current_actor)) -> Response:
        async with UnitOfWork(engine) as uow:
            change = SettingsChange(rounding_mode="half_even", time_zone="Asia/Tokyo")
            await update_settings(uow, actor, change)
            await uow.commit()

        async def work(uow: UnitOfWork) -> None:
            seen.append((actor.rounding_mode, actor.time_zone))
            assert actor.api_key_id is not None
            await revoke_organization_key(uow, actor.organization_id, actor.api_key_id)
            await uow.commit()  # the revocation is in, ahead of the write's next attempt

        await write(request, work)
        seen.append("after first write")

        async def never(uow: UnitOfWork) -> None:
            seen.append("written with a revoked key")

        await write(request, never)
        return json_response(200, {})

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://billfold.test") as client:
        response = await client.post("/v1/race", headers={"X-API-KEY": api.key})
    assert response.status_code == 401, response.text
    assert seen == [(RoundingMode.HALF_EVEN, "Asia/Tokyo"), "after first write"]
