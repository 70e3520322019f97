"""Domain errors. They know nothing of HTTP; the API layer maps each kind to a status code."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


class DomainError(Exception):
    code = "error"
    causations_from_details = False
    """A kind whose ``details`` name fields at fault lists them as ``causations`` when none are given."""

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        details: dict[str, Any] | None = None,
        causations: list[dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.details: dict[str, Any] = details or {}
        if causations is None and details and self.causations_from_details:
            # each field at fault, as every other 400 lists them ("_more": the count left unnamed)
            causations = [
                {"field": name, "message": str(reason)}
                for name, reason in details.items()
                if not name.startswith("_")
            ]
        self.causations: list[dict[str, Any]] = causations or []


class ValidationFailed(DomainError):
    """The request is malformed or breaks a rule; ``details`` maps each field at fault to the reason."""

    code = "validation_error"
    causations_from_details = True

    @classmethod
    def field(cls, field: str, reason: str) -> ValidationFailed:
        return cls(f"{field}: {reason}", details={field: reason})


class Unauthorized(DomainError):
    code = "unauthorized"


class NotFound(DomainError):
    code = "not_found"

    @classmethod
    def resource(cls, kind: str, resource_id: object) -> NotFound:
        return cls(f"{kind} {resource_id} not found", details={"id": str(resource_id)})


class Conflict(DomainError):
    code = "conflict"


def rename(error: DomainError, prefix: str) -> None:
    """Name ``error``'s fields after the item it came from (``lineItems[3].``)."""
    details = {f"{prefix}.{field}": reason for field, reason in error.details.items()} or {prefix: ""}
    error.details = {field: reason or error.message for field, reason in details.items()}
    error.message = f"{prefix}: {error.message}"
    error.args = (error.message,)


@contextmanager
def named(prefix: str) -> Iterator[None]:
    """Re-raise a domain error from one item with its fields named after the item (``lineItems[3].``)."""
    try:
        yield
    except DomainError as error:
        rename(error, prefix)
        raise
