"""Taxes: per-rate (EN 16931) and per-line rounding, inclusive rates, rate resolution, gross-up.

Worked examples carry the figures the tax authority expects and where the rule comes from.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from billfold.core.money import RoundingMode
from billfold.core.money import add as money_add
from billfold.core.split import CalculationError, from_units
from billfold.core.taxes import (
    RoundingPolicy,
    TaxCategory,
    TaxKey,
    TaxRate,
    TaxResolver,
    TaxRounding,
    TaxSummaryRow,
    WithholdingRate,
    compute_taxes,
    gross_up,
    gross_up_units,
    resolve_tax_category_id,
    split_tax_units,
    tax_by_key,
    withheld_units,
    withhold,
)

D = Decimal
UP = RoundingMode.HALF_UP
EVEN = RoundingMode.HALF_EVEN
PER_LINE = TaxRounding.PER_LINE
PROPERTY = settings(max_examples=120, deadline=None, database=None)
VAT20 = TaxKey("vat-standard", D("20"), False)


def taxes(
    amounts: list[str],
    keys: list[TaxKey | None],
    *,
    exponent: int = 2,
    mode: RoundingMode = UP,
    rounding: TaxRounding = TaxRounding.PER_RATE,
) -> tuple[tuple[Decimal, ...], tuple[TaxSummaryRow, ...]]:
    return compute_taxes([D(a) for a in amounts], keys, exponent=exponent, mode=mode, rounding=rounding)


# -- worked examples -----------------------------------------------------------------------------------


def test_eu_vat_per_rate_on_three_lines_of_three_cents() -> None:
    """EN 16931-1 BR-CO-17 / BR-S-09: the VAT category tax amount (BT-117) is the category taxable
    amount (BT-116) × rate (BT-119), rounded; BR-CO-14: the VAT total is the sum of those. 0.09 × 20 %
    = 0.018 -> 0.02, split over the lines by largest remainder (ties to the earliest)."""
    line_taxes, (row,) = taxes(["0.03", "0.03", "0.03"], [VAT20] * 3)
    assert row == TaxSummaryRow("vat-standard", D("20"), False, D("0.09"), D("0.02"))
    assert line_taxes == (D("0.01"), D("0.01"), D("0.00"))


def test_eu_vat_per_line_on_three_lines_of_three_cents() -> None:
    """An organization rounding per line: 0.006 -> 0.01 on each line, 0.03 in all."""
    line_taxes, (row,) = taxes(["0.03", "0.03", "0.03"], [VAT20] * 3, rounding=PER_LINE)
    assert line_taxes == (D("0.01"), D("0.01"), D("0.01"))
    assert row.tax_amount == D("0.03")


def test_jpy_consumption_tax_rounds_once_per_rate() -> None:
    """Japan's qualified invoices (適格請求書): consumption tax is rounded once per rate per invoice
    (Consumption Tax Act Enforcement Order, art. 70-10), in yen (ISO 4217 exponent 0).
    10 %: (1,234 + 567) × 10 % = 180.1 -> ¥180; reduced 8 %: (333 + 333) × 8 % = 53.28 -> ¥53.
    Rounded per line the reduced rate would give 27 + 27 = ¥54."""
    standard = TaxKey("jct-standard", D("10"), False)
    reduced = TaxKey("jct-reduced", D("8"), False)
    keys: list[TaxKey | None] = [standard, reduced, standard, reduced]
    for mode in (UP, RoundingMode.DOWN):  # the seller may round or truncate, once per rate
        line_taxes, rows = taxes(["1234", "333", "567", "333"], keys, exponent=0, mode=mode)
        assert [(r.taxable_amount, r.tax_amount) for r in rows] == [
            (D("1801"), D("180")),
            (D("666"), D("53")),
        ]
        assert money_add(*line_taxes) == D("233")
        assert line_taxes == (D("123"), D("27"), D("57"), D("26"))
    line_taxes, rows = taxes(["1234", "333", "567", "333"], keys, exponent=0, rounding=PER_LINE)
    assert [r.tax_amount for r in rows] == [D("180"), D("54")]


def test_inclusive_price_of_100_at_20_percent() -> None:
    """A gross price of 100.00 at 20 % holds VAT of 100 × 20/120 = 16.666... -> 16.67 (the VAT
    fraction, 1/6 at 20 %: HMRC VAT Notice 700), so the net is 83.33."""
    inclusive = TaxKey("vat-standard", D("20"), True)
    (tax,), (row,) = taxes(["100.00"], [inclusive])
    assert tax == D("16.67")
    assert row == TaxSummaryRow("vat-standard", D("20"), True, D("83.33"), D("16.67"))


def test_two_rates_on_one_invoice() -> None:
    """Germany, UStG § 12: 19 % standard and 7 % reduced on one invoice; EN 16931 gives one VAT
    breakdown row (BG-23) per rate. 7 % of 16.54 = 1.1578 -> 1.16, split 0.77 / 0.39."""
    standard = TaxKey("de-standard", D("19"), False)
    reduced = TaxKey("de-reduced", D("7"), False)
    line_taxes, rows = taxes(["100.00", "10.99", "5.55"], [standard, reduced, reduced])
    assert rows == (
        TaxSummaryRow("de-standard", D("19"), False, D("100.00"), D("19.00")),
        TaxSummaryRow("de-reduced", D("7"), False, D("16.54"), D("1.16")),
    )
    assert line_taxes == (D("19.00"), D("0.77"), D("0.39"))


# -- rounding details ----------------------------------------------------------------------------------


def test_inclusive_rounding_per_rate_and_per_line() -> None:
    inclusive = TaxKey("vat", D("20"), True)
    assert taxes(["0.05"] * 3, [inclusive] * 3)[1][0].tax_amount == D("0.03")  # 0.025 half-up
    assert taxes(["0.05"] * 3, [inclusive] * 3, mode=EVEN)[1][0].tax_amount == D("0.02")
    assert taxes(["0.05"] * 3, [inclusive] * 3, rounding=PER_LINE)[0] == (D("0.01"),) * 3


def test_credit_lines_are_never_charged_tax() -> None:
    line_taxes, (row,) = taxes(["10.00", "-4.00"], [VAT20, VAT20])
    assert line_taxes == (D("2.00"), D("-0.80"))
    assert row.tax_amount == D("1.20")
    line_taxes, _ = taxes(["0.03", "0.03", "-0.03"], [VAT20] * 3)
    assert line_taxes == (D("0.01"), D("0.00"), D("0.00"))


def test_untaxed_lines_are_in_no_row() -> None:
    line_taxes, rows = taxes(["5.00", "5.00"], [None, VAT20])
    assert line_taxes == (D("0.00"), D("1.00"))
    assert [r.tax_category_id for r in rows] == ["vat-standard"]


def test_equal_keys_from_different_objects_share_a_row() -> None:
    line_taxes, rows = taxes(
        ["0.03", "0.03", "0.03"], [VAT20, TaxKey("vat-standard", D("20.0"), False), VAT20]
    )
    assert len(rows) == 1
    assert rows[0].tax_amount == D("0.02")
    assert line_taxes == (D("0.01"), D("0.01"), D("0.00"))
    assert tax_by_key([VAT20, None, TaxKey("vat-standard", D("20"), False)], [5, 9, 7], [0, 1, 2]) == {
        VAT20: 12
    }


@PROPERTY
@given(
    amounts=st.lists(st.integers(min_value=-50_000, max_value=500_000), min_size=1, max_size=40),
    rate=st.decimals(min_value=0, max_value=30, places=2),
    inclusive=st.booleans(),
    mode=st.sampled_from([UP, EVEN]),
)
def test_a_rate_split_sums_exactly_and_keeps_each_line_near_its_exact_tax(
    amounts: list[int], rate: Decimal, inclusive: bool, mode: RoundingMode
) -> None:
    key = TaxKey("t", rate, inclusive)
    shares = split_tax_units(amounts, key, mode)
    factor = Fraction(rate) / (100 + Fraction(rate) if inclusive else 100)
    total = sum(amounts) * factor
    assert abs(sum(shares) - total) <= Fraction(1, 2)  # the rate's tax is rounded once
    positive = sum(a for a in amounts if a > 0)
    negative = sum(a for a in amounts if a < 0)
    for amount, share in zip(amounts, shares, strict=True):
        assert share * amount >= 0  # never tax of the other sign: credit lines are not charged
        if positive and not negative:
            exact = Fraction(sum(shares) * amount, positive)
            assert abs(share - exact) < 1


# -- categories and resolution -------------------------------------------------------------------------


def test_a_line_category_comes_from_the_line_then_group_then_product_then_default() -> None:
    assert resolve_tax_category_id("line", "group", "product", "default") == "line"
    assert resolve_tax_category_id(None, "group", "product", "default") == "group"
    assert resolve_tax_category_id(None, None, "product", "default") == "product"
    assert resolve_tax_category_id(None, None, None, "default") == "default"
    assert resolve_tax_category_id(None, None, None, None) is None


def test_a_rate_may_depend_on_the_customers_country() -> None:
    vat = TaxCategory(
        "vat",
        (TaxRate(D("20"), country="fr"), TaxRate(D("19"), country="DE"), TaxRate(D("0"))),
        name="VAT standard",
    )
    assert vat.key_for("FR") == TaxKey("vat", D("20"), False)
    assert vat.key_for("de") == TaxKey("vat", D("19"), False)
    assert vat.key_for("US") == TaxKey("vat", D("0"), False)
    assert vat.key_for(None) == TaxKey("vat", D("0"), False)
    only_fr = TaxCategory("fr-only", (TaxRate(D("20"), inclusive=True, country="FR"),))
    assert only_fr.key_for("FR").inclusive
    with pytest.raises(CalculationError, match="no rate for DE") as error:
        only_fr.key_for("DE")
    assert error.value.field == "taxCategoryId"


def test_resolver_looks_each_category_up_once() -> None:
    resolver = TaxResolver({"vat": TaxCategory("vat", (TaxRate(D("20")),))}, country="FR")
    first = resolver.key("vat")
    assert first is resolver.key("vat")
    assert resolver.key(None) is None
    with pytest.raises(CalculationError, match="unknown tax category"):
        resolver.key("gst")


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (lambda: TaxRate(D("-1")), "rate"),
        (lambda: TaxRate(D("NaN")), "rate"),
        (
            lambda: TaxCategory("vat", (TaxRate(D("20"), country="FR"), TaxRate(D("19"), country="fr"))),
            "rates[1].country",
        ),
        (lambda: WithholdingRate("irrf", D("100.5")), "rate"),
        (lambda: RoundingPolicy(tax="per_invoice"), "taxRounding"),  # type: ignore[arg-type]
        (lambda: RoundingPolicy(mode="half_up"), "roundingMode"),  # type: ignore[arg-type]
    ],
)
def test_invalid_tax_definitions_name_the_field(build: object, field: str) -> None:
    with pytest.raises(CalculationError) as error:
        build()  # type: ignore[operator]
    assert error.value.field == field


def test_rounding_policy_takes_the_api_names() -> None:
    assert RoundingPolicy(EVEN, "per_line").tax is TaxRounding.PER_LINE  # type: ignore[arg-type]
    assert RoundingPolicy() == RoundingPolicy(UP, TaxRounding.PER_RATE)


# -- withholding gross-up -------------------------------------------------------------------------------

BRAZIL = (
    WithholdingRate("IRRF", D("1.5")),  # RIR/2018 art. 714: professional services
    WithholdingRate("PIS", D("0.65")),  # Law 10.833/2003 art. 30-31: 4.65 % in all
    WithholdingRate("COFINS", D("3")),
    WithholdingRate("CSLL", D("1")),
)


def test_brazilian_service_invoice_grossed_up_to_the_cent() -> None:
    """To receive 1,000.00 after IRRF, PIS, COFINS and CSLL (6.15 %), the naive 1000 / 0.9385 =
    1,065.53 leaves 999.99; the smallest exact gross is 1,065.54."""
    gross = gross_up(D("1000.00"), BRAZIL, exponent=2)
    assert gross == D("1065.54")
    withheld = withhold(gross, BRAZIL, exponent=2)
    assert [w.amount for w in withheld] == [D("15.98"), D("6.93"), D("31.97"), D("10.66")]
    assert money_add(gross, *(-w.amount for w in withheld)) == D("1000.00")
    naive = withhold(D("1065.53"), BRAZIL, exponent=2)
    assert money_add(D("1065.53"), *(-w.amount for w in naive)) == D("999.99")


def test_gross_up_with_truncating_authorities() -> None:
    truncating = tuple(WithholdingRate(r.id, r.rate, RoundingMode.DOWN) for r in BRAZIL)
    gross = gross_up(D("1000.00"), truncating, exponent=2)
    assert gross == D("1065.51")
    assert money_add(gross, *(-w.amount for w in withhold(gross, truncating, exponent=2))) == D("1000.00")


def test_gross_up_edges() -> None:
    assert gross_up(D("0.00"), BRAZIL, exponent=2) == D("0.00")
    assert gross_up(D("-10.00"), BRAZIL, exponent=2) == D("-10.00")
    assert gross_up(D("10.00"), (), exponent=2) == D("10.00")
    with pytest.raises(CalculationError, match="less than 100") as error:
        gross_up(D("10.00"), (WithholdingRate("a", D("60")), WithholdingRate("b", D("40"))), exponent=2)
    assert error.value.field == "withholdingRates"
    with pytest.raises(CalculationError, match="finer"):
        withheld_units(100, WithholdingRate("a", D("1"), exponent=3), 2)


RATES = st.lists(
    st.builds(
        WithholdingRate,
        id=st.just("w"),
        rate=st.decimals(min_value=0, max_value=12, places=3),
        mode=st.sampled_from(list(RoundingMode)),
        exponent=st.sampled_from([None, None, 1, 0]),
    ),
    min_size=1,
    max_size=4,
)


@PROPERTY
@given(net=st.integers(min_value=1, max_value=3_000), rates=RATES)
def test_gross_up_is_the_smallest_exact_gross(net: int, rates: list[WithholdingRate]) -> None:
    def received(gross: int) -> int:
        return gross - sum(withheld_units(gross, rate, 2) for rate in rates)

    gross = gross_up_units(net, rates, 2)
    assert received(gross) == net
    assert all(received(smaller) != net for smaller in range(net, gross))
    assert from_units(gross, 2) == gross_up(from_units(net, 2), rates, exponent=2)
