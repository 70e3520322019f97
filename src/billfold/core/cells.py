"""The two-step split of a covering adjustment: over cells, then within each cell over its lines.

A *cell* is the set of an invoice's lines that every covering (group- or invoice-level) adjustment and
every tax rule treats alike: the same covering adjustments cover them and they have the same rate. A
cell is named by its ``coverage`` (the ids of the covering adjustments that cover its lines) and its
``tax_key``. :mod:`billfold.core.running` works out the invoice's figures from per-cell sums; this
module holds the split both it and :mod:`billfold.core.adjustments` use, so they agree to the unit.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal

from billfold.core.money import allocate_units
from billfold.core.taxes import TaxKey

CellName = tuple[tuple[str, ...], TaxKey | None]


def order_key(coverage: Sequence[str], key: TaxKey | None) -> tuple[tuple[str, ...], int, str, Decimal, bool]:
    """The canonical order of cells (by coverage, then rate; untaxed first). It does not depend on the
    order of the lines, so the running sums and the read agree on it."""
    if key is None:
        return tuple(coverage), 0, "", Decimal(0), False
    return tuple(coverage), 1, key.tax_category_id, key.rate, key.inclusive


def cell_order(names: Iterable[tuple[Sequence[str], TaxKey | None]]) -> dict[CellName, int]:
    """Each distinct cell name's rank in the canonical order."""
    distinct = {(tuple(coverage), key) for coverage, key in names}
    ranked = sorted(distinct, key=lambda name: order_key(*name))
    return {name: rank for rank, name in enumerate(ranked)}


def allocate_in_cells(total: int, weights: Sequence[int], cells: Sequence[int]) -> list[int]:
    """Split ``total`` minor units over parts with non-negative ``weights``: first over the parts'
    cells (``cells[i]`` is part ``i``'s cell rank) by Σ weight per cell, then within each cell over its
    parts; all-zero weights split evenly over the parts. Parts sum to ``total`` exactly."""
    members: dict[int, list[int]] = {}
    for index, rank in enumerate(cells):
        members.setdefault(rank, []).append(index)
    if len(members) == 1:
        return allocate_units(total, weights)
    ranks = sorted(members)
    cell_weights = [sum(weights[i] for i in members[rank]) for rank in ranks]
    if not any(cell_weights):
        cell_weights = [len(members[rank]) for rank in ranks]
    parts = [0] * len(weights)
    for rank, cell_total in zip(ranks, allocate_units(total, cell_weights), strict=True):
        indices = members[rank]
        for index, share in zip(
            indices, allocate_units(cell_total, [weights[i] for i in indices]), strict=True
        ):
            parts[index] = share
    return parts
