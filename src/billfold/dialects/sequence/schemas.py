"""Sequence's request bodies: camelCase, unknown fields refused, money and quantities as decimal strings.

Service periods come as ``servicePeriod {startDate, endDate}`` or as ``servicePeriodStart`` /
``servicePeriodEnd`` timestamps (their UTC date is used); both forms must agree when both are sent.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainValidator, WithJsonSchema
from pydantic.alias_generators import to_camel

from billfold.dialects.common import Day, DecimalText, QuantityText
from billfold.web.text import FreeText, NameText

Title = Annotated[NameText, Field(min_length=1, max_length=200)]
Text = Annotated[FreeText, Field(max_length=5000)]


def _utc_date(value: object) -> date:
    if not isinstance(value, str) or "T" not in value:
        raise ValueError("must be an ISO 8601 timestamp such as 2022-10-20T00:00:00Z")
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as error:
        raise ValueError("must be an ISO 8601 timestamp such as 2022-10-20T00:00:00Z") from error
    if moment.tzinfo is None:
        return moment.date()
    try:
        return moment.astimezone(UTC).date()
    except OverflowError as error:  # 0001-01-01T00:00:00+01:00 is a day before the first date there is
        raise ValueError("must fall between 0001-01-01 and 9999-12-31 in UTC") from error


Timestamp = Annotated[
    date, PlainValidator(_utc_date), WithJsonSchema({"type": "string", "format": "date-time"})
]


class SequenceIn(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=False, extra="forbid", frozen=True)


class GroupIn(SequenceIn):
    """``POST /invoices/{invoice}/line-item-groups`` (seed 001)."""

    title: Title
    description: Text | None = None
    tax_category_id: uuid.UUID | None = None


class ServicePeriod(SequenceIn):
    start_date: Day
    end_date: Day


class LineIn(SequenceIn):
    """``POST /invoices/{invoice}/line-items``: ``quantity × rate``, in a group when ``groupId`` is given."""

    title: Title
    description: Text | None = None
    quantity: QuantityText | None = None
    rate: DecimalText
    tax_rate: DecimalText | None = None
    group_id: uuid.UUID | None = None
    service_period_start: Timestamp | None = None
    service_period_end: Timestamp | None = None
    service_period: ServicePeriod | None = None
    rate_display: Literal["ABSOLUTE"] | None = None
