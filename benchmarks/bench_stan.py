"""The package against Stan, nutpie and PyMC on the SCOT models, side by side.

One interleaved run per model on the same machine, 4 chains x 1000 draws after 500 tuning
steps at each family's shipped target acceptance for every sampler (0.97 for survival,
0.95 for the longitudinal model); the package's BlackJAX batch also caps the tree depth
as shipped (5 and 6), the others keep their default depth of 10, since only the
vectorised batch waits for its longest trajectory:

* ``package``: the shipped path, ``compile_model(..., backend="blackjax")`` and
  ``sample_many`` (the 13-prior grid as one batch);
* ``stan``: the model's Stan port (``benchmarks/stan/``) through PyStan 3 (one
  ``stan.build`` per prior, which compiles C++ once per program and caches it);
* ``nutpie`` and ``pymc``: the same PyMC model on nutpie, and on PyMC's own NUTS (what a
  PyMC user would run; the grid one prior after another).

Every competitor samples the priors the default report samples (the family's prior
sets). Rows: one prior (the reference) and the 13-prior grid, each in a fresh process
with cold caches (empty PyTensor, numba, JAX and httpstan caches) and then warm (the
caches the cold run filled). For every run: process wall time; import, build, compile and
sampling time; the smallest bulk ESS over the free parameters and fits; divergences; and
the smallest bulk ESS per second of the process and of the sampling call. The last table
gives the package's ESS per second over each competitor's. Before any Stan row, the Stan
port's log density is checked against the package's at random points (in a process of
its own, with the user's httpstan cache); a port that is no longer the package's model
stops the benchmark.

PyStan is an optional benchmark extra (``pip install .[bench]``); a competitor that is not
installed is skipped. Usage::

    python benchmarks/bench_stan.py
    python benchmarks/bench_stan.py --models longitudinal --competitors package stan
    python benchmarks/bench_stan.py --rows "one warm" "grid warm" --json stan.json
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
import stan_port  # the ports' shared helpers, beside this script

SEED = 20180104
MODELS = ("survival", "longitudinal")
COMPETITORS = ("package", "stan", "nutpie", "pymc")
ROWS = ("one cold", "one warm", "grid cold", "grid warm")


def _family(model: str, backend: str, what: str) -> tuple[Any, Any, dict[str, Any]]:
    """The family's builder, sampler settings and prior data (one prior or the grid)."""
    from bayes_scot.builders.base import named_grids
    from bayes_scot.reanalysis import build_family
    from bayes_scot.spec import load_spec

    spec = load_spec("scot_itt")
    builder, settings = build_family(spec, model)
    if backend != "blackjax":  # the depth cap is for the lockstep batch only
        settings = dataclasses.replace(settings, backend=backend, max_treedepth=10)
    family = spec.family(model)
    prior_sets = family.prior_sets(tuple(builder.effect_parameters), spec.priors,
                                   defaults=named_grids(builder))
    names = list(prior_sets) if what == "grid" else [spec.reference_prior]
    return builder, settings, {n: builder.prior_data(prior_sets[n]) for n in names}


def _port(model: str) -> Any:
    return importlib.import_module(f"stan_{model}")


def _min_ess(idatas: list, names: list[str] | None) -> tuple[float, int]:
    import arviz as az
    import numpy as np

    smallest, divergences = np.inf, 0
    for idata in idatas:
        ess = az.ess(idata, var_names=names, method="bulk")
        values = np.concatenate([np.ravel(ess[v].values) for v in ess.data_vars])
        smallest = min(smallest, float(np.nanmin(values)))
        stats = getattr(idata, "sample_stats", None)
        for key in ("diverging", "divergent__"):
            if stats is not None and key in stats:
                divergences += int(stats[key].values.sum())
    return smallest, divergences


def _child_pymc_model(model: str, backend: str, what: str) -> dict[str, float]:
    start = time.perf_counter()
    from bayes_scot.fitting import compile_model

    imported = time.perf_counter()
    builder, settings, data = _family(model, backend, what)
    built = time.perf_counter()
    compiled = compile_model(builder.model, backend=backend, key=builder.structure_key)
    compiled_at = time.perf_counter()
    fits = compiled.sample_many(data, settings=settings, seed=SEED)
    idatas = list(fits.values()) if isinstance(fits, dict) else [f for _, f in fits]
    sampled = time.perf_counter()
    free = sorted(rv.name for rv in builder.model.free_RVs)
    ess, divergences = _min_ess(idatas, free)
    return {"import": imported - start, "build": built - imported,
            "compile": compiled_at - built, "sample": sampled - compiled_at,
            "total": sampled - start, "ess": ess, "divergences": divergences}


def _child_stan(model: str, what: str) -> dict[str, float]:
    start = time.perf_counter()
    import arviz as az
    import stan  # noqa: F401  (timed: the import is part of the run)

    port = _port(model)
    imported = time.perf_counter()
    builder, settings, priors = _family(model, "blackjax", what)
    data = {n: port.stan_data(builder, values) for n, values in priors.items()}
    built = time.perf_counter()
    compile_s = sample_s = 0.0
    idatas = []
    for values in data.values():
        t0 = time.perf_counter()
        posterior = stan_port.build(port, values, random_seed=SEED)
        t1 = time.perf_counter()
        fit = posterior.sample(num_chains=settings.chains, num_samples=settings.draws,
                               num_warmup=settings.tune, delta=settings.target_accept)
        t2 = time.perf_counter()
        compile_s += t1 - t0
        sample_s += t2 - t1
        idatas.append(az.from_pystan(posterior=fit))
    done = time.perf_counter()
    ess, divergences = _min_ess(idatas, port.free_parameters(builder))
    return {"import": imported - start, "build": built - imported, "compile": compile_s,
            "sample": sample_s, "total": done - start, "ess": ess, "divergences": divergences}


