"""Organizations and their API keys. A key is shown once and stored only as its SHA-256 hash."""

from __future__ import annotations

import hashlib
import secrets
import uuid

from billfold.core.money import RoundingMode
from billfold.db import models as m
from billfold.db.ids import new_id, utcnow
from billfold.db.uow import UnitOfWork
from billfold.services.context import Actor
from billfold.services.errors import Unauthorized

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
    organization = m.Organization(id=new_id(), name=name, rounding_mode="half_up", created_at=now)
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
    return Actor(organization_id=organization.id, api_key_id=api_key.id, rounding_mode=mode)
