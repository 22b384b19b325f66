"""Wall times of the SCOT survival fit per sampler backend, at the shipped settings.

The sampler settings are those of the survival family in the shipped ``scot_itt`` spec
(4 chains x 1000 draws after 500 tuning steps), with the backend replaced. For each
backend this prints

* one prior, cold: a fresh process with empty PyTensor, numba and JAX caches (temporary
  directories): import, build, compile and sample the reference prior;
* one prior, warm: a fresh process reusing the caches the cold run filled;
* the 13-prior grid, cold and warm: the same, sampling the whole grid
  (``CompiledModel.sample_many``: one batch for ``blackjax``, one prior after another
  for the others), with its own caches;
* the ratios grid / one prior, cold and warm;
* in one process (caches warm): compilation, one prior, the grid, and each further
  prior ((grid - one prior) / 12).

Usage::

    python benchmarks/bench_survival.py                # every backend
    python benchmarks/bench_survival.py --backend blackjax
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
    from bayes_scot.spec import load_spec

    spec = load_spec("scot_itt")
    s = spec.family("survival").sampler_settings(spec.sampler)
    return s.to_settings(backend=backend)


def _model(population: str):
    from bayes_scot.builders.survival import SurvivalModel
    from bayes_scot.data import load_trial
    from bayes_scot.spec import load_spec

    options = load_spec(f"scot_{population}").family("survival").options_object()
    return SurvivalModel(load_trial("scot", population="all"), options=options)


def _fit(compiled, model, backend: str, priors: list[str]) -> None:
    grid = model.prior_grid()
    compiled.sample_many({name: model.prior_data(grid[name]) for name in priors},
                         settings=_settings(backend), seed=SEED)


def _child(backend: str, population: str, what: str) -> None:
    """Run in a subprocess: time one cold or warm fit (or grid) and print JSON."""
    start = time.perf_counter()
    from bayes_scot.fitting import compile_model

    imported = time.perf_counter()
    model = _model(population)
    built = time.perf_counter()
    compiled = compile_model(model.model, backend=backend, key=model.structure_key)
    done_compile = time.perf_counter()
    _fit(compiled, model, backend, list(model.prior_grid()) if what == "grid" else ["reference"])
    sampled = time.perf_counter()
    print(json.dumps({
        "import": imported - start, "build": built - imported,
        "compile": done_compile - built, "sample": sampled - done_compile,
        "total": sampled - start,
    }))


def _run_child(backend: str, population: str, what: str, cache: Path) -> dict[str, float]:
    env = dict(os.environ)
    # base_compiledir holds the C compiledir, PyTensor's numba cache and JAX's cache
    env["PYTENSOR_FLAGS"] = f"base_compiledir={cache / 'pytensor'}"
    env["NUMBA_CACHE_DIR"] = str(cache / "numba")
    start = time.perf_counter()
    out = subprocess.run(
        [sys.executable, __file__, "--child", backend, "--population", population,
         "--what", what],
        env=env, check=True, capture_output=True, text=True,
    )
    row = json.loads(out.stdout.strip().splitlines()[-1])
    row["process"] = time.perf_counter() - start  # with interpreter start-up
    return row


def _in_process(backend: str, population: str) -> dict[str, float]:
    from bayes_scot.fitting import compile_model

    model = _model(population)
    start = time.perf_counter()
    compiled = compile_model(model.model, backend=backend, key=model.structure_key)
    compile_time = time.perf_counter() - start
    _fit(compiled, model, backend, ["reference"])  # programs of both batch sizes compiled
    _fit(compiled, model, backend, list(model.prior_grid()))
    t0 = time.perf_counter()
    _fit(compiled, model, backend, ["reference"])
    one = time.perf_counter() - t0
    t0 = time.perf_counter()
    _fit(compiled, model, backend, list(model.prior_grid()))
    grid = time.perf_counter() - t0
    return {"compile": compile_time, "one": one, "grid": grid, "further": (grid - one) / 12}


def _line(label: str, row: dict[str, float]) -> str:
    return (f"  {label}: process {row['process']:6.1f} s  (import {row['import']:.1f}, "
            f"build {row['build']:.1f}, compile {row['compile']:.1f}, "
            f"sample {row['sample']:.1f})")


BACKENDS = ("nutpie", "blackjax", "pymc")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=[*BACKENDS, "all"], default="all")
    parser.add_argument("--population", default="itt")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--what", default="one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.child, args.population, args.what)
        return
    backends = list(BACKENDS) if args.backend == "all" else [args.backend]
    load = os.getloadavg()[0]
    s = _settings("nutpie")
    print(f"SCOT survival model, population {args.population}, {s.chains} chains x "
          f"{s.draws} draws after {s.tune} tuning steps, target acceptance "
          f"{s.target_accept}, max tree depth {s.max_treedepth}, {os.cpu_count()} cores, "
          f"load average {load:.1f} at start")
    for backend in backends:
        rows = {}
        for what in ("one", "grid"):
            with tempfile.TemporaryDirectory(prefix=f"bench-{backend}-") as tmp:
                rows[f"{what} cold"] = _run_child(backend, args.population, what, Path(tmp))
                rows[f"{what} warm"] = _run_child(backend, args.population, what, Path(tmp))
        print(f"\n[{backend}]")
        for label, row in rows.items():
            print(_line(f"{label:9s}", row), flush=True)
        for state in ("cold", "warm"):
            ratio = rows[f"grid {state}"]["process"] / rows[f"one {state}"]["process"]
            print(f"  fresh {state} process: 13-prior grid / one prior = {ratio:.2f}")
        proc = _in_process(backend, args.population)
        print(f"  in process: compile {proc['compile']:.1f} s, one prior {proc['one']:.1f} s, "
              f"13-prior grid {proc['grid']:.1f} s, each further prior {proc['further']:.2f} s")


if __name__ == "__main__":
    main()
