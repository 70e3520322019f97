"""The code lists Billfold checks values against are the ones the official EN 16931 rules check."""

from __future__ import annotations

import re

import pytest

from billfold.documents.codelists import EAS_CODES
from en16931_support import required_validator_dir

# the code list in a rule's test: contains(' 0002 0007 ... EM ', concat(' ', normalize-space(@schemeID), ' '))
_CODES = re.compile(r"contains\('( [0-9A-Z ]+ )', concat\(' ', normalize-space\(@schemeID\), ' '\)\)")


def _rule_codes(rules: str, rule: str) -> frozenset[str]:
    """The codes of ``rule``'s test: the last test before the rule's message."""
    message = rules.index(f"[{rule}]-")
    test = rules.rindex('test="', 0, message)
    found = _CODES.search(rules, test, message)
    assert found is not None, rule
    return frozenset(found.group(1).split())


@pytest.mark.parametrize("syntax", ["ubl", "cii"])
def test_the_eas_codes_are_the_official_rules_own(syntax: str) -> None:
    folder = required_validator_dir()
    name = "EN16931-UBL-validation.xslt" if syntax == "ubl" else "EN16931-CII-validation.xslt"
    rules = (folder / syntax / "xslt" / name).read_text(encoding="utf-8")
    assert _rule_codes(rules, "BR-CL-25") == EAS_CODES
