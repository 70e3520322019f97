"""Settings from the environment: the default database lives in a data directory, never in the working
directory; every number is checked, with one line naming the variable at fault."""

from __future__ import annotations

from pathlib import Path

import pytest

from billfold.api.app import create_app
from billfold.config import ConfigError, data_dir, load_settings, shown_url


def test_the_data_directory_follows_billfold_then_xdg_then_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert data_dir({}) == tmp_path / "home" / ".local" / "share" / "billfold"
    assert data_dir({"XDG_DATA_HOME": str(tmp_path / "xdg")}) == tmp_path / "xdg" / "billfold"
    assert data_dir({"XDG_DATA_HOME": "relative/xdg"}) == tmp_path / "home" / ".local" / "share" / "billfold"
    both = {"XDG_DATA_HOME": str(tmp_path / "xdg"), "BILLFOLD_DATA_DIR": str(tmp_path / "mine")}
    assert data_dir(both) == tmp_path / "mine"


def test_the_default_database_does_not_depend_on_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    environ = {"BILLFOLD_DATA_DIR": str(tmp_path / "data")}
    urls = set()
    for directory in ("a", "b"):
        (tmp_path / directory).mkdir()
        monkeypatch.chdir(tmp_path / directory)
        settings = load_settings(environ)
        assert settings.default_database
        urls.add(settings.database_url)
    assert urls == {f"sqlite+aiosqlite:///{tmp_path / 'data' / 'billfold.db'}"}


def test_defaults_and_overrides() -> None:
    settings = load_settings({"BILLFOLD_DATA_DIR": "/srv/billfold"})
    defaults = (settings.host, settings.port, settings.workers, settings.db_pool_size)
    assert defaults == ("127.0.0.1", 8000, 2, 10)
    assert not settings.opentelemetry
    given = load_settings(
        {
            "BILLFOLD_DATABASE_URL": "postgresql://billing@db.internal/billfold",
            "BILLFOLD_HOST": "0.0.0.0",
            "BILLFOLD_PORT": "9000",
            "BILLFOLD_WORKERS": "4",
            "BILLFOLD_DB_POOL_SIZE": "5",
            "BILLFOLD_OPENTELEMETRY": "true",
        }
    )
    assert given.database_url == "postgresql+asyncpg://billing@db.internal/billfold"
    assert not given.default_database
    assert (given.host, given.port, given.workers, given.db_pool_size) == ("0.0.0.0", 9000, 4, 5)
    assert given.opentelemetry


@pytest.mark.parametrize(("value", "on"), [("", False), ("true", True)])
def test_fastapis_telemetry_follows_the_setting(
    value: str, on: bool, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("BILLFOLD_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("BILLFOLD_OPENTELEMETRY", value)
    config = create_app()._telemetry  # FastAPI's own (the app offers no other way to read it)
    assert (config["tracing"], config["metrics"], config["logs"]) == (on, on, on)


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("BILLFOLD_PORT", "eighty"),
        ("BILLFOLD_PORT", "70000"),
        ("BILLFOLD_WORKERS", "0"),
        ("BILLFOLD_DB_POOL_SIZE", "1.5"),
        ("BILLFOLD_DATABASE_URL", "not a url"),
        ("BILLFOLD_DATABASE_URL", "mysql://root@localhost/billfold"),
    ],
)
def test_a_bad_setting_is_one_line_naming_it(variable: str, value: str) -> None:
    with pytest.raises(ConfigError) as raised:
        load_settings({variable: value})
    assert variable in str(raised.value)
    assert "\n" not in str(raised.value)


def test_a_shown_url_hides_the_password() -> None:
    shown = shown_url("postgresql+asyncpg://billing:s3cret@db.internal:5432/billfold")
    assert shown == "postgresql://billing:***@db.internal:5432/billfold"
    assert shown_url("sqlite+aiosqlite:////srv/billfold.db") == "sqlite:////srv/billfold.db"
