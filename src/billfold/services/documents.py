"""The one loader of documents: an invoice as :class:`billfold.documents.model.InvoiceDocument`, built from
storage with the figures the engine computed, for every renderer (PDF, hosted page, UBL, CII).

* Figures: :func:`billfold.services.invoices.load_invoice` (the same read ``GET /v1/invoices/{id}``
  answers): an issued invoice's figures frozen at issue, a draft's calculated afresh. Nothing is
  recomputed here; the taxes per rate are the invoice's tax summary.
* Parties: an issued invoice's seller and buyer are the details copied into it at issue
  (:func:`freeze_parties`, the ``parties`` column, snake_case JSON), so editing the customer or the
  issuing account later changes no issued document; a draft (and an invoice issued before migration
  0011, which has no copy) shows them as they are now. The seller is
  the invoice's issuing account; the buyer its payment account (the billed name, address and tax id)
  with the customer's electronic address and language.
* Discounts become EN 16931 allowances on the line they reduce: a line's own adjustments and its share
  of every group- and invoice-level adjustment (signed shares: a negative share is an allowance, a
  positive one, such as a minimum, a charge), so ``Line.net_amount`` is the engine's net and the VAT
  breakdown's taxable amounts are the tax summary's.
* VAT category: the rate's ``vatCategory`` in its tax category (default S above 0, Z at 0); a line
  without a tax category carries none, and the e-invoice is refused naming it.
* Credits applied at issue are the prepaid amount (BT-113); payments show on the hosted page only.
"""

from __future__ import annotations

import re
import secrets
import uuid
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from billfold.core.money import RoundingMode, add
from billfold.core.taxes import TaxKey
from billfold.db import models as m
from billfold.db.invoice_lifecycle import ToIssue
from billfold.db.uow import UnitOfWork
from billfold.documents.model import (
    Address,
    AllowanceCharge,
    Contact,
    Delivery,
    Document,
    ElectronicAddress,
    Group,
    InvoiceDocument,
    Line,
    LineTax,
    Party,
    Payment,
    PaymentAccount,
    Period,
    SubLine,
    TaxSummaryRow,
    Totals,
    VatCategory,
    Withholding,
    vat_breakdown,
)
from billfold.services.calculation import line_tax_key
from billfold.services.context import Actor
from billfold.services.document_data import vat_category_for
from billfold.services.errors import Conflict, NotFound
from billfold.services.invoice_records import figures_of
from billfold.services.invoices import InvoiceView, LineData, load_invoice

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
UNISSUED = frozenset({"draft", "in_review", "canceled"})
TOKEN_BYTES = 24  # 192 random bits


def new_hosted_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


# -- parties ----------------------------------------------------------------------------------------


def _address(row: Any) -> Address:
    street = " ".join(part for part in (row.street, row.number) if part)
    lines = tuple(part for part in (street, row.complement, row.neighborhood) if part)
    return Address(
        lines=lines, city=row.city, postal_code=row.zip_code, subdivision=row.state, country=row.country
    )


def _is_vat(tax_id_type: str | None) -> bool:
    return bool(tax_id_type) and str(tax_id_type).endswith("_vat")


def seller_of(account: m.IssuingAccount) -> Party:
    name = account.business_name or account.trade_name
    vat_id = account.vat_id or (account.tax_id if _is_vat(account.tax_id_type) else None)
    electronic = None
    if account.electronic_address and account.electronic_address_scheme:
        electronic = ElectronicAddress(
            value=account.electronic_address, scheme=account.electronic_address_scheme
        )
    return Party(
        name=name,
        trade_name=account.trade_name if account.trade_name != name else None,
        legal_registration_id=account.legal_registration_id,
        vat_id=vat_id,
        tax_id=None if _is_vat(account.tax_id_type) else account.tax_id,
        address=_address(account),
        contact=Contact(
            name=account.contact_name,
            phone=account.contact_phone,
            email=account.contact_email or next(iter(account.emails or []), None),
        ),
        electronic_address=electronic,
        payment_account=PaymentAccount(iban=account.iban, bic=account.bic, account_name=name)
        if account.iban
        else None,
    )


