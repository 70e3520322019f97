"""Sequence's API under ``/sequence/api``: HTTP Basic auth (the API key as user name), decimal strings."""

from __future__ import annotations

from fastapi import FastAPI

from billfold.dialects.openapi_doc import BASIC, DialectDoc
from billfold.dialects.sequence import errors
from billfold.dialects.sequence import router as routes
from billfold.dialects.sequence.router import router
from billfold.dialects.sequence.schemas import GroupIn, LineIn

PREFIX = "/sequence/api"
DOC = DialectDoc(
    name="Sequence",
    prefix=PREFIX,
    router=router,
    security={"SequenceBasic": BASIC},
    bodies={routes.create_group: GroupIn, routes.create_line: LineIn},
)


def mount(app: FastAPI) -> None:
    app.include_router(router, prefix=PREFIX)
    app.state.error_shapes[PREFIX + "/"] = errors.shape
    app.state.dialect_docs.append(DOC)
