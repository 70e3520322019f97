"""The invoice calculation: :func:`calculate_invoice` turns rounded line bases into every derived amount.

Pipeline (DESIGN.md, "Calculation pipeline"), per line, then group, then invoice:

1. ``subtotal``: the line's base, already rounded (pricing's job);
2. adjustments (:mod:`~billfold.core.adjustments`): the line's own, then its group's, then the invoice's,
   each scope in Orb's order, covering adjustments computed once and split over their lines;
3. ``net = subtotal + adjustment``;
4. taxes (:mod:`~billfold.core.taxes`): per rate (EN 16931) or per line, exclusive or inclusive;
5. ``total = net + tax``. For an inclusive rate the adjusted amount is the gross: ``total`` is that
   gross and ``net = gross - tax``, so ``subtotal + adjustment = net + inclusive_tax`` on every line,
   group and invoice (``inclusive_tax`` is zero where every rate is exclusive);
6. a ``tax_gross_up`` line, if any, is set to what the withholding rates require
   (:func:`~billfold.core.taxes.gross_up_units`); it is untaxed and no adjustment covers it;
7. credits (:mod:`~billfold.core.credits`) after tax, up to the amount due, split over the lines;
8. a percent split over payment accounts (:mod:`~billfold.core.split`) when the invoice asks for one.

The work is done in whole minor units (``int``) and turned into amounts once at the end, so every group
and invoice figure is the exact sum of the rounded line figures beneath it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import partial
from itertools import repeat
from typing import NamedTuple

from billfold.core.adjustments import (
    AdjustableLines,
    Adjustment,
    AdjustmentKind,
    AdjustmentResult,
    AdjustmentScope,
    LineAdjustment,
    Scope,
    Usage,
    apply_scopes,
    line_usage,
)
from billfold.core.amounts import Amounts
from billfold.core.cells import cell_order
from billfold.core.credits import CreditGrant, CreditUse, credits_to_apply, split_credits_units
from billfold.core.money import RoundingMode
from billfold.core.split import (
    AccountShare,
    AllocationStrategy,
    CalculationError,
    DecimalCache,
    PaymentAllocation,
    check_exponent,
    percent_split,
    to_units,
)
from billfold.core.taxes import (
    RoundingPolicy,
    TaxAmount,
    TaxCategory,
    TaxKey,
    TaxResolver,
    TaxSummaryRow,
    Withholding,
    WithholdingRate,
    gross_up_units,
    resolve_tax_category_id,
    summary_rows,
    tax_by_key,
    tax_units,
    withhold,
)

_new_tuple = tuple.__new__
LINE, GROUP, INVOICE = AdjustmentScope.LINE, AdjustmentScope.GROUP, AdjustmentScope.INVOICE


@dataclass(frozen=True, slots=True)
class LineInput:
    """A line item as the calculation needs it. ``subtotal`` is its base, already rounded to the
    currency (ignored for a ``gross_up`` line, whose amount is derived). ``tax_category_id`` is the
    line's own; ``product_tax_category_id`` its product's. ``quantity`` with ``unit_price`` (or
    ``reprice``: the rounded base for a given usage) lets usage discounts value free units."""

    id: str
    subtotal: Decimal
    group_id: str | None = None
    product_id: str | None = None
    price_id: str | None = None
    tax_category_id: str | None = None
    product_tax_category_id: str | None = None
    adjustments: tuple[Adjustment, ...] = ()
    quantity: Decimal | None = None
    unit_price: Decimal | None = None
    reprice: Callable[[Decimal], Decimal] | None = None
    gross_up: bool = False


@dataclass(frozen=True, slots=True)
class GroupInput:
    """A line item group: its tax category (for lines without their own) and its adjustments."""

    id: str
    tax_category_id: str | None = None
    adjustments: tuple[Adjustment, ...] = ()


@dataclass(frozen=True, slots=True)
class InvoiceInput:
    """Everything :func:`calculate_invoice` needs. ``exponent`` is the currency's minor-unit exponent.

    Credits: give ``credits_applied`` (an amount frozen at issue), or ``credit_grants`` with the ledger's
    ``credit_uses`` and ``credits_as_of`` (the issue date) to spend available credit; neither: none.
    ``withholding_rates`` (the invoice's or the customer's) size a ``gross_up`` line and are reported.
    """

    exponent: int
    lines: Sequence[LineInput]
    groups: Sequence[GroupInput] = ()
    adjustments: tuple[Adjustment, ...] = ()
    rounding: RoundingPolicy = field(default_factory=RoundingPolicy)
    tax_categories: Mapping[str, TaxCategory] = field(default_factory=dict)
    default_tax_category_id: str | None = None
    customer_country: str | None = None
    withholding_rates: Sequence[WithholdingRate] = ()
    credits_applied: Decimal | None = None
    credit_grants: Sequence[CreditGrant] = ()
    credit_uses: Sequence[CreditUse] = ()
    credits_as_of: date | None = None
    invoice_id: str | None = None
    allocation_strategy: AllocationStrategy = AllocationStrategy.SINGLE
    allocations: Sequence[PaymentAllocation] = ()


class LineResult(NamedTuple):
    """A calculated line: ``amounts`` (subtotal, discount, adjustment, net, tax, total), ``tax_key`` its
    rate (``None``: untaxed), ``inclusive_tax`` the part of its tax inside its gross amount (inclusive
    rates; zero otherwise), ``credits_applied`` its share of the invoice's credits and ``adjustments``
    its shares of every adjustment that changed it. A named tuple, as pricing's sub lines: one is built
    per line on every read of an invoice, at a third of a frozen dataclass's cost (measured)."""

    id: str
    group_id: str | None
    amounts: Amounts
    tax_key: TaxKey | None
    inclusive_tax: Decimal
    credits_applied: Decimal
    adjustments: tuple[LineAdjustment, ...]

    @property
    def tax_amounts(self) -> tuple[TaxAmount, ...]:
        """Orb's ``tax_amounts``: the line's tax per rate (one rate per line; none when untaxed)."""
        key = self.tax_key
        if key is None:
            return ()
        return (TaxAmount(key.tax_category_id, key.rate, key.inclusive, self.amounts.tax),)


