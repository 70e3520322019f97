"""running sums per cell; neutral stored data

Revision ID: 0009
Revises: 0005
Create Date: 2026-12-01 15:00:00

* Invoices keep running sums per cell (``running_sums``, see billfold.core.running) instead of per-rate
  ``tax_bases``. The old sums cannot tell which lines a covering adjustment covers, so every draft is
  marked ``recalculate_all``: its next write rebuilds the sums from its lines (reads calculate from the
  lines anyway). Issued invoices are frozen and need no sums.
* A line's resolved rate, stored as the packed text ``"category|rate|1"``, becomes three typed columns
  (``tax_key_category_id``, ``tax_key_rate``, ``tax_key_inclusive``).
* JSON is stored neutral (snake_case, no API names); the API and the dialects shape it: the issued
  calculation (``taxSummary`` -> ``tax_summary``, ...), adjustment definitions (``appliesTo: {productIds,
  priceIds}`` -> ``applies_to: {product_ids, price_ids}``) and percent-split allocations
  (``paymentAccountId`` -> ``payment_account_id``); a line's sub lines (``orbType``, their metadata's
  ``minimumAmount``...) and usage (``usageByDimension``, ``startDate``...) in snake_case throughout.

Columns are added and dropped with plain ``ALTER TABLE`` (``recreate="never"``; SQLite has dropped
columns natively since 3.35): recreating ``invoices`` on SQLite would fail on the rows that reference it.
The conversions are the pure functions below (tests/db/test_migration_0009.py); downgrade reverses them.
"""

import re
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from alembic import op

import billfold.db.types

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CALCULATION_KEYS = {
    "taxSummary": "tax_summary",
    "taxCategoryId": "tax_category_id",
    "taxableAmount": "taxable_amount",
    "taxAmount": "tax_amount",
    "scopeId": "scope_id",
    "unappliedAmount": "unapplied_amount",
    "unappliedQuantity": "unapplied_quantity",
    "paymentAccountId": "payment_account_id",
    "netAmount": "net_amount",
    "totalAmount": "total_amount",
    "creditsAppliedAmount": "credits_applied_amount",
    "amountDue": "amount_due",
    "withholdingAmount": "withholding_amount",
    "grossUpAmount": "gross_up_amount",
}
DEFINITION_KEYS = {"appliesTo": "applies_to", "productIds": "product_ids", "priceIds": "price_ids"}
ALLOCATION_KEYS = {"paymentAccountId": "payment_account_id"}


def renamed(value: Any, names: Mapping[str, str]) -> Any:
    """``value`` (JSON) with every dict key found in ``names`` renamed, at any depth."""
    if isinstance(value, dict):
        return {names.get(key, key): renamed(item, names) for key, item in value.items()}
    if isinstance(value, list):
        return [renamed(item, names) for item in value]
    return value


def reverse(names: Mapping[str, str]) -> dict[str, str]:
    return {new: old for old, new in names.items()}


def snake_keys(value: Any) -> Any:
    """``value`` (JSON) with every camelCase dict key in snake_case, at any depth."""
    if isinstance(value, dict):
        return {
            re.sub(r"[A-Z]", lambda m: "_" + m.group(0).lower(), k): snake_keys(v) for k, v in value.items()
        }
    if isinstance(value, list):
        return [snake_keys(item) for item in value]
    return value


def camel_keys(value: Any) -> Any:
    """The reverse of :func:`snake_keys`."""
    if isinstance(value, dict):
        return {
            re.sub(r"_([a-z0-9])", lambda m: m.group(1).upper(), k): camel_keys(v) for k, v in value.items()
        }
    if isinstance(value, list):
        return [camel_keys(item) for item in value]
    return value


def split_tax_key(text: str | None) -> tuple[UUID | None, Decimal | None, bool | None]:
    """``"category|rate|1"`` -> (category id, rate, inclusive); untaxed -> three ``None``."""
    if not text:
        return None, None, None
    category, rate, inclusive = text.split("|")
    return UUID(category), Decimal(rate), inclusive == "1"


def join_tax_key(category: Any, rate: Any, inclusive: Any) -> str | None:
    if category is None:
        return None
    return f"{category}|{rate}|{int(bool(inclusive))}"


def _convert_json(table: str, column: str, convert: Callable[[Any], Any]) -> None:
    rows = sa.table(table, sa.column("id", sa.Uuid()), sa.column(column, sa.JSON(none_as_null=True)))
    bind = op.get_bind()
    found = bind.execute(sa.select(rows.c.id, rows.c[column]).where(rows.c[column].is_not(None))).all()
    for row_id, value in found:
        bind.execute(rows.update().where(rows.c.id == row_id).values({column: convert(value)}))


