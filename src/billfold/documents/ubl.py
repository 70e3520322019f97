"""OASIS UBL 2.1 Invoice and CreditNote for EN 16931.

:func:`render_ubl` maps every amount from the document model (never recomputed; see
:mod:`~billfold.documents.einvoice` for how lines are mapped). The customization (BT-24) is plain EN 16931,
``urn:cen.eu:en16931:2017``; the profile (BT-23) is Peppol BIS Billing 3.0's, and the file carries what
Peppol adds where the model has it (electronic addresses BT-34/BT-49, the buyer reference BT-10, falling
back to the purchase order). A Peppol access point wants the Peppol customization id
(``urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0``) and BT-34/BT-49 always;
Billfold keeps EN 16931's id, which every EN 16931 receiver accepts. A credit note has no ``DueDate``
element: its due date goes into the payment means (BT-9 in UBL's credit note binding).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from lxml import etree

from billfold.documents.einvoice import (
    GUIDELINE_ID,
    PEPPOL_PROFILE_ID,
    EInvoiceLine,
    amount,
    einvoice_line,
    ensure_representable,
    exemption,
    line_unit_code,
    payment_means_code,
    plain,
    rate_text,
    reason_code,
    reason_text,
    vat_id,
)
from billfold.documents.i18n import Formatter
from billfold.documents.model import AllowanceCharge, Document, DocumentKind, Party, Period, VatCategory

INVOICE_NS = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
CREDIT_NOTE_NS = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
PREFIXES = {"cac": CAC, "cbc": CBC}


class _Builder:
    """Element helpers bound to one document's currency."""

    def __init__(self, doc: Document) -> None:
        self.currency = doc.currency.code
        self.exponent = doc.currency.exponent

    def sub(self, parent: etree._Element, tag: str, text: str | None = None, **attrs: str) -> etree._Element:
        prefix, local = tag.split(":")
        element = etree.SubElement(parent, f"{{{PREFIXES[prefix]}}}{local}", attrs)
        if text is not None:
            element.text = text
        return element

    def money(self, parent: etree._Element, tag: str, value: Decimal) -> None:
        self.sub(parent, tag, amount(value, self.exponent), currencyID=self.currency)

    def day(self, parent: etree._Element, tag: str, value: date) -> None:
        self.sub(parent, tag, value.isoformat())


def render_ubl(doc: Document) -> bytes:
    """The UBL 2.1 XML of ``doc``: an ``Invoice``, or a ``CreditNote`` for a credit note (UTF-8 bytes)."""
    ensure_representable(doc)
    fmt = Formatter.for_document(doc.locale, doc.currency)
    credit = doc.kind is DocumentKind.CREDIT_NOTE
    ns = CREDIT_NOTE_NS if credit else INVOICE_NS
    nsmap: dict[str | None, str] = {None: ns, "cac": CAC, "cbc": CBC}
    root = etree.Element(f"{{{ns}}}{'CreditNote' if credit else 'Invoice'}", nsmap=nsmap)
    b = _Builder(doc)
    b.sub(root, "cbc:CustomizationID", GUIDELINE_ID)
    b.sub(root, "cbc:ProfileID", PEPPOL_PROFILE_ID)
    b.sub(root, "cbc:ID", doc.number)
    b.day(root, "cbc:IssueDate", doc.issue_date)
    if doc.due_date and not credit:
        b.day(root, "cbc:DueDate", doc.due_date)
    b.sub(root, "cbc:CreditNoteTypeCode" if credit else "cbc:InvoiceTypeCode", doc.type_code)
    if doc.notes:
        b.sub(root, "cbc:Note", "\n".join(doc.notes))
    b.sub(root, "cbc:DocumentCurrencyCode", doc.currency.code)
    if doc.buyer_reference or doc.purchase_order:
        b.sub(root, "cbc:BuyerReference", doc.buyer_reference or doc.purchase_order)
    _period(b, root, doc.period)
    if doc.purchase_order:
        b.sub(b.sub(root, "cac:OrderReference"), "cbc:ID", doc.purchase_order)
    if doc.preceding_invoice is not None:
        reference = b.sub(b.sub(root, "cac:BillingReference"), "cac:InvoiceDocumentReference")
        b.sub(reference, "cbc:ID", doc.preceding_invoice.number)
        if doc.preceding_invoice.issue_date:
            b.day(reference, "cbc:IssueDate", doc.preceding_invoice.issue_date)
    _party(b, b.sub(root, "cac:AccountingSupplierParty"), doc.seller, vat_id(doc, doc.seller), seller=True)
    _party(b, b.sub(root, "cac:AccountingCustomerParty"), doc.buyer, vat_id(doc, doc.buyer), seller=False)
    _delivery(b, root, doc)
    _payment(b, root, doc, credit)
    for item in (*doc.allowances, *doc.charges):
        _allowance(b, root, item, fmt)
    _taxes(b, root, doc)
    _totals(b, root, doc)
    for index, line in enumerate(doc.lines(), start=1):
        _line(b, root, index, einvoice_line(line, fmt), fmt, credit)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


