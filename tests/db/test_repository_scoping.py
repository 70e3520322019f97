"""Every query is scoped by organization (DESIGN.md): checked on the repository's signatures, and on the
SQL Billfold actually sends while a whole invoice's life runs through the API.
"""

from __future__ import annotations

import inspect
import re
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from billfold.db import models as m
from billfold.db.repository import Repository
from conftest import ApiClient, today

# The only repository methods without an ``organization_id`` parameter, and why.
UNSCOPED = {
    # the row itself carries its organization_id (write_values filters by it)
    "add": "row",
    "insert": "row",
    "insert_many": "rows (each carries its organization_id)",
    "insert_values": "rows (each carries its organization_id)",
    "write_values": "row",
    "write_changes": "row",
    "take_changes": "row (nothing is sent)",
    "add_events": "rows (each event carries its organization_id; numbered per organization)",
    "product_by_name_or_insert": "values",
    "guard_held": "guard (it carries its organization_id)",
    "keep_answer": "row (its held insert, which carries its organization_id)",
    # the organizations table: its own id scopes it; authentication finds the organization from the key
    "count_organizations": "organizations",
    "organization_by_name": "organizations",
    "organizations_by_id_or_name": "organizations",
    # the hosted invoice page: its unguessable token is what tells Billfold the organization
    "invoice_by_hosted_token": "hosted page",
    "key_holder": "authentication (the key finds its organization)",
    "organization": "organizations",
}


def _public_methods() -> dict[str, Any]:
    return {
        name: member
        for name, member in inspect.getmembers(Repository, inspect.isfunction)
        if not name.startswith("_")
    }


def test_every_repository_method_takes_the_organization() -> None:
    methods = _public_methods()
    assert set(UNSCOPED) <= set(methods), "an exemption names a method that no longer exists"
    unscoped = [
        name
        for name, method in methods.items()
        if name not in UNSCOPED and "organization_id" not in inspect.signature(method).parameters
    ]
    assert unscoped == []
    assert len(methods) - len(UNSCOPED) >= 20


TENANT_TABLES = {
    table.name
    for table in m.Base.metadata.sorted_tables
    if "organization_id" in table.c and table.name != "api_keys"
}
_TABLE = re.compile(r"\b(?:from|join|update|into)\s+\"?(\w+)\"?", re.IGNORECASE)


def _unscoped(statement: str) -> bool:
    """A read, update or delete of a tenant table whose WHERE clause does not name organization_id (a
    tenant table only outer-joined is scoped by its join's condition: its own organization_id there)."""
    sql = " ".join(statement.split()).lower()
    if not sql.startswith(("select", "update", "delete", "with")):
        return False
    tables = TENANT_TABLES & set(_TABLE.findall(sql))
    if not tables:
        return False
    joined = {
        table
        for table in tables
        if re.search(rf"left outer join \"?{table}\"? on .*{table}\.organization_id", sql)
    }
    if tables <= joined:
        return False
    _, _, where = sql.partition(" where ")
    return "organization_id" not in where


def test_the_statement_check_catches_an_unscoped_query() -> None:
    assert _unscoped("SELECT line_items.id FROM line_items WHERE line_items.invoice_id = ?")
    assert _unscoped("DELETE FROM line_items WHERE line_items.id = $1")
    assert not _unscoped("UPDATE invoices SET memo=? WHERE invoices.organization_id = ? AND invoices.id = ?")
    assert not _unscoped("SELECT organizations.name FROM organizations WHERE organizations.id = ?")
    joined = (
        "SELECT r.key FROM api_keys LEFT OUTER JOIN idempotency_records ON {} WHERE api_keys.key_hash = ?"
    )
    assert _unscoped(joined.format("idempotency_records.key = ?"))
    assert not _unscoped(joined.format("idempotency_records.organization_id = api_keys.organization_id"))


