"""The whole invoice calculation: every level reconciles, worked examples, errors, and speed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from decimal import Decimal
from functools import reduce

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from billfold.core.adjustments import Adjustment, AdjustmentKind, AppliesTo
from billfold.core.amounts import Amounts
from billfold.core.calculate import (
    GroupInput,
    InvoiceInput,
    InvoiceResult,
    LineInput,
    LineResult,
    calculate_invoice,
)
from billfold.core.credits import CreditGrant
from billfold.core.money import RoundingMode
from billfold.core.money import add as money_add
from billfold.core.split import AllocationStrategy, CalculationError, PaymentAllocation, from_units
from billfold.core.taxes import (
    RoundingPolicy,
    TaxAmount,
    TaxCategory,
    TaxKey,
    TaxRate,
    TaxRounding,
    TaxSummaryRow,
    WithholdingRate,
)

D = Decimal
K = AdjustmentKind
PROPERTY = settings(max_examples=60, deadline=None, database=None)
CATEGORIES = {
    "std": TaxCategory("std", (TaxRate(D("20")), TaxRate(D("19"), country="DE"))),
    "red": TaxCategory("red", (TaxRate(D("5.5")),)),
    "inc": TaxCategory("inc", (TaxRate(D("20"), inclusive=True),)),
    "inc-red": TaxCategory("inc-red", (TaxRate(D("7"), inclusive=True),)),
    "exempt": TaxCategory("exempt", (TaxRate(D("0")),)),
}


def total_of(amounts: Sequence[Amounts]) -> Amounts:
    return reduce(Amounts.__add__, amounts, Amounts())


def lines_of(*subtotals: str, category: str | None = "std") -> list[LineInput]:
    return [LineInput(f"l{i}", D(s), tax_category_id=category) for i, s in enumerate(subtotals)]


def invoice(lines: Sequence[LineInput], **fields: object) -> InvoiceResult:
    options: dict[str, object] = {"exponent": 2, "tax_categories": CATEGORIES, **fields}
    return calculate_invoice(InvoiceInput(lines=lines, **options))  # type: ignore[arg-type]


# -- worked examples through the whole pipeline ---------------------------------------------------------


def test_eu_vat_three_lines_of_three_cents_per_rate_and_per_line() -> None:
    """EN 16931 BR-CO-17 / BR-CO-14: VAT per rate, round(0.09 × 20 %) = 0.02; per line 3 × 0.01."""
    per_rate = invoice(lines_of("0.03", "0.03", "0.03"))
    assert per_rate.amounts == Amounts(D("0.09"), D("0"), D("0"), D("0.09"), D("0.02"), D("0.11"))
    assert [line.amounts.tax for line in per_rate.lines] == [D("0.01"), D("0.01"), D("0.00")]
    assert per_rate.tax_summary == (TaxSummaryRow("std", D("20"), False, D("0.09"), D("0.02")),)
    per_line = invoice(lines_of("0.03", "0.03", "0.03"), rounding=RoundingPolicy(tax=TaxRounding.PER_LINE))
    assert per_line.amounts.tax == D("0.03")
    assert per_line.amounts.total == D("0.12")


def test_jpy_invoice_with_standard_and_reduced_consumption_tax() -> None:
    """Japan: once per rate per invoice (Consumption Tax Act Enforcement Order, art. 70-10), in yen."""
    categories = {
        "jct10": TaxCategory("jct10", (TaxRate(D("10")),)),
        "jct8": TaxCategory("jct8", (TaxRate(D("8")),)),
    }
    lines = [
        LineInput("a", D("1234"), tax_category_id="jct10"),
        LineInput("b", D("333"), tax_category_id="jct8"),
        LineInput("c", D("567"), tax_category_id="jct10"),
        LineInput("d", D("333"), tax_category_id="jct8"),
    ]
    result = invoice(lines, exponent=0, tax_categories=categories)
    assert [(r.taxable_amount, r.tax_amount) for r in result.tax_summary] == [
        (D("1801"), D("180")),
        (D("666"), D("53")),
    ]
    assert result.amounts.total == D("2700")
    assert str(result.amounts.total) == "2700"  # yen have no minor unit


def test_inclusive_price_of_100_at_20_percent() -> None:
    """HMRC VAT Notice 700: the VAT in a VAT-inclusive price is the VAT fraction, 1/6 at 20 %."""
    result = invoice(lines_of("100.00", category="inc"))
    (line,) = result.lines
    assert line.amounts == Amounts(D("100.00"), D("0"), D("0"), D("83.33"), D("16.67"), D("100.00"))
    assert line.inclusive_tax == D("16.67")
    assert line.tax_amounts == (TaxAmount("inc", D("20"), True, D("16.67")),)
    assert result.tax_summary == (TaxSummaryRow("inc", D("20"), True, D("83.33"), D("16.67")),)


def test_two_rates_on_one_invoice() -> None:
    """Germany, UStG § 12 (19 % and 7 %): one VAT breakdown row per rate (EN 16931 BG-23)."""
    categories = {
        "de19": TaxCategory("de19", (TaxRate(D("19")),)),
        "de7": TaxCategory("de7", (TaxRate(D("7")),)),
    }
    lines = [
        LineInput("a", D("100.00"), tax_category_id="de19"),
        LineInput("b", D("10.99"), tax_category_id="de7"),
        LineInput("c", D("5.55"), tax_category_id="de7"),
    ]
    result = invoice(lines, tax_categories=categories)
    assert [(r.tax_category_id, r.taxable_amount, r.tax_amount) for r in result.tax_summary] == [
        ("de19", D("100.00"), D("19.00")),
        ("de7", D("16.54"), D("1.16")),
    ]
    assert [line.amounts.tax for line in result.lines] == [D("19.00"), D("0.77"), D("0.39")]
    assert result.amounts.total == D("136.70")


def test_invoice_discount_is_computed_once_and_allocated() -> None:
    """10 % of three lines of 0.05 is 0.02 (Orb computes an invoice-level adjustment on the total)."""
    ten_percent = Adjustment("a", K.PERCENTAGE_DISCOUNT, percentage=D("10"), name="Spring")
    result = invoice(lines_of("0.05", "0.05", "0.05", category=None), adjustments=(ten_percent,))
    assert result.amounts.discount == D("0.02")
    assert result.amounts.adjustment == D("-0.02")
    assert [line.amounts.net for line in result.lines] == [D("0.04"), D("0.04"), D("0.05")]
    assert result.lines[0].adjustments[0].amount == D("-0.01")
    assert result.lines[0].adjustments[0].name == "Spring"
    assert result.lines[2].adjustments == ()


def test_line_group_and_invoice_adjustments_with_taxes_and_credits() -> None:
    lines = [
        LineInput(
            "a", D("100.00"), group_id="g", adjustments=(Adjustment("la", K.AMOUNT_DISCOUNT, amount=D("10")),)
        ),
        LineInput("b", D("50.00"), group_id="g", tax_category_id="red"),
        LineInput("c", D("30.00"), tax_category_id="inc"),
    ]
    groups = [
        GroupInput("g", tax_category_id="std", adjustments=(Adjustment("gm", K.MAXIMUM, amount=D("120")),))
    ]
    result = invoice(
        lines,
        groups=groups,
        adjustments=(Adjustment("promo", K.AMOUNT_DISCOUNT, amount=D("15")),),
        credits_applied=D("20.00"),
    )
    # Line a: 100 - 10 = 90; group max 120 over (90, 50): cut 20 -> 12.86 / 7.14; promo 15 over
    # (77.14, 42.86, 30.00) -> 7.71 / 4.29 / 3.00.
    assert [line.amounts.adjustment for line in result.lines] == [D("-30.57"), D("-11.43"), D("-3.00")]
    assert [line.amounts.discount for line in result.lines] == [D("17.71"), D("4.29"), D("3.00")]
    assert [r.adjustment_id for r in result.adjustments] == ["la", "gm", "promo"]
    assert result.groups[0].amounts.net == D("108.00")
    assert result.groups[0].tax_amounts == (
        TaxAmount("std", D("20"), False, D("13.89")),
        TaxAmount("red", D("5.5"), False, D("2.12")),
    )
    assert result.standalone.total == D("27.00")
    assert result.inclusive_tax == D("4.50")
    assert result.amount_due == money_add(result.amounts.total, -D("20.00"))
    assert money_add(*(line.credits_applied for line in result.lines)) == D("20.00")
    assert_reconciles(result, lines)


def test_a_hundred_percent_discount_gives_zero_never_negative() -> None:
    lines = lines_of("10.00", "0.01", "99.99", "0.00")
    result = invoice(lines, adjustments=(Adjustment("all", K.PERCENTAGE_DISCOUNT, percentage=D("100")),))
    assert all(line.amounts.net == 0 and line.amounts.total == 0 for line in result.lines)
    assert result.amounts == Amounts(D("110.00"), D("110.00"), D("-110.00"), D("0.00"), D("0.00"), D("0.00"))


def test_brazilian_gross_up_line() -> None:
    """The seller means to receive 1,000.00 after IRRF, PIS, COFINS and CSLL are withheld."""
    rates = (
        WithholdingRate("IRRF", D("1.5")),
        WithholdingRate("PIS", D("0.65")),
        WithholdingRate("COFINS", D("3")),
        WithholdingRate("CSLL", D("1")),
    )
    lines = [LineInput("svc", D("1000.00")), LineInput("gross-up", D("0"), gross_up=True)]
    result = invoice(lines, withholding_rates=rates, default_tax_category_id="exempt")
    assert result.gross_up_amount == D("65.54")
    assert result.lines[1].amounts.total == D("65.54")
    assert result.lines[1].tax_key is None
    assert result.amounts.total == D("1065.54")
    assert result.withholding_amount == D("65.54")
    assert money_add(result.amount_due, -result.withholding_amount) == D("1000.00")


def test_credits_from_grants_at_issue() -> None:
    grants = (
        CreditGrant("g1", D("5.00"), date(2024, 1, 1), date(2024, 3, 1)),
        CreditGrant("g2", D("50.00"), date(2024, 1, 1)),
    )
    result = invoice(
        lines_of("10.00", "20.00"), credit_grants=grants, credits_as_of=date(2024, 2, 1), invoice_id="i1"
    )
    assert result.amounts.total == D("36.00")
    assert result.credits_applied == D("36.00")
    assert [(u.grant_id, u.amount) for u in result.credit_uses] == [("g1", D("5.00")), ("g2", D("31.00"))]
    assert result.amount_due == D("0.00")
    assert [line.credits_applied for line in result.lines] == [D("12.00"), D("24.00")]


def test_percent_split_across_payment_accounts() -> None:
    allocations = (PaymentAllocation("pa-1", D("70")), PaymentAllocation("pa-2", D("30")))
    result = invoice(
        lines_of("33.33", "0.01"),
        allocation_strategy=AllocationStrategy.PERCENT_SPLIT,
        allocations=allocations,
        credits_applied=D("1.00"),
    )
    assert [(s.net, s.tax, s.total, s.credits_applied, s.amount_due) for s in result.shares] == [
        (D("23.34"), D("4.67"), D("28.01"), D("0.70"), D("27.31")),
        (D("10.00"), D("2.00"), D("12.00"), D("0.30"), D("11.70")),
    ]
    assert invoice(lines_of("1.00")).shares == ()


def test_country_rate_and_category_from_group_product_and_default() -> None:
    lines = [
        LineInput("own", D("10.00"), group_id="g", tax_category_id="red"),
        LineInput("group", D("10.00"), group_id="g", product_tax_category_id="exempt"),
        LineInput("product", D("10.00"), product_tax_category_id="exempt"),
        LineInput("default", D("10.00")),
    ]
    result = invoice(
        lines, groups=[GroupInput("g", "std")], default_tax_category_id="std", customer_country="DE"
    )
    assert [line.tax_key for line in result.lines] == [
        TaxKey("red", D("5.5"), False),
        TaxKey("std", D("19"), False),
        TaxKey("exempt", D("0"), False),
        TaxKey("std", D("19"), False),
    ]
    assert invoice(lines_of("1.00", category=None)).tax_summary == ()


# -- errors --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lines", "fields", "field"),
    [
        ([LineInput("a", D("1.001"))], {}, "lines[0].subtotalAmount"),
        ([LineInput("a", D("1"), group_id="nope")], {}, "lines[0].lineItemGroupId"),
        ([LineInput("a", D("1")), LineInput("a", D("2"))], {}, "lines"),
        ([LineInput("a", D("1"), tax_category_id="vat")], {}, "lines[0].taxCategoryId"),
        (
            [LineInput("a", D("1"), group_id="g")],
            {"groups": [GroupInput("g", "vat")]},
            "groups[0].taxCategoryId",
        ),
        ([LineInput("a", D("1"), product_tax_category_id="vat")], {}, "lines[0].productTaxCategoryId"),
        ([LineInput("a", D("1"))], {"default_tax_category_id": "vat"}, "defaultTaxCategoryId"),
        ([LineInput("a", D("1"))], {"groups": [GroupInput("g"), GroupInput("g")]}, "groups[1].id"),
        (
            [LineInput("a", D("0"), gross_up=True), LineInput("b", D("0"), gross_up=True)],
            {},
            "lines[1].scope",
        ),
        (
            [LineInput("a", D("1"), quantity=D("-1"))],
            {"adjustments": (Adjustment("u", K.USAGE_DISCOUNT, usage=D("1")),)},
            "lines[0].quantity",
        ),
        (
            [LineInput("a", D("1"))],
            {"adjustments": (Adjustment("o", K.ALLOCATION_OFFSET, amount=D("1")),)},
            "adjustments",
        ),
        (
            [LineInput("a", D("1"), adjustments=(Adjustment("o", K.ALLOCATION_OFFSET, amount=D("1")),))],
            {},
            "adjustments",
        ),
        (
            [LineInput("a", D("1"), adjustments=(Adjustment("x", K.MINIMUM, amount=D("0.001")),))],
            {},
            "lines[0].adjustments[0].amount",
        ),
        ([LineInput("a", D("1"))], {"credits_applied": D("1.01")}, "creditsAppliedAmount"),
        ([LineInput("a", D("1"))], {"exponent": 19}, "exponent"),
        ([LineInput("a", D("1"))], {"allocation_strategy": "percent_split"}, "allocations"),
    ],
)
def test_invalid_input_names_the_field(lines: list[LineInput], fields: dict[str, object], field: str) -> None:
    with pytest.raises(CalculationError) as error:
        invoice(lines, **fields)
    assert error.value.field == field


# -- properties ----------------------------------------------------------------------------------------

PRODUCTS = ["p1", "p2", "p3"]


@st.composite
def adjustment_lists(draw: st.DrawFn, exponent: int, max_size: int) -> tuple[Adjustment, ...]:
    result = []
    for index in range(draw(st.integers(min_value=0, max_value=max_size))):
        kind = draw(
            st.sampled_from(
                [
                    K.AMOUNT_DISCOUNT,
                    K.MONETARY_DISCOUNT,
                    K.PERCENTAGE_DISCOUNT,
                    K.MINIMUM,
                    K.MAXIMUM,
                    K.USAGE_DISCOUNT,
                ]
            )
        )
        applies = draw(st.none() | st.builds(AppliesTo, st.frozensets(st.sampled_from(PRODUCTS), max_size=2)))
        if kind is K.PERCENTAGE_DISCOUNT:
            percentage = draw(st.decimals(min_value=0, max_value=100, places=2))
            result.append(Adjustment(f"a{index}", kind, percentage=percentage, applies_to=applies))
        elif kind is K.USAGE_DISCOUNT:
            result.append(
                Adjustment(f"a{index}", kind, usage=D(draw(st.integers(0, 50))), applies_to=applies)
            )
        else:
            amount = from_units(draw(st.integers(min_value=0, max_value=200_000)), exponent)
            result.append(Adjustment(f"a{index}", kind, amount=amount, applies_to=applies))
    return tuple(result)


@st.composite
def invoices(draw: st.DrawFn, max_lines: int = 200) -> InvoiceInput:
    exponent = draw(st.sampled_from([2, 2, 0, 3]))
    group_count = draw(st.integers(min_value=0, max_value=4))
    groups = [
        GroupInput(f"g{k}", draw(st.sampled_from([None, "std", "inc"])), draw(adjustment_lists(exponent, 2)))
        for k in range(group_count)
    ]
    lines = []
    for i in range(draw(st.integers(min_value=1, max_value=max_lines))):
        units = draw(
            st.integers(min_value=-5_000, max_value=500_000) | st.integers(min_value=0, max_value=20)
        )
        quantity = draw(st.none() | st.integers(min_value=0, max_value=100))
        lines.append(
            LineInput(
                f"l{i}",
                from_units(units, exponent),
                group_id=draw(st.sampled_from([None, *(g.id for g in groups)])),
                product_id=draw(st.sampled_from(PRODUCTS)),
                tax_category_id=draw(st.sampled_from([None, None, *CATEGORIES])),
                adjustments=draw(adjustment_lists(exponent, 2)) if draw(st.integers(0, 9)) == 0 else (),
                quantity=None if quantity is None else D(quantity),
                unit_price=D("0.37"),
            )
        )
    if draw(st.booleans()):  # an offset moving an amount from a line or its group to another line
        amount = from_units(draw(st.integers(min_value=1, max_value=10_000)), exponent)
        source = draw(st.integers(min_value=0, max_value=len(lines) - 1))
        target = draw(st.integers(min_value=0, max_value=len(lines) - 1))
        take = Adjustment("off-", K.ALLOCATION_OFFSET, amount=-amount)
        give = Adjustment("off+", K.ALLOCATION_OFFSET, amount=amount)
        group_id = lines[source].group_id
        if group_id is not None:
            k = int(group_id[1:])
            groups[k] = replace(groups[k], adjustments=(*groups[k].adjustments, take))
        else:
            lines[source] = replace(lines[source], adjustments=(*lines[source].adjustments, take))
        lines[target] = replace(lines[target], adjustments=(*lines[target].adjustments, give))
    split = draw(st.booleans())
    return InvoiceInput(
        exponent=exponent,
        lines=lines,
        groups=groups,
        adjustments=draw(adjustment_lists(exponent, 3)),
        rounding=RoundingPolicy(
            draw(st.sampled_from([RoundingMode.HALF_UP, RoundingMode.HALF_EVEN])),
            draw(st.sampled_from(list(TaxRounding))),
        ),
        tax_categories=CATEGORIES,
        default_tax_category_id=draw(st.sampled_from([None, "red"])),
        customer_country=draw(st.sampled_from([None, "DE", "FR"])),
        credit_grants=(
            CreditGrant("grant", from_units(draw(st.integers(0, 10**6)), exponent), date(2024, 1, 1)),
        ),
        credits_as_of=date(2024, 6, 1),
        allocation_strategy=AllocationStrategy.PERCENT_SPLIT if split else AllocationStrategy.SINGLE,
        allocations=(PaymentAllocation("a", D("33.33")), PaymentAllocation("b", D("66.67"))) if split else (),
    )


def assert_reconciles(result: InvoiceResult, lines: Sequence[LineInput]) -> None:
    for line in result.lines:
        a = line.amounts
        assert money_add(a.subtotal, a.adjustment) == money_add(a.net, line.inclusive_tax)
        assert money_add(a.net, a.tax) == a.total
        assert a.discount >= 0
        assert 0 <= line.credits_applied <= max(a.total, D(0))
        assert money_add(*(x.amount for x in line.adjustments)) == a.adjustment
    for group in result.groups:
        members = [line for line in result.lines if line.group_id == group.id]
        assert group.amounts == total_of([line.amounts for line in members])
        assert money_add(*(t.amount for t in group.tax_amounts)) == group.amounts.tax
        assert group.credits_applied == money_add(*(line.credits_applied for line in members))
    standalone = [line.amounts for line in result.lines if line.group_id is None]
    assert result.standalone == total_of(standalone)
    assert result.amounts == total_of([result.standalone, *(g.amounts for g in result.groups)])
    assert result.amounts == total_of([line.amounts for line in result.lines])
    amounts = result.amounts
    assert money_add(amounts.subtotal, amounts.adjustment) == money_add(amounts.net, result.inclusive_tax)
    assert money_add(amounts.net, amounts.tax) == amounts.total
    assert money_add(*(r.tax_amount for r in result.tax_summary)) == amounts.tax
    taxed_nets = [line.amounts.net for line in result.lines if line.tax_key is not None]
    assert money_add(*(r.taxable_amount for r in result.tax_summary)) == money_add(*taxed_nets)
    assert money_add(*(r.amount for r in result.adjustments)) == amounts.adjustment
    assert result.credits_applied == money_add(*(line.credits_applied for line in result.lines))
    assert result.amount_due == money_add(amounts.total, -result.credits_applied)
    if result.shares:
        for figure in ("net", "tax", "total", "credits_applied", "amount_due"):
            assert money_add(*(getattr(s, figure) for s in result.shares)) == getattr(
                amounts if figure in ("net", "tax", "total") else result, figure
            )
        assert all(money_add(s.net, s.tax) == s.total for s in result.shares)


@PROPERTY
@given(data=invoices())
def test_every_level_reconciles_exactly(data: InvoiceInput) -> None:
    result = calculate_invoice(data)
    assert_reconciles(result, data.lines)
    for line in result.lines:
        a = line.amounts
        for value in (a.subtotal, a.discount, a.adjustment, a.net, a.tax, a.total, line.credits_applied):
            assert value.as_tuple().exponent == -data.exponent  # every figure in the currency's places
    has_offsets = any(r.kind is K.ALLOCATION_OFFSET for r in result.adjustments)
    if not has_offsets:
        for source, line in zip(data.lines, result.lines, strict=True):
            if source.subtotal >= 0:
                assert money_add(line.amounts.net, line.inclusive_tax) >= 0  # discounts never go below zero


@PROPERTY
@given(data=invoices(max_lines=40), percentage=st.just(D("100")))
def test_a_full_invoice_discount_leaves_nothing_to_pay_and_nothing_negative(
    data: InvoiceInput, percentage: Decimal
) -> None:
    lines = [
        LineInput(x.id, x.subtotal, group_id=x.group_id, tax_category_id=x.tax_category_id)
        for x in data.lines
    ]
    groups = [GroupInput(g.id, g.tax_category_id) for g in data.groups]
    full = (Adjustment("all", K.PERCENTAGE_DISCOUNT, percentage=percentage),)
    result = calculate_invoice(InvoiceInput(data.exponent, lines, groups, full, tax_categories=CATEGORIES))
    assert_reconciles(result, lines)
    for source, line in zip(lines, result.lines, strict=True):
        if source.subtotal >= 0:
            assert line.amounts.total == 0
            assert line.amounts.discount == source.subtotal
        else:
            assert line.amounts.discount == 0


def test_lines_keep_their_input_order_and_result_types() -> None:
    result = invoice(lines_of("1.00", "2.00"))
    assert isinstance(result.lines[0], LineResult)
    assert [line.id for line in result.lines] == ["l0", "l1"]


# -- scale ---------------------------------------------------------------------------------------------


def test_ten_thousand_lines_reconcile() -> None:
    """10,000 lines, three rates, groups, discounts, credits and a percent split still reconcile to the
    cent (its speed is measured by bench/calculate_bench.py, not here)."""
    lines = [
        LineInput(
            f"l{i}",
            from_units(123 + i % 997, 2),
            group_id=f"g{i % 10}",
            tax_category_id=("std", "red", "inc")[i % 3],
        )
        for i in range(10_000)
    ]
    groups = [
        GroupInput(f"g{k}", adjustments=(Adjustment(f"d{k}", K.AMOUNT_DISCOUNT, amount=D("5")),))
        for k in range(10)
    ]
    data = InvoiceInput(
        exponent=2,
        lines=lines,
        groups=groups,
        adjustments=(Adjustment("p", K.PERCENTAGE_DISCOUNT, percentage=D("7.5")),),
        tax_categories=CATEGORIES,
        credits_applied=D("100.00"),
        allocation_strategy=AllocationStrategy.PERCENT_SPLIT,
        allocations=(PaymentAllocation("a", D("60")), PaymentAllocation("b", D("40"))),
    )
    result = calculate_invoice(data)
    assert len(result.lines) == 10_000
    assert_reconciles(result, lines)
