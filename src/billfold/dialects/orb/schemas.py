"""Orb's request body for ``POST /invoice_line_items`` (seed 002): snake_case, unknown fields refused.

``quantity`` is a JSON number and ``amount`` a decimal string, both parsed exactly.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from billfold.dialects.common import Day, DecimalText, QuantityNumber
from billfold.web.text import LineText, NameText

Name = Annotated[NameText, Field(min_length=1, max_length=200)]
Id = Annotated[LineText, Field(min_length=1, max_length=100)]


class LineIn(BaseModel):
    """A line of ``quantity`` units adding ``amount`` to a draft invoice. ``item_id`` alone names the
    line after the item; ``name`` alone finds the item of that name or creates it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    start_date: Day
    end_date: Day
    quantity: QuantityNumber
    invoice_id: Id
    amount: DecimalText
    name: Name | None = None
    item_id: Id | None = None
