"""Work a usage line needs nothing stored for is done before the transaction: ``prepare`` parses an
inline price and prices the usage exactly, and the line priced inside the transaction comes out the
same as priced in one go."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from billfold.core.money import RoundingMode
from billfold.core.pricing import evaluate, parse_price, price_line
from billfold.services.currencies import currency
from billfold.services.errors import ValidationFailed
from billfold.services.line_pricing import NewLine, prepare
from billfold.services.prices import UsageInput, price_usage

D = Decimal
PERCENTAGE = {"model": "percentage", "rate": "1.5", "fixedFee": "0.10", "freeTransactions": "2"}


def test_prepare_parses_the_inline_price_and_evaluates_the_usage() -> None:
    usage = UsageInput(transactions=tuple(D("12.34") for _ in range(1000)))
    new = prepare(NewLine(idempotency_key="k", price=PERCENTAGE, usage=usage))
    assert new.inline is not None
    assert new.inline.model == "percentage"
    assert new.evaluated == evaluate(new.inline.price, usage.checked)
    money = currency("USD")
    start, end = date(2026, 3, 1), date(2026, 3, 31)
    prepared = price_usage(new.inline.price, usage, money, RoundingMode.HALF_UP, start, end, new.evaluated)
    direct = price_line(
        parse_price("percentage", {k: v for k, v in PERCENTAGE.items() if k != "model"}),
        usage.checked,
        2,
        RoundingMode.HALF_UP,
    )
    assert prepared.result == direct
    assert prepared.result.amount == D("284.53")  # 998 × (12.34 × 1.5 % + 0.10) = 284.5298


def test_prepare_leaves_a_prorated_price_to_the_line_dates() -> None:
    price = {"model": "unit", "unitPrice": "31", "billingModel": "proration"}
    new = prepare(NewLine(idempotency_key="k", price=price, usage=UsageInput(quantity=D(1))))
    assert new.inline is not None
    assert new.evaluated is None


def test_prepare_refuses_a_bad_inline_price_naming_the_field() -> None:
    price = {"model": "graduated", "tiers": [{"from": "0", "to": None}] * 1001}
    with pytest.raises(ValidationFailed) as caught:
        prepare(NewLine(idempotency_key="k", price=price))
    assert caught.value.details == {"price.tiers": "at most 1000 tiers"}


def test_usage_is_validated_when_made() -> None:
    with pytest.raises(ValidationFailed) as caught:
        UsageInput(transactions=(D(1),) * 100_001)
    assert caught.value.details == {"transactions": "at most 100000 transactions"}
    with pytest.raises(ValidationFailed) as caught:
        UsageInput(by_dimension=((("eu",), D(1)),) * 10_001)
    assert caught.value.details == {"usageByDimension": "at most 10000 entries"}
