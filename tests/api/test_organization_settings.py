"""The organization's settings: rounding mode, tax rounding and default tax category."""

from __future__ import annotations

import logging
import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from billfold.api.app import create_app
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


# -- settings are read from the database on every request, never from a process's memory ---------


async def _six_lines(api: ApiClient, invoice_id: object) -> list[dict[str, object]]:
    lines = f"/v1/invoices/{invoice_id}/line-items"
    body = {"quantity": "3", "unitPrice": "0.835"}
    return [await api.create(lines, {"name": f"L{n}", **body}) for n in range(6)]


async def test_lines_added_right_after_a_patch_follow_it(api: ApiClient) -> None:
    category = await api.create("/v1/tax-categories", {"name": "VAT", "rates": [{"rate": "20"}]})
    invoice = await make_invoice(api)
    before = await api.create(
        f"/v1/invoices/{invoice['id']}/line-items", {"name": "Before", "quantity": "3", "unitPrice": "0.835"}
    )
    assert (before["subtotalAmount"], before["taxCategoryId"]) == ("2.51", None)  # half-up, untaxed
    await _patch(api, {"defaultTaxCategoryId": category["id"], "roundingMode": "half_even"})
    added = await _six_lines(api, invoice["id"])
    # 3 × 0.835 = 2.505: half-even 2.50, every line taxed with the new default
    assert [(row["subtotalAmount"], row["taxCategoryId"]) for row in added] == [("2.50", category["id"])] * 6
    full = (await api.get(f"/v1/invoices/{invoice['id']}")).json()
    # the line written before the change keeps what it was written with
    assert [line["subtotalAmount"] for line in full["standaloneLineItems"]] == ["2.51"] + ["2.50"] * 6
    assert full["taxAmount"] == "3.00"  # 6 × 2.50 × 20 %, the earlier line untaxed


async def test_a_patch_through_one_worker_is_seen_at_once_by_another(
    api: ApiClient, engine: AsyncEngine
) -> None:
    """Two app instances over one database stand for two worker processes."""
    category = await api.create("/v1/tax-categories", {"name": "VAT", "rates": [{"rate": "20"}]})
    invoice = await make_invoice(api)
    other_app = create_app(engine)
    transport = httpx.ASGITransport(app=other_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://worker-2.test") as client:
        worker_2 = ApiClient(client, api.key)
        # worker 2 has served this key before the change
        lines = f"/v1/invoices/{invoice['id']}/line-items"
        warm = await worker_2.create(lines, {"name": "Warm", "quantity": "3", "unitPrice": "0.835"})
        assert (warm["subtotalAmount"], warm["taxCategoryId"]) == ("2.51", None)
        await _patch(api, {"defaultTaxCategoryId": category["id"], "roundingMode": "half_even"})
        added = await _six_lines(worker_2, invoice["id"])
        assert {(row["subtotalAmount"], row["taxCategoryId"]) for row in added} == {("2.50", category["id"])}
        assert (await worker_2.get("/v1/organization")).json()["roundingMode"] == "half_even"
        await _patch(api, {"timeZone": "Pacific/Kiritimati"})
        customer = await worker_2.create("/v1/customers", {"name": "Far east"})
        made = await worker_2.create("/v1/invoices", {"customerId": customer["id"]})
        assert made["invoiceDate"] == datetime.now(ZoneInfo("Pacific/Kiritimati")).date().isoformat()


@pytest.mark.parametrize(
    ("tax_rounding", "tax", "line_taxes", "total"),
    [
        pytest.param("document", "0.02", ["0.01", "0.01", "0.00"], "0.11", id="per-rate"),
        pytest.param("line", "0.03", ["0.01", "0.01", "0.01"], "0.12", id="per-line"),
    ],
)
async def test_the_readme_worked_example(
    api: ApiClient, tax_rounding: str, tax: str, line_taxes: list[str], total: str
) -> None:
    """Three lines of 0.03 EUR at 20 % VAT, set up as the README does it: the default tax category and
    the tax rounding are set, then the lines are added at once."""
    category = await api.create("/v1/tax-categories", {"name": "VAT", "rates": [{"rate": "20"}]})
    invoice = await make_invoice(api, currency="EUR")
    await api.get("/v1/organization")  # the key has been seen before the change
    await _patch(api, {"defaultTaxCategoryId": category["id"], "taxRounding": tax_rounding})
    lines = f"/v1/invoices/{invoice['id']}/line-items"
    for n in range(3):
        await api.create(lines, {"name": f"Coffee {n}", "quantity": "1", "unitPrice": "0.03"})
    full = (await api.get(f"/v1/invoices/{invoice['id']}")).json()
    assert (full["subtotalAmount"], full["taxAmount"], full["totalAmount"]) == ("0.09", tax, total)
    assert [line["taxAmount"] for line in full["standaloneLineItems"]] == line_taxes


async def test_issued_invoices_keep_the_settings_they_were_issued_with(api: ApiClient) -> None:
    category = await api.create("/v1/tax-categories", {"name": "VAT", "rates": [{"rate": "20"}]})
    await _patch(api, {"defaultTaxCategoryId": category["id"]})
    invoice = await make_invoice(api, currency="EUR")
    lines = f"/v1/invoices/{invoice['id']}/line-items"
    for n in range(3):
        await api.create(lines, {"name": f"Coffee {n}", "quantity": "1", "unitPrice": "0.03"})
    issued = await api.post(f"/v1/invoices/{invoice['id']}/issue", json={})
    assert issued.status_code == 200, issued.text
    before = issued.json()
    await _patch(api, {"taxRounding": "line", "roundingMode": "half_even", "defaultTaxCategoryId": None})
    after = (await api.get(f"/v1/invoices/{invoice['id']}")).json()
    assert after == before
    assert after["taxAmount"] == "0.02"


# -- time zones ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("A" * 256, id="256-characters"),
        pytest.param("Europe/" + "x" * 100_000, id="100-kb"),
        pytest.param("Europe/Berlin" + "/" * 60, id="slashes"),
        pytest.param("../../../../etc/passwd", id="path"),
        pytest.param("/usr/share/zoneinfo/UTC", id="absolute-path"),
        pytest.param("Europe/Berlin\u0000", id="nul"),
        pytest.param("europe/berlin", id="lower-case"),
        pytest.param("localtime", id="localtime"),
        pytest.param("", id="empty"),
        pytest.param(" UTC", id="space"),
        pytest.param(7, id="number"),
    ],
)
async def test_a_bad_time_zone_is_400_naming_it(
    api: ApiClient, value: object, caplog: pytest.LogCaptureFixture
) -> None:
    before = (await api.get("/v1/organization")).json()
    response = await api.patch("/v1/organization", json={"timeZone": value, "name": "Not saved"})
    assert response.status_code == 400, response.text
    assert list(response.json()["details"]) == ["timeZone"]
    assert len(response.content) < 1000  # the value is not echoed
    assert (await api.get("/v1/organization")).json() == before
    assert not [record for record in caplog.records if record.levelno >= logging.ERROR]


@pytest.mark.parametrize("name", ["UTC", "Europe/Berlin", "America/Argentina/Buenos_Aires", "Etc/GMT+5"])
async def test_iana_time_zones_are_accepted(api: ApiClient, name: str) -> None:
    assert (await _patch(api, {"timeZone": name}))["timeZone"] == name
