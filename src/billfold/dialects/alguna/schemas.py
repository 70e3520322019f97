"""Alguna's request body for ``POST /invoices/{id}/line-items`` (seed 004): decimal strings."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from billfold.dialects.common import DecimalText, QuantityText
from billfold.web.text import NameText


class LineIn(BaseModel):
    """``description`` names the line (and its product, found or created by that name);
    ``quantity × unitPrice`` prices it (the quantity defaults to ``"1"``)."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=False, extra="forbid", frozen=True)

    description: Annotated[NameText, Field(min_length=1, max_length=200)]
    quantity: QuantityText | None = None
    unit_price: DecimalText
