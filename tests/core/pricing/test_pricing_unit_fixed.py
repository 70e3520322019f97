"""Unit and fixed prices: tiny unit prices, credit lines, fixed-point output."""

from __future__ import annotations

from decimal import Decimal

import pytest

from billfold.core.money import RoundingMode, to_plain
from billfold.core.pricing import (
    FixedParams,
    Price,
    PriceValidationError,
    SubLineType,
    UnitParams,
    Usage,
    parse,
    parse_price,
    price_line,
)

D = Decimal
HALF_UP = RoundingMode.HALF_UP


def test_sequence_docs_linear() -> None:
    # Sequence docs, "Usage-based pricing" (https://docs.sequencehq.com/plans-products/usage-based-pricing):
    # 0.1 per unit, 550 units = 55.00.
    result = price_line(parse_price("unit", {"unitPrice": "0.1"}), Usage(quantity=D(550)), 2, HALF_UP)
    assert result.amount == D("55.00")
    (sub_line,) = result.sub_lines
    assert (sub_line.type, sub_line.usage, sub_line.amount) == (SubLineType.UNIT_PRICE, D(550), D("55.00"))
    assert sub_line.metadata == {"unitPrice": D("0.1")}


def test_lago_docs_standard() -> None:
    # Lago docs, "Charges" (https://doc.getlago.com/docs/guide/plans/charges): 0.05 per API call,
    # 1,000 calls = 50.
    result = price_line(parse_price("unit", {"unitPrice": "0.05"}), Usage(quantity=D(1000)), 2, HALF_UP)
    assert result.amount == D("50.00")


def test_tiny_unit_price_is_exact_and_fixed_point() -> None:
    price = parse_price("unit", {"unitPrice": "0.000000000001"})
    small = price_line(price, Usage(quantity=D(3)), 2, HALF_UP)
    assert small.exact_amount == D("3E-12")
    assert to_plain(small.exact_amount) == "0.000000000003"
    assert to_plain(small.amount) == "0.00"
    assert small.sub_lines[0].name == "0.000000000001 per unit"
    unit_price = small.sub_lines[0].metadata["unitPrice"]
    assert isinstance(unit_price, Decimal)
    assert to_plain(unit_price) == "0.000000000001"
    large = price_line(price, Usage(quantity=D("12345678901234.5")), 2, HALF_UP)
    assert large.exact_amount == D("12.3456789012345")
    assert to_plain(large.amount) == "12.35"


def test_negative_unit_price_makes_a_credit_line() -> None:
    result = price_line(Price(UnitParams(D("-2.505"))), Usage(quantity=D(3)), 2, HALF_UP)
    assert result.amount == D("-7.52")  # -7.515 rounded half away from zero
    assert result.sub_lines[0].amount == D("-7.52")


def test_fixed_fee_once_or_per_quantity() -> None:
    price = parse_price("fixed", {"amount": "49.99"})
    once = price_line(price, Usage(), 2, HALF_UP)
    assert once.amount == D("49.99")
    assert once.sub_lines[0].type is SubLineType.FIXED_PRICE
    assert once.sub_lines[0].usage == D(1)
    assert once.sub_lines[0].metadata == {"fixedPrice": D("49.99")}
    assert price_line(price, Usage(quantity=D(3)), 2, HALF_UP).amount == D("149.97")


def test_fixed_credit_and_free_units() -> None:
    assert price_line(Price(FixedParams(D(-10))), Usage(), 2, HALF_UP).amount == D("-10.00")
    with_free = Price(FixedParams(D(10)), free_units=D(1))
    assert price_line(with_free, Usage(quantity=D(3)), 2, HALF_UP).amount == D("20.00")
    assert price_line(with_free, Usage(), 2, HALF_UP).amount == D("0.00")


def test_jpy_and_bhd_exponents() -> None:
    price = Price(UnitParams(D("0.3333")))
    assert price_line(price, Usage(quantity=D(10)), 0, HALF_UP).amount == D("3")
    assert to_plain(price_line(price, Usage(quantity=D(10)), 3, HALF_UP).amount) == "3.333"


@pytest.mark.parametrize(
    ("model", "raw", "field"),
    [
        ("unit", {}, "unitPrice"),
        ("unit", {"unitPrice": 1.5}, "unitPrice"),
        ("unit", {"unitPrice": True}, "unitPrice"),
        ("unit", {"unitPrice": "1e-12"}, "unitPrice"),
        ("unit", {"unitPrice": "NaN"}, "unitPrice"),
        ("unit", {"unitPrice": "0.0000000000001"}, "unitPrice"),
        ("unit", {"unitPrice": "1234567890123456789"}, "unitPrice"),
        ("unit", {"unitPrice": " 1"}, "unitPrice"),
        ("fixed", {"amount": "ten"}, "amount"),
        ("fixed", {"amount": "1", "unitPrice": "1"}, "unitPrice"),
    ],
)
def test_parse_refuses_bad_values(model: str, raw: dict[str, object], field: str) -> None:
    with pytest.raises(PriceValidationError) as caught:
        parse(model, raw)
    assert caught.value.field == field


def test_parse_accepts_exact_inputs() -> None:
    assert parse("unit", {"unitPrice": D("0.5")}) == UnitParams(D("0.5"))
    assert parse("unit", {"unitPrice": 2}) == UnitParams(D(2))
    assert parse("unit", {"unitPrice": "1.500000000000000"}) == UnitParams(D("1.500000000000000"))
    assert parse("unit", {"unitPrice": "12345678901234567.891234567891"}).unit_price == D(
        "12345678901234567.891234567891"
    )
