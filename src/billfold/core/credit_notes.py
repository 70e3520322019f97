"""Credit notes: how much of an issued invoice a correction credits, line by line and rate by rate.

A credit note credits parts of an issued invoice's lines (a quantity, or a net amount) and plain amounts
at one of the invoice's rates. It works from the invoice's frozen figures, never re-pricing anything:

* A line's part is a fraction ``f`` of the line (``quantity / line quantity``, or ``amount / line net``).
  Its *base* (net for an exclusive rate or no rate, gross for an inclusive one: what the invoice's tax
  was computed on) is ``round(base × f)``, its subtotal ``round(subtotal × f)`` and its adjustment the
  rest, so the part carries its share of the line's discounts. When a note credits everything of a line
  that earlier notes left, it takes exactly that remainder (no rounding), so the notes of a line sum to
  the line.
* Tax follows the invoice's own rounding, cumulatively: with tax per rate (EN 16931), the tax credited
  at a rate by all notes so far is ``round(Σ base credited at the rate × r)``, capped by the invoice's tax
  at that rate, and the last note that credits the whole base of a rate takes exactly the rest of its
  tax. A note's tax at a rate is that cumulative figure less what earlier notes credited, split over its
  lines at that rate by largest remainder. With tax per line, the same holds per line. So three notes of
  0.03 at 20 % credit 0.01, 0.00 and 0.01: 0.02 in all, as the invoice charged.
* Nothing is credited twice: a line's credited base never exceeds the line's, a rate's never exceeds
  the invoice's at that rate, what is credited untaxed (untaxed lines, plain amounts without a rate)
  never exceeds the net of the invoice's untaxed lines, and the credited total never exceeds the
  invoice's total; the service
  answers 409 ``credit_exceeds_invoice`` for a :class:`CreditExceedsInvoice`.

Everything here is in whole minor units internally (as :mod:`~billfold.core.calculate`), in amounts at the
edges. :func:`settle` decides how a note's total is settled (refund, customer credit, out of band, and
the rest off the invoice's amount remaining).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from billfold.core.money import CONTEXT, RoundingMode, allocate_units, quantize
from billfold.core.split import CalculationError, from_units, to_units
from billfold.core.taxes import TaxKey, TaxRounding, rate_tax_units


class CreditExceedsInvoice(CalculationError):
    """The note would credit more than the invoice (or a line, or a rate) has left to credit."""


class CreditExceedsRemaining(CalculationError):
    """The part of the note that reduces the amount remaining is larger than what remains unpaid."""


@dataclass(frozen=True, slots=True)
class CreditableLine:
    """An issued invoice's line as frozen at issue. ``quantity`` is ``None`` for a line that is a plain
    amount (then only an amount can be credited). ``subtotal``, ``net``, ``tax`` and ``total`` are its
    figures; ``tax_key`` its rate (``None``: untaxed)."""

    id: str
    quantity: Decimal | None
    subtotal: Decimal
    net: Decimal
    tax: Decimal
    total: Decimal
    tax_key: TaxKey | None
    name: str = ""


@dataclass(frozen=True, slots=True)
class Credited:
    """What earlier (not void) credit notes of the invoice credited: per line its quantity, base and tax,
    per rate its base and tax, the total, and the net credited untaxed (``untaxed``)."""

    line_quantity: Mapping[str, Decimal] = field(default_factory=dict)
    line_base: Mapping[str, Decimal] = field(default_factory=dict)
    line_tax: Mapping[str, Decimal] = field(default_factory=dict)
    key_base: Mapping[TaxKey, Decimal] = field(default_factory=dict)
    key_tax: Mapping[TaxKey, Decimal] = field(default_factory=dict)
    total: Decimal = Decimal(0)
    untaxed: Decimal = Decimal(0)


@dataclass(frozen=True, slots=True)
class LineCredit:
    """Credit ``quantity`` of a line, or a net ``amount`` of it (exactly one of the two)."""

    line_id: str
    quantity: Decimal | None = None
    amount: Decimal | None = None


@dataclass(frozen=True, slots=True)
class AmountCredit:
    """Credit a plain net ``amount`` at one of the invoice's rates (``tax_key``; ``None``: untaxed)."""

    amount: Decimal
    tax_key: TaxKey | None = None
    description: str = ""


