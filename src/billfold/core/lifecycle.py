"""The invoice lifecycle: statuses, the legal transitions between them, and the derived ``overdue``.

| status      | editable | numbered | next                                  |
|-------------|----------|----------|---------------------------------------|
| draft       | yes      | no       | in_review, issued, canceled           |
| in_review   | no       | no       | draft (reopen), issued                |
| issued      | no       | yes      | paid (by payments), void              |
| paid        | no       | yes      | void only after refunds (not offered) |
| canceled    | no       | never    | -                                     |
| void        | no       | keeps it | -                                     |

``overdue`` is never stored: an issued invoice whose due date has passed reads as overdue.
"""

from __future__ import annotations

from datetime import date

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
