"""idempotency_records.response_body compressed with lz4 (PostgreSQL)

A bulk create's stored answer is the whole invoice (886 kB for 1,000 lines). PostgreSQL's default
compression (pglz) cost its backend ~4.3 ms per 444 kB answer written, lz4 ~1.5 ms, for about 13 % more
stored bytes, and reads it back no slower (docs/benchmarks.md). Existing answers keep the compression
they were written with. A server built without lz4 (or older than PostgreSQL 14) keeps pglz. Nothing on
SQLite.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02 06:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _compress(method: str) -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    savepoint = bind.begin_nested()
    try:
        bind.execute(
            sa.text(f"ALTER TABLE idempotency_records ALTER COLUMN response_body SET COMPRESSION {method}")
        )
    except sa.exc.DBAPIError:
        savepoint.rollback()  # this server cannot: its default stays
    else:
        savepoint.commit()


def upgrade() -> None:
    _compress("lz4")


def downgrade() -> None:
    _compress("pglz")