def _convert_all(
    calculation: Mapping[str, str],
    definition: Mapping[str, str],
    allocation: Mapping[str, str],
    keys: Callable[[Any], Any],
) -> None:
    _convert_json("line_items", "sub_lines", keys)
    _convert_json("line_items", "usage_input", keys)
    _convert_json("invoices", "calculation", lambda value: renamed(value, calculation))
    _convert_json("invoices", "allocations", lambda value: renamed(value, allocation))
    for table in ("invoices", "line_item_groups", "line_items"):
        _convert_json(table, "adjustments", lambda value: renamed(value, definition))


def _lines_table(*columns: sa.ColumnClause[Any]) -> sa.TableClause:
    return sa.table("line_items", sa.column("id", sa.Uuid()), *columns)


def upgrade() -> None:
    with op.batch_alter_table("invoices", recreate="never") as batch_op:
        batch_op.add_column(sa.Column("running_sums", sa.JSON(), nullable=True))
    invoices = sa.table("invoices", sa.column("frozen", sa.Boolean), sa.column("recalculate_all", sa.Boolean))
    op.execute(invoices.update().where(invoices.c.frozen == sa.false()).values(recalculate_all=True))
    with op.batch_alter_table("invoices", recreate="never") as batch_op:
        batch_op.drop_column("tax_bases")

    with op.batch_alter_table("line_items", recreate="never") as batch_op:
        batch_op.add_column(sa.Column("tax_key_category_id", sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column("tax_key_rate", billfold.db.types.ExactDecimal(), nullable=True))
        batch_op.add_column(sa.Column("tax_key_inclusive", sa.Boolean(), nullable=True))
    lines = _lines_table(
        sa.column("tax_key", sa.String()),
        sa.column("tax_key_category_id", sa.Uuid()),
        sa.column("tax_key_rate", billfold.db.types.ExactDecimal()),
        sa.column("tax_key_inclusive", sa.Boolean()),
    )
    bind = op.get_bind()
    for row_id, text in bind.execute(
        sa.select(lines.c.id, lines.c.tax_key).where(lines.c.tax_key.is_not(None))
    ):
        category, rate, inclusive = split_tax_key(text)
        bind.execute(
            lines.update()
            .where(lines.c.id == row_id)
            .values(tax_key_category_id=category, tax_key_rate=rate, tax_key_inclusive=inclusive)
        )
    with op.batch_alter_table("line_items", recreate="never") as batch_op:
        batch_op.drop_column("tax_key")

    _convert_all(CALCULATION_KEYS, DEFINITION_KEYS, ALLOCATION_KEYS, snake_keys)


def downgrade() -> None:
    _convert_all(reverse(CALCULATION_KEYS), reverse(DEFINITION_KEYS), reverse(ALLOCATION_KEYS), camel_keys)

    with op.batch_alter_table("line_items", recreate="never") as batch_op:
        batch_op.add_column(sa.Column("tax_key", sa.String(length=120), nullable=True))
    lines = _lines_table(
        sa.column("tax_key", sa.String()),
        sa.column("tax_key_category_id", sa.Uuid()),
        sa.column("tax_key_rate", billfold.db.types.ExactDecimal()),
        sa.column("tax_key_inclusive", sa.Boolean()),
    )
    bind = op.get_bind()
    found = bind.execute(
        sa.select(
            lines.c.id, lines.c.tax_key_category_id, lines.c.tax_key_rate, lines.c.tax_key_inclusive
        ).where(lines.c.tax_key_category_id.is_not(None))
    ).all()
    for row_id, category, rate, inclusive in found:
        bind.execute(
            lines.update().where(lines.c.id == row_id).values(tax_key=join_tax_key(category, rate, inclusive))
        )
    with op.batch_alter_table("line_items", recreate="never") as batch_op:
        batch_op.drop_column("tax_key_inclusive")
        batch_op.drop_column("tax_key_rate")
        batch_op.drop_column("tax_key_category_id")

    with op.batch_alter_table("invoices", recreate="never") as batch_op:
        batch_op.add_column(sa.Column("tax_bases", sa.JSON(), nullable=True))
    invoices = sa.table("invoices", sa.column("frozen", sa.Boolean), sa.column("recalculate_all", sa.Boolean))
    op.execute(invoices.update().where(invoices.c.frozen == sa.false()).values(recalculate_all=True))
    with op.batch_alter_table("invoices", recreate="never") as batch_op:
        batch_op.drop_column("running_sums")
