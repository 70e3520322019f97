"""The ``billfold`` command: serve, migrate, API keys (create, list, revoke), documents export.

One-time set-up (the database itself when it is missing, migrations, the first organization and its key)
happens here, before any server worker starts, so workers never race to do it. Every command says which
database it uses; a problem with the settings or the database is one line on stderr, not a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
import uuid
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from sqlalchemy.exc import DBAPIError

from billfold.config import (
    DATABASE_FILE,
    ConfigError,
    Settings,
    load_settings,
    load_webhook_settings,
    shown_url,
    sqlite_url,
)
from billfold.db import bootstrap
from billfold.db import migrate as migrations
from billfold.db.engine import make_engine
from billfold.db.models import ApiKey, Organization
from billfold.db.uow import UnitOfWork
from billfold.services.api_keys import all_api_keys, create_api_key, revoke_organization_key
from billfold.services.errors import NotFound
from billfold.services.organizations import create_organization

# How long a worker process may take to start (or to answer a health check) before it is restarted.
# uvicorn's 5 s is too short for a busy machine: a worker still importing is killed and restarted forever.
WORKER_HEALTHCHECK_S = 60


class CommandFailed(RuntimeError):
    """Ends the command with its one-line message on stderr."""


def _say(line: str) -> None:
    print(line, flush=True)


def _warn(line: str) -> None:
    print(f"warning: {line}", file=sys.stderr, flush=True)


def _old_database_warning(settings: Settings) -> str | None:
    """A ``billfold.db`` in the working directory is what older versions used by default; it is no
    longer opened (the default is the data directory's), and the user is told how to keep it."""
    old = Path.cwd() / DATABASE_FILE
    current = settings.data_dir / DATABASE_FILE
    if not settings.default_database or not old.is_file() or old.resolve() == current.resolve():
        return None
    return (
        f"{old} is not used: the database is {current}. To keep using the old file, set "
        f"BILLFOLD_DATABASE_URL={sqlite_url(old.resolve()).replace('+aiosqlite', '')}"
    )


def _ready_database() -> Settings:
    """Settings, with the database created if missing and migrated; says which database it is."""
    settings = load_settings()
    _say(f"Database: {shown_url(settings.database_url)}")
    warning = _old_database_warning(settings)
    if warning:
        _warn(warning)
    created = bootstrap.prepare(
        settings.database_url, data_dir=settings.data_dir if settings.default_database else None
    )
    if created:
        _say(created)
    migrations.upgrade(settings.database_url)
    return settings


async def _first_organization(database_url: str) -> str | None:
    """Create the first organization if there is none; return its new API key (shown once)."""
    engine = make_engine(database_url)
    try:
        async with UnitOfWork(engine) as uow:
            if await uow.repo.count_organizations() > 0:
                return None
            _, key = await create_organization(uow, "Default organization")
            await uow.commit()
            return key
    finally:
        await engine.dispose()


async def _new_key(database_url: str, organization: str, name: str | None) -> str:
    engine = make_engine(database_url)
    try:
        async with UnitOfWork(engine) as uow:
            found = await uow.repo.organization_by_name(organization)
            if found is None:
                found, key = await create_organization(uow, organization, name)
            else:
                key = await create_api_key(uow, found.id, name)
            await uow.commit()
            return key
    finally:
        await engine.dispose()


async def _organization(uow: UnitOfWork, name: str) -> Organization:
    found = await uow.repo.organization_by_name(name)
    if found is None:
        raise CommandFailed(f"no organization named {name!r}")
    return found


async def _keys(database_url: str, organization: str) -> list[ApiKey]:
    engine = make_engine(database_url)
    try:
        async with UnitOfWork(engine, readonly=True) as uow:
            return await all_api_keys(uow, (await _organization(uow, organization)).id)
    finally:
        await engine.dispose()


async def _revoke(database_url: str, organization: str, key_id: uuid.UUID) -> ApiKey:
    engine = make_engine(database_url)
    try:
        async with UnitOfWork(engine) as uow:
            owner = await _organization(uow, organization)
            try:
                revoked = await revoke_organization_key(uow, owner.id, key_id)
            except NotFound:
                raise CommandFailed(f"organization {organization!r} has no API key {key_id}") from None
            await uow.commit()
            return revoked
    finally:
        await engine.dispose()


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    settings = _ready_database()
    load_webhook_settings()  # a bad BILLFOLD_WEBHOOK_* stops here with one line, not in every worker
    key = asyncio.run(_first_organization(settings.database_url))
    if key is not None:
        _say("Created the first organization. Its API key (shown once, keep it safe):")
        _say(key)
    workers = args.workers if args.workers is not None else settings.workers
    uvicorn.run(
        "billfold.api.app:create_app",
        factory=True,
        host=args.host if args.host is not None else settings.host,
        port=args.port if args.port is not None else settings.port,
        workers=workers if workers > 1 else None,
        log_level=args.log_level,
        access_log=args.access_log,
        timeout_worker_healthcheck=WORKER_HEALTHCHECK_S,
    )
    return 0


def _worker(_: argparse.Namespace) -> int:
    """Deliver webhooks and run the scheduler until SIGTERM or SIGINT (then finish what is in flight)."""
    # a stop asked for while the worker is still starting is kept, and honoured once it runs
    requested: list[int] = []
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda number, _frame: requested.append(number))
    from billfold.api import payloads
    from billfold.db.engine import make_engine
    from billfold.delivery import worker

    settings = _ready_database()
    webhook_settings = load_webhook_settings()
    payloads.register()

    async def run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        if requested:
            stop.set()
        engine = make_engine(settings.database_url, settings.db_pool_size)
        try:
            _say("delivering webhooks (stop with SIGTERM or Ctrl-C)")
            await worker.run(engine, webhook_settings, stop)
        finally:
            await engine.dispose()

    asyncio.run(run())
    _say("worker stopped")
    return 0


