"""Ids: UUID version 7 (RFC 9562), ordered by their millisecond, one at a time or many at once."""

from __future__ import annotations

import pickle
import time
import uuid

import pytest

from billfold.db.ids import new_id, new_ids


def _millis(value: uuid.UUID) -> int:
    return value.int >> 80


def test_an_id_is_version_7_of_the_rfc_variant_and_carries_its_millisecond() -> None:
    before = time.time_ns() // 1_000_000
    made = [new_id(), *new_ids(500)]
    after = time.time_ns() // 1_000_000
    assert all(value.version == 7 for value in made)
    assert all(value.variant == uuid.RFC_4122 for value in made)
    assert all(before <= _millis(value) <= after for value in made)


def test_ids_made_at_once_are_distinct_and_random() -> None:
    made = new_ids(10_000)
    assert len(set(made)) == 10_000
    assert len({_millis(value) for value in made}) == 1
    # the 74 random bits differ: no two share their low 64 bits, and each bit is set in about half
    assert len({value.int & ((1 << 62) - 1) for value in made}) == 10_000
    for bit in (0, 31, 61, 64, 75):
        share = sum(value.int >> bit & 1 for value in made) / len(made)
        assert 0.4 < share < 0.6, bit


def test_no_ids_for_none_asked() -> None:
    assert new_ids(0) == []


def test_ids_made_at_once_are_uuids_like_any_other() -> None:
    """Made without the constructor, each id is what ``uuid.UUID`` makes of its own text: equal, the
    same hash and text, usable as a key, immutable, and it pickles."""
    for value in new_ids(50):
        again = uuid.UUID(str(value))
        assert (value, hash(value), str(value), value.is_safe) == (
            again,
            hash(again),
            str(again),
            again.is_safe,
        )
        assert {value: 1}[again] == 1
        assert pickle.loads(pickle.dumps(value)) == value
        with pytest.raises(TypeError):
            value.int = 0  # type: ignore[misc]
