"""Request schemas of the native API: camelCase JSON, unknown fields refused, money as decimal strings.

Money, quantities and rates are JSON strings holding a plain decimal (``"12.50"``, ``"-3"``,
``"0.000000000001"``). A JSON number, an exponent, NaN or Infinity is refused with a 400 naming the field,
so a float never touches an amount.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Sequence
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ModelWrapValidatorHandler,
    PlainValidator,
    PrivateAttr,
    StrictBool,
    ValidationError,
    WithJsonSchema,
    model_validator,
)
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticCustomError

from billfold.api.bulk_body import NotPlain, PlainReader
from billfold.core.money import DECIMAL_PATTERN, parse_decimal
from billfold.core.pricing import limits
from billfold.services.bulk import MAX_BULK_GROUPS, MAX_BULK_LINES
from billfold.services.line_pricing import NewLine
from billfold.web.text import FreeText, LineText, NameText

KEY_PATTERN = r"^[a-zA-Z0-9_-]+$"


def _decimal_parser(places: int, *, negative: bool) -> Callable[[object], Decimal]:
    def parse(value: object) -> Decimal:
        return parse_decimal(value, negative=negative, places=places)

    return parse


def _json_schema(description: str) -> WithJsonSchema:
    return WithJsonSchema({"type": "string", "pattern": DECIMAL_PATTERN, "description": description})


UnitPrice = Annotated[
    Decimal,
    PlainValidator(_decimal_parser(12, negative=True)),
    _json_schema("Unit price, up to 12 decimal places; negative makes a credit line"),
]
Quantity = Annotated[
    Decimal,
    PlainValidator(_decimal_parser(12, negative=False)),
    _json_schema("Quantity, up to 12 decimal places, never negative"),
]
Amount = Annotated[
    Decimal,
    PlainValidator(_decimal_parser(12, negative=True)),
    _json_schema("Amount in the invoice currency, at most its minor-unit places; negative makes a credit"),
]

PERCENT_PATTERN = r"^[0-9]+(\.[0-9]{1,4})?$"
_PERCENT = re.compile(PERCENT_PATTERN)


def _percent(value: object) -> Decimal:
    if not isinstance(value, str):
        raise ValueError('must be a percent string such as "20" or "7.5", not a JSON number or other type')
    if len(value) > 64 or not _PERCENT.fullmatch(value):
        raise ValueError('must be a plain, non-negative percent string with at most 4 decimal places ("7.5")')
    return Decimal(value)


Percent = Annotated[
    Decimal,
    PlainValidator(_percent),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": PERCENT_PATTERN,
            "description": 'A percent: "20" is 20 %, "7.5" is 7.5 %',
        }
    ),
]


_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _text_date(value: object) -> date:
    """A calendar date written exactly ``YYYY-MM-DD``: not a date-time (``2026-01-01T00:00:00Z``), nor a
    number or digits alone (``20260101``, which the lax parser took for seconds since 1970)."""
    if not isinstance(value, str) or not _DAY.fullmatch(value):
        raise ValueError('must be a date string "YYYY-MM-DD"')
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError('must be a valid calendar date "YYYY-MM-DD"') from None


Day = Annotated[date, PlainValidator(_text_date), WithJsonSchema({"type": "string", "format": "date"})]
IdempotencyKey = Annotated[str, Field(min_length=1, max_length=255, pattern=KEY_PATTERN)]
Name = Annotated[NameText, Field(min_length=1, max_length=200)]
"""A name: no control characters, not blank (see :mod:`billfold.web.text`)."""
AccountName = Annotated[NameText, Field(max_length=200)]
Text = Annotated[FreeText, Field(max_length=5000)]
"""Free text: no control characters but tab and newline."""
Short = Annotated[LineText, Field(max_length=200)]
"""A one-line value: no control characters."""
Reason = Annotated[FreeText, Field(min_length=1, max_length=1000)]
CurrencyCode = Annotated[str, Field(min_length=3, max_length=3, description="ISO 4217 code, e.g. USD")]


class Schema(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=False,
        extra="forbid",
        str_strip_whitespace=False,
        frozen=True,
    )


class Address(Schema):
    street: Short | None = None
    number: Annotated[LineText, Field(max_length=50)] | None = None
    complement: Short | None = None
    neighborhood: Short | None = None
    city: Short | None = None
    state: Annotated[LineText, Field(max_length=10)] | None = None
    zip_code: Annotated[LineText, Field(max_length=20)] | None = None
    country: (
        Annotated[LineText, Field(max_length=60, description="ISO 3166 alpha-2/alpha-3 code or name")] | None
    ) = None


class BillingDetailsIn(Schema):
    trade_name: AccountName | None = None
    business_name: AccountName | None = None
    emails: Annotated[list[Annotated[LineText, Field(max_length=254)]], Field(max_length=20)] = []
    tax_id: Annotated[LineText, Field(max_length=64)] | None = None
    tax_id_type: Annotated[str, Field(max_length=32, pattern=r"^[a-z][a-z0-9_]*$")] | None = None
    address: Address | None = None


class ContactIn(Schema):
    """A contact (EN 16931 BG-6): name, phone, email."""

    name: Short | None = None
    phone: Annotated[str, Field(max_length=50)] | None = None
    email: Annotated[str, Field(max_length=254)] | None = None


class ElectronicAddressIn(Schema):
    """Where the party receives e-invoices (BT-34 / BT-49): the identifier and its EAS scheme (``0088``
    GLN, ``9930`` German VAT id, ``0204`` Leitweg-ID, ``EM`` email)."""

    value: Annotated[str, Field(min_length=1, max_length=200)]
    scheme: Annotated[str, Field(min_length=2, max_length=4)]


LocaleTag = Annotated[
    str, Field(min_length=2, max_length=35, description="BCP 47 tag: en, de, fr, es, pt-BR")
]
VatIdText = Annotated[str, Field(max_length=64, description="VAT id with its country prefix (DE123456788)")]
UnitCode = Annotated[
    str, Field(min_length=2, max_length=3, description="UN/ECE Recommendation 20 unit code (C62, HUR, KWH)")
]
Reference = Annotated[str, Field(min_length=1, max_length=200)]
CountryText = Annotated[str, Field(max_length=60, description="ISO 3166 alpha-2/alpha-3 code or name")]


class SellerFieldsIn(Schema):
    """What EN 16931 needs of the seller besides its billing details."""

    vat_id: VatIdText | None = None
    legal_registration_id: Annotated[str, Field(max_length=100)] | None = None
    contact: ContactIn | None = None
    iban: Annotated[str, Field(max_length=50)] | None = None
    bic: Annotated[str, Field(max_length=20)] | None = None
    electronic_address: ElectronicAddressIn | None = None


class WithholdingRateIn(Schema):
    name: Annotated[NameText, Field(min_length=1, max_length=100)]
    rate: Percent
    rounding: Literal["half_up", "half_even", "up", "down"] = "half_up"


class CustomerIn(BillingDetailsIn):
    name: Name
    electronic_address: ElectronicAddressIn | None = None
    locale: LocaleTag | None = None
    withholding_rates: Annotated[list[WithholdingRateIn], Field(max_length=10)] = []
    payment_terms_days: Annotated[int, Field(ge=0, le=3650, strict=True)] | None = None
    external_customer_id: Annotated[str, Field(min_length=1, max_length=255, pattern=KEY_PATTERN)] | None = (
        None
    )
    currency: CurrencyCode = "USD"
    idempotency_key: IdempotencyKey | None = None


class PaymentAccountIn(BillingDetailsIn):
    idempotency_key: IdempotencyKey | None = None


class IssuingAccountIn(BillingDetailsIn, SellerFieldsIn):
    idempotency_key: IdempotencyKey | None = None
    number_prefix: Annotated[str, Field(max_length=40, pattern=r"^[A-Za-z0-9_./-]*$")] = "INV"
    number_format: Annotated[LineText, Field(min_length=5, max_length=100)] = "{prefix}-{yyyy}-{seq:06}"
    credit_note_number_prefix: Annotated[LineText, Field(max_length=40, pattern=r"^[A-Za-z0-9_./-]*$")] = "CN"
    credit_note_number_format: Annotated[LineText, Field(min_length=5, max_length=100)] = (
        "{prefix}-{yyyy}-{seq:06}"
    )


class ProductIn(Schema):
    name: Name
    description: Text | None = None
    default_unit_price: UnitPrice | None = None
    tax_category: Short | None = None
    tax_category_id: uuid.UUID | None = None
    idempotency_key: IdempotencyKey | None = None


class AllocationIn(Schema):
    payment_account_id: uuid.UUID
    percentage: Percent


class AppliesToIn(Schema):
    product_ids: Annotated[list[uuid.UUID], Field(max_length=100)] = []
    price_ids: Annotated[list[uuid.UUID], Field(max_length=100)] = []


class AdjustmentIn(Schema):
    """An adjustment: ``amount`` for amount/monetary discounts, minimums, maximums and offsets,
    ``percentage`` for percentage discounts, ``quantity`` (free units) for usage discounts."""

    type: Literal[
        "usage_discount",
        "amount_discount",
        "percentage_discount",
        "minimum",
        "maximum",
        "monetary_discount",
        "allocation_offset",
    ]
    amount: Amount | None = None
    percentage: Percent | None = None
    quantity: Quantity | None = None
    applies_to: AppliesToIn | None = None
    reason: Annotated[FreeText, Field(max_length=200)] | None = None
    idempotency_key: IdempotencyKey | None = None


class InvoiceIn(Schema):
    idempotency_key: IdempotencyKey | None = None
    customer_id: uuid.UUID | None = None
    external_customer_id: Annotated[str, Field(min_length=1, max_length=255, pattern=KEY_PATTERN)] | None = (
        None
    )
    payment_account_id: uuid.UUID | None = None
    issuing_account_id: uuid.UUID | None = None
    invoice_date: Day | None = None
    memo: Text | None = None
    currency: CurrencyCode | None = None
    period_start: Day | None = None
    period_end: Day | None = None
    auto_issue: StrictBool = False
    payment_terms_days: Annotated[int, Field(ge=0, le=3650, strict=True)] | None = None
    series: Annotated[str, Field(min_length=1, max_length=40, pattern=KEY_PATTERN)] = "default"
    invoice_allocation_strategy: Literal["single", "percent_split"] = "single"
    allocations: Annotated[list[AllocationIn], Field(max_length=20)] | None = None
    withholding_rates: Annotated[list[WithholdingRateIn], Field(max_length=10)] | None = None
    buyer_reference: Reference | None = None
    purchase_order: Reference | None = None
    delivery_date: Day | None = None
    delivery_country: CountryText | None = None
    line_item_groups: (
        Annotated[
            list[BulkGroupIn],
            Field(max_length=MAX_BULK_GROUPS, fail_fast=True),
            _at_most(MAX_BULK_GROUPS, "groups in one request"),
        ]
        | None
    ) = Field(
        default=None,
        description=f"Groups created with the invoice, each with its lineItems; at most {MAX_BULK_GROUPS}",
    )
    line_items: (
        Annotated[
            list[BulkLineIn],
            Field(max_length=MAX_BULK_LINES, fail_fast=True),
            _at_most(MAX_BULK_LINES, "line items"),
        ]
        | None
    ) = Field(default=None, description=f"Lines outside any group; at most {MAX_BULK_LINES} lines in all")

    _read: tuple[list[LineItems], LineItems] | None = PrivateAttr(default=None)

    @model_validator(mode="wrap")
    @classmethod
    def _plain_lines(cls, data: Any, handler: ModelWrapValidatorHandler[InvoiceIn]) -> InvoiceIn:
        """The body with its plain lines read lean (:mod:`billfold.api.bulk_body`) and the rest by the
        schema; when anything is refused, the whole body is validated again by the schema, so the
        errors are the schema's own."""
        split = _split_lines(data)
        if split is None:
            return handler(data)
        head, group_lines, lines = split
        try:
            read = ([_read_lines(items) for items in group_lines], _read_lines(lines))
            body = handler(head)
        except (NotPlain, ValidationError):
            return handler(data)
        body._read = read
        return body

    def content(self) -> tuple[list[tuple[BulkGroupIn, LineItems]], LineItems]:
        """The groups, each with its lines, and the standalone lines (plain lines already read as the
        service's input, others as ``BulkLineIn``)."""
        groups = self.line_item_groups or []
        if self._read is None:
            return [(group, group.line_items or []) for group in groups], self.line_items or []
        group_lines, lines = self._read
        return list(zip(groups, group_lines, strict=True)), lines


