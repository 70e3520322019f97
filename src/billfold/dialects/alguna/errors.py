"""Alguna's error shape: ``{status, detail}``."""

from __future__ import annotations

from fastapi.responses import Response

from billfold.dialects.common import respond
from billfold.web.errors import ErrorInfo


def shape(error: ErrorInfo) -> Response:
    headers = {"WWW-Authenticate": "Bearer"} if error.status == 401 else None
    return respond(error.status, {"status": error.status, "detail": error.message}, headers=headers)
