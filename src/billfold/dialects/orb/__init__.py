"""Orb's API under ``/orb/v1``: Bearer auth, snake_case, amounts as decimal strings, quantities as numbers."""

from __future__ import annotations

from fastapi import FastAPI

from billfold.dialects.openapi_doc import BEARER, DialectDoc
from billfold.dialects.orb import credit_notes, errors
from billfold.dialects.orb import router as routes
from billfold.dialects.orb.router import router
from billfold.dialects.orb.schemas import LineIn

PREFIX = "/orb/v1"
DOC = DialectDoc(
    name="Orb",
    prefix=PREFIX,
    router=router,
    security={"OrbBearer": BEARER},
    bodies={routes.create_line: LineIn, credit_notes.create_credit_note: credit_notes.CreditNoteIn},
)


def mount(app: FastAPI) -> None:
    app.include_router(router, prefix=PREFIX)  # with the routes of credit_notes, which adds to it
    app.state.error_shapes[PREFIX + "/"] = errors.shape
    app.state.dialect_docs.append(DOC)
