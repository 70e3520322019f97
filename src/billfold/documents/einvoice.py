"""What UBL and CII share: whether EN 16931 can express a document, and how a Billfold line becomes an
EN 16931 invoice line.

EN 16931 has no sub lines and no negative prices. So a line becomes one invoice line with its own
quantity, its net amount (BT-131) and a price (BT-146) that makes ``quantity × price`` equal the line's
base exactly; when no such price exists (a usage line priced by tiers, a minimum with no usage) the
quantity is 1, the price the whole base, and the usage goes into the line's note. A credit line
(negative amounts) has a negative quantity and a positive price. Sub lines go into the line's note.
A line whose price includes tax is carried net of tax, with no line allowances (its discounts are gross
and the net has been derived from them); its gross figures go into the note.

:func:`not_representable` lists every reason a document cannot be an EN 16931 e-invoice, each naming
the datum at fault by its API path (``issuingAccount.address.country``); the renderers raise
:class:`NotRepresentableError` with those reasons rather than write a file the rules reject.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import pycountry

from billfold.core.money import CONTEXT, ONE, ZERO, RoundingMode, add, divide, multiply, quantize, to_plain
from billfold.documents.codelists import EAS_CODES
from billfold.documents.i18n import Formatter
from billfold.documents.model import AllowanceCharge, Document, Line, LineTax, Party, VatCategory

GUIDELINE_ID = "urn:cen.eu:en16931:2017"  # BT-24: plain EN 16931 (also Factur-X's EN 16931 profile)
PEPPOL_PROFILE_ID = "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"  # BT-23, Peppol BIS Billing 3.0
MAX_EXPONENT = 2  # the rules allow at most two decimals in an amount (BR-DEC-*)
PRICE_EXPONENT = 12
SELLER = "issuingAccount"
BUYER = "customer"

# Categories whose rate must be 0 and which need an exemption reason in the VAT breakdown.
ZERO_RATED = frozenset(
    {
        VatCategory.ZERO_RATED,
        VatCategory.EXEMPT,
        VatCategory.REVERSE_CHARGE,
        VatCategory.INTRA_COMMUNITY,
        VatCategory.EXPORT,
    }
)
NEEDS_REASON = frozenset(
    {
        VatCategory.EXEMPT,
        VatCategory.REVERSE_CHARGE,
        VatCategory.INTRA_COMMUNITY,
        VatCategory.EXPORT,
        VatCategory.NOT_SUBJECT,
    }
)


@dataclass(frozen=True, slots=True)
class Reason:
    """One reason a document cannot be an EN 16931 e-invoice: the API path at fault and why."""

    path: str
    message: str


class NotRepresentableError(ValueError):
    """EN 16931 cannot express the document; ``reasons`` says why (the API answers 409 ``not_representable``
    with ``details`` = ``{path: message}``)."""

    def __init__(self, reasons: tuple[Reason, ...]) -> None:
        self.reasons = reasons
        super().__init__("; ".join(f"{r.path}: {r.message}" for r in reasons))

    @property
    def details(self) -> dict[str, str]:
        return {reason.path: reason.message for reason in self.reasons}


def not_representable(doc: Document) -> tuple[Reason, ...]:
    """Every reason ``doc`` cannot be expressed as an EN 16931 invoice; empty when it can."""
    reasons: list[Reason] = []
    if doc.currency.exponent > MAX_EXPONENT:
        reasons.append(
            Reason(
                "currency",
                f"{doc.currency.code} has {doc.currency.exponent} decimals in "
                "ISO 4217; EN 16931 amounts carry at most 2",
            )
        )
    if doc.number is None:
        reasons.append(Reason("number", "a draft has no number; issue the invoice first"))
    if doc.withholdings:
        reasons.append(Reason("customer.withholdingRates", "EN 16931 cannot carry withheld taxes"))
    reasons += _party_reasons(doc)
    reasons += _tax_reasons(doc)
    if not any(True for _ in doc.lines()):
        reasons.append(Reason("lineItems", "an e-invoice needs at least one line"))
    keys = [(row.vat_category, row.rate) for row in doc.tax_summary]
    if len(set(keys)) != len(keys):
        reasons.append(Reason("taxSummary", "one row per VAT category and rate (see model.vat_breakdown)"))
    if not totals_consistent(doc):
        reasons.append(Reason("totals", "the totals do not add up to the lines and adjustments"))
    if doc.totals.amount_due > 0 and doc.due_date is None and not doc.payment_terms:
        reasons.append(
            Reason("dueDate", "a positive amount due needs a due date or payment terms (BR-CO-25)")
        )
    return tuple(dict.fromkeys(reasons))


def ensure_representable(doc: Document) -> None:
    reasons = not_representable(doc)
    if reasons:
        raise NotRepresentableError(reasons)


def _party_reasons(doc: Document) -> list[Reason]:
    reasons: list[Reason] = []
    for prefix, party, name_field in ((SELLER, doc.seller, "businessName"), (BUYER, doc.buyer, "name")):
        if not party.name:
            reasons.append(Reason(f"{prefix}.{name_field}", "a legal name is required"))
        country = party.address.country
        if not country:
            reasons.append(Reason(f"{prefix}.address.country", "a country is required"))
        elif not is_country(country):
            reasons.append(Reason(f"{prefix}.address.country", "must be an ISO 3166-1 alpha-2 code"))
        if party.vat_id and not party.vat_id[:2].isalpha():
            reasons.append(Reason(f"{prefix}.vatId", "a VAT id starts with its country prefix (BR-CO-9)"))
        address = party.electronic_address
        if address is not None and address.scheme not in EAS_CODES:  # stored before the list was checked
            reasons.append(
                Reason(f"{prefix}.electronicAddress.scheme", "must be a code of the CEF EAS list (BR-CL-25)")
            )
    return reasons


def _tax_reasons(doc: Document) -> list[Reason]:
    reasons: list[Reason] = []
    taxes: list[tuple[str, LineTax | None]] = [(f"lineItems[{line.id}]", line.tax) for line in doc.lines()]
    taxes += [(f"adjustments[{i}]", item.tax) for i, item in enumerate((*doc.allowances, *doc.charges))]
    categories: set[VatCategory] = set()
    for path, tax in taxes:
        if tax is None:
            reasons.append(
                Reason(f"{path}.taxCategoryId", "has no tax category and the organization no default")
            )
            continue
        if tax.vat_category is None:
            where = f"taxCategories[{tax.tax_category_id}]" if tax.tax_category_id else path
            reasons.append(Reason(f"{where}.vatCategory", "a VAT category (UNCL 5305) is required"))
            continue
        categories.add(tax.vat_category)
        reasons += _rate_reasons(tax)
    for row in doc.tax_summary:
        if row.vat_category in NEEDS_REASON and not (row.exemption_reason or row.exemption_reason_code):
            where = f"taxCategories[{row.tax_category_id}]" if row.tax_category_id else "taxSummary"
            reasons.append(Reason(f"{where}.exemptionReason", f"category {row.vat_category} needs a reason"))
    reasons += _party_tax_reasons(doc, categories)
    return reasons


def _rate_reasons(tax: LineTax) -> list[Reason]:
    where = f"taxCategories[{tax.tax_category_id}].rates"
    if tax.vat_category is VatCategory.STANDARD and tax.rate <= 0:
        return [Reason(where, "a standard-rated (S) rate must be above 0")]
    if tax.vat_category in ZERO_RATED and tax.rate != 0:
        return [Reason(where, f"category {tax.vat_category} must have rate 0")]
    if tax.vat_category is VatCategory.NOT_SUBJECT and tax.rate != 0:
        return [Reason(where, "category O (not subject to VAT) has no rate")]
    return []


def _party_tax_reasons(doc: Document, categories: set[VatCategory]) -> list[Reason]:
    reasons: list[Reason] = []
    seller, buyer = doc.seller, doc.buyer
    if VatCategory.NOT_SUBJECT in categories:
        if len(categories) > 1:
            reasons.append(Reason("lineItems", "category O cannot be mixed with other VAT categories"))
        if not seller.legal_registration_id:
            reasons.append(Reason(f"{SELLER}.legalRegistrationId", "needed when VAT ids cannot be shown (O)"))
        return reasons
    if categories and not (seller.vat_id or seller.tax_id):
        reasons.append(Reason(f"{SELLER}.vatId", "the seller's VAT id (or tax registration) is required"))
    if not (seller.vat_id or seller.legal_registration_id):
        reasons.append(Reason(f"{SELLER}.vatId", "a VAT id or legal registration id is required (BR-CO-26)"))
    if VatCategory.REVERSE_CHARGE in categories and not (buyer.vat_id or buyer.legal_registration_id):
        reasons.append(Reason(f"{BUYER}.vatId", "reverse charge (AE) needs the buyer's VAT id"))
    if VatCategory.INTRA_COMMUNITY in categories:
        if not seller.vat_id:
            reasons.append(
                Reason(f"{SELLER}.vatId", "an intra-community supply (K) needs the seller's VAT id")
            )
        if not buyer.vat_id:
            reasons.append(Reason(f"{BUYER}.vatId", "an intra-community supply (K) needs the buyer's VAT id"))
        if doc.delivery is None or doc.delivery.country is None:
            reasons.append(
                Reason("deliveryCountry", "an intra-community supply (K) needs the delivery country")
            )
        if doc.period is None and (doc.delivery is None or doc.delivery.date is None):
            reasons.append(
                Reason("deliveryDate", "an intra-community supply (K) needs a delivery date or period")
            )
    return reasons


def is_country(code: str) -> bool:
    """An ISO 3166-1 alpha-2 code, upper case (the rules check BT-40/BT-55/BT-80 against the list)."""
    return len(code) == 2 and code.isupper() and pycountry.countries.get(alpha_2=code) is not None


def shows_vat_ids(doc: Document) -> bool:
    """Category O forbids the seller's and buyer's VAT ids in the file (BR-O-2)."""
    return not any(
        line.tax is not None and line.tax.vat_category is VatCategory.NOT_SUBJECT for line in doc.lines()
    )


def vat_id(doc: Document, party: Party) -> str | None:
    return party.vat_id if shows_vat_ids(doc) else None


def amount(value: Decimal, exponent: int) -> str:
    """An amount with exactly the currency's decimals (the engine already rounded it)."""
    return to_plain(quantize(value, exponent, RoundingMode.HALF_UP))


