"""``billfold serve`` delivers by itself: the app runs the delivery loop in its lifespan when asked."""

from __future__ import annotations

import asyncio
import os
import subprocess
import time
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from billfold.api.app import create_app
from billfold.config import ConfigError, WebhookSettings, load_webhook_settings
from conftest import ApiClient, make_invoice
from server_support import BILLFOLD
from webhook_receiver import receiving


async def test_the_apps_embedded_loop_delivers_and_stops(api: ApiClient, engine: AsyncEngine) -> None:
    app = create_app(engine, embedded_worker=True)
    app.state.webhook_settings = WebhookSettings(allow_private=True, poll_interval=0.02, timeout=5)
    shared = api.raw._transport.app  # type: ignore[attr-defined]
    shared.state.webhook_settings = app.state.webhook_settings
    try:
        with receiving() as receiver:
            await api.create(
                "/v1/webhook-endpoints", {"url": receiver.url, "enabledEvents": ["invoice.created"]}
            )
            async with app.router.lifespan_context(app):
                invoice = await make_invoice(api)
                deadline = time.monotonic() + 20
                while not any(r.json["data"]["id"] == invoice["id"] for r in receiver.accepted):
                    assert time.monotonic() < deadline
                    await asyncio.sleep(0.02)
    finally:
        shared.state.webhook_settings = WebhookSettings()


def test_webhook_settings_are_read_from_the_environment() -> None:
    settings = load_webhook_settings(
        {
            "BILLFOLD_WEBHOOK_RETRY_SCHEDULE": "250ms, 5s,5m,2h,1d",
            "BILLFOLD_WEBHOOK_TIMEOUT": "3",
            "BILLFOLD_WEBHOOK_ALLOW_PRIVATE": "true",
            "BILLFOLD_EMBEDDED_WORKER": "false",
        }
    )
    assert settings.retry_schedule == (0.25, 5, 300, 7200, 86400)
    assert settings.timeout == 3
    assert settings.allow_private is True
    assert settings.embedded_worker is False
    defaults = load_webhook_settings({})
    assert defaults.retry_schedule == (5, 300, 1800, 7200, 18000, 36000, 36000, 86400)
    assert sum(defaults.retry_schedule) > 2 * 86400  # retried over more than two days
    assert defaults.timeout == 10
    assert defaults.allow_private is False
    assert defaults.embedded_worker is True


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("BILLFOLD_WEBHOOK_RETRY_SCHEDULE", "5s,soon"),
        ("BILLFOLD_WEBHOOK_RETRY_SCHEDULE", "30d"),
        ("BILLFOLD_WEBHOOK_TIMEOUT", "0"),
        ("BILLFOLD_WEBHOOK_ALLOW_PRIVATE", "maybe"),
    ],
)
def test_bad_webhook_settings_name_the_variable(name: str, value: str) -> None:
    with pytest.raises(ConfigError, match=name):
        load_webhook_settings({name: value})


@pytest.mark.parametrize("command", ["serve", "worker"])
def test_a_bad_webhook_setting_stops_serve_and_worker_with_one_line(command: str, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "BILLFOLD_DATABASE_URL"}
    env |= {"BILLFOLD_DATA_DIR": str(tmp_path), "BILLFOLD_WEBHOOK_TIMEOUT": "soon"}
    result = subprocess.run(
        [*BILLFOLD, command], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 1
    assert (
        result.stderr.strip()
        == "billfold: BILLFOLD_WEBHOOK_TIMEOUT: 'soon' is not a duration like 5s, 5m or 2h"
    )
