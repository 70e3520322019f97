"""What the PDF and the hosted page show, formatted for the document's locale: words from the message
catalogue, numbers, dates and money from Babel. Templates only place these strings; they never format or
add up anything themselves.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from billfold.core.money import add
from billfold.documents.i18n import Formatter
from billfold.documents.model import AllowanceCharge, Document, DocumentKind, Line, Party, Period


@dataclass(frozen=True, slots=True)
class Row:
    """One row of a lines table: a line, or an indented detail under it (sub line, discount)."""

    name: str
    quantity: str = ""
    unit_price: str = ""
    tax: str = ""
    amount: str = ""
    detail: bool = False
    note: str = ""


@dataclass(frozen=True, slots=True)
class Figure:
    """A labelled amount in the totals block."""

    label: str
    value: str
    strong: bool = False


_ENVIRONMENT = Environment(
    loader=PackageLoader("billfold.documents", "templates"),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def render_template(name: str, **context: Any) -> str:
    return _ENVIRONMENT.get_template(name).render(**context)


def stylesheet(name: str) -> str:
    """A packaged stylesheet's text, to inline (no external assets)."""
    return resources.files("billfold.documents").joinpath("templates", name).read_text("utf-8")


def formatter(doc: Document, locale: str | None) -> Formatter:
    return Formatter.for_document(locale or doc.locale, doc.currency)


def title(doc: Document, fmt: Formatter) -> str:
    _ = fmt.gettext
    if doc.kind is DocumentKind.CREDIT_NOTE:
        return _("Draft credit note") if doc.is_draft else _("Credit note")
    return _("Draft invoice") if doc.is_draft else _("Invoice")


def period_text(period: Period | None, fmt: Formatter) -> str:
    if period is None:
        return ""
    return f"{fmt.date(period.start)} – {fmt.date(period.end)}"


def party_lines(party: Party, fmt: Formatter) -> list[str]:
    """Name, trade name, address and contact lines of a party, in reading order."""
    _ = fmt.gettext
    address = party.address
    lines = [party.name or ""]
    if party.trade_name and party.trade_name != party.name:
        lines.append(party.trade_name)
    lines += list(address.lines)
    city = " ".join(part for part in (address.postal_code, address.city) if part)
    if city:
        lines.append(city)
    if address.subdivision:
        lines.append(address.subdivision)
    if address.country:
        lines.append(fmt.locale.territories.get(address.country, address.country))
    contact = party.contact
    lines += [text for text in (contact.name, contact.email, contact.phone) if text]
    return [line for line in lines if line]


def party_ids(party: Party, fmt: Formatter) -> list[str]:
    """The party's legal and tax identifiers, labelled."""
    _ = fmt.gettext
    labelled = (
        (_("VAT ID"), party.vat_id),
        (_("Tax ID"), party.tax_id),
        (_("Registration"), party.legal_registration_id),
    )
    return [f"{label}: {value}" for label, value in labelled if value]


def _adjustment_row(item: AllowanceCharge, fmt: Formatter) -> Row:
    _ = fmt.gettext
    name = item.reason or (_("Charge") if item.charge else _("Discount"))
    if item.percent is not None:
        name = f"{name} ({fmt.percent(item.percent)})"
    amount = item.amount if item.charge else -item.amount
    return Row(name=name, amount=fmt.money(amount), detail=True)


def line_rows(line: Line, fmt: Formatter, shown: Period | None = None) -> list[Row]:
    """A line and its details: sub lines (usage tiers), then its own discounts and charges. The line's
    period shows only where it differs from ``shown`` (its group's or the document's)."""
    _ = fmt.gettext
    tax = ""
    if line.tax is not None:
        tax = fmt.percent(line.tax.rate)
        if line.tax.vat_category is not None and line.tax.vat_category.value != "S":
            tax = f"{tax} ({line.tax.vat_category.value})"
    unit_price = "" if line.unit_price is None else fmt.unit_price(line.unit_price)
    if line.price_includes_tax and unit_price:
        included = _("incl. tax")
        unit_price = f"{unit_price} {included}"
    period = period_text(line.period, fmt) if line.period != shown else ""
    note = " · ".join(part for part in (line.description, period) if part)
    rows = [
        Row(
            name=line.name,
            quantity=fmt.number(line.quantity),
            unit_price=unit_price,
            tax=tax,
            amount=fmt.money(line.subtotal_amount),
            note=note,
        )
    ]
    for sub in line.sub_lines:
        quantity = "" if sub.quantity is None else fmt.number(sub.quantity)
        rows.append(Row(name=sub.name, quantity=quantity, amount=fmt.money(sub.amount), detail=True))
    rows += [_adjustment_row(item, fmt) for item in (*line.allowances, *line.charges)]
    if line.price_includes_tax:
        gross = add(
            line.subtotal_amount, *(-a.amount for a in line.allowances), *(c.amount for c in line.charges)
        )
        rows.append(
            Row(
                name=_("Tax included in the price"),
                amount=fmt.money(-add(gross, -line.net_amount)),
                detail=True,
            )
        )
    return rows


