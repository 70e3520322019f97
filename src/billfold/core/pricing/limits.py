"""How large a price or a line's usage may be.

Generous for any real price list, and small enough that validating and pricing stays a matter of
milliseconds: each is checked on the list's length before any of its items is parsed, and a list
over its limit is a :class:`~billfold.core.pricing.errors.PriceValidationError` naming the list
(``tiers``: ``at most 1000 tiers``). Usage lists that give one sub line item each (usage by
dimension, seat intervals) are held lower than transactions, which give one or two in all.
"""

from __future__ import annotations

from collections.abc import Sized

from billfold.core.pricing.errors import PriceValidationError, UsageError

MAX_TIERS = 1_000
MAX_MATRIX_CELLS = 10_000
MAX_MATRIX_DIMENSIONS = 20
MAX_TRANSACTIONS = 100_000
MAX_USAGE_BY_DIMENSION = 10_000
MAX_SEAT_INTERVALS = 1_000
MAX_DECIMAL_TEXT = 64
"""Characters in one decimal string: 18 integer digits and 12 places leave room for zeros and a sign."""


def within(field: str, items: Sized, limit: int, noun: str, *, usage: bool = False) -> None:
    """Refuse more than ``limit`` items at ``field`` (``at most 1000 tiers``)."""
    if len(items) > limit:
        error = UsageError if usage else PriceValidationError
        raise error(field, f"at most {limit} {noun}")
