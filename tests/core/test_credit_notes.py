"""Credit notes: worked examples, caps, settlement, and properties over random invoices and notes."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from billfold.core.calculate import InvoiceInput, InvoiceResult, LineInput, calculate_invoice
from billfold.core.credit_notes import (
    AmountCredit,
    CreditableLine,
    Credited,
    CreditExceedsInvoice,
    CreditExceedsRemaining,
    CreditNoteResult,
    InvoiceToCredit,
    LineCredit,
    credit_note,
    settle,
)
from billfold.core.money import RoundingMode
from billfold.core.split import CalculationError
from billfold.core.taxes import RoundingPolicy, TaxCategory, TaxKey, TaxRate, TaxRounding

D = Decimal
CATEGORIES = {
    "std": TaxCategory("std", (TaxRate(D("20")),)),
    "red": TaxCategory("red", (TaxRate(D("5.5")),)),
    "inc": TaxCategory("inc", (TaxRate(D("20"), inclusive=True),)),
}
STD = TaxKey("std", D("20"), False)


def issued(lines: list[LineInput], *, per_line: bool = False, exponent: int = 2) -> InvoiceResult:
    rounding = RoundingPolicy(tax=TaxRounding.PER_LINE if per_line else TaxRounding.PER_RATE)
    return calculate_invoice(
        InvoiceInput(exponent=exponent, lines=lines, tax_categories=CATEGORIES, rounding=rounding)
    )


def to_credit(
    lines: list[LineInput],
    result: InvoiceResult,
    notes: list[CreditNoteResult] = (),  # type: ignore[assignment]
    *,
    per_line: bool = False,
    exponent: int = 2,
) -> InvoiceToCredit:
    """The invoice as frozen at issue, with what ``notes`` credited before."""
    creditable = [
        CreditableLine(
            line.id,
            line.quantity,
            calc.amounts.subtotal,
            calc.amounts.net,
            calc.amounts.tax,
            calc.amounts.total,
            calc.tax_key,
        )
        for line, calc in zip(lines, result.lines, strict=True)
    ]
    key_base = {}
    key_tax = {}
    for row in result.tax_summary:
        key = TaxKey(row.tax_category_id, row.rate, row.inclusive)
        key_base[key] = row.taxable_amount + row.tax_amount if row.inclusive else row.taxable_amount
        key_tax[key] = row.tax_amount
    return InvoiceToCredit(
        exponent=exponent,
        lines=creditable,
        key_base=key_base,
        key_tax=key_tax,
        total=result.amounts.total,
        tax_rounding=TaxRounding.PER_LINE if per_line else TaxRounding.PER_RATE,
        credited=credited_by(notes),
    )


def credited_by(notes: list[CreditNoteResult]) -> Credited:
    quantity: dict[str, Decimal] = defaultdict(Decimal)
    base: dict[str, Decimal] = defaultdict(Decimal)
    tax: dict[str, Decimal] = defaultdict(Decimal)
    key_base: dict[TaxKey, Decimal] = defaultdict(Decimal)
    key_tax: dict[TaxKey, Decimal] = defaultdict(Decimal)
    total = untaxed = D(0)
    for note in notes:
        total += note.total
        for line in note.lines:
            if line.line_id is not None:
                quantity[line.line_id] += line.quantity or 0
                base[line.line_id] += line.base
                tax[line.line_id] += line.tax
            if line.tax_key is not None:
                key_base[line.tax_key] += line.base
                key_tax[line.tax_key] += line.tax
            else:
                untaxed += line.base
    return Credited(quantity, base, tax, key_base, key_tax, total, untaxed)


def test_three_notes_of_three_cents_credit_the_tax_the_invoice_charged() -> None:
    """EN 16931 per-rate rounding: the invoice charged round(0.09 × 20 %) = 0.02; three notes of one
    line each credit 0.01, 0.00 and 0.01 (cumulative rounding), never 0.03."""
    lines = [LineInput(f"l{i}", D("0.03"), tax_category_id="std", quantity=D(1)) for i in range(3)]
    result = issued(lines)
    assert result.amounts.tax == D("0.02")
    notes: list[CreditNoteResult] = []
    for line in lines:
        notes.append(credit_note(to_credit(lines, result, notes), [LineCredit(line.id, quantity=D(1))], []))
    assert [n.tax for n in notes] == [D("0.01"), D("0.00"), D("0.01")]
    assert sum(n.tax for n in notes) == result.amounts.tax
    assert sum(n.total for n in notes) == result.amounts.total


def test_part_of_a_discounted_line_carries_its_share_of_the_discount() -> None:
    lines = [LineInput("l0", D("99.90"), tax_category_id="std", quantity=D(10), unit_price=D("9.99"))]
    from billfold.core.adjustments import Adjustment, AdjustmentKind

    discounted = [
        LineInput(
            "l0",
            D("99.90"),
            tax_category_id="std",
            quantity=D(10),
            unit_price=D("9.99"),
            adjustments=(Adjustment("a", AdjustmentKind.PERCENTAGE_DISCOUNT, percentage=D("10")),),
        )
    ]
    result = issued(discounted)
    assert result.lines[0].amounts.net == D("89.91")
    note = credit_note(to_credit(discounted, result), [LineCredit("l0", quantity=D(3))], [])
    line = note.lines[0]
    assert (line.subtotal, line.adjustment, line.net) == (D("29.97"), D("-3.00"), D("26.97"))
    assert line.tax == D("5.39")  # round(26.97 × 20 %)
    assert note.total == D("32.36")
    assert lines  # the undiscounted twin is only there to show the discount is what changes


def test_crediting_more_than_is_left_names_the_line() -> None:
    lines = [LineInput("l0", D("10.00"), tax_category_id="std", quantity=D(2))]
    result = issued(lines)
    first = credit_note(to_credit(lines, result), [LineCredit("l0", amount=D("7.00"))], [])
    with pytest.raises(CreditExceedsInvoice) as error:
        credit_note(to_credit(lines, result, [first]), [LineCredit("l0", amount=D("3.01"))], [])
    assert error.value.field == "lines[0].amount"
    last = credit_note(to_credit(lines, result, [first]), [LineCredit("l0", amount=D("3.00"))], [])
    assert first.total + last.total == result.amounts.total
    with pytest.raises(CreditExceedsInvoice) as error:
        credit_note(to_credit(lines, result, [first, last]), [LineCredit("l0", quantity=D(1))], [])
    assert error.value.field == "lines[0].lineItemId"


def test_a_quantity_too_small_to_credit_one_cent_is_refused_and_leaves_the_line_whole() -> None:
    lines = [LineInput("l0", D("30.00"), quantity=D(3))]
    result = issued(lines)
    with pytest.raises(CalculationError) as error:
        credit_note(to_credit(lines, result), [LineCredit("l0", quantity=D("0.000000000001"))], [])
    assert error.value.field == "lines[0].quantity"
    whole = credit_note(to_credit(lines, result), [LineCredit("l0", quantity=D(3))], [])
    assert whole.total == result.amounts.total
    smallest = credit_note(to_credit(lines, result), [LineCredit("l0", quantity=D("0.001"))], [])
    assert smallest.total == D("0.01")


def test_a_plain_amount_at_one_of_the_invoice_rates() -> None:
    lines = [LineInput("l0", D("100.00"), tax_category_id="std")]
    result = issued(lines)
    note = credit_note(to_credit(lines, result), [], [AmountCredit(D("10.00"), STD, "goodwill")])
    assert (note.net, note.tax, note.total) == (D("10.00"), D("2.00"), D("12.00"))
    with pytest.raises(CalculationError) as error:
        credit_note(to_credit(lines, result), [], [AmountCredit(D("1.00"), TaxKey("red", D("5.5"), False))])
    assert error.value.field == "taxCategoryId"
    with pytest.raises(CreditExceedsInvoice):
        credit_note(to_credit(lines, result), [], [AmountCredit(D("100.01"), STD)])


def test_a_plain_amount_without_a_rate_credits_no_more_than_the_invoice_charged_untaxed() -> None:
    """A plain amount without a rate is untaxed: it is capped by the invoice's untaxed lines, as an
    amount at a rate is by the invoice's base at that rate, never by the invoice's total alone."""
    taxed = [LineInput("l0", D("100.00"), tax_category_id="std")]
    result = issued(taxed)
    assert result.amounts.total == D("120.00")
    with pytest.raises(CreditExceedsInvoice) as error:
        credit_note(to_credit(taxed, result), [], [AmountCredit(D("120.00"))])
    assert error.value.field == "amount"
    with pytest.raises(CreditExceedsInvoice):
        credit_note(to_credit(taxed, result), [], [AmountCredit(D("0.01"))])
    mixed = [LineInput("u0", D("10.00")), LineInput("l0", D("100.00"), tax_category_id="std")]
    result = issued(mixed)
    with pytest.raises(CreditExceedsInvoice) as error:
        credit_note(to_credit(mixed, result), [], [AmountCredit(D("50.00"))])
    assert error.value.field == "amount"
    assert "10.00" in error.value.message
    first = credit_note(to_credit(mixed, result), [LineCredit("u0", amount=D("4.00"))], [])
    with pytest.raises(CreditExceedsInvoice) as error:
        credit_note(to_credit(mixed, result, [first]), [], [AmountCredit(D("6.01"))])
    assert "6.00" in error.value.message
    second = credit_note(to_credit(mixed, result, [first]), [], [AmountCredit(D("6.00"))])
    assert (second.net, second.tax, second.total) == (D("6.00"), D("0.00"), D("6.00"))
    # the untaxed line is now credited in full, through a line part and a plain amount together
    with pytest.raises(CreditExceedsInvoice) as error:
        credit_note(to_credit(mixed, result, [first, second]), [LineCredit("u0", amount=D("1.00"))], [])
    assert error.value.field == "lines"


def test_a_plain_amount_over_the_total_names_the_amount() -> None:
    """The invoice's total is below its base at 20 % (a credit line at another rate): a plain amount
    within the rate but over the total is refused on ``amount``, a line on ``lines``."""
    lines = [
        LineInput("l0", D("100.00"), tax_category_id="std", quantity=D(1)),
        LineInput("l1", D("-50.00"), tax_category_id="red"),
    ]
    result = issued(lines)
    with pytest.raises(CreditExceedsInvoice) as error:
        credit_note(to_credit(lines, result), [], [AmountCredit(D("100.00"), STD)])
    assert error.value.field == "amount"
    assert "total" in error.value.message
    with pytest.raises(CreditExceedsInvoice) as error:
        credit_note(to_credit(lines, result), [LineCredit("l0", quantity=D(1))], [])
    assert error.value.field == "lines"


def test_inclusive_line_credit_keeps_gross_and_tax_within_the_invoice() -> None:
    lines = [LineInput("l0", D("100.00"), tax_category_id="inc", quantity=D(3))]
    result = issued(lines)
    assert (result.amounts.net, result.amounts.tax) == (D("83.33"), D("16.67"))
    notes: list[CreditNoteResult] = []
    for _ in range(3):
        notes.append(credit_note(to_credit(lines, result, notes), [LineCredit("l0", quantity=D(1))], []))
    assert sum(n.total for n in notes) == D("100.00")
    assert sum(n.tax for n in notes) == D("16.67")
    for note in notes:
        assert note.net + note.tax == note.total


@pytest.mark.parametrize(
    ("request_", "field"),
    [
        (LineCredit("nope", quantity=D(1)), "lines[0].lineItemId"),
        (LineCredit("l0", quantity=D(0)), "lines[0].quantity"),
        (LineCredit("l0", amount=D("-1.00")), "lines[0].amount"),
        (LineCredit("l0", amount=D("1.001")), "lines[0].amount"),
        (LineCredit("l0"), "lines[0]"),
        (LineCredit("l0", quantity=D(1), amount=D(1)), "lines[0]"),
        (LineCredit("l1", amount=D(1)), "lines[0].lineItemId"),
    ],
)
def test_bad_requests_name_the_field(request_: LineCredit, field: str) -> None:
    lines = [
        LineInput("l0", D("10.00"), tax_category_id="std", quantity=D(1)),
        LineInput("l1", D("-5.00"), tax_category_id="std"),
    ]
    with pytest.raises(CalculationError) as error:
        credit_note(to_credit(lines, issued(lines)), [request_], [])
    assert error.value.field == field


def test_settlement() -> None:
    plan = settle(
        D("50.00"),
        refund=D("20.00"),
        credit=D("10.00"),
        out_of_band=D("0"),
        refundable=D("30.00"),
        remaining=D("40.00"),
        exponent=2,
    )
    assert plan.reduction == D("20.00")
    with pytest.raises(CreditExceedsRemaining) as error:
        settle(
            D("50.00"),
            refund=D(0),
            credit=D(0),
            out_of_band=D(0),
            refundable=D(0),
            remaining=D("40.00"),
            exponent=2,
        )
    assert error.value.field == "totalAmount"
    with pytest.raises(CreditExceedsRemaining) as error:
        settle(
            D("5.00"),
            refund=D("5.00"),
            credit=D(0),
            out_of_band=D(0),
            refundable=D("4.99"),
            remaining=D(5),
            exponent=2,
        )
    assert error.value.field == "refundAmount"
    with pytest.raises(CalculationError):
        settle(
            D("5.00"),
            refund=D("3.00"),
            credit=D("3.00"),
            out_of_band=D(0),
            refundable=D(9),
            remaining=D(5),
            exponent=2,
        )


@st.composite
def invoice_lines(draw: st.DrawFn) -> list[LineInput]:
    lines = []
    for i in range(draw(st.integers(min_value=1, max_value=12))):
        quantity = draw(st.integers(min_value=1, max_value=7))
        unit = draw(st.integers(min_value=1, max_value=50_000))
        lines.append(
            LineInput(
                f"l{i}",
                D(quantity * unit).scaleb(-2),
                tax_category_id=draw(st.sampled_from([None, "std", "red", "inc"])),
                quantity=D(quantity),
            )
        )
    return lines


@settings(max_examples=80, deadline=None, database=None)
@given(lines=invoice_lines(), per_line=st.booleans(), data=st.data())
def test_random_partial_notes_reconcile_and_never_exceed_the_invoice(
    lines: list[LineInput], per_line: bool, data: st.DataObject
) -> None:
    result = issued(lines, per_line=per_line)
    notes: list[CreditNoteResult] = []
    left = {line.id: line.quantity for line in lines}
    while any(left.values()):
        open_ids = [k for k, v in left.items() if v]
        chosen = data.draw(st.lists(st.sampled_from(open_ids), min_size=1, max_size=3, unique=True))
        requests = []
        for line_id in chosen:
            quantity = D(data.draw(st.integers(min_value=1, max_value=int(left[line_id] or 0))))
            requests.append(LineCredit(line_id, quantity=quantity))
            left[line_id] = (left[line_id] or 0) - quantity
        note = credit_note(to_credit(lines, result, notes, per_line=per_line), requests, [])
        notes.append(note)
        for line in note.lines:
            assert line.net + line.tax == line.total
            assert line.total >= 0
            assert line.tax >= 0
        assert sum(line.total for line in note.lines) == note.total
        assert sum(line.tax for line in note.lines) == note.tax == sum(row.tax for row in note.tax_summary)
        credited = credited_by(notes)
        assert credited.total <= result.amounts.total
        for row in result.tax_summary:
            key = TaxKey(row.tax_category_id, row.rate, row.inclusive)
            assert credited.key_tax.get(key, 0) <= row.tax_amount
    # everything credited: the notes add up to the invoice exactly, rate by rate and line by line
    credited = credited_by(notes)
    assert credited.total == result.amounts.total
    assert sum(n.tax for n in notes) == result.amounts.tax
    assert sum(n.net for n in notes) == result.amounts.net
    for calc in result.lines:
        per_line_total = sum(x.total for n in notes for x in n.lines if x.line_id == calc.id)
        if per_line:
            assert per_line_total == calc.amounts.total
    with pytest.raises(CreditExceedsInvoice):
        credit_note(
            to_credit(lines, result, notes, per_line=per_line), [LineCredit("l0", amount=D("0.01"))], []
        )


def test_jpy_has_no_minor_unit() -> None:
    lines = [LineInput("l0", D("1000"), tax_category_id="std", quantity=D(3))]
    result = issued(lines, exponent=0)
    note = credit_note(to_credit(lines, result, exponent=0), [LineCredit("l0", quantity=D(1))], [])
    assert (note.net, note.tax) == (D("333"), D("67"))
    assert RoundingMode.HALF_UP  # the default mode of the invoice's rounding
