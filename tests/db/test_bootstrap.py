"""Before migrating, the CLI gets the database ready: a missing PostgreSQL database is created, a missing
data directory too; what cannot be done is one line saying what to do."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from billfold.db.bootstrap import DatabaseUnavailable, prepare
from billfold.db.migrate import upgrade
from conftest import POSTGRES_URL, _postgres_admin

SERVER = make_url(POSTGRES_URL)
WHERE = f"{SERVER.host}:{SERVER.port or 5432}"


def _postgres(database: str) -> str:
    base = POSTGRES_URL.replace("postgresql://", "postgresql+asyncpg://").rsplit("/", 1)[0]
    return f"{base}/{database}"


def test_a_missing_postgres_database_is_created_then_migrated() -> None:
    name = f"billfold_boot_{uuid.uuid4().hex[:10]}"
    url = _postgres(name)
    try:
        assert prepare(url) == f"created the PostgreSQL database {name!r} on {WHERE}"
        assert prepare(url) is None  # there now: nothing to do
        upgrade(url)
    finally:
        asyncio.run(_postgres_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def test_a_postgres_server_that_does_not_answer_is_one_line() -> None:
    with pytest.raises(DatabaseUnavailable) as raised:
        prepare("postgresql+asyncpg://postgres@127.0.0.1:1/billfold")
    message = str(raised.value)
    assert message.startswith("cannot connect to PostgreSQL at 127.0.0.1:1 as postgres")
    assert "is the server running" in message
    assert "\n" not in message


def test_a_database_that_may_not_be_created_says_what_to_do() -> None:
    role = f"billfold_boot_{uuid.uuid4().hex[:8]}"
    asyncio.run(_postgres_admin(f"CREATE ROLE {role} LOGIN NOCREATEDB"))
    try:
        url = _postgres("missing_db").replace("://postgres@", f"://{role}@")
        with pytest.raises(DatabaseUnavailable) as raised:
            prepare(url)
    finally:
        asyncio.run(_postgres_admin(f"DROP ROLE {role}"))
    message = str(raised.value)
    assert message.startswith(f"database 'missing_db' does not exist on {WHERE} and could not be created")
    assert f"createdb -h {SERVER.host} -p {SERVER.port or 5432} -U {role} missing_db" in message
    assert "\n" not in message


def test_the_default_data_directory_is_created(tmp_path: Path) -> None:
    data = tmp_path / "nested" / "billfold"
    url = f"sqlite+aiosqlite:///{data / 'billfold.db'}"
    assert prepare(url, data_dir=data) == f"created the data directory {data}"
    assert data.is_dir()
    assert prepare(url, data_dir=data) is None
    upgrade(url)
    assert (data / "billfold.db").is_file()


def test_an_sqlite_file_in_a_missing_directory_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(DatabaseUnavailable) as raised:
        prepare(f"sqlite+aiosqlite:///{tmp_path / 'nowhere' / 'billfold.db'}")
    assert "does not exist" in str(raised.value)
    assert not (tmp_path / "nowhere").exists()
