"""The rows of a bulk create name every column of a line (the insert adds the organization and invoice)."""

from __future__ import annotations

from billfold.db import models as m
from billfold.services.bulk_rows import LINE_COLUMNS


def test_the_rows_name_every_column_of_a_line_once() -> None:
    columns = {column.key for column in m.LineItem.__table__.columns}
    assert len(set(LINE_COLUMNS)) == len(LINE_COLUMNS)
    assert set(LINE_COLUMNS) | {"organization_id", "invoice_id"} == columns
    assert not {"organization_id", "invoice_id"} & set(LINE_COLUMNS)
