"""Throughput of calibration studies: fits per second as the batch grows, and on Dask.

For one family of the shipped ``scot_itt`` spec (survival by default) this prints

* fits per second in one process as the batch (chunk) grows: each size is one SBC chunk
  (simulate, fit as one BlackJAX batch, post-process), timed after a first chunk of the
  same size has compiled its program;
* post-processing per fit (ranks, P(superior), R-hat, bulk ESS, divergences, vectorised
  over the batch, no ``InferenceData``);
* a whole study on a LocalCluster of 1 and of 2 worker processes (wall time from the
  call to the last stored chunk, including the cluster's start and each worker's build
  and compilation of the model).

Usage::

    python benchmarks/bench_calibration.py
    python benchmarks/bench_calibration.py --family composite --sizes 8,32,128
    python benchmarks/bench_calibration.py --dask-simulations 64 --chunk-size 16

The measured numbers are recorded in ``benchmarks/README.md``.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

from bayes_scot.calibration import calibrate
from bayes_scot.calibration.study import StudyPlan, context, run_chunk


def _plan(family: str, size: int, draws: int, tune: int) -> StudyPlan:
    return StudyPlan(
        spec="scot_itt", family=family, mode="sbc", simulations=2 * size, chunk_size=size,
        seed=1, settings={"draws": draws, "tune": tune, "chains": 4,
                          "backend": "blackjax", "target_accept": 0.95,
                          "max_treedepth": 5 if family == "survival" else 10},
    )


def batch_growth(family: str, sizes: list[int], draws: int, tune: int) -> None:
    """Print fits per second and post-processing per fit for each batch size."""
    print(f"| fits per batch | sampling s | fits/s | post-processing ms/fit | "
          f"failed gate |  ({family}, {tune}+{draws} per chain, 4 chains, "
          f"{os.cpu_count()} cores)")
    print("|---:|---:|---:|---:|---:|")
    for size in sizes:
        plan = _plan(family, size, draws, tune)
        context(plan)
        run_chunk(plan, 0)  # compiles the program of this batch size
        rows = run_chunk(plan, 1)
        sampling = float(rows["sampling_seconds"].iloc[0])
        post = 1e3 * float(rows["postprocessing_seconds"].iloc[0]) / size
        failed = int((~rows["passed"]).sum())
        print(f"| {size} | {sampling:.1f} | {size / sampling:.2f} | {post:.3f} | "
              f"{failed} |", flush=True)


def dask_workers(family: str, simulations: int, chunk_size: int, draws: int,
                 tune: int) -> None:
    """Print the wall time of one study on 1 and on 2 LocalCluster workers."""
    print(f"\n| workers | simulations | chunk | wall s | fits/s |  ({family})")
    print("|---:|---:|---:|---:|---:|")
    for workers in (1, 2):
        with tempfile.TemporaryDirectory() as folder:
            started = time.perf_counter()
            calibrate(family=family, simulations=simulations, chunk_size=chunk_size,
                      draws=draws, tune=tune, workers=workers, out=folder, seed=2)
            wall = time.perf_counter() - started
        print(f"| {workers} | {simulations} | {chunk_size} | {wall:.1f} | "
              f"{simulations / wall:.2f} |", flush=True)


def main() -> None:
    """Run the benchmark from the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--family", default="survival")
    parser.add_argument("--sizes", default="4,8,16,32")
    parser.add_argument("--draws", type=int, default=250)
    parser.add_argument("--tune", type=int, default=250)
    parser.add_argument("--dask-simulations", type=int, default=32)
    parser.add_argument("--chunk-size", type=int, default=8)
    parser.add_argument("--skip-dask", action="store_true")
    args = parser.parse_args()
    batch_growth(args.family, [int(s) for s in args.sizes.split(",")], args.draws,
                 args.tune)
    if not args.skip_dask:
        dask_workers(args.family, args.dask_simulations, args.chunk_size, args.draws,
                     args.tune)


if __name__ == "__main__":
    main()
