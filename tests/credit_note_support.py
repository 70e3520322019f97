"""What the credit note tests share: the reconciliation identity of an invoice and its credit notes."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

D = Decimal


def assert_reconciles(invoice: dict[str, Any], notes: list[dict[str, Any]]) -> None:
    """total − Σ live notes + credited to the balance + out of band
    = credits applied + (paid − refunded) + amount remaining; and each note's settlement adds up."""
    live = [note for note in notes if note["status"] == "issued"]
    for note in notes:
        settled = sum(
            D(note[f]) for f in ("refundAmount", "creditAmount", "outOfBandAmount", "reductionAmount")
        )
        assert settled == D(note["totalAmount"])
        assert D(note["netAmount"]) + D(note["taxAmount"]) == D(note["totalAmount"])
        assert sum(D(x["totalAmount"]) for x in note["lines"]) == D(note["totalAmount"])
    credited = sum((D(n["totalAmount"]) for n in live), D(0))
    assert D(invoice["creditedAmount"]) == credited
    assert D(invoice["refundedAmount"]) == sum((D(n["refundAmount"]) for n in live), D(0))
    left = (
        D(invoice["totalAmount"])
        - credited
        + sum((D(n["creditAmount"]) + D(n["outOfBandAmount"]) for n in live), D(0))
    )
    right = (
        D(invoice["creditsAppliedAmount"])
        + D(invoice["amountPaid"])
        - D(invoice["refundedAmount"])
        + D(invoice["amountRemaining"])
    )
    assert left == right