def _migrate(_: argparse.Namespace) -> int:
    _ready_database()
    _say("migrations applied")
    return 0


def _api_keys_create(args: argparse.Namespace) -> int:
    settings = _ready_database()
    key = asyncio.run(_new_key(settings.database_url, args.organization, args.name))
    _say(f"API key for organization {args.organization!r} (shown once):")
    _say(key)
    return 0


def _when(value: object) -> str:
    return "-" if value is None else str(value)[:19]


def _api_keys_list(args: argparse.Namespace) -> int:
    settings = _ready_database()
    keys = asyncio.run(_keys(settings.database_url, args.organization))
    _say(f"{'ID':<36}  {'PREFIX':<10}  {'CREATED (UTC)':<19}  {'REVOKED (UTC)':<19}  NAME")
    for key in keys:
        created, revoked = _when(key.created_at), _when(key.revoked_at)
        _say(f"{key.id!s:<36}  {key.prefix:<10}  {created:<19}  {revoked:<19}  {key.name or '-'}")
    return 0


def _api_keys_revoke(args: argparse.Namespace) -> int:
    settings = _ready_database()
    key = asyncio.run(_revoke(settings.database_url, args.organization, args.key_id))
    _say(f"revoked API key {key.id} ({key.prefix}...) at {_when(key.revoked_at)} UTC")
    return 0


def _key_id(text: str) -> uuid.UUID:
    try:
        return uuid.UUID(text)
    except ValueError:
        reason = f"not an API key id: {text[:40]!r} (see billfold api-keys list)"
        raise argparse.ArgumentTypeError(reason) from None


def _documents_export(args: argparse.Namespace) -> int:
    from rich.console import Console

    from billfold import cli_export

    settings = _ready_database()
    try:
        summary = asyncio.run(
            cli_export.export(
                settings.database_url,
                args.since,
                args.format,
                Path(args.out),
                args.organization,
                Console(stderr=True),
            )
        )
    except cli_export.ExportError as error:
        raise CommandFailed(str(error)) from None
    for failure in summary.failures:
        print(f"failed: {failure}", file=sys.stderr)
    _say(summary.line)
    return 1 if summary.failed else 0


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date YYYY-MM-DD: {text[:40]!r}") from None


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="billfold", description="Billfold invoicing engine")
    commands = root.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="create the database if missing, migrate it, serve the API")
    serve.add_argument("--host", default=None, help="address (default BILLFOLD_HOST or 127.0.0.1)")
    serve.add_argument("--port", type=int, default=None, help="port (default BILLFOLD_PORT or 8000)")
    serve.add_argument(
        "--workers", type=int, default=None, help="worker processes (default BILLFOLD_WORKERS or 2)"
    )
    serve.add_argument("--log-level", default="info")
    serve.add_argument("--access-log", action=argparse.BooleanOptionalAction, default=True)
    serve.set_defaults(run=_serve)

    commands.add_parser(
        "worker", help="deliver webhooks and run the scheduler (alongside or instead of serve's own)"
    ).set_defaults(run=_worker)

    commands.add_parser("migrate", help="create the database if missing and migrate it").set_defaults(
        run=_migrate
    )

    keys = commands.add_parser("api-keys", help="manage API keys")
    key_commands = keys.add_subparsers(dest="keys_command", required=True)
    create = key_commands.add_parser("create", help="create an API key (and the organization if it is new)")
    create.add_argument("--organization", required=True)
    create.add_argument("--name", default=None, help="what the key is for (shown by list)")
    create.set_defaults(run=_api_keys_create)
    listing = key_commands.add_parser("list", help="list an organization's API keys (never the keys)")
    listing.add_argument("--organization", required=True)
    listing.set_defaults(run=_api_keys_list)
    revoke = key_commands.add_parser("revoke", help="revoke an API key: it is refused at once, everywhere")
    revoke.add_argument("--organization", required=True)
    revoke.add_argument("key_id", type=_key_id, help="the key's id, as shown by list")
    revoke.set_defaults(run=_api_keys_revoke)

    docs = commands.add_parser("documents", help="invoice documents")
    doc_commands = docs.add_subparsers(dest="documents_command", required=True)
    export = doc_commands.add_parser(
        "export", help="write every issued invoice's PDF, UBL or CII into a folder (resumable)"
    )
    export.add_argument("--since", type=_day, required=True, help="issued on or after this date (YYYY-MM-DD)")
    export.add_argument("--format", choices=("pdf", "ubl", "cii"), required=True)
    export.add_argument("--out", required=True, help="the folder (created if missing)")
    export.add_argument("--organization", default=None, help="name or id (needed when there are several)")
    export.set_defaults(run=_documents_export)
    return root


def _database_error(error: BaseException) -> str:
    reason = error.orig if isinstance(error, DBAPIError) and error.orig is not None else error
    text = " ".join(str(reason).split()) or type(reason).__name__
    try:
        where = shown_url(load_settings().database_url)
    except ConfigError:
        where = "the database"
    return f"cannot use {where}: {text[:300]}"


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        result: int = args.run(args)
    except (ConfigError, bootstrap.DatabaseUnavailable, CommandFailed) as error:
        print(f"billfold: {error}", file=sys.stderr)
        return 1
    except (DBAPIError, OSError) as error:
        print(f"billfold: {_database_error(error)}", file=sys.stderr)
        return 1
    return result


if __name__ == "__main__":
    sys.exit(main())
