"""line_items.amount_places and line_items.answer: each plain line's native API answer as JSON, written by
PostgreSQL from the row

A column the database keeps (PostgreSQL only; SQLite reads lines the general way): a ``BEFORE INSERT OR
UPDATE`` trigger writes it from the row's own columns in the statement that writes the row, so it is
never out of date and no writer has to remember it (nothing else writes it: it is not mapped). ``GET
/v1/invoices/{id}`` and the bulk create's answer read it instead of formatting 1,000 lines in Python (or
in SQL at every read: ~12 ms of the database's CPU per 1,000 lines, against ~20 µs per line written).
A trigger rather than a generated column: a generated column allows only immutable functions (not
``to_json`` or ``to_char``), and its expression is set up again for every statement (0.4 ms a row in a
pipelined ``executemany``).

* ``answer``: the line's answer in the key order and formatting of
  ``billfold.api.invoice_answers.line`` (compact JSON; amounts with ``amount_places`` places; dates
  ``YYYY-MM-DD``; ``createdAt`` to the millisecond with ``Z``), with the two values a line row does
  not hold left as placeholders: U+0001 for the invoice's ``customerId`` and U+0002 for its
  ``currency`` (JSON text escapes every control character, so neither can occur otherwise). ``NULL``
  for a line Python writes: one with a price model, usage, sub-lines, adjustments or adjustment
  shares, or without ``amount_places``.
* ``amount_places`` (every database): the decimal places of the invoice's currency, which the line's
  amounts show (set by every writer of a line, and here on existing lines).

The calendar's ends are stored by the driver as ``-infinity`` and ``infinity``: they are written as
0001-01-01 and 9999-12-31. ``to_json`` escapes text exactly as orjson does.

A change to the native line answer's shape needs a migration that redefines the trigger's function (a
test holds what it writes byte-equal to what Python writes).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01 21:20:00
"""

import re
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from iso4217 import Currency as Iso4217

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _quoted(expression: str) -> str:
    """A JSON string of text that needs no escaping (ids, numbers), or ``null``."""
    return f"coalesce('\"' || {expression} || '\"', 'null')"


def _text(column: str) -> str:
    """A JSON string or ``null`` (``to_json`` escapes text exactly as orjson does)."""
    return f"coalesce(to_json({column})::text, 'null')"


def _day(column: str) -> str:
    # the driver stores the calendar's ends (0001-01-01, 9999-12-31) as -infinity and infinity
    inside = f"least(greatest({column}, '0001-01-01'::date), '9999-12-31'::date)"
    return _quoted(f"to_char({inside}, 'YYYY-MM-DD')")


def _money(column: str) -> str:
    """Exactly the currency's places (amounts are multiples of its minor unit: ``round`` only pads)."""
    return _quoted(f"round({column}, amount_places)::text")


def _empty(column: str) -> str:
    return f"({column} IS NULL OR {column}::text IN ('null', '[]', '{{}}'))"


