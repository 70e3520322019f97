"""The unit of work: one transaction, owned by the request or CLI command that opened it."""

from __future__ import annotations

from types import TracebackType

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from billfold.db.engine import READONLY_OPTION
from billfold.db.repository import Repository


class UnitOfWork:
    """``async with UnitOfWork(engine) as uow: ...; await uow.commit()``; no commit means rollback."""

    def __init__(self, engine: AsyncEngine, *, readonly: bool = False) -> None:
        bind = engine.execution_options(**{READONLY_OPTION: True}) if readonly else engine
        self.session = AsyncSession(bind=bind, expire_on_commit=False, autoflush=False)
        self.repo = Repository(self.session)
        self.dialect = engine.dialect.name

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

    async def commit(self) -> None:
        await self.session.commit()

    async def rollback(self) -> None:
        await self.session.rollback()
