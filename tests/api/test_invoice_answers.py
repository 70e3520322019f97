"""The native answer and every vendor's render one invoice from the document model's records: amount due,
status (the derived overdue) and tax per rate are the record's, worked out once by its loader; and the
fast read of stored figures gives the same answer as the general one."""

from __future__ import annotations

import base64
import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import orjson
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from billfold.api import invoice_answers
from billfold.core.money import Currency
from billfold.db.invoice_reads import InvoiceReads
from billfold.db.uow import UnitOfWork
from billfold.documents.records import InvoiceRecord, LineRecord, TaxRate, WrittenLine
from billfold.services import invoice_records, invoices
from billfold.services.documents import actor_for
from billfold.web.text import check_name
from conftest import ApiClient


async def _record(api: ApiClient, engine: AsyncEngine, invoice_id: str) -> InvoiceRecord:
    organization_id = uuid.UUID((await api.get("/v1/organization")).json()["id"])
    async with UnitOfWork(engine) as uow:
        actor = actor_for(await uow.repo.organization(organization_id))
        return await invoice_records.load_invoice_record(uow, actor, uuid.UUID(invoice_id))


async def _overdue_taxed_invoice(api: ApiClient) -> tuple[str, dict[str, str]]:
    """An issued invoice past its due date, partly paid, with lines at two rates (one in a group) and
    an untaxed one. Answers its id and the two tax category ids by rate."""
    standard = await api.create("/v1/tax-categories", {"name": "Standard", "rates": [{"rate": "20"}]})
    reduced = await api.create("/v1/tax-categories", {"name": "Reduced", "rates": [{"rate": "7"}]})
    customer = await api.create("/v1/customers", {"name": "Late payer", "paymentTermsDays": 10})
    invoice = await api.create("/v1/invoices", {"customerId": customer["id"], "invoiceDate": "2020-01-01"})
    base = f"/v1/invoices/{invoice['id']}"
    group = await api.create(f"{base}/line-item-groups", {"name": "Seats", "taxCategoryId": standard["id"]})
    lines = [
        {"name": "Seat", "quantity": "3", "unitPrice": "10.05", "lineItemGroupId": group["id"]},
        {"name": "Seat B", "quantity": "1", "unitPrice": "4.99", "lineItemGroupId": group["id"]},
        {"name": "Book", "quantity": "2", "unitPrice": "7.50", "taxCategoryId": reduced["id"]},
        {"name": "Tip", "amount": "1.00"},
    ]
    for line in lines:
        await api.create(f"{base}/line-items", line)
    issued = await api.post(f"{base}/issue", json={"issueDate": "2020-01-01"})
    assert issued.status_code == 200, issued.text
    paid = await api.post(f"{base}/payments", json={"amount": "5.00", "idempotencyKey": "p"})
    assert paid.status_code == 201, paid.text
    return invoice["id"], {"20": standard["id"], "7": reduced["id"]}


def _decimal(value: Any) -> Decimal:
    return Decimal(str(value))


