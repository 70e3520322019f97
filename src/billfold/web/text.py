"""String field types shared by the native schemas and every dialect's.

- :data:`NameText`: names (of customers, products, groups, lines, tax categories, accounts,
  organizations): no control character at all (Unicode category Cc: U+0000–U+001F, U+007F–U+009F), and
  not blank (whitespace only).
- :data:`FreeText`: free text (memo, description, reason): no control character except tab and newline.
- :data:`LineText`: any other one-line value (an address line, a tax id, a reference): no control
  character.

Each is plain ``str`` with an after-validator: a length limit is added where the field is declared
(``Annotated[NameText, Field(min_length=1, max_length=200)]``). The body parser already refuses NUL
anywhere in a body (:mod:`billfold.web.body`); these types state, per field, what a value may hold.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator

_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
_CONTROL_IN_TEXT = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _refuse(found: re.Match[str], allowed: str = "") -> ValueError:
    return ValueError(f"must not contain control characters{allowed} (found U+{ord(found.group()):04X})")


def check_line(value: str) -> str:
    found = _CONTROL.search(value)
    if found is not None:
        raise _refuse(found)
    return value


def check_name(value: str) -> str:
    check_line(value)
    if value and not value.strip():
        raise ValueError("must not be blank")
    return value


def check_text(value: str) -> str:
    found = _CONTROL_IN_TEXT.search(value)
    if found is not None:
        raise _refuse(found, " other than tab and newline")
    return value


NameText = Annotated[str, AfterValidator(check_name)]
FreeText = Annotated[str, AfterValidator(check_text)]
LineText = Annotated[str, AfterValidator(check_line)]