class GroupFields(Schema):
    tax_category_id: uuid.UUID | None = None
    product_id: uuid.UUID | None = None
    name: Name | None = None
    description: Text | None = None
    start_date: Day | None = None
    end_date: Day | None = None


class GroupIn(GroupFields):
    idempotency_key: IdempotencyKey | None = None


class GroupPatch(Schema):
    name: Name | None = None
    description: Text | None = None
    start_date: Day | None = None
    end_date: Day | None = None


class PriceIn(Schema):
    """A price: fixed fields here; the model's own fields (``unitPrice``, ``tiers``, ``packageSize``...)
    and the options ``freeUnits``, ``minimumAmount``, ``billingModel``, ``billingInterval`` are passed
    to the pricing core, which refuses unknown ones and names the field at fault."""

    model_config = ConfigDict(alias_generator=to_camel, extra="allow", frozen=True)

    product_id: uuid.UUID
    currency: CurrencyCode
    model: Annotated[LineText, Field(min_length=1, max_length=32)]
    idempotency_key: IdempotencyKey | None = None


class DimensionUsageIn(Schema):
    values: Annotated[list[Short], Field(min_length=1, max_length=20)]
    usage: Quantity


class SeatIntervalIn(Schema):
    start_date: Day
    end_date: Day
    quantity: Quantity


