"""Unexpected errors: answered 500 in the error shape, logged once, briefly, without the request's values."""

from __future__ import annotations

import logging

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from billfold.api.app import create_app

HUGE = "Z" * 100_000


async def test_an_unexpected_error_is_logged_once_without_the_values_it_carries(
    engine: AsyncEngine, caplog: pytest.LogCaptureFixture
) -> None:
    app = create_app(engine)

    @app.patch("/v1/boom")
    async def boom() -> None:
        try:
            raise ValueError(f"cannot read {HUGE}")
        except ValueError as error:
            raise OSError(f"File name too long: '/zoneinfo/{HUGE}'") from error

    # raise_app_exceptions=True: an exception that escaped the app (for the server to log again) fails here
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://billfold.test") as client:
        with caplog.at_level(logging.INFO):
            response = await client.patch("/v1/boom", json={"timeZone": HUGE})
    assert response.status_code == 500
    assert response.json()["code"] == "internal_error"
    assert HUGE not in response.text
    errors = [record for record in caplog.records if record.levelno >= logging.ERROR]
    assert len(errors) == 1
    logged = errors[0].getMessage()
    assert errors[0].exc_info is None  # the traceback is the brief one in the message
    assert "PATCH /v1/boom" in logged
    assert "OSError: File name too long" in logged
    assert "ValueError: cannot read" in logged  # the cause is there too, as briefly
    assert "(100032 characters)" in logged
    assert "in boom" in logged  # where it happened
    assert len(logged) < 5_000
    assert "Z" * 400 not in logged
