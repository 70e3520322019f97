"""The C allocator of a served process (glibc's ``malloc``): large blocks kept for reuse.

Python takes every object above 512 bytes from the C allocator. glibc maps a block of 128 KiB or more
straight from the kernel and, once such blocks are freed, gives the top of its heap back whenever more
than about twice the largest of them lies free there. A request that builds a large answer (the ~850 kB
of a 1,000-line invoice: the lines' answers joined, the customer and currency put in, the bytes sent)
frees a few such blocks at its end, the heap shrinks, and the next request touches fresh pages again:
~830 page faults per ``GET`` of a 1,000-line invoice, ~1,800 per 1,000-line bulk create, each fault a
zeroed page from the kernel (one worker, one connection: 11.6 ms of server CPU per ``GET`` with glibc's
defaults, 7.8 ms with the settings below; ``bench/large_answers.py``, docs/benchmarks.md).

Blocks under 16 MiB come from the heap, and the heap keeps up to 64 MiB free at its top for the next
request instead of returning it at once: a worker's resident size stays near its high-water mark (the
same ~135 MB after the runs above either way). Set ``MALLOC_MMAP_THRESHOLD_`` or
``MALLOC_TRIM_THRESHOLD_`` (glibc's own variables) to keep glibc's behaviour, or your own values.
"""

from __future__ import annotations

import ctypes
import os
import sys

M_TRIM_THRESHOLD = -1  # glibc's <malloc.h>
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 16 * 1024 * 1024
TRIM_THRESHOLD = 64 * 1024 * 1024
GLIBC_VARIABLES = ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_")


def keep_large_blocks() -> bool:
    """Set this process's allocator as the module says; ``False`` (nothing changed) where the C library
    is not glibc, or where the operator set glibc's variables."""
    if not sys.platform.startswith("linux") or any(name in os.environ for name in GLIBC_VARIABLES):
        return False
    try:
        libc = ctypes.CDLL(None)  # the process's own C library
        mallopt = libc.mallopt
        libc.gnu_get_libc_version  # noqa: B018  # glibc's alone (musl has a mallopt that does nothing)
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    return bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD))
