"""The plain lines of a bulk create (``POST /v1/invoices``) read without a pydantic model per line.

Validating a model per line and dumping it into the service's input costs more than everything else a
1,000-line body needs before its transaction. A *plain* line (``quantity × unitPrice`` or ``amount``:
no price, no usage) is read here straight into a :class:`~billfold.services.line_pricing.NewLine`.

What keeps the answers the same: :func:`plain_line` accepts a subset of what ``BulkLineIn`` accepts,
and gives the same values for it (the same decimal parser and text checks, a date only as
``YYYY-MM-DD``, an id only in its canonical form). Anything else (an unknown field, a value of another
type, a price, usage, anything this reader does not accept) raises :class:`NotPlain`, and the line is
left to ``BulkLineIn``; when that refuses it, the whole body is validated by its schema as before (see
``InvoiceIn`` in :mod:`billfold.api.schemas`), so a bad body gets exactly the errors it always got.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

from billfold.core.money import parse_decimal
from billfold.services.line_pricing import NewLine
from billfold.web.text import check_name, check_text

SCOPES = frozenset(
    {"one_off", "metric", "plan_fixed_amount", "additional_charge", "credit_purchase", "tax_gross_up"}
)
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class NotPlain(Exception):
    """This value or line is not read here: the schema reads it."""


def _name(value: object) -> str:
    if type(value) is not str or not 0 < len(value) <= 200:
        raise NotPlain
    try:
        return check_name(value)
    except ValueError:
        raise NotPlain from None


def _text(value: object) -> str:
    if type(value) is not str or len(value) > 5000:
        raise NotPlain
    try:
        return check_text(value)
    except ValueError:
        raise NotPlain from None


def _id(value: object) -> uuid.UUID:
    if type(value) is not str or not _UUID.fullmatch(value):
        raise NotPlain
    return uuid.UUID(value)


def _day(value: object) -> date:
    if type(value) is not str or not _DAY.fullmatch(value):
        raise NotPlain
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise NotPlain from None


def _decimal(*, negative: bool) -> Callable[[object], Decimal]:
    def read(value: object) -> Decimal:
        if type(value) is not str:
            raise NotPlain
        try:
            return parse_decimal(value, negative=negative, places=12)
        except ValueError:
            raise NotPlain from None

    return read


def _scope(value: object) -> str:
    if type(value) is not str or value not in SCOPES:
        raise NotPlain
    return value


def _unit_code(value: object) -> str:
    if type(value) is not str or not 2 <= len(value) <= 3:
        raise NotPlain
    return value


def _absent(_value: object) -> Any:
    raise NotPlain  # given (not null): a priced or usage line, read by the schema


_FIELDS: dict[str, tuple[str, Callable[[object], Any]]] = {
    "name": ("name", _name),
    "productId": ("product_id", _id),
    "description": ("description", _text),
    "startDate": ("start_date", _day),
    "endDate": ("end_date", _day),
    "quantity": ("quantity", _decimal(negative=False)),
    "unitPrice": ("unit_price", _decimal(negative=True)),
    "amount": ("amount", _decimal(negative=True)),
    "scope": ("scope", _scope),
    "unitCode": ("unit_code", _unit_code),
    "taxCategoryId": ("tax_category_id", _id),
    "priceId": ("price_id", _absent),
    "price": ("price", _absent),
    "usage": ("usage", _absent),
    "transactions": ("transactions", _absent),
    "usageByDimension": ("usage_by_dimension", _absent),
    "intervals": ("intervals", _absent),
}


class PlainReader:
    """Reads the plain lines of one body. A body of many lines repeats its values (the same unit price,
    quantities, names): each distinct text is parsed and checked once per body."""

    def __init__(self) -> None:
        self._seen: dict[tuple[str, str], Any] = {}

    def line(self, raw: object) -> NewLine:
        """A plain line as the service's input (its idempotency key is set by the service);
        :class:`NotPlain` for anything else."""
        if type(raw) is not dict:
            raise NotPlain
        fields: dict[str, Any] = {}
        seen = self._seen
        for key, value in raw.items():
            if value is None:
                if key not in _FIELDS:
                    raise NotPlain
                continue
            if type(value) is str:
                found = seen.get((key, value), _UNSEEN)
                if found is not _UNSEEN:
                    fields[_FIELDS[key][0]] = found
                    continue
            known = _FIELDS.get(key)
            if known is None:
                raise NotPlain
            name, read = known
            fields[name] = read(value)
            if type(value) is str:
                seen[(key, value)] = fields[name]
        return NewLine("", **fields)


_UNSEEN = object()


def plain_line(raw: object) -> NewLine:
    """One plain line read alone (:meth:`PlainReader.line`)."""
    return PlainReader().line(raw)
