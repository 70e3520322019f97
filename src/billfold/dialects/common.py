"""What the vendor dialects share: exact JSON bodies, vendor field types, idempotent creates, JSON answers.

A dialect reads its request body with the shared strict parser (:func:`billfold.web.body.parsed_body`,
``exact=True``), so a vendor's JSON number (Orb's ``quantity``, Aira's ``amount``) reaches the services as
the exact decimal that was sent, never through a float, and a duplicated key or a NUL is refused as in the
native API. NaN, Infinity and absurd magnitudes are a 400 in the vendor's error shape.

Answers may hold :class:`~decimal.Decimal` values: they are written as JSON numbers, digit for digit
(``orjson.Fragment``), which is how Aira's and Orb's numeric fields are emitted. Idempotency records keep
such numbers tagged (``{"$number": "12.50"}``) so that a replay answers the very same digits.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Awaitable, Callable, Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, TypeVar

import orjson
from fastapi import Request
from fastapi.responses import Response
from pydantic import BaseModel, PlainValidator, ValidationError, WithJsonSchema

from billfold.core.money import CONTEXT, Currency, parse_decimal, to_plain, to_plain_normalized
from billfold.db.uow import UnitOfWork
from billfold.documents.records import LineRecord
from billfold.services import idempotency
from billfold.services.context import Actor
from billfold.services.errors import NotFound, ValidationFailed
from billfold.services.tax_categories import get_tax_category, load_tax_categories
from billfold.web.body import parsed_body, refuse_many_unknown_fields
from billfold.web.errors import cap_details, length_reason, summary
from billfold.web.plumbing import resolve_key, write

M = TypeVar("M", bound=BaseModel)
KEY_PATTERN = r"^[a-zA-Z0-9_-]+$"
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_NUMBER_TAG = "$number"


# -- request bodies ----------------------------------------------------------------------------------


async def read_json(request: Request) -> dict[str, Any]:
    """The body as a JSON object, with every fractional number parsed exactly as a Decimal."""
    data = await parsed_body(request, exact=True)
    if not isinstance(data, dict):
        raise ValidationFailed.field("body", "the body must be a JSON object")
    return data


def _field_name(loc: tuple[Any, ...], alias: Callable[[str], str]) -> str:
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{alias(str(part))}" if text else alias(str(part))
    return text or "body"


def _reason(error: Any) -> str:
    kind = error.get("type", "")
    if kind == "extra_forbidden":
        return "unknown field"
    if kind == "missing":
        return "is required"
    length = length_reason(error)
    if length is not None:
        return length
    return str(error.get("msg", "invalid")).removeprefix("Value error, ")


def parse(model: type[M], data: dict[str, Any], alias: Callable[[str], str] = str) -> M:
    """Validate ``data`` against a dialect's request model; a 400 naming each field at fault."""
    refuse_many_unknown_fields(model, data)
    try:
        return model.model_validate(data)
    except ValidationError as error:
        details = cap_details((_field_name(tuple(e["loc"]), alias), _reason(e)) for e in error.errors())
        raise ValidationFailed(summary(details), details=details) from error


# -- field types -------------------------------------------------------------------------------------


def _decimal_string(negative: bool) -> Callable[[object], Decimal]:
    def parse_text(value: object) -> Decimal:
        return parse_decimal(value, negative=negative)

    return parse_text


def _json_number(negative: bool) -> Callable[[object], Decimal]:
    def parse_number(value: object) -> Decimal:
        return parse_decimal(value, text=False, numbers=True, negative=negative)

    return parse_number


def _day(value: object) -> date:
    if not isinstance(value, str) or not _DAY.fullmatch(value):
        raise ValueError("must be a date as YYYY-MM-DD")
    try:
        return date.fromisoformat(value)
    except ValueError as error:
        raise ValueError("must be a valid calendar date (YYYY-MM-DD)") from error


# what the OpenAPI document says of each field type (the validators below are what is enforced)
_DECIMAL_SCHEMA = {"type": "string", "pattern": r"^-?[0-9]+(\.[0-9]+)?$", "examples": ["12.50"]}
_QUANTITY_SCHEMA = {"type": "string", "pattern": r"^[0-9]+(\.[0-9]+)?$", "examples": ["3"]}

DecimalText = Annotated[
    Decimal, PlainValidator(_decimal_string(negative=True)), WithJsonSchema(_DECIMAL_SCHEMA)
]
"""A decimal string (``"12.50"``), negative allowed."""
QuantityText = Annotated[
    Decimal, PlainValidator(_decimal_string(negative=False)), WithJsonSchema(_QUANTITY_SCHEMA)
]
"""A decimal string, never negative."""
Number = Annotated[Decimal, PlainValidator(_json_number(negative=True)), WithJsonSchema({"type": "number"})]
"""A JSON number, parsed exactly; negative allowed."""
QuantityNumber = Annotated[
    Decimal, PlainValidator(_json_number(negative=False)), WithJsonSchema({"type": "number", "minimum": 0})
]
"""A JSON number, parsed exactly, never negative."""


def _either(value: object) -> Decimal:
    return parse_decimal(value, numbers=True)


DecimalValue = Annotated[
    Decimal, PlainValidator(_either), WithJsonSchema({"anyOf": [_DECIMAL_SCHEMA, {"type": "number"}]})
]
"""A decimal string or a JSON number, parsed exactly; negative allowed."""
Day = Annotated[date, PlainValidator(_day), WithJsonSchema({"type": "string", "format": "date"})]
"""A calendar date written ``YYYY-MM-DD``."""