@dataclass(frozen=True, slots=True)
class InvoiceToCredit:
    """The issued invoice a note credits: its lines, its tax per rate (base, tax), its total, the
    currency's exponent, the organization's rounding, and what earlier notes credited."""

    exponent: int
    lines: Sequence[CreditableLine]
    key_base: Mapping[TaxKey, Decimal]
    key_tax: Mapping[TaxKey, Decimal]
    total: Decimal
    mode: RoundingMode = RoundingMode.HALF_UP
    tax_rounding: TaxRounding = TaxRounding.PER_RATE
    credited: Credited = field(default_factory=Credited)


@dataclass(frozen=True, slots=True)
class CreditNoteLine:
    """One credited part. ``line_id`` is ``None`` for a plain amount. ``subtotal + adjustment = net``
    and ``net + tax = total``; ``base`` is what its tax was computed on (net, or gross when inclusive)."""

    line_id: str | None
    description: str
    quantity: Decimal | None
    subtotal: Decimal
    adjustment: Decimal
    net: Decimal
    tax: Decimal
    total: Decimal
    base: Decimal
    tax_key: TaxKey | None


@dataclass(frozen=True, slots=True)
class CreditTaxRow:
    """The note's tax at one rate: the net it credits (taxable) and the tax."""

    key: TaxKey
    taxable: Decimal
    tax: Decimal


@dataclass(frozen=True, slots=True)
class CreditNoteResult:
    """The note: its lines, tax per rate, and totals (``subtotal + adjustment = net``, ``net + tax =
    total``; ``discount`` is the positive part of the discounts it takes back)."""

    lines: tuple[CreditNoteLine, ...]
    tax_summary: tuple[CreditTaxRow, ...]
    subtotal: Decimal
    adjustment: Decimal
    net: Decimal
    tax: Decimal
    total: Decimal


@dataclass(slots=True)
class _Part:
    line_id: str | None
    description: str
    quantity: Decimal | None
    subtotal: int
    base: int
    key: TaxKey | None
    line_tax_after: int | None = None  # per-line rounding: the line's cumulative credited tax
    tax: int = 0


def credit_note(
    invoice: InvoiceToCredit, lines: Sequence[LineCredit], amounts: Sequence[AmountCredit]
) -> CreditNoteResult:
    """Work out a credit note of ``invoice`` crediting ``lines`` and plain ``amounts`` (see the module
    docstring). Raises :class:`CalculationError` for bad input and :class:`CreditExceedsInvoice` when
    the note would credit more than is left, each naming the field at fault."""
    if not lines and not amounts:
        raise CalculationError("lines", "a credit note credits at least one line or amount")
    exp = invoice.exponent
    by_id = {line.id: line for line in invoice.lines}
    credited = invoice.credited
    parts: list[_Part] = []
    seen: set[str] = set()
    for i, request in enumerate(lines):
        where = f"lines[{i}]"
        line = by_id.get(request.line_id)
        if line is None:
            raise CalculationError(f"{where}.lineItemId", "is not a line of this invoice")
        if request.line_id in seen:
            raise CalculationError(f"{where}.lineItemId", "appears twice in this credit note")
        seen.add(request.line_id)
        parts.append(_line_part(line, request, credited, invoice, where))
    for i, plain in enumerate(amounts):
        parts.append(_amount_part(plain, invoice, f"amounts[{i}]" if len(amounts) > 1 else "amount"))
    _taxes(parts, invoice)
    return _result(parts, exp, invoice)


