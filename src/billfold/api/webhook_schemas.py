"""Request bodies of the webhook endpoint and event routes."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import Field, StrictBool

from billfold.api.schemas import Schema

Url = Annotated[str, Field(min_length=1, max_length=2048)]
EventTypes = Annotated[list[Annotated[str, Field(max_length=60)]], Field(max_length=50)]
Description = Annotated[str, Field(max_length=500)]


class WebhookEndpointIn(Schema):
    url: Url
    enabled_events: EventTypes = Field(default_factory=lambda: ["*"])
    description: Description | None = None
    disabled: StrictBool = False


class WebhookEndpointPatch(Schema):
    url: Url | None = None
    enabled_events: EventTypes | None = None
    description: Description | None = None
    disabled: StrictBool | None = None


class ReplayIn(Schema):
    since: datetime


class ResendIn(Schema):
    endpoint_id: Annotated[str, Field(max_length=36)] | None = None


class EmptyIn(Schema):
    """No fields: an action whose body, if any, is ``{}``."""
