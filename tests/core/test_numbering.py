"""Invoice number formats."""

from __future__ import annotations

from datetime import date

import pytest

from billfold.core.numbering import (
    NumberFormatError,
    number_pieces,
    placeholder,
    render_number,
    render_pieces,
    sequence_key,
    validate_format,
    with_number,
)

DAY = date(2026, 3, 7)


def test_default_format() -> None:
    assert render_number("{prefix}-{yyyy}-{seq:06}", "INV", "default", DAY, 42) == "INV-2026-000042"
    assert sequence_key("{prefix}-{yyyy}-{seq:06}", "INV", "default", DAY) == "INV-2026-{seq}"


def test_month_and_short_year_and_series() -> None:
    assert render_number("{prefix}/{yy}{mm}/{seq:04}", "BR", "default", DAY, 7) == "BR/2603/0007"
    assert render_number("{series}/{seq}", "X", "cn", DAY, 12) == "cn/12"
    assert render_number("{prefix}{seq}", "F", "cn", DAY, 3) == "cn-F3"


def test_the_key_changes_with_the_year_and_series() -> None:
    template = "{prefix}-{yyyy}-{seq:06}"
    assert sequence_key(template, "INV", "default", DAY) != sequence_key(
        template, "INV", "default", date(2027, 1, 1)
    )
    assert sequence_key(template, "INV", "default", DAY) != sequence_key(template, "INV", "cn", DAY)


@pytest.mark.parametrize(
    "template",
    ["{prefix}-{yyyy}", "{seq}-{seq}", "{prefix}-{year}-{seq}", "{prefix:04}-{seq}", "INV-{seq}}"],
)
def test_bad_formats_are_refused(template: str) -> None:
    with pytest.raises(NumberFormatError):
        validate_format(template)


def test_good_format_passes() -> None:
    validate_format("{prefix}-{series}-{yyyy}{mm}-{seq:05}")


@pytest.mark.parametrize(
    ("template", "prefix", "series"),
    [
        ("{prefix}-{yyyy}-{seq:06}", "INV", "default"),
        ("{prefix}/{yy}{mm}/{seq:04}", "BR", "default"),
        ("{series}/{seq}", "X", "cn"),
        ("{prefix}{seq}", "F", "cn"),
        ("{seq:03}{prefix}", "{seq}'\\", "default"),
    ],
)
def test_pieces_render_as_the_format_does(template: str, prefix: str, series: str) -> None:
    pieces = number_pieces(template, prefix, series, DAY)
    for seq in (1, 42, 999, 1000, 1234567):
        assert render_pieces(pieces, seq) == render_number(template, prefix, series, DAY, seq)


def test_pieces_are_text_and_widths() -> None:
    assert number_pieces("{prefix}-{yyyy}-{seq:06}", "INV", "default", DAY) == ("INV-2026-", 6)
    assert number_pieces("{seq}", "INV", "cn", DAY) == ("cn-", 0)


def test_the_placeholder_is_replaced_wherever_it_shows() -> None:
    marker = placeholder()
    assert marker != placeholder()
    answer = {"invoiceNumber": marker, "lines": [{"memo": f"see {marker}.pdf"}], "total": 3, "none": None}
    assert with_number(answer, marker, "INV-1") == {
        "invoiceNumber": "INV-1",
        "lines": [{"memo": "see INV-1.pdf"}],
        "total": 3,
        "none": None,
    }