def buyer_of(customer: m.Customer, billed: m.PaymentAccount | None) -> Party:
    details: Any = billed or customer
    name = details.business_name or details.trade_name or customer.name
    is_vat = _is_vat(details.tax_id_type)
    electronic = None
    if customer.electronic_address and customer.electronic_address_scheme:
        electronic = ElectronicAddress(
            value=customer.electronic_address, scheme=customer.electronic_address_scheme
        )
    return Party(
        name=name,
        trade_name=details.trade_name if details.trade_name not in (None, name) else None,
        legal_registration_id=None if is_vat else details.tax_id,
        vat_id=details.tax_id if is_vat else None,
        address=_address(details),
        contact=Contact(email=next(iter(details.emails or customer.emails or []), None)),
        electronic_address=electronic,
    )


def party_json(party: Party) -> dict[str, Any]:
    """A party as stored in ``invoices.parties`` (snake_case, plain JSON)."""
    a, c, e, p = party.address, party.contact, party.electronic_address, party.payment_account
    return {
        "name": party.name,
        "trade_name": party.trade_name,
        "legal_registration_id": party.legal_registration_id,
        "vat_id": party.vat_id,
        "tax_id": party.tax_id,
        "address": {
            "lines": list(a.lines),
            "city": a.city,
            "postal_code": a.postal_code,
            "subdivision": a.subdivision,
            "country": a.country,
        },
        "contact": {"name": c.name, "phone": c.phone, "email": c.email},
        "electronic_address": None if e is None else {"value": e.value, "scheme": e.scheme},
        "payment_account": None
        if p is None
        else {"iban": p.iban, "bic": p.bic, "account_name": p.account_name},
    }


def party_from_json(raw: Mapping[str, Any]) -> Party:
    a, c, e, p = raw["address"], raw["contact"], raw.get("electronic_address"), raw.get("payment_account")
    return Party(
        name=raw.get("name"),
        trade_name=raw.get("trade_name"),
        legal_registration_id=raw.get("legal_registration_id"),
        vat_id=raw.get("vat_id"),
        tax_id=raw.get("tax_id"),
        address=Address(
            lines=tuple(a.get("lines") or ()),
            city=a.get("city"),
            postal_code=a.get("postal_code"),
            subdivision=a.get("subdivision"),
            country=a.get("country"),
        ),
        contact=Contact(name=c.get("name"), phone=c.get("phone"), email=c.get("email")),
        electronic_address=None if e is None else ElectronicAddress(value=e["value"], scheme=e["scheme"]),
        payment_account=None
        if p is None
        else PaymentAccount(iban=p["iban"], bic=p.get("bic"), account_name=p.get("account_name")),
    )


async def live_parties(
    uow: UnitOfWork,
    actor: Actor,
    invoice: m.Invoice,
    read: ToIssue | None = None,
) -> dict[str, Any]:
    """The seller, buyer and locale as they are now (what :func:`freeze_parties` copies at issue);
    ``read``: the invoice's issuing account, customer, billed payment account and organization, when
    the caller read them already in this transaction (issuing does, with the invoice)."""
    org = actor.organization_id
    if read is None:
        account = await uow.repo.get(m.IssuingAccount, org, invoice.issuing_account_id)
        customer = await uow.repo.get(m.Customer, org, invoice.customer_id)
        billed = await uow.repo.get(m.PaymentAccount, org, invoice.payment_account_id)
        organization = await uow.repo.organization(org)
    else:
        account, customer, billed, organization = read.account, read.customer, read.billed, read.organization
    if account is None or customer is None:
        raise Conflict("the invoice's issuing account or customer is gone", code="missing_account")
    return {
        "seller": party_json(seller_of(account)),
        "buyer": party_json(buyer_of(customer, billed)),
        "locale": customer.locale or organization.locale or "en",
    }