def _at_most(limit: int, noun: str) -> BeforeValidator:
    """Refuse a list longer than ``limit`` on its length, before any item is validated (pydantic's own
    ``max_length`` is checked only after every item has been)."""

    def check(value: object) -> object:
        if isinstance(value, list) and len(value) > limit:
            raise PydanticCustomError("too_long", f"at most {limit} {noun}")
        return value

    return BeforeValidator(check)


class UsageFields(Schema):
    """Usage of a line, within the pricing core's limits (:mod:`billfold.core.pricing.limits`). Each list
    stops at its first bad item (``fail_fast``), so 100,000 bad values cost one error, not 100,000."""

    usage: Quantity | None = None
    transactions: (
        Annotated[
            list[Amount],
            Field(max_length=limits.MAX_TRANSACTIONS, fail_fast=True),
            _at_most(limits.MAX_TRANSACTIONS, "transactions"),
        ]
        | None
    ) = None
    usage_by_dimension: (
        Annotated[
            list[DimensionUsageIn],
            Field(max_length=limits.MAX_USAGE_BY_DIMENSION, fail_fast=True),
            _at_most(limits.MAX_USAGE_BY_DIMENSION, "entries"),
        ]
        | None
    ) = None
    intervals: (
        Annotated[
            list[SeatIntervalIn],
            Field(max_length=limits.MAX_SEAT_INTERVALS, fail_fast=True),
            _at_most(limits.MAX_SEAT_INTERVALS, "intervals"),
        ]
        | None
    ) = None


