"""Alguna's error shape: ``{status, detail}``."""

from __future__ import annotations

from fastapi.responses import Response

from billfold.dialects.common import respond
from billfold.dialects.field_names import FieldNames, vendor_error
from billfold.web.errors import ErrorInfo

# the native name of each field Alguna's request names otherwise (seed 004, camelCase)
FIELD_NAMES: FieldNames = {
    "name": "description",
    "amount": "unitPrice",
    "idempotencyKey": "Idempotency-Key",
}


def shape(error: ErrorInfo) -> Response:
    error = vendor_error(error, FIELD_NAMES)
    headers = {"WWW-Authenticate": "Bearer"} if error.status == 401 else None
    return respond(error.status, {"status": error.status, "detail": error.message}, headers=headers)
