"""What every route shares: authentication, units of work, idempotent creates and JSON answers."""

from __future__ import annotations

import asyncio
import base64
import binascii
import time
import uuid
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

import orjson
from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.exceptions import HTTPException

from billfold.db.errors import unique_violation
from billfold.db.numbering import Contended, LockNeeded
from billfold.db.organization_queries import Along
from billfold.db.uow import UnitOfWork
from billfold.services import idempotency
from billfold.services.context import Actor
from billfold.services.errors import Conflict, DomainError, Unauthorized, ValidationFailed
from billfold.services.organizations import authenticate, authenticate_with_record
from billfold.web.body import JsonRoute, parsed_body

T = TypeVar("T")
CREATE_ATTEMPTS = 4
# An unlocked add that found its invoice changed by another write between its read and its write
# (:class:`Contended`) is tried unlocked once more: the other write has committed by then, so the second
# try reads it (a locking add costs ~1.2 times an unlocked one: BEGIN, a locking read, COMMIT). After a
# second lost race this process adds to that invoice locking for a while: under concurrent adds to one
# invoice an unlocked add that loses the race has done its work for nothing, while a locking one waits
# for the lock and does it once (at 16 connections adding to 16 drafts picked at random: 30 % of the
# unlocked adds lost; rate x1.07). Which way an add is made decides nothing but the work: all write the
# same.
UNLOCKED_TRIES = 2
LOCKING_FOR_SECONDS = 0.2
_LOCKING_UNTIL: dict[str, float] = {}  # an add's idempotency scope (its invoice) -> until when
_LOCKING_AT_MOST = 10_000  # scopes remembered; past that, the expired are forgotten (all, if none is)


def json_response(status_code: int, body: Any, *, replayed: bool = False) -> Response:
    headers = {"Idempotent-Replayed": "true"} if replayed else None
    content = orjson.dumps(body)
    return Response(content=content, status_code=status_code, media_type="application/json", headers=headers)


def engine_of(request: Request) -> AsyncEngine:
    engine: AsyncEngine = request.app.state.engine
    return engine


def presented_key(request: Request) -> str | None:
    """The API key from ``X-API-KEY``, ``Authorization: Bearer <key>`` or ``Authorization: Basic``
    (the key as user name, any password: Sequence's style). Two different keys (two ``X-API-KEY``
    headers or two ``Authorization`` headers that differ, or an ``X-API-KEY`` and a ``Bearer`` of
    another key) are a 401: which caller is meant cannot be told. Beside an ``X-API-KEY``, ``Basic``
    credentials are left alone (a proxy in front may use them for itself)."""
    headers = request.headers
    keys = {key.strip() for key in headers.getlist("x-api-key")} - {""}
    if "authorization" in headers:
        given = headers.getlist("authorization")
        if keys:
            given = [value for value in given if value.partition(" ")[0].lower() == "bearer"]
        keys.update(filter(None, map(_authorization_key, given)))
    if len(keys) > 1:
        raise Unauthorized("the request carries more than one API key: send one")
    return keys.pop() if keys else None


def _authorization_key(value: str) -> str | None:
    scheme, _, token = value.partition(" ")
    token = token.strip()
    if scheme.lower() == "bearer" and token:
        return token
    if scheme.lower() == "basic" and token:
        try:
            user = base64.b64decode(token, validate=True).decode().partition(":")[0]
        except (binascii.Error, UnicodeDecodeError):
            return None
        return user or None
    return None


async def current_actor(request: Request) -> Actor:
    """The caller's organization and its settings, read from the database for every request: one
    indexed query (the key's hash joined to its organization). Nothing is cached in the process, so a
    revoked key is refused and a settings change applies at once, in every worker."""
    async with UnitOfWork(engine_of(request), readonly=True, single_statement=True) as uow:
        actor = await authenticate(uow, presented_key(request))
    request.state.actor = actor
    return actor


_DEFERRED = "billfold_deferred_key"
MISSING_KEY = "an API key is required: send X-API-KEY or Authorization: Bearer"  # as authenticate says