LineScope = Literal[
    "one_off", "metric", "plan_fixed_amount", "additional_charge", "credit_purchase", "tax_gross_up"
]


class LineFields(UsageFields):
    tax_category_id: uuid.UUID | None = None
    name: Name | None = None
    product_id: uuid.UUID | None = None
    description: Text | None = None
    start_date: Day | None = None
    end_date: Day | None = None
    quantity: Quantity | None = None
    unit_price: UnitPrice | None = None
    amount: Amount | None = None
    scope: LineScope | None = None
    unit_code: UnitCode | None = None
    price_id: uuid.UUID | None = None
    price: dict[str, Any] | None = Field(
        default=None, description="An inline price: {model, ...the model's fields}, as POST /v1/prices takes"
    )


class LineIn(LineFields):
    idempotency_key: IdempotencyKey | None = None
    line_item_group_id: uuid.UUID | None = None


class BulkLineIn(LineFields):
    """A line created with its invoice (``POST /v1/invoices``): its group is the one it is listed in."""


class BulkGroupIn(GroupFields):
    """A group created with its invoice, with its lines."""

    line_items: (
        Annotated[
            list[BulkLineIn],
            Field(max_length=MAX_BULK_LINES, fail_fast=True),
            _at_most(MAX_BULK_LINES, "line items"),
        ]
        | None
    ) = None


LineItems = Sequence[NewLine | BulkLineIn]


def _read_lines(items: list[Any] | None) -> LineItems:
    """Each plain line read lean, any other validated by ``BulkLineIn`` (a ``ValidationError`` when
    one is refused)."""
    read: list[NewLine | BulkLineIn] = []
    reader = PlainReader()
    for item in items or ():
        try:
            read.append(reader.line(item))
        except NotPlain:
            read.append(BulkLineIn.model_validate(item))
    return read