def plain(value: Decimal) -> str:
    """A quantity, price or rate: fixed point, no trailing zeros."""
    if value.is_zero():
        return "0"
    return to_plain(value.normalize(CONTEXT))


@dataclass(frozen=True, slots=True)
class EInvoiceLine:
    """A Billfold line as EN 16931 sees it: ``quantity × price - allowances + charges = net``."""

    line: Line
    quantity: Decimal
    price: Decimal
    allowances: tuple[AllowanceCharge, ...]
    charges: tuple[AllowanceCharge, ...]
    note: str | None

    @property
    def tax(self) -> LineTax:
        assert self.line.tax is not None  # ensured by not_representable
        return self.line.tax


def einvoice_line(line: Line, fmt: Formatter) -> EInvoiceLine:
    """Map ``line`` (see the module docstring)."""
    notes: list[str] = []
    allowances: tuple[AllowanceCharge, ...] = ()
    charges: tuple[AllowanceCharge, ...] = ()
    if line.price_includes_tax:
        base = line.net_amount
        notes.append(
            fmt.gettext("Price including tax: {amount}").format(amount=fmt.money(line.subtotal_amount))
        )
    else:
        base, allowances, charges = line.subtotal_amount, line.allowances, line.charges
    quantity, price = _quantity_and_price(line.quantity, base)
    if quantity.copy_abs() != line.quantity:
        notes.append(
            fmt.gettext("Quantity: {quantity} {unit}").format(
                quantity=fmt.number(line.quantity), unit=line.unit_code
            )
        )
    for sub in line.sub_lines:
        text = sub.name if sub.quantity is None else f"{sub.name} × {fmt.number(sub.quantity)}"
        notes.append(f"{text}: {fmt.money(sub.amount)}")
    if line.description:
        notes.insert(0, line.description)
    return EInvoiceLine(line, quantity, price, allowances, charges, "\n".join(notes) or None)


