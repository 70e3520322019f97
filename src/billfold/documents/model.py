"""The document model: one typed, plain, frozen picture of an invoice or credit note as Billfold computed it.

Every output renders from it (PDF, hosted page, UBL, CII); renderers never recompute an amount. The
loader (``services/documents.py``) fills it from storage; the fields say where each figure comes from and
which EN 16931 business term (BT-/BG-) it carries, so a renderer maps it one to one.

Conventions:

* Amounts are :class:`~decimal.Decimal`, already rounded to the currency's minor unit by the engine.
  Unit prices and quantities keep their full precision.
* Signs are the engine's: a credit line has a negative unit price and negative amounts, its quantity
  stays positive. A credit note's own amounts are positive (document type 381 says it credits).
* ``Line.net_amount`` is after the line's own allowances and charges and *before* the document-level
  ones (``Document.allowances`` / ``charges``), which each carry one VAT category and rate. Whatever the
  engine allocated to lines (an invoice-level discount's share) the loader either leaves on the line as a
  line allowance or lifts to one document allowance per tax rate; both satisfy EN 16931's sums:
  ``Σ line net - allowances + charges = tax_exclusive``, and per (category, rate)
  ``taxable_amount = Σ line net - allowances + charges`` at that rate.
* For a line whose price includes tax (``Line.price_includes_tax``), ``unit_price``, ``subtotal_amount``
  and the line's allowances and charges are gross, as the customer saw them; ``net_amount`` is net of tax.
* The legal documents show the document *as issued*: ``Totals.prepaid`` is the credit applied at issue
  (BT-113) and ``Totals.amount_due`` = ``tax_inclusive - prepaid + rounding`` (BT-115). Payments recorded
  afterwards (``payments``, ``Totals.paid``) show on the hosted page only.

Filling it from the engine's figures (``core.calculate.InvoiceResult``, frozen at issue):

* ``Line.subtotal_amount`` = ``amounts.subtotal``; ``Line.tax_amount`` = ``amounts.tax``; the line's own
  adjustments (``LineResult.adjustments`` of line scope) become ``allowances`` (discounts) and
  ``charges`` (minimums), each a positive amount.
* Invoice- and group-level adjustments: keep each line's share as a line allowance (then
  ``Line.net_amount`` = ``amounts.net``), or lift them to ``Document.allowances`` as one allowance per
  (VAT category, rate), each the sum of the shares at that rate (then ``Line.net_amount`` =
  ``amounts.net`` + the line's share). Either way the tax summary's taxable amounts are unchanged.
* ``Document.tax_summary`` = :func:`vat_breakdown` of the engine's rows (one per category and rate).
* ``Totals``: ``line_total`` = Σ ``Line.net_amount``, ``tax`` = ``amounts.tax``, ``tax_inclusive`` =
  ``amounts.total``, ``prepaid`` = ``credits_applied``, ``amount_due`` = ``amount_due``, ``paid`` = the
  invoice's ``amountPaid``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from enum import StrEnum

from billfold.core.money import ZERO, Currency, add

DEFAULT_UNIT_CODE = "C62"  # UN/ECE Recommendation 20: "one" (a unit without dimension)


class DocumentKind(StrEnum):
    """What the document is, with its UNTDID 1001 type code (BT-3)."""

    INVOICE = "invoice"
    CREDIT_NOTE = "credit_note"

    @property
    def type_code(self) -> str:
        return "381" if self is DocumentKind.CREDIT_NOTE else "380"


class VatCategory(StrEnum):
    """UNCL 5305 VAT category codes EN 16931 accepts (BT-118, BT-151)."""

    STANDARD = "S"
    ZERO_RATED = "Z"
    EXEMPT = "E"
    REVERSE_CHARGE = "AE"
    INTRA_COMMUNITY = "K"  # intra-community supply, VAT not charged
    EXPORT = "G"  # free export item, VAT not charged
    NOT_SUBJECT = "O"  # services outside the scope of tax
    CANARY_IGIC = "L"
    CEUTA_MELILLA_IPSI = "M"


@dataclass(frozen=True, slots=True, kw_only=True)
class Address:
    """A postal address (BG-5 / BG-8). ``country`` is ISO 3166-1 alpha-2, ``subdivision`` the state or
    region as written on the address (BT-39 / BT-54)."""

    lines: tuple[str, ...] = ()
    city: str | None = None
    postal_code: str | None = None
    subdivision: str | None = None
    country: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Contact:
    """A party's contact (BG-6 / BG-9)."""

    name: str | None = None
    phone: str | None = None
    email: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ElectronicAddress:
    """Where the party receives e-invoices (BT-34 seller, BT-49 buyer): the identifier and its scheme from
    the EAS code list (``"0088"`` GLN, ``"9930"`` German VAT id, ``"EM"`` e-mail, ...)."""

    value: str
    scheme: str


