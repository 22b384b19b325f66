"""Benchmark the full default report: cold and warm wall times, and where the time goes.

What is timed is what a user waits for: ``bayes_scot.reanalyse(spec)`` followed by
``Reanalysis.write_report(out)`` (all families, the whole prior grid, figures included),
with the figure helper started before the fits as ``bayes-scot report`` starts it.

* cold: a fresh Python process with empty compile caches (a new PyTensor compile
  directory, which also holds JAX's compiled programs, and a new numba cache directory),
  import included;
* warm process: a fresh process again, reusing the caches the cold run filled (what the
  next ``bayes-scot report`` pays);
* warm in process (``--warm``): the same process again, with the models already
  compiled (the fitting layer's per-structure compile cache), the usual case in a
  notebook; and the ratio of the whole grid to the reference prior alone.

Each fresh process prints where its time went, from the run's timestamped progress lines,
JAX's compile log and a timer around the figures: import; per family, building and
compiling the model, JAX tracing and XLA compilation (or loading from JAX's cache) of the
sampler, and the rest of the fits (sampling and post-processing); the model-based GRCS;
figures; writing the report. Then its processor time by kind of thread, and how many of
the machine's cores were busy during each stage (from ``/proc/stat``, every 0.1 s, so
other programs on the machine count as busy): a stage's idle core-seconds, cores x wall
minus what was used, are what running more at once could still win there.

Targets on 2 idle cores (issue #18): cold under 45 s, warm process under 15 s.

Usage::

    python benchmarks/bench_report.py                 # default spec, 1 cold, 1 warm process
    python benchmarks/bench_report.py --cold 3 --warm-process 3 --warm 2 --json bench.json
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

TARGET_WARM_S = 15.0
TARGET_COLD_S = 45.0

_PROCESS_CODE = textwrap.dedent(
    r"""
    import json, logging, os, re, sys, threading, time, warnings
    started = time.perf_counter()
    warnings.filterwarnings("ignore", message=".*BLAS.*")
    stages = {}
    spans = {}  # stage -> [(start, end)], for the cores in use during it
    usage = []  # (time, busy jiffies, all jiffies) of the machine, every 0.1 s

    def watch():
        while True:
            try:
                with open("/proc/stat") as file:
                    ticks = [int(x) for x in file.readline().split()[1:]]
            except (OSError, ValueError):
                return  # no /proc (not Linux): no utilisation
            usage.append((time.perf_counter(), sum(ticks) - ticks[3] - ticks[4], sum(ticks)))
            time.sleep(0.1)

    threading.Thread(target=watch, daemon=True).start()

    def stage(name, start, end, add=False):
        stages[name] = (stages.get(name, 0.0) if add else 0.0) + (end - start)
        spans.setdefault(name, []).append((start, end))
    jax_log = {"trace": 0.0, "lower": 0.0, "compile": 0.0}

    class JaxLog(logging.Handler):
        def emit(self, record):
            found = re.search(r"Finished (.*?) in ([0-9.e+-]+) sec", record.getMessage())
            if found:
                what = found.group(1)
                key = ("trace" if "tracing" in what else "lower" if "MLIR" in what
                       else "compile" if "compilation" in what else None)
                if key:
                    jax_log[key] += float(found.group(2))

    import bayes_scot as bs
    from bayes_scot.report import writer
    stage("import", started, time.perf_counter())
    try:
        t = time.perf_counter()
        import jax
        stage("import jax", t, time.perf_counter())
        jax.config.update("jax_log_compiles", True)
        logger = logging.getLogger("jax")
        logger.addHandler(JaxLog())
        logger.propagate = False
    except ImportError:
        pass
    lines = []
    def progress(line):
        lines.append((time.perf_counter(), line))
    figures = []
    draw = writer.draw_figures
    def timed_draw(*args, **kwargs):
        t = time.perf_counter()
        try:
            return draw(*args, **kwargs)
        finally:
            figures.append((t, time.perf_counter()))
    writer.draw_figures = timed_draw
    overrides = json.loads(sys.argv[2])
    t0 = time.perf_counter()
    from bayes_scot.report.parallel import prestart_helper
    prestart_helper()  # as `bayes-scot report` does before its fits
    result = bs.reanalyse(sys.argv[1] or None, progress=progress, **overrides)
    t1 = time.perf_counter()
    result.write_report(sys.argv[3])
    t2 = time.perf_counter()
    previous = t0
    for t, line in lines:
        family = re.match(r"bayes-scot: (\w+)", line).group(1)
        if "compiled in" in line:
            stage(f"{family}: build and compile model", previous, t)
        elif "batch started in" in line:
            stage(f"{family}: start the grid's batch (read or trace the sampler)", previous, t)
        elif "sampled in" in line:
            stage(f"{family}: wait for the grid's batch (it samples from its start on)",
                  previous, t)
        elif "effect structure" in line:
            stage("survival: effect-structure refits (build, compile, sample, post-process)",
                  previous, t, add=True)
        elif "composite (" in line:
            # The GRCS runs on a thread of its own beside the fits: its own seconds
            # overlap the stages above; what it adds is the wait for it at the end.
            stage("model-based GRCS: wait for its thread", previous, t)
            stages["  beside the fits: the model-based GRCS on its thread"] = float(
                re.search(r": ([0-9.]+) s", line).group(1))
        elif family in ("survival", "longitudinal", "composite") and "[" in line:
            stage(f"{family}: per-fit work (post-processing; sampling too if not batched)",
                  previous, t, add=True)
        previous = t
    for key, value in jax_log.items():
        stages[f"  JAX, whole run: {key}"] = value
    drawn = sum(end - start for start, end in figures)
    for start, end in figures:
        stage("figures", start, end, add=True)
    stages["write report"] = (t2 - t1) - drawn
    spans["write report"] = [(t1, figures[0][0]), (figures[-1][1], t2)] if figures else [(t1, t2)]
    stages["rest of reanalyse"] = (t1 - t0) - sum(
        v for k, v in stages.items() if not k.startswith(("import", "  ", "figures", "write")))
    # Cores in use during each stage, from the machine's counters (other programs on the
    # machine count as busy): what a stage leaves idle, cores x wall - busy, is what
    # running more at once could still win there.
    cores = os.cpu_count() or 1  # /proc/stat's first line sums every core of the machine
    utilisation = {}

    def busy(start, end):
        inside = [u for u in usage if start <= u[0] <= end]
        if len(inside) < 2 or inside[-1][2] == inside[0][2]:
            return None
        first, last = inside[0], inside[-1]
        return cores * (last[1] - first[1]) / (last[2] - first[2])

    spans["whole run"] = [(started, time.perf_counter())]
    for name, intervals in spans.items():
        measured = [(end - start, busy(start, end)) for start, end in intervals]
        measured = [(wall, used) for wall, used in measured if used is not None]
        wall = sum(w for w, _ in measured)
        if wall > 0:
            in_use = sum(w * u for w, u in measured) / wall
            utilisation[name] = {"wall": wall, "cores_in_use": in_use,
                                 "idle_core_seconds": max(cores - in_use, 0.0) * wall}
    # Processor time: the wall time's floor is this over the cores. Threads still alive
    # are counted one by one (XLA's by their name); those that ended (the launcher, the
    # GRCS's worker) only in the process's total.
    tick = os.sysconf("SC_CLK_TCK")
    xla = main = 0.0
    for tid in os.listdir("/proc/self/task") if os.path.isdir("/proc/self/task") else ():
        try:
            with open(f"/proc/self/task/{tid}/comm") as file:
                name = file.read()
            with open(f"/proc/self/task/{tid}/stat") as file:
                fields = file.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        seconds = (int(fields[11]) + int(fields[12])) / tick
        if int(tid) == os.getpid():
            main = seconds
        elif name.startswith("tf_XLA"):
            xla += seconds
    used = os.times()
    total = used.user + used.system
    if main:
        stages["  processor time: XLA's threads (the sampling)"] = xla
        stages["  processor time: the main thread"] = main
        others = total - xla - main
        stages["  processor time: other threads (tracing, compiling, the GRCS)"] = others
    stages["  processor time: this process"] = total
    stages["  processor time: the figure helper"] = used.children_user + used.children_system
    print(json.dumps({"seconds": time.perf_counter() - started, "fits": len(result.fits),
                      "stages": stages, "cores": cores, "utilisation": utilisation}))
    import gc
    gc.freeze()  # as the `bayes-scot` command ends (bayes_scot.cli.console)
    """
)


def process_run(spec: str | None, overrides: dict, caches: Path, out: Path) -> dict:
    """Time one report in a fresh process whose compile caches live in ``caches``."""
    env = dict(os.environ)
    # base_compiledir holds PyTensor's C modules, its numba kernel cache and JAX's cache
    env["PYTENSOR_FLAGS"] = f"base_compiledir={caches / 'pytensor'}"
    env["NUMBA_CACHE_DIR"] = str(caches / "numba")
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-c", _PROCESS_CODE, spec or "", json.dumps(overrides), str(out)],
        capture_output=True, text=True, env=env, check=False,
    )
    wall = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"report process failed:\n{result.stderr[-4000:]}")
    row: dict = json.loads(result.stdout.strip().splitlines()[-1])
    row["wall"] = wall
    row["stages"]["start-up and exit (interpreter)"] = wall - row["seconds"]
    return row


def print_stages(title: str, row: dict) -> None:
    """Print one process's stages in their order of events, then the cores they used."""
    print(f"  {title}: {row['wall']:.1f} s wall")
    for name, seconds in row["stages"].items():
        print(f"    {name:<44} {seconds:7.1f} s")
    utilisation = row.get("utilisation") or {}
    if not utilisation:
        return
    print(f"    cores in use (of {row['cores']}, the whole machine's) and core-seconds left "
          "idle, by stage:")
    for name, used in utilisation.items():
        print(f"      {used['cores_in_use']:4.2f} cores over {used['wall']:5.1f} s, "
              f"{used['idle_core_seconds']:5.1f} idle core-s: {name}")


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
    parser.add_argument("--warm-process", type=int, default=1,
                        help="fresh processes reusing the cold run's caches")
    parser.add_argument("--warm", type=int, default=0, help="timed warm runs in this process")
    parser.add_argument("--draws", type=int, help="override the spec's draws per chain")
    parser.add_argument("--json", type=Path, help="also write the measurements here")
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore", message=".*BLAS.*")

    overrides = {"draws": args.draws} if args.draws else {}
    cold: list[dict] = []
    warm_process: list[dict] = []
    grid: list[float] = []
    one: list[float] = []
    with tempfile.TemporaryDirectory(prefix="bench-report-") as tmp:
        workdir = Path(tmp)
        caches = workdir / "caches"
        for i in range(max(args.cold, 1 if args.warm_process else 0)):
            fresh = Path(tempfile.mkdtemp(prefix="cold-", dir=workdir))
            row = process_run(args.spec, overrides, fresh, workdir / f"cold-{i}")
            if i < args.cold:
                cold.append(row)
            caches = fresh
        for i in range(args.warm_process):
            warm_process.append(process_run(args.spec, overrides, caches, workdir / f"wp-{i}"))
        if args.warm:
            grid = warm_runs(args.spec, overrides, args.warm, workdir)
            one = warm_runs(args.spec, overrides, args.warm, workdir, priors=["reference"])

    results: dict = {
        "spec": args.spec or "scot_itt",
        "overrides": overrides,
        "cpu_count": os.cpu_count(),
        "load_average": os.getloadavg(),
        "cold": cold,
        "warm_process": warm_process,
        "warm_grid_seconds": grid,
        "warm_one_prior_seconds": one,
    }
    width = 34
    print(f"{'full report, ' + results['spec']:<{width}} {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.1f}")
    for name, rows, target in (("cold", cold, TARGET_COLD_S),
                               ("warm process", warm_process, TARGET_WARM_S)):
        if not rows:
            continue
        median = statistics.median(r["wall"] for r in rows)
        results[f"{name.replace(' ', '_')}_median"] = median
        verdict = "ok" if median < target else "ABOVE TARGET"
        runs = ", ".join(f"{r['wall']:.1f}" for r in rows)
        print(f"{name + ' median':<{width}} {median:7.1f} s  "
              f"(target < {target:.0f} s: {verdict}; runs {runs})")
        print_stages(f"{name}, first run", rows[0])
    if grid:
        results["warm_median"] = statistics.median(grid)
        results["one_prior_median"] = statistics.median(one)
        results["grid_over_one_prior"] = results["warm_median"] / results["one_prior_median"]
        print(f"{'warm in process, whole grid':<{width}} {results['warm_median']:7.1f} s")
        print(f"{'warm in process, reference only':<{width}} "
              f"{results['one_prior_median']:7.1f} s")
        print(f"{'ratio grid / one prior':<{width}} {results['grid_over_one_prior']:7.2f}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
