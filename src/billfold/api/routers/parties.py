"""Customers, their payment accounts, and issuing accounts."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from billfold.api import render
from billfold.api.schemas import (
    Address,
    BillingDetailsIn,
    ContactIn,
    CustomerIn,
    CustomerPatch,
    ElectronicAddressIn,
    IssuingAccountIn,
    IssuingAccountPatch,
    PaymentAccountIn,
)
from billfold.db.uow import UnitOfWork
from billfold.services import catalog_lists, document_data, parties
from billfold.services.billing_details import BillingDetails
from billfold.services.context import Actor
from billfold.web.body import JsonRoute
from billfold.web.plumbing import current_actor, idempotent_create, json_response, page_params, read, write

router = APIRouter(prefix="/v1", tags=["customers and accounts"], route_class=JsonRoute)


def billing_details(body: BillingDetailsIn) -> BillingDetails:
    address = body.address.model_dump() if body.address else {}
    return BillingDetails(
        trade_name=body.trade_name,
        business_name=body.business_name,
        emails=list(body.emails),
        tax_id=body.tax_id,
        tax_id_type=body.tax_id_type,
        **address,
    )


def document_fields(values: dict[str, Any]) -> dict[str, Any]:
    """The EN 16931 fields of a body (snake_case) as the services take them (plain dataclasses)."""
    fields = dict(values)
    address = fields.get("electronic_address")
    if isinstance(address, ElectronicAddressIn):
        fields["electronic_address"] = document_data.ElectronicAddressIn(address.value, address.scheme)
    contact = fields.get("contact")
    if isinstance(contact, ContactIn):
        fields["contact"] = document_data.ContactIn(contact.name, contact.phone, contact.email)
    return fields


def _given(body: Any, names: frozenset[str]) -> dict[str, Any]:
    return {name: getattr(body, name) for name in names if name in body.model_fields_set}


@router.post("/customers", status_code=201)
async def create_customer(
    body: CustomerIn, request: Request, actor: Actor = Depends(current_actor)
) -> Response:
    async def work(uow: UnitOfWork, key: str) -> tuple[int, Any]:
        new = parties.NewCustomer(
            name=body.name,
            idempotency_key=key,
            currency=body.currency,
            external_customer_id=body.external_customer_id,
            details=billing_details(body),
            payment_terms_days=body.payment_terms_days,
            withholding_rates=tuple(
                parties.NewWithholdingRate(name=rate.name, rate=rate.rate, rounding=rate.rounding)
                for rate in body.withholding_rates
            ),
            document_fields=document_fields(_given(body, document_data.CUSTOMER_FIELDS)),
        )
        return 201, render.customer(await parties.create_customer(uow, actor, new))

    return await idempotent_create(request, actor, "customer", body.idempotency_key, work)


@router.get("/customers")
async def list_customers(
    request: Request, limit: int = 20, after: str | None = None, actor: Actor = Depends(current_actor)
) -> Response:
    size, cursor = page_params(limit, after)

    rows, more = await read(request, lambda uow: catalog_lists.customers(uow, actor, size, cursor))
    return json_response(200, render.page([render.customer(row) for row in rows], more))


@router.get("/customers/{customer_id}")
async def get_customer(
    customer_id: uuid.UUID, request: Request, actor: Actor = Depends(current_actor)
) -> Response:
    row = await read(request, lambda uow: parties.get_customer(uow, actor, customer_id))
    return json_response(200, render.customer(row))


@router.post("/customers/{customer_id}/payment-accounts", status_code=201)
async def create_payment_account(
    customer_id: uuid.UUID, body: PaymentAccountIn, request: Request, actor: Actor = Depends(current_actor)
) -> Response:
    async def work(uow: UnitOfWork, key: str) -> tuple[int, Any]:
        account = await parties.create_payment_account(uow, actor, customer_id, billing_details(body), key)
        return 201, render.payment_account(account)

    scope = f"payment_account:{customer_id}"
    return await idempotent_create(request, actor, scope, body.idempotency_key, work)


@router.get("/customers/{customer_id}/payment-accounts")
async def list_payment_accounts(
    customer_id: uuid.UUID, request: Request, actor: Actor = Depends(current_actor)
) -> Response:
    rows = await read(request, lambda uow: parties.payment_accounts_of(uow, actor, customer_id))
    return json_response(200, render.page([render.payment_account(row) for row in rows], False))


@router.post("/issuing-accounts", status_code=201)
async def create_issuing_account(
    body: IssuingAccountIn, request: Request, actor: Actor = Depends(current_actor)
) -> Response:
    async def work(uow: UnitOfWork, key: str) -> tuple[int, Any]:
        account = await parties.create_issuing_account(
            uow,
            actor,
            billing_details(body),
            key,
            body.number_prefix,
            body.number_format,
            document_fields(_given(body, document_data.SELLER_FIELDS)),
            credit_note_numbering=(body.credit_note_number_prefix, body.credit_note_number_format),
        )
        return 201, render.issuing_account(account)

    return await idempotent_create(request, actor, "issuing_account", body.idempotency_key, work)


@router.get("/issuing-accounts")
async def list_issuing_accounts(
    request: Request, limit: int = 20, after: str | None = None, actor: Actor = Depends(current_actor)
) -> Response:
    size, cursor = page_params(limit, after)

    rows, more = await read(request, lambda uow: catalog_lists.issuing_accounts(uow, actor, size, cursor))
    return json_response(200, render.page([render.issuing_account(row) for row in rows], more))


@router.get("/issuing-accounts/{account_id}")
async def get_issuing_account(
    account_id: uuid.UUID, request: Request, actor: Actor = Depends(current_actor)
) -> Response:
    row = await read(request, lambda uow: parties.get_issuing_account(uow, actor, account_id))
    return json_response(200, render.issuing_account(row))


def detail_changes(body: CustomerPatch | IssuingAccountPatch) -> dict[str, Any]:
    """The fields a PATCH gave, snake_case, with ``address`` spread into its columns: ``address: null``
    clears them all, an address object changes the fields it gives."""
    given = body.model_fields_set
    changes = {name: getattr(body, name) for name in given if name != "address"}
    if "address" in given:
        address = body.address
        if address is None:
            changes.update(dict.fromkeys(Address.model_fields))
        else:
            changes.update({name: getattr(address, name) for name in address.model_fields_set})
    return document_fields(changes)


@router.patch("/customers/{customer_id}")
async def update_customer(
    customer_id: uuid.UUID, body: CustomerPatch, request: Request, actor: Actor = Depends(current_actor)
) -> Response:
    """Change the fields given (``null`` clears an optional one; an empty body changes nothing). The
    customer's default payment account follows its billing details."""
    changes = detail_changes(body)
    if "withholding_rates" in changes:
        changes["withholding_rates"] = tuple(
            parties.NewWithholdingRate(name=rate.name, rate=rate.rate, rounding=rate.rounding)
            for rate in body.withholding_rates or []
        )
    row = await write(request, lambda uow: parties.update_customer(uow, actor, customer_id, changes))
    return json_response(200, render.customer(row))


@router.patch("/issuing-accounts/{account_id}")
async def update_issuing_account(
    account_id: uuid.UUID, body: IssuingAccountPatch, request: Request, actor: Actor = Depends(current_actor)
) -> Response:
    """Change the fields given; numbering only while no invoice has been numbered in the account (409
    ``account_has_numbers``); ``isDefault: true`` makes it the default."""
    changes = detail_changes(body)
    row = await write(request, lambda uow: parties.update_issuing_account(uow, actor, account_id, changes))
    return json_response(200, render.issuing_account(row))
