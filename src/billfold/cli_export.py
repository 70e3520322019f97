"""``billfold documents export``: every issued invoice's document (PDF, UBL or CII) into a folder.

One file per invoice, named after its number (made safe for file systems): ``INV-2026-000001.pdf``,
``INV-2026-000001.ubl.xml``, ``INV-2026-000001.cii.xml``. Resumable: a file already there is skipped, and
each file is written under a temporary name and renamed when complete, so an interrupted run leaves no
half-written file to skip next time. An invoice EN 16931 cannot express has no e-invoice: it is counted
as failed (its reasons on stderr) and the command ends with exit code 1. Progress shows on stderr
(rich); the last line on stdout is the summary: ``exported N, skipped M, failed K``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import anyio
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from sqlalchemy.ext.asyncio import AsyncEngine

from billfold.db.engine import make_engine
from billfold.db.models import Organization
from billfold.db.uow import UnitOfWork
from billfold.documents.cii import render_cii
from billfold.documents.einvoice import not_representable
from billfold.documents.model import Document
from billfold.documents.pdf import render_pdf
from billfold.documents.ubl import render_ubl
from billfold.services import documents
from billfold.services.context import Actor

FORMATS = ("pdf", "ubl", "cii")
SUFFIX = {"pdf": ".pdf", "ubl": ".ubl.xml", "cii": ".cii.xml"}


class ExportError(RuntimeError):
    """The export cannot start (no such organization, several and none chosen)."""


@dataclass
class Summary:
    exported: int = 0
    skipped: int = 0
    failed: int = 0
    failures: list[str] = field(default_factory=list)

    @property
    def line(self) -> str:
        return f"exported {self.exported}, skipped {self.skipped}, failed {self.failed}"


def render(doc: Document, kind: str) -> bytes:
    if kind == "pdf":
        return render_pdf(doc)
    if doc.is_draft:
        raise ValueError("not issued")
    reasons = not_representable(doc)
    if reasons:
        raise ValueError("not representable: " + "; ".join(f"{r.path}: {r.message}" for r in reasons))
    return render_ubl(doc) if kind == "ubl" else render_cii(doc)


async def _organization(uow: UnitOfWork, given: str | None) -> Organization:
    found = await uow.repo.organizations_by_id_or_name(given or "")
    if not found:
        raise ExportError(f"no organization named {given!r}" if given else "there is no organization yet")
    if len(found) > 1:
        raise ExportError("there are several organizations: choose one with --organization NAME|ID")
    return found[0]


async def export(
    database_url: str, since: date, kind: str, out: Path, organization: str | None, console: Console
) -> Summary:
    """Write the documents; the counts of what was written, skipped and failed."""
    await anyio.Path(out).mkdir(parents=True, exist_ok=True)
    summary = Summary()
    engine = make_engine(database_url)
    try:
        async with UnitOfWork(engine, readonly=True) as uow:
            actor = documents.actor_for(await _organization(uow, organization))
            invoices = await documents.issued_since(uow, actor, since)
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
        with Progress(*columns, console=console, transient=False) as progress:
            task = progress.add_task(f"Exporting {kind}", total=len(invoices))
            for invoice_id, number in invoices:
                await _one(engine, actor, invoice_id, number, kind, out, summary)
                progress.advance(task)
    finally:
        await engine.dispose()
    return summary


async def _one(
    engine: AsyncEngine,
    actor: Actor,
    invoice_id: uuid.UUID,
    number: str,
    kind: str,
    out: Path,
    summary: Summary,
) -> None:
    target = anyio.Path(out) / f"{documents.safe_name(number)}{SUFFIX[kind]}"
    if await target.exists():
        summary.skipped += 1
        return
    async with UnitOfWork(engine, readonly=True) as uow:
        doc = await documents.load_document(uow, actor, invoice_id)
    try:
        content = render(doc, kind)
    except ValueError as error:
        summary.failed += 1
        summary.failures.append(f"{number}: {error}")
        return
    partial = target.with_name(target.name + ".part")
    await partial.write_bytes(content)
    await partial.replace(target)
    summary.exported += 1