# -- answers -----------------------------------------------------------------------------------------


def _fragment(value: object) -> Any:
    if isinstance(value, Decimal):
        return orjson.Fragment(to_plain(value).encode())
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def respond(
    status_code: int, body: Any, *, replayed: bool = False, headers: dict[str, str] | None = None
) -> Response:
    """A JSON answer; Decimals become JSON numbers with exactly their digits (``12.50``, never ``12.5``)."""
    merged = dict(headers or {})
    if replayed:
        merged["Idempotent-Replayed"] = "true"
    content = orjson.dumps(body, default=_fragment)
    return Response(content=content, status_code=status_code, media_type="application/json", headers=merged)


def number(value: Decimal, currency: Currency) -> Decimal:
    """An amount as a JSON number with the currency's places (``12.50`` in USD, ``1050`` in JPY).

    Stored amounts are multiples of the minor unit, so the fixed-point format only pads, never rounds."""
    return Decimal(format(value, f".{currency.exponent}f"))


def money(value: Decimal, currency: Currency) -> str:
    """An amount as a decimal string with the currency's places (``"12.50"``)."""
    return to_plain(number(value, currency))


def count(value: Decimal) -> Decimal:
    """A quantity or usage as a JSON number without trailing zeros (``1.50`` is written ``1.5``)."""
    return Decimal(to_plain_normalized(value))


def plain(value: Decimal) -> str:
    """A unit price or quantity as a fixed-point string without trailing zeros."""
    return to_plain_normalized(value)


def midnight(day: date, suffix: str = "Z") -> str:
    """A date as that day's midnight in UTC (``2024-01-01T00:00:00Z``)."""
    return f"{day.isoformat()}T00:00:00{suffix}"


def stamp(value: datetime | None) -> str | None:
    """A stored (naive UTC) timestamp as ISO 8601 with ``Z``."""
    return None if value is None else value.isoformat(timespec="milliseconds") + "Z"


def fraction(percent: Decimal) -> Decimal:
    """A percent as a fraction (``20`` -> ``0.20``): a shift of the exponent, exact."""
    return percent.scaleb(-2, CONTEXT)


# -- tax category names and adjustments, as the calculation left them ---------------------------------


async def tax_category_names(uow: UnitOfWork, actor: Actor, ids: Iterable[object]) -> dict[str, str]:
    """The names of the tax categories ``ids`` name (``None`` for none),
    by id (``str(id)``): nothing is read when none is set, one row when one category is named. A
    category that cannot be found has no name here (a read never fails for a name)."""
    wanted = {str(item) for item in ids if item is not None}
    if not wanted:
        return {}
    if len(wanted) == 1:
        (only,) = wanted
        try:
            category = await get_tax_category(uow, actor, uuid.UUID(only))
        except NotFound:
            return {}
        return {only: category.name}
    return {key: category.name for key, category in (await load_tax_categories(uow, actor)).items()}


def adjustment_shares(row: LineRecord) -> list[dict[str, Any]]:
    """A line's signed shares of the adjustments that changed it (discounts negative), in the order
    the calculation applied them: ``{id, type, name, amount}``, the amount a decimal string. A line
    read alone (a create's answer) has none: shares are worked out when the whole invoice is read."""
    return list(row.adjustment_shares or [])


# -- idempotent creates ------------------------------------------------------------------------------


def _tagged(value: Any) -> Any:
    """A body the idempotency store can hold as plain JSON: Decimals tagged, digits kept."""
    if isinstance(value, Decimal):
        return {_NUMBER_TAG: to_plain(value)}
    if isinstance(value, dict):
        return {key: _tagged(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_tagged(item) for item in value]
    return value


def _untagged(value: Any) -> Any:
    if isinstance(value, dict):
        if len(value) == 1 and _NUMBER_TAG in value:
            return Decimal(value[_NUMBER_TAG])
        return {key: _untagged(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_untagged(item) for item in value]
    return value


def _canonical(value: Any) -> Any:
    """The request as compared for replays: numbers by value (``1.0`` is ``1``), strings as strings."""
    if isinstance(value, Decimal | int) and not isinstance(value, bool):
        return {_NUMBER_TAG: to_plain_normalized(Decimal(value))}
    if isinstance(value, dict):
        return {key: _canonical(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_canonical(item) for item in value]
    return value


async def create_once(
    request: Request,
    actor: Actor,
    scope: str,
    body_key: str | None,
    body: dict[str, Any],
    work: Callable[[UnitOfWork, str], Awaitable[tuple[int, Any]]],
    *,
    flavour: str,
) -> Response:
    """Create once per idempotency key, as :func:`billfold.web.plumbing.idempotent_create` does (same
    scopes and records, so keys are shared with the native API), for bodies parsed exactly and answers
    that hold JSON numbers. A replay answers the first status and body with ``Idempotent-Replayed``."""
    key = resolve_key(request, body_key)
    digest = idempotency.fingerprint(flavour, scope, _canonical(body))

    async def attempt(uow: UnitOfWork) -> tuple[idempotency.StoredAnswer, bool]:
        stored = await idempotency.lookup(uow, actor, scope, key, digest)
        if stored is not None:
            return stored, True
        status_code, answer_body = await work(uow, key)
        answer = idempotency.StoredAnswer(status_code, _tagged(answer_body))
        await idempotency.remember(uow, actor, scope, key, digest, answer)
        return answer, False

    answer, replayed = await write(request, attempt)
    return respond(answer.status_code, _untagged(answer.body), replayed=replayed)
