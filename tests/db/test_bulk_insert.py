"""Many rows in one round trip (``billfold.db.bulk_insert``): on PostgreSQL a ``COPY`` in text format,
on SQLite the ORM's ``executemany``. Text comes back exactly as sent, whatever the format escapes, and a
broken constraint is raised as the ORM raises it."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any, cast

import pytest
from sqlalchemy import Table, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from billfold.db import models as m
from billfold.db.bulk_insert import copy_data, copy_text, escaped, insert_rows
from billfold.db.errors import unique_violation
from billfold.db.ids import new_id
from billfold.db.line_queries import answered_lines
from billfold.db.uow import UnitOfWork
from billfold.services.bulk_rows import LINE_COLUMNS
from conftest import ApiClient

# What COPY's text format gives a meaning to (its escapes, its NULL, its end of data) and what it does not
# (a carriage return is refused in a description before it gets here; the format's test has one)
TEXTS = [
    "back\\slash",
    "\\N",
    "\\.",
    "\\",
    "ends with a backslash\\",
    "tab\there",
    "two\nlines",
    "\\t not a tab",
    "octal \\101 and hex \\x41",
    "quotes \"double\" and 'single'",
    "Café – 東京 – 🧾 – עברית",
    "",
]
TABLE = cast(Table, m.LineItem.__table__)


def test_the_text_format_escapes_what_it_gives_a_meaning_to() -> None:
    assert escaped("a\\b\tc\nd\re") == "a\\\\b\\tc\\nd\\re"
    scalars = {"organization_id": uuid.UUID(int=1), "invoice_id": uuid.UUID(int=2)}
    row = [None] * len(LINE_COLUMNS)
    row[LINE_COLUMNS.index("description")] = "x\ty\r\n"
    row[LINE_COLUMNS.index("tax_key_inclusive")] = False
    row[LINE_COLUMNS.index("name")] = "C:\\N"
    data = copy_text(TABLE, scalars, LINE_COLUMNS, [row]).decode()
    fields = data.removesuffix("\n").split("\t")
    assert data.endswith("\n")
    assert data.count("\n") == 1
    assert len(fields) == 2 + len(LINE_COLUMNS)
    assert fields[:2] == [f"{1:032x}", f"{2:032x}"]  # ids' hex digits, as uuid_in reads them
    assert fields[2 + LINE_COLUMNS.index("description")] == "x\\ty\\r\\n"
    assert fields[2 + LINE_COLUMNS.index("tax_key_inclusive")] == "f"
    assert fields[2 + LINE_COLUMNS.index("name")] == "C:\\\\N"
    assert fields[2 + LINE_COLUMNS.index("id")] == "\\N"


def test_each_column_is_written_whatever_its_values_share() -> None:
    """A column of one object throughout (written once and repeated), of equal but distinct objects, of
    differing values, of ``None`` throughout and of ``None`` among values: each row gets its own."""
    scalars = {"organization_id": uuid.UUID(int=1), "invoice_id": uuid.UUID(int=2)}
    shared = Decimal("1.50")
    rows = []
    for index in range(3):
        row: list[Any] = [None] * len(LINE_COLUMNS)
        row[LINE_COLUMNS.index("unit_price")] = shared
        row[LINE_COLUMNS.index("quantity")] = Decimal("2.0")  # equal values, three objects
        row[LINE_COLUMNS.index("position")] = index
        row[LINE_COLUMNS.index("description")] = None if index == 1 else f"d{index}\t"
        rows.append(row)
    lines = copy_text(TABLE, scalars, LINE_COLUMNS, rows).decode().removesuffix("\n").split("\n")
    fields = [line.split("\t")[2:] for line in lines]

    def column(name: str) -> list[str]:
        return [row[LINE_COLUMNS.index(name)] for row in fields]

    assert column("unit_price") == ["1.50"] * 3
    assert column("quantity") == ["2.0"] * 3
    assert column("position") == ["0", "1", "2"]
    assert column("description") == ["d0\\t", "\\N", "d2\\t"]  # a tab, escaped
    assert column("id") == ["\\N"] * 3
    assert [line.split("\t")[:2] for line in lines] == [[f"{1:032x}", f"{2:032x}"]] * 3


def test_few_objects_many_times_and_texts_with_nothing_to_escape() -> None:
    """A column of a few objects, each many times (a bulk create's products, names and amounts; ``None``
    among them), is written with each object's own text; text with nothing to escape is written as it
    is, and one value that needs escaping among many is escaped."""
    scalars = {"organization_id": uuid.UUID(int=1), "invoice_id": uuid.UUID(int=2)}
    products = [uuid.UUID(int=10), uuid.UUID(int=11), None]
    amounts = [Decimal("1.10"), Decimal("2.20")]
    names = ["plain", "tab\there", "C:\\N"]
    rows = []
    for index in range(24):
        row: list[Any] = [None] * len(LINE_COLUMNS)
        row[LINE_COLUMNS.index("id")] = uuid.UUID(int=1000 + index)
        row[LINE_COLUMNS.index("product_id")] = products[index % 3]
        row[LINE_COLUMNS.index("net_amount")] = amounts[index % 2]
        row[LINE_COLUMNS.index("name")] = names[index % 3]
        row[LINE_COLUMNS.index("idempotency_key")] = f"key{index}" if index != 7 else "key\\7"
        row[LINE_COLUMNS.index("description")] = f"d{index}"
        rows.append(row)
    lines = copy_text(TABLE, scalars, LINE_COLUMNS, rows).decode().removesuffix("\n").split("\n")
    fields = [line.split("\t")[2:] for line in lines]
    for index, row in enumerate(fields):
        value = dict(zip(LINE_COLUMNS, row, strict=True))
        assert uuid.UUID(value["id"]) == uuid.UUID(int=1000 + index)
        product = products[index % 3]
        assert value["product_id"] == ("\\N" if product is None else f"{product.int:032x}")
        assert value["net_amount"] == str(amounts[index % 2])
        assert value["name"] == escaped(names[index % 3])
        assert value["idempotency_key"] == (f"key{index}" if index != 7 else "key\\\\7")
        assert value["description"] == f"d{index}"


def test_a_kept_answer_has_only_its_backslashes_escaped() -> None:
    """A line's kept answer is compact JSON: no raw tab, newline or carriage return can be in it (JSON
    escapes them inside strings, as ``\\t``), so only its backslashes are doubled; the placeholders
    U+0001 and U+0002 mean nothing to the format."""
    scalars = {"organization_id": uuid.UUID(int=1), "invoice_id": uuid.UUID(int=2)}
    answer = '{"name":"C:\\\\N \\t \\"q\\"","customerId":"\x01","currency":"\x02"}'
    row = [None] * len(LINE_COLUMNS)
    data = copy_text(answered_lines(), scalars, LINE_COLUMNS, [row], {"answer": [answer]}).decode()
    field = data.removesuffix("\n").split("\t")[-1]
    assert field == answer.replace("\\", "\\\\")
    assert field == escaped(answer)  # what the general escape writes for it


async def test_text_comes_back_exactly_as_sent(api: ApiClient) -> None:
    customer = await api.create("/v1/customers", {"name": "Acme", "currency": "EUR"})
    lines = [
        {"name": f"Item {index} \\ {text[:1]!r}", "amount": "1.05", "description": text}
        for index, text in enumerate(TEXTS)
    ]
    lines.append({"name": "No description", "quantity": "12345678901234.5678", "unitPrice": "0.0001"})
    made = await api.create("/v1/invoices", {"customerId": customer["id"], "lineItems": lines})
    fetched = (await api.get(f"/v1/invoices/{made['id']}")).json()
    assert made == fetched
    stored = fetched["standaloneLineItems"]
    assert [line["description"] for line in stored] == [*TEXTS, None]
    assert [line["name"] for line in stored] == [line["name"] for line in lines]
    assert stored[-1]["quantity"] == "12345678901234.5678"
    assert stored[-1]["unitPrice"] == "0.0001"
    assert Decimal(fetched["subtotalAmount"]) == Decimal("1.05") * len(TEXTS) + Decimal("1234567890.12")


async def _stored_line(engine: AsyncEngine, line_id: str) -> dict[str, Any]:
    async with UnitOfWork(engine, readonly=True) as uow:
        row = (await uow.session.execute(select(TABLE).where(TABLE.c.id == uuid.UUID(line_id)))).one()
    return dict(row._mapping)


async def test_a_broken_unique_constraint_is_raised_as_the_orm_raises_it(
    api: ApiClient, engine: AsyncEngine
) -> None:
    customer = await api.create("/v1/customers", {"name": "Acme"})
    made = await api.create(
        "/v1/invoices", {"customerId": customer["id"], "lineItems": [{"name": "Once", "amount": "5"}]}
    )
    values = await _stored_line(engine, made["standaloneLineItems"][0]["id"])
    values["id"] = new_id()  # a new line with the same idempotency key on the same invoice
    scalars = {name: values.pop(name) for name in ("organization_id", "invoice_id")}
    values.pop("answer", None)
    row = [values[name] for name in LINE_COLUMNS]
    async with UnitOfWork(engine) as uow:
        with pytest.raises(IntegrityError) as raised:
            await uow.repo.insert_lines(
                scalars["organization_id"], scalars["invoice_id"], LINE_COLUMNS, [row]
            )
    assert unique_violation(raised.value) == "uq_line_items_idem"


async def test_columns_given_apart_from_the_rows_go_in_with_them(api: ApiClient, engine: AsyncEngine) -> None:
    """``insert_rows``'s ``more``: columns given as their values, one per row (a bulk create's answers),
    go into the same rows as the rows' own values, on either database."""
    customer = await api.create("/v1/customers", {"name": "Acme"})
    made = await api.create(
        "/v1/invoices", {"customerId": customer["id"], "lineItems": [{"name": "Model", "amount": "5"}]}
    )
    values = await _stored_line(engine, made["standaloneLineItems"][0]["id"])
    scalars = {name: values.pop(name) for name in ("organization_id", "invoice_id")}
    values.pop("answer", None)
    names = [name for name in LINE_COLUMNS if name != "description"]
    rows, ids = [], [new_id(), new_id()]
    for index, line_id in enumerate(ids):
        rows.append(
            [
                line_id if name == "id" else f"k{index}" if name == "idempotency_key" else values[name]
                for name in names
            ]
        )
    descriptions = ["first\tone \\ C:\\N", None]
    async with UnitOfWork(engine) as uow:
        await insert_rows(uow.session, TABLE, scalars, names, rows, {"description": descriptions})
        await uow.commit()
    stored = [await _stored_line(engine, str(line_id)) for line_id in ids]
    assert [line["description"] for line in stored] == descriptions
    assert [line["idempotency_key"] for line in stored] == ["k0", "k1"]
    assert {line["name"] for line in stored} == {"Model"}


