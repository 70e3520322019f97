"""Alguna's API under ``/alguna``: Bearer auth, camelCase, money as decimal strings."""

from __future__ import annotations

from fastapi import FastAPI

from billfold.dialects.alguna import errors
from billfold.dialects.alguna import router as routes
from billfold.dialects.alguna.router import router
from billfold.dialects.alguna.schemas import LineIn
from billfold.dialects.openapi_doc import BEARER, DialectDoc

PREFIX = "/alguna"
DOC = DialectDoc(
    name="Alguna",
    prefix=PREFIX,
    router=router,
    security={"AlgunaBearer": BEARER},
    bodies={routes.create_line: LineIn},
)


def mount(app: FastAPI) -> None:
    app.include_router(router, prefix=PREFIX)
    app.state.error_shapes[PREFIX + "/"] = errors.shape
    app.state.dialect_docs.append(DOC)
