"""API keys: created (shown once), listed and revoked. A key is stored only as its SHA-256 hash.

A revoked key keeps its row (for the record: prefix, name, when it was made and revoked) and authenticates
nothing from the moment the revocation commits: every request looks its key up in the database (see
:func:`billfold.services.organizations.authenticate`), so no worker process keeps a stale copy.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid

from billfold.db import models as m
from billfold.db.ids import new_id, utcnow
from billfold.db.uow import UnitOfWork
from billfold.services.context import Actor
from billfold.services.errors import NotFound

KEY_PREFIX = "bf_"
PREFIX_LENGTH = 10  # "bf_" and 7 characters: enough to tell keys apart, useless to guess the rest


def hash_key(key: str) -> str:
    # Keys carry 256 bits of randomness, so a plain (unsalted) SHA-256 is a sound verifier and lets the
    # key be found by an indexed lookup.
    return hashlib.sha256(key.encode()).hexdigest()


async def create_api_key(uow: UnitOfWork, organization_id: uuid.UUID, name: str | None = None) -> str:
    """A new key for the organization; the key itself is returned here and never again."""
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    await uow.repo.add(
        m.ApiKey(
            id=new_id(),
            organization_id=organization_id,
            key_hash=hash_key(key),
            prefix=key[:PREFIX_LENGTH],
            name=name,
            created_at=utcnow(),
        )
    )
    return key


async def list_api_keys(
    uow: UnitOfWork, organization_id: uuid.UUID, *, limit: int, after: uuid.UUID | None
) -> tuple[list[m.ApiKey], bool]:
    """The organization's keys, revoked ones included, newest first."""
    return await uow.repo.page(m.ApiKey, organization_id, limit=limit, after=after)


async def all_api_keys(uow: UnitOfWork, organization_id: uuid.UUID) -> list[m.ApiKey]:
    """Every key of the organization, newest first (for the command line)."""
    keys: list[m.ApiKey] = []
    after: uuid.UUID | None = None
    while True:
        page, more = await list_api_keys(uow, organization_id, limit=100, after=after)
        keys.extend(page)
        if not more:
            return keys
        after = page[-1].id


async def revoke_api_key(uow: UnitOfWork, actor: Actor, key_id: uuid.UUID) -> m.ApiKey:
    """Revoke one of the caller's organization's keys (the one in use included); revoking a revoked key
    changes nothing. Another organization's key is 404."""
    return await revoke_organization_key(uow, actor.organization_id, key_id)


async def revoke_organization_key(uow: UnitOfWork, organization_id: uuid.UUID, key_id: uuid.UUID) -> m.ApiKey:
    revoked = await uow.repo.revoke_api_key(organization_id, key_id, utcnow())
    if revoked is None:
        raise NotFound.resource("API key", key_id)
    return revoked
