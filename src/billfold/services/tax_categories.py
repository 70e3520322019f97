"""Tax categories (VAT standard, reduced, exempt...) and their rates, as the calculation reads them.

A category holds one or more rates, each a percent (``"20"`` is 20 %) from 0 up to but excluding 100
with at most four decimal places, exclusive (prices are net) or ``inclusive`` (prices are gross), and
for one ``country`` (ISO 3166-1 alpha-2; alpha-3 codes and English names are accepted and stored as
alpha-2) or, without a country, for every other country. At most one rate per country and at most one
without. The rules are the pure core's (:class:`billfold.core.taxes.TaxCategory`), checked here so a
category the calculation cannot use is never stored. Rates are stored as given, normalized:
``[{"rate": "7.5", "inclusive": false, "country": "DE"}]``.

Each rate also carries what an EN 16931 e-invoice needs: its ``vatCategory`` (UNCL 5305: ``S``, ``Z``,
``E``, ``AE``, ``K``, ``G``, ``O``, ``L``, ``M``; default ``S`` for a rate above 0 and ``Z``, zero rated,
for 0) and, for ``E``, ``AE``, ``K``, ``G`` and ``O``, an ``exemptionReason`` text and/or
``exemptionReasonCode`` (VATEX, e.g. ``VATEX-EU-AE``). ``S`` needs a rate above 0; ``Z``, ``E``, ``AE``,
``K``, ``G`` and ``O`` need 0 (:func:`billfold.services.document_data.check_vat_rate`).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from billfold.core.money import to_plain_normalized
from billfold.core.split import CalculationError
from billfold.core.taxes import TaxCategory, TaxRate
from billfold.db import models as m
from billfold.db.ids import new_id, utcnow
from billfold.db.uow import UnitOfWork
from billfold.services.billing_details import normalize_country
from billfold.services.context import Actor
from billfold.services.document_data import check_vat_rate
from billfold.services.errors import NotFound, ValidationFailed

MAX_TAX_RATE = Decimal(100)  # exclusive: a tax of 100 % or more is refused
RATE_PLACES = 4


@dataclass(frozen=True, slots=True)
class NewTaxRate:
    rate: Decimal
    inclusive: bool = False
    country: str | None = None
    vat_category: str | None = None
    exemption_reason: str | None = None
    exemption_reason_code: str | None = None


def check_rate_percent(field: str, rate: Decimal, *, below: Decimal = MAX_TAX_RATE) -> None:
    """A percent ``0 <= rate < below`` with at most four decimal places, or a 400 naming ``field``."""
    if not rate.is_finite() or not 0 <= rate < below:
        raise ValidationFailed.field(field, f"must be a percent from 0 up to but excluding {below}")
    exponent = rate.as_tuple().exponent
    if isinstance(exponent, int) and -exponent > RATE_PLACES:
        raise ValidationFailed.field(field, f"must have at most {RATE_PLACES} decimal places")


def _core_rates(rates: Sequence[NewTaxRate]) -> tuple[TaxRate, ...]:
    if not rates:
        raise ValidationFailed.field("rates", "must hold at least one rate")
    checked = []
    for index, rate in enumerate(rates):
        prefix = f"rates[{index}]."
        check_rate_percent(f"{prefix}rate", rate.rate)
        country = normalize_country(rate.country, prefix)
        try:
            checked.append(TaxRate(rate.rate, rate.inclusive, country))
        except CalculationError as error:
            raise ValidationFailed.field(f"{prefix}{error.field}", error.message) from error
    try:
        TaxCategory("new", tuple(checked))  # at most one rate per country, at most one default
    except CalculationError as error:
        raise ValidationFailed.field(error.field, error.message) from error
    return tuple(checked)


async def create_tax_category(
    uow: UnitOfWork, actor: Actor, *, name: str, rates: Sequence[NewTaxRate], idempotency_key: str
) -> m.TaxCategory:
    checked = _core_rates(rates)
    vat = [
        check_vat_rate(
            f"rates[{index}].",
            rate.rate,
            rate.vat_category,
            rate.exemption_reason,
            rate.exemption_reason_code,
        )
        for index, rate in enumerate(rates)
    ]
    category = m.TaxCategory(
        id=new_id(),
        organization_id=actor.organization_id,
        name=name,
        rates=[
            {
                "rate": to_plain_normalized(rate.rate),
                "inclusive": rate.inclusive,
                "country": rate.country,
                **fields,
            }
            for rate, fields in zip(checked, vat, strict=True)
        ],
        idempotency_key=idempotency_key,
        created_at=utcnow(),
    )
    await uow.repo.add(category)
    return category


async def get_tax_category(
    uow: UnitOfWork, actor: Actor, category_id: uuid.UUID, field: str = "id"
) -> m.TaxCategory:
    """The organization's category, or a 404 naming ``field`` (``taxCategoryId`` in a body)."""
    category = await uow.repo.get(m.TaxCategory, actor.organization_id, category_id)
    if category is None:
        raise NotFound(f"tax category {category_id} not found", details={field: "no such tax category"})
    return category


def core_category(row: m.TaxCategory) -> TaxCategory:
    """A stored category as the calculation's :class:`TaxCategory` (its id is ``str(row.id)``)."""
    return TaxCategory(
        str(row.id),
        tuple(_core_rate(raw) for raw in row.rates),
        name=row.name,
    )


def _core_rate(raw: dict[str, Any]) -> TaxRate:
    return TaxRate(Decimal(str(raw["rate"])), bool(raw.get("inclusive", False)), raw.get("country"))


async def load_tax_categories(uow: UnitOfWork, actor: Actor) -> dict[str, TaxCategory]:
    """Every category of the organization as the core's objects, keyed by ``str(id)``: the
    ``tax_categories`` of :class:`billfold.core.calculate.InvoiceInput`."""
    return core_categories(await uow.repo.tax_categories_of(actor.organization_id))


def core_categories(rows: Sequence[Any]) -> dict[str, TaxCategory]:
    """Stored categories (id, name, rates) as :func:`load_tax_categories` answers them."""
    return {str(row.id): core_category(row) for row in rows}
