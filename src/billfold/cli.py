"""The ``billfold`` command: serve, migrate, and API keys.

One-time set-up (migrations, the first organization and its key) happens here, before any server worker
starts, so workers never race to do it.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence

from billfold.config import load_settings
from billfold.db import migrate as migrations
from billfold.db.engine import make_engine
from billfold.db.uow import UnitOfWork
from billfold.services.api_keys import create_api_key
from billfold.services.organizations import create_organization


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


async def _new_key(database_url: str, organization: str) -> str:
    engine = make_engine(database_url)
    try:
        async with UnitOfWork(engine) as uow:
            found = await uow.repo.organization_by_name(organization)
            if found is None:
                found, key = await create_organization(uow, organization)
            else:
                key = await create_api_key(uow, found.id)
            await uow.commit()
            return key
    finally:
        await engine.dispose()


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    settings = load_settings()
    migrations.upgrade(settings.database_url)
    key = asyncio.run(_first_organization(settings.database_url))
    if key is not None:
        print("Created the first organization. Its API key (shown once, keep it safe):", flush=True)
        print(key, flush=True)
    workers = args.workers if args.workers is not None else settings.workers
    uvicorn.run(
        "billfold.api.app:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=workers if workers > 1 else None,
        log_level=args.log_level,
        access_log=args.access_log,
    )
    return 0


def _migrate(_: argparse.Namespace) -> int:
    migrations.upgrade(load_settings().database_url)
    print("migrations applied")
    return 0


def _api_keys_create(args: argparse.Namespace) -> int:
    settings = load_settings()
    migrations.upgrade(settings.database_url)
    key = asyncio.run(_new_key(settings.database_url, args.organization))
    print(f"API key for organization {args.organization!r} (shown once):")
    print(key)
    return 0


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="billfold", description="Billfold invoicing engine")
    commands = root.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="apply migrations, then serve the API")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument(
        "--workers", type=int, default=None, help="worker processes (default BILLFOLD_WORKERS or 2)"
    )
    serve.add_argument("--log-level", default="info")
    serve.add_argument("--access-log", action=argparse.BooleanOptionalAction, default=True)
    serve.set_defaults(run=_serve)

    commands.add_parser("migrate", help="apply database migrations").set_defaults(run=_migrate)

    keys = commands.add_parser("api-keys", help="manage API keys")
    key_commands = keys.add_subparsers(dest="keys_command", required=True)
    create = key_commands.add_parser("create", help="create an API key (and the organization if it is new)")
    create.add_argument("--organization", required=True)
    create.set_defaults(run=_api_keys_create)
    return root


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    result: int = args.run(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