def _base_of(line: CreditableLine) -> Decimal:
    inclusive = line.tax_key is not None and line.tax_key.inclusive
    return line.total if inclusive else line.net


def _line_part(
    line: CreditableLine, request: LineCredit, credited: Credited, invoice: InvoiceToCredit, where: str
) -> _Part:
    exp, mode = invoice.exponent, invoice.mode
    base = to_units(_base_of(line), exp, f"{where}.base")
    net = to_units(line.net, exp, f"{where}.net")
    subtotal = to_units(line.subtotal, exp, f"{where}.subtotal")
    if base <= 0 or net <= 0:
        raise CalculationError(f"{where}.lineItemId", "a credit line or a zero line cannot be credited")
    done = to_units(credited.line_base.get(line.id, Decimal(0)), exp, f"{where}.credited")
    left = base - done
    if left <= 0:
        raise CreditExceedsInvoice(f"{where}.lineItemId", "this line has been credited in full")
    if (request.quantity is None) == (request.amount is None):
        raise CalculationError(where, "give either quantity or amount")
    if request.quantity is not None:
        quantity = request.quantity
        if line.quantity is None or line.quantity <= 0:
            raise CalculationError(f"{where}.quantity", "this line has no quantity: credit an amount")
        if quantity <= 0:
            raise CalculationError(f"{where}.quantity", "must be greater than zero")
        quantity_left = line.quantity - credited.line_quantity.get(line.id, Decimal(0))
        if quantity > quantity_left:
            raise CreditExceedsInvoice(
                f"{where}.quantity", f"at most {_plain(quantity_left)} of this line is left to credit"
            )
        whole = quantity == quantity_left
        fraction = CONTEXT.divide(quantity, line.quantity)
        part_base = left if whole else min(left, _round(base, fraction, mode))
    else:
        assert request.amount is not None
        quantity = None
        amount = to_units(request.amount, exp, f"{where}.amount")
        if amount <= 0:
            raise CalculationError(f"{where}.amount", "must be greater than zero")
        net_done = _round(net, CONTEXT.divide(Decimal(done), Decimal(base)), mode)
        if amount > net - net_done:
            raise CreditExceedsInvoice(
                f"{where}.amount", f"at most {from_units(net - net_done, exp)} of this line is left to credit"
            )
        whole = amount == net - net_done
        fraction = CONTEXT.divide(Decimal(amount), Decimal(net))
        part_base = left if whole else min(left, amount if base == net else _round(base, fraction, mode))
    if part_base <= 0:  # a part too small to round to one unit of the currency: a zero credit note
        field = f"{where}.quantity" if quantity is not None else f"{where}.amount"
        raise CalculationError(field, "credits less than the currency's smallest unit; credit more")
    part_subtotal = _round(subtotal, CONTEXT.divide(Decimal(part_base), Decimal(base)), mode)
    line_tax_after = None
    if line.tax_key is not None and invoice.tax_rounding == TaxRounding.PER_LINE:
        line_tax = to_units(line.tax, exp, f"{where}.tax")
        line_tax_after = (
            line_tax if part_base == left else _cumulative_tax(done + part_base, line.tax_key, mode, line_tax)
        )
    return _Part(line.id, line.name, quantity, part_subtotal, part_base, line.tax_key, line_tax_after)


def _amount_part(plain: AmountCredit, invoice: InvoiceToCredit, where: str) -> _Part:
    exp, key = invoice.exponent, plain.tax_key
    amount = to_units(plain.amount, exp, where)
    if amount <= 0:
        raise CalculationError(where, "must be greater than zero")
    if key is not None and key not in invoice.key_base:
        raise CalculationError("taxCategoryId", "the invoice charged no tax at this category's rate")
    base = amount
    if key is not None and key.inclusive:
        exclusive = TaxKey(key.tax_category_id, key.rate, False)
        base = amount + rate_tax_units(amount, exclusive, invoice.mode)
    line_tax_after = None
    if key is not None and invoice.tax_rounding == TaxRounding.PER_LINE:
        line_tax_after = rate_tax_units(base, key, invoice.mode)
    return _Part(None, plain.description, None, amount, base, key, line_tax_after)


