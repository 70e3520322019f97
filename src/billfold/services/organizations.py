"""Organizations, their settings and their API keys. A key is shown once and stored only as its SHA-256 hash.

Settings: ``rounding_mode`` (``half_up``, the default, or ``half_even``) for every amount Billfold rounds,
``tax_rounding`` (``document``: one rounding per tax rate per invoice, EN 16931, the default; or
``line``: one per line) and ``default_tax_category_id`` (the category of lines that name none, nor do
their group or product). They are read with the API key into the :class:`Actor`, so a change reaches
a request through the key cache of the process serving it (see ``web.plumbing.current_actor``).
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from billfold.core.money import RoundingMode
from billfold.db import models as m
from billfold.db.ids import new_id, utcnow
from billfold.db.uow import UnitOfWork
from billfold.services.context import Actor
from billfold.services.document_data import check_locale
from billfold.services.errors import Unauthorized, ValidationFailed
from billfold.services.tax_categories import get_tax_category

KEY_PREFIX = "bf_"


def hash_key(key: str) -> str:
    # Keys carry 256 bits of randomness, so a plain (unsalted) SHA-256 is a sound verifier and lets the
    # key be found by an indexed lookup.
    return hashlib.sha256(key.encode()).hexdigest()


async def create_api_key(uow: UnitOfWork, organization_id: uuid.UUID) -> str:
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    await uow.repo.add(
        m.ApiKey(
            id=new_id(),
            organization_id=organization_id,
            key_hash=hash_key(key),
            prefix=key[:10],
            created_at=utcnow(),
        )
    )
    return key


async def create_organization(uow: UnitOfWork, name: str) -> tuple[m.Organization, str]:
    """A new organization with its default issuing account (named after it) and a first API key."""
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
    key = await create_api_key(uow, organization.id)
    return organization, key


async def authenticate(uow: UnitOfWork, key: str | None) -> Actor:
    if not key:
        raise Unauthorized("an API key is required: send X-API-KEY or Authorization: Bearer")
    found = await uow.repo.organization_by_key_hash(hash_key(key))
    if found is None:
        raise Unauthorized("the API key is not valid")
    api_key, organization = found
    mode = RoundingMode.HALF_EVEN if organization.rounding_mode == "half_even" else RoundingMode.HALF_UP
    return Actor(
        organization_id=organization.id,
        api_key_id=api_key.id,
        rounding_mode=mode,
        tax_rounding="line" if organization.tax_rounding == "line" else "document",
        default_tax_category_id=organization.default_tax_category_id,
        time_zone=organization.time_zone or "UTC",
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


def valid_time_zone(name: str) -> str:
    """An IANA time zone name (``Europe/Berlin``, ``America/Sao_Paulo``, ``UTC``), or a 400."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ValidationFailed.field("timeZone", f"unknown time zone {name!r} (use an IANA name)") from error
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