def _quantity_and_price(quantity: Decimal, base: Decimal) -> tuple[Decimal, Decimal]:
    sign = -ONE if base < 0 else ONE
    if quantity != 0:
        signed = multiply(sign, quantity)
        price = quantize(divide(base, signed), PRICE_EXPONENT, RoundingMode.HALF_UP)
        if multiply(price, signed) == base:
            return signed, price
    elif base == 0:
        return ZERO, ZERO
    return sign, base.copy_abs()


def line_unit_code(item: EInvoiceLine) -> str:
    """The unit: the line's own when its quantity is shown, ``C62`` (one) when it was folded to 1."""
    return item.line.unit_code if item.quantity.copy_abs() == item.line.quantity else "C62"


def reason_text(item: AllowanceCharge, fmt: Formatter) -> str:
    """BT-97/BT-104/BT-139/BT-144: the adjustment's name, else a generic word (a reason is required)."""
    if item.reason:
        return item.reason
    return fmt.gettext("Charge") if item.charge else fmt.gettext("Discount")


def reason_code(item: AllowanceCharge) -> str:
    """UNCL 5189 ``95`` (discount) for allowances, UNCL 7161 ``ZZZ`` (mutually defined) for charges."""
    return item.reason_code or ("ZZZ" if item.charge else "95")


def exemption(
    category: VatCategory | None, reason: str | None, code: str | None
) -> tuple[str | None, str | None]:
    """The (reason, code) to write: only for categories that take one (S and Z must not, BR-S-10)."""
    if category not in NEEDS_REASON:
        return None, None
    return reason, code


def payment_means_code(doc: Document) -> str:
    """UNCL 4461: ``58`` SEPA credit transfer for euro, ``30`` credit transfer otherwise."""
    return "58" if doc.currency.code == "EUR" else "30"


def rate_text(tax_category: VatCategory | None, rate: Decimal) -> str | None:
    """The rate to write (BT-96, BT-119, BT-152); none for category O (BR-O-5)."""
    return None if tax_category is VatCategory.NOT_SUBJECT else plain(rate)


def totals_consistent(doc: Document) -> bool:
    """Whether the model's totals add up as EN 16931 checks them (a loader bug otherwise)."""
    t = doc.totals
    lines = add(*(line.net_amount for line in doc.lines()))
    return (
        lines == t.line_total
        and add(t.line_total, -t.allowance_total, t.charge_total) == t.tax_exclusive
        and add(t.tax_exclusive, t.tax) == t.tax_inclusive
        and add(t.tax_inclusive, -t.prepaid, t.rounding) == t.amount_due
    )