@dataclass(frozen=True, slots=True)
class GroupResult:
    """A group's sums of its lines, with its tax per rate (in order of first use)."""

    id: str
    amounts: Amounts
    tax_amounts: tuple[TaxAmount, ...]
    inclusive_tax: Decimal
    credits_applied: Decimal


@dataclass(frozen=True, slots=True)
class InvoiceResult:
    """The calculated invoice. ``lines`` in input order, ``groups`` in group order, ``standalone`` the
    sums of lines outside any group (so Σ groups + standalone = ``amounts``). ``tax_summary`` has one
    row per rate. ``adjustments`` reports every adjustment applied (line, group, then invoice scope).
    ``amount_due = amounts.total - credits_applied``; ``credit_uses`` are the ledger rows to record at
    issue. ``withholdings`` are what the customer withholds from the total (so it pays
    ``amount_due - withholding_amount``); ``gross_up_amount`` is the ``tax_gross_up`` line's amount.
    ``shares`` are the payment accounts' shares for a percent split (empty otherwise)."""

    lines: tuple[LineResult, ...]
    groups: tuple[GroupResult, ...]
    standalone: Amounts
    amounts: Amounts
    inclusive_tax: Decimal
    tax_summary: tuple[TaxSummaryRow, ...]
    adjustments: tuple[AdjustmentResult, ...]
    credits_applied: Decimal
    credit_uses: tuple[CreditUse, ...]
    amount_due: Decimal
    withholdings: tuple[Withholding, ...]
    withholding_amount: Decimal
    gross_up_amount: Decimal
    shares: tuple[AccountShare, ...]


