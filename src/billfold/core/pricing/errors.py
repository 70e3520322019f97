"""Errors of the pricing core. Each names the offending field by its API path (camelCase, e.g.
``tiers[2].from``), so the API layer can put it in a 400 response's ``details`` as it is."""

from __future__ import annotations


class PriceValidationError(ValueError):
    """A price definition (or the input it is applied to) is invalid.

    ``field`` is the path of the offending field as the API names it (``packageSize``,
    ``tiers[2].from``, ``cells[0].values``); ``message`` says what is wrong with it.
    """

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class UsageError(PriceValidationError):
    """The usage or service dates given to a price are invalid (a negative quantity, a matrix
    combination without a price, a seat interval outside the service period)."""