@dataclass(frozen=True, slots=True, kw_only=True)
class PaymentAccount:
    """The seller's account the buyer pays to (BG-17): IBAN (BT-84), BIC (BT-86), name (BT-85)."""

    iban: str
    bic: str | None = None
    account_name: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Party:
    """Seller (BG-4, from the issuing account) or buyer (BG-7, from the customer), frozen at issue.

    ``name`` is the legal name (BT-27 / BT-44), ``trade_name`` BT-28 / BT-45, ``legal_registration_id``
    the company register number (BT-30 / BT-47), ``vat_id`` the VAT identifier with its country prefix
    (BT-31 / BT-48), ``tax_id`` a local tax registration number that is not a VAT id (BT-32, seller only).
    ``payment_account`` is used for the seller only."""

    name: str | None
    trade_name: str | None = None
    legal_registration_id: str | None = None
    vat_id: str | None = None
    tax_id: str | None = None
    address: Address = field(default_factory=Address)
    contact: Contact = field(default_factory=Contact)
    electronic_address: ElectronicAddress | None = None
    payment_account: PaymentAccount | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Period:
    """A service period, both dates inclusive (BG-14 / BG-26)."""

    start: date
    end: date


@dataclass(frozen=True, slots=True, kw_only=True)
class LineTax:
    """The tax a line (or a document allowance/charge) is charged at: Billfold's tax category id, its VAT
    category (``None`` when the category has none set: EN 16931 cannot carry the line), the rate in
    percent, and the exemption reason text and code (VATEX) for exempt-like categories."""

    tax_category_id: str | None
    vat_category: VatCategory | None
    rate: Decimal
    exemption_reason: str | None = None
    exemption_reason_code: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class AllowanceCharge:
    """A discount (allowance, ``charge=False``) or a surcharge such as a minimum top-up (``charge=True``).

    ``amount`` is positive (BT-92 / BT-99 / BT-136 / BT-141); ``percent`` and ``base_amount`` are given
    for a percentage discount; ``reason`` is the adjustment's name; ``reason_code`` UNCL 5189 (allowances)
    or UNCL 7161 (charges). ``tax`` is required on document level (BT-95 / BT-102) and unused on a line."""

    charge: bool = False
    amount: Decimal
    reason: str | None = None
    reason_code: str | None = None
    percent: Decimal | None = None
    base_amount: Decimal | None = None
    tax: LineTax | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class SubLine:
    """A share of a usage line (a tier, a package, a free-unit credit): shown, never summed by renderers."""

    name: str
    quantity: Decimal | None
    amount: Decimal


@dataclass(frozen=True, slots=True, kw_only=True)
class Line:
    """An invoice line (BG-25).

    ``subtotal_amount`` is the base (quantity × unit price, or the usage priced by its model), rounded;
    ``unit_price`` is the price shown (``None`` for a usage line with no single unit price).
    ``net_amount`` = subtotal − allowances + charges (BT-131), before document-level allowances.
    ``tax_amount`` is the line's share of its rate's tax, for display only (EN 16931 has no line tax)."""

    id: str
    name: str
    description: str | None = None
    quantity: Decimal
    unit_code: str = DEFAULT_UNIT_CODE
    unit_price: Decimal | None
    price_includes_tax: bool = False
    subtotal_amount: Decimal
    allowances: tuple[AllowanceCharge, ...] = ()
    charges: tuple[AllowanceCharge, ...] = ()
    net_amount: Decimal
    tax: LineTax | None
    tax_amount: Decimal = ZERO
    period: Period | None = None
    sub_lines: tuple[SubLine, ...] = ()

    @property
    def is_credit(self) -> bool:
        return self.subtotal_amount < 0 or (self.unit_price is not None and self.unit_price < 0)


@dataclass(frozen=True, slots=True, kw_only=True)
class Group:
    """A line item group: a heading over its lines (``name`` is ``None`` for the lines outside any group).
    ``net_amount`` is the engine's sum of its lines' net amounts (shown as the group total)."""

    id: str
    name: str | None
    lines: tuple[Line, ...]
    period: Period | None = None
    net_amount: Decimal


