"""``billfold documents export`` end to end: one file per issued invoice named after its number,
resumable (files already there are skipped), exit code 1 and a named failure for an invoice EN 16931
cannot express, and the summary line."""

from __future__ import annotations

import io
import os
import subprocess
import uuid
from datetime import date
from pathlib import Path

import anyio
import httpx
import pytest
from rich.console import Console
from sqlalchemy.ext.asyncio import AsyncEngine

from billfold.cli_export import ExportError, export
from conftest import ApiClient, new_api_key
from document_helpers import customer, invoice, issue, seller, tax_category
from server_support import BILLFOLD


async def _export(
    database_url: str, organization: str, kind: str, out: Path
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "BILLFOLD_DATABASE_URL": database_url, "BILLFOLD_EMBEDDED_WORKER": "false"}
    args = [*BILLFOLD, "documents", "export", "--since", "2026-01-01", "--format", kind, "--out", str(out)]
    args += ["--organization", organization]
    return await anyio.to_thread.run_sync(
        lambda: subprocess.run(args, env=env, capture_output=True, text=True, timeout=120, check=False)
    )


async def test_export_is_resumable_and_names_what_failed(
    engine: AsyncEngine, app_client: httpx.AsyncClient, database_url: str, tmp_path: Path
) -> None:
    name = f"Export {uuid.uuid4().hex[:8]}"
    api = ApiClient(app_client, await new_api_key(engine, name))
    await seller(api)
    std = await tax_category(api, "VAT 19", "19")
    buyer = await customer(api)
    good = await invoice(api, buyer)
    await api.create(
        f"/v1/invoices/{good}/line-items", {"name": "Plan", "amount": "10.00", "taxCategoryId": std}
    )
    good_number = (await issue(api, good))["invoiceNumber"]
    bad = await invoice(api, buyer)
    await api.create(f"/v1/invoices/{bad}/line-items", {"name": "Untaxed", "amount": "10.00"})
    bad_number = (await issue(api, bad))["invoiceNumber"]
    draft = await invoice(api, buyer)
    await api.create(f"/v1/invoices/{draft}/line-items", {"name": "Later", "amount": "1.00"})

    console = Console(file=io.StringIO(), width=100)
    first = await export(database_url, date(2026, 1, 1), "ubl", tmp_path / "ubl", name, console)
    assert (first.line, first.failures[0].split(":")[0]) == ("exported 1, skipped 0, failed 1", bad_number)
    assert "taxCategoryId" in first.failures[0]
    written = await anyio.Path(tmp_path / "ubl" / f"{good_number}.ubl.xml").read_bytes()
    assert written.startswith(b"<?xml")
    again = await export(database_url, date(2026, 1, 1), "ubl", tmp_path / "ubl", name, console)
    assert again.line == "exported 0, skipped 1, failed 1"
    pdfs = await export(database_url, date(2026, 1, 1), "pdf", tmp_path / "pdf", name, console)
    assert pdfs.line == "exported 2, skipped 0, failed 0"
    names = sorted([path.name async for path in anyio.Path(tmp_path / "pdf").iterdir()])
    assert names == sorted([f"{good_number}.pdf", f"{bad_number}.pdf"])
    later = await export(database_url, date(2099, 1, 1), "pdf", tmp_path / "later", name, console)
    assert later.line == "exported 0, skipped 0, failed 0"
    assert "Exporting" in console.file.getvalue()  # type: ignore[attr-defined]

    # the command itself: progress on stderr, the summary last on stdout, exit code 1 for the failure
    command = await _export(database_url, name, "cii", tmp_path / "cii")
    assert command.returncode == 1, command.stderr
    assert command.stdout.strip().splitlines()[-1] == "exported 1, skipped 0, failed 1"
    assert f"failed: {bad_number}" in command.stderr
    with pytest.raises(ExportError, match="no organization named"):
        await export(
            database_url, date(2026, 1, 1), "pdf", tmp_path / "none", "No such organization", console
        )
