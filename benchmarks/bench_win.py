"""Benchmark the win-statistics kernels and the model-based GRCS route.

Timed (median of repeats, wall clock, one process):

* ``win_statistics`` on two simulated arms of 100, 1000 and 5000 patients each, for
  a GRCS-like hierarchy (death and EFS times, then three continuous outcomes with tie
  margins, missing after an event: sorting for the time-to-event levels, binary search
  at the first margin, pairwise comparison of the pairs tied there) and for complete data without
  margins (sorting only);
* a pure-Python double loop over pairs at 100 per arm, for scale;
* ``win_statistics_draws`` over 1000 draws at SCOT's size (36 vs 39 patients);
* the model-based route for 1000 posterior draws: simulating one arm of 400 patients
  per draw, comparing 400 vs 400 per draw, and the whole of ``model_based_grcs`` (the
  trial-size predictive and the population estimand at 400 patients per arm for three
  within-patient correlations).

All data are simulated. Usage::

    python benchmarks/bench_win.py
    python benchmarks/bench_win.py --repeats 5 --json bench_win.json
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import time
from collections.abc import Callable

import numpy as np
import pandas as pd

from bayes_scot.results.grcs import (
    GrcsSimulationOptions,
    grcs_hierarchy,
    model_based_grcs,
    simulate_grcs_arm,
)
from bayes_scot.stats.win import win_statistics, win_statistics_draws

HORIZON = 54.0
GRCS = [
    ("death", "higher", 0.0),
    ("efs_event", "higher", 0.0),
    ("fvc", "higher", 3.0),
    ("haq_di", "lower", 0.10),
    ("mrss", "lower", 5.0),
]
NO_MARGINS = [(name, better, 0.0) for name, better, _ in GRCS]


def simulated_arm(rng: np.random.Generator, n: int, p_death: float, p_failure: float,
                  shift: float) -> np.ndarray:
    """(patient, level) values shaped like the GRCS: times at 54 months, then outcomes."""
    death = np.where(rng.random(n) < p_death, rng.uniform(0, HORIZON, n), HORIZON)
    failure = np.where(rng.random(n) < p_failure, rng.uniform(0, HORIZON, n), HORIZON)
    efs = np.minimum(death, failure)
    event_free = efs == HORIZON
    outcomes = rng.normal([74.0 + shift, 1.2 - shift / 20, 20.0 - shift], [15.0, 0.7, 9.5],
                          size=(n, 3))
    outcomes[~event_free] = np.nan
    return np.column_stack([death, efs, outcomes])


def complete(values: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The same arm with every outcome observed (no missing values)."""
    filled = values.copy()
    missing = np.isnan(filled)
    filled[missing] = rng.normal(50.0, 10.0, size=missing.sum())
    return filled


def frame(values: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame(values, columns=[name for name, _, _ in GRCS])


def brute_force(x: np.ndarray, y: np.ndarray, hierarchy) -> tuple[int, int]:
    wins = losses = 0
    for xi in x:
        for yj in y:
            for k, (_, better, margin) in enumerate(hierarchy):
                a, b = xi[k], yj[k]
                if math.isnan(a) or math.isnan(b):
                    continue
                diff = a - b if better == "higher" else b - a
                if diff > margin:
                    wins += 1
                    break
                if diff < -margin:
                    losses += 1
                    break
    return wins, losses


def timed(function: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="repeats per timing (median)")
    parser.add_argument("--json", help="also write the results to this JSON file")
    args = parser.parse_args()
    rng = np.random.default_rng(20180104)
    rows: list[dict[str, object]] = []

    def record(case: str, size: str, seconds: float) -> None:
        rows.append({"case": case, "size": size, "seconds": round(seconds, 4)})
        print(f"{case:<44} {size:<26} {seconds:9.4f} s", flush=True)

    for n in (100, 1000, 5000):
        x = simulated_arm(rng, n, 0.15, 0.15, 3.0)
        y = simulated_arm(rng, n, 0.28, 0.25, 0.0)
        e, c = frame(x), frame(y)
        record("win_statistics, GRCS with margins", f"{n} vs {n}",
               timed(lambda e=e, c=c: win_statistics(e, c, GRCS), args.repeats))
        e, c = frame(complete(x, rng)), frame(complete(y, rng))
        record("win_statistics, complete, no margins (sort)", f"{n} vs {n}",
               timed(lambda e=e, c=c: win_statistics(e, c, NO_MARGINS), args.repeats))

    x = simulated_arm(rng, 100, 0.15, 0.15, 3.0)
    y = simulated_arm(rng, 100, 0.28, 0.25, 0.0)
    record("Python double loop over pairs (reference)", "100 vs 100",
           timed(lambda: brute_force(x, y, GRCS), 1))

    draws = 1000
    xs = np.stack([simulated_arm(rng, 36, 0.15, 0.15, 3.0) for _ in range(draws)])
    ys = np.stack([simulated_arm(rng, 39, 0.28, 0.25, 0.0) for _ in range(draws)])
    record("win_statistics_draws, GRCS with margins", f"{draws} draws x 36 vs 39",
           timed(lambda: win_statistics_draws(xs, ys, GRCS), args.repeats))
    xs, ys = complete(xs, rng), complete(ys, rng)
    record("win_statistics_draws, complete, no margins", f"{draws} draws x 36 vs 39",
           timed(lambda: win_statistics_draws(xs, ys, NO_MARGINS), args.repeats))

    shape = (4, 250)
    hazards = np.zeros((*shape, 2, 5, 3))
    hazards[..., 0, :, :] = [0.003, 0.003, 0.01]
    hazards[..., 1, :, :] = [0.008, 0.005, 0.02]
    hazards *= rng.lognormal(0.0, 0.2, size=hazards.shape)
    means = np.array([[78.0, 1.0, 15.0], [72.0, 1.3, 20.0]])
    sds = np.array([[15.0, 0.7, 9.5], [15.0, 0.7, 9.5]])
    options = GrcsSimulationOptions()
    n_pop = options.n_population
    flat = hazards.reshape(draws, 2, 5, 3)
    boundaries = np.array([0.0, 3.0, 12.0, 24.0, 54.0, 72.0])

    def simulate(arm: int) -> np.ndarray:
        return simulate_grcs_arm(
            flat[:, arm], boundaries, rng.standard_normal((draws, n_pop, 3)),
            np.broadcast_to(means[arm], (draws, 3)), np.broadcast_to(sds[arm], (draws, 3)),
            correlation=options.correlation, horizon=HORIZON, rng=rng)

    record("simulate_grcs_arm", f"{draws} draws x {n_pop} patients",
           timed(lambda: simulate(0), 1))
    px, py = simulate(0), simulate(1)
    record("win_statistics_draws, simulated GRCS", f"{draws} draws x {n_pop} vs {n_pop}",
           timed(lambda: win_statistics_draws(px, py, grcs_hierarchy(options)), 1))
    record("model_based_grcs (predictive + population)",
           f"{draws} draws, {n_pop}/arm x 3 rho",
           timed(lambda: model_based_grcs(hazards, boundaries, means, sds,
                                          n_trial=(36, 39), arms=("hsct", "cyc"),
                                          options=options), 1))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump(rows, handle, indent=2)


if __name__ == "__main__":
    main()