async def test_every_statement_of_an_invoices_life_is_scoped(api: ApiClient, engine: AsyncEngine) -> None:
    statements: list[str] = []

    def capture(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", capture)
    try:
        await _an_invoices_life(api)
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", capture)
    assert len(statements) > 100
    assert [s for s in statements if _unscoped(s)] == []


async def _an_invoices_life(api: ApiClient) -> None:
    """Creates, reads, changes and deletes along every path that has its own query."""
    category = await api.create("/v1/tax-categories", {"name": "VAT", "rates": [{"rate": "20"}]})
    customer = await api.create(
        "/v1/customers", {"name": "Acme", "currency": "USD", "externalCustomerId": "a-1"}
    )
    await api.create(f"/v1/customers/{customer['id']}/payment-accounts", {"tradeName": "Acme billing"})
    await api.create("/v1/issuing-accounts", {"tradeName": "Seller"})
    product = await api.create("/v1/products", {"name": "Widget", "taxCategoryId": category["id"]})
    tiers = [
        {"from": "0", "to": "100", "unitPrice": "1.00"},
        {"from": "100", "to": None, "unitPrice": "0.75"},
    ]
    price = await api.create(
        "/v1/prices", {"productId": product["id"], "currency": "USD", "model": "graduated", "tiers": tiers}
    )
    await api.create(f"/v1/customers/{customer['id']}/credits", {"amount": "5.00"})
    invoice = await api.create("/v1/invoices", {"customerId": customer["id"], "invoiceDate": "2026-03-15"})
    base = f"/v1/invoices/{invoice['id']}"
    group = await api.create(f"{base}/line-item-groups", {"name": "Group"})
    grouped = {"name": "In a group", "quantity": "2", "unitPrice": "3.00", "lineItemGroupId": group["id"]}
    await api.create(f"{base}/line-items", grouped)
    line = await api.create(f"{base}/line-items", {"name": "Plain", "quantity": "3", "unitPrice": "10.00"})
    await api.create(f"{base}/line-items", {"priceId": price["id"], "usage": "125"})
    await api.create(
        f"{base}/line-items/{line['id']}/adjustments", {"type": "amount_discount", "amount": "1.00"}
    )
    await api.create(
        f"{base}/line-item-groups/{group['id']}/adjustments", {"type": "amount_discount", "amount": "1.00"}
    )
    await api.create(f"{base}/adjustments", {"type": "percentage_discount", "percentage": "10"})
    assert (await api.request("PUT", f"{base}/minimum", json={"amount": "500.00"})).status_code == 200
    assert (await api.request("DELETE", f"{base}/minimum")).status_code == 200
    spare = await api.create(f"{base}/line-items", {"name": "Spare", "amount": "4.00"})
    assert (
        await api.patch(f"{base}/line-items/{spare['id']}", json={"name": "Spare part"})
    ).status_code == 200
    assert (await api.delete(f"{base}/line-items/{spare['id']}")).status_code == 204
    doomed = await api.create(f"{base}/line-item-groups", {"name": "Doomed"})
    doomed_line = {"name": "Doomed line", "amount": "1.00", "lineItemGroupId": doomed["id"]}
    await api.create(f"{base}/line-items", doomed_line)
    assert (await api.delete(f"{base}/line-item-groups/{doomed['id']}")).status_code == 204
    for url in ("/v1/customers", "/v1/products", "/v1/prices", "/v1/invoices", "/v1/tax-categories", base):
        assert (await api.get(url)).status_code == 200, url
    for url in (f"{base}/line-items", f"{base}/line-item-groups", "/v1/issuing-accounts", "/v1/organization"):
        assert (await api.get(url)).status_code == 200, url
    issued = await api.post(f"{base}/issue", json={"issueDate": today()})
    assert issued.status_code == 200, issued.text
    due = issued.json()["amountDue"]
    assert (await api.post(f"{base}/payments", json={"amount": due})).status_code == 201
    for url in (f"{base}/payments", f"{base}/events", f"/v1/customers/{customer['id']}/credits"):
        assert (await api.get(url)).status_code == 200, url
