"""Benchmark the Guyot reconstruction and the closed-form reanalysis of reported effects.

Times what a user waits for, best of several repeats, on:

* real curves with known patient-level truth shipped with lifelines (GBSG2 with a yearly
  risk table, Rossi with a quarterly one), digitised as one point per step of the
  Kaplan-Meier curve, with the accuracy of each reconstruction;
* simulated curves of growing size (seeded), to show how the time scales with the number
  of digitised points and patients;
* ``reanalyse_effect`` on ASTIS's event-free-survival hazard ratio under the 13-prior
  grid, and the ``bayes-scot effect`` command in a fresh process (import included).

Usage::

    python benchmarks/bench_reconstruction.py
    python benchmarks/bench_reconstruction.py --repeat 10
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from bayes_scot.stats.kaplan_meier import kaplan_meier
from bayes_scot.stats.normal_normal import reanalyse_effect
from bayes_scot.stats.reconstruction import reconstruct_curve


def best_of(func: Callable[[], object], repeat: int) -> float:
    """Best wall time in seconds over ``repeat`` calls."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return min(times)


def digitise(time_: np.ndarray, event: np.ndarray, step: float):
    km = kaplan_meier(time_, event)
    steps = km.events > 0
    t = np.r_[0.0, km.times[steps], km.times[-1]]
    s = np.r_[1.0, km.survival[steps], km.survival[-1]]
    risk_times = np.arange(0.0, time_.max() + 1e-9, step)
    return t, s, risk_times, km.number_at_risk(risk_times), int(event.sum())


#: Copies of lifelines' GBSG2 and Rossi data sets (tests/data/README.md gives sources).
DATA = Path(__file__).resolve().parents[1] / "tests" / "data"


def real_cases():
    gbsg2 = pd.read_csv(DATA / "gbsg2.csv")
    gbsg2["years"] = gbsg2["time"] / 365.25
    for arm, sub in gbsg2.groupby("horTh"):
        yield (f"GBSG2 horTh={arm}, yearly", sub["years"].to_numpy(float),
               sub["cens"].to_numpy(int), 1.0)
    rossi = pd.read_csv(DATA / "rossi.csv")
    for arm, sub in rossi.groupby("fin"):
        yield (f"Rossi fin={arm}, 13-weekly", sub["week"].to_numpy(float),
               sub["arrest"].to_numpy(int), 13.0)


def simulated_case(n: int, seed: int):
    rng = np.random.default_rng(seed)
    event_time = rng.exponential(10.0, n)
    censor_time = rng.uniform(1.0, 30.0, n)
    return np.minimum(event_time, censor_time), (event_time <= censor_time).astype(int)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="repeats per timing")
    args = parser.parse_args()

    print("Reconstruction of real curves (lifelines datasets)")
    print(f"{'case':32s} {'points':>6s} {'n':>5s} {'ms':>8s} {'max|dS|':>8s} "
          f"{'events':>11s}")
    for label, t_, e_, step in real_cases():
        t, s, rt, nr, total = digitise(t_, e_, step)
        result = reconstruct_curve(t, s, rt, nr, total)
        seconds = best_of(lambda t=t, s=s, rt=rt, nr=nr, total=total:
                          reconstruct_curve(t, s, rt, nr, total), args.repeat)
        print(f"{label:32s} {t.size:6d} {nr[0]:5d} {1e3 * seconds:8.2f} "
              f"{result.max_abs_ds:8.4f} {result.events_reconstructed:5d}/{total:<5d}")

    print("\nScaling on simulated curves (exponential events, uniform censoring)")
    print(f"{'patients':>8s} {'points':>7s} {'ms':>9s}")
    for n in (100, 1000, 5000, 20000):
        t_, e_ = simulated_case(n, seed=n)
        t, s, rt, nr, total = digitise(t_, e_, 2.0)
        seconds = best_of(lambda t=t, s=s, rt=rt, nr=nr, total=total:
                          reconstruct_curve(t, s, rt, nr, total), max(1, args.repeat // 2))
        print(f"{n:8d} {t.size:7d} {1e3 * seconds:9.2f}")

    print("\nReported effects")
    seconds = best_of(lambda: reanalyse_effect(0.34, 0.16, 0.74, mcid=0.8), args.repeat)
    print(f"reanalyse_effect, ASTIS EFS HR, 13 priors: {1e3 * seconds:.2f} ms")
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "bayes_scot.cli", "effect", "--hr", "0.34",
                    "--lower", "0.16", "--upper", "0.74"], check=True,
                   stdout=subprocess.DEVNULL)
    print(f"bayes-scot effect in a fresh process: {time.perf_counter() - start:.2f} s")


if __name__ == "__main__":
    main()
