"""The OpenAPI document, with the answers Billfold really gives and the auth every operation takes.

FastAPI documents a 422 for every route and nothing about the JSON the routes build themselves. This
replaces the 422 with Billfold's 400/401/404/409 error shape, adds each route's success schema from
:mod:`billfold.api.responses`, and declares the two ways to send the native API key on every native
operation. Each vendor API's operations declare that vendor's own auth (Aira ``X-API-KEY``, Sequence
HTTP Basic, Orb and Alguna Bearer) and the schema of their request bodies, from the dialect's
:class:`~billfold.dialects.openapi_doc.DialectDoc` (its pydantic request models, named ``OrbLineIn``...).
Only ``/health`` is open.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from billfold.api import responses as r
from billfold.dialects.openapi_doc import API_KEY_HEADER, BEARER, DialectDoc

REF = "#/components/schemas/{model}"

# (method, path pattern) -> (status, model); patterns match native paths only.
SUCCESS: list[tuple[str, str, str, type[BaseModel] | None]] = [
    # before the invoice transitions' "/void$", which would match it too
    ("POST", r"^/v1/credit-notes/\{credit_note_id\}/void$", "200", r.CreditNoteOut),
    ("POST", r"^/v1/customers$", "201", r.CustomerOut),
    ("GET", r"^/v1/customers$", "200", r.page_of(r.CustomerOut)),
    ("GET", r"^/v1/customers/\{[^}]+\}$", "200", r.CustomerOut),
    ("POST", r"/payment-accounts$", "201", r.PaymentAccountOut),
    ("GET", r"/payment-accounts$", "200", r.page_of(r.PaymentAccountOut)),
    ("POST", r"^/v1/issuing-accounts$", "201", r.IssuingAccountOut),
    ("GET", r"^/v1/issuing-accounts$", "200", r.page_of(r.IssuingAccountOut)),
    ("GET", r"^/v1/issuing-accounts/\{[^}]+\}$", "200", r.IssuingAccountOut),
    ("POST", r"^/v1/products$", "201", r.ProductOut),
    ("GET", r"^/v1/products$", "200", r.page_of(r.ProductOut)),
    ("GET", r"^/v1/products/\{[^}]+\}$", "200", r.ProductOut),
    ("POST", r"^/v1/tax-categories$", "201", r.TaxCategoryOut),
    ("GET", r"^/v1/tax-categories$", "200", r.page_of(r.TaxCategoryOut)),
    ("GET", r"^/v1/tax-categories/\{[^}]+\}$", "200", r.TaxCategoryOut),
    ("GET", r"^/v1/organization$", "200", r.OrganizationOut),
    ("PATCH", r"^/v1/organization$", "200", r.OrganizationOut),
    ("PATCH", r"^/v1/customers/\{[^}]+\}$", "200", r.CustomerOut),
    ("PATCH", r"^/v1/issuing-accounts/\{[^}]+\}$", "200", r.IssuingAccountOut),
    ("PATCH", r"^/v1/invoices/\{invoice_id\}$", "200", r.InvoiceOut),
    ("POST", r"^/v1/products/\{[^}]+\}/(archive|unarchive)$", "200", r.ProductOut),
    ("POST", r"^/v1/prices/\{[^}]+\}/(archive|unarchive)$", "200", r.PriceOut),
    ("GET", r"^/v1/api-keys$", "200", r.page_of(r.ApiKeyOut)),
    ("DELETE", r"^/v1/api-keys/\{[^}]+\}$", "200", r.ApiKeyOut),
    ("POST", r"^/v1/customers/\{[^}]+\}/credits$", "201", r.CreditEntryOut),
    ("GET", r"^/v1/customers/\{[^}]+\}/credits$", "200", r.CreditLedgerOut),
    ("POST", r"^/v1/prices$", "201", r.PriceOut),
    ("GET", r"^/v1/prices$", "200", r.page_of(r.PriceOut)),
    ("GET", r"^/v1/prices/\{[^}]+\}$", "200", r.PriceOut),
    ("POST", r"^/v1/invoices$", "201", r.InvoiceOut),
    ("POST", r"^/v1/invoices/\{invoice_id\}/hosted-link/revoke$", "200", r.InvoiceSummaryOut),
    ("GET", r"^/v1/invoices$", "200", r.page_of(r.InvoiceSummaryOut)),
    ("GET", r"^/v1/invoices/\{invoice_id\}$", "200", r.InvoiceOut),
    ("PUT", r"/minimum$", "200", r.InvoiceOut),
    ("DELETE", r"/minimum$", "200", r.InvoiceOut),
    ("POST", r"/line-item-groups$", "201", r.GroupOut),
    ("GET", r"/line-item-groups$", "200", r.page_of(r.GroupOut)),
    ("GET", r"/line-item-groups/\{group_id\}$", "200", r.GroupOut),
    ("PATCH", r"/line-item-groups/\{group_id\}$", "200", r.GroupOut),
    ("DELETE", r"/line-item-groups/\{group_id\}$", "204", None),
    ("POST", r"/line-items$", "201", r.LineItemOut),
    ("GET", r"/line-items$", "200", r.page_of(r.LineItemOut)),
    ("GET", r"/line-items/\{line_id\}$", "200", r.LineItemOut),
    ("PATCH", r"/line-items/\{line_id\}$", "200", r.LineItemOut),
    ("DELETE", r"/line-items/\{line_id\}$", "204", None),
    ("POST", r"/(issue|review|reopen|cancel|void)$", "200", r.InvoiceOut),
    ("POST", r"^/v1/invoices/\{invoice_id\}/adjustments$", "201", r.InvoiceOut),
    ("DELETE", r"^/v1/invoices/\{invoice_id\}/adjustments/\{adjustment_id\}$", "200", r.InvoiceOut),
    ("POST", r"/line-item-groups/\{group_id\}/adjustments$", "201", r.GroupOut),
    ("DELETE", r"/line-item-groups/\{group_id\}/adjustments/\{adjustment_id\}$", "200", r.GroupOut),
    ("POST", r"/line-items/\{line_id\}/adjustments$", "201", r.LineItemOut),
    ("DELETE", r"/line-items/\{line_id\}/adjustments/\{adjustment_id\}$", "200", r.LineItemOut),
    ("GET", r"/events$", "200", r.page_of(r.EventOut)),
    ("GET", r"^/v1/events/\{[^}]+\}$", "200", r.EventOut),
    ("POST", r"^/v1/events/\{[^}]+\}/resend$", "200", r.page_of(r.WebhookDeliveryOut)),
    ("POST", r"^/v1/webhook-endpoints$", "201", r.WebhookEndpointOut),
    ("GET", r"^/v1/webhook-endpoints$", "200", r.page_of(r.WebhookEndpointOut)),
    ("GET", r"^/v1/webhook-endpoints/\{[^}]+\}$", "200", r.WebhookEndpointOut),
    ("PATCH", r"^/v1/webhook-endpoints/\{[^}]+\}$", "200", r.WebhookEndpointOut),
    ("DELETE", r"^/v1/webhook-endpoints/\{[^}]+\}$", "204", None),
    ("POST", r"^/v1/webhook-endpoints/\{[^}]+\}/rotate-secret$", "200", r.WebhookEndpointOut),
    ("POST", r"^/v1/webhook-endpoints/\{[^}]+\}/replay$", "200", r.WebhookReplayOut),
    ("POST", r"^/v1/webhook-endpoints/\{[^}]+\}/test$", "200", r.EventOut),
    ("GET", r"^/v1/webhook-endpoints/\{[^}]+\}/deliveries$", "200", r.page_of(r.WebhookDeliveryOut)),
    ("POST", r"/payments$", "201", r.PaymentOut),
    ("GET", r"/payments$", "200", r.PaymentHistoryPage),
    ("POST", r"^/v1/invoices/\{invoice_id\}/credit-notes$", "201", r.CreditNoteOut),
    ("GET", r"^/v1/credit-notes$", "200", r.page_of(r.CreditNoteOut)),
    ("GET", r"^/v1/credit-notes/\{credit_note_id\}$", "200", r.CreditNoteOut),
    ("GET", r"^/v1/invoices/\{invoice_id\}/refunds$", "200", r.page_of(r.RefundOut)),
]

ERRORS = {
    "400": "Invalid request: `details` names each field at fault",
    "401": "Missing or invalid API key",
    "404": "No such resource in this organization",
    "409": "Conflict: reused idempotency key, locked invoice, invalid transition, duplicate",
    "503": "The database stayed busy past its timeout; retry",
}


def _success(method: str, path: str) -> tuple[str, type[BaseModel] | None] | None:
    for verb, pattern, status, model in SUCCESS:
        if verb == method and path.startswith("/v1/") and re.search(pattern, path):
            return status, model
    return None


# Documents answer files, not JSON: (path pattern, media type).
FILES = [
    (r"^/v1/(invoices|credit-notes)/\{[^}]+\}/pdf$", "application/pdf"),
    (r"/e-invoice$", "application/xml"),
]


def _file(path: str) -> str | None:
    return next((media for pattern, media in FILES if re.search(pattern, path)), None)


NATIVE_SECURITY = {"ApiKey": API_KEY_HEADER, "Bearer": BEARER}
OPEN_PATHS = {"/health"}


def _dialect_of(path: str, dialects: list[DialectDoc]) -> DialectDoc | None:
    for dialect in dialects:
        if path.startswith(dialect.prefix + "/"):
            return dialect
    return None


def _dialect_bodies(spec: dict[str, Any], dialects: list[DialectDoc]) -> dict[str, Any]:
    """Add each dialect route's request body to its operation; the schemas they refer to."""
    found: dict[str, Any] = {}
    for dialect in dialects:
        template = "#/components/schemas/" + dialect.name + "{model}"
        models = list(dict.fromkeys(dialect.bodies.values()))
        names, schemas = models_json_schema([(m, "validation") for m in models], ref_template=template)
        found.update({dialect.name + key: schema for key, schema in schemas.get("$defs", {}).items()})
        for route in dialect.router.routes:
            if not isinstance(route, APIRoute) or route.endpoint not in dialect.bodies:
                continue
            schema = names[(dialect.bodies[route.endpoint], "validation")]
            body = {"required": True, "content": {"application/json": {"schema": schema}}}
            path = dialect.prefix + route.path_format
            for method in route.methods or ():
                operation = spec["paths"].get(path, {}).get(method.lower())
                if operation is not None:
                    operation["requestBody"] = body
    return found