async def presented_caller(request: Request) -> None:
    """The dependency of a write that authenticates in its own first statement
    (:func:`idempotent_create_as_caller`): no query here, only a 401 when no key is presented at all.

    A key that is presented but not valid is refused by the write's first statement; when the request
    fails before it (a path or body the route refuses), :class:`CallerRoute` checks the key first, so
    such a caller still gets 401, never a 400 or 404 that tells it about the resource."""
    if not presented_key(request):
        raise Unauthorized(MISSING_KEY)
    setattr(request.state, _DEFERRED, True)


class CallerRoute(JsonRoute):
    """:class:`JsonRoute` that, for a request whose key :func:`presented_caller` left unchecked, checks
    the key (one query) before a 4xx raised ahead of the write is answered: the same answers as
    authenticating up front, at the cost of a query only on that error path."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def checked(request: Request) -> Response:
            try:
                return await handler(request)
            except (RequestValidationError, HTTPException, DomainError) as error:
                unchecked = getattr(request.state, _DEFERRED, False)
                if unchecked and not isinstance(error, Unauthorized) and error_is_client_side(error):
                    await current_actor(request)  # a key that is not valid: 401 instead
                raise

        return checked


def error_is_client_side(error: Exception) -> bool:
    if isinstance(error, HTTPException):
        return 400 <= error.status_code < 500
    return True  # validation and domain errors are answered 4xx


async def _reauthenticate(request: Request, uow: UnitOfWork) -> None:
    """Read the caller's key and settings again inside the write's own transaction: what the write
    computes follows the settings in force when it is written, and a key revoked meanwhile is refused."""
    actor: Actor | None = getattr(request.state, "actor", None)
    if actor is not None:
        actor.adopt(await authenticate(uow, presented_key(request)))


async def read(request: Request, work: Callable[[UnitOfWork], Awaitable[T]]) -> T:
    async with UnitOfWork(engine_of(request), readonly=True) as uow:
        return await work(uow)


RETRIED_UNIQUE = frozenset({"pk_idempotency_records", "uq_products_name", "uq_customers_external_id"})


def expected_conflict(constraint: str | None) -> bool:
    """A unique conflict a concurrent request can cause and a retry resolves: the same idempotency key
    (its record, keyed ``pk_idempotency_records``, or the resource's own key, every ``uq_*_idem``) or a name
    another request took meanwhile (the retry finds it: replays, shares it or answers 409)."""
    if constraint is None:
        return False
    return constraint in RETRIED_UNIQUE or constraint.endswith("_idem")


async def write(
    request: Request,
    work: Callable[[UnitOfWork], Awaitable[T]],
    *,
    reauthenticate: bool = True,
    autocommit: bool = False,
) -> T:
    """Run ``work`` in one transaction and commit it; a race lost on an expected unique index (see
    :func:`expected_conflict`) is retried. Any other integrity error is a bug and propagates (the error
    handler logs it and answers 500). ``reauthenticate=False``: ``work`` reads the key and settings
    again itself (folded into its first statement). ``autocommit``: no transaction around ``work``
    (see :class:`UnitOfWork`)."""
    for attempt in range(CREATE_ATTEMPTS):
        try:
            async with UnitOfWork(engine_of(request), autocommit=autocommit) as uow:
                if reauthenticate:
                    await _reauthenticate(request, uow)
                result = await work(uow)
                await uow.commit()
                return result
        except IntegrityError as error:
            if not expected_conflict(unique_violation(error)):
                raise
            await asyncio.sleep(0.005 * (attempt + 1))
    raise Conflict("the request conflicted with concurrent changes; retry it", code="concurrent_update")


def _as_caller(
    request: Request, work: Callable[[UnitOfWork, Actor], Awaitable[T]], along: Along | None = None
) -> Callable[[UnitOfWork], Awaitable[T]]:
    async def attempt(uow: UnitOfWork) -> T:
        actor = await authenticate(uow, presented_key(request), along)
        request.state.actor = actor
        setattr(request.state, _DEFERRED, False)
        return await work(uow, actor)

    return attempt


async def write_as_caller(request: Request, work: Callable[[UnitOfWork, Actor], Awaitable[T]]) -> T:
    """:func:`write` for a route whose dependency is :func:`presented_caller`: the caller's key and
    settings are read by the transaction's first statement (one query, not one before the transaction
    and another inside it) and ``work`` gets the caller found there. A key that is not valid is 401."""
    return await write(request, _as_caller(request, work), reauthenticate=False)


async def write_unlocked_as_caller(
    request: Request, work: Callable[[UnitOfWork, Actor, bool], Awaitable[T]], along: Along | None = None
) -> T:
    """:func:`write_as_caller` for work that can be done with one write statement after reads that lock
    nothing (an issue: ``work(uow, actor, True)``, see :func:`billfold.services.lifecycle.issue`): on
    PostgreSQL it is tried so first, each statement committing on its own (no BEGIN, no COMMIT, no
    lock until that statement); when it raises :class:`LockNeeded` (it needs a lock or more writes, or
    what it read changed), nothing was written and it runs again as usual, in one transaction
    (``work(uow, actor, False)``). Elsewhere only as usual. ``along``: the unlocked work's first read,
    sent with the caller's key (see :class:`Along`)."""
    if engine_of(request).dialect.name == "postgresql":

        async def unlocked(uow: UnitOfWork, actor: Actor) -> T:
            return await work(uow, actor, True)

        try:
            attempt = _as_caller(request, unlocked, along)
            return await write(request, attempt, reauthenticate=False, autocommit=True)
        except LockNeeded:
            pass

    async def locked(uow: UnitOfWork, actor: Actor) -> T:
        return await work(uow, actor, False)

    return await write_as_caller(request, locked)


