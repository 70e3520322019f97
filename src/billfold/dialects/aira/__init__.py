"""Aira's API under ``/aira``: ``X-API-KEY`` auth, camelCase, JSON-number amounts, Aira's statuses."""

from __future__ import annotations

from fastapi import FastAPI

from billfold.dialects.aira import errors
from billfold.dialects.aira import router as routes
from billfold.dialects.aira.router import router
from billfold.dialects.aira.schemas import GroupIn, InvoiceIn, LineIn
from billfold.dialects.openapi_doc import API_KEY_HEADER, DialectDoc

PREFIX = "/aira"
DOC = DialectDoc(
    name="Aira",
    prefix=PREFIX,
    router=router,
    security={"AiraApiKey": API_KEY_HEADER},
    bodies={routes.create_invoice: InvoiceIn, routes.create_group: GroupIn, routes.create_line: LineIn},
)


def mount(app: FastAPI) -> None:
    app.include_router(router, prefix=PREFIX)
    app.state.error_shapes[PREFIX + "/"] = errors.shape
    app.state.dialect_docs.append(DOC)
