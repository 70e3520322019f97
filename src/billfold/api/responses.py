"""Response schemas of the native API, for the OpenAPI document (and the schema-conformance fuzz tests).

Routes build their JSON with :mod:`billfold.api.render` for speed; these models describe exactly what the
renderers produce (``additionalProperties: false``), and the fuzz tests hold the renderers to them.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Money = str
Text = str | None


class Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ErrorOut(Out):
    code: str
    message: str
    details: dict[str, Any]
    causations: list[dict[str, Any]]


class AddressOut(Out):
    street: Text
    number: Text
    complement: Text
    neighborhood: Text
    city: Text
    state: Text
    zipCode: Text  # noqa: N815 - the API's field name
    country: Text


class _Details(Out):
    tradeName: Text  # noqa: N815
    businessName: Text  # noqa: N815
    emails: list[str]
    taxId: Text  # noqa: N815
    taxIdType: Text  # noqa: N815
    address: AddressOut


class ElectronicAddressOut(Out):
    value: str
    scheme: str


class ContactOut(Out):
    name: Text
    phone: Text
    email: Text


class WithholdingRateOut(Out):
    name: str
    rate: str
    rounding: Literal["half_up", "half_even", "up", "down"]


class CustomerOut(_Details):
    id: str
    object: Literal["customer"]
    name: str
    externalCustomerId: Text  # noqa: N815
    currency: str
    paymentTermsDays: int | None  # noqa: N815
    withholdingRates: list[WithholdingRateOut]  # noqa: N815
    idempotencyKey: str  # noqa: N815
    electronicAddress: ElectronicAddressOut | None  # noqa: N815
    locale: Text
    createdAt: str  # noqa: N815


class PaymentAccountOut(_Details):
    id: str
    object: Literal["payment_account"]
    customerId: str  # noqa: N815
    isDefault: bool  # noqa: N815
    idempotencyKey: str  # noqa: N815
    createdAt: str  # noqa: N815


class IssuingAccountOut(_Details):
    id: str
    object: Literal["issuing_account"]
    isDefault: bool  # noqa: N815
    numberPrefix: str  # noqa: N815
    numberFormat: str  # noqa: N815
    creditNoteNumberPrefix: str  # noqa: N815
    creditNoteNumberFormat: str  # noqa: N815
    idempotencyKey: str  # noqa: N815
    vatId: Text  # noqa: N815
    legalRegistrationId: Text  # noqa: N815
    contact: ContactOut
    iban: Text
    bic: Text
    electronicAddress: ElectronicAddressOut | None  # noqa: N815
    createdAt: str  # noqa: N815


class ProductOut(Out):
    id: str
    object: Literal["product"]
    name: str
    description: Text
    defaultUnitPrice: Text  # noqa: N815
    taxCategory: Text  # noqa: N815
    taxCategoryId: Text  # noqa: N815
    archived: bool
    archivedAt: Text  # noqa: N815
    idempotencyKey: str  # noqa: N815
    createdAt: str  # noqa: N815


class TaxRateOut(Out):
    rate: str
    inclusive: bool
    country: Text
    vatCategory: Literal["S", "Z", "E", "AE", "K", "G", "O", "L", "M"]  # noqa: N815
    exemptionReason: Text  # noqa: N815
    exemptionReasonCode: Text  # noqa: N815


class TaxCategoryOut(Out):
    id: str
    object: Literal["tax_category"]
    name: str
    rates: list[TaxRateOut]
    idempotencyKey: str  # noqa: N815
    createdAt: str  # noqa: N815


class OrganizationOut(Out):
    id: str
    object: Literal["organization"]
    name: str
    roundingMode: Literal["half_up", "half_even"]  # noqa: N815
    taxRounding: Literal["document", "line"]  # noqa: N815
    defaultTaxCategoryId: Text  # noqa: N815
    timeZone: str  # noqa: N815
    locale: str
    createdAt: str  # noqa: N815


class ApiKeyOut(Out):
    id: str
    object: Literal["api_key"]
    prefix: str
    name: Text
    createdAt: str  # noqa: N815
    revokedAt: Text  # noqa: N815


class CreditEntryOut(Out):
    id: str
    object: Literal["credit_entry"]
    customerId: str  # noqa: N815
    kind: str
    amount: Money
    currency: str
    expiresOn: Text  # noqa: N815
    reason: Text
    grantId: Text  # noqa: N815
    invoiceId: Text  # noqa: N815
    paymentId: Text  # noqa: N815
    remaining: Text  # a grant's credit not yet used (expired or not); null for other kinds
    createdAt: str  # noqa: N815


class CreditBalanceOut(Out):
    currency: str
    available: Money


class CreditLedgerOut(Out):
    data: list[CreditEntryOut]
    balances: list[CreditBalanceOut]
    hasMore: bool  # noqa: N815
    nextCursor: Text  # noqa: N815


class PriceOut(BaseModel):
    """A price: these fields plus the model's own fields as given (``unitPrice``, ``tiers``...)."""

    model_config = ConfigDict(extra="allow")
    id: str
    object: Literal["price"]
    productId: str  # noqa: N815
    currency: str
    model: str
    archived: bool
    archivedAt: Text  # noqa: N815
    idempotencyKey: str  # noqa: N815
    createdAt: str  # noqa: N815


