"""The figures every invoice answer shows are worked out in one place (records.figures)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from billfold.documents.records import Figures, TaxRates, figures

TODAY = date(2026, 3, 15)


def _figures(
    status: str, due: date | None, total: str, credits: str, paid: str, reduced: str = "0"
) -> Figures:
    return figures(
        status=status,
        due_date=due,
        today=TODAY,
        total=Decimal(total),
        credits_applied=Decimal(credits),
        paid=Decimal(paid),
        reduced=Decimal(reduced),
    )


def test_amount_due_is_never_negative_and_remaining_subtracts_payments_and_reductions() -> None:
    owed = _figures("issued", date(2026, 4, 1), "100.00", "30.00", "20.00", "5.00")
    assert (owed.amount_due, owed.amount_remaining) == (Decimal("70.00"), Decimal("45.00"))
    assert owed.effective_status == "issued"
    assert not owed.overdue
    credit = _figures("issued", None, "-10.00", "0.00", "0.00")
    assert (credit.amount_due, credit.amount_remaining) == (Decimal(0), Decimal(0))


def test_overdue_is_past_the_due_date_and_unpaid_overdue_needs_something_to_pay() -> None:
    late = _figures("issued", date(2026, 3, 14), "10.00", "0", "4.00")
    assert (late.effective_status, late.overdue, late.overdue_unpaid) == ("overdue", True, True)
    settled = _figures("issued", date(2026, 3, 14), "10.00", "0", "0", "10.00")
    assert (settled.effective_status, settled.overdue_unpaid) == ("overdue", False)
    due_today = _figures("issued", TODAY, "10.00", "0", "0")
    assert due_today.effective_status == "issued"
    draft = _figures("draft", date(2020, 1, 1), "10.00", "0", "0")
    assert (draft.effective_status, draft.overdue) == ("draft", False)


def test_one_tax_rate_object_per_rate() -> None:
    rates = TaxRates()
    first = rates("c1", Decimal("20"), False)
    assert first is rates("c1", Decimal("20"), None)
    assert first is not None
    assert (first.category_id, first.rate_text, first.inclusive) == ("c1", "20", False)
    assert rates("c1", Decimal("20.0"), False) is not first  # written as stored: "20.0"
    assert rates("c1", Decimal("20"), True) is not first
    assert rates(None, None, None) is None