def resolve_key(request: Request, body_key: str | None) -> str:
    """The idempotency key from the body or the ``Idempotency-Key`` header; generated when absent."""
    header_key = request.headers.get("idempotency-key")
    if header_key is not None and body_key is not None and header_key != body_key:
        reason = "the Idempotency-Key header and the idempotencyKey field differ"
        raise ValidationFailed(reason, details={"idempotencyKey": reason})
    key = body_key or header_key
    if key is None:
        return uuid.uuid4().hex
    if not (0 < len(key) <= 255) or not all(c.isascii() and (c.isalnum() or c in "_-") for c in key):
        raise ValidationFailed.field("idempotencyKey", "must match ^[a-zA-Z0-9_-]+$ (at most 255 characters)")
    return key


async def idempotent_create(
    request: Request,
    actor: Actor,
    scope: str,
    body_key: str | None,
    work: Callable[[UnitOfWork, str], Awaitable[tuple[int, Any]]],
    *,
    flavour: str = "native",
) -> Response:
    """Create once per key: a replay answers the first answer again (``Idempotent-Replayed: true``).

    Two requests with one key at once: the loser's insert hits a unique index, its transaction rolls
    back, and its retry finds the winner's record and replays it. Never two resources.
    """

    async def as_actor(uow: UnitOfWork, current: Actor, used: str) -> tuple[int, Any]:
        actor.adopt(current)
        return await work(uow, used)

    return await _idempotent(request, scope, body_key, as_actor, flavour)


async def idempotent_create_as_caller(
    request: Request,
    scope: str,
    body_key: str | None,
    work: Callable[[UnitOfWork, Actor, str], Awaitable[tuple[int, Any]]],
    *,
    flavour: str = "native",
) -> Response:
    """:func:`idempotent_create` for a route whose dependency is :func:`presented_caller`: the key is
    checked by the write's first statement (with the idempotency record), not by a query of its own;
    ``work`` gets the caller found there."""
    return await _idempotent(request, scope, body_key, work, flavour)


async def idempotent_create_unlocked_as_caller(
    request: Request,
    scope: str,
    body_key: str | None,
    work: Callable[[UnitOfWork, Actor, str, bool], Awaitable[tuple[int, Any]]],
    along: Along | None = None,
) -> Response:
    """:func:`idempotent_create_as_caller` for work that can be done with one write statement after
    reads that lock nothing (an added line: ``work(uow, actor, key, True)``, see
    :func:`billfold.services.line_items.create_line`): on PostgreSQL it is tried so first, each
    statement committing on its own (no BEGIN, no COMMIT, no lock until that statement; the idempotency
    record is written by that statement too), ``along`` (its first read) sent with the caller's key;
    when it raises :class:`LockNeeded`, nothing was written and it runs again as usual, in one
    transaction (``work(uow, actor, key, False)``)."""

    async def locked(uow: UnitOfWork, actor: Actor, key: str) -> tuple[int, Any]:
        return await work(uow, actor, key, False)

    async def unlocked(uow: UnitOfWork, actor: Actor, key: str) -> tuple[int, Any]:
        return await work(uow, actor, key, True)

    first = unlocked if engine_of(request).dialect.name == "postgresql" else None
    return await _idempotent(request, scope, body_key, locked, "native", unlocked=first, along=along)