def _split_lines(data: Any) -> tuple[dict[str, Any], list[list[Any] | None], list[Any] | None] | None:
    """``data`` without its lines, its groups' lines, its standalone lines; ``None`` when it has no
    lines, or not in the shape the schema takes (the schema then says what is wrong)."""
    if type(data) is not dict:
        return None
    lines, groups = data.get("lineItems"), data.get("lineItemGroups")
    if not _lines_list(lines) or (groups is not None and type(groups) is not list):
        return None
    if not lines and not groups:
        return None
    head = {key: value for key, value in data.items() if key != "lineItems"}
    group_lines: list[list[Any] | None] = []
    if groups:
        if len(groups) > MAX_BULK_GROUPS:
            return None
        heads = []
        for group in groups:
            if type(group) is not dict or not _lines_list(group.get("lineItems")):
                return None
            heads.append({key: value for key, value in group.items() if key != "lineItems"})
            group_lines.append(group.get("lineItems"))
        head["lineItemGroups"] = heads
    return head, group_lines, lines


def _lines_list(value: Any) -> bool:
    return value is None or (type(value) is list and len(value) <= MAX_BULK_LINES)


InvoiceIn.model_rebuild()


class LinePatch(UsageFields):
    tax_category_id: uuid.UUID | None = None
    unit_code: UnitCode | None = Field(default=None, description="null sets it back to C62")
    name: Name | None = None
    product_id: uuid.UUID | None = None
    description: Text | None = None
    start_date: Day | None = None
    end_date: Day | None = None
    quantity: Quantity | None = None
    unit_price: UnitPrice | None = None
    amount: Amount | None = None


class MinimumIn(Schema):
    amount: Amount
    scope: Literal["plan_minimum_amount", "contract_minimum_amount"] = "plan_minimum_amount"
    name: Name | None = None


class IssueIn(Schema):
    issue_date: Day | None = None


class ReasonIn(Schema):
    reason: Reason | None = None


class PaymentIn(Schema):
    amount: Amount
    date: Day | None = None
    method: Annotated[LineText, Field(max_length=40)] | None = None
    reference: Short | None = None
    keep_excess_as_credit: StrictBool = False
    idempotency_key: IdempotencyKey | None = None


class TaxRateIn(Schema):
    rate: Percent
    inclusive: StrictBool = False
    country: (
        (
            Annotated[
                LineText, Field(min_length=2, max_length=60, description="ISO 3166 alpha-2/alpha-3 or name")
            ]
        )
        | None
    ) = None
    vat_category: Literal["S", "Z", "E", "AE", "K", "G", "O", "L", "M"] | None = Field(
        default=None, description="UNCL 5305 VAT category; default S for a rate above 0, Z for 0"
    )
    exemption_reason: Annotated[str, Field(min_length=1, max_length=300)] | None = None
    exemption_reason_code: Annotated[str, Field(min_length=1, max_length=50)] | None = None


class TaxCategoryIn(Schema):
    name: Name
    rates: Annotated[list[TaxRateIn], Field(min_length=1, max_length=300)]
    idempotency_key: IdempotencyKey | None = None


def _present(value: object) -> object:
    if value is None:
        raise ValueError("must not be null (leave the field out to keep its value)")
    return value


class OrganizationPatch(Schema):
    """Settings to change; a field left out keeps its value, ``defaultTaxCategoryId: null`` clears it."""

    name: Annotated[
        Name | None,
        BeforeValidator(_present),
        WithJsonSchema({"type": "string", "minLength": 1, "maxLength": 200}),
    ] = None
    rounding_mode: Annotated[
        Literal["half_up", "half_even"] | None,
        BeforeValidator(_present),
        WithJsonSchema({"type": "string", "enum": ["half_up", "half_even"]}),
    ] = None
    tax_rounding: Annotated[
        Literal["document", "line"] | None,
        BeforeValidator(_present),
        WithJsonSchema({"type": "string", "enum": ["document", "line"]}),
    ] = None
    default_tax_category_id: uuid.UUID | None = None
    time_zone: Annotated[
        Annotated[str, Field(min_length=1, max_length=64)] | None,
        BeforeValidator(_present),
        WithJsonSchema({"type": "string", "minLength": 1, "maxLength": 64, "description": "IANA name"}),
    ] = None
    locale: Annotated[
        str | None,
        BeforeValidator(_present),
        WithJsonSchema({"type": "string", "minLength": 2, "maxLength": 35, "description": "BCP 47 tag"}),
    ] = None


