"""How long documents take to render: ``uv run python bench/documents_bench.py``.

PDF (PDF/A-3b with the Factur-X CII embedded) of a 10-line and a 1,000-line invoice, and the UBL and
CII e-invoices of the 1,000-line invoice, built from the test suite's document factories. Prints, per
output, the best and median wall time and the median CPU time of ``--runs`` runs (the machine is shared,
so CPU time is the steadier figure), then the peak Python memory of one run (tracemalloc; WeasyPrint's
C libraries, Pango and cairo-free HarfBuzz, allocate outside it) and the process's peak RSS.
"""

from __future__ import annotations

import argparse
import platform
import resource
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "documents"))

from factories import big_invoice, small_invoice

from billfold.documents.cii import render_cii
from billfold.documents.pdf import render_pdf
from billfold.documents.ubl import render_ubl


def measure(render: Callable[[], bytes], runs: int) -> tuple[float, float, float, float, int]:
    """(best ms, median ms, median CPU ms, peak traced MiB, output bytes)."""
    walls, cpus = [], []
    size = 0
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        size = len(render())
        walls.append((time.perf_counter() - wall) * 1000)
        cpus.append((time.process_time() - cpu) * 1000)
    tracemalloc.start()
    render()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return min(walls), statistics.median(walls), statistics.median(cpus), peak / 2**20, size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    small, big = small_invoice(), big_invoice()
    render_pdf(small)  # warm up fonts and templates
    cases: list[tuple[str, Callable[[], bytes]]] = [
        ("PDF, 10 lines", lambda: render_pdf(small)),
        ("PDF, 1,000 lines", lambda: render_pdf(big)),
        ("UBL, 1,000 lines", lambda: render_ubl(big)),
        ("CII, 1,000 lines", lambda: render_cii(big)),
    ]
    machine = platform.processor() or platform.machine()
    print(f"{platform.node()} · {machine} · Python {platform.python_version()}")
    print("| output | best | median | median CPU | peak Python memory | size |")
    print("| --- | --- | --- | --- | --- | --- |")
    for name, render in cases:
        best, median, cpu, peak, size = measure(render, args.runs)
        figures = f"{best:.0f} ms | {median:.0f} ms | {cpu:.0f} ms | {peak:.1f} MiB | {size / 1024:.0f} KiB"
        print(f"| {name} | {figures} |")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\npeak RSS of the process: {rss:.0f} MiB")


if __name__ == "__main__":
    main()