async def test_every_answer_shows_the_records_amount_due_status_and_taxes(
    api: ApiClient, engine: AsyncEngine
) -> None:
    invoice_id, categories = await _overdue_taxed_invoice(api)
    record = await _record(api, engine, invoice_id)
    figures = record.figures
    assert figures.effective_status == "overdue"
    assert figures.overdue_unpaid
    assert figures.amount_due > figures.amount_remaining > 0
    taxes = {line.id: line for line in record.lines}
    assert {line.tax.rate_text for line in record.lines if line.tax} == {"20", "7"}

    native = (await api.get(f"/v1/invoices/{invoice_id}")).json()
    assert native["status"] == figures.effective_status == "overdue"
    assert _decimal(native["amountDue"]) == figures.amount_due
    assert _decimal(native["amountRemaining"]) == figures.amount_remaining
    native_lines = native["standaloneLineItems"] + [
        line for group in native["lineItemGroups"] for line in group["lineItems"]
    ]
    assert len(native_lines) == len(record.lines) == 4
    for line in native_lines:
        tax = taxes[line["id"]].tax
        assert line["taxCategoryId"] == (None if tax is None else tax.category_id)
        assert [item["taxCategoryId"] for item in line["taxAmounts"]] == (
            [] if tax is None else [tax.category_id]
        )
    (group,) = record.groups
    assert [
        (t["taxCategoryId"], _decimal(t["amount"])) for t in native["lineItemGroups"][0]["taxAmounts"]
    ] == [(item.tax.category_id, item.amount) for item in group.taxes]
    assert group.taxes[0].tax.category_id == categories["20"]
    assert group.taxes[0].amount == sum((line.tax_amount for line in group.lines), Decimal(0))

    listed = (await api.get("/v1/invoices", params={"status": "overdue"})).json()["data"]
    assert [(row["id"], row["status"], row["amountDue"]) for row in listed] == [
        (invoice_id, "overdue", native["amountDue"])
    ]

    bearer = {"Authorization": f"Bearer {api.key}"}
    orb = (await api.raw.get(f"/orb/v1/invoices/{invoice_id}", headers=bearer)).json()
    assert _decimal(orb["amount_due"]) == figures.amount_due
    assert orb["status"] == "issued"  # Orb has no overdue status
    for line in orb["line_items"]:
        tax = taxes[line["id"]].tax
        rates = [item["tax_rate_percentage"] for item in line["tax_amounts"]]
        assert rates == ([] if tax is None else [tax.rate_text])
        assert [_decimal(item["amount"]) for item in line["tax_amounts"]] == (
            [] if tax is None else [taxes[line["id"]].tax_amount]
        )

    aira = (await api.get(f"/aira/v1/invoices/{invoice_id}")).json()
    assert aira["status"] == "overdue"
    assert _decimal(aira["amountDue"]) == figures.amount_due

    alguna = (await api.raw.get(f"/alguna/invoices/{invoice_id}", headers=bearer)).json()
    assert alguna["status"] == "overdue"
    assert _decimal(alguna["amountRemaining"]) == figures.amount_remaining
    assert _decimal(alguna["tax"]) == sum((line.tax_amount for line in record.lines), Decimal(0))

    basic = {"Authorization": "Basic " + base64.b64encode(f"{api.key}:".encode()).decode()}
    sequence = await api.raw.get(f"/sequence/api/invoices/{invoice_id}/line-items/all", headers=basic)
    for line in sequence.json()["items"]:
        tax = taxes[line["id"]].tax
        assert _decimal(line["taxRate"]) == (Decimal(0) if tax is None else tax.rate / 100)


async def test_the_fast_read_answers_what_the_general_read_does(api: ApiClient, engine: AsyncEngine) -> None:
    """Stored figures read straight into records (one statement for the lines) render the very bytes
    the invoice loaded through its view does: ids, amounts, dates, usage and sub lines alike."""
    invoice_id, _ = await _overdue_taxed_invoice(api)
    customer = await api.create("/v1/customers", {"name": "Usage", "currency": "JPY"})
    draft = await api.create("/v1/invoices", {"customerId": customer["id"]})
    base = f"/v1/invoices/{draft['id']}"
    product = await api.create("/v1/products", {"name": "API calls"})
    tiers = [
        {"from": "0", "to": "10", "unitPrice": "0", "flatFee": "5"},
        {"from": "10", "to": None, "unitPrice": "3", "flatFee": "0"},
    ]
    price = {"model": "graduated", "tiers": tiers}
    await api.create(f"{base}/line-items", {"productId": product["id"], "price": price, "usage": "25.5"})
    await api.create(f"{base}/line-items", {"name": "Credit", "amount": "-100"})
    organization_id = uuid.UUID((await api.get("/v1/organization")).json()["id"])
    for target in (invoice_id, draft["id"]):
        async with UnitOfWork(engine) as uow:
            actor = actor_for(await uow.repo.organization(organization_id))
            fast = await invoice_records.load_invoice_record(uow, actor, uuid.UUID(target))
            view = await invoices.load_invoice(uow, actor, uuid.UUID(target))
        general = invoice_records.record_of(view)
        assert fast == general
        assert orjson.dumps(invoice_answers.invoice(fast)) == orjson.dumps(invoice_answers.invoice(general))
    # the issued invoice's lines are all plain: on PostgreSQL the database joins each group's answers and
    # sums its tax per rate (20 % in the group; 7 % and untaxed outside it)
    native, general_bytes = await _native_and_general(engine, organization_id, invoice_id, written=True)
    assert native == general_bytes
    if engine.dialect.name == "postgresql":
        async with UnitOfWork(engine) as uow:
            actor = actor_for(await uow.repo.organization(organization_id))
            record = await invoice_records.load_invoice_record(uow, actor, uuid.UUID(invoice_id), native=True)
        assert _kinds(record) == {str}
        assert [(t.tax.rate_text, t.amount) for group in record.groups for t in group.taxes] == [
            ("20", Decimal("7.03"))
        ]


