"""The lifecycle table and the derived overdue status."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from billfold.core.lifecycle import (
    STATUSES,
    TRANSITIONS,
    amount_due,
    amount_remaining,
    can_transition,
    effective_status,
)


def test_table_matches_the_design() -> None:
    assert can_transition("draft", "in_review")
    assert can_transition("draft", "issued")
    assert can_transition("draft", "canceled")
    assert can_transition("in_review", "draft")
    assert can_transition("in_review", "issued")
    assert can_transition("issued", "paid")
    assert can_transition("issued", "void")
    assert not can_transition("in_review", "canceled")
    assert not can_transition("paid", "void")
    assert not any(can_transition(final, target) for final in ("canceled", "void") for target in STATUSES)
    assert set(TRANSITIONS) == set(STATUSES)


def test_overdue_is_derived_from_the_due_date() -> None:
    today = date(2026, 5, 10)
    assert effective_status("issued", date(2026, 5, 9), today) == "overdue"
    assert effective_status("issued", date(2026, 5, 10), today) == "issued"
    assert effective_status("paid", date(2026, 1, 1), today) == "paid"
    assert effective_status("draft", None, today) == "draft"


def test_amount_due_is_never_negative_and_remaining_takes_off_reductions() -> None:
    d = Decimal
    assert amount_due(d("100.00"), d("30.00")) == d("70.00")
    assert amount_due(d("-50.00"), d("0")) == 0  # owed to the customer: on their balance, not due
    assert amount_remaining(d("100.00"), d("30.00"), d("40.00"), d("25.00")) == d("5.00")
    assert amount_remaining(d("-50.00"), d("0"), d("0"), d("0")) == 0
