"""Who is calling: the organization and API key behind a request."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from billfold.core.money import RoundingMode


@dataclass(frozen=True, slots=True)
class Actor:
    organization_id: uuid.UUID
    api_key_id: uuid.UUID | None
    rounding_mode: RoundingMode = RoundingMode.HALF_UP
