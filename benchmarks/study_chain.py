"""`gridmodel study` on the whole-chain scenario: time per stage, what the spine adds, the cache.

Runs the study cold into an empty folder (every stage computed and written), then again on the
unchanged scenario (every stage read back). Prints the time of each stage, of assembling the
inputs, of hashing what each stage reads, of writing (NetCDF and CSV apart from drawing the
figures), the share the spine adds, and the second run against the first.

    .venv/bin/python benchmarks/study_chain.py [SCENARIO] [--keep DIR]
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

from gridmodel import output
from gridmodel.schema import load_scenario
from gridmodel.study import Study


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("scenario", nargs="?", default="texas2000-whole-chain")
    parser.add_argument("--keep", type=Path, help="Write into this folder and keep it.")
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="chain-"))
    if folder.exists():
        shutil.rmtree(folder)
    scenario = load_scenario(args.scenario)

    started = time.perf_counter()
    study = Study(scenario, cache=folder)
    plan = study.plan()
    t0 = time.perf_counter()
    for name in plan:
        study.key(name)
    hashing = time.perf_counter() - t0
    study.run_all()
    cold = time.perf_counter() - started

    # writing split into data files and figures: redraw the figures alone
    t0 = time.perf_counter()
    output.redraw(folder)
    figures = time.perf_counter() - t0
    writing = sum(v for k, v in study.timings.items() if k.startswith("write "))
    data_files = max(writing - figures, 0.0)

    started = time.perf_counter()
    again = Study(load_scenario(args.scenario), cache=folder)
    again.run_all()
    warm = time.perf_counter() - started

    print(f"gridmodel study {args.scenario} (cold, into {folder})")
    for name in plan:
        print(
            f"  {name:<10} {study.timings[name]:7.1f} s   writing {study.timings[f'write {name}']:5.1f} s"
        )
    spine = study.timings.get("inputs", 0.0) + hashing + data_files
    print(f"  inputs assembled            {study.timings.get('inputs', 0.0):7.1f} s")
    print(f"  keys hashed                 {hashing:7.2f} s")
    print(f"  NetCDF and CSV written      {data_files:7.1f} s")
    print(f"  figures drawn               {figures:7.1f} s")
    print(f"  total                       {cold:7.1f} s")
    print(f"spine (inputs + hashing + data files): {spine:.1f} s = {100 * spine / cold:.1f} % of the total (goal < 5 %)")  # fmt: skip
    print(f"spine without assembling inputs: {100 * (hashing + data_files) / cold:.1f} %")
    print(f"second run, unchanged: {warm:.1f} s = {100 * warm / cold:.1f} % of the first (goal < 10 %); stages run again: {again.ran or 'none'}")  # fmt: skip
    if args.keep is None:
        shutil.rmtree(folder)


if __name__ == "__main__":
    main()