HOSTILE_NAMES = (
    'quote " backslash \\ slash / </script>',
    "unicode é ß 漢字 😀 \u200d \u00a0",
    "x" * 200,
)


async def _rates_and_product(api: ApiClient) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """An exclusive rate's category, an inclusive one's, and a product."""
    exclusive = await api.create("/v1/tax-categories", {"name": "VAT", "rates": [{"rate": "19.5"}]})
    inclusive = await api.create(
        "/v1/tax-categories", {"name": "Gross", "rates": [{"rate": "7", "inclusive": True}]}
    )
    return exclusive, inclusive, await api.create("/v1/products", {"name": "Calls"})


LAST_DAYS = {
    "name": "Last",
    "amount": "1",
    "startDate": "9999-12-30",
    "endDate": "9999-12-31",
    "unitCode": "HUR",
}


def _usage_priced(product: dict[str, Any]) -> dict[str, Any]:
    return {"productId": product["id"], "price": {"model": "unit", "unitPrice": "0.5"}, "usage": "7"}


def _hostile_lines() -> list[dict[str, Any]]:
    return [
        {
            "name": name,
            "quantity": "1.000000000001",
            "unitPrice": "0.1",
            "description": f"{name}\tand\n\u2028 \u2029",
        }
        for name in HOSTILE_NAMES
    ]


def _kinds(record: InvoiceRecord) -> set[type]:
    """How the native read's lines came: ``str`` (a group's, joined by the database), ``WrittenLine``
    (one line's, written by it), ``LineRecord`` (written by Python)."""
    assert record.answers is not None
    found: set[type] = set()
    for items in record.answers.values():
        found |= {str} if isinstance(items, str) else {type(item) for item in items}
    return found


async def _native_and_general(
    engine: AsyncEngine, organization_id: uuid.UUID, invoice_id: str, written: bool = False
) -> list[bytes]:
    """Both reads' bytes; ``written``: on PostgreSQL, insist the database wrote lines' answers."""
    async with UnitOfWork(engine) as uow:
        actor = actor_for(await uow.repo.organization(organization_id))
        native = await invoice_records.load_invoice_record(uow, actor, uuid.UUID(invoice_id), native=True)
        view = await invoices.load_invoice(uow, actor, uuid.UUID(invoice_id))
    if engine.dialect.name == "postgresql" and native.answers is not None:
        assert _kinds(native) & {str, WrittenLine}
    assert not written or engine.dialect.name != "postgresql" or native.answers is not None
    return [
        orjson.dumps(invoice_answers.invoice(record)) for record in (native, invoice_records.record_of(view))
    ]


