"""The registry and the parsers the API layer calls."""

from __future__ import annotations

from decimal import Decimal

import pytest

from billfold.core.pricing import (
    MODELS,
    BasisPointsParams,
    BillingInterval,
    BillingModel,
    FixedParams,
    IntervalUnit,
    MatrixCell,
    MatrixParams,
    PackageParams,
    PackageRounding,
    PercentageParams,
    Price,
    PriceValidationError,
    UnitParams,
    UsageKind,
    model_named,
    parse,
    parse_price,
)

D = Decimal


@pytest.mark.parametrize(
    ("model", "raw", "expected"),
    [
        ("unit", {"unitPrice": "0.000000000001"}, UnitParams(D("0.000000000001"))),
        ("fixed", {"amount": "-10.00"}, FixedParams(D("-10.00"))),
        (
            "package",
            {"packageSize": "100", "packagePrice": "5", "rounding": "nearest"},
            PackageParams(D(100), D(5), PackageRounding.NEAREST),
        ),
        (
            "percentage",
            {
                "rate": "2.5",
                "fixedFee": "0.30",
                "freeAmount": "500",
                "freeTransactions": "3",
                "minPerTransaction": "0.50",
                "maxPerTransaction": "10",
            },
            PercentageParams(D("2.5"), D("0.30"), D(500), 3, D("0.50"), D(10)),
        ),
        ("basis_points", {"basisPoints": "25", "maxPerTransaction": None}, BasisPointsParams(D(25))),
        (
            "matrix",
            {
                "dimensions": ["region"],
                "cells": [{"values": ["eu"], "unitPrice": "1"}],
                "defaultUnitPrice": "2",
            },
            MatrixParams(("region",), (MatrixCell(("eu",), D(1)),), D(2)),
        ),
    ],
)
def test_parse_each_model(model: str, raw: dict[str, object], expected: object) -> None:
    assert parse(model, raw) == expected
    assert model_named(model).params_type is type(expected)


def test_usage_kinds() -> None:
    assert {name for name, model in MODELS.items() if model.usage_kind is UsageKind.TRANSACTIONS} == {
        "percentage",
        "basis_points",
    }
    assert MODELS["matrix"].usage_kind is UsageKind.DIMENSIONS
    assert MODELS["fixed"].default_quantity == D(1)


def test_unknown_model() -> None:
    with pytest.raises(PriceValidationError) as caught:
        parse("stairstep", {})
    assert caught.value.field == "model"
    assert "graduated" in caught.value.message


def test_unknown_field_lists_the_expected_ones() -> None:
    with pytest.raises(PriceValidationError) as caught:
        parse("unit", {"unitPrice": "1", "unit_price": "1"})
    assert caught.value.field == "unit_price"
    assert caught.value.message == "unknown field; expected one of: unitPrice"


def test_parse_price_with_every_option() -> None:
    price = parse_price(
        "unit",
        {
            "unitPrice": "12",
            "freeUnits": "2",
            "minimumAmount": "5",
            "billingModel": "proration",
            "billingInterval": "quarter",
        },
    )
    assert price == Price(
        UnitParams(D(12)),
        free_units=D(2),
        minimum_amount=D(5),
        billing_model=BillingModel.PRORATION,
        billing_interval=BillingInterval(IntervalUnit.QUARTER),
    )
    assert price.model.name == "unit"


def test_parse_price_defaults() -> None:
    price = parse_price("fixed", {"amount": "1"})
    assert (price.free_units, price.minimum_amount, price.billing_model) == (None, None, BillingModel.IN_FULL)
    assert price.billing_interval == BillingInterval(IntervalUnit.MONTH)


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ({"unitPrice": "1", "freeUnits": "-1"}, "freeUnits"),
        ({"unitPrice": "1", "freeUnits": 1.0}, "freeUnits"),
        ({"unitPrice": "1", "minimumAmount": "1,00"}, "minimumAmount"),
        ({"unitPrice": "1", "billingModel": 3}, "billingModel"),
    ],
)
def test_parse_price_errors(raw: dict[str, object], field: str) -> None:
    with pytest.raises(PriceValidationError) as caught:
        parse_price("unit", raw)
    assert caught.value.field == field
