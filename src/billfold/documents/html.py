"""The hosted invoice page: one server-rendered HTML page a customer opens from a link, without an API key.

It shows the document as it stands now: number, status (``overdue`` when the loader derived it), the
amounts as issued, the payments recorded since and what remains to pay, and links to the PDF and the
e-invoices (their URLs are passed in; an e-invoice link is ``None`` when EN 16931 cannot express the
document). Everything is inline (CSS included): the page loads nothing from anywhere else. The language is
the document's locale unless ``locale`` says otherwise. Pure: no session, no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from markupsafe import Markup

from billfold.documents.i18n import Formatter
from billfold.documents.model import Document
from billfold.documents.view import common_context, formatter, render_template, stylesheet


@dataclass(frozen=True, slots=True, kw_only=True)
class HostedLinks:
    """Where the page's downloads live (absolute or relative URLs)."""

    pdf: str
    ubl: str | None = None
    cii: str | None = None


def render_hosted_page(doc: Document, locale: str | None, links: HostedLinks) -> str:
    """The page's HTML."""
    fmt = formatter(doc, locale)
    return render_template("hosted.html", **hosted_context(doc, fmt, links))


def status_label(status: str, fmt: Formatter) -> str:
    """The status in words (each a literal message, so the catalogues carry them)."""
    _ = fmt.gettext
    labels = {
        "draft": _("Draft"),
        "in_review": _("In review"),
        "issued": _("Open"),
        "overdue": _("Overdue"),
        "paid": _("Paid"),
        "void": _("Void"),
        "canceled": _("Canceled"),
    }
    return labels.get(status, status)


def hosted_context(doc: Document, fmt: Formatter, links: HostedLinks) -> dict[str, Any]:
    t = doc.totals
    return {
        **common_context(doc, fmt),
        "css": Markup(stylesheet("hosted.css")),
        "links": links,
        "status": doc.status,
        "status_label": status_label(doc.status, fmt),
        "payments": [
            {
                "date": fmt.date(p.date),
                "amount": fmt.money(p.amount),
                "reference": " · ".join(
                    part for part in (fmt.gettext("Refund") if p.refund else "", p.reference or "") if part
                ),
            }
            for p in doc.payments
        ],
        "amount_paid": fmt.money(t.paid),
        "credited": fmt.money(t.credited) if t.credited else None,
        "amount_remaining": fmt.money(t.amount_remaining),
        "settled": t.amount_remaining <= 0 and not doc.is_draft,
    }
