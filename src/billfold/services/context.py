"""Who is calling: the organization and API key behind a request, and the organization's settings the
calculation needs on every request (read with the key, so they cost no extra query)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from billfold.core.money import RoundingMode


@dataclass(frozen=True, slots=True)
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
