"""A calibration study as chunks of simulated trials, each chunk one BlackJAX batch.

A :class:`StudyPlan` says what to simulate and how to fit it; it is plain data, so it
travels to Dask workers. :func:`run_chunk` runs one chunk of it: it builds the family's
model and compiles it once per process (later chunks in the same worker reuse both),
simulates the chunk's trials, fits them as one batch in simulation mode
(:meth:`bayes_scot.fitting.CompiledModel.sample_arrays`: no ``InferenceData``, diagnostics
vectorised over the batch) and returns one row per fit.

Every chunk's random numbers come from the study's seed and the chunk's index alone
(:class:`numpy.random.SeedSequence`), so the numbers do not depend on which worker ran
which chunk, or whether the study was interrupted and resumed.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Literal

import numpy as np
import pandas as pd

from bayes_scot.builders.base import named_grids
from bayes_scot.calibration.design import Design, design_trial
from bayes_scot.calibration.sbc import rank_statistics, thin_draws
from bayes_scot.errors import SpecError

__all__ = ["StudyPlan", "build_design", "chunk_sizes", "context", "eta", "prior_sets",
           "run_chunk"]

Mode = Literal["sbc", "oc"]


@dataclass(frozen=True)
class StudyPlan:
    """What a calibration or operating-characteristics study simulates and fits.

    Attributes
    ----------
    spec : str
        Path or shipped name of the analysis spec.
    family : str
        ``"survival"``, ``"longitudinal"`` or ``"composite"``.
    mode : {"sbc", "oc"}
        Simulation-based calibration (parameters from ``prior``) or operating
        characteristics (data at fixed true effects, fitted under every prior of
        ``priors``).
    simulations : int
        SBC: simulated trials. OC: simulated trials per scenario.
    chunk_size : int
        Simulated trials per chunk (one batch, one task).
    seed : int
    settings : dict
        :class:`~bayes_scot.fitting.SamplerSettings` fields (backend ``blackjax``).
    prior : str
        SBC: the prior the parameters are drawn from and fitted under.
    rank_draws : int
        Posterior draws each rank is computed among (thinned, evenly spaced).
    priors : tuple of str
        OC: the named priors each simulated trial is fitted under.
    effects : tuple of float
        OC: true effects (hazard ratios for the survival model).
    threshold : float
        OC: superiority is declared when the posterior probability exceeds it.
    extra : dict
        The design (``n_per_arm``, ``follow_up_months``, ``trial_follow_up_months``,
        ``baseline_hazards``) and the MCID of the decision rule (``mcid``), where they
        differ from the defaults.
    """

    spec: str
    family: str
    mode: Mode
    simulations: int
    chunk_size: int
    seed: int
    settings: dict[str, Any]
    prior: str = "reference"
    rank_draws: int = 99
    priors: tuple[str, ...] = ()
    effects: tuple[float, ...] = ()
    threshold: float = 0.95
    extra: dict[str, Any] = field(default_factory=dict)

    def describe(self) -> dict[str, Any]:
        """JSON-ready description (``study.json``)."""
        return dataclasses.asdict(self)

    @property
    def design(self) -> Design:
        """Arm sizes and follow-up of the simulated trials (``extra``; default the trial's)."""
        sizes = self.extra.get("n_per_arm")
        return Design(None if sizes is None else (int(sizes[0]), int(sizes[1])),
                      self.extra.get("follow_up_months"),
                      self.extra.get("trial_follow_up_months"))

    @property
    def chunks(self) -> list[tuple[int, int, int]]:
        """``(index, scenario, size)`` of every chunk, in order."""
        scenarios = len(self.effects) if self.mode == "oc" else 1
        out: list[tuple[int, int, int]] = []
        for s in range(scenarios):
            for size in chunk_sizes(self.simulations, self.chunk_size):
                out.append((len(out), s, size))
        return out


def chunk_sizes(simulations: int, chunk_size: int) -> list[int]:
    """Split ``simulations`` into chunks of at most ``chunk_size``."""
    if simulations < 1 or chunk_size < 1:
        raise SpecError("simulations and the chunk size must be positive",
                        field="simulations")
    full, rest = divmod(simulations, chunk_size)
    return [chunk_size] * full + ([rest] if rest else [])


@dataclass
class _Context:
    builder: Any
    compiled: Any
    simulator: Any
    settings: Any
    grid: Mapping[str, Any]


def build_design(spec: str, family: str, design: Design) -> Any:
    """Build the family's model of ``spec`` at ``design`` (the trial's own by default)."""
    from bayes_scot.reanalysis import build_family
    from bayes_scot.spec import load_spec

    loaded = load_spec(spec)
    try:
        builder, _ = build_family(loaded, family,
                                  design=None if design.is_trial else
                                  functools.partial(design_trial, design=design))
    except KeyError:
        raise SpecError(f"the spec does not run the {family} family",
                        file=str(spec), field="family") from None
    return builder


def prior_sets(loaded: Any, family: str, builder: Any) -> Mapping[str, Any]:
    """Return the spec's named priors of a family, as the builder's ``prior_data`` takes them."""
    chosen = loaded.family(family)
    return chosen.prior_sets(tuple(builder.effect_parameters), loaded.priors,
                             defaults=named_grids(builder))


@lru_cache(maxsize=4)
def _context(spec: str, family: str, settings_items: tuple[tuple[str, Any], ...],
             design: Design) -> _Context:
    """Build, compile and wrap a family once per process (per worker)."""
    from bayes_scot.calibration.simulate import make_simulator
    from bayes_scot.fitting import SamplerSettings, compile_model
    from bayes_scot.spec import load_spec

    loaded = load_spec(spec)
    builder = build_design(spec, family, design)
    settings = SamplerSettings(**dict(settings_items))
    compiled = compile_model(builder.model, backend=settings.backend, key=builder.structure_key)
    grid = prior_sets(loaded, family, builder)
    return _Context(builder, compiled, make_simulator(builder, family), settings, grid)


def context(plan: StudyPlan) -> _Context:
    """Return the plan's model, compiled program, simulator and prior grid (cached)."""
    return _context(plan.spec, plan.family, tuple(sorted(plan.settings.items())),
                    plan.design)


def _chunk_seed(plan: StudyPlan, index: int) -> int:
    return int(np.random.SeedSequence([plan.seed, index]).generate_state(1)[0])


def _posterior_summary(
    ctx: _Context, batch: Any, rank_draws: int, truth: Mapping[str, np.ndarray] | None,
    mcid: float | None = None,
) -> dict[str, np.ndarray]:
    """Ranks (given the truth) and P(superior) of the headline, vectorised over fits.

    ``mcid`` replaces the headline quantity's own MCID.
    """
    out: dict[str, np.ndarray] = {}
    n = len(batch.rhat_max)
    for q in ctx.simulator.quantities:
        draws = q.compute(batch.draws).reshape(n, -1)
        if truth is not None:
            out[f"{q.name}_truth"] = truth[q.name]
            out[f"{q.name}_rank"] = rank_statistics(truth[q.name], thin_draws(draws, rank_draws))
        if q.benefit is not None:
            better = (lambda x, c: x < c) if q.benefit == "lower" else (lambda x, c: x > c)
            out["p_superior"] = better(draws, 0.0).mean(axis=1)
            margin = q.mcid if mcid is None else mcid
            if margin is not None:
                out["p_mcid"] = better(draws, margin).mean(axis=1)
    out["rhat_max"], out["ess_bulk_min"] = batch.rhat_max, batch.ess_bulk_min
    out["divergences"], out["passed"] = batch.divergences, batch.passed
    return out


def run_chunk(plan: StudyPlan, index: int) -> pd.DataFrame:
    """Simulate, fit and summarise one chunk of a study.

    Parameters
    ----------
    plan : StudyPlan
    index : int
        Chunk number (:attr:`StudyPlan.chunks`).

    Returns
    -------
    pandas.DataFrame
        One row per fit: ``chunk``, ``simulation``, the diagnostics (``rhat_max``,
        ``ess_bulk_min``, ``divergences``, ``passed``), SBC ``<quantity>_truth`` and
        ``<quantity>_rank``, ``p_superior`` (and ``p_mcid``) of the effect; OC adds
        ``scenario``, ``effect`` and ``prior``. Timing columns ``sampling_seconds`` and
        ``postprocessing_seconds`` hold the chunk's totals.
    """
    ctx = context(plan)
    _, scenario, size = plan.chunks[index]
    first = sum(c[2] for c in plan.chunks[:index] if c[1] == scenario)
    seed = _chunk_seed(plan, index)
    if plan.mode == "sbc":
        if plan.prior not in ctx.grid:
            raise SpecError(f"no prior named {plan.prior!r}; known: {sorted(ctx.grid)}",
                            field="prior")
        prior_data = ctx.builder.prior_data(ctx.grid[plan.prior])
        truth, datasets = ctx.simulator.simulate(prior_data, size, seed)
        labels: dict[str, Any] = {}
    else:
        truth = None
        datasets, labels = _oc_datasets(plan, ctx, scenario, size, seed)
    settings = ctx.settings
    started = time.perf_counter()
    batch = _sample(ctx, datasets, settings, seed)
    sampled = time.perf_counter()
    summary = _posterior_summary(ctx, batch, plan.rank_draws, truth, plan.extra.get("mcid"))
    frame = pd.DataFrame(summary)
    finished = time.perf_counter()
    frame.insert(0, "simulation", first + np.arange(len(frame)) % size)
    frame.insert(0, "chunk", index)
    for name, value in labels.items():
        frame[name] = value
    frame["sampling_seconds"] = sampled - started
    frame["postprocessing_seconds"] = finished - sampled
    return frame


def _sample(ctx: _Context, datasets: Sequence[Mapping[str, np.ndarray]], settings: Any,
            seed: int) -> Any:
    return ctx.compiled.sample_arrays(datasets, settings=settings, seed=seed,
                                      var_names=ctx.simulator.variables)


def _oc_datasets(
    plan: StudyPlan, ctx: _Context, scenario: int, size: int, seed: int
) -> tuple[list[dict[str, np.ndarray]], dict[str, Any]]:
    """Trials simulated at one true effect, each fitted under every prior of the plan."""
    simulate = getattr(ctx.simulator, "datasets_at_effect", None)
    if simulate is None:
        raise SpecError(f"the {plan.family} family has no design simulator",
                        field="family")
    unknown = [p for p in plan.priors if p not in ctx.grid]
    if unknown:
        raise SpecError(f"no prior named {unknown}; known: {sorted(ctx.grid)}",
                        field="priors")
    effect = plan.effects[scenario]
    rng = np.random.default_rng(seed)
    base = ctx.simulator.datasets_at_effect(effect, size, rng, plan.extra)
    datasets = [
        {**data, **ctx.builder.prior_data(ctx.grid[prior])}
        for prior in plan.priors for data in base
    ]
    labels = {
        "scenario": scenario,
        "effect": effect,
        "prior": np.repeat(np.asarray(plan.priors, dtype=object), size),
    }
    return datasets, labels


def eta(done: int, total: int, seconds: float) -> str:
    """Return ``"12/40 chunks, 1:23 elapsed, ETA 3:52"`` (mean time per chunk so far)."""

    def clock(seconds: float) -> str:
        s = max(0, round(seconds))
        if s >= 3600:
            return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"
        return f"{s // 60}:{s % 60:02d}"

    left = (total - done) * seconds / done if done else math.nan
    ahead = clock(left) if math.isfinite(left) else "unknown"
    return f"{done}/{total} chunks, {clock(seconds)} elapsed, ETA {ahead}"
