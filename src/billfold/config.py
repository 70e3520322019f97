"""Settings read from the environment (``BILLFOLD_*``).

| variable | default |
| --- | --- |
| ``BILLFOLD_DATABASE_URL`` | SQLite file ``billfold.db`` in the data directory |
| ``BILLFOLD_DATA_DIR`` | ``$XDG_DATA_HOME/billfold``, else ``~/.local/share/billfold`` |
| ``BILLFOLD_HOST`` / ``BILLFOLD_PORT`` | ``127.0.0.1`` / ``8000`` (``billfold serve``) |
| ``BILLFOLD_WORKERS`` | ``2`` |
| ``BILLFOLD_DB_POOL_SIZE`` | ``10`` |

The default database does not depend on the working directory: every ``billfold`` command run by the
same user finds the same file, wherever it is run from.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

DATABASE_FILE = "billfold.db"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
DEFAULT_MAX_BODY_BYTES = 5_242_880
"""5 MiB: room for an invoice of 10,000 lines in one request; a larger body is a 413."""


class ConfigError(ValueError):
    """A setting that cannot be used; its message is one line naming the variable."""


@dataclass(frozen=True, slots=True)
class Settings:
    database_url: str
    # where the default SQLite database lives (used only when BILLFOLD_DATABASE_URL is not set)
    data_dir: Path
    # true when BILLFOLD_DATABASE_URL was not set and the database is the data directory's file
    default_database: bool
    host: str
    port: int
    workers: int
    db_pool_size: int
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES


def normalize_database_url(url: str) -> str:
    """Accept the plain URLs people paste and pick Billfold's async drivers for them."""
    for plain, driver in (
        ("postgres://", "postgresql+asyncpg://"),
        ("postgresql://", "postgresql+asyncpg://"),
        ("postgresql+psycopg://", "postgresql+asyncpg://"),
        ("sqlite://", "sqlite+aiosqlite://"),
    ):
        if url.startswith(plain):
            return driver + url[len(plain) :]
    return url


def data_dir(environ: Mapping[str, str] | None = None) -> Path:
    """``$BILLFOLD_DATA_DIR``, else ``$XDG_DATA_HOME/billfold``, else ``~/.local/share/billfold``."""
    env = os.environ if environ is None else environ
    explicit = env.get("BILLFOLD_DATA_DIR", "").strip()
    if explicit:
        return Path(explicit).expanduser().absolute()
    xdg = env.get("XDG_DATA_HOME", "").strip()
    if xdg and Path(xdg).is_absolute():  # the XDG spec says to ignore a relative path
        return Path(xdg) / "billfold"
    return Path.home() / ".local" / "share" / "billfold"


def sqlite_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


def _whole_number(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    text = env.get(name, "").strip()
    if not text:
        return default
    try:
        value = int(text)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, not {text[:40]!r}") from None
    if not low <= value <= high:
        raise ConfigError(f"{name} must be between {low} and {high}, not {value}")
    return value


def _check_database_url(url: str) -> None:
    example = "e.g. postgresql://user@host/db or sqlite:////path/to/billfold.db"
    try:
        backend = make_url(normalize_database_url(url)).get_backend_name()
    except ArgumentError:
        raise ConfigError(f"BILLFOLD_DATABASE_URL is not a database URL ({example})") from None
    if backend not in ("sqlite", "postgresql"):
        raise ConfigError(f"BILLFOLD_DATABASE_URL must be a PostgreSQL or SQLite URL ({example})")


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    env = os.environ if environ is None else environ
    directory = data_dir(env)
    url = env.get("BILLFOLD_DATABASE_URL", "").strip()
    if url:
        _check_database_url(url)
    return Settings(
        database_url=normalize_database_url(url) if url else sqlite_url(directory / DATABASE_FILE),
        data_dir=directory,
        default_database=not url,
        host=env.get("BILLFOLD_HOST", "").strip() or DEFAULT_HOST,
        port=_whole_number(env, "BILLFOLD_PORT", DEFAULT_PORT, 0, 65535),
        workers=_whole_number(env, "BILLFOLD_WORKERS", 2, 1, 1024),
        db_pool_size=_whole_number(env, "BILLFOLD_DB_POOL_SIZE", 10, 1, 10_000),
        max_body_bytes=_whole_number(env, "BILLFOLD_MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES, 1, 1 << 40),
    )


def public_url() -> str | None:
    """``BILLFOLD_PUBLIC_URL``: the address customers open hosted invoice links at (default: the address
    each request was made to)."""
    return os.environ.get("BILLFOLD_PUBLIC_URL") or None


def shown_url(url: str) -> str:
    """The database URL as printed: plain (as it can be given in BILLFOLD_DATABASE_URL), any password
    hidden."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return "<not a database URL>"
    return parsed.set(drivername=parsed.get_backend_name()).render_as_string(hide_password=True)
