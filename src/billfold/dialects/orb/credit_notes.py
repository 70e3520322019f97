"""Orb's credit notes: ``POST /credit_notes`` and ``GET /credit_notes/{id}``, over the native service.

Orb names the lines it credits (``line_items: [{invoice_line_item_id, amount}]``, ``amount`` a decimal
string, net of tax) and finds the invoice from them: every line must be of one invoice. Settlement
follows Orb: the note first reduces the invoice's amount remaining, and what that cannot absorb (an
invoice already paid) goes to the customer's credit balance. ``type`` is ``adjustment`` when the note
only reduced the amount due, ``refund`` when some of it went back to the customer; then
``minimum_amount_refunded`` is what went back (``null`` otherwise). ``reason`` is Orb's request enum
(``duplicate``, ``fraudulent``, ``order_change``, ``product_unsatisfactory``), answered in Orb's words
(``Order change``). Errors are in Orb's shape and name Orb's fields (``line_items[0].amount``).
"""

from __future__ import annotations

import re
import uuid
from typing import Annotated, Any, Literal

from fastapi import Depends, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from billfold.core.money import ZERO
from billfold.db.uow import UnitOfWork
from billfold.dialects.common import (
    DecimalText,
    count,
    create_once,
    money,
    parse,
    plain,
    read_json,
    respond,
    stamp,
)
from billfold.dialects.common import tax_category_names as category_names
from billfold.dialects.orb.router import router
from billfold.services import credit_note_reads, credit_notes, parties
from billfold.services.context import Actor
from billfold.services.errors import DomainError, NotFound
from billfold.web.plumbing import current_actor, read
from billfold.web.public_url import absolute_url

FLAVOUR = "orb"
REASONS = {
    "duplicate": "Duplicate",
    "fraudulent": "Fraudulent",
    "order_change": "Order change",
    "product_unsatisfactory": "Product unsatisfactory",
}


class CreditNoteLineIn(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    invoice_line_item_id: Annotated[str, Field(min_length=1, max_length=100)]
    amount: DecimalText


class CreditNoteIn(BaseModel):
    """Credit ``amount`` (net of tax) of each invoice line named; all lines of one invoice."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    line_items: Annotated[list[CreditNoteLineIn], Field(min_length=1, max_length=1000)]
    reason: Literal["duplicate", "fraudulent", "order_change", "product_unsatisfactory"] | None = None
    memo: Annotated[str, Field(max_length=5000)] | None = None


_NATIVE = (
    (re.compile(r"\blines\[(\d+)\]\.lineItemId"), r"line_items[\1].invoice_line_item_id"),
    (re.compile(r"\blines\[(\d+)\]\.amount"), r"line_items[\1].amount"),
    (re.compile(r"\blines\[(\d+)\]"), r"line_items[\1]"),
    (re.compile(r"\blines\b"), "line_items"),
    (re.compile(r"\btotalAmount\b"), "total"),
)


def _orb_terms(text: str) -> str:
    for pattern, replacement in _NATIVE:
        text = pattern.sub(replacement, text)
    return text


def _in_orb_terms(error: DomainError) -> DomainError:
    error.message = _orb_terms(error.message)
    error.details = {_orb_terms(key): value for key, value in error.details.items()}
    return error


def _line_id(value: str, index: int) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError as error:
        field = f"line_items[{index}].invoice_line_item_id"
        raise NotFound(
            f"could not find a line item with identifier: {value}", details={field: value}
        ) from error


def render(found: credit_notes.CreditNoteView, customer: Any, names: dict[str, str]) -> dict[str, Any]:
    note, currency = found.note, found.currency
    returned = note.credit_amount + note.refund_amount
    return {
        "id": str(note.id),
        "created_at": stamp(note.created_at),
        "voided_at": stamp(note.voided_at),
        "credit_note_number": note.number,
        "invoice_id": str(note.invoice_id),
        "memo": note.memo,
        "reason": REASONS.get(note.reason),
        "type": "refund" if returned > ZERO else "adjustment",
        "subtotal": money(note.net_amount, currency),
        "total": money(note.total_amount, currency),
        "minimum_amount_refunded": money(returned, currency) if returned > ZERO else None,
        "customer": {"id": str(customer.id), "external_customer_id": customer.external_customer_id},
        "discounts": [],
        "maximum_amount_adjustment": None,
        "line_items": [
            {
                "id": str(line.id),
                "name": line.description,
                "subtotal": money(line.subtotal_amount, currency),
                "amount": money(line.net_amount, currency),
                "quantity": None if line.quantity is None else count(line.quantity),
                "tax_amounts": []
                if line.tax_category_id is None or line.tax_rate is None
                else [
                    {
                        "tax_rate_description": names.get(line.tax_category_id, ""),
                        "tax_rate_percentage": plain(line.tax_rate),
                        "amount": money(line.tax_amount, currency),
                    }
                ],
                "discounts": []
                if line.discount_amount <= ZERO
                else [{"discount_type": "amount", "amount_applied": money(line.discount_amount, currency)}],
            }
            for line in found.lines
        ],
        "credit_note_pdf": absolute_url(f"/v1/credit-notes/{note.id}/pdf"),
    }


async def _answer(uow: UnitOfWork, actor: Actor, found: credit_notes.CreditNoteView) -> dict[str, Any]:
    customer = await parties.get_customer(uow, actor, found.note.customer_id)
    names = await category_names(uow, actor, (line.tax_category_id for line in found.lines))
    return render(found, customer, names)


@router.post("/credit_notes", status_code=201, summary="Create credit note")
async def create_credit_note(request: Request, actor: Actor = Depends(current_actor)) -> Response:
    data = await read_json(request)
    body = parse(CreditNoteIn, data)
    ids = [_line_id(item.invoice_line_item_id, i) for i, item in enumerate(body.line_items)]

    # the invoice (Orb's body names only its lines) scopes the idempotency key, as the native API's
    field = "line_items[0].invoice_line_item_id"
    invoice_id = await read(request, lambda uow: credit_note_reads.invoice_of_line(uow, actor, ids[0], field))

    async def work(uow: UnitOfWork, key: str) -> tuple[int, Any]:
        try:
            new = credit_notes.NewCreditNote(
                idempotency_key=key,
                reason=body.reason or "other",
                memo=body.memo,
                lines=tuple(
                    credit_notes.LineRequest(line_id, amount=item.amount)
                    for line_id, item in zip(ids, body.line_items, strict=True)
                ),
                excess_to_credit=True,
            )
            found = await credit_notes.create_credit_note(uow, actor, invoice_id, new)
        except DomainError as error:
            raise _in_orb_terms(error) from error
        return 201, await _answer(uow, actor, found)

    return await create_once(request, actor, f"credit_note:{invoice_id}", None, data, work, flavour=FLAVOUR)


@router.get("/credit_notes/{credit_note_id}", summary="Fetch credit note")
async def get_credit_note(
    credit_note_id: str, request: Request, actor: Actor = Depends(current_actor)
) -> Response:
    try:
        note_id = uuid.UUID(credit_note_id)
    except ValueError as error:
        raise NotFound(
            f"could not find a credit note with identifier: {credit_note_id}",
            details={"credit_note_id": credit_note_id},
        ) from error

    async def work(uow: UnitOfWork) -> Any:
        return await _answer(uow, actor, await credit_note_reads.load_credit_note(uow, actor, note_id))

    return respond(200, await read(request, work))
