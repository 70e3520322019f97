"""Organizations and their settings, and who is calling (:func:`authenticate`).

Settings: ``rounding_mode`` (``half_up``, the default, or ``half_even``) for every amount Billfold rounds,
``tax_rounding`` (``document``: one rounding per tax rate per invoice, EN 16931, the default; or
``line``: one per line), ``default_tax_category_id`` (the category of lines that name none, nor do
their group or product) and ``time_zone`` (whose date is "today"). They are read with the API key, in
one indexed query, on every request and again inside every write's transaction; nothing about them is
kept in process memory, so a change applies to the next line written through any worker.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from zoneinfo import available_timezones

from billfold.core.money import RoundingMode
from billfold.db import models as m
from billfold.db.ids import new_id, utcnow
from billfold.db.organization_queries import Along
from billfold.db.repository import KeyHolder
from billfold.db.uow import UnitOfWork
from billfold.services.api_keys import create_api_key, hash_key
from billfold.services.context import Actor
from billfold.services.document_data import check_locale
from billfold.services.errors import Unauthorized, ValidationFailed
from billfold.services.tax_categories import get_tax_category


async def create_organization(
    uow: UnitOfWork, name: str, key_name: str | None = None
) -> tuple[m.Organization, str]:
    """A new organization with its default issuing account (named after it) and a first API key
    (named ``key_name``)."""
    now = utcnow()
    organization = m.Organization(
        id=new_id(), name=name, rounding_mode="half_up", tax_rounding="document", created_at=now
    )
    await uow.repo.add(organization)
    await uow.repo.add(
        m.IssuingAccount(
            id=new_id(),
            organization_id=organization.id,
            is_default=True,
            number_prefix="INV",
            number_format="{prefix}-{yyyy}-{seq:06}",
            trade_name=name,
            business_name=name,
            emails=[],
            idempotency_key=f"default-{organization.id.hex}",
            created_at=now,
        )
    )
    key = await create_api_key(uow, organization.id, key_name)
    return organization, key


async def authenticate(uow: UnitOfWork, key: str | None, along: Along | None = None) -> Actor:
    """The caller behind ``key`` with its organization's settings as they are in this transaction; a
    missing, unknown or revoked key is :class:`Unauthorized`. ``along``: a read of the caller's
    organization sent with the key's (see :class:`Along`)."""
    if not key:
        raise Unauthorized("an API key is required: send X-API-KEY or Authorization: Bearer")
    found = await uow.repo.key_holder(hash_key(key), None, along)
    if found is None:
        raise Unauthorized("the API key is not valid")
    return actor_of(found)


async def authenticate_with_record(
    uow: UnitOfWork, key: str | None, scope: str, used: str, along: Along | None = None
) -> tuple[Actor, Sequence[object] | None]:
    """:func:`authenticate`, and the idempotency record of ``used`` in ``scope`` (``None`` if unused),
    read by one statement: the first query of an idempotent create (with ``along``, see
    :func:`authenticate`)."""
    if not key:
        raise Unauthorized("an API key is required: send X-API-KEY or Authorization: Bearer")
    found = await uow.repo.key_holder(hash_key(key), (scope, used), along)
    if found is None:
        raise Unauthorized("the API key is not valid")
    record = tuple(found)[6:9]
    return actor_of(found), (None if record[0] is None else record)


def actor_of(row: KeyHolder) -> Actor:
    return Actor(
        organization_id=row.organization_id,
        api_key_id=row.api_key_id,
        rounding_mode=RoundingMode.HALF_EVEN if row.rounding_mode == "half_even" else RoundingMode.HALF_UP,
        tax_rounding="line" if row.tax_rounding == "line" else "document",
        default_tax_category_id=row.default_tax_category_id,
        time_zone=row.time_zone or "UTC",
    )


@dataclass(frozen=True, slots=True)
class SettingsChange:
    """A change of settings; ``None`` leaves a field as it is. The default tax category changes only
    when ``set_default_tax_category`` is true: to ``default_tax_category_id``, or cleared by ``None``."""

    name: str | None = None
    rounding_mode: str | None = None
    tax_rounding: str | None = None
    set_default_tax_category: bool = False
    default_tax_category_id: uuid.UUID | None = None
    time_zone: str | None = None
    locale: str | None = None  # BCP 47: the documents' language when the customer has none


MAX_TIME_ZONE_LENGTH = 64
# names the zone database lists that are not places: the machine's own zone, and tzdata's placeholder
_NOT_PLACES = frozenset({"localtime", "posixrules", "Factory"})


@cache
def _time_zones() -> frozenset[str]:
    # The zone database ships with the package (tzdata) and does not change while a process runs.
    return frozenset(available_timezones()) - _NOT_PLACES


def valid_time_zone(name: str) -> str:
    """An IANA time zone name (``Europe/Berlin``, ``America/Sao_Paulo``, ``UTC``), or a 400 naming
    ``timeZone``. Only names of the zone database are looked at, so no input reaches the file system."""
    if len(name) > MAX_TIME_ZONE_LENGTH or name not in _time_zones():
        raise ValidationFailed.field("timeZone", "must be an IANA time zone name, such as Europe/Berlin")
    return name


ROUNDING_MODES = ("half_up", "half_even")
TAX_ROUNDINGS = ("document", "line")


async def get_organization(uow: UnitOfWork, actor: Actor) -> m.Organization:
    return await uow.repo.organization(actor.organization_id)


async def update_settings(uow: UnitOfWork, actor: Actor, change: SettingsChange) -> m.Organization:
    """Apply ``change``; a default tax category must be one of the organization's (404 naming
    ``defaultTaxCategoryId``)."""
    organization = await uow.repo.organization(actor.organization_id, for_update=True)
    values: dict[str, object] = {}
    if change.name is not None:
        values["name"] = change.name
    if change.rounding_mode is not None:
        if change.rounding_mode not in ROUNDING_MODES:
            raise ValidationFailed.field("roundingMode", "must be half_up or half_even")
        values["rounding_mode"] = change.rounding_mode
    if change.tax_rounding is not None:
        if change.tax_rounding not in TAX_ROUNDINGS:
            raise ValidationFailed.field("taxRounding", "must be document or line")
        values["tax_rounding"] = change.tax_rounding
    if change.time_zone is not None:
        values["time_zone"] = valid_time_zone(change.time_zone)
    if change.locale is not None:
        values["locale"] = check_locale(change.locale)
    if change.set_default_tax_category:
        category_id = change.default_tax_category_id
        if category_id is not None:
            await get_tax_category(uow, actor, category_id, field="defaultTaxCategoryId")
        values["default_tax_category_id"] = category_id
    if values:
        await uow.repo.write_values(organization, values)
    return organization
