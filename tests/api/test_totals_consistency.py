"""The stored totals (kept by every write, shown in lists) always equal a fresh calculation (a read).

Random sequences of writes — lines with and without taxes (exclusive, inclusive, credit lines), edits,
deletions, line discounts — on invoices rounding tax per rate and per line; after each sequence the
invoice list's figures must equal the full invoice's, and every level must reconcile.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import ApiClient, make_invoice

FIELDS = ("subtotalAmount", "discountAmount", "adjustmentAmount", "netAmount", "taxAmount", "totalAmount")

amounts = st.decimals(min_value=Decimal("-50"), max_value=Decimal("500"), places=2).map(str)
operations = st.lists(
    st.one_of(
        st.tuples(st.just("add"), amounts, st.integers(0, 3)),
        st.tuples(st.just("edit"), amounts, st.integers(0, 3)),
        st.tuples(st.just("delete"), st.just("0"), st.integers(0, 3)),
        st.tuples(st.just("discount"), st.sampled_from(["10", "33.3333", "100"]), st.integers(0, 3)),
    ),
    min_size=1,
    max_size=8,
)


async def _check(api: ApiClient, invoice_id: str) -> None:
    full = (await api.get(f"/v1/invoices/{invoice_id}")).json()
    listed = next(
        row
        for row in (await api.get("/v1/invoices", params={"limit": 100})).json()["data"]
        if row["id"] == invoice_id
    )
    for field in FIELDS:
        assert listed[field] == full[field], (field, listed[field], full[field])
    lines = full["standaloneLineItems"]
    for field in FIELDS:
        assert Decimal(full[field]) == sum((Decimal(x[field]) for x in lines), Decimal(0)), field
    for line in [full, *lines]:
        assert Decimal(line["netAmount"]) + Decimal(line["taxAmount"]) == Decimal(line["totalAmount"])


def _scenario(api: ApiClient, categories: list[str | None], ops: list[tuple[str, str, int]]) -> Any:
    async def run() -> None:
        invoice = await make_invoice(api, currency="EUR")
        base = f"/v1/invoices/{invoice['id']}"
        lines: list[str] = []
        for kind, value, pick in ops:
            if kind == "add" or not lines:
                body: dict[str, object] = {"name": "Item", "amount": value}
                if categories[pick] is not None:
                    body["taxCategoryId"] = categories[pick]
                lines.append(str((await api.create(f"{base}/line-items", body))["id"]))
            elif kind == "edit":
                response = await api.patch(
                    f"{base}/line-items/{lines[pick % len(lines)]}", json={"amount": value}
                )
                assert response.status_code == 200, response.text
            elif kind == "delete":
                assert (
                    await api.delete(f"{base}/line-items/{lines.pop(pick % len(lines))}")
                ).status_code == 204
            else:
                body = {"type": "percentage_discount", "percentage": value}
                response = await api.post(
                    f"{base}/line-items/{lines[pick % len(lines)]}/adjustments", json=body
                )
                assert response.status_code == 201, response.text
            await _check(api, str(invoice["id"]))

    return run


async def _categories(api: ApiClient) -> list[str | None]:
    made = [
        await api.create(
            "/v1/tax-categories", {"name": name, "rates": [{"rate": rate, "inclusive": inclusive}]}
        )
        for name, rate, inclusive in (
            ("Standard", "20", False),
            ("Reduced", "5.5", False),
            ("Gross", "19", True),
        )
    ]
    return [str(category["id"]) for category in made] + [None]


async def test_stored_totals_match_a_fresh_calculation_per_rate(api: ApiClient) -> None:
    categories = await _categories(api)
    scenarios: list[list[tuple[str, str, int]]] = []

    @settings(
        max_examples=12,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(operations)
    def collect(ops: list[tuple[str, str, int]]) -> None:
        scenarios.append(ops)

    collect()
    for ops in scenarios:
        await _scenario(api, categories, ops)()


async def test_stored_totals_match_a_fresh_calculation_per_line(api: ApiClient) -> None:
    categories = await _categories(api)
    assert (await api.patch("/v1/organization", json={"taxRounding": "line"})).status_code == 200
    scenarios: list[list[tuple[str, str, int]]] = []

    @settings(
        max_examples=8,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(operations)
    def collect(ops: list[tuple[str, str, int]]) -> None:
        scenarios.append(ops)

    collect()
    for ops in scenarios:
        await _scenario(api, categories, ops)()