async def test_lines_the_database_writes_are_the_bytes_python_writes(
    api: ApiClient, engine: AsyncEngine
) -> None:
    """On PostgreSQL the native read has the database write each plain line's answer as JSON; it is the
    very answer Python writes for every kind of value: hostile text, missing descriptions, the calendar's
    ends, quantities of many places, negative amounts, zero-, two- and three-place currencies, inclusive
    and exclusive rates, groups, discounts, usage prices, credits applied and an issued invoice (on SQLite
    both reads are Python's)."""
    organization_id = uuid.UUID((await api.get("/v1/organization")).json()["id"])
    exclusive, inclusive, product = await _rates_and_product(api)
    for currency in ("USD", "JPY", "BHD"):
        customer = await api.create("/v1/customers", {"name": f"Buyer {currency}", "currency": currency})
        if currency == "USD":
            grant = {"amount": "3.00", "currency": "USD"}
            await api.create(f"/v1/customers/{customer['id']}/credits", grant)
        invoice = await api.create(
            "/v1/invoices",
            {"customerId": customer["id"], "periodStart": "0001-01-01", "periodEnd": "9999-12-31"},
        )
        base = f"/v1/invoices/{invoice['id']}"
        group = await api.create(
            f"{base}/line-item-groups", {"name": 'Group "1"', "taxCategoryId": exclusive["id"]}
        )
        lines = _hostile_lines()
        lines += [
            {"name": "Refund", "amount": "-12", "taxCategoryId": inclusive["id"]},
            {"name": "Zero", "quantity": "0", "unitPrice": "99"},
            {"name": "Grouped", "quantity": "3", "unitPrice": "10.05", "lineItemGroupId": group["id"]},
            {"name": "Days", "amount": "1", "startDate": "0001-01-01", "endDate": "0001-01-02"},
            LAST_DAYS,
            _usage_priced(product),
            {"name": "Big", "quantity": "123456789012", "unitPrice": "999999.999999"},
        ]
        for line in lines:
            await api.create(f"{base}/line-items", line)
        native, general = await _native_and_general(engine, organization_id, invoice["id"])
        assert native == general
        if engine.dialect.name == "postgresql":
            # the adds sent their answers (migration 0018): the very bytes the trigger writes
            sent = await _kept_answers(engine, invoice["id"])
            assert sum(answer is not None for answer in sent.values()) == len(lines) - 1  # not the usage
            await _touch_lines(engine, invoice["id"])  # an update: the trigger writes every answer
            assert await _kept_answers(engine, invoice["id"]) == sent
        discount = {"type": "percentage_discount", "percentage": "10"}
        assert (await api.post(f"{base}/adjustments", json=discount)).status_code in (200, 201)
        native, general = await _native_and_general(engine, organization_id, invoice["id"])
        assert native == general
        issued = await api.post(f"{base}/issue", json={"issueDate": "2026-01-01"})
        assert issued.status_code == 200, issued.text
        native, general = await _native_and_general(engine, organization_id, invoice["id"], written=True)
        if engine.dialect.name == "postgresql":
            # the database wrote the plain lines' answers; Python the one priced by usage
            async with UnitOfWork(engine) as uow:
                actor = actor_for(await uow.repo.organization(organization_id))
                record = await invoice_records.load_invoice_record(
                    uow, actor, uuid.UUID(invoice["id"]), native=True
                )
            assert _kinds(record) == {WrittenLine, LineRecord}
        assert native == general
        assert orjson.loads(native) == (await api.get(base)).json()
    # a draft of plain untaxed lines has final sums: its read is the database's too
    plain = await api.create("/v1/invoices", {"customerId": customer["id"]})
    for name in HOSTILE_NAMES:
        await api.create(f"/v1/invoices/{plain['id']}/line-items", {"name": name, "amount": "-0.5"})
    native, general = await _native_and_general(engine, organization_id, plain["id"], written=True)
    assert native == general
    if engine.dialect.name == "postgresql":
        async with UnitOfWork(engine) as uow:
            actor = actor_for(await uow.repo.organization(organization_id))
            record = await invoice_records.load_invoice_record(
                uow, actor, uuid.UUID(plain["id"]), native=True
            )
        assert _kinds(record) == {str}  # every line's answer kept: joined by the database
        # a line written before lines kept their currency's places has no answer kept: Python writes it
        async with engine.begin() as connection:
            updated = await connection.exec_driver_sql(
                "UPDATE line_items SET amount_places = NULL WHERE invoice_id = $1 AND position = 1",
                (uuid.UUID(plain["id"]),),
            )
            assert updated.rowcount == 1
        native, general = await _native_and_general(engine, organization_id, plain["id"], written=True)
        assert native == general


async def _kept_answers(engine: AsyncEngine, invoice_id: str) -> dict[str, str | None]:
    async with engine.connect() as connection:
        rows = await connection.execute(
            text("SELECT id, answer FROM line_items WHERE invoice_id = :invoice"), {"invoice": invoice_id}
        )
        return {str(row.id): row.answer for row in rows}


