"""Errors under ``/sequence/api``.

Sequence does not publish the body of its error answers, so this dialect answers the seeds' common
format, ``{code, message, details, causations}``, with ``WWW-Authenticate: Basic`` on a 401 (Sequence
authenticates with HTTP Basic: the API key as user name).
"""

from __future__ import annotations

from fastapi.responses import Response

from billfold.dialects.common import respond
from billfold.dialects.field_names import FieldNames, vendor_error
from billfold.web.errors import ErrorInfo

# the native name of each field Sequence's request names otherwise (camelCase)
FIELD_NAMES: FieldNames = {
    "name": "title",
    "unitPrice": "rate",
    "amount": "rate",
    "lineItemGroupId": "groupId",
    "startDate": "servicePeriod.startDate",
    "endDate": "servicePeriod.endDate",
    "idempotencyKey": "Idempotency-Key",
}


def shape(error: ErrorInfo) -> Response:
    error = vendor_error(error, FIELD_NAMES)
    causations = []
    if error.status == 400:
        causations = [{"field": field, "message": str(reason)} for field, reason in error.details.items()]
    body = {"code": error.code, "message": error.message, "details": error.details, "causations": causations}
    headers = {"WWW-Authenticate": 'Basic realm="Billfold"'} if error.status == 401 else None
    return respond(error.status, body, headers=headers)
