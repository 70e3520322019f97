"""Column types that keep Decimal values exact on every database.

PostgreSQL's unconstrained NUMERIC stores any decimal exactly. SQLite's NUMERIC affinity turns values
into 64-bit floats or integers and loses digits (``12345678901234567.891234567891`` would not survive),
so on SQLite the value is stored as fixed-point TEXT and parsed back into a Decimal.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import Dialect, Numeric, String
from sqlalchemy.types import TypeDecorator, TypeEngine

from billfold.core.money import to_plain


class ExactDecimal(TypeDecorator[Decimal]):
    impl = String
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(Numeric(asdecimal=True))
        return dialect.type_descriptor(String(64))

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if dialect.name == "postgresql":
            return value
        return to_plain(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        if isinstance(value, Decimal):
            return value
        return Decimal(str(value))
