"""A bounded last tier (Orb's ``maximum_units`` on the last tier of ``tiered`` and ``bulk`` prices) is
accepted; usage beyond its bound is priced at the last tier's rate."""

from __future__ import annotations

from decimal import Decimal

import pytest

from billfold.core.money import RoundingMode
from billfold.core.pricing import (
    GraduatedParams,
    LineResult,
    PackageTier,
    Price,
    PriceValidationError,
    Tier,
    TieredPackageParams,
    Usage,
    VolumeParams,
    parse_price,
    price_line,
)

D = Decimal
BOUNDED = [
    {"from": "0", "to": "100", "unitPrice": "1.00"},
    {"from": "100", "to": "1000", "unitPrice": "0.50", "flatFee": "5"},
]
OPEN = [BOUNDED[0], {**BOUNDED[1], "to": None}]


def line(price: Price, quantity: str) -> LineResult:
    return price_line(price, Usage(quantity=D(quantity)), 2, RoundingMode.HALF_UP)


def described(result: LineResult) -> list[tuple[str, Decimal | None, Decimal, object]]:
    return [(s.name, s.usage, s.amount, s.metadata["to"]) for s in result.sub_lines]


def test_graduated_worked_example() -> None:
    # 1,200 units: 100 × 1.00 + 1,100 × 0.50 (the 200 beyond the last bound at the last rate) + 5 = 655.00.
    price = parse_price("graduated", {"tiers": BOUNDED})
    result = line(price, "1200")
    assert result.amount == D("655.00")
    assert described(result) == [
        ("Tier 1 (0 – 100)", D(100), D("100.00"), D(100)),
        ("Tier 2 (above 100)", D(1100), D("550.00"), None),
        ("Tier 2 (above 100) flat fee", None, D("5.00"), None),
    ]


def test_volume_worked_example() -> None:
    # 1,200 units all at the last tier's 0.50, plus its flat fee: 605.00.
    result = line(parse_price("volume", {"tiers": BOUNDED}), "1200")
    assert result.amount == D("605.00")
    assert described(result) == [
        ("Tier 2 (above 100)", D(1200), D("600.00"), None),
        ("Tier 2 (above 100) flat fee", None, D("5.00"), None),
    ]


@pytest.mark.parametrize("model", ["graduated", "volume"])
@pytest.mark.parametrize("quantity", ["0", "50", "100", "100.5", "999", "1000", "1000.001", "5000"])
def test_priced_as_if_the_last_tier_were_open(model: str, quantity: str) -> None:
    bounded = line(parse_price(model, {"tiers": BOUNDED}), quantity)
    open_ended = line(parse_price(model, {"tiers": OPEN}), quantity)
    assert bounded == open_ended


@pytest.mark.parametrize("params_type", [GraduatedParams, VolumeParams])
def test_the_price_keeps_its_bound(params_type: type[GraduatedParams] | type[VolumeParams]) -> None:
    tiers = (Tier(D(0), D(10), D(1)), Tier(D(10), D(20), D(2)))
    assert params_type(tiers).tiers[1].to == D(20)


def test_a_single_bounded_tier() -> None:
    result = line(parse_price("graduated", {"tiers": [{"from": "0", "to": "10", "unitPrice": "2"}]}), "15")
    assert result.amount == D("30.00")
    assert [s.name for s in result.sub_lines] == ["Tier 1 (above 0)"]


@pytest.mark.parametrize("model", ["graduated", "volume"])
def test_a_bounded_last_tier_must_still_end_above_its_start(model: str) -> None:
    tiers = [{"from": "0", "to": "10"}, {"from": "10", "to": "10"}]
    with pytest.raises(PriceValidationError) as caught:
        parse_price(model, {"tiers": tiers})
    assert caught.value.field == "tiers[1].to"


def test_tiered_package_beyond_the_last_bound() -> None:
    # Tier 1: 0–100 in packages of 10 at 4; tier 2: 100–200 in packages of 50 at 10, bounded.
    # 260 units: 10 packages (40) + 160 units beyond 100 in packages of 50, rounded up: 4 packages (40).
    tiers = (
        PackageTier(D(0), D(100), D(10), D(4)),
        PackageTier(D(100), D(200), D(50), D(10), D(1)),
    )
    params = TieredPackageParams(tiers)
    result = line(Price(params), "260")
    assert result.amount == D("81.00")
    assert [(s.usage, s.amount) for s in result.sub_lines] == [
        (D(100), D("40.00")),
        (D(160), D("40.00")),
        (None, D("1.00")),
    ]
    assert result.sub_lines[1].name == "Tier 2 (above 100): 4 × package of 50"
    assert result.sub_lines[1].metadata["to"] is None
    assert params.tiers[1].to == D(200)
    open_ended = TieredPackageParams((tiers[0], PackageTier(D(100), None, D(50), D(10), D(1))))
    assert line(Price(open_ended), "260") == result
