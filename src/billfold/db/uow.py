"""The unit of work: one transaction, owned by the request or CLI command that opened it."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.orm import Session

from billfold.db import driver
from billfold.db import models as m
from billfold.db.engine import READONLY_OPTION
from billfold.db.numbering import NumberClaim
from billfold.db.repository import Repository

_OPTIONS: dict[str, dict[str, Any]] = {
    READONLY_OPTION: {READONLY_OPTION: True},
    "autocommit": {"isolation_level": "AUTOCOMMIT"},
}


def _with_options(engine: AsyncEngine, name: str) -> AsyncEngine:
    """The engine with the options ``name``, made once per engine and kept on it: each
    ``execution_options()`` call makes a new engine and registers its event listeners (~4 % of a small
    request's CPU)."""
    variants: dict[str, AsyncEngine] = engine.sync_engine.__dict__.setdefault("_billfold_variants", {})
    found = variants.get(name)
    if found is None:
        found = variants[name] = engine.execution_options(**_OPTIONS[name])
    return found


class UnitOfWork:
    """``async with UnitOfWork(engine) as uow: ...; await uow.commit()``; no commit means rollback."""

    def __init__(
        self,
        engine: AsyncEngine,
        *,
        readonly: bool = False,
        single_statement: bool = False,
        autocommit: bool = False,
    ) -> None:
        """``single_statement``: one read that needs no transaction around it; on PostgreSQL it runs
        in autocommit mode, one round trip instead of three (BEGIN, the query, ROLLBACK).
        ``autocommit``: so too for work whose reads need no transaction and whose writes are one
        statement, sent by :meth:`commit` (an unlocked issue: :func:`billfold.services.lifecycle.issue`).
        """
        bind = _with_options(engine, READONLY_OPTION) if readonly else engine
        if (single_statement or autocommit) and engine.dialect.name == "postgresql":
            bind = _with_options(engine, "autocommit")
        pooled = autocommit and engine.dialect.name == "postgresql"
        self.session = AsyncSession(
            bind=bind,
            expire_on_commit=False,
            autoflush=False,
            sync_session_class=driver.PooledSession if pooled else Session,
        )
        if pooled:
            driver.send_on_pooled_connection(self.session, engine)
        self.repo = Repository(self.session)
        self.dialect = engine.dialect.name
        # in the order they happened; None: a place kept for an event decided at commit (reserve_event)
        self._events: list[m.InvoiceEvent | None] = []
        # event id -> the one endpoint it goes to (a test event), instead of every subscribed endpoint
        self._targets: dict[uuid.UUID, uuid.UUID] = {}
        self._before_commit: list[Callable[[], Awaitable[None]]] = []
        self._after_held: list[Callable[[], Awaitable[None]]] = []
        # invoices whose invoice.updated is decided at commit (billfold.services.events.invoice_updated)
        self.decided_at_commit: set[uuid.UUID] = set()
        self._held_for: uuid.UUID | None = None
        self._claim: NumberClaim | None = None

    async def __aenter__(self) -> UnitOfWork:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        # close() ends the transaction (rolling back anything uncommitted) and detaches the loaded rows
        # as they are, so renderers can still read them; rollback() would expire them.
        try:
            await self.session.close()
        finally:
            await driver.release(self.session)

    def record_event(
        self, row: m.InvoiceEvent, *, only_endpoint: uuid.UUID | None = None, place: int | None = None
    ) -> None:
        """Keep an event to be numbered and written at commit (``billfold.services.events`` calls this);
        ``place``: the one :meth:`reserve_event` kept for it."""
        if place is None:
            self._events.append(row)
        else:
            self._events[place] = row
        if only_endpoint is not None:
            self._targets[row.id] = only_endpoint

    def reserve_event(self) -> int:
        """Keep a place in the events' order for an event that may be recorded at commit (after the held
        writes show whether it is needed): the events recorded meanwhile stay after it."""
        self._events.append(None)
        return len(self._events) - 1

    def recorded_events(self) -> list[m.InvoiceEvent]:
        """The events recorded in this transaction so far, in order (not yet written)."""
        return [row for row in self._events if row is not None]

    def hold_writes(self, organization_id: uuid.UUID) -> None:
        """Hold this transaction's inserts and row updates until commit, to send them together (see
        :meth:`Repository.hold_writes`): the caller reads nothing more in this transaction."""
        self._held_for = organization_id
        self.repo.hold_writes(organization_id)

    def number_at_commit(self, claim: NumberClaim) -> None:
        """Draw an invoice's number as the transaction commits, after everything else (an issue; one
        per transaction)."""
        if self._claim is not None:
            raise RuntimeError("a transaction draws at most one invoice number")
        self._claim = claim

    def before_commit(self, callback: Callable[[], Awaitable[None]]) -> None:
        """Run ``callback`` when the work is done, just before the events are written (an event
        whose payload is the resource as the whole transaction left it)."""
        self._before_commit.append(callback)

    def after_held_writes(self, callback: Callable[[], Awaitable[None]]) -> None:
        """Run ``callback`` once the held writes are sent (at once when none are held), before the
        events are written: it may record an event (in a place kept by :meth:`reserve_event`)."""
        self._after_held.append(callback)

    async def commit(self) -> None:
        """Draw the invoice number (an issue's), number and write the recorded events with their webhook
        deliveries, then commit: the counters are the last locks taken."""
        callbacks, self._before_commit = self._before_commit, []
        for callback in callbacks:
            await callback()
        # writes held back to go as one statement (Repository.hold_writes): the callbacks' among them
        if self._held_for is not None:
            await self.repo.write_held(self._held_for)
        settle, self._after_held = self._after_held, []
        for callback in settle:
            await callback()
        events = [row for row in self._events if row is not None]
        self._events = []
        targets, self._targets = self._targets, {}
        claim, self._claim = self._claim, None
        if events or claim is not None:
            await self.repo.add_events(events, targets, claim)
        if not await driver.commit(self.session):
            await self.session.commit()

    async def rollback(self) -> None:
        self._events = []
        self._targets = {}
        self._before_commit = []
        self._after_held = []
        self.decided_at_commit = set()
        self._claim = None
        await self.session.rollback()
