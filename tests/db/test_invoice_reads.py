"""The lines' read for answers: the one statement that goes to the driver directly (PostgreSQL) is
scoped by organization like every other, and reads the columns the records are made of."""

from __future__ import annotations

from billfold.db import models as m
from billfold.db.invoice_reads import _POSTGRESQL_LINES, LINE_COLUMNS
from billfold.documents.records import STORED_FIELDS, LineRecord


def test_the_driver_statement_is_scoped_by_organization_and_invoice() -> None:
    where = _POSTGRESQL_LINES.split(" WHERE ", 1)[1]
    assert where.startswith("organization_id = $1 AND invoice_id = $2 ")
    assert " FROM line_items " in _POSTGRESQL_LINES


def test_the_columns_are_the_records_stored_fields_then_the_rate() -> None:
    assert LINE_COLUMNS[:STORED_FIELDS] == LineRecord._fields[:STORED_FIELDS]
    assert LINE_COLUMNS[STORED_FIELDS:] == ("tax_key_category_id", "tax_key_rate", "tax_key_inclusive")
    assert set(LINE_COLUMNS) <= set(m.LineItem.__table__.columns.keys())
