"""Aira's error shape: ``{message, code, details, causations}`` (seed 000), for 400, 401, 404 and 409 alike.

Each causation is ``{message, code, details}`` (no other keys), one per field at fault.
"""

from __future__ import annotations

from fastapi.responses import Response

from billfold.dialects.common import respond
from billfold.dialects.field_names import FieldNames, vendor_error
from billfold.web.errors import ErrorInfo

# Aira's request fields are the native API's names (camelCase, seeds 000 and 003): nothing to rename.
FIELD_NAMES: FieldNames = {}


def shape(error: ErrorInfo) -> Response:
    error = vendor_error(error, FIELD_NAMES)
    causations = [
        {"message": f"{field}: {reason}", "code": error.code, "details": {"field": field}}
        for field, reason in error.details.items()
        if len(error.details) > 1
    ]
    body = {"message": error.message, "code": error.code, "details": error.details, "causations": causations}
    return respond(error.status, body)
