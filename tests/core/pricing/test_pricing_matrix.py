"""Matrix pricing: unit prices by dimension values, one sub line per combination."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from billfold.core.money import RoundingMode
from billfold.core.pricing import (
    DimensionUsage,
    LineResult,
    MatrixCell,
    MatrixParams,
    OrbType,
    Price,
    PriceValidationError,
    SubLineType,
    Usage,
    UsageError,
    parse,
    parse_price,
    price_line,
)

D = Decimal
PROPERTY = settings(max_examples=200, deadline=None, database=None)

# The shape of Orb's matrix price (https://docs.withorb.com/product-catalog/price-configuration):
# dimensions, matrix_values of dimension_values and unit_amount, and a default_unit_amount.
PRICE = parse_price(
    "matrix",
    {
        "dimensions": ["cloud", "region"],
        "cells": [
            {"values": ["aws", "us-east-1"], "unitPrice": "0.10"},
            {"values": ["aws", "eu-west-1"], "unitPrice": "0.12"},
            {"values": ["gcp", "us-east1"], "unitPrice": "0.0975"},
        ],
        "defaultUnitPrice": "0.20",
    },
)


def line(price: Price, *usage: tuple[tuple[str, ...], str]) -> LineResult:
    entries = tuple(DimensionUsage(values, D(quantity)) for values, quantity in usage)
    return price_line(price, Usage(dimensions=entries), 2, RoundingMode.HALF_UP)


def test_one_sub_line_per_combination() -> None:
    result = line(
        PRICE, (("aws", "us-east-1"), "100"), (("gcp", "us-east1"), "10"), (("azure", "westus"), "5")
    )
    assert result.amount == D("11.98")  # 10.00 + 0.975 + 1.00
    assert [(s.type, s.orb_type, s.usage, s.amount) for s in result.sub_lines] == [
        (SubLineType.UNIT_PRICE, OrbType.MATRIX, D(100), D("10.00")),
        (SubLineType.UNIT_PRICE, OrbType.MATRIX, D(10), D("0.98")),
        (SubLineType.UNIT_PRICE, OrbType.MATRIX, D(5), D("1.00")),
    ]
    assert result.sub_lines[0].name == "cloud: aws, region: us-east-1 (0.1 per unit)"
    assert result.sub_lines[2].metadata == {
        "dimensions": ("cloud", "region"),
        "values": ("azure", "westus"),
        "unitPrice": D("0.20"),
    }
    assert result.usage == D(115)


def test_entries_for_the_same_combination_are_added() -> None:
    result = line(
        PRICE, (("aws", "eu-west-1"), "1"), (("aws", "us-east-1"), "2"), (("aws", "eu-west-1"), "3")
    )
    assert [(s.metadata["values"], s.usage) for s in result.sub_lines] == [
        (("aws", "eu-west-1"), D(4)),
        (("aws", "us-east-1"), D(2)),
    ]
    assert result.amount == D("0.68")


def test_no_usage_is_zero_with_no_sub_lines() -> None:
    result = line(PRICE)
    assert result.amount == D("0.00")
    assert result.sub_lines == ()


def test_free_units_come_off_the_combinations_in_order() -> None:
    price = Price(PRICE.params, free_units=D(150))
    result = line(price, (("aws", "us-east-1"), "100"), (("aws", "eu-west-1"), "100"))
    assert result.free_units == D(150)
    assert [s.usage for s in result.sub_lines] == [D(0), D(50)]
    assert result.amount == D("6.00")
    assert result.usage == D(200)


def test_unknown_combination_without_default_is_a_usage_error() -> None:
    price = Price(MatrixParams(("cloud",), (MatrixCell(("aws",), D(1)),)))
    with pytest.raises(UsageError) as caught:
        line(price, (("aws",), "1"), (("gcp",), "1"))
    assert caught.value.field == "usage[1].values"
    with pytest.raises(UsageError) as caught:
        line(price, (("aws", "extra"), "1"))
    assert caught.value.field == "usage[0].values"


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ({"dimensions": [], "cells": []}, "dimensions"),
        ({"dimensions": ["a", "a"], "cells": []}, "dimensions[1]"),
        ({"dimensions": ["a", 3], "cells": []}, "dimensions[1]"),
        ({"dimensions": ["a", "b"], "cells": [{"values": ["x"], "unitPrice": "1"}]}, "cells[0].values"),
        (
            {
                "dimensions": ["a"],
                "cells": [
                    {"values": ["x"], "unitPrice": "1"},
                    {"values": ["y"], "unitPrice": "1"},
                    {"values": ["x"], "unitPrice": "2"},
                ],
            },
            "cells[2].values",
        ),
        ({"dimensions": ["a"], "cells": [{"values": ["x"], "unitPrice": "-1"}]}, "cells[0].unitPrice"),
        ({"dimensions": ["a"], "cells": [{"values": ["x"]}]}, "cells[0].unitPrice"),
        ({"dimensions": ["a"], "cells": [], "defaultUnitPrice": "-1"}, "defaultUnitPrice"),
    ],
)
def test_matrix_validation(raw: dict[str, object], field: str) -> None:
    with pytest.raises(PriceValidationError) as caught:
        parse("matrix", raw)
    assert caught.value.field == field


def test_duplicate_cell_message_names_the_first() -> None:
    with pytest.raises(PriceValidationError) as caught:
        MatrixParams(("a",), (MatrixCell(("x",), D(1)), MatrixCell(("x",), D(2))))
    assert caught.value.message == "duplicates cells[0] ['x']"


@PROPERTY
@given(
    st.lists(st.tuples(st.sampled_from(["aws", "gcp", "azure"]), st.decimals(0, 1000, places=3)), max_size=12)
)
def test_sub_lines_sum_to_the_line_amount(entries: list[tuple[str, Decimal]]) -> None:
    regions = {"aws": "us-east-1", "gcp": "us-east1", "azure": "westus"}
    result = line(PRICE, *(((cloud, regions[cloud]), str(quantity)) for cloud, quantity in entries))
    assert sum(s.amount for s in result.sub_lines) == result.amount
    assert len(result.sub_lines) == len({cloud for cloud, _ in entries})
