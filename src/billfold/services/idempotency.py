"""Idempotent creates: a key, the fingerprint of the request that used it first, and the answer it got.

A key is scoped to the organization and a resource kind (and to the invoice for groups and lines). The
same key with the same request replays the stored answer; with another request it is a 409
``idempotency_key_reused``. The record is written in the same transaction as the resource, so a request
that fails (a validation error, a rollback) leaves the key unused.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from billfold.db import driver
from billfold.db import models as m
from billfold.db.ids import utcnow
from billfold.db.uow import UnitOfWork
from billfold.services.context import Actor
from billfold.services.errors import Conflict


@dataclass(frozen=True, slots=True)
class StoredAnswer:
    status_code: int
    body: Any


def fingerprint(flavour: str, scope: str, body: Any) -> str:
    """A digest of the parsed request (so key order and whitespace do not matter)."""
    canonical = json.dumps([flavour, scope, body], sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


async def lookup(uow: UnitOfWork, actor: Actor, scope: str, key: str, digest: str) -> StoredAnswer | None:
    return replay(await uow.repo.idempotency_record(actor.organization_id, scope, key), key, digest)


def replay(record: Sequence[Any] | None, key: str, digest: str) -> StoredAnswer | None:
    """The stored answer of a used key (``record``: fingerprint, status code, body), ``None`` when the
    key is unused; a 409 when it was used with another request."""
    if record is None:
        return None
    fingerprint_used, status_code, body = record
    if fingerprint_used != digest:
        raise Conflict(
            f"idempotency key {key!r} was already used with a different request",
            code="idempotency_key_reused",
            details={"idempotencyKey": "already used with a different request body"},
        )
    return StoredAnswer(status_code, json.loads(body))


async def remember(
    uow: UnitOfWork, actor: Actor, scope: str, key: str, digest: str, answer: StoredAnswer
) -> None:
    await uow.repo.insert(
        driver.transient(
            m.IdempotencyRecord,
            {
                "organization_id": actor.organization_id,
                "scope": scope,
                "key": key,
                "fingerprint": digest,
                "status_code": answer.status_code,
                "response_body": orjson.dumps(answer.body).decode(),
                "created_at": utcnow(),
            },
        )
    )
