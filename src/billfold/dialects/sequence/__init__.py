"""Sequence's API under ``/sequence/api``: HTTP Basic auth (the API key as user name), decimal strings."""

from __future__ import annotations

from fastapi import FastAPI

from billfold.dialects.sequence import errors
from billfold.dialects.sequence.router import router

PREFIX = "/sequence/api"


def mount(app: FastAPI) -> None:
    app.include_router(router, prefix=PREFIX)
    app.state.error_shapes[PREFIX + "/"] = errors.shape
