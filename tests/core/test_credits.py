"""Prepaid credit: the order grants are spent in, expiry, the ledger, and the split over lines."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from billfold.core.adjustments import AdjustmentKind
from billfold.core.credits import (
    CreditGrant,
    CreditUse,
    apply_credits,
    available_credit,
    credits_to_apply,
    promotional_credit,
    remaining_units,
    split_credits,
    usable_grants,
)
from billfold.core.money import add as money_add
from billfold.core.split import CalculationError, from_units

D = Decimal
TODAY = date(2024, 6, 15)
PROPERTY = settings(max_examples=100, deadline=None, database=None)


def grant(grant_id: str, amount: str, granted: date, expires: date | None = None) -> CreditGrant:
    return CreditGrant(grant_id, D(amount), granted, expires)


GRANTS = (
    grant("forever", "50.00", date(2023, 1, 1)),
    grant("late-expiry", "30.00", date(2024, 1, 1), date(2024, 12, 31)),
    grant("soon-old", "10.00", date(2023, 6, 1), date(2024, 7, 1)),
    grant("soon-new", "10.00", date(2024, 2, 1), date(2024, 7, 1)),
    grant("expired", "99.00", date(2023, 1, 1), date(2024, 6, 15)),
    grant("future", "99.00", date(2024, 6, 16)),
)


def test_oldest_expiring_first_then_oldest_granted_then_no_expiry() -> None:
    assert [g.id for g in usable_grants(GRANTS, TODAY)] == ["soon-old", "soon-new", "late-expiry", "forever"]


def test_credit_is_applied_up_to_the_amount_due() -> None:
    application = apply_credits(D("45.00"), GRANTS, as_of=TODAY, exponent=2, invoice_id="inv-1")
    assert application.applied == D("45.00")
    assert application.uses == (
        CreditUse("soon-old", D("10.00"), "inv-1"),
        CreditUse("soon-new", D("10.00"), "inv-1"),
        CreditUse("late-expiry", D("25.00"), "inv-1"),
    )


def test_credit_short_of_the_amount_due_is_all_used() -> None:
    application = apply_credits(D("500.00"), GRANTS, as_of=TODAY, exponent=2)
    assert application.applied == D("100.00")
    assert available_credit(GRANTS, application.uses, as_of=TODAY, exponent=2) == D("0.00")


def test_nothing_is_applied_to_a_zero_or_negative_amount_due() -> None:
    assert apply_credits(D("0.00"), GRANTS, as_of=TODAY, exponent=2).uses == ()
    assert apply_credits(D("-5.00"), GRANTS, as_of=TODAY, exponent=2).applied == D("0.00")


def test_expiry_is_the_first_day_a_grant_cannot_be_used() -> None:
    expiring = (grant("g", "5.00", date(2024, 1, 1), date(2024, 6, 15)),)
    assert apply_credits(D("5.00"), expiring, as_of=date(2024, 6, 14), exponent=2).applied == D("5.00")
    assert apply_credits(D("5.00"), expiring, as_of=date(2024, 6, 15), exponent=2).applied == D("0.00")


def test_the_ledger_never_spends_credit_twice() -> None:
    first = apply_credits(D("15.00"), GRANTS, as_of=TODAY, exponent=2, invoice_id="inv-1")
    second = apply_credits(D("15.00"), GRANTS, first.uses, as_of=TODAY, exponent=2, invoice_id="inv-2")
    assert second.uses == (
        CreditUse("soon-new", D("5.00"), "inv-2"),
        CreditUse("late-expiry", D("10.00"), "inv-2"),
    )
    # Issuing inv-1 again returns what the ledger already holds for it, and spends nothing more.
    again = apply_credits(
        D("15.00"), GRANTS, first.uses + second.uses, as_of=TODAY, exponent=2, invoice_id="inv-1"
    )
    assert again == first
    assert available_credit(GRANTS, first.uses + second.uses, as_of=TODAY, exponent=2) == D("70.00")


@pytest.mark.parametrize(
    ("uses", "field"),
    [
        ((CreditUse("soon-old", D("10.01")),), "creditUses[0].amount"),
        ((CreditUse("unknown", D("1.00")),), "creditUses[0].grantId"),
        ((CreditUse("forever", D("-1.00")),), "creditUses[0].amount"),
        ((CreditUse("forever", D("0.001")),), "creditUses[0].amount"),
    ],
)
def test_an_inconsistent_ledger_is_an_error(uses: tuple[CreditUse, ...], field: str) -> None:
    with pytest.raises(CalculationError) as error:
        remaining_units(GRANTS, uses, 2)
    assert error.value.field == field


def test_invalid_grants_are_errors() -> None:
    with pytest.raises(CalculationError) as error:
        remaining_units([grant("a", "1.00", TODAY), grant("a", "2.00", TODAY)], [], 2)
    assert error.value.field == "creditGrants[1].id"
    with pytest.raises(CalculationError) as error:
        remaining_units([grant("a", "-1.00", TODAY)], [], 2)
    assert error.value.field == "creditGrants[0].amount"


def test_more_credit_recorded_for_an_invoice_than_it_owes_is_an_error() -> None:
    uses = (CreditUse("forever", D("20.00"), "inv-1"),)
    with pytest.raises(CalculationError, match="more credit recorded"):
        apply_credits(D("10.00"), GRANTS, uses, as_of=TODAY, exponent=2, invoice_id="inv-1")


def test_credits_to_apply_takes_a_frozen_amount_or_spends_grants() -> None:
    options = {"grants": GRANTS, "uses": (), "as_of": TODAY, "invoice_id": None, "exponent": 2}
    assert credits_to_apply(1000, applied=D("4.00"), **options) == (400, ())  # type: ignore[arg-type]
    assert credits_to_apply(1000, applied=None, **options)[0] == 1000  # type: ignore[arg-type]
    assert credits_to_apply(
        1000, applied=None, grants=(), uses=(), as_of=None, invoice_id=None, exponent=2
    ) == (0, ())
    with pytest.raises(CalculationError) as error:
        credits_to_apply(1000, applied=D("10.01"), **options)  # type: ignore[arg-type]
    assert error.value.field == "creditsAppliedAmount"
    with pytest.raises(CalculationError) as error:
        credits_to_apply(1000, applied=None, grants=GRANTS, uses=(), as_of=None, invoice_id=None, exponent=2)
    assert error.value.field == "creditsAsOf"


def test_split_over_lines_by_largest_remainder_on_positive_totals() -> None:
    shares = split_credits(D("10.00"), [D("12.00"), D("-3.00"), D("6.00"), D("12.00")], exponent=2)
    assert shares == (D("4.00"), D("0.00"), D("2.00"), D("4.00"))
    shares = split_credits(D("0.02"), [D("0.01"), D("0.01"), D("0.01")], exponent=2)
    assert shares == (D("0.01"), D("0.01"), D("0.00"))
    with pytest.raises(CalculationError):
        split_credits(D("0.04"), [D("0.01"), D("0.01"), D("0.01")], exponent=2)


def test_promotional_credit_is_an_amount_discount() -> None:
    adjustment = promotional_credit("promo", D("25.00"))
    assert adjustment.kind is AdjustmentKind.AMOUNT_DISCOUNT
    assert adjustment.amount == D("25.00")
    with pytest.raises(CalculationError):
        promotional_credit("promo", D("-1"))


@st.composite
def ledgers(draw: st.DrawFn) -> tuple[list[CreditGrant], list[int]]:
    count = draw(st.integers(min_value=1, max_value=6))
    grants = [
        CreditGrant(
            f"g{i}",
            from_units(draw(st.integers(min_value=0, max_value=10_000)), 2),
            date(2024, 1, draw(st.integers(min_value=1, max_value=28))),
            draw(st.none() | st.dates(min_value=date(2024, 1, 1), max_value=date(2024, 12, 31))),
        )
        for i in range(count)
    ]
    invoices = draw(st.lists(st.integers(min_value=-1_000, max_value=10_000), max_size=6))
    return grants, invoices


@PROPERTY
@given(ledger=ledgers(), day=st.dates(min_value=date(2024, 1, 1), max_value=date(2024, 12, 31)))
def test_successive_invoices_never_spend_more_than_was_granted(
    ledger: tuple[list[CreditGrant], list[int]], day: date
) -> None:
    grants, invoices = ledger
    uses: list[CreditUse] = []
    before = available_credit(grants, uses, as_of=day, exponent=2)
    spent = D("0.00")
    for number, due in enumerate(invoices):
        application = apply_credits(
            from_units(due, 2), grants, uses, as_of=day, exponent=2, invoice_id=f"i{number}"
        )
        assert D("0.00") <= application.applied <= max(from_units(due, 2), D("0.00"))
        assert money_add(*(use.amount for use in application.uses)) == application.applied
        usable = {g.id for g in usable_grants(grants, day)}
        assert all(use.grant_id in usable for use in application.uses)
        uses.extend(application.uses)
        spent = money_add(spent, application.applied)
    assert all(amount >= 0 for amount in remaining_units(grants, uses, 2).values())
    assert money_add(available_credit(grants, uses, as_of=day, exponent=2), spent) == before


@PROPERTY
@given(
    totals=st.lists(st.integers(min_value=-10_000, max_value=100_000), min_size=1, max_size=50),
    share=st.fractions(min_value=0, max_value=1),
)
def test_credit_shares_sum_to_the_credit_and_stay_within_a_unit_of_exact(
    totals: list[int], share: Fraction
) -> None:
    positives = [max(total, 0) for total in totals]
    applied = int(sum(positives) * share)
    shares = split_credits(from_units(applied, 2), [from_units(t, 2) for t in totals], exponent=2)
    assert money_add(*shares) == from_units(applied, 2)
    for part, positive in zip(shares, positives, strict=True):
        assert 0 <= part <= from_units(positive, 2)
        if sum(positives):
            exact = Fraction(applied * positive, sum(positives) * 100)
            assert abs(Fraction(part) - exact) < Fraction(1, 100)
