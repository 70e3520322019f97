"""What a dialect tells the OpenAPI document: how its vendor authenticates and what its bodies look like.

A dialect's routes read their JSON bodies themselves (exactly, see :mod:`billfold.dialects.common`), so
FastAPI cannot see their request models. Each dialect therefore declares, next to its mount, its
security schemes and, for every route that takes a body, the pydantic model that parses it; the app's
OpenAPI builder publishes both for every operation under the dialect's prefix.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel


@dataclass(frozen=True, slots=True)
class DialectDoc:
    name: str
    """The vendor's name: the prefix of its schemas' names in the document (``OrbLineIn``)."""
    prefix: str
    """Where the dialect is mounted (``/orb/v1``)."""
    router: APIRouter
    """The dialect's routes (their paths below ``prefix``)."""
    security: Mapping[str, Mapping[str, Any]]
    """Security scheme name -> OpenAPI security scheme; each of the dialect's operations accepts any."""
    bodies: Mapping[Callable[..., Any], type[BaseModel]]
    """Route endpoint -> the model its JSON body is parsed with."""


API_KEY_HEADER = {"type": "apiKey", "in": "header", "name": "X-API-KEY"}
BEARER = {"type": "http", "scheme": "bearer"}
BASIC = {"type": "http", "scheme": "basic", "description": "The API key as user name; any password."}
