"""The served process's set-up (``billfold.api.app.create_app``'s lifespan)."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest

from billfold.api.app import GC_THRESHOLDS, create_app


async def test_a_served_process_freezes_its_startup_objects_and_collects_less_often(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BILLFOLD_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("BILLFOLD_EMBEDDED_WORKER", "false")
    before = gc.get_threshold()
    app = create_app()  # an app that owns its engine, as `billfold serve` makes it
    try:
        async with app.router.lifespan_context(app):
            assert gc.get_threshold() == GC_THRESHOLDS
            assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