def _child_check(model: str) -> dict[str, float]:
    """Check the Stan port's log density against the package's (reference prior)."""
    port = _port(model)
    builder, _, _ = _family(model, "blackjax", "one")
    data = port.stan_data(builder)
    ours, theirs = stan_port.log_density_pairs(builder.model, port, data,
                                               stan_port.build(port, data, random_seed=SEED))
    if not stan_port.same_up_to_a_constant(ours, theirs):
        raise SystemExit(f"the Stan port of the {model} model is not the package's model: "
                         f"log density differences {list(ours - ours[0])} against "
                         f"{list(theirs - theirs[0])}")
    return {"points": float(ours.size)}


def _run_child(model: str, competitor: str, what: str, cache: Path | None) -> dict[str, Any]:
    env = dict(os.environ)
    if cache is not None:  # otherwise the user's caches
        env["PYTENSOR_FLAGS"] = f"base_compiledir={cache / 'pytensor'}"
        env["NUMBA_CACHE_DIR"] = str(cache / "numba")
        env["XDG_CACHE_HOME"] = str(cache / "xdg")  # httpstan's compiled models
    start = time.perf_counter()
    out = subprocess.run([sys.executable, __file__, "--child", competitor, "--what", what,
                          "--models", model],
                         env=env, check=False, capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"{model} {competitor} {what} failed:\n{out.stderr[-3000:]}")
    row: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    row["process"] = time.perf_counter() - start
    if "ess" in row:
        row["ess_per_s"] = row["ess"] / row["process"]
        row["ess_per_sample_s"] = row["ess"] / row["sample"]
    return row


def _available(competitor: str) -> bool:
    return competitor != "stan" or importlib.util.find_spec("stan") is not None


def _child(model: str, competitor: str, what: str) -> dict[str, float]:
    if competitor == "check":
        return _child_check(model)
    if competitor == "stan":
        return _child_stan(model, what)
    return _child_pymc_model(model, "blackjax" if competitor == "package" else competitor,
                             what)


def _bench_model(model: str, competitors: list[str], rows: list[str], pymc_grid: bool,
                 tmp: Path) -> dict[str, dict[str, dict[str, float]]]:
    """Run one model's rows, printing each as it ends; return them by row and competitor."""
    from bayes_scot.reanalysis import build_family
    from bayes_scot.spec import load_spec

    settings = build_family(load_spec("scot_itt"), model)[1]
    print(f"\nSCOT ITT {model} model, {settings.chains} chains x {settings.draws} draws after "
          f"{settings.tune} tuning steps, target acceptance {settings.target_accept} (package "
          f"depth cap {settings.max_treedepth}); {os.cpu_count()} cores, load average "
          f"{os.getloadavg()[0]:.1f}")
    if "stan" in competitors:
        check = _run_child(model, "check", "one", None)
        print(f"Stan port's log density checked against the package's at "
              f"{check['points']:.0f} points in {check['process']:.1f} s")
    print(f"{'row':<10} {'competitor':<8} {'process':>8} {'import':>7} {'build':>6} "
          f"{'compile':>8} {'sample':>7} {'min ESS':>8} {'div':>4} {'ESS/s':>7} "
          f"{'ESS/s sampling':>15}", flush=True)
    results: dict[str, dict[str, dict[str, float]]] = {row: {} for row in rows}
    for what in ("one", "grid"):
        caches = {c: tmp / f"{model}-{what}-{c}" for c in competitors}
        for state in ("cold", "warm"):
            row = f"{what} {state}"
            for competitor in competitors:
                wanted = row in rows or (state == "cold" and f"{what} warm" in rows)
                if not wanted or (competitor == "pymc" and what == "grid" and not pymc_grid):
                    continue
                r = _run_child(model, competitor, what, caches[competitor])
                if row not in rows:  # a cold run only to fill the caches
                    continue
                results[row][competitor] = r
                print(f"{row:<10} {competitor:<8} {r['process']:8.1f} {r['import']:7.1f} "
                      f"{r['build']:6.1f} {r['compile']:8.1f} {r['sample']:7.1f} "
                      f"{r['ess']:8.0f} {r['divergences']:4d} {r['ess_per_s']:7.1f} "
                      f"{r['ess_per_sample_s']:15.1f}", flush=True)
    print("ESS per second of the process, package / competitor (above 1: the package wins)")
    for row, by in results.items():
        if "package" not in by:
            continue
        ratios = ", ".join(f"{c} {by['package']['ess_per_s'] / r['ess_per_s']:.2f}"
                           for c, r in by.items() if c != "package")
        print(f"  {row:<10} {ratios}", flush=True)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", choices=MODELS, default=list(MODELS))
    parser.add_argument("--competitors", nargs="+", choices=COMPETITORS,
                        default=list(COMPETITORS))
    parser.add_argument("--rows", nargs="+", choices=ROWS, default=list(ROWS))
    parser.add_argument("--pymc-grid", action="store_true",
                        help="also run PyMC's NUTS on the grid (13 priors one after another)")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--what", default="one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(_child(args.models[0], args.child, args.what)))
        return
    competitors = [c for c in args.competitors if _available(c)]
    with tempfile.TemporaryDirectory(prefix="bench-stan-") as tmp:
        results = {model: _bench_model(model, competitors, args.rows, args.pymc_grid,
                                       Path(tmp))
                   for model in args.models}
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