def build(app: FastAPI) -> dict[str, Any]:
    spec = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
    dialects: list[DialectDoc] = list(getattr(app.state, "dialect_docs", []))
    models = {model for *_, model in SUCCESS if model is not None} | {r.ErrorOut}
    _, schemas = models_json_schema([(model, "serialization") for model in models], ref_template=REF)
    components = spec.setdefault("components", {})
    components.setdefault("schemas", {}).update(schemas.get("$defs", {}))
    components["schemas"].update(_dialect_bodies(spec, dialects))
    components["securitySchemes"] = dict(NATIVE_SECURITY)
    for dialect in dialects:
        components["securitySchemes"].update(dialect.security)
    error_ref = {"$ref": REF.format(model="ErrorOut")}
    for path, operations in spec["paths"].items():
        owner = _dialect_of(path, dialects)
        security = NATIVE_SECURITY if owner is None else owner.security
        for method, operation in operations.items():
            if path not in OPEN_PATHS:
                operation["security"] = [{name: []} for name in security]
            media = _file(path)
            if media is not None:
                content = {media: {"schema": {"type": "string", "format": "binary"}}}
                files: dict[str, Any] = {"200": {"description": "The document", "content": content}}
                for code, text in ERRORS.items():
                    files[code] = {
                        "description": text,
                        "content": {"application/json": {"schema": error_ref}},
                    }
                operation["responses"] = files
                continue
            found = _success(method.upper(), path)
            if found is None:
                continue
            status, model = found
            answers: dict[str, Any] = {}
            if model is None:
                answers[status] = {"description": "Done"}
            else:
                schema = {"$ref": REF.format(model=model.__name__)}
                answers[status] = {"description": "OK", "content": {"application/json": {"schema": schema}}}
            for code, text in ERRORS.items():
                answers[code] = {"description": text, "content": {"application/json": {"schema": error_ref}}}
            operation["responses"] = answers
    return spec


def install(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = build(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
