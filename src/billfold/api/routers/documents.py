"""Invoice documents: the PDF, the EN 16931 e-invoices (UBL, CII) and the hosted invoice page.

Rendering is CPU work (a 1,000-line PDF takes about a second), so it runs in a worker thread, off the
event loop: other requests go on meanwhile. The hosted page (``/i/{token}``) and its downloads need no
API key: the token (192 random bits, revocable) is the key. A wrong or revoked token answers exactly
what any unknown path answers.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

from anyio import to_thread
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from starlette.exceptions import HTTPException

from billfold.api import render
from billfold.db.uow import UnitOfWork
from billfold.documents.cii import render_cii
from billfold.documents.einvoice import NotRepresentableError, not_representable
from billfold.documents.html import HostedLinks, render_hosted_page
from billfold.documents.model import Document, DocumentKind
from billfold.documents.pdf import render_pdf
from billfold.documents.ubl import render_ubl
from billfold.services import credit_note_documents, documents
from billfold.services.context import Actor
from billfold.services.currencies import currency
from billfold.services.errors import Conflict, NotFound, ValidationFailed
from billfold.web.body import JsonRoute
from billfold.web.plumbing import current_actor, json_response, read, write
from billfold.web.public_url import public_base

router = APIRouter(tags=["documents"], route_class=JsonRoute)

SYNTAXES: dict[str, Callable[[Document], bytes]] = {"ubl": render_ubl, "cii": render_cii}
HOSTED_HEADERS = {
    "Cache-Control": "no-store",
    "X-Robots-Tag": "noindex",
    "Referrer-Policy": "no-referrer",
}


def _attachment(
    content: bytes, media_type: str, filename: str, headers: dict[str, str] | None = None
) -> Response:
    return Response(
        content=content,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"', **(headers or {})},
    )


async def pdf_bytes(doc: Document, locale: str | None = None) -> bytes:
    return await to_thread.run_sync(render_pdf, doc, locale)


async def einvoice_bytes(doc: Document, syntax: str) -> bytes:
    """The e-invoice: 409 ``invoice_not_issued`` for a draft, 409 ``not_representable`` naming every
    missing datum."""
    if doc.is_draft:
        raise Conflict(
            "a draft has no e-invoice: issue it first",
            code="invoice_not_issued",
            details={"status": doc.status},
        )
    reasons = not_representable(doc)
    if reasons:
        error = NotRepresentableError(reasons)
        what = "credit note" if doc.kind is DocumentKind.CREDIT_NOTE else "invoice"
        raise Conflict(
            f"EN 16931 cannot express this {what}: {error}", code="not_representable", details=error.details
        )
    return await to_thread.run_sync(SYNTAXES[syntax], doc)


def _syntax(value: str | None) -> str:
    if value not in SYNTAXES:
        raise ValidationFailed.field("syntax", "must be ubl or cii")
    return value


@router.get("/v1/invoices/{invoice_id}/pdf", response_class=Response)
async def invoice_pdf(
    invoice_id: uuid.UUID, request: Request, actor: Actor = Depends(current_actor)
) -> Response:
    """The invoice as PDF/A-3b (Factur-X with its CII embedded when EN 16931 can express it); a draft is
    a preview marked DRAFT, without a number."""
    doc = await read(request, lambda uow: documents.load_document(uow, actor, invoice_id))
    return _attachment(await pdf_bytes(doc), "application/pdf", f"{documents.file_stem(doc)}.pdf")


@router.get("/v1/invoices/{invoice_id}/e-invoice", response_class=Response)
async def invoice_einvoice(
    invoice_id: uuid.UUID, request: Request, syntax: str | None = None, actor: Actor = Depends(current_actor)
) -> Response:
    """The EN 16931 e-invoice: ``syntax=ubl`` (UBL 2.1) or ``syntax=cii`` (UN/CEFACT CII D16B)."""
    doc = await read(request, lambda uow: documents.load_document(uow, actor, invoice_id))  # 404 first
    chosen = _syntax(syntax)
    content = await einvoice_bytes(doc, chosen)
    return _attachment(content, "application/xml", f"{documents.file_stem(doc)}.{chosen}.xml")


@router.get("/v1/credit-notes/{credit_note_id}/pdf", response_class=Response)
async def credit_note_pdf(
    credit_note_id: uuid.UUID, request: Request, actor: Actor = Depends(current_actor)
) -> Response:
    """The credit note as PDF/A-3b (Factur-X, type code 381, with its CII embedded when EN 16931 can
    express it), referring to the invoice it corrects; a voided note is marked VOID."""
    doc = await read(
        request, lambda uow: credit_note_documents.credit_note_document(uow, actor, credit_note_id)
    )
    return _attachment(await pdf_bytes(doc), "application/pdf", f"{documents.file_stem(doc)}.pdf")


@router.get("/v1/credit-notes/{credit_note_id}/e-invoice", response_class=Response)
async def credit_note_einvoice(
    credit_note_id: uuid.UUID,
    request: Request,
    syntax: str | None = None,
    actor: Actor = Depends(current_actor),
) -> Response:
    """The EN 16931 credit note: ``syntax=ubl`` (UBL 2.1 ``CreditNote``) or ``syntax=cii`` (CII, type
    code 381), each referring to the invoice it corrects (BG-3)."""
    doc = await read(
        request, lambda uow: credit_note_documents.credit_note_document(uow, actor, credit_note_id)
    )  # 404 first
    chosen = _syntax(syntax)
    content = await einvoice_bytes(doc, chosen)
    return _attachment(content, "application/xml", f"{documents.file_stem(doc)}.{chosen}.xml")


@router.post("/v1/invoices/{invoice_id}/hosted-link/revoke")
async def revoke_hosted_link(
    invoice_id: uuid.UUID, request: Request, actor: Actor = Depends(current_actor)
) -> Response:
    """Replace the invoice's hosted link: the old one answers 404 from now on. Answers the invoice
    summary with its new ``hostedInvoiceUrl`` and ``pdfUrl``."""
    row = await write(request, lambda uow: documents.revoke_hosted_link(uow, actor, invoice_id))
    return json_response(200, render.invoice_summary(row, currency(row.currency), actor.today()))


# -- the hosted page: no API key ---------------------------------------------------------------------


async def _hosted(request: Request, token: str) -> Document:
    async def work(uow: UnitOfWork) -> Document:
        invoice, actor = await documents.invoice_by_token(uow, token)
        return await documents.load_document(uow, actor, invoice.id)

    try:
        return await read(request, work)
    except NotFound:
        raise HTTPException(status_code=404) from None


def _locale(request: Request) -> str | None:
    return request.query_params.get("locale") or None


@router.get("/i/{token}", response_class=HTMLResponse, include_in_schema=False)
async def hosted_page(token: str, request: Request) -> Response:
    doc = await _hosted(request, token)
    base = f"{public_base()}/i/{token}"
    representable = not not_representable(doc)
    links = HostedLinks(
        pdf=f"{base}/pdf",
        ubl=f"{base}/ubl" if representable else None,
        cii=f"{base}/cii" if representable else None,
    )
    html = await to_thread.run_sync(render_hosted_page, doc, _locale(request), links)
    return HTMLResponse(html, headers=HOSTED_HEADERS)


@router.get("/i/{token}/pdf", response_class=Response, include_in_schema=False)
async def hosted_pdf(token: str, request: Request) -> Response:
    doc = await _hosted(request, token)
    content = await pdf_bytes(doc, _locale(request))
    return _attachment(content, "application/pdf", f"{documents.file_stem(doc)}.pdf", HOSTED_HEADERS)


@router.get("/i/{token}/{syntax}", response_class=Response, include_in_schema=False)
async def hosted_einvoice(token: str, syntax: str, request: Request) -> Response:
    if syntax not in SYNTAXES:
        raise HTTPException(status_code=404)
    doc = await _hosted(request, token)
    if doc.is_draft or not_representable(doc):
        # the page links no e-invoice then; the API's 409 names ids and fields the public is not shown
        raise HTTPException(status_code=404)
    content = await einvoice_bytes(doc, syntax)
    return _attachment(content, "application/xml", f"{documents.file_stem(doc)}.{syntax}.xml", HOSTED_HEADERS)
