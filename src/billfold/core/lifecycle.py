"""The invoice lifecycle: statuses, the legal transitions between them, and the derived ``overdue``.

| status      | editable | numbered | next                                  |
|-------------|----------|----------|---------------------------------------|
| draft       | yes      | no       | in_review, issued, canceled           |
| in_review   | no       | no       | draft (reopen), issued                |
| issued      | no       | yes      | paid (by payments or credit notes), void |
| paid        | no       | yes      | corrected only by credit notes        |
| canceled    | no       | never    | -                                     |
| void        | no       | keeps it | -                                     |

``overdue`` is never stored: an issued invoice whose due date has passed reads as overdue.

Amounts owed: ``amountDue = max(0, total - creditsApplied)`` (a negative total is owed to the customer
and goes to their prepaid balance at issue, so nothing is due), and ``amountRemaining = amountDue -
amountPaid - reductions`` where ``reductions`` is what live credit notes took off the amount remaining.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

STATUSES = ("draft", "in_review", "issued", "paid", "canceled", "void")
TRANSITIONS: dict[str, frozenset[str]] = {
    "draft": frozenset({"in_review", "issued", "canceled"}),
    "in_review": frozenset({"draft", "issued"}),
    "issued": frozenset({"paid", "void"}),
    "paid": frozenset(),
    "canceled": frozenset(),
    "void": frozenset(),
}
EDITABLE = frozenset({"draft"})


def can_transition(current: str, target: str) -> bool:
    return target in TRANSITIONS.get(current, frozenset())


def effective_status(status: str, due_date: date | None, today: date) -> str:
    """The status as read: ``overdue`` for an issued invoice past its due date."""
    if status == "issued" and due_date is not None and due_date < today:
        return "overdue"
    return status


def amount_due(total: Decimal, credits_applied: Decimal) -> Decimal:
    """What the customer owes before payments: never negative (a negative total is credited to the
    customer's balance at issue)."""
    due = total - credits_applied
    return due if due > 0 else Decimal(0)


def amount_remaining(total: Decimal, credits_applied: Decimal, paid: Decimal, reduced: Decimal) -> Decimal:
    """What is left to pay: the amount due less payments and credit notes' reductions."""
    return amount_due(total, credits_applied) - paid - reduced
