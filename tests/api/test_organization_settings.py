"""The organization's settings: rounding mode, tax rounding and default tax category."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from billfold.api.responses import OrganizationOut
from billfold.core.money import RoundingMode
from billfold.core.taxes import TaxRounding
from billfold.db.uow import UnitOfWork
from billfold.services.calculation import rounding_policy
from billfold.services.organizations import authenticate
from conftest import ApiClient, make_invoice, new_api_key

UNKNOWN = "00000000-0000-7000-8000-000000000000"


async def _patch(api: ApiClient, body: dict[str, object]) -> dict[str, object]:
    response = await api.patch("/v1/organization", json=body)
    assert response.status_code == 200, response.text
    data: dict[str, object] = response.json()
    OrganizationOut.model_validate(data)  # the published schema holds
    return data


async def test_defaults(api: ApiClient) -> None:
    response = await api.get("/v1/organization")
    assert response.status_code == 200
    organization = response.json()
    OrganizationOut.model_validate(organization)
    assert organization["object"] == "organization"
    assert organization["name"] == "Test organization"
    assert organization["roundingMode"] == "half_up"
    assert organization["taxRounding"] == "document"
    assert organization["defaultTaxCategoryId"] is None
    uuid.UUID(organization["id"])


async def test_patch_changes_only_what_is_given(api: ApiClient) -> None:
    category = await api.create("/v1/tax-categories", {"name": "VAT", "rates": [{"rate": "20"}]})
    before = (await api.get("/v1/organization")).json()
    changed = await _patch(
        api,
        {
            "name": "Renamed",
            "roundingMode": "half_even",
            "taxRounding": "line",
            "defaultTaxCategoryId": category["id"],
        },
    )
    assert changed == {
        **before,
        "name": "Renamed",
        "roundingMode": "half_even",
        "taxRounding": "line",
        "defaultTaxCategoryId": category["id"],
    }
    assert (await api.get("/v1/organization")).json() == changed
    assert await _patch(api, {}) == changed
    kept = await _patch(api, {"taxRounding": "document"})
    assert kept == {**changed, "taxRounding": "document"}
    cleared = await _patch(api, {"defaultTaxCategoryId": None})
    assert cleared == {**kept, "defaultTaxCategoryId": None}


async def test_the_actor_carries_the_settings(api: ApiClient, engine: AsyncEngine) -> None:
    category = await api.create("/v1/tax-categories", {"name": "VAT", "rates": [{"rate": "20"}]})
    async with UnitOfWork(engine, readonly=True) as uow:
        actor = await authenticate(uow, api.key)
    assert (actor.rounding_mode, actor.tax_rounding, actor.default_tax_category_id) == (
        RoundingMode.HALF_UP,
        "document",
        None,
    )
    assert rounding_policy(actor).tax is TaxRounding.PER_RATE
    await _patch(
        api, {"roundingMode": "half_even", "taxRounding": "line", "defaultTaxCategoryId": category["id"]}
    )
    async with UnitOfWork(engine, readonly=True) as uow:
        actor = await authenticate(uow, api.key)
    assert (actor.rounding_mode, actor.tax_rounding, actor.default_tax_category_id) == (
        RoundingMode.HALF_EVEN,
        "line",
        uuid.UUID(str(category["id"])),
    )
    policy = rounding_policy(actor)
    assert (policy.mode, policy.tax) == (RoundingMode.HALF_EVEN, TaxRounding.PER_LINE)


async def test_a_new_rounding_mode_applies_to_the_next_request(api: ApiClient) -> None:
    invoice = await make_invoice(api)
    lines = f"/v1/invoices/{invoice['id']}/line-items"
    half_up = await api.create(lines, {"name": "A", "quantity": "1", "unitPrice": "0.125"})
    assert half_up["subtotalAmount"] == "0.13"
    await _patch(api, {"roundingMode": "half_even"})
    half_even = await api.create(lines, {"name": "B", "quantity": "1", "unitPrice": "0.125"})
    assert half_even["subtotalAmount"] == "0.12"


async def test_an_unknown_default_tax_category_is_404(api: ApiClient) -> None:
    before = (await api.get("/v1/organization")).json()
    response = await api.patch(
        "/v1/organization", json={"defaultTaxCategoryId": UNKNOWN, "name": "Not saved"}
    )
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert response.json()["details"] == {"defaultTaxCategoryId": "no such tax category"}
    assert (await api.get("/v1/organization")).json() == before


async def test_another_organizations_tax_category_is_404(api: ApiClient, engine: AsyncEngine) -> None:
    foreign = await api.create("/v1/tax-categories", {"name": "Secret VAT", "rates": [{"rate": "20"}]})
    other = ApiClient(api.raw, await new_api_key(engine, "Other"))
    response = await other.patch("/v1/organization", json={"defaultTaxCategoryId": foreign["id"]})
    assert response.status_code == 404
    assert "defaultTaxCategoryId" in response.json()["details"]
    assert "Secret" not in response.text
    assert (await other.get("/v1/organization")).json()["defaultTaxCategoryId"] is None
    assert (await api.get("/v1/organization")).json()["name"] == "Test organization"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        pytest.param({"roundingMode": "up"}, "roundingMode", id="rounding-mode"),
        pytest.param({"roundingMode": None}, "roundingMode", id="null-rounding-mode"),
        pytest.param({"taxRounding": "invoice"}, "taxRounding", id="tax-rounding"),
        pytest.param({"taxRounding": None}, "taxRounding", id="null-tax-rounding"),
        pytest.param({"name": ""}, "name", id="empty-name"),
        pytest.param({"name": None}, "name", id="null-name"),
        pytest.param({"name": "x" * 201}, "name", id="long-name"),
        pytest.param({"defaultTaxCategoryId": "vat"}, "defaultTaxCategoryId", id="malformed-id"),
        pytest.param({"currency": "EUR"}, "currency", id="unknown-field"),
    ],
)
async def test_bad_settings_are_400(api: ApiClient, body: dict[str, object], field: str) -> None:
    before = (await api.get("/v1/organization")).json()
    response = await api.patch("/v1/organization", json=body)
    assert response.status_code == 400, response.text
    assert field in response.json()["details"], response.json()
    assert (await api.get("/v1/organization")).json() == before


async def test_settings_are_per_organization(api: ApiClient, engine: AsyncEngine) -> None:
    other = ApiClient(api.raw, await new_api_key(engine, "Other"))
    await _patch(api, {"roundingMode": "half_even", "name": "Mine"})
    theirs = (await other.get("/v1/organization")).json()
    assert (theirs["name"], theirs["roundingMode"]) == ("Other", "half_up")


async def test_the_organization_time_zone_sets_today(api: ApiClient) -> None:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    assert (await api.get("/v1/organization")).json()["timeZone"] == "UTC"
    bad = await api.patch("/v1/organization", json={"timeZone": "Mars/Olympus_Mons"})
    assert bad.status_code == 400
    assert "timeZone" in bad.json()["details"]
    assert (await api.patch("/v1/organization", json={"timeZone": "Pacific/Kiritimati"})).json()[
        "timeZone"
    ] == ("Pacific/Kiritimati")
    customer = await api.create("/v1/customers", {"name": "Far east"})
    invoice = await api.create("/v1/invoices", {"customerId": customer["id"]})
    # UTC+14: the organization's today, which is not always UTC's
    assert invoice["invoiceDate"] == datetime.now(ZoneInfo("Pacific/Kiritimati")).date().isoformat()
