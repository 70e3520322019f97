"""Aira's request bodies (seeds 000 and 003): camelCase, unknown fields refused, dates ``YYYY-MM-DD``.

Aira requires ``idempotencyKey`` in every create body. Amounts are JSON numbers; a unit price may be a
decimal string (as Aira writes prices in sub line metadata) or a JSON number, both parsed exactly.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from billfold.dialects.common import KEY_PATTERN, Day, DecimalValue, Number, QuantityNumber
from billfold.web.text import FreeText, NameText

Key = Annotated[str, Field(min_length=1, max_length=255, pattern=KEY_PATTERN)]
Name = Annotated[NameText, Field(min_length=1, max_length=200)]


class AiraIn(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=False, extra="forbid", frozen=True)


class InvoiceIn(AiraIn):
    """``POST /v1/invoices``: exactly one of ``customerId`` / ``externalCustomerId``."""

    idempotency_key: Key
    invoice_date: Day
    memo: Annotated[FreeText, Field(max_length=5000)]
    customer_id: uuid.UUID | None = None
    external_customer_id: Key | None = None
    payment_account_id: uuid.UUID | None = None


class GroupIn(AiraIn):
    """``POST /v1/invoices/{invoiceId}/line-item-groups``: an empty group; ``name`` defaults to the
    product's name."""

    idempotency_key: Key
    product_id: uuid.UUID
    name: Name | None = None
    start_date: Day
    end_date: Day


class LineIn(AiraIn):
    """``POST /v1/invoices/{invoiceId}/line-items``: a one-off line, standalone or in a group.

    Either ``amount`` (a fixed price: one ``fixed_price`` sub line item) or ``unitPrice`` with an
    optional ``quantity`` (one ``unit_price`` sub line item whose usage is the quantity). The product is
    ``productId``, or found or created by ``name``.
    """

    idempotency_key: Key
    product_id: uuid.UUID | None = None
    line_item_group_id: uuid.UUID | None = None
    name: Name | None = None
    start_date: Day | None = None
    end_date: Day | None = None
    quantity: QuantityNumber | None = None
    unit_price: DecimalValue | None = None
    amount: Number | None = None