class _Amounts(Out):
    subtotalAmount: Money  # noqa: N815
    discountAmount: Money  # noqa: N815
    adjustmentAmount: Money  # noqa: N815
    netAmount: Money  # noqa: N815
    taxAmount: Money  # noqa: N815
    totalAmount: Money  # noqa: N815


class SubLineItemOut(Out):
    id: str
    type: str
    orbType: str  # noqa: N815
    name: str
    usage: Text
    amount: Money
    metadata: dict[str, Any]


class TaxAmountOut(Out):
    taxCategoryId: str  # noqa: N815
    rate: str
    inclusive: bool
    amount: Money


class AdjustmentShareOut(Out):
    id: str
    type: str
    name: str
    amount: Money


class AdjustmentDefinitionOut(Out):
    id: str
    type: str
    amount: Text
    percentage: Text
    quantity: Text
    appliesTo: dict[str, list[str]] | None  # noqa: N815
    reason: Text


class AdjustmentOut(AdjustmentDefinitionOut):
    appliedAmount: Money  # noqa: N815
    unappliedAmount: Money  # noqa: N815


class TaxSummaryOut(Out):
    taxCategoryId: str  # noqa: N815
    rate: str
    inclusive: bool
    taxableAmount: Money  # noqa: N815
    taxAmount: Money  # noqa: N815


class AllocationShareOut(Out):
    paymentAccountId: str  # noqa: N815
    percentage: str
    netAmount: Money  # noqa: N815
    taxAmount: Money  # noqa: N815
    totalAmount: Money  # noqa: N815
    creditsAppliedAmount: Money  # noqa: N815
    amountDue: Money  # noqa: N815


class WithholdingOut(Out):
    name: str
    rate: str
    amount: Money


class LineItemOut(_Amounts):
    id: str
    object: Literal["line_item"]
    invoiceId: str  # noqa: N815
    customerId: str  # noqa: N815
    lineItemGroupId: Text  # noqa: N815
    productId: str  # noqa: N815
    idempotencyKey: str  # noqa: N815
    index: int
    name: str
    description: Text
    scope: str
    startDate: str  # noqa: N815
    endDate: str  # noqa: N815
    pricing: Literal["unit_price", "amount", "price", "minimum"]
    unitCode: str  # noqa: N815
    quantity: str
    unitPrice: str  # noqa: N815
    currency: str
    priceId: Text  # noqa: N815
    price: dict[str, Any] | None
    usage: dict[str, Any] | None
    totalUsage: Text  # noqa: N815
    usageFormat: Literal["unit", "currency"] | None  # noqa: N815
    subLineItems: list[SubLineItemOut]  # noqa: N815
    taxCategoryId: Text  # noqa: N815
    taxAmounts: list[TaxAmountOut]  # noqa: N815
    adjustments: list[AdjustmentShareOut]
    adjustmentDefinitions: list[AdjustmentDefinitionOut]  # noqa: N815
    creditsAppliedAmount: Money  # noqa: N815
    createdAt: str  # noqa: N815