def test_a_copy_leaves_out_the_columns_null_in_every_row_that_have_no_default() -> None:
    """Left out, such a column is NULL all the same; one NULL in some rows only, or one with a default
    (``unit_code``), is sent."""
    scalars = {"organization_id": uuid.UUID(int=1), "invoice_id": uuid.UUID(int=2)}
    rows = []
    for index in range(3):
        row: list[Any] = [None] * len(LINE_COLUMNS)
        row[LINE_COLUMNS.index("id")] = uuid.UUID(int=10 + index)
        row[LINE_COLUMNS.index("description")] = None if index else "only the first"
        rows.append(row)
    columns, data = copy_data(answered_lines(), scalars, LINE_COLUMNS, rows, {"answer": [None] * 3})
    assert columns == ["organization_id", "invoice_id", "id", "description", "unit_code"]
    lines = data.decode().removesuffix("\n").split("\n")
    assert [line.split("\t")[2:] for line in lines] == [
        [f"{10:032x}", "only the first", "\\N"],
        [f"{11:032x}", "\\N", "\\N"],
        [f"{12:032x}", "\\N", "\\N"],
    ]
    every = copy_text(TABLE, scalars, LINE_COLUMNS, rows).decode().split("\n")[0].split("\t")
    assert len(every) == 2 + len(LINE_COLUMNS)  # the text alone keeps every column
