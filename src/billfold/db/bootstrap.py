"""Make sure the configured database can be opened before migrating it: create what is missing when that
is safe (the data directory, a PostgreSQL database on a server we may create databases on), else say in
one line what to do. Run by the CLI only, before any server worker starts.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import asyncpg  # type: ignore[import-untyped]  # no type information shipped
from sqlalchemy.engine import URL, make_url

CONNECT_TIMEOUT_S = 10
MAINTENANCE_DATABASE = "postgres"


class DatabaseUnavailable(RuntimeError):
    """The database cannot be opened or created; the message says why and what to do, in one line."""


def prepare(database_url: str, *, data_dir: Path | None = None) -> str | None:
    """Get the database ready to migrate; a line to print when something was created, else ``None``.

    ``data_dir``: the default database's directory, created if missing (only for the default database).
    """
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        return _prepare_sqlite(url, data_dir)
    if url.get_backend_name() == "postgresql":
        return asyncio.run(_prepare_postgres(url))
    return None


def _prepare_sqlite(url: URL, data_dir: Path | None) -> str | None:
    if not url.database or url.database == ":memory:" or url.database.startswith("file:"):
        return None
    path = Path(url.database)
    if data_dir is not None and not data_dir.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        return f"created the data directory {data_dir}"
    if not path.parent.is_dir():
        raise DatabaseUnavailable(
            f"the directory of the SQLite database {path} does not exist: create it, "
            "or set BILLFOLD_DATABASE_URL to a file in an existing directory"
        )
    return None


def _dsn(url: URL, database: str | None = None) -> str:
    plain = url.set(drivername="postgresql")
    if database is not None:
        plain = plain.set(database=database)
    return plain.render_as_string(hide_password=False)


def _where(url: URL) -> str:
    return f"{url.host or 'localhost'}:{url.port or 5432}"


async def _prepare_postgres(url: URL) -> str | None:
    name = url.database or ""
    try:
        connection = await asyncpg.connect(_dsn(url), timeout=CONNECT_TIMEOUT_S)
    except asyncpg.InvalidCatalogNameError:
        return await _create_postgres_database(url, name)
    except (OSError, TimeoutError) as error:
        reason = f"{_brief(error)} (is the server running? check BILLFOLD_DATABASE_URL)"
        raise DatabaseUnavailable(_cannot_connect(url, reason)) from None
    except (asyncpg.PostgresError, asyncpg.InterfaceError) as error:
        reason = f"{_brief(error)} (check BILLFOLD_DATABASE_URL)"
        raise DatabaseUnavailable(_cannot_connect(url, reason)) from None
    await connection.close()
    return None


async def _create_postgres_database(url: URL, name: str) -> str:
    hint = (
        f"database {name!r} does not exist on {_where(url)} and could not be created "
        f"(run: createdb -h {url.host or 'localhost'} -p {url.port or 5432}"
        f"{' -U ' + url.username if url.username else ''} {name}, or point BILLFOLD_DATABASE_URL "
        "at an existing database)"
    )
    try:
        admin = await asyncpg.connect(_dsn(url, MAINTENANCE_DATABASE), timeout=CONNECT_TIMEOUT_S)
    except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
        raise DatabaseUnavailable(f"{hint}: {_brief(error)}") from None
    try:
        quoted = '"' + name.replace('"', '""') + '"'
        await admin.execute(f"CREATE DATABASE {quoted}")
    except asyncpg.DuplicateDatabaseError:
        pass  # created meanwhile by another process: just as good
    except asyncpg.PostgresError as error:
        raise DatabaseUnavailable(f"{hint}: {_brief(error)}") from None
    finally:
        await admin.close()
    return f"created the PostgreSQL database {name!r} on {_where(url)}"


def _cannot_connect(url: URL, reason: str) -> str:
    return f"cannot connect to PostgreSQL at {_where(url)} as {url.username or 'the current user'}: {reason}"


def _brief(error: BaseException) -> str:
    text = " ".join(str(error).split()) or type(error).__name__
    return text if len(text) <= 200 else text[:200] + "..."