class GroupOut(_Amounts):
    id: str
    object: Literal["line_item_group"]
    invoiceId: str  # noqa: N815
    customerId: str  # noqa: N815
    productId: Text  # noqa: N815
    idempotencyKey: str  # noqa: N815
    index: int
    name: str
    description: Text
    startDate: str  # noqa: N815
    endDate: str  # noqa: N815
    currency: str
    taxCategoryId: Text  # noqa: N815
    taxAmounts: list[TaxAmountOut]  # noqa: N815
    adjustmentDefinitions: list[AdjustmentDefinitionOut]  # noqa: N815
    lineItems: list[LineItemOut]  # noqa: N815
    createdAt: str  # noqa: N815


class MinimumOut(Out):
    amount: Money
    scope: str | None


class CreditNoteRefOut(Out):
    """A credit note as the invoice lists it."""

    id: str
    number: str
    status: Literal["issued", "void"]
    issueDate: str  # noqa: N815
    totalAmount: Money  # noqa: N815
    reductionAmount: Money  # noqa: N815


class InvoiceSummaryOut(_Amounts):
    id: str
    object: Literal["invoice"]
    idempotencyKey: str  # noqa: N815
    customerId: str  # noqa: N815
    paymentAccountId: str  # noqa: N815
    issuingAccountId: str  # noqa: N815
    contractId: Text  # noqa: N815
    status: Literal["draft", "in_review", "issued", "overdue", "paid", "canceled", "void"]
    isLocked: bool  # noqa: N815
    source: Literal["one_off", "import", "contract"]
    autoIssue: bool  # noqa: N815
    invoiceAllocationStrategy: Literal["single", "percent_split"]  # noqa: N815
    invoiceNumber: Text  # noqa: N815
    series: str
    currency: str
    invoiceDate: str  # noqa: N815
    periodStart: str  # noqa: N815
    periodEnd: str  # noqa: N815
    issueDate: Text  # noqa: N815
    dueDate: Text  # noqa: N815
    paymentTermsDays: int | None  # noqa: N815
    voidReason: Text  # noqa: N815
    memo: Text
    buyerReference: Text  # noqa: N815
    purchaseOrder: Text  # noqa: N815
    deliveryDate: Text  # noqa: N815
    deliveryCountry: Text  # noqa: N815
    hostedInvoiceUrl: Text  # noqa: N815
    pdfUrl: Text  # noqa: N815
    minimum: MinimumOut | None
    creditsAppliedAmount: Money  # noqa: N815
    amountDue: Money  # noqa: N815
    amountPaid: Money  # noqa: N815
    amountRemaining: Money  # noqa: N815
    creditedAmount: Money  # noqa: N815
    refundedAmount: Money  # noqa: N815
    lastCalculatedAt: Text  # noqa: N815
    createdAt: str  # noqa: N815
    updatedAt: str  # noqa: N815


class InvoiceOut(InvoiceSummaryOut):
    taxSummary: list[TaxSummaryOut]  # noqa: N815
    adjustments: list[AdjustmentOut]
    allocations: list[AllocationShareOut]
    withholdingRates: list[dict[str, Any]]  # noqa: N815
    withholdings: list[WithholdingOut]
    withholdingAmount: Money  # noqa: N815
    lineItemGroups: list[GroupOut]  # noqa: N815
    standaloneLineItems: list[LineItemOut]  # noqa: N815
    creditNotes: list[CreditNoteRefOut]  # noqa: N815


class EventOut(Out):
    id: str
    object: Literal["event"]
    sequence: int
    type: str
    resourceType: str  # noqa: N815
    resourceId: str  # noqa: N815
    invoiceId: Text  # noqa: N815
    fromStatus: Text  # noqa: N815
    toStatus: Text  # noqa: N815
    apiKeyId: Text  # noqa: N815
    data: dict[str, Any]
    payload: dict[str, Any] | None
    createdAt: str  # noqa: N815


class WebhookEndpointOut(Out):
    id: str
    object: Literal["webhook_endpoint"]
    url: str
    description: Text
    enabledEvents: list[str]  # noqa: N815
    status: Literal["enabled", "disabled", "auto_disabled"]
    disabled: bool
    disabledReason: Text  # noqa: N815
    failingSince: Text  # noqa: N815
    previousSecretExpiresAt: Text  # noqa: N815
    createdAt: str  # noqa: N815
    updatedAt: str  # noqa: N815
    secret: str | None = Field(default=None, description="Only when created or rotated")


