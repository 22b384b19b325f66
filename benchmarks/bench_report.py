"""Benchmark the full default report: cold and warm wall times, grid versus one prior.

What is timed is what a user waits for: ``bayes_scot.reanalyse(spec)`` followed by
``Reanalysis.write_report(out)`` (all families, the whole prior grid, figures included).

* cold: a fresh Python process with empty compile caches (a new PyTensor compile
  directory and a new numba cache directory), import included;
* warm: the same process again, with the models already compiled (the fitting layer's
  per-structure compile cache), the usual case in a notebook;
* ratio: warm full grid / warm single (reference) prior, which shows how cheap each
  further prior is once the model is compiled.

Targets on 2 cores: warm under 60 s, cold under 3 minutes.

Usage::

    python benchmarks/bench_report.py                 # default spec, 3 warm, 1 cold
    python benchmarks/bench_report.py --cold 3 --warm 5 --json bench.json
    python benchmarks/bench_report.py scot_pp --draws 500
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import warnings
from pathlib import Path

TARGET_WARM_S = 60.0
TARGET_COLD_S = 180.0

_COLD_CODE = textwrap.dedent(
    """
    import json, sys, time, warnings
    warnings.filterwarnings("ignore", message=".*BLAS.*")
    started = time.perf_counter()
    import bayes_scot as bs
    overrides = json.loads(sys.argv[2])
    result = bs.reanalyse(sys.argv[1] or None, progress=False, **overrides)
    result.write_report(sys.argv[3])
    print(json.dumps({"seconds": time.perf_counter() - started,
                      "fits": len(result.fits)}))
    """
)


def cold_run(spec: str | None, overrides: dict, workdir: Path) -> float:
    """Time one report in a fresh process with empty compile caches."""
    caches = Path(tempfile.mkdtemp(prefix="cold-", dir=workdir))
    env = dict(os.environ)
    # base_compiledir holds PyTensor's C modules and its numba kernel cache
    env["PYTENSOR_FLAGS"] = f"base_compiledir={caches / 'pytensor'}"
    env["NUMBA_CACHE_DIR"] = str(caches / "numba")
    out = caches / "report"
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-c", _COLD_CODE, spec or "", json.dumps(overrides), str(out)],
        capture_output=True, text=True, env=env, check=False,
    )
    wall = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"cold run failed:\n{result.stderr[-4000:]}")
    return wall


def warm_runs(spec: str | None, overrides: dict, repeats: int, workdir: Path,
              priors: list[str] | None = None) -> list[float]:
    """Time reports in this process after one untimed run has compiled everything."""
    import bayes_scot as bs

    kwargs = dict(overrides)
    if priors is not None:
        kwargs["priors"] = priors
    times = []
    for i in range(repeats + 1):
        out = workdir / f"warm-{'one' if priors else 'grid'}-{i}"
        started = time.perf_counter()
        bs.reanalyse(spec, progress=False, **kwargs).write_report(out)
        if i > 0:  # the first run fills the compile cache
            times.append(time.perf_counter() - started)
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("spec", nargs="?", default=None,
                        help="specification name or path (default: scot_itt)")
    parser.add_argument("--cold", type=int, default=1, help="cold runs (fresh processes)")
    parser.add_argument("--warm", type=int, default=3, help="timed warm runs")
    parser.add_argument("--draws", type=int, help="override the spec's draws per chain")
    parser.add_argument("--json", type=Path, help="also write the measurements here")
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore", message=".*BLAS.*")

    overrides = {"draws": args.draws} if args.draws else {}
    with tempfile.TemporaryDirectory(prefix="bench-report-") as tmp:
        workdir = Path(tmp)
        cold = [cold_run(args.spec, overrides, workdir) for _ in range(args.cold)]
        grid = warm_runs(args.spec, overrides, args.warm, workdir)
        one = warm_runs(args.spec, overrides, args.warm, workdir, priors=["reference"])

    results = {
        "spec": args.spec or "scot_itt",
        "overrides": overrides,
        "cpu_count": os.cpu_count(),
        "cold_seconds": cold,
        "warm_grid_seconds": grid,
        "warm_one_prior_seconds": one,
        "cold_median": statistics.median(cold) if cold else None,
        "warm_median": statistics.median(grid),
        "one_prior_median": statistics.median(one),
    }
    results["grid_over_one_prior"] = results["warm_median"] / results["one_prior_median"]
    width = 34
    print(f"{'full report, ' + results['spec']:<{width}} {os.cpu_count()} cores")
    if cold:
        verdict = "ok" if results["cold_median"] < TARGET_COLD_S else "ABOVE TARGET"
        runs = ", ".join(f"{c:.1f}" for c in cold)
        print(f"{'cold median (fresh process)':<{width}} {results['cold_median']:7.1f} s  "
              f"(target < {TARGET_COLD_S:.0f} s: {verdict}; runs {runs})")
    verdict = "ok" if results["warm_median"] < TARGET_WARM_S else "ABOVE TARGET"
    print(f"{'warm median, whole grid':<{width}} {results['warm_median']:7.1f} s  "
          f"(target < {TARGET_WARM_S:.0f} s: {verdict})")
    print(f"{'warm median, reference prior only':<{width}} {results['one_prior_median']:7.1f} s")
    print(f"{'ratio grid / one prior':<{width}} {results['grid_over_one_prior']:7.2f}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
