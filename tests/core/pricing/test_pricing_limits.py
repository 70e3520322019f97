"""Large prices: validated and priced in time linear in their size, and refused beyond the limits
before their items are parsed."""

from __future__ import annotations

import time
from collections.abc import Callable
from decimal import Decimal

import pytest

from billfold.core.money import RoundingMode
from billfold.core.pricing import (
    DimensionUsage,
    GraduatedParams,
    MatrixCell,
    MatrixParams,
    PriceValidationError,
    Tier,
    Usage,
    UsageError,
    parse_price,
    price_line,
)
from billfold.core.pricing.limits import MAX_TIERS

D = Decimal


def tiers(count: int, **extra: str) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = [
        {"from": str(10 * i), "to": str(10 * (i + 1)), **extra} for i in range(count)
    ]
    rows[-1]["to"] = None
    return rows


PRICED_TIERS = {"unitPrice": "0.015", "flatFee": "1"}
MODELS = {
    "graduated": PRICED_TIERS,
    "volume": PRICED_TIERS,
    "tiered_package": {"packageSize": "3", "packagePrice": "0.25", "flatFee": "1"},
}


def fastest(work: Callable[[], object], runs: int = 3) -> float:
    """The CPU time of the best of a few runs: a guard against a quadratic blow-up (1,000 tiers took
    seconds), not a benchmark. CPU time rather than wall time, so other processes on a busy machine
    do not count."""
    best = float("inf")
    for _ in range(runs):
        start = time.process_time()
        work()
        best = min(best, time.process_time() - start)
    return best


@pytest.mark.parametrize("model", sorted(MODELS))
def test_a_1000_tier_price_validates_and_prices_in_well_under_100_ms(model: str) -> None:
    raw = {"tiers": tiers(MAX_TIERS, **MODELS[model])}

    def validate_and_price() -> None:
        price = parse_price(model, raw)
        for quantity in ("0", "5", "4999.5", "9990", "20000"):
            price_line(price, Usage(quantity=D(quantity)), 2, RoundingMode.HALF_UP)

    assert fastest(validate_and_price) < 0.1


def test_1000_tiers_price_the_same_as_summing_tier_by_tier() -> None:
    price = parse_price("graduated", {"tiers": tiers(MAX_TIERS, **PRICED_TIERS)})
    for quantity in (D(0), D(5), D(10), D("4999.5"), D(9990), D(20000)):
        result = price_line(price, Usage(quantity=quantity), 2, RoundingMode.HALF_UP)
        reached = min(int(quantity // 10) + (quantity % 10 != 0), MAX_TIERS) or 1
        expected = quantity * D("0.015") + reached
        assert result.exact_amount == expected
        assert sum(s.amount for s in result.sub_lines) == result.amount
        assert len(result.sub_lines) == 2 * reached


@pytest.mark.parametrize("model", sorted(MODELS))
def test_more_than_1000_tiers_are_refused_before_parsing(model: str) -> None:
    raw = {"tiers": tiers(5000, **MODELS[model])}
    raw["tiers"][-2] = "not even an object"  # type: ignore[index]
    start = time.process_time()
    with pytest.raises(PriceValidationError) as caught:
        parse_price(model, raw)
    assert time.process_time() - start < 0.01
    assert (caught.value.field, caught.value.message) == ("tiers", "at most 1000 tiers")


def test_exactly_1000_tiers_are_accepted_and_1001_refused_when_built_directly() -> None:
    rows = [Tier(D(i), D(i + 1), D(1)) for i in range(MAX_TIERS)]
    assert len(GraduatedParams(tuple(rows)).tiers) == MAX_TIERS
    with pytest.raises(PriceValidationError) as caught:
        GraduatedParams((*rows, Tier(D(MAX_TIERS), None, D(1))))
    assert caught.value.field == "tiers"


def test_matrix_cells_and_dimensions_are_limited() -> None:
    cells = [{"values": [str(i)], "unitPrice": "1"} for i in range(10_001)]
    with pytest.raises(PriceValidationError) as caught:
        parse_price("matrix", {"dimensions": ["region"], "cells": cells})
    assert (caught.value.field, caught.value.message) == ("cells", "at most 10000 cells")
    price = parse_price("matrix", {"dimensions": ["region"], "cells": cells[:10_000]})
    usage = Usage(dimensions=(DimensionUsage(("9999",), D(2)),))
    assert price_line(price, usage, 2, RoundingMode.HALF_UP).amount == D("2.00")
    with pytest.raises(PriceValidationError) as caught:
        parse_price("matrix", {"dimensions": [f"d{i}" for i in range(21)], "cells": []})
    assert caught.value.field == "dimensions"
    with pytest.raises(PriceValidationError) as caught:
        MatrixParams(("region",), tuple(MatrixCell((str(i),), D(1)) for i in range(10_001)))
    assert caught.value.field == "cells"


@pytest.mark.parametrize(
    ("usage", "field"),
    [
        (lambda: Usage(transactions=(D(1),) * 100_001), "transactions"),
        (lambda: Usage(dimensions=(DimensionUsage(("a",), D(1)),) * 10_001), "usage"),
    ],
)
def test_usage_lists_are_limited(usage: Callable[[], Usage], field: str) -> None:
    with pytest.raises(UsageError) as caught:
        usage()
    assert caught.value.field == field
    assert caught.value.message.startswith("at most ")


def test_a_line_of_100000_transactions_is_accepted_and_priced() -> None:
    price = parse_price("percentage", {"rate": "1.5", "fixedFee": "0.10"})
    usage = Usage(transactions=(D("12.34"),) * 100_000)
    result = price_line(price, usage, 2, RoundingMode.HALF_UP)
    assert result.amount == D("28510.00")


def test_an_overlong_decimal_is_refused_without_parsing_it() -> None:
    with pytest.raises(PriceValidationError) as caught:
        parse_price("unit", {"unitPrice": "1" * 100_000})
    assert caught.value.field == "unitPrice"
    assert "at most 64 characters" in caught.value.message
    assert len(str(caught.value)) < 200
