"""price_line: free units, minimums, one rounding, sub lines that sum to the line, usage checks."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from billfold.core.money import CONTEXT, RoundingMode, quantize
from billfold.core.pricing import (
    MODELS,
    BasisPointsParams,
    DimensionUsage,
    FixedParams,
    GraduatedParams,
    LineResult,
    MatrixCell,
    MatrixParams,
    PackageParams,
    PercentageParams,
    Price,
    PriceValidationError,
    SubLineType,
    Tier,
    UnitParams,
    Usage,
    UsageError,
    VolumeParams,
    parse_price,
    price_line,
)

D = Decimal
PROPERTY = settings(max_examples=200, deadline=None, database=None)
HALF_UP = RoundingMode.HALF_UP
TIERS = (
    Tier(D(0), D(10), D("0.333"), D("1.005")),
    Tier(D(10), D(100), D("0.1234")),
    Tier(D(100), None, D("0.01")),
)


def test_minimum_tops_the_line_up() -> None:
    price = parse_price("unit", {"unitPrice": "0.50", "minimumAmount": "10"})
    result = price_line(price, Usage(quantity=D(7)), 2, HALF_UP)
    assert result.amount == D("10.00")
    assert result.minimum_applied == D("6.50")
    assert [(s.type, s.name, s.amount) for s in result.sub_lines] == [
        (SubLineType.UNIT_PRICE, "0.5 per unit", D("3.50")),
        (SubLineType.MINIMUM_AMOUNT, "Minimum amount", D("6.50")),
    ]
    assert result.sub_lines[1].metadata == {"minimumAmount": D(10), "minimumAmountApplied": D("6.50")}
    above = price_line(price, Usage(quantity=D(30)), 2, HALF_UP)
    assert above.amount == D("15.00")
    assert above.minimum_applied == D(0)
    assert len(above.sub_lines) == 1


def test_minimum_with_sub_cent_usage_rounds_once() -> None:
    price = Price(UnitParams(D("0.0001")), minimum_amount=D("0.015"))
    result = price_line(price, Usage(quantity=D(3)), 2, HALF_UP)
    assert result.exact_amount == D("0.015")
    assert result.amount == D("0.02")
    assert [s.amount for s in result.sub_lines] == [D("0.00"), D("0.02")]


def test_free_units_apply_before_tiers() -> None:
    price = Price(GraduatedParams(TIERS), free_units=D(10))
    result = price_line(price, Usage(quantity=D(15)), 2, HALF_UP)
    # 5 billable units, all in tier 1.
    assert result.exact_amount == CONTEXT.add(CONTEXT.multiply(D(5), D("0.333")), D("1.005"))
    assert result.free_units == D(10)
    assert result.usage == D(15)
    assert price_line(price, Usage(quantity=D(4)), 2, HALF_UP).free_units == D(4)


@pytest.mark.parametrize(
    ("mode", "amount"),
    [
        (RoundingMode.HALF_UP, D("0.03")),
        (RoundingMode.HALF_EVEN, D("0.02")),
        (RoundingMode.UP, D("0.03")),
        (RoundingMode.DOWN, D("0.02")),
    ],
)
def test_rounding_mode_is_passed_in(mode: RoundingMode, amount: Decimal) -> None:
    result = price_line(Price(UnitParams(D("0.0025"))), Usage(quantity=D(10)), 2, mode)
    assert result.exact_amount == D("0.025")
    assert result.amount == amount


def test_negative_line_splits_symmetrically() -> None:
    price = Price(FixedParams(D("-0.005")))
    assert price_line(price, Usage(quantity=D(3)), 2, HALF_UP).amount == D("-0.02")


def test_exponent_must_be_sane() -> None:
    for exponent in (-1, 19):
        with pytest.raises(ValueError, match="exponent"):
            price_line(Price(UnitParams(D(1))), Usage(quantity=D(1)), exponent, HALF_UP)


def test_usage_must_fit_the_model() -> None:
    with pytest.raises(UsageError) as caught:
        price_line(Price(UnitParams(D(1))), Usage(transactions=(D(1),)), 2, HALF_UP)
    assert caught.value.field == "transactions"
    with pytest.raises(UsageError) as caught:
        price_line(Price(BasisPointsParams(D(1))), Usage(quantity=D(1)), 2, HALF_UP)
    assert caught.value.field == "quantity"
    with pytest.raises(UsageError) as caught:
        price_line(Price(UnitParams(D(1))), Usage(dimensions=(DimensionUsage(("a",), D(1)),)), 2, HALF_UP)
    assert caught.value.field == "usage"


@pytest.mark.parametrize(
    ("usage", "field"),
    [
        (lambda: Usage(quantity=D(-1)), "quantity"),
        (lambda: Usage(quantity=D("NaN")), "quantity"),
        (lambda: Usage(transactions=(D(1), D(-2))), "transactions[1]"),
        (lambda: Usage(dimensions=(DimensionUsage(("a",), D(-1)),)), "usage[0].quantity"),
    ],
)
def test_usage_is_never_negative(usage: Callable[[], Usage], field: str) -> None:
    with pytest.raises(UsageError) as caught:
        usage()
    assert caught.value.field == field


def test_price_options_are_validated() -> None:
    with pytest.raises(PriceValidationError) as caught:
        Price(UnitParams(D(1)), free_units=D(-1))
    assert caught.value.field == "freeUnits"
    with pytest.raises(PriceValidationError) as caught:
        Price(UnitParams(D(1)), minimum_amount=D(-1))
    assert caught.value.field == "minimumAmount"
    with pytest.raises(PriceValidationError) as caught:
        Price(PercentageParams(D(1)), free_units=D(1))
    assert caught.value.field == "freeUnits"
    with pytest.raises(TypeError):
        Price(Tier(D(0), None))  # type: ignore[arg-type]


def test_every_model_is_registered() -> None:
    assert set(MODELS) == {
        "unit",
        "fixed",
        "package",
        "graduated",
        "volume",
        "tiered_package",
        "percentage",
        "basis_points",
        "matrix",
    }


# --- the same invariant for every model ------------------------------------------------------------

AMOUNTS = st.decimals(min_value=0, max_value=100000, places=4)
PRICES = [
    Price(UnitParams(D("0.0333"))),
    Price(UnitParams(D("-1.0049"))),
    Price(FixedParams(D("19.995"))),
    Price(PackageParams(D(7), D("0.333"))),
    Price(GraduatedParams(TIERS), minimum_amount=D("3.333")),
    Price(VolumeParams(TIERS), free_units=D("2.5")),
]


@PROPERTY
@given(st.sampled_from(PRICES), AMOUNTS, st.sampled_from([0, 2, 3]), st.sampled_from(list(RoundingMode)))
def test_quantity_models_sub_lines_sum_exactly(
    price: Price, quantity: Decimal, exponent: int, mode: RoundingMode
) -> None:
    assert_consistent(price_line(price, Usage(quantity=quantity), exponent, mode), exponent, mode)


@PROPERTY
@given(st.lists(AMOUNTS, max_size=30), st.sampled_from([0, 2, 3]), st.sampled_from(list(RoundingMode)))
def test_transaction_models_sub_lines_sum_exactly(
    amounts: list[Decimal], exponent: int, mode: RoundingMode
) -> None:
    usage = Usage(transactions=tuple(amounts))
    for params in (
        PercentageParams(
            D("2.9"), D("0.30"), free_amount=D(50), min_per_transaction=D("0.5"), max_per_transaction=D(9)
        ),
        BasisPointsParams(D("37.5"), D("3.333")),
    ):
        assert_consistent(price_line(Price(params), usage, exponent, mode), exponent, mode)


@PROPERTY
@given(
    st.lists(st.tuples(st.sampled_from("abcd"), AMOUNTS), max_size=10), st.sampled_from(list(RoundingMode))
)
def test_matrix_sub_lines_sum_exactly(entries: list[tuple[str, Decimal]], mode: RoundingMode) -> None:
    params = MatrixParams(
        ("x",), (MatrixCell(("a",), D("0.0101")), MatrixCell(("b",), D("3.3333"))), D("0.7777")
    )
    usage = Usage(dimensions=tuple(DimensionUsage((key,), quantity) for key, quantity in entries))
    assert_consistent(price_line(Price(params, minimum_amount=D(1)), usage, 2, mode), 2, mode)


def assert_consistent(result: LineResult, exponent: int, mode: RoundingMode) -> None:
    quantum = D(1).scaleb(-exponent)
    assert result.amount == quantize(result.exact_amount, exponent, mode)
    total = D(0)
    exact_total = D(0)
    for sub_line in result.sub_lines:
        total = CONTEXT.add(total, sub_line.amount)
        exact_total = CONTEXT.add(exact_total, sub_line.exact_amount)
        assert abs(CONTEXT.subtract(sub_line.amount, sub_line.exact_amount)) < quantum
        assert sub_line.amount.as_tuple().exponent == -exponent
    assert total == result.amount
    assert exact_total == result.exact_amount
