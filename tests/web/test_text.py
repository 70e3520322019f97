"""The shared string rules of :mod:`billfold.web.text`, without a server."""

from __future__ import annotations

import unicodedata

import pytest

from billfold.web.text import check_name

# each is drawn as nothing: Hangul fillers, the blank Braille pattern, default-ignorable code points
DRAWN_AS_NOTHING = [
    "\u3164",  # Hangul filler
    "\uffa0",  # halfwidth Hangul filler
    "\u115f",  # Hangul choseong filler
    "\u1160",  # Hangul jungseong filler
    "\u2800",  # Braille pattern blank
    "\u034f",  # combining grapheme joiner
    "\ufe0f",  # variation selector 16
    "\u17b5",  # Khmer vowel inherent aa
    "\u180b",  # Mongolian free variation selector one
    "\U000e0101",  # variation selector 18
    "\U000e0041",  # tag latin capital letter A (category Cf)
]


@pytest.mark.parametrize("char", DRAWN_AS_NOTHING)
def test_a_name_of_characters_drawn_as_nothing_is_blank(char: str) -> None:
    for value in (char, char * 3, f" {char}\u200b\u00a0"):
        with pytest.raises(ValueError, match="must not be blank"):
            check_name(value)


@pytest.mark.parametrize("value", ["\u200b", "\u2060", "\u00a0", "\u3000", "\ufeff \u200b"])
def test_whitespace_and_format_characters_alone_stay_blank(value: str) -> None:
    with pytest.raises(ValueError, match="must not be blank"):
        check_name(value)


@pytest.mark.parametrize(
    "value",
    [
        "\u3164a",  # a filler beside a visible letter
        "\u1100\u1161",  # a Hangul syllable in conjoining jamo
        "\u2801",  # a Braille pattern with a dot
        "❤\ufe0f",  # an emoji with its presentation selector
        "e\u034f\u0301",  # a grapheme joiner inside a word
        "Café Ünïcode 東京",
    ],
)
def test_a_name_with_something_visible_is_kept(value: str) -> None:
    assert check_name(value) == unicodedata.normalize("NFC", value)


def test_a_name_is_kept_trimmed_and_composed() -> None:
    assert check_name("  Widget \u3000") == "Widget"  # an ideographic space too
    assert check_name("Cafe\u0301") == "Caf\u00e9"  # a combining accent, composed
    assert check_name("\u1100\u1161") == "\uac00"  # conjoining jamo, one syllable
    assert check_name("a  b") == "a  b"  # inside the name, as given