async def freeze_parties(uow: UnitOfWork, actor: Actor, invoice: m.Invoice) -> None:
    """At issue: copy the seller's and buyer's details into the invoice and give it its hosted token."""
    values: dict[str, Any] = {"parties": await live_parties(uow, actor, invoice)}
    if invoice.hosted_token is None:
        values["hosted_token"] = new_hosted_token()
    await uow.repo.write_values(invoice, values)


# -- lines and taxes --------------------------------------------------------------------------------


def _rate_fields(
    rates: Iterable[Mapping[str, Any]], rate: Decimal, inclusive: bool, country: str | None
) -> Any:
    """The stored rate matching a line's resolved key: same rate and inclusiveness, the buyer's
    country's first."""
    matches = [
        r for r in rates if Decimal(str(r["rate"])) == rate and bool(r.get("inclusive", False)) == inclusive
    ]
    for candidate in matches:
        if candidate.get("country") == country:
            return candidate
    return next((r for r in matches if r.get("country") is None), matches[0] if matches else {})


class TaxLookup:
    """A line's :class:`LineTax` from its resolved rate (category, percent, inclusive)."""

    def __init__(self, categories: Iterable[Any], country: str | None) -> None:
        self._rates = {str(row.id): (row.name, list(row.rates or [])) for row in categories}
        self._country = country
        self._cache: dict[tuple[str, Decimal, bool], tuple[LineTax, str | None]] = {}

    def __call__(self, key: TaxKey | None) -> tuple[LineTax | None, str | None]:
        """(tax, category name); ``(None, None)`` for an untaxed line."""
        if key is None:
            return None, None
        cache_key = (key.tax_category_id, key.rate, key.inclusive)
        hit = self._cache.get(cache_key)
        if hit is None:
            name, rates = self._rates.get(key.tax_category_id, (None, []))
            fields = _rate_fields(rates, key.rate, key.inclusive, self._country)
            tax = LineTax(
                tax_category_id=key.tax_category_id,
                vat_category=VatCategory(vat_category_for(key.rate, fields.get("vatCategory"))),
                rate=key.rate,
                exemption_reason=fields.get("exemptionReason"),
                exemption_reason_code=fields.get("exemptionReasonCode"),
            )
            hit = (tax, name)
            self._cache[cache_key] = hit
        return hit


def _sub_lines(raw: list[dict[str, Any]] | None) -> tuple[SubLine, ...]:
    return tuple(
        SubLine(
            name=str(item.get("name") or item.get("type") or ""),
            quantity=None if item.get("usage") in (None, "") else Decimal(str(item["usage"])),
            amount=Decimal(str(item.get("amount") or "0")),
        )
        for item in raw or []
    )


def _adjustments(shares: list[dict[str, Any]] | None) -> tuple[tuple[AllowanceCharge, ...], ...]:
    allowances: list[AllowanceCharge] = []
    charges: list[AllowanceCharge] = []
    for share in shares or []:
        amount = Decimal(str(share["amount"]))
        if amount < 0:
            allowances.append(AllowanceCharge(amount=-amount, reason=share.get("name") or None))
        elif amount > 0:
            charges.append(AllowanceCharge(charge=True, amount=amount, reason=share.get("name") or None))
    return tuple(allowances), tuple(charges)


def line_of(row: LineData, taxes: TaxLookup) -> Line:
    key = line_tax_key(row)
    tax, _ = taxes(key)
    inclusive = key is not None and key.inclusive
    allowances, charges = _adjustments(row.adjustment_shares)
    usage = row.pricing == "price"
    quantity = (row.total_usage if row.total_usage is not None else Decimal(1)) if usage else row.quantity
    return Line(
        id=str(row.id),
        name=row.name,
        description=row.description,
        quantity=quantity,
        unit_code=getattr(row, "unit_code", None) or "C62",
        unit_price=None if usage else row.unit_price,
        price_includes_tax=inclusive,
        subtotal_amount=row.subtotal_amount,
        allowances=allowances,
        charges=charges,
        net_amount=row.net_amount,
        tax=tax,
        tax_amount=row.tax_amount,
        period=Period(start=row.start_date, end=row.end_date),
        sub_lines=_sub_lines(row.sub_lines),
    )