def totals(doc: Document, fmt: Formatter) -> list[Figure]:
    """The totals block as issued: lines, document discounts and charges, net, tax per rate, total,
    credits applied (prepaid) and the amount due."""
    _ = fmt.gettext
    t = doc.totals
    figures = [Figure(_("Subtotal"), fmt.money(t.line_total))]
    for item in (*doc.allowances, *doc.charges):
        row = _adjustment_row(item, fmt)
        figures.append(Figure(row.name, row.amount))
    if doc.allowances or doc.charges:
        figures.append(Figure(_("Total before tax"), fmt.money(t.tax_exclusive)))
    figures.append(Figure(_("Tax"), fmt.money(t.tax)))
    figures.append(Figure(_("Total"), fmt.money(t.tax_inclusive), strong=True))
    if t.prepaid:
        figures.append(Figure(_("Credits applied"), fmt.money(-t.prepaid)))
    if t.rounding:
        figures.append(Figure(_("Rounding"), fmt.money(t.rounding)))
    figures.append(Figure(due_label(doc, fmt), fmt.money(t.amount_due), strong=True))
    return figures


def due_label(doc: Document, fmt: Formatter) -> str:
    """What the final figure is: the amount due, or for a credit note the amount it credits."""
    if doc.kind is DocumentKind.CREDIT_NOTE:
        return fmt.gettext("Amount credited")
    return fmt.gettext("Amount due")


def tax_rows(doc: Document, fmt: Formatter) -> list[dict[str, str]]:
    rows = []
    for row in doc.tax_summary:
        category = "" if row.vat_category is None else row.vat_category.value
        reason = " ".join(p for p in (row.exemption_reason, row.exemption_reason_code) if p)
        vat = fmt.gettext("VAT")
        label = f"{vat} {fmt.percent(row.rate)}"
        if category and category != "S":
            label = f"{label} ({category})"
        rows.append(
            {
                # the rate always shows (a legal invoice states it); the category's own name after it
                # where the rate alone does not say what it is (exempt, reverse charge, ...)
                "name": f"{label} · {row.name}" if row.name and category not in ("", "S") else label,
                "taxable": fmt.money(row.taxable_amount),
                "tax": fmt.money(row.tax_amount),
                "reason": reason,
            }
        )
    return rows


def meta(doc: Document, fmt: Formatter) -> list[tuple[str, str]]:
    """Labelled facts shown under the title (number, dates, period, references)."""
    _ = fmt.gettext
    facts: list[tuple[str, str | None]] = [
        (_("Number"), doc.number),
        (_("Issue date"), fmt.date(doc.issue_date)),
        (_("Due date"), fmt.date(doc.due_date) if doc.due_date else None),
        (_("Service period"), period_text(doc.period, fmt) or None),
        (_("Buyer reference"), doc.buyer_reference),
        (_("Purchase order"), doc.purchase_order),
    ]
    if doc.preceding_invoice is not None:
        facts.append((_("Corrects invoice"), doc.preceding_invoice.number))
    if doc.delivery is not None and doc.delivery.date is not None:
        facts.append((_("Delivery date"), fmt.date(doc.delivery.date)))
    return [(label, value) for label, value in facts if value]


def payment_lines(doc: Document, fmt: Formatter) -> list[tuple[str, str]]:
    """How to pay: the account, the reference to quote, the terms."""
    _ = fmt.gettext
    account = doc.seller.payment_account
    lines: list[tuple[str, str | None]] = []
    if account is not None:
        lines += [
            (_("Account holder"), account.account_name or doc.seller.name),
            ("IBAN", _group_iban(account.iban)),
            ("BIC", account.bic),
        ]
    if doc.number:
        lines.append((_("Payment reference"), doc.number))
    lines.append((_("Payment terms"), doc.payment_terms))
    return [(label, value) for label, value in lines if value]


def _group_iban(iban: str) -> str:
    compact = iban.replace(" ", "")
    return " ".join(compact[i : i + 4] for i in range(0, len(compact), 4))


def common_context(doc: Document, fmt: Formatter) -> dict[str, Any]:
    """What both the PDF and the hosted page show."""
    return {
        "_": fmt.gettext,
        "lang": fmt.language,
        "doc": doc,
        "title": title(doc, fmt),
        "meta": meta(doc, fmt),
        "seller_lines": party_lines(doc.seller, fmt),
        "seller_ids": party_ids(doc.seller, fmt),
        "buyer_lines": party_lines(doc.buyer, fmt),
        "buyer_ids": party_ids(doc.buyer, fmt),
        "groups": [
            {
                "name": group.name or "",
                "period": period_text(group.period, fmt) if group.period != doc.period else "",
                "rows": [
                    row for line in group.lines for row in line_rows(line, fmt, group.period or doc.period)
                ],
                "net": fmt.money(group.net_amount),
            }
            for group in doc.groups
        ],
        "totals": totals(doc, fmt),
        "tax_rows": tax_rows(doc, fmt),
        "payment": payment_lines(doc, fmt),
        "notes": list(doc.notes),
        "amount_due": fmt.money(doc.totals.amount_due),
        "due_label": due_label(doc, fmt),
        "payable": doc.kind is DocumentKind.INVOICE and not doc.is_draft,
        "due_date": fmt.date(doc.due_date),
    }
