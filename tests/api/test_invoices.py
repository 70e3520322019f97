"""Invoices, groups and lines through the native API: every amount right to the cent."""

from __future__ import annotations

from typing import Any

import pytest

from billfold.db.repository import Repository
from conftest import ApiClient, make_invoice


async def test_invoice_defaults_to_draft_one_off_for_the_month(api: ApiClient) -> None:
    invoice = await make_invoice(api)
    assert invoice["status"] == "draft"
    assert invoice["source"] == "one_off"
    assert invoice["invoiceNumber"] is None
    assert invoice["contractId"] is None
    assert invoice["isLocked"] is False
    assert (invoice["periodStart"], invoice["periodEnd"]) == ("2026-03-01", "2026-03-31")
    assert invoice["currency"] == "USD"
    assert invoice["totalAmount"] == "0.00"


async def test_totals_in_usd_jpy_and_bhd(api: ApiClient) -> None:
    cases = {
        "USD": (("3", "0.335"), "100.50", "1.01", "101.51"),
        "JPY": (("3", "33.5"), "1005", "101", "1106"),
        "BHD": (("3", "0.3335"), "100.505", "1.001", "101.506"),
    }
    for code, ((quantity, unit_price), amount, line_total, invoice_total) in cases.items():
        invoice = await make_invoice(api, currency=code)
        base = f"/v1/invoices/{invoice['id']}"
        group = await api.create(f"{base}/line-item-groups", {"name": f"Seats {code}"})
        line = await api.create(
            f"{base}/line-items",
            {"name": "Seat", "lineItemGroupId": group["id"], "quantity": quantity, "unitPrice": unit_price},
        )
        assert line["subtotalAmount"] == line_total
        await api.create(f"{base}/line-items", {"name": "Setup", "amount": amount})
        full = (await api.get(base)).json()
        assert full["totalAmount"] == invoice_total, code
        assert full["lineItemGroups"][0]["totalAmount"] == line_total
        assert full["standaloneLineItems"][0]["totalAmount"] == amount
        assert full["amountDue"] == invoice_total
        assert full["amountRemaining"] == invoice_total


async def test_totals_equal_sum_of_rounded_lines(api: ApiClient) -> None:
    invoice = await make_invoice(api)
    base = f"/v1/invoices/{invoice['id']}"
    for _ in range(3):
        await api.create(f"{base}/line-items", {"name": "Tiny", "quantity": "1", "unitPrice": "0.005"})
    full = (await api.get(base)).json()
    # Each line rounds once (0.005 -> 0.01, half-up); the invoice adds the rounded lines: 0.03, not 0.02.
    assert [line["totalAmount"] for line in full["standaloneLineItems"]] == ["0.01"] * 3
    assert full["totalAmount"] == "0.03"


async def test_credit_line_and_tiny_unit_price(api: ApiClient) -> None:
    invoice = await make_invoice(api)
    base = f"/v1/invoices/{invoice['id']}"
    await api.create(f"{base}/line-items", {"name": "Service", "amount": "50.00"})
    credit = await api.create(f"{base}/line-items", {"name": "Goodwill", "amount": "-10.00"})
    assert credit["totalAmount"] == "-10.00"
    tiny = await api.create(
        f"{base}/line-items", {"name": "API call", "quantity": "1000000", "unitPrice": "0.000000000001"}
    )
    assert tiny["unitPrice"] == "0.000000000001"
    assert tiny["totalAmount"] == "0.00"
    assert (await api.get(base)).json()["totalAmount"] == "40.00"


async def test_patch_and_delete_move_the_running_sums(api: ApiClient) -> None:
    invoice = await make_invoice(api)
    base = f"/v1/invoices/{invoice['id']}"
    group = await api.create(f"{base}/line-item-groups", {"name": "Usage"})
    line = await api.create(
        f"{base}/line-items",
        {"name": "Calls", "lineItemGroupId": group["id"], "quantity": "2", "unitPrice": "5"},
    )
    other = await api.create(f"{base}/line-items", {"name": "Fee", "amount": "1.00"})
    patched = await api.patch(f"{base}/line-items/{line['id']}", json={"quantity": "3"})
    assert patched.status_code == 200, patched.text
    assert patched.json()["totalAmount"] == "15.00"
    full = (await api.get(base)).json()
    assert full["totalAmount"] == "16.00"
    assert full["lineItemGroups"][0]["totalAmount"] == "15.00"

    assert (await api.delete(f"{base}/line-items/{other['id']}")).status_code == 204
    assert (await api.get(base)).json()["totalAmount"] == "15.00"
    assert (await api.delete(f"{base}/line-item-groups/{group['id']}")).status_code == 204
    full = (await api.get(base)).json()
    assert full["totalAmount"] == "0.00"
    assert full["lineItemGroups"] == []
    assert full["standaloneLineItems"] == []


