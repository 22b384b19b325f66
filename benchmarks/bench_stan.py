"""The package against Stan, nutpie and PyMC on the SCOT survival model, side by side.

One interleaved run on the same machine, 4 chains x 1000 draws after 500 tuning steps at
target acceptance 0.97 for every sampler (the survival family's shipped settings; the
package's BlackJAX batch also caps the tree depth at 5 as shipped, the others keep their
default depth of 10, since only the vectorised batch waits for its longest trajectory):

* ``package``: the shipped path, ``compile_model(..., backend="blackjax")`` and
  ``sample_many`` (the 13-prior grid as one batch);
* ``stan``: the Stan port of ``benchmarks/stan/survival.stan`` through PyStan 3 (one
  ``stan.build`` per prior, which compiles C++ once per program and caches it);
* ``nutpie`` and ``pymc``: the same PyMC model on nutpie, and on PyMC's own NUTS (what a
  PyMC user would run; the grid one prior after another).

Rows: one prior (the reference) and the 13-prior grid, each in a fresh process with cold
caches (empty PyTensor, numba, JAX and httpstan caches) and then warm (the caches the cold
run filled). For every run: process wall time; import, build, compile and sampling time;
the smallest bulk ESS over the free parameters and fits; divergences; and the smallest
bulk ESS per second of the process and of the sampling call. The last table gives each
competitor's ESS per second over the package's.

PyStan is an optional benchmark extra (``pip install .[bench]``); a competitor that is not
installed is skipped. Usage::

    python benchmarks/bench_stan.py
    python benchmarks/bench_stan.py --competitors package stan --rows "one warm" "grid warm"
    python benchmarks/bench_stan.py --json stan.json
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SEED = 20180104
COMPETITORS = ("package", "stan", "nutpie", "pymc")
ROWS = ("one cold", "one warm", "grid cold", "grid warm")


def _builder_and_settings(backend: str):  # type: ignore[no-untyped-def]
    from bayes_scot.reanalysis import build_family
    from bayes_scot.spec import load_spec

    builder, settings = build_family(load_spec("scot_itt"), "survival")
    if backend != "blackjax":  # the depth cap is for the lockstep batch only
        settings = dataclasses.replace(settings, backend=backend, max_treedepth=10)
    return builder, settings


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


def _child_pymc_model(backend: str, what: str) -> dict[str, float]:
    start = time.perf_counter()
    from bayes_scot.fitting import compile_model

    imported = time.perf_counter()
    builder, settings = _builder_and_settings(backend)
    built = time.perf_counter()
    compiled = compile_model(builder.model, backend=backend, key=builder.structure_key)
    compiled_at = time.perf_counter()
    grid = builder.prior_grid()
    names = list(grid) if what == "grid" else ["reference"]
    fits = compiled.sample_many({n: builder.prior_data(grid[n]) for n in names},
                                settings=settings, seed=SEED)
    idatas = list(fits.values()) if isinstance(fits, dict) else [f for _, f in fits]
    sampled = time.perf_counter()
    free = sorted(rv.name for rv in builder.model.free_RVs)
    ess, divergences = _min_ess(idatas, free)
    return {"import": imported - start, "build": built - imported,
            "compile": compiled_at - built, "sample": sampled - compiled_at,
            "total": sampled - start, "ess": ess, "divergences": divergences}


def _child_stan(what: str) -> dict[str, float]:
    start = time.perf_counter()
    import arviz as az
    import stan  # noqa: F401  (timed: the import is part of the run)

    sys.path.insert(0, str(Path(__file__).parent))
    from stan_survival import build, stan_data

    imported = time.perf_counter()
    builder, settings = _builder_and_settings("blackjax")
    grid = builder.prior_grid()
    names = list(grid) if what == "grid" else ["reference"]
    data = {n: stan_data(builder, (float(grid[n].mean), float(grid[n].sd))) for n in names}
    built = time.perf_counter()
    compile_s = sample_s = 0.0
    idatas = []
    for name in names:
        t0 = time.perf_counter()
        posterior = build(data[name], random_seed=SEED)
        t1 = time.perf_counter()
        fit = posterior.sample(num_chains=settings.chains, num_samples=settings.draws,
                               num_warmup=settings.tune, delta=settings.target_accept)
        t2 = time.perf_counter()
        compile_s += t1 - t0
        sample_s += t2 - t1
        idatas.append(az.from_pystan(posterior=fit))
    done = time.perf_counter()
    free = ["baseline_level_z", "baseline_walk_z", "log_hr", "sigma_interval",
            "interval_effect_z", "sigma_transition", "transition_effect_z"]
    ess, divergences = _min_ess(idatas, free)
    return {"import": imported - start, "build": built - imported, "compile": compile_s,
            "sample": sample_s, "total": done - start, "ess": ess, "divergences": divergences}


def _run_child(competitor: str, what: str, cache: Path) -> dict[str, float]:
    env = dict(os.environ)
    env["PYTENSOR_FLAGS"] = f"base_compiledir={cache / 'pytensor'}"
    env["NUMBA_CACHE_DIR"] = str(cache / "numba")
    env["XDG_CACHE_HOME"] = str(cache / "xdg")  # httpstan's compiled models
    start = time.perf_counter()
    out = subprocess.run([sys.executable, __file__, "--child", competitor, "--what", what],
                         env=env, check=False, capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"{competitor} {what} failed:\n{out.stderr[-3000:]}")
    row = json.loads(out.stdout.strip().splitlines()[-1])
    row["process"] = time.perf_counter() - start
    row["ess_per_s"] = row["ess"] / row["process"]
    row["ess_per_sample_s"] = row["ess"] / row["sample"]
    return row


def _available(competitor: str) -> bool:
    return competitor != "stan" or importlib.util.find_spec("stan") is not None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
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
        row = (_child_stan(args.what) if args.child == "stan"
               else _child_pymc_model("blackjax" if args.child == "package" else args.child,
                                      args.what))
        print(json.dumps(row))
        return
    competitors = [c for c in args.competitors if _available(c)]
    print(f"SCOT ITT survival model, 4 chains x 1000 draws after 500 tuning steps, target "
          f"acceptance 0.97; {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")
    print(f"{'row':<10} {'competitor':<8} {'process':>8} {'import':>7} {'build':>6} "
          f"{'compile':>8} {'sample':>7} {'min ESS':>8} {'div':>4} {'ESS/s':>7} "
          f"{'ESS/s sampling':>15}", flush=True)
    results: dict[str, dict[str, dict[str, float]]] = {row: {} for row in args.rows}
    with tempfile.TemporaryDirectory(prefix="bench-stan-") as tmp:
        for what in ("one", "grid"):
            caches = {c: Path(tmp) / f"{what}-{c}" for c in competitors}
            for state in ("cold", "warm"):
                row = f"{what} {state}"
                for competitor in competitors:
                    wanted = row in args.rows or (state == "cold" and f"{what} warm" in args.rows)
                    if not wanted or (competitor == "pymc" and what == "grid"
                                      and not args.pymc_grid):
                        continue
                    r = _run_child(competitor, what, caches[competitor])
                    if row not in args.rows:  # a cold run only to fill the caches
                        continue
                    results[row][competitor] = r
                    print(f"{row:<10} {competitor:<8} {r['process']:8.1f} {r['import']:7.1f} "
                          f"{r['build']:6.1f} {r['compile']:8.1f} {r['sample']:7.1f} "
                          f"{r['ess']:8.0f} {r['divergences']:4d} {r['ess_per_s']:7.1f} "
                          f"{r['ess_per_sample_s']:15.1f}", flush=True)
    print("\nESS per second of the process, package / competitor (above 1: the package wins)")
    for row, by in results.items():
        if "package" not in by:
            continue
        ratios = ", ".join(f"{c} {by['package']['ess_per_s'] / r['ess_per_s']:.2f}"
                           for c, r in by.items() if c != "package")
        print(f"  {row:<10} {ratios}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
