"""Alembic environment: runs migrations over Billfold's own async engine (SQLite or PostgreSQL)."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from billfold.db.engine import make_engine
from billfold.db.models import Base

target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    sqlite = connection.dialect.name == "sqlite"
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=sqlite)
    if sqlite:
        # A batch migration rebuilds a table (copy, drop, rename); with foreign keys enforced, dropping
        # a table other rows refer to fails. Enforcement is off while migrating (it can only change
        # outside a transaction) and every foreign key is checked before the migration commits.
        _sqlite_pragma(connection, "PRAGMA foreign_keys=OFF")
    with context.begin_transaction():
        context.run_migrations()
        if sqlite:
            broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            if broken:
                raise RuntimeError(f"the migration left rows with broken foreign keys: {broken[:10]}")
    if sqlite:
        _sqlite_pragma(connection, "PRAGMA foreign_keys=ON")


def _sqlite_pragma(connection: Connection, statement: str) -> None:
    """Run ``statement`` on the driver connection itself, outside SQLAlchemy's transaction."""
    cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(statement)
    finally:
        cursor.close()


async def _main() -> None:
    engine = make_engine(context.config.get_main_option("sqlalchemy.url") or "")
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_run)
            await connection.commit()
    finally:
        await engine.dispose()


def _run_in_thread() -> None:
    """Run the async migration even when the caller already has an event loop (tests, the server)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        asyncio.run(_main())
        return
    import threading

    errors: list[BaseException] = []

    def target() -> None:
        try:
            asyncio.run(_main())
        except BaseException as error:  # re-raised in the caller's thread
            errors.append(error)

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if errors:
        raise errors[0]


if context.is_offline_mode():
    raise SystemExit("Billfold migrations run online only: use `billfold migrate`.")
_run_in_thread()
