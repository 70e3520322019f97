"""Legal invoice numbers from a format such as ``{prefix}-{yyyy}-{seq:06}``.

Placeholders: ``{prefix}`` (the issuing account's prefix), ``{series}``, ``{yyyy}``, ``{yy}``, ``{mm}``
(of the issue date) and exactly one ``{seq}`` or ``{seq:0N}`` (the sequence number, zero-padded to N
digits). The sequence restarts whenever the rest of the rendered number (its *sequence key*) changes,
e.g. with the year in ``INV-2026-000001``. An invoice of a series other than ``default`` whose format
does not show ``{series}`` gets the series in front (``credit-notes-INV-2026-000001``), so numbers stay
unique per issuing account across series.

At issue the number is drawn last, in the statement that advances the counter: the format becomes its
:func:`number_pieces` (literal text and the sequence's width), which the database renders as
:func:`render_pieces` does. Until then the invoice, its answer and its events carry a :func:`placeholder`
that :func:`with_number` (and the database, in that same statement) replaces by the number.
"""

from __future__ import annotations

import re
import secrets
from datetime import date
from typing import Any

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


def _value(name: str, prefix: str, series: str, day: date) -> str:
    """A placeholder's text, but the sequence's."""
    if name == "prefix":
        return prefix
    if name == "series":
        return series
    if name == "yyyy":
        return f"{day.year:04d}"
    if name == "yy":
        return f"{day.year % 100:02d}"
    return f"{day.month:02d}"


def _with_series(template: str, series: str) -> str:
    if series != DEFAULT_SERIES and "{series}" not in template:
        return "{series}-" + template
    return template


def number_pieces(template: str, prefix: str, series: str, day: date) -> tuple[str | int, ...]:
    """The number as pieces: literal text (``str``) and the sequence zero-padded to a width (``int``,
    0 for none). ``render_pieces(number_pieces(...), seq) == render_number(..., seq)``."""
    template = _with_series(template, series)
    pieces: list[str | int] = []
    position = 0
    for match in _PLACEHOLDER.finditer(template):
        text = template[position : match.start()]
        if match.group(1) == "seq":
            pieces += [text, int(match.group(2) or 0)]
        else:
            pieces.append(text + _value(match.group(1), prefix, series, day))
        position = match.end()
    pieces.append(template[position:])
    merged: list[str | int] = []
    for piece in pieces:
        if isinstance(piece, str) and merged and isinstance(merged[-1], str):
            merged[-1] += piece
        elif piece != "":
            merged.append(piece)
    return tuple(merged)


def render_pieces(pieces: tuple[str | int, ...], seq: int) -> str:
    return "".join(piece if isinstance(piece, str) else str(seq).zfill(piece) for piece in pieces)


def placeholder() -> str:
    """A stand-in for a number not drawn yet, unique to one issue (no character JSON escapes)."""
    return f"#number-{secrets.token_hex(12)}#"


def with_number(value: Any, marker: str, number: str) -> Any:
    """``value`` (a rendered answer: dicts, lists, strings) with ``marker`` replaced by ``number``."""
    if isinstance(value, str):
        return value.replace(marker, number) if marker in value else value
    if isinstance(value, dict):
        return {key: with_number(item, marker, number) for key, item in value.items()}
    if isinstance(value, list):
        return [with_number(item, marker, number) for item in value]
    return value


def sequence_key(template: str, prefix: str, series: str, day: date) -> str:
    """Everything of the number but the sequence: numbers sharing it share one gapless sequence."""
    pieces = number_pieces(template, prefix, series, day)
    return "".join(piece if isinstance(piece, str) else SEQ_MARK for piece in pieces)


def render_number(template: str, prefix: str, series: str, day: date, seq: int) -> str:
    return render_pieces(number_pieces(template, prefix, series, day), seq)
