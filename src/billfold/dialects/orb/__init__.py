"""Orb's API under ``/orb/v1``: Bearer auth, snake_case, amounts as decimal strings, quantities as numbers."""

from __future__ import annotations

from fastapi import FastAPI

from billfold.dialects.orb import errors
from billfold.dialects.orb.router import router

PREFIX = "/orb/v1"


def mount(app: FastAPI) -> None:
    app.include_router(router, prefix=PREFIX)
    app.state.error_shapes[PREFIX + "/"] = errors.shape
