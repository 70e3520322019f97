"""Legal invoice numbers from a format such as ``{prefix}-{yyyy}-{seq:06}``.

Placeholders: ``{prefix}`` (the issuing account's prefix), ``{series}``, ``{yyyy}``, ``{yy}``, ``{mm}``
(of the issue date) and exactly one ``{seq}`` or ``{seq:0N}`` (the sequence number, zero-padded to N
digits). The sequence restarts whenever the rest of the rendered number (its *sequence key*) changes,
e.g. with the year in ``INV-2026-000001``. An invoice of a series other than ``default`` whose format
does not show ``{series}`` gets the series in front (``credit-notes-INV-2026-000001``), so numbers stay
unique per issuing account across series.
"""

from __future__ import annotations

import re
from datetime import date

_PLACEHOLDER = re.compile(r"\{(prefix|series|yyyy|yy|mm|seq)(?::0(\d{1,2}))?\}")
DEFAULT_SERIES = "default"
_ANY_BRACE = re.compile(r"[{}]")
SEQ_MARK = "{seq}"


class NumberFormatError(ValueError):
    """The format is not usable (unknown placeholder, no or several ``{seq}``)."""


def validate_format(template: str) -> None:
    seqs = [m for m in _PLACEHOLDER.finditer(template) if m.group(1) == "seq"]
    if len(seqs) != 1:
        raise NumberFormatError("the format needs exactly one {seq} (or {seq:0N}) placeholder")
    if any(m.group(2) and m.group(1) != "seq" for m in _PLACEHOLDER.finditer(template)):
        raise NumberFormatError("only {seq} takes a width, as {seq:0N}")
    if _ANY_BRACE.search(_PLACEHOLDER.sub("", template)):
        raise NumberFormatError(
            "unknown placeholder; use {prefix}, {series}, {yyyy}, {yy}, {mm} and {seq:0N}"
        )


def _render(template: str, prefix: str, series: str, day: date, seq: int | None) -> str:
    if series != DEFAULT_SERIES and "{series}" not in template:
        template = "{series}-" + template

    def replace(match: re.Match[str]) -> str:
        name, width = match.group(1), match.group(2)
        if name == "prefix":
            return prefix
        if name == "series":
            return series
        if name == "yyyy":
            return f"{day.year:04d}"
        if name == "yy":
            return f"{day.year % 100:02d}"
        if name == "mm":
            return f"{day.month:02d}"
        if seq is None:
            return SEQ_MARK
        return str(seq).zfill(int(width or 0))

    return _PLACEHOLDER.sub(replace, template)


def sequence_key(template: str, prefix: str, series: str, day: date) -> str:
    """Everything of the number but the sequence: numbers sharing it share one gapless sequence."""
    return _render(template, prefix, series, day, None)


def render_number(template: str, prefix: str, series: str, day: date, seq: int) -> str:
    return _render(template, prefix, series, day, seq)