def _period(b: _Builder, parent: etree._Element, period: Period | None) -> None:
    if period is None:
        return
    element = b.sub(parent, "cac:InvoicePeriod")
    b.day(element, "cbc:StartDate", period.start)
    b.day(element, "cbc:EndDate", period.end)


def _tax_category(
    b: _Builder,
    parent: etree._Element,
    tag: str,
    category: VatCategory | None,
    rate: Decimal,
    reason: tuple[str | None, str | None] = (None, None),
) -> None:
    element = b.sub(parent, tag)
    b.sub(element, "cbc:ID", str(category))
    rate_value = rate_text(category, rate)
    if rate_value is not None:
        b.sub(element, "cbc:Percent", rate_value)
    text, code = reason
    if code:
        b.sub(element, "cbc:TaxExemptionReasonCode", code)
    if text:
        b.sub(element, "cbc:TaxExemptionReason", text)
    b.sub(b.sub(element, "cac:TaxScheme"), "cbc:ID", "VAT")


def _party(b: _Builder, parent: etree._Element, party: Party, vat: str | None, *, seller: bool) -> None:
    element = b.sub(parent, "cac:Party")
    if party.electronic_address is not None:
        b.sub(
            element,
            "cbc:EndpointID",
            party.electronic_address.value,
            schemeID=party.electronic_address.scheme,
        )
    if party.trade_name:
        b.sub(b.sub(element, "cac:PartyName"), "cbc:Name", party.trade_name)
    _address(b, element, party)
    if vat:
        scheme = b.sub(element, "cac:PartyTaxScheme")
        b.sub(scheme, "cbc:CompanyID", vat)
        b.sub(b.sub(scheme, "cac:TaxScheme"), "cbc:ID", "VAT")
    if seller and party.tax_id:
        scheme = b.sub(element, "cac:PartyTaxScheme")
        b.sub(scheme, "cbc:CompanyID", party.tax_id)
        b.sub(b.sub(scheme, "cac:TaxScheme"), "cbc:ID", "FC")
    legal = b.sub(element, "cac:PartyLegalEntity")
    b.sub(legal, "cbc:RegistrationName", party.name)
    if party.legal_registration_id:
        b.sub(legal, "cbc:CompanyID", party.legal_registration_id)
    contact = party.contact
    if contact.name or contact.phone or contact.email:
        element_contact = b.sub(element, "cac:Contact")
        for tag, text in (
            ("cbc:Name", contact.name),
            ("cbc:Telephone", contact.phone),
            ("cbc:ElectronicMail", contact.email),
        ):
            if text:
                b.sub(element_contact, tag, text)


def _address(b: _Builder, parent: etree._Element, party: Party) -> None:
    address = party.address
    element = b.sub(parent, "cac:PostalAddress")
    lines = address.lines
    if lines:
        b.sub(element, "cbc:StreetName", lines[0])
    if len(lines) > 1:
        b.sub(element, "cbc:AdditionalStreetName", lines[1])
    if address.city:
        b.sub(element, "cbc:CityName", address.city)
    if address.postal_code:
        b.sub(element, "cbc:PostalZone", address.postal_code)
    if address.subdivision:
        b.sub(element, "cbc:CountrySubentity", address.subdivision)
    if len(lines) > 2:
        b.sub(b.sub(element, "cac:AddressLine"), "cbc:Line", lines[2])
    b.sub(b.sub(element, "cac:Country"), "cbc:IdentificationCode", address.country)


def _delivery(b: _Builder, parent: etree._Element, doc: Document) -> None:
    delivery = doc.delivery
    if delivery is None or not (delivery.date or delivery.country):
        return
    element = b.sub(parent, "cac:Delivery")
    if delivery.date:
        b.day(element, "cbc:ActualDeliveryDate", delivery.date)
    if delivery.country:
        address = b.sub(b.sub(element, "cac:DeliveryLocation"), "cac:Address")
        b.sub(b.sub(address, "cac:Country"), "cbc:IdentificationCode", delivery.country)


