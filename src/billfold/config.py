"""Settings read from the environment (``BILLFOLD_*``).

| variable | default |
| --- | --- |
| ``BILLFOLD_DATABASE_URL`` | SQLite file ``billfold.db`` in the data directory |
| ``BILLFOLD_DATA_DIR`` | ``$XDG_DATA_HOME/billfold``, else ``~/.local/share/billfold`` |
| ``BILLFOLD_HOST`` / ``BILLFOLD_PORT`` | ``127.0.0.1`` / ``8000`` (``billfold serve``) |
| ``BILLFOLD_WORKERS`` | ``2`` |
| ``BILLFOLD_DB_POOL_SIZE`` | ``10`` |
| ``BILLFOLD_EMBEDDED_WORKER`` | ``true``: ``billfold serve`` delivers webhooks and runs the scheduler |
| ``BILLFOLD_WEBHOOK_TIMEOUT`` | ``10`` seconds per delivery attempt |
| ``BILLFOLD_WEBHOOK_RETRY_SCHEDULE`` | ``5s,5m,30m,2h,5h,10h,10h,24h`` (waits before each retry) |
| ``BILLFOLD_WEBHOOK_ALLOW_PRIVATE`` | ``false``: refuse private/loopback targets and plain ``http`` |
| ``BILLFOLD_OPENTELEMETRY`` | ``false``: ``true`` turns on FastAPI's OpenTelemetry spans, metrics and logs |

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
    # FastAPI's own OpenTelemetry instrumentation, through the providers the process configures (e.g.
    # under ``opentelemetry-instrument``). Off, FastAPI does not look for providers on each request
    # (~1 % of a small request's CPU, for a server that configures none).
    opentelemetry: bool = False


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
        opentelemetry=_flag(env, "BILLFOLD_OPENTELEMETRY", False),
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


DEFAULT_RETRY_SCHEDULE = "5s,5m,30m,2h,5h,10h,10h,24h"
_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True, slots=True)
class WebhookSettings:
    """How webhooks are delivered (``BILLFOLD_WEBHOOK_*``, ``BILLFOLD_EMBEDDED_WORKER``)."""

    timeout: float = 10.0
    # seconds to wait before each retry; its length + 1 is the number of attempts
    retry_schedule: tuple[float, ...] = (5, 300, 1800, 7200, 18000, 36000, 36000, 86400)
    allow_private: bool = False
    embedded_worker: bool = True
    # how often an idle deliverer looks for due deliveries, in seconds
    poll_interval: float = 1.0


def parse_duration(name: str, text: str) -> float:
    """``"5s"``, ``"5m"``, ``"2h"``, ``"1d"``, ``"250ms"`` or plain seconds."""
    text = text.strip().lower()
    for unit in sorted(_UNITS, key=len, reverse=True):
        if text.endswith(unit):
            number, factor = text[: -len(unit)], _UNITS[unit]
            break
    else:
        number, factor = text, 1
    try:
        value = float(number) * factor
    except ValueError:
        raise ConfigError(f"{name}: {text[:40]!r} is not a duration like 5s, 5m or 2h") from None
    if not 0 <= value <= 7 * 86400:
        raise ConfigError(f"{name}: {text[:40]!r} must be between 0 and 7 days")
    return value


def _flag(env: Mapping[str, str], name: str, default: bool) -> bool:
    text = env.get(name, "").strip().lower()
    if not text:
        return default
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name} must be true or false, not {text[:40]!r}")


def load_webhook_settings(environ: Mapping[str, str] | None = None) -> WebhookSettings:
    env = os.environ if environ is None else environ
    schedule_text = env.get("BILLFOLD_WEBHOOK_RETRY_SCHEDULE", "").strip() or DEFAULT_RETRY_SCHEDULE
    schedule = tuple(
        parse_duration("BILLFOLD_WEBHOOK_RETRY_SCHEDULE", part) for part in schedule_text.split(",")
    )
    timeout_text = env.get("BILLFOLD_WEBHOOK_TIMEOUT", "").strip()
    timeout = parse_duration("BILLFOLD_WEBHOOK_TIMEOUT", timeout_text) if timeout_text else 10.0
    if not 0 < timeout <= 300:
        raise ConfigError("BILLFOLD_WEBHOOK_TIMEOUT must be more than 0 and at most 300 seconds")
    poll_text = env.get("BILLFOLD_WEBHOOK_POLL_INTERVAL", "").strip()
    poll = parse_duration("BILLFOLD_WEBHOOK_POLL_INTERVAL", poll_text) if poll_text else 1.0
    return WebhookSettings(
        timeout=timeout,
        retry_schedule=schedule,
        allow_private=_flag(env, "BILLFOLD_WEBHOOK_ALLOW_PRIVATE", False),
        embedded_worker=_flag(env, "BILLFOLD_EMBEDDED_WORKER", True),
        poll_interval=max(poll, 0.01),
    )
