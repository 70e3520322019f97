"""Who is calling: the organization and API key behind a request, and the organization's settings that
decide amounts (rounding, tax rounding, default tax category) and dates (time zone).

An actor is built per request from the database (never cached across requests), so a settings change or a
revoked key takes effect at once in every worker process. A write re-reads the settings inside its own
transaction (:meth:`Actor.adopt`), so a line takes the settings in force when it is written.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from billfold.core.money import RoundingMode
from billfold.services.errors import ValidationFailed


@dataclass(slots=True)
class Actor:
    organization_id: uuid.UUID
    api_key_id: uuid.UUID | None
    rounding_mode: RoundingMode = RoundingMode.HALF_UP
    # "document": tax per rate on the invoice's sums (EN 16931); "line": tax rounded on every line
    tax_rounding: str = "document"
    default_tax_category_id: uuid.UUID | None = None
    time_zone: str = "UTC"

    def today(self) -> date:
        """Today's date in the organization's time zone."""
        return datetime.now(ZoneInfo(self.time_zone)).date()

    def issue_day(self, day: date | None, field: str = "issueDate") -> date:
        """The date a legal number is issued on: ``day``, or today when ``None``. A day after today (in
        the organization's time zone) is refused: an invoice or credit note cannot be issued in the
        future, and its series takes no earlier date after it (``9999-12-31`` would close the series
        for good). A payment's date is held to the same bound (``field`` ``date``): money is not received
        in the future."""
        today = self.today()
        if day is None:
            return today
        if day > today:
            raise ValidationFailed.field(field, f"must not be after today ({today.isoformat()})")
        return day

    def adopt(self, current: Actor) -> None:
        """Take the settings of ``current``, the same caller read again in a later transaction of the
        same request (the settings may have changed since the key was checked)."""
        if current.organization_id != self.organization_id:
            raise ValueError("an actor adopts only its own organization's settings")
        self.rounding_mode = current.rounding_mode
        self.tax_rounding = current.tax_rounding
        self.default_tax_category_id = current.default_tax_category_id
        self.time_zone = current.time_zone