class CreditGrantIn(Schema):
    amount: Amount
    currency: CurrencyCode | None = None
    expires_on: Day | None = None
    reason: Reason | None = None
    idempotency_key: IdempotencyKey | None = None


# -- edits: a PATCH body is the create's fields, all optional -------------------------------------------
#
# A field left out keeps its value; ``null`` clears an optional one (a field that cannot be empty, such as
# a name, refuses ``null`` with a 400 naming it); an unknown field is a 400; an empty body changes nothing
# and answers the resource as it is.


def _not_null(value: object) -> object:
    if value is None:
        raise ValueError("must not be null (leave the field out to keep its value)")
    return value


NotNull = BeforeValidator(_not_null)
Emails = Annotated[list[Annotated[str, Field(max_length=254)]], Field(max_length=20)]
TaxId = Annotated[str, Field(max_length=64)]
TaxIdType = Annotated[str, Field(max_length=32, pattern=r"^[a-z][a-z0-9_]*$")]
Terms = Annotated[int, Field(ge=0, le=3650, strict=True)]


class CustomerPatch(Schema):
    """A customer's editable fields. ``address`` given merges its fields into the stored address (a
    field set to ``null`` clears it); ``address: null`` clears the whole address. ``currency`` changes
    only while the customer has no invoice."""

    name: Annotated[Name | None, NotNull] = None
    trade_name: Short | None = None
    business_name: Short | None = None
    emails: Annotated[Emails | None, NotNull] = None
    tax_id: TaxId | None = None
    tax_id_type: TaxIdType | None = None
    address: Address | None = None
    withholding_rates: Annotated[list[WithholdingRateIn], Field(max_length=10)] | None = None
    payment_terms_days: Terms | None = None
    external_customer_id: Annotated[str, Field(min_length=1, max_length=255, pattern=KEY_PATTERN)] | None = (
        None
    )
    currency: Annotated[CurrencyCode | None, NotNull] = None
    electronic_address: ElectronicAddressIn | None = None
    locale: LocaleTag | None = None


class IssuingAccountPatch(Schema):
    """An issuing account's editable fields. ``numberPrefix`` and ``numberFormat`` change only while no
    invoice has been numbered in the account; ``isDefault: true`` makes it the organization's default."""

    trade_name: Short | None = None
    business_name: Short | None = None
    emails: Annotated[Emails | None, NotNull] = None
    tax_id: TaxId | None = None
    tax_id_type: TaxIdType | None = None
    address: Address | None = None
    number_prefix: Annotated[
        Annotated[str, Field(max_length=40, pattern=r"^[A-Za-z0-9_./-]*$")] | None, NotNull
    ] = None
    number_format: Annotated[Annotated[str, Field(min_length=5, max_length=100)] | None, NotNull] = None
    credit_note_number_prefix: Annotated[
        Annotated[str, Field(max_length=40, pattern=r"^[A-Za-z0-9_./-]*$")] | None, NotNull
    ] = None
    credit_note_number_format: Annotated[
        Annotated[str, Field(min_length=5, max_length=100)] | None, NotNull
    ] = None
    is_default: Annotated[StrictBool | None, NotNull] = None
    vat_id: VatIdText | None = None
    legal_registration_id: Annotated[str, Field(max_length=100)] | None = None
    contact: ContactIn | None = None
    iban: Annotated[str, Field(max_length=50)] | None = None
    bic: Annotated[str, Field(max_length=20)] | None = None
    electronic_address: ElectronicAddressIn | None = None


class InvoicePatch(Schema):
    """A draft invoice's editable fields (``memo: null`` and ``paymentTermsDays: null`` clear them)."""

    memo: Text | None = None
    invoice_date: Annotated[Day | None, NotNull] = None
    period_start: Annotated[Day | None, NotNull] = None
    period_end: Annotated[Day | None, NotNull] = None
    due_date: Day | None = Field(
        default=None, description="Not editable: the due date is the issue date plus paymentTermsDays"
    )
    payment_terms_days: Terms | None = None
    payment_account_id: Annotated[uuid.UUID | None, NotNull] = None
    issuing_account_id: Annotated[uuid.UUID | None, NotNull] = None
    auto_issue: Annotated[StrictBool | None, NotNull] = None
    buyer_reference: Reference | None = None
    purchase_order: Reference | None = None
    delivery_date: Day | None = None
    delivery_country: CountryText | None = None