def _payment(b: _Builder, parent: etree._Element, doc: Document, credit: bool) -> None:
    account = doc.seller.payment_account
    if account is not None:
        means = b.sub(parent, "cac:PaymentMeans")
        b.sub(means, "cbc:PaymentMeansCode", payment_means_code(doc))
        if credit and doc.due_date:
            b.day(means, "cbc:PaymentDueDate", doc.due_date)
        if doc.number:
            b.sub(means, "cbc:PaymentID", doc.number)
        payee = b.sub(means, "cac:PayeeFinancialAccount")
        b.sub(payee, "cbc:ID", account.iban)
        if account.account_name:
            b.sub(payee, "cbc:Name", account.account_name)
        if account.bic:
            b.sub(b.sub(payee, "cac:FinancialInstitutionBranch"), "cbc:ID", account.bic)
    if doc.payment_terms:
        b.sub(b.sub(parent, "cac:PaymentTerms"), "cbc:Note", doc.payment_terms)


def _allowance(b: _Builder, parent: etree._Element, item: AllowanceCharge, fmt: Formatter) -> None:
    element = b.sub(parent, "cac:AllowanceCharge")
    b.sub(element, "cbc:ChargeIndicator", "true" if item.charge else "false")
    b.sub(element, "cbc:AllowanceChargeReasonCode", reason_code(item))
    b.sub(element, "cbc:AllowanceChargeReason", reason_text(item, fmt))
    b.money(element, "cbc:Amount", item.amount)
    if item.tax is not None:
        _tax_category(b, element, "cac:TaxCategory", item.tax.vat_category, item.tax.rate)


def _taxes(b: _Builder, parent: etree._Element, doc: Document) -> None:
    total = b.sub(parent, "cac:TaxTotal")
    b.money(total, "cbc:TaxAmount", doc.totals.tax)
    for row in doc.tax_summary:
        subtotal = b.sub(total, "cac:TaxSubtotal")
        b.money(subtotal, "cbc:TaxableAmount", row.taxable_amount)
        b.money(subtotal, "cbc:TaxAmount", row.tax_amount)
        reason = exemption(row.vat_category, row.exemption_reason, row.exemption_reason_code)
        _tax_category(b, subtotal, "cac:TaxCategory", row.vat_category, row.rate, reason)


def _totals(b: _Builder, parent: etree._Element, doc: Document) -> None:
    t = doc.totals
    element = b.sub(parent, "cac:LegalMonetaryTotal")
    b.money(element, "cbc:LineExtensionAmount", t.line_total)
    b.money(element, "cbc:TaxExclusiveAmount", t.tax_exclusive)
    b.money(element, "cbc:TaxInclusiveAmount", t.tax_inclusive)
    if doc.allowances:
        b.money(element, "cbc:AllowanceTotalAmount", t.allowance_total)
    if doc.charges:
        b.money(element, "cbc:ChargeTotalAmount", t.charge_total)
    if t.prepaid:
        b.money(element, "cbc:PrepaidAmount", t.prepaid)
    if t.rounding:
        b.money(element, "cbc:PayableRoundingAmount", t.rounding)
    b.money(element, "cbc:PayableAmount", t.amount_due)


def _line(
    b: _Builder, parent: etree._Element, index: int, item: EInvoiceLine, fmt: Formatter, credit: bool
) -> None:
    line = item.line
    element = b.sub(parent, "cac:CreditNoteLine" if credit else "cac:InvoiceLine")
    b.sub(element, "cbc:ID", str(index))
    if item.note:
        b.sub(element, "cbc:Note", item.note)
    quantity_tag = "cbc:CreditedQuantity" if credit else "cbc:InvoicedQuantity"
    b.sub(element, quantity_tag, plain(item.quantity), unitCode=line_unit_code(item))
    b.money(element, "cbc:LineExtensionAmount", line.net_amount)
    _period(b, element, line.period)
    for allowance in (*item.allowances, *item.charges):
        charge = b.sub(element, "cac:AllowanceCharge")
        b.sub(charge, "cbc:ChargeIndicator", "true" if allowance.charge else "false")
        b.sub(charge, "cbc:AllowanceChargeReasonCode", reason_code(allowance))
        b.sub(charge, "cbc:AllowanceChargeReason", reason_text(allowance, fmt))
        b.money(charge, "cbc:Amount", allowance.amount)
    product = b.sub(element, "cac:Item")
    b.sub(product, "cbc:Name", line.name)
    _tax_category(b, product, "cac:ClassifiedTaxCategory", item.tax.vat_category, item.tax.rate)
    b.sub(b.sub(element, "cac:Price"), "cbc:PriceAmount", plain(item.price), currencyID=b.currency)