def calculate_invoice(invoice: InvoiceInput) -> InvoiceResult:
    """Calculate every derived amount of ``invoice`` (see the module docstring). Invalid input raises
    :class:`~billfold.core.split.CalculationError` naming the field by its API path."""
    exponent = invoice.exponent
    check_exponent(exponent)
    lines = invoice.lines
    group_of, members, gross_up_at = _structure(invoice)
    subtotals = [
        to_units(line.subtotal, exponent, f"lines[{i}].subtotalAmount") for i, line in enumerate(lines)
    ]
    if gross_up_at is not None:
        subtotals[gross_up_at] = 0
    keys = _tax_keys(invoice, group_of, gross_up_at)
    state = _adjust(invoice, subtotals, members, gross_up_at, keys)
    amounts = state.amounts if state else list(subtotals)
    taxes, summary = tax_units(amounts, keys, mode=invoice.rounding.mode, rounding=invoice.rounding.tax)
    inclusive = [
        tax if key is not None and key.inclusive else 0 for key, tax in zip(keys, taxes, strict=True)
    ]
    nets = [amount - tax for amount, tax in zip(amounts, inclusive, strict=True)]
    totals = [net + tax for net, tax in zip(nets, taxes, strict=True)]
    gross_up = 0
    if gross_up_at is not None:
        wanted = sum(totals)
        gross_up = gross_up_units(wanted, invoice.withholding_rates, exponent) - wanted
        subtotals[gross_up_at] = nets[gross_up_at] = totals[gross_up_at] = gross_up
    total = sum(totals)
    credits, uses = credits_to_apply(
        total,
        applied=invoice.credits_applied,
        grants=invoice.credit_grants,
        uses=invoice.credit_uses,
        as_of=invoice.credits_as_of,
        invoice_id=invoice.invoice_id,
        exponent=exponent,
    )
    zeros = [0] * len(lines)
    work = _Work(
        subtotals=subtotals,
        discounts=state.discounts if state else zeros,
        adjustments=state.adjustments if state else zeros,
        nets=nets,
        taxes=taxes,
        inclusive=inclusive,
        totals=totals,
        credits=split_credits_units(credits, totals) if credits else zeros,
        decimals=DecimalCache(exponent),
    )
    dec = work.decimals
    invoice_amounts = work.amounts(None)
    withholdings = withhold(dec[total], invoice.withholding_rates, exponent=exponent)
    split = invoice.allocation_strategy == AllocationStrategy.PERCENT_SPLIT
    return InvoiceResult(
        lines=_line_results(lines, keys, work, state),
        groups=tuple(_group_result(g.id, members[k], keys, work) for k, g in enumerate(invoice.groups)),
        standalone=work.amounts([i for i, group in enumerate(group_of) if group is None]),
        amounts=invoice_amounts,
        inclusive_tax=dec[sum(inclusive)],
        tax_summary=summary_rows(summary, exponent),
        adjustments=tuple(state.results) if state else (),
        credits_applied=dec[credits],
        credit_uses=uses,
        amount_due=dec[total - credits],
        withholdings=withholdings,
        withholding_amount=dec[sum(to_units(w.amount, exponent, "withholdings") for w in withholdings)],
        gross_up_amount=dec[gross_up],
        shares=percent_split(
            invoice.allocations,
            net=invoice_amounts.net,
            tax=invoice_amounts.tax,
            credits_applied=dec[credits],
            exponent=exponent,
        )
        if split
        else (),
    )


def _structure(invoice: InvoiceInput) -> tuple[list[int | None], list[list[int]], int | None]:
    """Each line's group index (``None``: standalone), each group's line indices, and the index of the
    ``tax_gross_up`` line (``None``: there is none)."""
    index: dict[str, int] = {}
    for k, group in enumerate(invoice.groups):
        if index.setdefault(group.id, k) != k:
            raise CalculationError(f"groups[{k}].id", "appears twice")
    members: list[list[int]] = [[] for _ in invoice.groups]
    group_of: list[int | None] = []
    for i, line in enumerate(invoice.lines):
        position = None if line.group_id is None else index.get(line.group_id)
        if position is None and line.group_id is not None:
            raise CalculationError(f"lines[{i}].lineItemGroupId", f"unknown group {line.group_id}")
        group_of.append(position)
        if position is not None:
            members[position].append(i)
    if len({line.id for line in invoice.lines}) != len(invoice.lines):
        raise CalculationError("lines", "line ids must be distinct")
    gross_ups = [i for i, line in enumerate(invoice.lines) if line.gross_up]
    if len(gross_ups) > 1:
        raise CalculationError(f"lines[{gross_ups[1]}].scope", "an invoice has at most one tax_gross_up line")
    if gross_ups and invoice.lines[gross_ups[0]].adjustments:
        raise CalculationError(
            f"lines[{gross_ups[0]}].adjustments", "a tax_gross_up line takes no adjustments"
        )
    return group_of, members, gross_ups[0] if gross_ups else None


