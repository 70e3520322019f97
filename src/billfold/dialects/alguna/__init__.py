"""Alguna's API under ``/alguna``: Bearer auth, camelCase, money as decimal strings."""

from __future__ import annotations

from fastapi import FastAPI

from billfold.dialects.alguna import errors
from billfold.dialects.alguna.router import router

PREFIX = "/alguna"


def mount(app: FastAPI) -> None:
    app.include_router(router, prefix=PREFIX)
    app.state.error_shapes[PREFIX + "/"] = errors.shape