def _taxes(parts: list[_Part], invoice: InvoiceToCredit) -> None:
    """Each part's tax, by the invoice's rounding, and the caps per rate (untaxed included)."""
    exp, mode, credited = invoice.exponent, invoice.mode, invoice.credited
    _check_untaxed([part for part in parts if part.key is None], invoice)
    by_key: dict[TaxKey, list[_Part]] = {}
    for part in parts:
        if part.key is not None:
            by_key.setdefault(part.key, []).append(part)
    for key, members in by_key.items():
        where = f"taxSummary[{key.tax_category_id} {_plain(key.rate)}%]"
        key_base = to_units(invoice.key_base.get(key, Decimal(0)), exp, where)
        key_tax = to_units(invoice.key_tax.get(key, Decimal(0)), exp, where)
        base_before = to_units(credited.key_base.get(key, Decimal(0)), exp, where)
        tax_before = to_units(credited.key_tax.get(key, Decimal(0)), exp, where)
        base_after = base_before + sum(p.base for p in members)
        if base_after > key_base:
            raise CreditExceedsInvoice(
                "amount" if any(p.line_id is None for p in members) else "lines",
                f"credits more than the invoice charged at {_plain(key.rate)} %",
            )
        if invoice.tax_rounding == TaxRounding.PER_LINE:
            # each line's own cumulative rounding; a plain amount is rounded on its own
            for part in members:
                assert part.line_tax_after is not None
                before = 0
                if part.line_id is not None:
                    before = to_units(credited.line_tax.get(part.line_id, Decimal(0)), exp, where)
                part.tax = max(0, part.line_tax_after - before)
            continue
        full = base_after == key_base
        tax_after = key_tax if full else _cumulative_tax(base_after, key, mode, key_tax)
        _spread(members, max(0, tax_after - tax_before))


def _check_untaxed(members: list[_Part], invoice: InvoiceToCredit) -> None:
    """What the invoice charged without tax (the net of its untaxed lines) caps what notes credit
    untaxed, as a rate's base caps what they credit at that rate: a plain amount without a rate can
    only credit untaxed money the invoice charged."""
    if not members:
        return
    exp = invoice.exponent
    charged = sum((to_units(line.net, exp, "untaxed") for line in invoice.lines if line.tax_key is None), 0)
    left = charged - to_units(invoice.credited.untaxed, exp, "untaxed")
    if sum(p.base for p in members) > left:
        plain = any(p.line_id is None for p in members)
        raise CreditExceedsInvoice(
            "amount" if plain else "lines",
            f"credits more than the invoice charged without tax (at most {from_units(max(0, left), exp)} "
            "is left to credit untaxed)"
            + ("; a taxCategoryId credits the amount at that rate of the invoice" if plain else ""),
        )


def _spread(members: list[_Part], tax: int) -> None:
    shares = allocate_units(tax, [p.base for p in members])
    for part, share in zip(members, shares, strict=True):
        part.tax = share


def _cumulative_tax(base: int, key: TaxKey, mode: RoundingMode, cap: int) -> int:
    return min(cap, rate_tax_units(base, key, mode))