def _groups(view: InvoiceView, taxes: TaxLookup) -> tuple[Group, ...]:
    groups = [
        Group(
            id=str(group.id),
            name=group.name,
            lines=tuple(line_of(row, taxes) for row in view.lines_of(group.id)),
            period=Period(start=group.start_date, end=group.end_date),
            net_amount=group.net_amount,
        )
        for group in view.groups
    ]
    standalone = tuple(line_of(row, taxes) for row in view.lines_of(None))
    if standalone or not groups:
        groups.append(
            Group(
                id="standalone",
                name=None,
                lines=standalone,
                net_amount=add(*(x.net_amount for x in standalone)),
            )
        )
    return tuple(groups)


def tax_summary_rows(calculation: Mapping[str, Any], taxes: TaxLookup) -> tuple[TaxSummaryRow, ...]:
    rows = []
    for item in calculation.get("tax_summary", []):
        key = TaxKey(str(item["tax_category_id"]), Decimal(item["rate"]), bool(item["inclusive"]))
        tax, name = taxes(key)
        assert tax is not None
        rows.append(
            TaxSummaryRow(
                vat_category=tax.vat_category,
                rate=tax.rate,
                taxable_amount=Decimal(item["taxable_amount"]),
                tax_amount=Decimal(item["tax_amount"]),
                exemption_reason=tax.exemption_reason,
                exemption_reason_code=tax.exemption_reason_code,
                tax_category_id=tax.tax_category_id,
                name=name,
            )
        )
    return vat_breakdown(rows)


def _withholdings(calculation: Mapping[str, Any]) -> tuple[Withholding, ...]:
    return tuple(
        Withholding(name=str(item["name"]), rate=Decimal(item["rate"]), amount=Decimal(item["amount"]))
        for item in calculation.get("withholdings", [])
        if Decimal(item["amount"])
    )


# -- the document ------------------------------------------------------------------------------------


def _payments(
    payments: Sequence[m.Payment], refunds: Sequence[m.Refund], notes: Sequence[m.CreditNote]
) -> tuple[Payment, ...]:
    """The payments (what of each was applied to the invoice) and the refunds (negative, named by their
    credit note's number), by date."""
    numbers: dict[uuid.UUID | None, str] = {note.id: note.number for note in notes}
    rows = [
        Payment(date=p.payment_date, amount=p.applied_amount, reference=p.reference)
        for p in payments
        if p.applied_amount
    ]
    rows += [
        Payment(date=r.refund_date, amount=-r.amount, reference=numbers.get(r.credit_note_id), refund=True)
        for r in refunds
    ]
    return tuple(sorted(rows, key=lambda row: row.date))


