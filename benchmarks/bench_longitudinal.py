"""Benchmark the longitudinal model: cold and warm fits, and a prior grid on one compilation.

Timed (wall clock, one process, medians of repeats) for the shipped SCOT analysis
(``load_trial("scot", population="all")`` with the shipped external evidence) and, for
scale, for the same analysis after adding simulated per-visit HAQ-DI numbers (which adds
multivariate-normal visit vectors and the within-patient correlation):

* **build**: constructing :class:`~bayes_scot.builders.longitudinal.LongitudinalModel`;
* **cold**: build, compile (empty compile cache) and one fit;
* **warm**: one more fit of the compiled model (a new seed);
* **grid**: the 13 named priors of :meth:`LongitudinalModel.prior_grid` on the one
  compilation, and its ratio to one warm fit (13 would mean no overhead per prior) and to
  13 cold fits (what recompiling per prior would cost).

Sampler: nutpie, 4 chains x 1000 draws after 1000 tuning steps (the package defaults).

Usage::

    python benchmarks/bench_longitudinal.py
    python benchmarks/bench_longitudinal.py --repeats 3 --json bench_longitudinal.json
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from dataclasses import replace

from bayes_scot.builders.longitudinal import LongitudinalModel
from bayes_scot.data import load_external, load_trial
from bayes_scot.evidence import Source, VisitSummary
from bayes_scot.fitting import SamplerSettings, clear_cache, compile_model, diagnose

SIMULATED = Source(citation="Simulated numbers for benchmarks", locator="benchmark",
                   tag="reported")


def simulated_haq_visits() -> tuple[VisitSummary, ...]:
    """Per-visit HAQ-DI changes from baseline (simulated), as a user would add them."""
    return tuple(
        VisitSummary(id=f"sim_haq_di_change_{t}", endpoint="haq_di", population="pp",
                     source=SIMULATED, time_months=t, statistic="change",
                     mean={"hsct": h, "cyc": c}, sd={"hsct": 0.6, "cyc": 0.6},
                     n={"hsct": nh, "cyc": nc})
        for t, h, c, nh, nc in [(12, -0.5, -0.1, 32, 33), (24, -0.6, -0.1, 31, 30),
                                (54, -0.7, -0.2, 29, 25)]
    )


def cases() -> dict[str, tuple]:
    scot = load_trial("scot", population="all")
    external = [load_external(), load_trial("astis", population="french_subcohort")]
    with_visits = replace(scot, entries=scot.entries + simulated_haq_visits())
    return {"scot_shipped": (scot, external), "scot_with_visit_numbers": (with_visits, external)}


def timed(fn):
    start = time.perf_counter()
    value = fn()
    return time.perf_counter() - start, value


def bench_case(trial, external, repeats: int, settings: SamplerSettings) -> dict[str, float]:
    build_times, cold_times, warm_times = [], [], []
    model = None
    for _ in range(repeats):
        clear_cache()
        build, model = timed(lambda: LongitudinalModel(trial, external=external))
        cold, (compiled, idata) = timed(lambda m=model: _compile_and_fit(m, settings))
        build_times.append(build)
        cold_times.append(build + cold)
    assert model is not None
    compiled = compile_model(model.model, key=model.structure_key)
    diagnostics = diagnose(idata, var_names=model.diagnostic_var_names)
    for seed in range(repeats):
        warm, _ = timed(lambda s=seed: compiled.sample(settings=settings, seed=100 + s))
        warm_times.append(warm)
    grid = {name: model.prior_data(prior) for name, prior in model.prior_grid().items()}
    grid_time, _ = timed(lambda: compiled.sample_many(grid, settings=settings, seed=1))
    warm = statistics.median(warm_times)
    cold = statistics.median(cold_times)
    return {
        "build_s": statistics.median(build_times),
        "cold_s": cold,
        "warm_s": warm,
        "grid_13_priors_s": grid_time,
        "grid_over_one_warm": grid_time / warm,
        "grid_over_13_cold": grid_time / (13 * cold),
        "rhat_max": diagnostics.rhat_max,
        "ess_bulk_min": diagnostics.ess_bulk_min,
        "divergences": diagnostics.divergences,
    }


def _compile_and_fit(model, settings):
    compiled = compile_model(model.model, key=model.structure_key)
    return compiled, compiled.sample(settings=settings, seed=0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", help="write the results to this file")
    args = parser.parse_args()
    settings = SamplerSettings()
    results = {}
    for name, (trial, external) in cases().items():
        results[name] = bench_case(trial, external, args.repeats, settings)
        row = results[name]
        print(f"{name}: build {row['build_s']:.2f} s, cold {row['cold_s']:.1f} s, "
              f"warm {row['warm_s']:.2f} s, 13-prior grid {row['grid_13_priors_s']:.1f} s "
              f"(= {row['grid_over_one_warm']:.1f} warm fits, "
              f"{row['grid_over_13_cold']:.3f} of 13 cold fits); "
              f"R-hat {row['rhat_max']:.3f}, ESS {row['ess_bulk_min']:.0f}, "
              f"{row['divergences']} divergences", flush=True)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(results, fh, indent=2)


if __name__ == "__main__":
    main()
