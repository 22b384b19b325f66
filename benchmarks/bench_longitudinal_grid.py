"""Benchmark the longitudinal family's 13-prior grid on two samplers, interleaved.

Each configuration runs ``bayes_scot.reanalyse(spec, families=["longitudinal"])`` in a
fresh Python process with the usual on-disk caches (numba kernels, JAX programs), so the
wall time is what a user's next ``bayes-scot report`` pays for this family. Printed per
run: wall time of the call, the model's build and compile time and the time of the 13
fits (from the run's progress lines), and over the 13 fits the largest R-hat, the
smallest bulk ESS, divergences, flagged fits and the smallest bulk ESS per second of the
family's wall time.

Configurations (``--configs`` selects; all of them by default):

* ``nutpie``: the shipped settings of ``[longitudinal.sampler]`` as read from the spec;
* ``blackjax``: the grid as one BlackJAX batch, 500 tuning steps, tree depth at most 6;
* ``blackjax_d5``: the same with depth at most 5;
* ``blackjax_ta97``, ``blackjax_ta99``: depth at most 6, target acceptance 0.97 or 0.99
  (the others keep the spec's 0.95).

Usage::

    python benchmarks/bench_longitudinal_grid.py
    python benchmarks/bench_longitudinal_grid.py --rounds 2 --seeds 20180104 1
    python benchmarks/bench_longitudinal_grid.py --configs blackjax --json grid.json
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import textwrap

CONFIGS: dict[str, dict[str, object]] = {
    "nutpie": {},
    "blackjax": {"backend": "blackjax", "tune": 500, "max_treedepth": 6},
    "blackjax_d5": {"backend": "blackjax", "tune": 500, "max_treedepth": 5},
    "blackjax_ta97": {"backend": "blackjax", "tune": 500, "max_treedepth": 6,
                      "target_accept": 0.97},
    "blackjax_ta99": {"backend": "blackjax", "tune": 500, "max_treedepth": 6,
                      "target_accept": 0.99},
}

_CODE = textwrap.dedent(
    """
    import json, sys, time, warnings
    warnings.filterwarnings("ignore", message=".*BLAS.*")
    started = time.perf_counter()
    import bayes_scot as bs
    imported = time.perf_counter() - started
    lines = []
    def progress(line):
        lines.append((time.perf_counter() - started, line))
    spec, overrides = sys.argv[1], json.loads(sys.argv[2])
    t0 = time.perf_counter()
    result = bs.reanalyse(spec, progress=progress, families=["longitudinal"], **overrides)
    call = time.perf_counter() - t0
    built = next(t for t, line in lines if "compiled in" in line)
    d = result.diagnostics()
    d = d[d["family"] == "longitudinal"]
    print(json.dumps({
        "import_s": imported, "call_s": call, "build_compile_s": built - imported,
        "fits_s": call - (built - imported), "fits": len(d),
        "rhat_max": float(d["rhat_max"].max()), "ess_min": float(d["ess_bulk_min"].min()),
        "divergences": int(d["divergences"].sum()), "flagged": int((~d["passed"]).sum()),
        "flagged_priors": list(d.loc[~d["passed"], "prior"]),
    }))
    """
)


def run(spec: str, config: str, seed: int) -> dict[str, object]:
    """Run one configuration in a fresh process and return its measurements."""
    overrides = {**CONFIGS[config], "seed": seed}
    done = subprocess.run([sys.executable, "-c", _CODE, spec, json.dumps(overrides)],
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{config} failed:\n{done.stderr[-3000:]}")
    row: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    row.update(config=config, seed=seed)
    row["ess_per_s"] = float(row["ess_min"]) / float(row["call_s"])  # type: ignore[arg-type]
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("spec", nargs="?", default="scot_itt")
    parser.add_argument("--configs", nargs="+", default=list(CONFIGS), choices=list(CONFIGS))
    parser.add_argument("--seeds", nargs="+", type=int, default=[20180104])
    parser.add_argument("--rounds", type=int, default=1, help="interleaved rounds per seed")
    parser.add_argument("--json", help="also write the rows to this JSON file")
    args = parser.parse_args()
    rows = []
    print(f"{'config':<12} {'seed':>9} {'call s':>7} {'build s':>8} {'fits s':>7} "
          f"{'R-hat':>6} {'ESS':>6} {'div':>4} {'flag':>4} {'ESS/s':>6}", flush=True)
    for seed in args.seeds:
        for _ in range(args.rounds):
            for config in args.configs:
                r = run(args.spec, config, seed)
                rows.append(r)
                print(f"{config:<12} {seed:>9} {r['call_s']:7.1f} {r['build_compile_s']:8.1f} "
                      f"{r['fits_s']:7.1f} {r['rhat_max']:6.4f} {r['ess_min']:6.0f} "
                      f"{r['divergences']:4d} {r['flagged']:4d} {r['ess_per_s']:6.1f}"
                      + (f"  flagged: {', '.join(r['flagged_priors'])}"  # type: ignore[arg-type]
                         if r["flagged"] else ""), flush=True)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump(rows, handle, indent=2)


if __name__ == "__main__":
    main()
