"""The strict body parser, the shared string rules and the error caps, without a server."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

import pytest
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from billfold.services.errors import ValidationFailed
from billfold.web.body import parse_json, refuse_many_unknown_fields
from billfold.web.errors import ErrorInfo, bounded, cap_details
from billfold.web.text import FreeText, LineText, NameText


def refused(raw: bytes, *, exact: bool = False) -> dict[str, object]:
    with pytest.raises(ValidationFailed) as caught:
        parse_json(raw, exact=exact)
    return caught.value.details


def test_duplicated_keys_are_named_by_their_path() -> None:
    assert refused(b'{"a": 1, "a": 2}') == {"a": "duplicated key"}
    assert refused(b'{"a": {"b": [1, {"c": 1, "d": 2, "c": 3}]}}') == {"a.b[1].c": "duplicated key"}
    assert refused(b'[{"x": 1}, {"x": 1, "x": 1}]') == {"[1].x": "duplicated key"}
    assert parse_json(b'{"a": {"a": 1}, "b": [{"a": 1}, {"a": 2}]}') == {
        "a": {"a": 1},
        "b": [{"a": 1}, {"a": 2}],
    }


def test_nul_and_lone_surrogates_are_named_wherever_they_are() -> None:
    details = refused(b'{"a": ["ok", "x\\u0000"], "b": {"c": "\\udc00"}}')
    assert set(details) == {"a[1]", "b.c"}
    assert "NUL" in str(details["a[1]"])
    assert "surrogate" in str(details["b.c"])
    assert refused(b'"\\u0000"') == {"body": "must not contain the NUL character (\\u0000)"}
    assert parse_json(b'{"a": "\\\\u0000"}') == {"a": "\\u0000"}  # an escaped backslash, no NUL
    utf16 = '{"a": "x\\u0000"}'.encode("utf-16")  # only UTF-8 is JSON on the wire: no way around the scan
    assert refused(utf16) == {"body": "the body is not valid JSON"}


def test_numbers_are_exact_where_asked_and_constants_refused_there() -> None:
    assert parse_json(b'{"q": 1.10}', exact=True) == {"q": Decimal("1.10")}
    assert isinstance(parse_json(b'{"q": 1.10}')["q"], float)
    assert refused(b'{"q": NaN}', exact=True) == {"body": "the body is not valid JSON"}
    assert refused(b'{"q": ') == {"body": "the body is not valid JSON"}
    deep = {"body": "the body nests arrays or objects too deeply"}
    assert refused(b"[" * 100_000) == deep
    assert refused(b"[" * 100_000 + b"]" * 100_000) == deep
    digits = {"body": "a number in the body has too many digits"}
    assert refused(b'{"q": ' + b"1" * 5000 + b"}") == digits
    assert refused(b'{"q": ' + b"1" * 5000 + b"}", exact=True) == digits


class Inner(BaseModel):
    model_config = ConfigDict(extra="forbid")
    city: str = ""


class Outer(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    inner: Inner | None = None
    items: Annotated[list[Inner], Field(max_length=5)] = []


def test_many_unknown_fields_are_counted_across_nested_models() -> None:
    refuse_many_unknown_fields(
        Outer, {"name": "a", **{f"k{i}": 1 for i in range(20)}}
    )  # 20: left to pydantic
    data = {"name": "a", "k": 1, "inner": {f"i{i}": 1 for i in range(10)}, "items": [{"x": 1}] * 15}
    with pytest.raises(ValidationFailed) as caught:
        refuse_many_unknown_fields(Outer, data)
    details = caught.value.details
    assert list(details)[:3] == ["k", "inner.i0", "inner.i1"]
    assert details["items[0].x"] == "unknown field"
    assert details["_more"] == "6 more"  # 1 + 10 + 15 = 26 unknown, 20 named


class Row(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = ""
    inner: Inner | None = None
    parts: list[Inner] = []


class Rows(BaseModel):
    model_config = ConfigDict(extra="forbid")
    rows: list[Row] = []


def test_unknown_fields_of_a_few_items_among_many_are_named_by_their_path() -> None:
    # clean items (known fields only, none nested) are passed over; the others are walked in full
    rows: list[dict[str, object]] = [{"name": "a"} for _ in range(1000)]
    rows[417] = {"name": "b", "inner": {f"x{i}": 1 for i in range(12)}}
    rows[500] = {"parts": [{"city": "c"}, {"y": 1, "z": 2}]}
    rows[999] = {"name": "c", **{f"w{i}": 1 for i in range(10)}}
    with pytest.raises(ValidationFailed) as caught:
        refuse_many_unknown_fields(Rows, {"rows": rows})
    details = caught.value.details
    named = list(details)
    assert named[:2] == ["rows[417].inner.x0", "rows[417].inner.x1"]
    assert named[12:14] == ["rows[500].parts[1].y", "rows[500].parts[1].z"]
    assert named[14:20] == [f"rows[999].w{i}" for i in range(6)]
    assert details["_more"] == "4 more"  # 12 + 2 + 10 = 24 unknown, 20 named
    rows[417] = rows[500] = rows[999] = {"name": "d", "inner": {"city": "e"}, "parts": [{"city": "f"}]}
    refuse_many_unknown_fields(Rows, {"rows": rows})  # none unknown


def test_errors_are_capped_at_20_fields() -> None:
    assert cap_details((f"f{i}", "bad") for i in range(25))["_more"] == "5 more"
    assert "_more" not in cap_details((f"f{i}", "bad") for i in range(20))
    error = ErrorInfo(400, "validation_error", "x" * 10_000, {f"f{i}": "bad" for i in range(100)}, [{}] * 100)
    small = bounded(error)
    assert len(small.details) == 21
    assert small.details["_more"] == "80 more"
    assert len(small.causations) == 20
    assert len(small.message) <= 2000


class Texts(BaseModel):
    name: NameText | None = None
    memo: FreeText | None = None
    line: LineText | None = None


@pytest.mark.parametrize(
    ("field", "value", "ok"),
    [
        ("name", "Café Ünïcode 東京", True),
        ("name", "a\tb", False),
        ("name", "\u00a0", False),
        ("name", "x\u0085", False),
        ("memo", "a\n\tb", True),
        ("memo", "a\r\nb", False),
        ("memo", "\u009f", False),
        ("memo", "   ", True),
        ("line", "Rue de la Paix 1", True),
        ("line", "a\nb", False),
        ("line", "", True),
        ("name", "\u200b", False),  # invisible only: blank
        ("name", "\ufeff \u200b", False),
        ("name", "\u202eabc", False),  # a bidirectional override reorders what a document shows
        ("name", "a\u2066b", False),
        ("name", "a\u2028b", False),  # a line separator in a one-line value
        ("name", "👩\u200d💻 Dev", True),  # a zero-width joiner inside an emoji
        ("name", "שלום\u200f 1", True),  # a right-to-left mark
        ("memo", "a\u2028b", True),
        ("memo", "a\u202db", False),
        ("line", "a\u2029b", False),
    ],
)
def test_string_rules(field: str, value: str, ok: bool) -> None:
    if ok:
        assert getattr(Texts.model_validate({field: value}), field) == value
    else:
        with pytest.raises(ValidationError):
            Texts.model_validate({field: value})
