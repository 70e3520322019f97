"""The unit of work: one transaction, owned by the request or CLI command that opened it."""

from __future__ import annotations

from types import TracebackType

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from billfold.db import models as m
from billfold.db.engine import READONLY_OPTION
from billfold.db.repository import Repository


class UnitOfWork:
    """``async with UnitOfWork(engine) as uow: ...; await uow.commit()``; no commit means rollback."""

    def __init__(
        self, engine: AsyncEngine, *, readonly: bool = False, single_statement: bool = False
    ) -> None:
        """``single_statement``: one read that needs no transaction around it; on PostgreSQL it runs
        in autocommit mode, one round trip instead of three (BEGIN, the query, ROLLBACK)."""
        bind = engine.execution_options(**{READONLY_OPTION: True}) if readonly else engine
        if single_statement and engine.dialect.name == "postgresql":
            bind = engine.execution_options(isolation_level="AUTOCOMMIT")
        self.session = AsyncSession(bind=bind, expire_on_commit=False, autoflush=False)
        self.repo = Repository(self.session)
        self.dialect = engine.dialect.name
        self._events: list[m.InvoiceEvent] = []

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
        await self.session.close()

    def record_event(self, row: m.InvoiceEvent) -> None:
        """Keep an event to be numbered and written at commit (``billfold.services.events`` calls this)."""
        self._events.append(row)

    async def commit(self) -> None:
        """Number and write the recorded events, then commit: the event counter is the last lock taken."""
        if self._events:
            events, self._events = self._events, []
            await self.repo.add_events(events)
        await self.session.commit()

    async def rollback(self) -> None:
        self._events = []
        await self.session.rollback()
