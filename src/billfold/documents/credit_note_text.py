"""A credit note's words in the document's language: its reason (a note, BT-22) and how its total was
settled (payment terms, BT-20), each amount formatted as money of the document's locale.

They are built here, in the documents package, so that the catalogues' extraction finds them, and read
through the document's :class:`~billfold.documents.i18n.Formatter`.
"""

from __future__ import annotations

from decimal import Decimal

from billfold.documents.i18n import Formatter


def reason_note(reason: str, fmt: Formatter) -> str:
    """``Reason: product unsatisfactory`` (``Grund: Produkt nicht zufriedenstellend`` in de); an
    unknown reason is shown as stored."""
    _ = fmt.gettext
    labels = {
        "duplicate": _("duplicate"),
        "fraudulent": _("fraudulent"),
        "order_change": _("order change"),
        "product_unsatisfactory": _("product unsatisfactory"),
        "other": _("other"),
    }
    return _("Reason: {reason}").format(reason=labels.get(reason, reason))


def settlement_terms(
    fmt: Formatter,
    *,
    refund: Decimal,
    credit: Decimal,
    out_of_band: Decimal,
    reduction: Decimal,
    invoice_number: str,
) -> str | None:
    """How the total was settled, its parts that are not zero joined by ``; ``
    (``€300.00 refunded; €382.50 taken off the amount due of invoice INV-2026-000001``); ``None``
    when nothing was."""
    _ = fmt.gettext
    parts = []
    if refund:
        parts.append(_("{amount} refunded").format(amount=fmt.money(refund)))
    if credit:
        parts.append(_("{amount} credited to the customer's balance").format(amount=fmt.money(credit)))
    if out_of_band:
        parts.append(_("{amount} settled outside Billfold").format(amount=fmt.money(out_of_band)))
    if reduction:
        parts.append(
            _("{amount} taken off the amount due of invoice {number}").format(
                amount=fmt.money(reduction), number=invoice_number
            )
        )
    return "; ".join(parts) or None