def _adjust(
    invoice: InvoiceInput,
    subtotals: list[int],
    members: list[list[int]],
    gross_up_at: int | None,
    keys: list[TaxKey | None],
) -> AdjustableLines | None:
    """Apply line, group and invoice adjustments; ``None`` when the invoice has none (the fast path).
    Covering adjustments split in two steps, over cells then lines (:mod:`billfold.core.cells`)."""
    lines, groups = invoice.lines, invoice.groups
    if not (invoice.adjustments or any(g.adjustments for g in groups) or any(x.adjustments for x in lines)):
        return None
    if any(a.kind is AdjustmentKind.ALLOCATION_OFFSET for a in invoice.adjustments):
        raise CalculationError("adjustments", "an allocation_offset belongs to a line or a group")
    exponent, mode = invoice.exponent, invoice.rounding.mode
    every = [
        *invoice.adjustments,
        *(a for g in groups for a in g.adjustments),
        *(a for x in lines for a in x.adjustments),
    ]
    usage = any(a.kind is AdjustmentKind.USAGE_DISCOUNT for a in every)
    state = AdjustableLines(
        amounts=list(subtotals),
        product_ids=[line.product_id for line in lines],
        price_ids=[line.price_id for line in lines],
        usages=[_usage(line, i, exponent, mode) for i, line in enumerate(lines)]
        if usage
        else [None] * len(lines),
    )
    scopes = [
        Scope(LINE, x.id, x.adjustments, [i], f"lines[{i}].adjustments")
        for i, x in enumerate(lines)
        if x.adjustments
    ]
    for k, group in enumerate(groups):
        if group.adjustments:
            covered = [i for i in members[k] if i != gross_up_at]
            scopes.append(Scope(GROUP, group.id, group.adjustments, covered, f"groups[{k}].adjustments"))
    if invoice.adjustments:
        covered = [i for i in range(len(lines)) if i != gross_up_at]
        scopes.append(Scope(INVOICE, None, invoice.adjustments, covered, "adjustments"))
    if len(scopes) > sum(1 for x in lines if x.adjustments):
        state.cells = _cells(invoice, members, gross_up_at, keys)
    apply_scopes(state, scopes, exponent=exponent, mode=mode)
    return state


def _cells(
    invoice: InvoiceInput, members: list[list[int]], gross_up_at: int | None, keys: list[TaxKey | None]
) -> list[int]:
    """Each line's cell rank: lines covered by the same covering adjustments at the same rate share a
    cell; ranks in the canonical order of :func:`~billfold.core.cells.cell_order`. Keys are told apart
    by identity first (hashing a key per line is the slow part, see ``group_by_key``)."""
    lines = invoice.lines
    group_of: list[int | None] = [None] * len(lines)
    for position, indices in enumerate(members):
        for i in indices:
            group_of[i] = position
    covering = {None: invoice.adjustments} | {
        k: (*group.adjustments, *invoice.adjustments) for k, group in enumerate(invoice.groups)
    }
    narrowed = {k: [a for a in scope if a.applies_to is not None] for k, scope in covering.items()}
    signatures: dict[tuple[int | None, tuple[str, ...]], tuple[str, ...]] = {}
    by_identity: dict[tuple[tuple[str, ...], int], tuple[tuple[str, ...], TaxKey | None]] = {}
    line_names: list[tuple[tuple[str, ...], int]] = []
    for i, line in enumerate(lines):
        k = group_of[i] if i != gross_up_at else -1
        filtered: tuple[str, ...] = ()
        if narrowed.get(k):
            filtered = tuple(a.id for a in narrowed[k] if a.covers(line.product_id, line.price_id))
        signature = signatures.get((k, filtered))
        if signature is None:
            unfiltered = (a.id for a in covering.get(k, ()) if a.applies_to is None)
            signature = signatures[(k, filtered)] = tuple(sorted([*unfiltered, *filtered]))
        name = (signature, id(keys[i]))
        if name not in by_identity:
            by_identity[name] = (signature, keys[i])
        line_names.append(name)
    ranks = cell_order(by_identity.values())
    rank_of = {name: ranks[value] for name, value in by_identity.items()}
    return [rank_of[name] for name in line_names]


def _usage(line: LineInput, i: int, exponent: int, mode: RoundingMode) -> Usage | None:
    try:
        return line_usage(line.quantity, line.unit_price, line.reprice, exponent=exponent, mode=mode)
    except CalculationError as error:
        raise error.at(f"lines[{i}]") from None


