"""String field types shared by the native schemas and every dialect's.

- :data:`NameText`: names (of customers, products, groups, lines, tax categories, accounts,
  organizations): what :data:`LineText` refuses, and not blank: nothing but whitespace, format
  characters (category Cf, such as U+200B, the zero-width space), Unicode's default-ignorable code points
  (U+034F, the Hangul fillers U+115F, U+1160, U+3164, U+FFA0, variation selectors...) and the blank
  Braille pattern U+2800, all of which a renderer draws as nothing. A name is kept without the
  whitespace around it and in composed form (NFC): names that look the same are the same.
- :data:`FreeText`: free text (memo, description, reason): no control character except tab and newline,
  no bidirectional embedding, override or isolate (U+202A–U+202E, U+2066–U+2069: they reorder what a
  document shows, so a name or memo could make a PDF read otherwise than its data).
- :data:`LineText`: any other one-line value (an address line, a tax id, a reference): no control
  character (Unicode category Cc: U+0000–U+001F, U+007F–U+009F), no line or paragraph separator
  (U+2028, U+2029), no bidirectional control.

Each is plain ``str`` with an after-validator: a length limit is added where the field is declared
(``Annotated[NameText, Field(min_length=1, max_length=200)]``). The body parser already refuses NUL
anywhere in a body (:mod:`billfold.web.body`); these types state, per field, what a value may hold.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Annotated

from pydantic import AfterValidator

_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_CONTROL_IN_TEXT = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _refuse(found: re.Match[str], allowed: str = "") -> ValueError:
    return ValueError(f"must not contain control characters{allowed} (found U+{ord(found.group()):04X})")


def check_line(value: str) -> str:
    found = _CONTROL.search(value)
    if found is not None:
        raise _refuse(found)
    return value


# Default_Ignorable_Code_Point (Unicode's DerivedCoreProperties.txt; stdlib unicodedata does not expose
# it) less what category Cf already covers, plus U+2800 (blank Braille pattern), which is drawn as nothing
_DRAWN_AS_NOTHING = re.compile(
    "[\u034f\u115f\u1160\u17b4\u17b5\u180b-\u180f\u2065\u2800\u3164\ufe00-\ufe0f\uffa0"
    "\ufff0-\ufff8\U000e0000-\U000e0fff]"
)


def _invisible(char: str) -> bool:
    return char.isspace() or unicodedata.category(char) == "Cf" or _DRAWN_AS_NOTHING.match(char) is not None


def check_name(value: str) -> str:
    """The name as it is kept: without whitespace around it, in Unicode's composed form (NFC), so that
    ``"Widget "`` and ``"Café"`` typed with a combining accent name the same product as ``"Widget"``
    and ``"Café"``."""
    check_line(value)
    if value and all(map(_invisible, value)):
        raise ValueError("must not be blank")
    value = value.strip()
    return value if value.isascii() else unicodedata.normalize("NFC", value)


def check_text(value: str) -> str:
    found = _CONTROL_IN_TEXT.search(value)
    if found is not None:
        raise _refuse(found, " other than tab and newline")
    return value


NameText = Annotated[str, AfterValidator(check_name)]
FreeText = Annotated[str, AfterValidator(check_text)]
LineText = Annotated[str, AfterValidator(check_line)]