async def _idempotent(
    request: Request,
    scope: str,
    body_key: str | None,
    work: Callable[[UnitOfWork, Actor, str], Awaitable[tuple[int, Any]]],
    flavour: str,
    *,
    unlocked: Callable[[UnitOfWork, Actor, str], Awaitable[tuple[int, Any]]] | None = None,
    along: Along | None = None,
) -> Response:
    key = resolve_key(request, body_key)
    digest = idempotency.fingerprint(flavour, scope, await parsed_body(request))
    callers: list[Actor] = []

    def attempt_with(
        work: Callable[[UnitOfWork, Actor, str], Awaitable[tuple[int, Any]]], along: Along | None = None
    ) -> Callable[[UnitOfWork], Awaitable[tuple[idempotency.StoredAnswer, bool]]]:
        async def attempt(uow: UnitOfWork) -> tuple[idempotency.StoredAnswer, bool]:
            # One statement: the caller's key and settings read (again) in this transaction (see
            # _reauthenticate), the idempotency key's record, and ``along``.
            presented = presented_key(request)
            current, record = await authenticate_with_record(uow, presented, scope, key, along)
            callers.append(current)
            setattr(request.state, _DEFERRED, False)
            stored = idempotency.replay(record, key, digest)
            if stored is not None:
                return stored, True
            status_code, body = await work(uow, current, key)
            answer = idempotency.StoredAnswer(status_code, body)
            await idempotency.remember(uow, current, scope, key, digest, answer)
            return answer, False

        return attempt

    async def answered() -> tuple[idempotency.StoredAnswer, bool]:
        if unlocked is not None and _LOCKING_UNTIL.get(scope, 0.0) < time.monotonic():
            for tried in range(1, UNLOCKED_TRIES + 1):
                try:
                    return await write(
                        request, attempt_with(unlocked, along), reauthenticate=False, autocommit=True
                    )
                except Contended:
                    if tried == UNLOCKED_TRIES:
                        _lock_for_a_while(scope)
                except LockNeeded:
                    break
        return await write(request, attempt_with(work), reauthenticate=False)

    try:
        answer, replayed = await answered()
    except Conflict as error:
        # A request with the same key may have committed after this one read the key unused, and made
        # what this one then found taken (a customer's external id, a product's name): its answer is
        # this request's too. Otherwise (the key still unused) the conflict stands.
        if error.code == "idempotency_key_reused":
            raise
        stored = await _used_meanwhile(request, callers, scope, key, digest)
        if stored is None:
            raise
        answer, replayed = stored, True
    return json_response(answer.status_code, answer.body, replayed=replayed)


async def _used_meanwhile(
    request: Request, callers: list[Actor], scope: str, key: str, digest: str
) -> idempotency.StoredAnswer | None:
    """The answer stored for ``key`` by a request that committed since this one read it unused
    (``None``: still unused, or this request never got as far as reading it)."""
    if not callers:
        return None
    async with UnitOfWork(engine_of(request), readonly=True) as uow:
        return await idempotency.lookup(uow, callers[-1], scope, key, digest)


def _lock_for_a_while(scope: str) -> None:
    now = time.monotonic()
    if len(_LOCKING_UNTIL) >= _LOCKING_AT_MOST:
        for key in [key for key, until in _LOCKING_UNTIL.items() if until < now] or list(_LOCKING_UNTIL):
            del _LOCKING_UNTIL[key]
    _LOCKING_UNTIL[scope] = now + LOCKING_FOR_SECONDS


def page_params(limit: int, after: str | None) -> tuple[int, uuid.UUID | None]:
    if not 1 <= limit <= 100:
        raise ValidationFailed.field("limit", "must be between 1 and 100")
    if after is None:
        return limit, None
    try:
        return limit, uuid.UUID(after)
    except ValueError as error:
        raise ValidationFailed.field("after", "must be a cursor returned as nextCursor") from error
