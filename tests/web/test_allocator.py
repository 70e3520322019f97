"""A served process's allocator keeps large blocks for the next request instead of mapping them afresh."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

# A request's large blocks, as a 1,000-line invoice's answer makes them: built, joined, rewritten, freed.
PROGRAM = """
import resource, sys
from billfold.web.allocator import keep_large_blocks
kept = keep_large_blocks() if sys.argv[1] == "kept" else None
def request():
    parts = [b"x" * 850_000 for _ in range(4)]
    return len(b",".join(parts).replace(b"x", b"y"))
request()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(20):
    request()
print(kept, resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's allocator (Linux)")


def _faults(mode: str, **env: str) -> tuple[str, int]:
    clean = {key: value for key, value in os.environ.items() if not key.startswith("MALLOC_")}
    command = [sys.executable, "-c", PROGRAM, mode]
    done = subprocess.run(command, env={**clean, **env}, capture_output=True, text=True, check=True)
    kept, faults = done.stdout.split()
    return kept, int(faults)


@linux_only
def test_large_blocks_are_reused_without_page_faults() -> None:
    _, default = _faults("default")
    kept, faults = _faults("kept")
    assert kept == "True"
    # glibc's defaults give the heap's top back after each request: every block's pages fault again
    assert default > 20 * 4 * 100
    assert faults < default / 20


@linux_only
def test_glibcs_own_variables_are_left_alone() -> None:
    kept, faults = _faults("kept", MALLOC_TRIM_THRESHOLD_="1000000")
    assert kept == "False"
    assert faults > 20 * 4 * 100  # the operator's threshold, as set: the heap is trimmed again