@dataclass(frozen=True, slots=True, kw_only=True)
class TaxSummaryRow:
    """One VAT breakdown row (BG-23) per (category, rate): taxable amount (BT-116), tax (BT-117),
    the category (BT-118), rate (BT-119) and exemption reason (BT-120 / BT-121)."""

    vat_category: VatCategory | None
    rate: Decimal
    taxable_amount: Decimal
    tax_amount: Decimal
    exemption_reason: str | None = None
    exemption_reason_code: str | None = None
    tax_category_id: str | None = None
    name: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Totals:
    """Document totals (BG-22) as the engine computed them.

    ``line_total`` Σ line net (BT-106); ``allowance_total`` / ``charge_total`` document level (BT-107 /
    BT-108); ``tax_exclusive`` (BT-109); ``tax`` (BT-110); ``tax_inclusive`` (BT-112); ``prepaid`` the
    credits applied at issue (BT-113); ``rounding`` (BT-114); ``amount_due`` at issue (BT-115).
    ``discount_total`` is every discount the customer got (line and document level), for display.
    ``paid`` is what payments recorded since issue sum to, less what was refunded of them, and
    ``credited`` what credit notes took off the invoice (refunded or taken off what remains to pay)
    (both hosted page only)."""

    line_total: Decimal
    allowance_total: Decimal = ZERO
    charge_total: Decimal = ZERO
    tax_exclusive: Decimal
    tax: Decimal
    tax_inclusive: Decimal
    prepaid: Decimal = ZERO
    rounding: Decimal = ZERO
    amount_due: Decimal
    paid: Decimal = ZERO
    credited: Decimal = ZERO
    discount_total: Decimal = ZERO

    @property
    def amount_remaining(self) -> Decimal:
        """What is still to pay after the payments recorded so far and the credit notes."""
        return add(self.amount_due, -self.paid, -self.credited)


@dataclass(frozen=True, slots=True, kw_only=True)
class Payment:
    """A payment recorded against the invoice (hosted page only)."""

    date: date
    amount: Decimal
    reference: str | None = None
    refund: bool = False
    """A refund of payments (``amount`` negative; ``reference`` the credit note that refunded)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Withholding:
    """Tax the customer withholds from the total (e.g. IRRF): EN 16931 cannot carry it."""

    name: str
    rate: Decimal
    amount: Decimal


@dataclass(frozen=True, slots=True, kw_only=True)
class PrecedingInvoice:
    """The invoice a credit note (or a corrective invoice) refers to (BG-3)."""

    number: str
    issue_date: date | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Delivery:
    """Actual delivery date (BT-72) and deliver-to country (BT-80); K (intra-community) needs them."""

    date: date | None = None
    country: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Document:
    """What an invoice and a credit note share. ``status`` is the lifecycle status (``draft``,
    ``in_review``, ``issued``, ``paid``, ``void``, ``canceled``; ``overdue`` when derived by the loader),
    ``number`` is ``None`` until issued, ``locale`` is BCP 47 (``"de"``, ``"pt-BR"``)."""

    id: str
    status: str
    number: str | None
    issue_date: date
    due_date: date | None = None
    period: Period | None = None
    currency: Currency
    locale: str = "en"
    seller: Party
    buyer: Party
    buyer_reference: str | None = None  # BT-10
    purchase_order: str | None = None  # BT-13
    preceding_invoice: PrecedingInvoice | None = None  # BG-3
    notes: tuple[str, ...] = ()  # BT-22 (memo)
    payment_terms: str | None = None  # BT-20
    groups: tuple[Group, ...]
    allowances: tuple[AllowanceCharge, ...] = ()  # BG-20
    charges: tuple[AllowanceCharge, ...] = ()  # BG-21
    tax_summary: tuple[TaxSummaryRow, ...]
    totals: Totals
    payments: tuple[Payment, ...] = ()
    withholdings: tuple[Withholding, ...] = ()
    delivery: Delivery | None = None

    kind: DocumentKind = DocumentKind.INVOICE

    @property
    def type_code(self) -> str:
        return self.kind.type_code

    @property
    def is_draft(self) -> bool:
        return self.number is None or self.status in {"draft", "in_review"}

    def lines(self) -> Iterator[Line]:
        """Every line, in group order."""
        for group in self.groups:
            yield from group.lines


@dataclass(frozen=True, slots=True, kw_only=True)
class InvoiceDocument(Document):
    """A commercial invoice (type code 380)."""

    kind: DocumentKind = DocumentKind.INVOICE


@dataclass(frozen=True, slots=True, kw_only=True)
class CreditNoteDocument(Document):
    """A credit note (type code 381) correcting the invoice in ``preceding_invoice`` (required)."""

    kind: DocumentKind = DocumentKind.CREDIT_NOTE

    def __post_init__(self) -> None:
        if self.preceding_invoice is None:
            raise ValueError("a credit note refers to the invoice it corrects (preceding_invoice)")


def vat_breakdown(rows: Iterable[TaxSummaryRow]) -> tuple[TaxSummaryRow, ...]:
    """One row per (VAT category, rate), as EN 16931 requires (BG-23): Billfold keys its tax summary by
    tax category and inclusiveness, so two categories at the same VAT category and rate (or an inclusive
    and an exclusive rate of 19 %) become one row whose amounts are the exact sums of theirs. The first
    row's exemption reason, name and id are kept. Order: first appearance."""
    merged: dict[tuple[VatCategory | None, Decimal], TaxSummaryRow] = {}
    for row in rows:
        key = (row.vat_category, row.rate)
        seen = merged.get(key)
        merged[key] = (
            row
            if seen is None
            else replace(
                seen,
                taxable_amount=add(seen.taxable_amount, row.taxable_amount),
                tax_amount=add(seen.tax_amount, row.tax_amount),
            )
        )
    return tuple(merged.values())