async def load_document(uow: UnitOfWork, actor: Actor, invoice_id: uuid.UUID) -> InvoiceDocument:
    """The invoice as a document (404 for another organization's id)."""
    view = await load_invoice(uow, actor, invoice_id)
    invoice = view.invoice
    parties = invoice.parties or await live_parties(uow, actor, invoice)
    seller, buyer = party_from_json(parties["seller"]), party_from_json(parties["buyer"])
    categories = await uow.repo.tax_categories_of(actor.organization_id)
    taxes = TaxLookup(categories, buyer.address.country)
    payments = await uow.repo.payments_of(actor.organization_id, invoice.id)
    refunds = await uow.repo.refunds_of(actor.organization_id, invoice.id) if invoice.refunded_amount else []
    groups = _groups(view, taxes)
    calculation = view.calculation or {}
    line_total = add(*(line.net_amount for group in groups for line in group.lines))
    amount_due = add(invoice.total_amount, -invoice.credits_applied_amount)
    delivery = None
    if invoice.delivery_date is not None or invoice.delivery_country is not None:
        delivery = Delivery(date=invoice.delivery_date, country=invoice.delivery_country)
    return InvoiceDocument(
        id=str(invoice.id),
        status=figures_of(invoice, actor.today()).effective_status,
        number=invoice.invoice_number,
        issue_date=invoice.issue_date or invoice.invoice_date,
        due_date=invoice.due_date,
        period=Period(start=invoice.period_start, end=invoice.period_end),
        currency=view.currency,
        locale=str(parties.get("locale") or "en"),
        seller=seller,
        buyer=buyer,
        buyer_reference=invoice.buyer_reference,
        purchase_order=invoice.purchase_order,
        notes=(invoice.memo,) if invoice.memo else (),
        groups=groups,
        tax_summary=tax_summary_rows(calculation, taxes),
        totals=Totals(
            line_total=line_total,
            tax_exclusive=line_total,
            tax=invoice.tax_amount,
            tax_inclusive=invoice.total_amount,
            prepaid=invoice.credits_applied_amount,
            amount_due=amount_due,
            # what no longer needs paying: payments less what was refunded of them, and what credit
            # notes took off (refunded, or taken off what remained): the hosted page's amount remaining
            # is then the API's amountRemaining (amountDue - amountPaid - reduced)
            paid=add(invoice.amount_paid, -invoice.refunded_amount),
            credited=add(invoice.reduced_amount, invoice.refunded_amount),
            discount_total=invoice.discount_amount,
        ),
        payments=_payments(payments, refunds, view.credit_notes),
        withholdings=_withholdings(calculation),
        delivery=delivery,
    )


async def invoice_by_token(uow: UnitOfWork, token: str) -> tuple[m.Invoice, Actor]:
    """The issued invoice behind a hosted token and its organization's actor; 404 for anything else."""
    found = await uow.repo.invoice_by_hosted_token(token)
    if found is None or found[0].status in UNISSUED:
        raise NotFound("not found", details={})
    invoice, organization = found
    return invoice, actor_for(organization)


def actor_for(organization: m.Organization) -> Actor:
    """The organization acting without an API key (the hosted page, the CLI)."""
    mode = RoundingMode.HALF_EVEN if organization.rounding_mode == "half_even" else RoundingMode.HALF_UP
    return Actor(
        organization_id=organization.id,
        api_key_id=None,
        rounding_mode=mode,
        tax_rounding=organization.tax_rounding,
        default_tax_category_id=organization.default_tax_category_id,
        time_zone=organization.time_zone or "UTC",
    )


def file_stem(doc: Document) -> str:
    """The invoice number, safe as a file name (``INV-2026-000001``); ``draft-<id>`` for a draft."""
    if doc.number is None:
        return f"draft-{doc.id}"
    return safe_name(doc.number) or doc.id


def safe_name(number: str) -> str:
    """An invoice number as a file name: anything but letters, digits, ``.``, ``_`` and ``-`` becomes
    ``_`` (no path separators, no leading dot)."""
    return _UNSAFE.sub("_", number).strip("._")


async def revoke_hosted_link(uow: UnitOfWork, actor: Actor, invoice_id: uuid.UUID) -> m.Invoice:
    """Give an issued invoice a new hosted token; the old one answers 404 from now on."""
    invoice = await uow.repo.get_for_update(m.Invoice, actor.organization_id, invoice_id)
    if invoice is None:
        raise NotFound.resource("invoice", invoice_id)
    if invoice.status in UNISSUED:
        raise Conflict(
            "only an issued invoice has a hosted link",
            code="invoice_not_issued",
            details={"status": invoice.status},
        )
    await uow.repo.write_values(invoice, {"hosted_token": new_hosted_token()})
    return invoice


async def issued_since(uow: UnitOfWork, actor: Actor, since: Any) -> list[tuple[uuid.UUID, str]]:
    """(id, number) of every invoice issued on or after ``since``, oldest first (the export's list)."""
    return await uow.repo.issued_invoices_since(actor.organization_id, since)
