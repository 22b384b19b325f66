"""Wall times of the SCOT survival fit per sampler backend, at the shipped settings.

The sampler settings are those of the survival family in the shipped ``scot_itt`` spec
(4 chains x 1000 draws after 500 tuning steps, target acceptance 0.95). For each backend
this prints

* cold: a fresh process with empty PyTensor and numba caches (temporary directories):
  import, build, compile and sample one prior;
* warm: a fresh process reusing the caches the cold run filled;
* in one process: compilation, the first prior, each further prior, the whole 13-prior
  grid, and the ratio (compile + grid) / (compile + one prior);
* the same ratio for a whole fresh process, warm and cold: (process with one prior +
  12 further priors) / (process with one prior), the further priors as timed in process.

Usage::

    python benchmarks/bench_survival.py                # both backends
    python benchmarks/bench_survival.py --backend nutpie
    python benchmarks/bench_survival.py --population pp

The measured numbers are recorded in ``benchmarks/README.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SEED = 20180104


def _settings(backend: str):
    """The shipped survival sampler settings, on ``backend``."""
    from bayes_scot.fitting import SamplerSettings
    from bayes_scot.spec import load_spec

    spec = load_spec("scot_itt")
    s = spec.family("survival").sampler_settings(spec.sampler)
    return SamplerSettings(draws=s.draws, tune=s.tune, chains=s.chains,
                           target_accept=s.target_accept, backend=backend)


def _child(backend: str, population: str) -> None:
    """Run in a subprocess: time one cold or warm fit and print JSON."""
    start = time.perf_counter()
    from bayes_scot.builders.survival import SurvivalModel, SurvivalOptions
    from bayes_scot.data import load_trial
    from bayes_scot.fitting import compile_model

    imported = time.perf_counter()
    model = SurvivalModel(load_trial("scot", population="all"),
                          options=SurvivalOptions(population=population))
    built = time.perf_counter()
    cpu0 = time.process_time()
    compiled = compile_model(model.model, backend=backend, key=model.structure_key)
    done_compile, cpu1 = time.perf_counter(), time.process_time()
    compiled.sample(model.prior_data(model.prior_grid()["reference"]),
                    settings=_settings(backend), seed=SEED)
    sampled, cpu2 = time.perf_counter(), time.process_time()
    print(json.dumps({
        "import": imported - start, "build": built - imported,
        "compile": done_compile - built, "sample": sampled - done_compile,
        "total": sampled - start, "compile_cpu": cpu1 - cpu0, "sample_cpu": cpu2 - cpu1,
    }))


def _run_child(backend: str, population: str, cache: Path) -> dict[str, float]:
    env = dict(os.environ)
    # base_compiledir holds both the C compiledir and PyTensor's numba cache
    env["PYTENSOR_FLAGS"] = f"base_compiledir={cache / 'pytensor'}"
    env["NUMBA_CACHE_DIR"] = str(cache / "numba")
    out = subprocess.run(
        [sys.executable, __file__, "--child", backend, "--population", population],
        env=env, check=True, capture_output=True, text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def _grid(backend: str, population: str) -> dict[str, float]:
    from bayes_scot.builders.survival import SurvivalModel, SurvivalOptions
    from bayes_scot.data import load_trial
    from bayes_scot.fitting import compile_model

    model = SurvivalModel(load_trial("scot", population="all"),
                          options=SurvivalOptions(population=population))
    settings = _settings(backend)
    start = time.perf_counter()
    compiled = compile_model(model.model, backend=backend, key=model.structure_key)
    compile_time = time.perf_counter() - start
    grid = model.prior_grid()
    times = []
    for prior in grid.values():
        t0 = time.perf_counter()
        compiled.sample(model.prior_data(prior), settings=settings, seed=SEED)
        times.append(time.perf_counter() - t0)
    return {
        "compile_in_process": compile_time,
        "first_prior": times[0],
        "further_prior_mean": sum(times[1:]) / (len(times) - 1),
        "grid_13": sum(times),
        "ratio_grid_to_one": (compile_time + sum(times)) / (compile_time + times[0]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["nutpie", "pymc", "all"], default="all")
    parser.add_argument("--population", default="itt")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.child, args.population)
        return
    backends = ["nutpie", "pymc"] if args.backend == "all" else [args.backend]
    load = os.getloadavg()[0]
    s = _settings("nutpie")
    print(f"SCOT survival model, population {args.population}, {s.chains} chains x "
          f"{s.draws} draws after {s.tune} tuning steps, target acceptance "
          f"{s.target_accept}, {os.cpu_count()} cores, load average {load:.1f} at start")
    for backend in backends:
        with tempfile.TemporaryDirectory(prefix=f"bench-{backend}-") as tmp:
            cold = _run_child(backend, args.population, Path(tmp))
            warm = _run_child(backend, args.population, Path(tmp))
        print(f"\n[{backend}]")
        for label, row in (("cold", cold), ("warm", warm)):
            print(f"  {label}: total {row['total']:6.1f} s  (import {row['import']:.1f}, "
                  f"build {row['build']:.1f}, compile {row['compile']:.1f} "
                  f"[cpu {row['compile_cpu']:.1f}], sample {row['sample']:.1f} "
                  f"[cpu {row['sample_cpu']:.1f}])", flush=True)
        grid = _grid(backend, args.population)
        print(f"  in process: compile {grid['compile_in_process']:.1f} s, first prior "
              f"{grid['first_prior']:.1f} s, each further prior "
              f"{grid['further_prior_mean']:.1f} s")
        print(f"  13-prior grid: {grid['grid_13']:.1f} s sampling; "
              f"(compile + grid) / (compile + one prior) = {grid['ratio_grid_to_one']:.2f}")
        further = 12 * grid["further_prior_mean"]
        for label, row in (("warm", warm), ("cold", cold)):
            print(f"  fresh {label} process: (one prior + 12 further) / one prior = "
                  f"{(row['total'] + further) / row['total']:.2f}")


if __name__ == "__main__":
    main()
