"""`gridmodel brief` on the default scenario: from a cold stage cache, then again with it.

Goal (issue 17): the cold brief under 5 minutes on a 2-core machine, the second run (every stage
reused from the cache) under 20 s. The peer is the budget: the script prints each run's time
per stage (``Study.timings``: inputs, each stage, writing each stage's files and figures), the
brief itself (findings, figures, HTML and the Chromium PDF) and the ratio to the budget.
``--cold-network`` also starts from an empty network cache (the texas2000 conversion included,
as on a fresh machine). Run: .venv/bin/python benchmarks/brief.py [--cold-network]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import gridmodel
from gridmodel.brief.run import make_brief

BUDGET_COLD_S, BUDGET_CACHED_S = 300.0, 20.0


def run(out: Path) -> tuple[float, dict[str, float], list[str], bool]:
    started = time.perf_counter()
    done = make_brief(None, out)
    total = time.perf_counter() - started
    stages = sum(v for k, v in done.study.timings.items())
    timings = {**done.study.timings, "brief (findings, figures, HTML, PDF) and cache checks": total - stages}  # fmt: skip
    return total, timings, done.study.ran, done.pdf is not None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cold-network", action="store_true", help="empty network cache too")
    parser.add_argument("--keep", type=Path, help="write the results here and keep them")
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="gridmodel-brief-bench-"))
    if args.cold_network:
        gridmodel.set_options(cache_dir=scratch / "network-cache")
    out = args.keep or scratch / "results"
    shutil.rmtree(out, ignore_errors=True)
    try:
        rows = []
        for label, budget in (("cold stage cache", BUDGET_COLD_S), ("second run, cached", BUDGET_CACHED_S)):  # fmt: skip
            total, timings, ran, pdf = run(out)
            print(f"\n{label}: {total:.1f} s (budget {budget:.0f} s, ratio {total / budget:.2f}); "
                  f"stages run: {', '.join(ran) or 'none'}; PDF: {'yes' if pdf else 'no'}")  # fmt: skip
            for step, seconds in timings.items():
                print(f"  {step:<55s} {seconds:7.1f} s")
            rows.append(total <= budget)
        print(f"\nCPU count {os.cpu_count()}, load average {os.getloadavg()[0]:.1f} "
              "(other work on the machine slows every figure above)")  # fmt: skip
        return 0 if all(rows) else 1
    finally:
        if args.keep is None:
            shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
