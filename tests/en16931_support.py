"""The official EN 16931 rules (CEN's compiled Schematron and the UBL/CII schemas), found in
``shared/validators/en16931`` beside the repository (or any folder above it), or at
``BILLFOLD_EN16931_VALIDATOR``. Without them the e-invoice checks are skipped with a message, except in CI
(``CI=true``), where that is a failure. The stylesheets compile once per session (saxonche is slow to
compile, fast to run)."""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

Check = Callable[[bytes], tuple[list[str], list[str]]]
ROOT = Path(__file__).resolve().parents[1]


def validator_dir() -> Path | None:
    given = os.environ.get("BILLFOLD_EN16931_VALIDATOR")
    if given:
        return Path(given)
    for folder in ROOT.parents:
        candidate = folder / "shared" / "validators" / "en16931"
        if (candidate / "validate.py").is_file():
            return candidate
    return None


def required_validator_dir() -> Path:
    """:func:`validator_dir`, or the test is skipped (a failure in CI) without it."""
    folder = validator_dir()
    if folder is None or not (folder / "validate.py").is_file():
        message = "EN 16931 validator not found (shared/validators/en16931 above the repository): skipped"
        if os.environ.get("CI") == "true":
            pytest.fail(message.replace("skipped", "cannot be skipped in CI"))
        pytest.skip(message)
    return folder


@pytest.fixture(scope="session")
def en16931() -> Check:
    """``check(xml) -> (fatal, warnings)`` from the official validator (schema, then business rules)."""
    folder = required_validator_dir()
    sys.path.insert(0, str(folder))
    try:
        module = importlib.import_module("validate")
    finally:
        sys.path.remove(str(folder))
    check: Check = module.check
    return check


@pytest.fixture(scope="session")
def assert_valid(en16931: Check) -> Callable[[bytes], None]:
    def run(xml: bytes) -> None:
        fatal, _warnings = en16931(xml)
        assert fatal == []

    return run
