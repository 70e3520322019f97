"""How long ``calculate_invoice`` takes for a large invoice: ``uv run python bench/calculate_bench.py``.

10,000 lines in three tax rates (one inclusive) and 10 groups; with ``--dense`` also a discount on every
group, a 7.5 % invoice discount, 100.00 of credits and a 60/40 percent split. Prints best and median of
``--runs`` runs.
"""

from __future__ import annotations

import argparse
import statistics
import time
from decimal import Decimal

from billfold.core.adjustments import Adjustment, AdjustmentKind
from billfold.core.calculate import AllocationStrategy, GroupInput, InvoiceInput, LineInput, calculate_invoice
from billfold.core.split import PaymentAllocation, from_units
from billfold.core.taxes import TaxCategory, TaxRate

CATEGORIES = {
    "std": TaxCategory("std", (TaxRate(Decimal("20")),), "Standard"),
    "red": TaxCategory("red", (TaxRate(Decimal("5")),), "Reduced"),
    "inc": TaxCategory("inc", (TaxRate(Decimal("10"), inclusive=True),), "Inclusive"),
}


def invoice(lines: int, dense: bool) -> InvoiceInput:
    items = [
        LineInput(
            f"l{i}",
            from_units(123 + i % 997, 2),
            group_id=f"g{i % 10}",
            tax_category_id=("std", "red", "inc")[i % 3],
        )
        for i in range(lines)
    ]
    groups = [
        GroupInput(
            f"g{k}",
            adjustments=(Adjustment(f"d{k}", AdjustmentKind.AMOUNT_DISCOUNT, amount=Decimal("5")),)
            if dense
            else (),
        )
        for k in range(10)
    ]
    if not dense:
        return InvoiceInput(exponent=2, lines=items, groups=groups, tax_categories=CATEGORIES)
    return InvoiceInput(
        exponent=2,
        lines=items,
        groups=groups,
        adjustments=(Adjustment("p", AdjustmentKind.PERCENTAGE_DISCOUNT, percentage=Decimal("7.5")),),
        tax_categories=CATEGORIES,
        credits_applied=Decimal("100.00"),
        allocation_strategy=AllocationStrategy.PERCENT_SPLIT,
        allocations=(PaymentAllocation("a", Decimal("60")), PaymentAllocation("b", Decimal("40"))),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lines", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    for dense in (False, True):
        data = invoice(args.lines, dense)
        timings = []
        for _ in range(args.runs):
            started = time.perf_counter()
            calculate_invoice(data)
            timings.append(time.perf_counter() - started)
        label = "dense (discounts, credits, split)" if dense else "taxes only"
        print(
            f"{args.lines:,} lines, {label}: best {min(timings) * 1000:.1f} ms, "
            f"median {statistics.median(timings) * 1000:.1f} ms"
        )


if __name__ == "__main__":
    main()
