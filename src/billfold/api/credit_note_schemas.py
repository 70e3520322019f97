"""Request schemas of credit notes (native API): amounts as decimal strings, unknown fields refused."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import Field

from billfold.api.schemas import Amount, Day, IdempotencyKey, Quantity, Schema, Text

Reason = Literal["duplicate", "fraudulent", "order_change", "product_unsatisfactory", "other"]


class CreditNoteLineIn(Schema):
    """Credit ``quantity`` of an invoice line, or a net ``amount`` of it (exactly one)."""

    line_item_id: uuid.UUID
    quantity: Quantity | None = None
    amount: Amount | None = None


class CreditNoteIn(Schema):
    """Either ``lines`` or a plain net ``amount`` (with ``taxCategoryId`` when taxed). The total is
    settled as ``refundAmount`` + ``creditAmount`` + ``outOfBandAmount``, and the rest reduces the
    invoice's amount remaining."""

    reason: Reason
    memo: Text | None = None
    issue_date: Day | None = None
    lines: Annotated[list[CreditNoteLineIn], Field(min_length=1, max_length=1000)] | None = None
    amount: Amount | None = None
    tax_category_id: uuid.UUID | None = None
    refund_amount: Amount = Decimal(0)
    credit_amount: Amount = Decimal(0)
    out_of_band_amount: Amount = Decimal(0)
    idempotency_key: IdempotencyKey | None = None
