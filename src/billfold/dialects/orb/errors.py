"""Orb's error shape (RFC 7807): ``{type, status, title, detail}``, plus ``validation_errors`` on a 400."""

from __future__ import annotations

from fastapi.responses import Response

from billfold.dialects.common import respond
from billfold.dialects.field_names import FieldNames, vendor_error
from billfold.web.errors import ErrorInfo

DOCS = "https://docs.withorb.com/reference/error-responses"
KINDS = {
    400: ("400-request-validation-errors", "Request validation errors"),
    401: ("401-authentication-error", "Authentication failure"),
    404: ("404-resource-not-found", "A specified resource was not found."),
    405: ("405-method-not-allowed", "Method not allowed"),
    409: ("409-resource-conflict", "Resource conflict"),
    413: ("413-request-too-large", "Request too large"),
    500: ("500-internal-server-error", "Internal server error"),
}

# the native name of each field Orb's request names otherwise (seed 002, snake_case)
FIELD_NAMES: FieldNames = {
    "startDate": "start_date",
    "endDate": "end_date",
    "productId": "item_id",
    "invoiceId": "invoice_id",
    "unitPrice": "amount",
    "idempotencyKey": "Idempotency-Key",
}


def shape(error: ErrorInfo) -> Response:
    error = vendor_error(error, FIELD_NAMES)
    anchor, title = KINDS.get(error.status, (f"{error.status}-error", "Error"))
    # Orb calls products items: "item <id> not found", as its own API says
    detail = error.message
    if detail.startswith("product "):
        detail = "item " + detail.removeprefix("product ")
    body: dict[str, object] = {
        "type": f"{DOCS}#{anchor}",
        "status": error.status,
        "title": title,
        "detail": detail,
    }
    if error.status == 400:
        body["validation_errors"] = [f"{field}: {reason}" for field, reason in error.details.items()]
    headers = {"WWW-Authenticate": "Bearer"} if error.status == 401 else None
    return respond(error.status, body, headers=headers)