async def _touch_lines(engine: AsyncEngine, invoice_id: str) -> None:
    async with engine.begin() as connection:
        await connection.execute(
            text("UPDATE line_items SET name = name WHERE invoice_id = :invoice"), {"invoice": invoice_id}
        )


async def test_an_add_sends_its_lines_answer_and_the_trigger_writes_the_rest(
    api: ApiClient, engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On PostgreSQL an added plain line's answer goes with its insert (the trigger writes none); a line
    whose answer Python writes at each read (usage priced) gets none; an update has the trigger write
    the answer again from the row. SQLite keeps no answers: none is rendered for it."""
    rendered: list[str] = []

    def kept_line(answer: dict[str, Any]) -> str:
        rendered.append(answer["id"])
        return '{"sent":true}'

    monkeypatch.setattr(invoice_answers, "kept_line", kept_line)
    customer = await api.create("/v1/customers", {"name": "Kept"})
    invoice = await api.create("/v1/invoices", {"customerId": customer["id"]})
    base = f"/v1/invoices/{invoice['id']}"
    plain = await api.create(f"{base}/line-items", {"name": "Plain", "quantity": "2", "unitPrice": "1.005"})
    product = await api.create("/v1/products", {"name": "Calls"})
    usage = {"productId": product["id"], "price": {"model": "unit", "unitPrice": "0.5"}, "usage": "7"}
    priced = await api.create(f"{base}/line-items", usage)
    if engine.dialect.name != "postgresql":
        assert rendered == []
        return
    assert rendered == [plain["id"]]
    kept = await _kept_answers(engine, invoice["id"])
    assert kept == {plain["id"]: '{"sent":true}', priced["id"]: None}
    await _touch_lines(engine, invoice["id"])
    kept = await _kept_answers(engine, invoice["id"])
    assert kept[priced["id"]] is None
    filled = str(kept[plain["id"]]).replace("\x01", "c").replace("\x02", "USD")
    assert orjson.loads(filled)["name"] == "Plain"


def _line_record(**changes: Any) -> LineRecord:
    base = LineRecord(
        id=str(uuid.UUID(int=7)),
        group_id=None,
        product_id=str(uuid.UUID(int=8)),
        position=0,
        name="Plain",
        description=None,
        scope="one_off",
        start_date=date(2026, 12, 1),
        end_date=date(2026, 12, 31),
        pricing="unit_price",
        unit_code=None,
        quantity=Decimal("2"),
        unit_price=Decimal("1.005"),
        price_id=None,
        price_model=None,
        price_config=None,
        usage_input=None,
        total_usage=None,
        usage_format=None,
        sub_lines=None,
        subtotal_amount=Decimal("2.01"),
        discount_amount=Decimal("0"),
        adjustment_amount=Decimal("-0.00"),
        net_amount=Decimal("2.01"),
        tax_amount=Decimal("0.00"),
        total_amount=Decimal("2.01"),
        adjustments=None,
        adjustment_shares=None,
        credits_applied_amount=None,
        idempotency_key="key-1",
        created_at=datetime(2026, 12, 3, 14, 5, 6, 789999),
        invoice_id=str(uuid.UUID(int=9)),
        tax=None,
    )
    return base._replace(**changes)


@pytest.mark.parametrize(("code", "places"), [("USD", 2), ("JPY", 0), ("BHD", 3)])
def test_kept_lines_are_the_kept_answers_of_the_lines_answers(code: str, places: int) -> None:
    """A bulk create's answers, written straight as text, are byte for byte :func:`kept_line` of
    :func:`line` for every kind of value; a line the trigger leaves to Python goes the general way."""
    money = Currency(code, places)
    taxed = TaxRate(str(uuid.UUID(int=10)), Decimal("19.50"), "19.50", False)
    gross = TaxRate(str(uuid.UUID(int=11)), Decimal("7"), "7", True)
    records = [
        _line_record(name=name, description=f"{name}\tand\n", position=i)
        for i, name in enumerate(HOSTILE_NAMES)
    ]
    records += [
        _line_record(group_id=str(uuid.UUID(int=12)), tax=taxed, tax_amount=Decimal("0.39")),
        _line_record(tax=gross, pricing="amount", quantity=Decimal("1"), subtotal_amount=Decimal("-12")),
        _line_record(start_date=date(1, 1, 1), end_date=date(9999, 12, 31), unit_code="HUR"),
        _line_record(
            quantity=Decimal("1.000000000001"),
            unit_price=Decimal("0.10"),
            credits_applied_amount=Decimal("1"),
        ),
        _line_record(price_id=str(uuid.UUID(int=13)), total_usage=Decimal("7.50"), usage_format="sum"),
        _line_record(idempotency_key='k"\\\u2028', scope="setup_fee"),
        # lines whose answers Python writes in full
        _line_record(price_model="unit", price_config={"unitPrice": "0.5"}, usage_input={"quantity": "7"}),
        _line_record(usage_input={"events": []}),
        _line_record(sub_lines=[{"tier": 1, "amount": "1.00"}]),
        _line_record(adjustments=[{"id": "a", "type": "percentage_discount", "percentage": "10"}]),
        _line_record(adjustment_shares=[{"id": "a", "amount": "-0.20"}]),
    ]
    formats = invoice_answers.Formats(money)
    expected = [invoice_answers.kept_line(invoice_answers.line(row, "", formats)) for row in records]
    assert invoice_answers.kept_lines(records, money) == expected


async def test_a_bulk_create_sends_its_lines_answers(
    api: ApiClient, engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On PostgreSQL a bulk create's plain lines bring their answers (the very bytes the trigger writes
    on an update, for hostile text, taxes, groups, three currencies and the calendar's ends), a
    usage-priced line brings none, and the 201 answers what ``GET`` then reads. SQLite keeps no
    answers: none is rendered for it."""
    rendered: list[int] = []
    kept_lines = invoice_answers.kept_lines

    def counted(records: Any, money: Currency) -> list[str]:
        rendered.append(len(records))
        return kept_lines(records, money)

    monkeypatch.setattr(invoice_answers, "kept_lines", counted)
    exclusive, inclusive, product = await _rates_and_product(api)
    for currency in ("USD", "JPY", "BHD"):
        customer = await api.create("/v1/customers", {"name": f"Buyer {currency}", "currency": currency})
        lines = _hostile_lines()
        lines += [
            {"name": "Refund", "amount": "-12", "taxCategoryId": inclusive["id"]},
            LAST_DAYS,
            _usage_priced(product),
        ]
        group = {
            "name": 'Group "1"',
            "taxCategoryId": exclusive["id"],
            "lineItems": [{"name": "Grouped", "quantity": "3", "unitPrice": "10.05"}],
        }
        body = {
            "customerId": customer["id"],
            "periodStart": "0001-01-01",
            "periodEnd": "9999-12-31",
            "lineItemGroups": [group],
            "lineItems": lines,
        }
        made = await api.create("/v1/invoices", body)
        assert made == (await api.get(f"/v1/invoices/{made['id']}")).json()
        if engine.dialect.name != "postgresql":
            continue
        sent = await _kept_answers(engine, made["id"])
        assert sum(answer is not None for answer in sent.values()) == len(lines)  # not the usage: +1 grouped
        await _touch_lines(engine, made["id"])  # an update: the trigger writes every answer
        assert await _kept_answers(engine, made["id"]) == sent
    assert rendered == ([len(HOSTILE_NAMES) + 3] * 3 if engine.dialect.name == "postgresql" else [])
    if engine.dialect.name != "postgresql":
        return

    # plain lines with final sums: the 201 is built from the answers just sent, none is read back
    def not_read(*_: Any) -> None:
        raise AssertionError("the answers just inserted were read back")

    with monkeypatch.context() as patched:
        patched.setattr(InvoiceReads, "joined_line_answers", not_read)
        plain = {
            "customerId": customer["id"],
            "lineItems": [{"name": n, "amount": "1.5"} for n in HOSTILE_NAMES],
        }
        made = await api.create("/v1/invoices", plain)
    assert made == (await api.get(f"/v1/invoices/{made['id']}")).json()
    # kept as every name is: trimmed, composed (check_name)
    assert [line["name"] for line in made["standaloneLineItems"]] == [check_name(n) for n in HOSTILE_NAMES]
