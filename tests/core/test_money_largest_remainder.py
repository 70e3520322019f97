"""The one largest-remainder implementation (money.largest_remainder: which parts get the units left
over), under every split that uses it: money.allocate, money.allocate_units (the invoice calculation)
and pricing.allocation.shares (a line's sub lines)."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from billfold.core.money import allocate, allocate_units, largest_remainder
from billfold.core.pricing.allocation import shares

D = Decimal
PROPERTY = settings(max_examples=200, deadline=None, database=None)


def _split(total: int, quotas: list[int], denominator: int) -> list[int]:
    """Largest remainder on exact shares ``quota / denominator``, the way every caller does it."""
    floors = [quota // denominator for quota in quotas]
    remainders = [quota % denominator for quota in quotas]
    for index in largest_remainder(total - sum(floors), remainders):
        floors[index] += 1
    return floors


@PROPERTY
@given(
    st.lists(st.integers(min_value=-(10**12), max_value=10**12), min_size=1, max_size=30),
    st.integers(min_value=1, max_value=10**6),
    st.data(),
)
def test_parts_sum_exactly_to_the_whole(quotas: list[int], denominator: int, data: st.DataObject) -> None:
    floors = sum(quota // denominator for quota in quotas)
    with_remainder = sum(1 for quota in quotas if quota % denominator)
    total = floors + data.draw(st.integers(min_value=0, max_value=with_remainder))
    parts = _split(total, quotas, denominator)
    assert sum(parts) == total
    for part, quota in zip(parts, quotas, strict=True):
        exact = Fraction(quota, denominator)
        assert abs(part - exact) < 1
        if exact.denominator == 1:
            assert part == exact  # a whole share is kept as it is


@PROPERTY
@given(st.lists(st.integers(min_value=0, max_value=20), min_size=1, max_size=60), st.data())
def test_units_go_to_the_largest_remainders_ties_to_the_earliest(
    remainders: list[int], data: st.DataObject
) -> None:
    missing = data.draw(st.integers(min_value=0, max_value=sum(1 for r in remainders if r)))
    chosen = largest_remainder(missing, remainders)
    expected = sorted(range(len(remainders)), key=lambda i: (-remainders[i], i))[:missing]
    assert sorted(chosen) == sorted(expected)


def test_ties_go_to_the_earliest_part() -> None:
    assert largest_remainder(2, [1, 1, 1]) == [0, 1]
    assert largest_remainder(1, [D("0.5"), D("0.5")]) == [0]
    assert allocate_units(1, [1, 1, 1]) == [1, 0, 0]
    assert allocate_units(-1, [1, 1, 1]) == [-1, 0, 0]
    assert allocate(D("0.02"), [D(1)] * 3, 2) == [D("0.01"), D("0.01"), D("0.00")]
    assert shares(D("0.01"), [D("0.005"), D("0.005")], 2) == [D("0.01"), D("0.00")]


def test_a_large_remainder_beats_an_earlier_small_one() -> None:
    assert largest_remainder(1, [1, 2]) == [1]
    # few units missing among many parts (the heap) and many missing (the sort) choose alike
    remainders = [1] * 100 + [2] + [1] * 100
    assert largest_remainder(1, remainders) == [100]
    assert sorted(largest_remainder(100, remainders)) == [*range(99), 100]


@pytest.mark.parametrize(
    ("missing", "remainders"),
    [(-1, [1, 1]), (3, [1, 1]), (2, [1, 0]), (1, [0, 0])],
)
def test_units_the_shares_cannot_take_are_refused(missing: int, remainders: list[int]) -> None:
    with pytest.raises(ValueError, match="cannot go to"):
        largest_remainder(missing, remainders)


def test_every_split_sums_to_its_whole() -> None:
    weights = [D("0.0025")] * 10_000
    assert sum(allocate(D("25.00"), weights, 2), D(0)) == D("25.00")
    assert sum(allocate_units(-2501, [3] * 10_000)) == -2501
    assert sum(shares(D("25.00"), weights, 2), D(0)) == D("25.00")
    assert sum(shares(D("-25.00"), [-w for w in weights], 2), D(0)) == D("-25.00")
