"""Neutral stored data shaped for the API: snake_case keys to camelCase, values untouched."""

from __future__ import annotations

from billfold.web.shape import camel, camel_keys


def test_keys_become_camel_case_at_any_depth_and_values_stay() -> None:
    stored = {
        "orb_type": "tier",
        "metadata": {"minimum_amount_applied": "1.00", "from": "0", "values": ["eu_west"]},
        "items": [{"start_date": "2026-03-01", "name": "per_unit"}],
    }
    assert camel_keys(stored) == {
        "orbType": "tier",
        "metadata": {"minimumAmountApplied": "1.00", "from": "0", "values": ["eu_west"]},
        "items": [{"startDate": "2026-03-01", "name": "per_unit"}],
    }
    assert camel("already") == "already"
    assert camel_keys(None) is None
