"""Settings read from the environment (``BILLFOLD_*``)."""

from __future__ import annotations

import os
from dataclasses import dataclass

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./billfold.db"


@dataclass(frozen=True, slots=True)
class Settings:
    database_url: str
    workers: int
    db_pool_size: int


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


def load_settings() -> Settings:
    return Settings(
        database_url=normalize_database_url(os.environ.get("BILLFOLD_DATABASE_URL", DEFAULT_DATABASE_URL)),
        workers=int(os.environ.get("BILLFOLD_WORKERS", "2")),
        db_pool_size=int(os.environ.get("BILLFOLD_DB_POOL_SIZE", "10")),
    )


def public_url() -> str | None:
    """``BILLFOLD_PUBLIC_URL``: the address customers open hosted invoice links at (default: the address
    each request was made to)."""
    return os.environ.get("BILLFOLD_PUBLIC_URL") or None