class WebhookAttemptOut(Out):
    id: str
    statusCode: int | None  # noqa: N815
    durationMs: int  # noqa: N815
    responseSnippet: Text  # noqa: N815
    error: Text
    createdAt: str  # noqa: N815


class WebhookDeliveryOut(Out):
    id: str
    object: Literal["webhook_delivery"]
    endpointId: str  # noqa: N815
    eventId: str  # noqa: N815
    eventType: str  # noqa: N815
    status: Literal["pending", "delivered", "failed"]
    attemptCount: int  # noqa: N815
    nextAttemptAt: Text  # noqa: N815
    lastStatusCode: int | None  # noqa: N815
    lastError: Text  # noqa: N815
    deliveredAt: Text  # noqa: N815
    createdAt: str  # noqa: N815
    attempts: list[WebhookAttemptOut]


class WebhookReplayOut(Out):
    object: Literal["webhook_replay"]
    requeued: int


class PaymentOut(Out):
    id: str
    object: Literal["payment"]
    type: Literal["payment"]
    invoiceId: str  # noqa: N815
    amount: Money
    appliedAmount: Money  # noqa: N815
    excessAmount: Money  # noqa: N815
    currency: str
    date: str
    method: Text
    reference: Text
    idempotencyKey: str  # noqa: N815
    invoiceStatus: str  # noqa: N815
    invoiceAmountPaid: Money  # noqa: N815
    invoiceAmountRemaining: Money  # noqa: N815
    createdAt: str  # noqa: N815


class CreditNoteLineOut(Out):
    lineItemId: Text  # noqa: N815
    description: str
    quantity: Text
    subtotalAmount: Money  # noqa: N815
    discountAmount: Money  # noqa: N815
    adjustmentAmount: Money  # noqa: N815
    netAmount: Money  # noqa: N815
    taxAmount: Money  # noqa: N815
    totalAmount: Money  # noqa: N815
    taxCategoryId: Text  # noqa: N815
    taxRate: Text  # noqa: N815
    taxInclusive: bool | None  # noqa: N815


class CreditNoteOut(_Amounts):
    id: str
    object: Literal["credit_note"]
    number: str
    invoiceId: str  # noqa: N815
    customerId: str  # noqa: N815
    issuingAccountId: str  # noqa: N815
    status: Literal["issued", "void"]
    issueDate: str  # noqa: N815
    reason: Literal["duplicate", "fraudulent", "order_change", "product_unsatisfactory", "other"]
    memo: Text
    currency: str
    lines: list[CreditNoteLineOut]
    taxSummary: list[TaxSummaryOut]  # noqa: N815
    refundAmount: Money  # noqa: N815
    creditAmount: Money  # noqa: N815
    outOfBandAmount: Money  # noqa: N815
    reductionAmount: Money  # noqa: N815
    pdfUrl: str  # noqa: N815
    idempotencyKey: str  # noqa: N815
    voidReason: Text  # noqa: N815
    createdAt: str  # noqa: N815
    voidedAt: Text  # noqa: N815


class RefundOut(Out):
    id: str
    object: Literal["refund"]
    type: Literal["refund"]
    invoiceId: str  # noqa: N815
    creditNoteId: Text  # noqa: N815
    amount: Money
    currency: str
    date: str
    reason: Text
    idempotencyKey: str  # noqa: N815
    createdAt: str  # noqa: N815


class PaymentHistoryPage(Out):
    """An invoice's payments and refunds, oldest first: each entry says its ``type``."""

    data: list[PaymentOut | RefundOut]
    hasMore: bool  # noqa: N815
    nextCursor: str | None  # noqa: N815


def page_of(item: type[BaseModel]) -> type[BaseModel]:
    """``{data: [item], hasMore, nextCursor}``."""
    fields: Any = {
        "data": (list[item], Field()),  # type: ignore[valid-type]
        "hasMore": (bool, Field()),
        "nextCursor": (str | None, Field()),
    }
    from pydantic import create_model

    model: type[BaseModel] = create_model(
        f"{item.__name__.removesuffix('Out')}Page", __config__=ConfigDict(extra="forbid"), **fields
    )
    return model
