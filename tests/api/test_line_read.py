"""GET of one line item: its own row when the invoice's stored figures are final, else the calculation."""

from __future__ import annotations

from typing import Any

import pytest

from billfold.db.repository import Repository
from conftest import ApiClient, make_invoice


async def test_one_line_is_read_without_the_others_when_its_figures_are_final(
    api: ApiClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    invoice = await make_invoice(api)
    base = f"/v1/invoices/{invoice['id']}"
    lines = [await api.create(f"{base}/line-items", {"name": "Seat", "amount": a}) for a in ("1", "2.5")]
    full = (await api.get(base)).json()["standaloneLineItems"]
    reads: list[object] = []
    original = Repository.lines_of

    async def counted(self: Repository, *args: Any) -> Any:
        reads.append(args)
        return await original(self, *args)

    monkeypatch.setattr(Repository, "lines_of", counted)
    answer = await api.get(f"{base}/line-items/{lines[1]['id']}")
    assert answer.status_code == 200
    assert answer.json() == full[1]
    assert reads == []


async def test_a_taxed_line_is_read_with_its_share_of_the_invoice_calculation(api: ApiClient) -> None:
    vat = await api.create("/v1/tax-categories", {"name": "VAT", "rates": [{"rate": "20"}]})
    invoice = await make_invoice(api)
    base = f"/v1/invoices/{invoice['id']}"
    made = [
        await api.create(f"{base}/line-items", {"name": "Seat", "amount": "0.05", "taxCategoryId": vat["id"]})
        for _ in range(3)
    ]
    full = (await api.get(base)).json()["standaloneLineItems"]
    for line, expected in zip(made, full, strict=True):
        assert (await api.get(f"{base}/line-items/{line['id']}")).json() == expected
    assert (await api.get(f"/v1/invoices/{made[0]['id']}/line-items/{made[0]['id']}")).status_code == 404