_TAXED = "(tax_key_category_id IS NOT NULL AND tax_key_rate IS NOT NULL)"
_TAX_AMOUNTS = (
    f"CASE WHEN {_TAXED} THEN '[{{\"taxCategoryId\":' || {_quoted('tax_key_category_id::text')}"
    f" || ',\"rate\":' || {_quoted('tax_key_rate::text')}"
    " || ',\"inclusive\":' || CASE WHEN tax_key_inclusive THEN 'true' ELSE 'false' END"
    f" || ',\"amount\":' || {_money('tax_amount')} || '}}]' ELSE '[]' END"
)
ANSWER: tuple[tuple[str, str], ...] = (
    ("id", _quoted("id::text")),
    ("object", "'\"line_item\"'"),
    ("invoiceId", _quoted("invoice_id::text")),
    ("customerId", "'\"' || chr(1) || '\"'"),
    ("lineItemGroupId", _quoted("group_id::text")),
    ("productId", _quoted("product_id::text")),
    ("idempotencyKey", _text("idempotency_key")),
    ("index", "position::text"),
    ("name", _text("name")),
    ("description", _text("description")),
    ("scope", _text("scope")),
    ("startDate", _day("start_date")),
    ("endDate", _day("end_date")),
    ("pricing", _text("pricing")),
    ("unitCode", _text("coalesce(nullif(unit_code, ''), 'C62')")),
    ("quantity", _quoted("trim_scale(quantity)::text")),
    ("unitPrice", _quoted("trim_scale(unit_price)::text")),
    ("currency", "'\"' || chr(2) || '\"'"),
    ("priceId", _quoted("price_id::text")),
    ("price", "'null'"),
    ("usage", "'null'"),
    ("totalUsage", _quoted("trim_scale(total_usage)::text")),
    ("usageFormat", _text("usage_format")),
    ("subLineItems", "'[]'"),
    ("subtotalAmount", _money("subtotal_amount")),
    ("discountAmount", _money("discount_amount")),
    ("adjustmentAmount", _money("adjustment_amount")),
    ("netAmount", _money("net_amount")),
    ("taxAmount", _money("tax_amount")),
    ("totalAmount", _money("total_amount")),
    ("taxCategoryId", f"CASE WHEN {_TAXED} THEN {_quoted('tax_key_category_id::text')} ELSE 'null' END"),
    ("taxAmounts", _TAX_AMOUNTS),
    ("adjustments", "'[]'"),
    ("adjustmentDefinitions", "'[]'"),
    ("creditsAppliedAmount", _money("coalesce(credits_applied_amount, 0)")),
    ("createdAt", _quoted('to_char(created_at, \'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"\')')),
)
_SIMPLE = " AND ".join(
    (
        "amount_places IS NOT NULL",
        "price_model IS NULL",
        _empty("usage_input"),
        _empty("sub_lines"),
        _empty("adjustments"),
        _empty("adjustment_shares"),
    )
)
ANSWER_SQL = (
    f"CASE WHEN {_SIMPLE} THEN '{{' || "
    + " || ',' || ".join(f"'\"{key}\":' || {value}" for key, value in ANSWER)
    + " || '}' END"
)


COLUMNS = (
    "id|invoice_id|group_id|product_id|idempotency_key|position|name|description|scope|start_date|end_date"
    "|pricing|unit_code|quantity|unit_price|price_id|price_model|usage_input|total_usage|usage_format"
    "|sub_lines|subtotal_amount|discount_amount|adjustment_amount|net_amount|tax_amount|total_amount"
    "|tax_key_category_id|tax_key_rate|tax_key_inclusive|adjustments|adjustment_shares"
    "|credits_applied_amount|created_at|amount_places"
)
# the row's columns as the trigger reads them (a JSON key is quoted, so it is left alone)
ON_NEW_ROW = re.sub(rf"(?<![\w.\"'])({COLUMNS})(?![\w\"'])", r"NEW.\1", ANSWER_SQL)
TRIGGER_FUNCTION = f"""CREATE FUNCTION billfold_line_answer() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.answer := {ON_NEW_ROW};
    RETURN NEW;
END
$$"""


def upgrade() -> None:
    op.add_column("line_items", sa.Column("amount_places", sa.Integer(), nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        op.add_column("line_items", sa.Column("answer", sa.Text(), nullable=True))
        op.execute(TRIGGER_FUNCTION)
        op.execute(
            "CREATE TRIGGER line_items_answer BEFORE INSERT OR UPDATE ON line_items"
            " FOR EACH ROW EXECUTE FUNCTION billfold_line_answer()"
        )
    _existing_places()


def _existing_places() -> None:
    """Existing lines get their invoice currency's places (ISO 4217's, as the engine takes them); on
    PostgreSQL the trigger writes their answers."""
    bind = op.get_bind()
    for (code,) in bind.execute(sa.text("SELECT DISTINCT currency FROM invoices")).all():
        member = Iso4217.__members__.get(code)
        if member is None or member.exponent is None:
            continue  # not a currency the engine takes: its lines stay Python's to write
        bind.execute(
            sa.text(
                "UPDATE line_items SET amount_places = :places WHERE EXISTS (SELECT 1 FROM invoices"
                " WHERE invoices.organization_id = line_items.organization_id"
                " AND invoices.id = line_items.invoice_id AND invoices.currency = :code)"
            ),
            {"places": int(member.exponent), "code": code},
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER line_items_answer ON line_items")
        op.execute("DROP FUNCTION billfold_line_answer()")
        op.drop_column("line_items", "answer")
    with op.batch_alter_table("line_items") as batch:
        batch.drop_column("amount_places")