def _tax_keys(
    invoice: InvoiceInput, group_of: list[int | None], gross_up_at: int | None
) -> list[TaxKey | None]:
    """Each line's rate: its category (line, group, product, default) at the customer's country."""
    resolver = TaxResolver(invoice.tax_categories, invoice.customer_country)
    known, default = resolver.resolved, invoice.default_tax_category_id
    group_categories = [group.tax_category_id for group in invoice.groups]
    keys: list[TaxKey | None] = []
    for i, (line, k) in enumerate(zip(invoice.lines, group_of, strict=True)):
        candidates = (
            line.tax_category_id,
            None if k is None else group_categories[k],
            line.product_tax_category_id,
        )
        category_id = resolve_tax_category_id(*candidates, default)
        key = known.get(category_id) if category_id is not None else None
        if key is None and category_id is not None:
            try:
                key = resolver.key(category_id)
            except CalculationError as error:
                fields = (
                    f"lines[{i}].taxCategoryId",
                    f"groups[{k}].taxCategoryId",
                    f"lines[{i}].productTaxCategoryId",
                )
                source = next(
                    (f for f, c in zip(fields, candidates, strict=True) if c), "defaultTaxCategoryId"
                )
                raise CalculationError(source, error.message) from None
        keys.append(None if i == gross_up_at else key)
    return keys


@dataclass(slots=True)
class _Work:
    """The calculated figures in minor units, one column per figure, parallel to the lines."""

    subtotals: list[int]
    discounts: list[int]
    adjustments: list[int]
    nets: list[int]
    taxes: list[int]
    inclusive: list[int]
    totals: list[int]
    credits: list[int]
    decimals: DecimalCache

    def amounts(self, indices: Sequence[int] | None) -> Amounts:
        """The exact sums of the lines' rounded figures (of every line when ``indices`` is ``None``)."""
        columns = (self.subtotals, self.discounts, self.adjustments, self.nets, self.taxes)
        if indices is None:
            subtotal, discount, adjustment, net, tax = map(sum, columns)
        else:
            subtotal, discount, adjustment, net, tax = (sum(map(c.__getitem__, indices)) for c in columns)
        d = self.decimals
        return Amounts(d[subtotal], d[discount], d[adjustment], d[net], d[tax], d[net + tax])


def _line_results(
    lines: Sequence[LineInput], keys: list[TaxKey | None], work: _Work, state: AdjustableLines | None
) -> tuple[LineResult, ...]:
    dec = work.decimals
    zero, column = repeat(dec[0]), partial(map, dec.__getitem__)
    shown = {
        index: tuple(_new_tuple(LineAdjustment, (a.id, a.kind, a.name, dec[units])) for a, units in entries)
        for index, entries in (state.shown.items() if state else ())
    }
    columns = zip(
        lines,
        keys,
        column(work.subtotals),
        column(work.discounts) if state else zero,
        column(work.adjustments) if state else zero,
        column(work.nets),
        column(work.taxes),
        column(work.totals),
        column(work.inclusive),
        column(work.credits),
        strict=False,  # the zero columns are endless
    )
    # tuple.__new__ builds the named tuple without its Python-level __new__ (a third of the cost).
    get_shown = shown.get
    results = [
        _new_tuple(
            LineResult,
            (
                line.id,
                line.group_id,
                Amounts(sub, disc, adj, net, tax, total),
                key,
                inc,
                credit,
                get_shown(i, ()),
            ),
        )
        for i, (line, key, sub, disc, adj, net, tax, total, inc, credit) in enumerate(columns)
    ]
    return tuple(results)


def _group_result(group_id: str, members: list[int], keys: list[TaxKey | None], work: _Work) -> GroupResult:
    dec = work.decimals
    return GroupResult(
        id=group_id,
        amounts=work.amounts(members),
        tax_amounts=tuple(
            TaxAmount(k.tax_category_id, k.rate, k.inclusive, dec[tax])
            for k, tax in tax_by_key(keys, work.taxes, members).items()
        ),
        inclusive_tax=dec[sum(map(work.inclusive.__getitem__, members))],
        credits_applied=dec[sum(map(work.credits.__getitem__, members))],
    )
