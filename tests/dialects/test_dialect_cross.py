"""One invoice, a line through every shape of the API: each line is seen by the native API and by every
dialect with the same amounts, and idempotency keys are shared across shapes."""

from __future__ import annotations

import base64
from decimal import Decimal
from typing import Any

from dialect_helpers import customer, exact, native_invoice, native_lines

from conftest import ApiClient


async def test_a_line_from_any_dialect_reads_the_same_everywhere(api: ApiClient) -> None:
    buyer = await customer(api)
    invoice = await api.create("/v1/invoices", {"customerId": buyer["id"], "invoiceDate": "2026-03-15"})
    invoice_id = invoice["id"]
    basic = {"Authorization": "Basic " + base64.b64encode(f"{api.key}:".encode()).decode()}
    bearer = {"Authorization": f"Bearer {api.key}"}
    product = await api.create("/v1/products", {"name": "Seats"})

    group = await api.create(
        f"/aira/v1/invoices/{invoice_id}/line-item-groups",
        {
            "idempotencyKey": "g",
            "productId": product["id"],
            "startDate": "2026-03-01",
            "endDate": "2026-03-31",
        },
        200,
    )
    created = [
        await api.create(
            f"/aira/v1/invoices/{invoice_id}/line-items",
            {
                "idempotencyKey": "a",
                "lineItemGroupId": group["id"],
                "name": "Aira seat",
                "quantity": 3,
                "unitPrice": "0.335",
            },
            200,
        ),
        await api.create(f"/v1/invoices/{invoice_id}/line-items", {"name": "Native fee", "amount": "5.55"}),
    ]
    sequence = await api.raw.post(
        f"/sequence/api/invoices/{invoice_id}/line-items",
        json={"title": "Sequence seat", "quantity": "7", "rate": "0.125"},
        headers=basic,
    )
    orb = await api.raw.post(
        "/orb/v1/invoice_line_items",
        headers=bearer,
        json={
            "start_date": "2026-03-01",
            "end_date": "2026-03-31",
            "quantity": 2,
            "invoice_id": invoice_id,
            "name": "Orb usage",
            "amount": "9.99",
        },
    )
    alguna = await api.raw.post(
        f"/alguna/invoices/{invoice_id}/line-items",
        headers=bearer,
        json={"description": "Alguna seat", "quantity": "1.5", "unitPrice": "3.33"},
    )
    assert (sequence.status_code, orb.status_code, alguna.status_code) == (201, 201, 200)
    ids = [line["id"] for line in created] + [sequence.json()["id"], orb.json()["id"]]
    ids.append(alguna.json()["lineItems"][-1]["id"])

    native = await native_invoice(api, invoice_id)
    lines = native_lines(native)
    assert sorted(lines) == sorted(ids)
    net = {line_id: lines[line_id]["netAmount"] for line_id in ids}
    total = {line_id: lines[line_id]["totalAmount"] for line_id in ids}

    aira = exact(await api.get(f"/aira/v1/invoices/{invoice_id}"))
    aira_lines = {
        line["id"]: line for line in aira["standaloneLineItems"] + aira["lineItemGroups"][0]["lineItems"]
    }
    assert {k: v["totalAmount"] for k, v in aira_lines.items()} == {k: Decimal(v) for k, v in total.items()}
    assert aira["totalAmount"] == Decimal(native["totalAmount"])

    sequence_lines = (
        await api.raw.get(f"/sequence/api/invoices/{invoice_id}/line-items/all", headers=basic)
    ).json()
    assert {line["id"]: line["netTotal"] for line in sequence_lines["items"]} == net
    assert {line["id"]: line["grossTotal"] for line in sequence_lines["items"]} == total

    orb_invoice = (await api.raw.get(f"/orb/v1/invoices/{invoice_id}", headers=bearer)).json()
    assert {line["id"]: line["adjusted_subtotal"] for line in orb_invoice["line_items"]} == net
    assert orb_invoice["total"] == native["totalAmount"]

    alguna_invoice = (await api.raw.get(f"/alguna/invoices/{invoice_id}", headers=bearer)).json()
    assert {line["id"]: line["totalPrice"] for line in alguna_invoice["lineItems"]} == net
    assert alguna_invoice["total"] == native["totalAmount"]
    expected = Decimal("1.01") + Decimal("5.55") + Decimal("0.88") + Decimal("9.99") + Decimal("5.00")
    assert Decimal(native["totalAmount"]) == expected


async def test_idempotency_keys_are_shared_by_every_shape(api: ApiClient) -> None:
    buyer = await customer(api)
    invoice = await api.create("/v1/invoices", {"customerId": buyer["id"]})
    url = f"/v1/invoices/{invoice['id']}/line-items"
    await api.create(url, {"name": "Fee", "amount": "1.00", "idempotencyKey": "shared"})
    body: dict[str, Any] = {"idempotencyKey": "shared", "name": "Fee", "amount": 1}
    aira = await api.post(f"/aira/v1/invoices/{invoice['id']}/line-items", json=body)
    assert aira.status_code == 409
    assert aira.json()["code"] == "idempotency_key_reused"
    alguna = await api.post(
        f"/alguna/invoices/{invoice['id']}/line-items",
        json={"description": "Fee", "unitPrice": "1"},
        headers={"Idempotency-Key": "shared"},
    )
    assert alguna.status_code == 409
    assert len(native_lines(await native_invoice(api, str(invoice["id"])))) == 1
