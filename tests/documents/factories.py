"""Document models built by hand, the way the engine would fill them (per-rate tax rounding, sums of
rounded amounts), covering every feature EN 16931 can express."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

from billfold.core.money import Currency, RoundingMode, add, divide, multiply, quantize
from billfold.documents.model import (
    Address,
    AllowanceCharge,
    Contact,
    CreditNoteDocument,
    Delivery,
    Document,
    DocumentKind,
    ElectronicAddress,
    Group,
    InvoiceDocument,
    Line,
    LineTax,
    Party,
    Payment,
    PaymentAccount,
    Period,
    PrecedingInvoice,
    SubLine,
    TaxSummaryRow,
    Totals,
    VatCategory,
    vat_breakdown,
)

EUR = Currency("EUR", 2)
JPY = Currency("JPY", 0)
BHD = Currency("BHD", 3)
HALF_UP = RoundingMode.HALF_UP

VAT19 = LineTax(tax_category_id="tc_std", vat_category=VatCategory.STANDARD, rate=Decimal(19))
VAT7 = LineTax(tax_category_id="tc_red", vat_category=VatCategory.STANDARD, rate=Decimal(7))
EXEMPT = LineTax(
    tax_category_id="tc_exempt",
    vat_category=VatCategory.EXEMPT,
    rate=Decimal(0),
    exemption_reason="Exempt under Article 132(1)(i) of Directive 2006/112/EC",
)
REVERSE = LineTax(
    tax_category_id="tc_rc",
    vat_category=VatCategory.REVERSE_CHARGE,
    rate=Decimal(0),
    exemption_reason="Reverse charge",
    exemption_reason_code="VATEX-EU-AE",
)
INTRA = LineTax(
    tax_category_id="tc_ic",
    vat_category=VatCategory.INTRA_COMMUNITY,
    rate=Decimal(0),
    exemption_reason="Intra-community supply",
    exemption_reason_code="VATEX-EU-IC",
)
JP10 = LineTax(tax_category_id="tc_jp", vat_category=VatCategory.STANDARD, rate=Decimal(10))
PERIOD = Period(start=date(2026, 11, 1), end=date(2026, 11, 30))


def q(value: Decimal, currency: Currency = EUR) -> Decimal:
    return quantize(value, currency.exponent, HALF_UP)


def seller(**changes: Any) -> Party:
    party = Party(
        name="Billfold Demo GmbH",
        trade_name="Billfold Demo",
        legal_registration_id="HRB 123456",
        vat_id="DE123456789",
        tax_id="143/123/45678",
        address=Address(lines=("Hauptstraße 1", "2. OG"), city="Berlin", postal_code="10115", country="DE"),
        contact=Contact(name="Anna Schmidt", phone="+49 30 1234567", email="billing@billfold.example"),
        electronic_address=ElectronicAddress(value="DE123456789", scheme="9930"),
        payment_account=PaymentAccount(
            iban="DE89370400440532013000", bic="COBADEFFXXX", account_name="Billfold Demo GmbH"
        ),
    )
    return replace(party, **changes)


def buyer(**changes: Any) -> Party:
    party = Party(
        name="Acme Industries SARL",
        legal_registration_id="RCS Paris 552 100 554",
        vat_id="FR40303265045",
        address=Address(lines=("12 rue de la Paix",), city="Paris", postal_code="75002", country="FR"),
        contact=Contact(name="Jean Martin", email="ap@acme.example"),
        electronic_address=ElectronicAddress(value="ap@acme.example", scheme="EM"),
    )
    return replace(party, **changes)


def line(
    line_id: str,
    name: str,
    quantity: str,
    unit_price: str | None,
    tax: LineTax | None = VAT19,
    *,
    subtotal: str | None = None,
    discounts: Sequence[tuple[str, str]] = (),
    charges: Sequence[tuple[str, str]] = (),
    sub_lines: Sequence[SubLine] = (),
    currency: Currency = EUR,
    unit_code: str = "C62",
    description: str | None = None,
) -> Line:
    """A line with exclusive prices: subtotal = round(quantity × price) unless given; net after discounts."""
    qty = Decimal(quantity)
    price = None if unit_price is None else Decimal(unit_price)
    base = Decimal(subtotal) if subtotal is not None else q(multiply(qty, price or Decimal(0)), currency)
    allowances = tuple(AllowanceCharge(amount=Decimal(a), reason=r) for r, a in discounts)
    extra = tuple(AllowanceCharge(charge=True, amount=Decimal(a), reason=r) for r, a in charges)
    net = add(base, *(-a.amount for a in allowances), *(c.amount for c in extra))
    rate = tax.rate if tax else Decimal(0)
    return Line(
        id=line_id,
        name=name,
        description=description,
        quantity=qty,
        unit_code=unit_code,
        unit_price=price,
        subtotal_amount=base,
        allowances=allowances,
        charges=extra,
        net_amount=net,
        tax=tax,
        tax_amount=q(divide(multiply(net, rate), Decimal(100)), currency),
        period=PERIOD,
        sub_lines=tuple(sub_lines),
    )


def inclusive_line(line_id: str, name: str, quantity: str, gross_price: str, tax: LineTax = VAT19) -> Line:
    """A line priced gross: the tax inside is round(gross × r / (100 + r)), net = gross − tax."""
    gross = q(multiply(Decimal(quantity), Decimal(gross_price)))
    inside = q(divide(multiply(gross, tax.rate), add(Decimal(100), tax.rate)))
    return Line(
        id=line_id,
        name=name,
        quantity=Decimal(quantity),
        unit_price=Decimal(gross_price),
        price_includes_tax=True,
        subtotal_amount=gross,
        net_amount=add(gross, -inside),
        tax=tax,
        tax_amount=inside,
        period=PERIOD,
    )


def document(
    groups: Sequence[tuple[str | None, Sequence[Line]]],
    *,
    allowances: Sequence[tuple[str, str, LineTax]] = (),
    charges: Sequence[tuple[str, str, LineTax]] = (),
    prepaid: str = "0",
    payments: Sequence[tuple[date, str]] = (),
    currency: Currency = EUR,
    kind: DocumentKind = DocumentKind.INVOICE,
    number: str | None = "INV-2026-000042",
    status: str = "issued",
    locale: str = "en",
    **changes: Any,
) -> Document:
    """The whole document with its VAT breakdown and totals worked out as the engine does (per rate)."""
    doc_allowances = tuple(AllowanceCharge(amount=Decimal(a), reason=r, tax=t) for r, a, t in allowances)
    doc_charges = tuple(
        AllowanceCharge(charge=True, amount=Decimal(a), reason=r, tax=t) for r, a, t in charges
    )
    built = tuple(
        Group(
            id=f"grp_{i}",
            name=name,
            lines=tuple(lines),
            period=PERIOD,
            net_amount=add(*(li.net_amount for li in lines)),
        )
        for i, (name, lines) in enumerate(groups)
    )
    all_lines = [li for g in built for li in g.lines]
    summary = vat_breakdown(_rows(all_lines, doc_allowances, doc_charges, currency))
    line_total = add(*(li.net_amount for li in all_lines))
    allowance_total = add(*(a.amount for a in doc_allowances))
    charge_total = add(*(c.amount for c in doc_charges))
    exclusive = add(line_total, -allowance_total, charge_total)
    tax = add(*(row.tax_amount for row in summary))
    inclusive = add(exclusive, tax)
    paid = add(*(Decimal(a) for _, a in payments))
    discounts = add(allowance_total, *(a.amount for li in all_lines for a in li.allowances))
    totals = Totals(
        line_total=line_total,
        allowance_total=allowance_total,
        charge_total=charge_total,
        tax_exclusive=exclusive,
        tax=tax,
        tax_inclusive=inclusive,
        prepaid=Decimal(prepaid),
        amount_due=add(inclusive, -Decimal(prepaid)),
        paid=paid,
        discount_total=discounts,
    )
    cls = CreditNoteDocument if kind is DocumentKind.CREDIT_NOTE else InvoiceDocument
    fields: dict[str, Any] = {
        "id": "inv_01",
        "status": status,
        "number": number,
        "issue_date": date(2026, 12, 1),
        "due_date": date(2026, 12, 31),
        "period": PERIOD,
        "currency": currency,
        "locale": locale,
        "seller": seller(),
        "buyer": buyer(),
        "buyer_reference": "PO-REF-7",
        "purchase_order": "PO-2026-0815",
        "notes": ("Thank you for your business.",),
        "payment_terms": "Net 30",
        "groups": built,
        "allowances": doc_allowances,
        "charges": doc_charges,
        "tax_summary": summary,
        "totals": totals,
        "payments": tuple(
            Payment(date=d, amount=Decimal(a), reference=f"pay_{i}") for i, (d, a) in enumerate(payments)
        ),
    }
    fields.update(changes)
    return cls(**fields)


def _rows(
    lines: Sequence[Line],
    allowances: Sequence[AllowanceCharge],
    charges: Sequence[AllowanceCharge],
    currency: Currency,
) -> list[TaxSummaryRow]:
    """Per (tax category, inclusive): exclusive rates taxed once on the rate's net sum; inclusive ones
    carry the tax already inside their gross (as the engine's per-rate rounding does)."""
    keyed: dict[tuple[str | None, bool], tuple[LineTax, Decimal, Decimal]] = {}
    for li in lines:
        assert li.tax is not None
        key = (li.tax.tax_category_id, li.price_includes_tax)
        tax, net, inside = keyed.get(key, (li.tax, Decimal(0), Decimal(0)))
        keyed[key] = (tax, add(net, li.net_amount), add(inside, li.tax_amount))
    for item, sign in [(a, -1) for a in allowances] + [(c, 1) for c in charges]:
        assert item.tax is not None
        key = (item.tax.tax_category_id, False)
        tax, net, inside = keyed.get(key, (item.tax, Decimal(0), Decimal(0)))
        keyed[key] = (tax, add(net, multiply(Decimal(sign), item.amount)), inside)
    rows = []
    for (_, inclusive_key), (tax, net, inside) in keyed.items():
        amount = inside if inclusive_key else q(divide(multiply(net, tax.rate), Decimal(100)), currency)
        rows.append(
            TaxSummaryRow(
                vat_category=tax.vat_category,
                rate=tax.rate,
                taxable_amount=net,
                tax_amount=amount,
                exemption_reason=tax.exemption_reason,
                exemption_reason_code=tax.exemption_reason_code,
                tax_category_id=tax.tax_category_id,
            )
        )
    return rows


def usage_line(line_id: str = "li_usage") -> Line:
    """10,000 API calls: 1,000 free, 9,000 at 0.0025 (22.50): 0.00225 a call is exact."""
    return line(
        line_id,
        "API calls",
        "10000",
        None,
        subtotal="22.50",
        sub_lines=(
            SubLine(name="First 1,000 free", quantity=Decimal(1000), amount=Decimal("0.00")),
            SubLine(name="Next 9,000 at 0.0025", quantity=Decimal(9000), amount=Decimal("22.50")),
        ),
        unit_code="C62",
    )


def tiered_line(line_id: str = "li_tiered") -> Line:
    """3 seats at tiered prices totalling 10.00: no exact unit price, so quantity 1 in the e-invoice."""
    return line(
        line_id,
        "Seats",
        "3",
        None,
        subtotal="10.00",
        sub_lines=(
            SubLine(name="Seat 1", quantity=Decimal(1), amount=Decimal("5.00")),
            SubLine(name="Seats 2-3", quantity=Decimal(2), amount=Decimal("5.00")),
        ),
    )


def full_invoice(locale: str = "en", **changes: Any) -> Document:
    """Two VAT rates, exempt and reverse-charge lines, an inclusive price, line and document discounts,
    a document charge, usage lines with sub lines, a credit line, credits applied, a partial payment."""
    platform = [
        line("li_1", "Platform subscription", "10", "12.50", discounts=(("Launch discount", "10.00"),)),
        line("li_2", "Handbook", "2", "9.99", VAT7),
        inclusive_line("li_3", "Support pack (price incl. VAT)", "1", "119.00"),
        line("li_4", "Training (exempt)", "1", "200.00", EXEMPT),
        line("li_5", "Consulting (reverse charge)", "4", "150.00", REVERSE),
    ]
    usage = [usage_line(), tiered_line(), line("li_6", "Goodwill credit", "1", "-5.00")]
    return document(
        [("Platform", platform), ("Usage", usage)],
        allowances=(("Loyalty discount", "5.00", VAT19),),
        charges=(("Minimum commitment top-up", "2.00", VAT19),),
        prepaid="20.00",
        payments=((date(2026, 12, 5), "100.00"),),
        locale=locale,
        **changes,
    )


def small_invoice(locale: str = "en", lines: int = 10, **changes: Any) -> Document:
    items = [
        line(f"li_{i}", f"Service item {i}", str(i), "12.34", VAT19 if i % 3 else VAT7)
        for i in range(1, lines + 1)
    ]
    return document([("Services", items)], locale=locale, **changes)


def big_invoice(lines: int = 1000, **changes: Any) -> Document:
    per_group = 100
    groups = [
        (
            f"Project {g + 1}",
            [
                line(f"li_{g}_{i}", f"Work package {g + 1}.{i + 1}", "3", "19.99", VAT19 if i % 2 else VAT7)
                for i in range(per_group)
            ],
        )
        for g in range(lines // per_group)
    ]
    return document(groups, **changes)


def jpy_invoice(**changes: Any) -> Document:
    items = [
        line("li_1", "Hosting", "3", "1000", JP10, currency=JPY),
        line("li_2", "Domain", "1", "1500", JP10, currency=JPY),
    ]
    return document([(None, items)], currency=JPY, locale="en", **changes)


def bhd_invoice() -> Document:
    items = [line("li_1", "Hosting", "2", "1.250", currency=BHD)]
    return document([(None, items)], currency=BHD)


def draft_invoice(locale: str = "en") -> Document:
    return small_invoice(locale, lines=3, number=None, status="draft")


def intra_community_invoice() -> Document:
    items = [line("li_1", "Machine parts", "5", "80.00", INTRA, unit_code="H87")]
    return document([(None, items)], delivery=Delivery(date=date(2026, 11, 20), country="FR"))


def credit_note(locale: str = "en") -> Document:
    items = [
        line("li_1", "Platform subscription (refund)", "2", "12.50"),
        line("li_2", "Handbook (returned)", "1", "9.99", VAT7),
    ]
    return document(
        [(None, items)],
        kind=DocumentKind.CREDIT_NOTE,
        number="CN-2026-000003",
        preceding_invoice=PrecedingInvoice(number="INV-2026-000042", issue_date=date(2026, 12, 1)),
        locale=locale,
    )


def sample_documents(locale: str) -> dict[str, Any]:
    """The documents every e-invoice syntax is checked with, by name; the full invoice once more in
    ``locale`` (the wording changes, the rules must still pass)."""
    return {
        "full": full_invoice,
        "small": small_invoice,
        "jpy": jpy_invoice,
        "intra_community": intra_community_invoice,
        "credit_note": credit_note,
        f"full_{locale}": lambda: full_invoice(locale),
    }
