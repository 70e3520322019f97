"""UN/CEFACT Cross Industry Invoice (CII D16B) for EN 16931: the XML inside Factur-X / ZUGFeRD.

:func:`render_cii` maps every amount from the document model (never recomputed; see
:mod:`~billfold.documents.einvoice` for how lines are mapped). The guideline (BT-24) is plain EN 16931,
``urn:cen.eu:en16931:2017``, which is also Factur-X's EN 16931 profile; the business process (BT-23) is
Peppol BIS Billing 3.0's. A document EN 16931 cannot express raises
:class:`~billfold.documents.einvoice.NotRepresentableError`.
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
from billfold.documents.model import AllowanceCharge, Document, LineTax, Party, Period

RSM = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
RAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
UDT = "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"
QDT = "urn:un:unece:uncefact:data:standard:QualifiedDataType:100"
NSMAP = {"rsm": RSM, "ram": RAM, "udt": UDT, "qdt": QDT}


def render_cii(doc: Document) -> bytes:
    """The CII D16B XML of ``doc`` (UTF-8 bytes)."""
    ensure_representable(doc)
    fmt = Formatter.for_document(doc.locale, doc.currency)
    root = etree.Element(f"{{{RSM}}}CrossIndustryInvoice", nsmap=NSMAP)
    context = _sub(root, "rsm:ExchangedDocumentContext")
    _sub(_sub(context, "ram:BusinessProcessSpecifiedDocumentContextParameter"), "ram:ID", PEPPOL_PROFILE_ID)
    _sub(_sub(context, "ram:GuidelineSpecifiedDocumentContextParameter"), "ram:ID", GUIDELINE_ID)
    header = _sub(root, "rsm:ExchangedDocument")
    _sub(header, "ram:ID", doc.number)
    _sub(header, "ram:TypeCode", doc.type_code)
    _date(_sub(header, "ram:IssueDateTime"), doc.issue_date)
    for note in doc.notes:
        _sub(_sub(header, "ram:IncludedNote"), "ram:Content", note)
    transaction = _sub(root, "rsm:SupplyChainTradeTransaction")
    for index, line in enumerate(doc.lines(), start=1):
        _line(transaction, index, einvoice_line(line, fmt), doc, fmt)
    _agreement(transaction, doc)
    _delivery(transaction, doc)
    _settlement(transaction, doc, fmt)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


def _sub(parent: etree._Element, tag: str, text: str | None = None, **attrs: str) -> etree._Element:
    prefix, local = tag.split(":")
    element = etree.SubElement(parent, f"{{{NSMAP[prefix]}}}{local}", attrs)
    if text is not None:
        element.text = text
    return element


def _date(parent: etree._Element, value: date, prefix: str = "udt") -> None:
    _sub(parent, f"{prefix}:DateTimeString", value.strftime("%Y%m%d"), format="102")


def _period(parent: etree._Element, period: Period | None) -> None:
    if period is None:
        return
    element = _sub(parent, "ram:BillingSpecifiedPeriod")
    _date(_sub(element, "ram:StartDateTime"), period.start)
    _date(_sub(element, "ram:EndDateTime"), period.end)


def _tax(parent: etree._Element, tax: LineTax, tag: str = "ram:ApplicableTradeTax") -> None:
    element = _sub(parent, tag)
    _sub(element, "ram:TypeCode", "VAT")
    _sub(element, "ram:CategoryCode", str(tax.vat_category))
    rate = rate_text(tax.vat_category, tax.rate)
    if rate is not None:
        _sub(element, "ram:RateApplicablePercent", rate)


def _allowance(parent: etree._Element, item: AllowanceCharge, exponent: int, fmt: Formatter) -> None:
    element = _sub(parent, "ram:SpecifiedTradeAllowanceCharge")
    _sub(_sub(element, "ram:ChargeIndicator"), "udt:Indicator", "true" if item.charge else "false")
    _sub(element, "ram:ActualAmount", amount(item.amount, exponent))
    _sub(element, "ram:ReasonCode", reason_code(item))
    _sub(element, "ram:Reason", reason_text(item, fmt))
    if item.tax is not None:
        _tax(element, item.tax, "ram:CategoryTradeTax")


def _line(parent: etree._Element, index: int, item: EInvoiceLine, doc: Document, fmt: Formatter) -> None:
    exponent = doc.currency.exponent
    element = _sub(parent, "ram:IncludedSupplyChainTradeLineItem")
    document = _sub(element, "ram:AssociatedDocumentLineDocument")
    _sub(document, "ram:LineID", str(index))
    if item.note:
        _sub(_sub(document, "ram:IncludedNote"), "ram:Content", item.note)
    product = _sub(element, "ram:SpecifiedTradeProduct")
    _sub(product, "ram:Name", item.line.name)
    agreement = _sub(element, "ram:SpecifiedLineTradeAgreement")
    _sub(_sub(agreement, "ram:NetPriceProductTradePrice"), "ram:ChargeAmount", plain(item.price))
    delivery = _sub(element, "ram:SpecifiedLineTradeDelivery")
    _sub(delivery, "ram:BilledQuantity", plain(item.quantity), unitCode=line_unit_code(item))
    settlement = _sub(element, "ram:SpecifiedLineTradeSettlement")
    _tax(settlement, item.tax)
    _period(settlement, item.line.period)
    for allowance in (*item.allowances, *item.charges):
        _allowance(settlement, allowance, exponent, fmt)
    summation = _sub(settlement, "ram:SpecifiedTradeSettlementLineMonetarySummation")
    _sub(summation, "ram:LineTotalAmount", amount(item.line.net_amount, exponent))


def _party(parent: etree._Element, tag: str, party: Party, vat: str | None, seller: bool) -> None:
    element = _sub(parent, tag)
    _sub(element, "ram:Name", party.name)
    if party.legal_registration_id or party.trade_name:
        legal = _sub(element, "ram:SpecifiedLegalOrganization")
        if party.legal_registration_id:
            _sub(legal, "ram:ID", party.legal_registration_id)
        if party.trade_name:
            _sub(legal, "ram:TradingBusinessName", party.trade_name)
    contact = party.contact
    if contact.name or contact.phone or contact.email:
        element_contact = _sub(element, "ram:DefinedTradeContact")
        if contact.name:
            _sub(element_contact, "ram:PersonName", contact.name)
        if contact.phone:
            _sub(
                _sub(element_contact, "ram:TelephoneUniversalCommunication"),
                "ram:CompleteNumber",
                contact.phone,
            )
        if contact.email:
            _sub(_sub(element_contact, "ram:EmailURIUniversalCommunication"), "ram:URIID", contact.email)
    _address(element, party)
    if party.electronic_address is not None:
        uri = _sub(element, "ram:URIUniversalCommunication")
        _sub(uri, "ram:URIID", party.electronic_address.value, schemeID=party.electronic_address.scheme)
    if vat:
        _sub(_sub(element, "ram:SpecifiedTaxRegistration"), "ram:ID", vat, schemeID="VA")
    if seller and party.tax_id:
        _sub(_sub(element, "ram:SpecifiedTaxRegistration"), "ram:ID", party.tax_id, schemeID="FC")


def _address(parent: etree._Element, party: Party) -> None:
    address = party.address
    element = _sub(parent, "ram:PostalTradeAddress")
    if address.postal_code:
        _sub(element, "ram:PostcodeCode", address.postal_code)
    for tag, text in zip(("ram:LineOne", "ram:LineTwo", "ram:LineThree"), address.lines[:3], strict=False):
        _sub(element, tag, text)
    if address.city:
        _sub(element, "ram:CityName", address.city)
    _sub(element, "ram:CountryID", address.country)
    if address.subdivision:
        _sub(element, "ram:CountrySubDivisionName", address.subdivision)


def _agreement(parent: etree._Element, doc: Document) -> None:
    element = _sub(parent, "ram:ApplicableHeaderTradeAgreement")
    if doc.buyer_reference or doc.purchase_order:
        _sub(element, "ram:BuyerReference", doc.buyer_reference or doc.purchase_order)
    _party(element, "ram:SellerTradeParty", doc.seller, vat_id(doc, doc.seller), True)
    _party(element, "ram:BuyerTradeParty", doc.buyer, vat_id(doc, doc.buyer), False)
    if doc.purchase_order:
        _sub(_sub(element, "ram:BuyerOrderReferencedDocument"), "ram:IssuerAssignedID", doc.purchase_order)


def _delivery(parent: etree._Element, doc: Document) -> None:
    element = _sub(parent, "ram:ApplicableHeaderTradeDelivery")
    delivery = doc.delivery
    if delivery is None:
        return
    if delivery.country:
        ship_to = _sub(element, "ram:ShipToTradeParty")
        _sub(_sub(ship_to, "ram:PostalTradeAddress"), "ram:CountryID", delivery.country)
    if delivery.date:
        _date(
            _sub(_sub(element, "ram:ActualDeliverySupplyChainEvent"), "ram:OccurrenceDateTime"), delivery.date
        )


def _settlement(parent: etree._Element, doc: Document, fmt: Formatter) -> None:
    exponent = doc.currency.exponent
    element = _sub(parent, "ram:ApplicableHeaderTradeSettlement")
    if doc.number:
        _sub(element, "ram:PaymentReference", doc.number)
    _sub(element, "ram:InvoiceCurrencyCode", doc.currency.code)
    account = doc.seller.payment_account
    if account is not None:
        means = _sub(element, "ram:SpecifiedTradeSettlementPaymentMeans")
        _sub(means, "ram:TypeCode", payment_means_code(doc))
        creditor = _sub(means, "ram:PayeePartyCreditorFinancialAccount")
        _sub(creditor, "ram:IBANID", account.iban)
        if account.account_name:
            _sub(creditor, "ram:AccountName", account.account_name)
        if account.bic:
            _sub(_sub(means, "ram:PayeeSpecifiedCreditorFinancialInstitution"), "ram:BICID", account.bic)
    for row in doc.tax_summary:
        tax = _sub(element, "ram:ApplicableTradeTax")
        _sub(tax, "ram:CalculatedAmount", amount(row.tax_amount, exponent))
        _sub(tax, "ram:TypeCode", "VAT")
        reason, code = exemption(row.vat_category, row.exemption_reason, row.exemption_reason_code)
        if reason:
            _sub(tax, "ram:ExemptionReason", reason)
        _sub(tax, "ram:BasisAmount", amount(row.taxable_amount, exponent))
        _sub(tax, "ram:CategoryCode", str(row.vat_category))
        if code:
            _sub(tax, "ram:ExemptionReasonCode", code)
        rate = rate_text(row.vat_category, row.rate)
        if rate is not None:
            _sub(tax, "ram:RateApplicablePercent", rate)
    _period(element, doc.period)
    for item in (*doc.allowances, *doc.charges):
        _allowance(element, item, exponent, fmt)
    if doc.payment_terms or doc.due_date:
        terms = _sub(element, "ram:SpecifiedTradePaymentTerms")
        if doc.payment_terms:
            _sub(terms, "ram:Description", doc.payment_terms)
        if doc.due_date:
            _date(_sub(terms, "ram:DueDateDateTime"), doc.due_date)
    _summation(element, doc)
    if doc.preceding_invoice is not None:
        reference = _sub(element, "ram:InvoiceReferencedDocument")
        _sub(reference, "ram:IssuerAssignedID", doc.preceding_invoice.number)
        if doc.preceding_invoice.issue_date:
            _date(_sub(reference, "ram:FormattedIssueDateTime"), doc.preceding_invoice.issue_date, "qdt")


def _summation(parent: etree._Element, doc: Document) -> None:
    t, exponent = doc.totals, doc.currency.exponent
    element = _sub(parent, "ram:SpecifiedTradeSettlementHeaderMonetarySummation")
    figures: list[tuple[str, Decimal, dict[str, str]]] = [
        ("ram:LineTotalAmount", t.line_total, {}),
        ("ram:ChargeTotalAmount", t.charge_total, {}),
        ("ram:AllowanceTotalAmount", t.allowance_total, {}),
        ("ram:TaxBasisTotalAmount", t.tax_exclusive, {}),
        ("ram:TaxTotalAmount", t.tax, {"currencyID": doc.currency.code}),
        ("ram:RoundingAmount", t.rounding, {}),
        ("ram:GrandTotalAmount", t.tax_inclusive, {}),
        ("ram:TotalPrepaidAmount", t.prepaid, {}),
        ("ram:DuePayableAmount", t.amount_due, {}),
    ]
    for tag, value, attrs in figures:
        if tag == "ram:RoundingAmount" and value == 0:
            continue
        _sub(element, tag, amount(value, exponent), **attrs)