def _result(parts: list[_Part], exp: int, invoice: InvoiceToCredit) -> CreditNoteResult:
    built: list[CreditNoteLine] = []
    rows: dict[TaxKey, list[int]] = {}
    for part in parts:
        inclusive = part.key is not None and part.key.inclusive
        net = part.base - part.tax if inclusive else part.base
        # As on the invoice: subtotal + adjustment is the base (the gross, for an inclusive rate).
        subtotal = part.subtotal if part.line_id is not None else part.base
        total = net + part.tax
        built.append(
            CreditNoteLine(
                line_id=part.line_id,
                description=part.description,
                quantity=part.quantity,
                subtotal=from_units(subtotal, exp),
                adjustment=from_units(part.base - subtotal, exp),
                net=from_units(net, exp),
                tax=from_units(part.tax, exp),
                total=from_units(total, exp),
                base=from_units(part.base, exp),
                tax_key=part.key,
            )
        )
        if part.key is not None:
            row = rows.setdefault(part.key, [0, 0])
            row[0] += net
            row[1] += part.tax
    total = sum(to_units(line.total, exp, "total") for line in built)
    done = to_units(invoice.credited.total, exp, "credited")
    invoice_total = to_units(invoice.total, exp, "total")
    if done + total > invoice_total:
        left = from_units(invoice_total - done, exp)
        raise CreditExceedsInvoice(
            "lines" if any(part.line_id is not None for part in parts) else "amount",
            f"credits more than the invoice's total less earlier credit notes ({left})",
        )
    units = [
        (
            to_units(x.subtotal, exp, "s"),
            to_units(x.adjustment, exp, "a"),
            to_units(x.net, exp, "n"),
            to_units(x.tax, exp, "t"),
        )
        for x in built
    ]
    subtotal, adjustment, net, tax = (sum(column) for column in zip(*units, strict=True))
    return CreditNoteResult(
        lines=tuple(built),
        tax_summary=tuple(
            CreditTaxRow(key, from_units(t, exp), from_units(x, exp)) for key, (t, x) in rows.items()
        ),
        subtotal=from_units(subtotal, exp),
        adjustment=from_units(adjustment, exp),
        net=from_units(net, exp),
        tax=from_units(tax, exp),
        total=from_units(net + tax, exp),
    )


def _round(units: int, fraction: Decimal, mode: RoundingMode) -> int:
    return int(quantize(CONTEXT.multiply(Decimal(units), fraction), 0, mode))


def _plain(value: Decimal) -> str:
    text = format(value.normalize(CONTEXT), "f") if value else "0"
    return text


@dataclass(frozen=True, slots=True)
class Settlement:
    """How a note's total is settled: refunded, credited to the customer's balance, settled out of band,
    and the rest (``reduction``) taken off the invoice's amount remaining."""

    refund: Decimal
    credit: Decimal
    out_of_band: Decimal
    reduction: Decimal


def settle(
    total: Decimal,
    *,
    refund: Decimal,
    credit: Decimal,
    out_of_band: Decimal,
    refundable: Decimal,
    remaining: Decimal,
    exponent: int,
) -> Settlement:
    """Split ``total`` into its settlements. ``refundable`` is what was paid and not yet refunded,
    ``remaining`` the invoice's amount remaining. The reduction is what the three others leave, and may
    not exceed ``remaining`` (:class:`CreditExceedsRemaining`)."""
    values = {}
    for name, value in (("refundAmount", refund), ("creditAmount", credit), ("outOfBandAmount", out_of_band)):
        units = to_units(value, exponent, name)
        if units < 0:
            raise CalculationError(name, "must not be negative")
        values[name] = units
    total_units = to_units(total, exponent, "totalAmount")
    if values["refundAmount"] > to_units(refundable, exponent, "refundable"):
        raise CreditExceedsRemaining("refundAmount", f"at most {refundable} was paid and not yet refunded")
    reduction = total_units - sum(values.values())
    if reduction < 0:
        raise CalculationError(
            "refundAmount", "refundAmount + creditAmount + outOfBandAmount exceed the credit note's total"
        )
    if reduction > to_units(remaining, exponent, "amountRemaining"):
        raise CreditExceedsRemaining(
            "totalAmount",
            f"the invoice has {remaining} remaining; refund or credit the excess instead",
        )
    return Settlement(
        refund=from_units(values["refundAmount"], exponent),
        credit=from_units(values["creditAmount"], exponent),
        out_of_band=from_units(values["outOfBandAmount"], exponent),
        reduction=from_units(reduction, exponent),
    )
