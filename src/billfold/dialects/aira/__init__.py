"""Aira's API under ``/aira``: ``X-API-KEY`` auth, camelCase, JSON-number amounts, Aira's statuses."""

from __future__ import annotations

from fastapi import FastAPI

from billfold.dialects.aira import errors
from billfold.dialects.aira.router import router

PREFIX = "/aira"


def mount(app: FastAPI) -> None:
    app.include_router(router, prefix=PREFIX)
    app.state.error_shapes[PREFIX + "/"] = errors.shape