async def test_group_defaults_and_order(api: ApiClient) -> None:
    invoice = await make_invoice(api)
    base = f"/v1/invoices/{invoice['id']}"
    product = await api.create("/v1/products", {"name": "Platform", "defaultUnitPrice": "99.90"})
    first = await api.create(f"{base}/line-item-groups", {"productId": product["id"]})
    second = await api.create(
        f"{base}/line-item-groups",
        {"name": "Extras", "startDate": "2026-03-10", "endDate": "2026-03-20", "description": "Add-ons"},
    )
    assert first["name"] == "Platform"
    assert (first["index"], second["index"]) == (0, 1)
    assert (first["startDate"], first["endDate"]) == ("2026-03-01", "2026-03-31")
    line = await api.create(
        f"{base}/line-items", {"productId": product["id"], "lineItemGroupId": second["id"]}
    )
    assert line["name"] == "Platform"
    assert line["unitPrice"] == "99.9"
    assert line["totalAmount"] == "99.90"
    assert (line["startDate"], line["endDate"]) == ("2026-03-10", "2026-03-20")
    renamed = await api.patch(f"{base}/line-item-groups/{second['id']}", json={"name": "Extras 2"})
    assert renamed.json()["name"] == "Extras 2"
    assert renamed.json()["totalAmount"] == "99.90"


async def test_line_by_name_finds_or_creates_the_product(api: ApiClient) -> None:
    invoice = await make_invoice(api)
    base = f"/v1/invoices/{invoice['id']}"
    first = await api.create(f"{base}/line-items", {"name": "Consulting", "quantity": "1", "unitPrice": "10"})
    second = await api.create(
        f"{base}/line-items", {"name": "Consulting", "quantity": "2", "unitPrice": "10"}
    )
    assert first["productId"] == second["productId"]
    products = (await api.get("/v1/products")).json()["data"]
    assert [p["name"] for p in products] == ["Consulting"]


async def test_list_invoices_paginates_and_filters(api: ApiClient) -> None:
    customer = await api.create("/v1/customers", {"name": "Pager"})
    ids = [(await api.create("/v1/invoices", {"customerId": customer["id"]}))["id"] for _ in range(5)]
    first = (await api.get("/v1/invoices", params={"limit": 2, "customerId": customer["id"]})).json()
    assert first["hasMore"] is True
    assert [row["id"] for row in first["data"]] == ids[::-1][:2]
    rest = (
        await api.get(
            "/v1/invoices", params={"limit": 10, "after": first["nextCursor"], "customerId": customer["id"]}
        )
    ).json()
    assert [row["id"] for row in rest["data"]] == ids[::-1][2:]
    assert rest["hasMore"] is False
    assert rest["nextCursor"] is None
    drafts = (await api.get("/v1/invoices", params={"status": "paid"})).json()
    assert drafts["data"] == []


async def test_an_invoice_that_never_had_a_group_reads_no_groups(
    api: ApiClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Reading or issuing an invoice that never had a group sends no query for its groups (its
    ``next_group_index`` is 0); one whose groups were all deleted still reads them (and finds none)."""
    reads: list[str] = []
    original = Repository.groups_of

    async def counted(self: Repository, organization_id: Any, invoice_id: Any) -> Any:
        reads.append(str(invoice_id))
        return await original(self, organization_id, invoice_id)

    monkeypatch.setattr(Repository, "groups_of", counted)
    plain = await make_invoice(api)
    await api.create(f"/v1/invoices/{plain['id']}/line-items", {"name": "Seat", "amount": "10.00"})
    read = (await api.get(f"/v1/invoices/{plain['id']}")).json()
    assert read["lineItemGroups"] == []
    assert read["totalAmount"] == "10.00"
    issued = await api.post(f"/v1/invoices/{plain['id']}/issue", json={})
    assert issued.status_code == 200
    assert issued.json()["lineItemGroups"] == []
    assert reads == []

    emptied = await make_invoice(api)
    group = await api.create(f"/v1/invoices/{emptied['id']}/line-item-groups", {"name": "Gone"})
    gone = await api.delete(f"/v1/invoices/{emptied['id']}/line-item-groups/{group['id']}")
    assert gone.status_code == 204
    reads.clear()
    assert (await api.get(f"/v1/invoices/{emptied['id']}")).json()["lineItemGroups"] == []
    assert reads == [str(emptied["id"])]
