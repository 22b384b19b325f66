"""``calibrate()`` and ``operating_characteristics()``: studies of a spec's models.

Both simulate trials at the design of the spec's trial, fit every simulated trial with
the family's compiled model in simulation mode (one BlackJAX batch per chunk, no
``InferenceData``), store each finished chunk, and summarise:

* :func:`calibrate`: simulation-based calibration. Parameters are drawn from a named
  prior, data from the model, and each fit's posterior is ranked against the truth; a
  quantity is calibrated when its ranks are uniform (:mod:`bayes_scot.calibration.sbc`).
* :func:`operating_characteristics`: data simulated at fixed true effects and fitted
  under each named prior; the probability that the posterior probability of superiority
  (and of superiority by the MCID) exceeds a threshold: the type I error at no effect and
  the power at the others, with the expected posterior probabilities.

Fits that fail the diagnostics gate (R-hat, bulk ESS, divergences) are counted and
reported, never dropped.

References
----------
.. [1] Talts S et al. Validating Bayesian inference algorithms with simulation-based
   calibration. 2018. arXiv:1804.06788.
.. [2] Säilynoja T, Bürkner PC, Vehtari A. Graphical test for discrete uniformity and its
   applications in goodness-of-fit evaluation and multiple sample comparison. Stat Comput
   2022;32:32.
.. [3] Weber S et al. Applying meta-analytic-predictive priors with the R Bayesian
   evidence synthesis tools. J Stat Softw 2021;100(19) (``oc2S``).
"""

from __future__ import annotations

import dataclasses
import math
import os
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from bayes_scot.calibration.distributed import run_study
from bayes_scot.calibration.figures import plot_ecdf_difference, plot_operating_characteristics
from bayes_scot.calibration.report import write_study_report
from bayes_scot.calibration.sbc import DEFAULT_ALPHA, RankUniformity, uniformity, uniformity_table
from bayes_scot.calibration.store import ChunkStore
from bayes_scot.calibration.study import StudyPlan
from bayes_scot.errors import SpecError

__all__ = ["Calibration", "OperatingCharacteristics", "calibrate", "operating_characteristics"]

DEFAULT_EFFECTS: tuple[float, ...] = (1.0, 0.8, 0.6, 0.5)
"""True hazard ratios of the default operating-characteristics scenarios."""

DEFAULT_OC_PRIORS: tuple[str, ...] = ("reference", "skeptical_moderate", "optimistic_moderate")
"""Priors the default operating characteristics are computed under."""


def _progress(progress: bool | Callable[[str], None]) -> Callable[[str], None] | None:
    if progress is True:
        return lambda line: print(line, file=sys.stderr, flush=True)
    return progress or None


def _load(spec: str | os.PathLike[str] | None) -> tuple[str, Any]:
    from bayes_scot.spec import load_spec, spec_path

    path = str(spec_path(None if spec is None else str(spec)))
    return path, load_spec(path)


def _plan(
    path: str, loaded: Any, family: str, mode: str, *, simulations: int,
    chunk_size: int | None, seed: int | None, draws: int | None, tune: int | None,
    **fields: Any,
) -> StudyPlan:
    """Check the request against the spec and make the plan (before any fitting)."""
    try:
        chosen = loaded.family(family)
    except KeyError:
        raise SpecError(f"the spec does not run the {family} family; it runs "
                        f"{[f.family for f in loaded.families]}", file=path,
                        field="family") from None
    sampler = chosen.sampler_settings(loaded.sampler)
    changes: dict[str, Any] = {"backend": "blackjax", "progressbar": False}
    if draws is not None:
        changes["draws"] = draws
    if tune is not None:
        changes["tune"] = tune
    try:
        settings = sampler.to_settings(**changes)
    except ValueError as err:
        raise SpecError(str(err), file=path, field=f"{family}.sampler") from None
    if not isinstance(simulations, int) or simulations < 1:
        raise SpecError(f"must be a positive whole number, not {simulations!r}",
                        field="simulations")
    named = [fields["prior"]] if mode == "sbc" else list(fields["priors"])
    unknown = [n for n in named if n not in loaded.priors]
    if unknown:
        raise SpecError(f"no prior named {unknown} in the spec's grid; known: "
                        f"{list(loaded.priors)}", file=path, field="priors")
    size = chunk_size or min(simulations, 50)
    return StudyPlan(
        spec=path, family=family, mode=mode,  # type: ignore[arg-type]
        simulations=simulations, chunk_size=size,
        seed=loaded.seed if seed is None else int(seed),
        settings={f.name: getattr(settings, f.name) for f in dataclasses.fields(settings)},
        **fields,
    )


def _cluster(loaded: Any, workers: int | None, scheduler: str | None) -> dict[str, Any]:
    """Where the chunks run: arguments, else the spec's ``[calibration]``, else 1 worker."""
    c = loaded.calibration
    scheduler = scheduler or c.scheduler or None
    if workers is None and scheduler is None:
        workers = 1 if c.workers is None else c.workers
    return {"workers": workers, "scheduler": scheduler}


def _run(plan: StudyPlan, out: str | os.PathLike[str] | None, **kwargs: Any) -> pd.DataFrame:
    if out is None:
        with tempfile.TemporaryDirectory(prefix="bayes-scot-calibration-") as folder:
            store = ChunkStore(folder)
            run_study(plan, store, **kwargs)
            return store.read()
    store = ChunkStore(out)
    run_study(plan, store, **kwargs)
    return store.read()


def _gate(rows: pd.DataFrame) -> dict[str, Any]:
    failed = int((~rows["passed"].astype(bool)).sum())
    return {
        "fits": len(rows),
        "failed_gate": failed,
        "rhat_above_limit": int((rows["rhat_max"] > 1.01).sum()),
        "ess_below_limit": int((rows["ess_bulk_min"] < 400).sum()),
        "with_divergences": int((rows["divergences"] > 0).sum()),
    }


def _timing(rows: pd.DataFrame) -> dict[str, float]:
    per_chunk = rows.groupby("chunk")[["sampling_seconds", "postprocessing_seconds"]].first()
    n = len(rows)
    return {
        "sampling_seconds": float(per_chunk["sampling_seconds"].sum()),
        "postprocessing_ms_per_fit": 1e3 * float(per_chunk["postprocessing_seconds"].sum()) / n,
    }


@dataclass(frozen=True)
class Calibration:
    """Result of :func:`calibrate`.

    Attributes
    ----------
    plan : StudyPlan
    rows : pandas.DataFrame
        One row per simulated trial (:func:`bayes_scot.calibration.study.run_chunk`).
    results : list of RankUniformity
        One per quantity.
    """

    plan: StudyPlan
    rows: pd.DataFrame
    results: list[RankUniformity]

    def table(self) -> pd.DataFrame:
        """Uniformity verdict per quantity: ``quantity, n, draws, p_value, verdict``."""
        return uniformity_table(self.results)

    @property
    def gate(self) -> dict[str, Any]:
        """Fits, and fits failing the diagnostics gate (by reason)."""
        return _gate(self.rows)

    @property
    def calibrated(self) -> bool:
        """Every quantity's ranks are uniform."""
        return all(r.calibrated for r in self.results)

    def figure(self) -> Figure:
        """ECDF differences of the ranks with simultaneous bands."""
        return plot_ecdf_difference(self.results)

    def write_report(self, out: str | os.PathLike[str]) -> Path:
        """Write ``index.html``, ``report.md``, ``summary.json`` and ``figures/``."""
        p, gate = self.plan, self.gate
        s = p.settings
        paragraphs = [
            f"Simulation-based calibration of the {p.family} model of {Path(p.spec).name}: "
            f"{gate['fits']} trials simulated at the trial's design with parameters drawn "
            f"from the {p.prior} prior, each fitted with the same compiled model "
            f"(BlackJAX, {s['chains']} chains of {s['tune']} tuning and {s['draws']} draws; "
            f"seed {p.seed}). All data in this report are simulated.",
            f"Ranks among {p.rank_draws} thinned posterior draws; a quantity is "
            f"calibrated when the ECDF of its ranks stays inside the simultaneous "
            f"{1 - DEFAULT_ALPHA:.0%} band (Säilynoja et al. 2022).",
            f"{gate['failed_gate']} of {gate['fits']} fits failed the diagnostics gate "
            f"(R-hat above 1.01: {gate['rhat_above_limit']}, bulk ESS below 400: "
            f"{gate['ess_below_limit']}, with divergences: {gate['with_divergences']}); "
            "they are included in the ranks, not dropped.",
        ]
        return write_study_report(
            out, title=f"Calibration: {p.family} ({Path(p.spec).stem})",
            paragraphs=paragraphs, tables={"Uniformity of ranks": self.table()},
            figures={"sbc_ecdf": self.figure()},
            summary={"kind": "calibration", "plan": p.describe(), "gate": gate,
                     "timing": _timing(self.rows),
                     "quantities": self.table().to_dict(orient="records")},
        )


def calibrate(
    spec: str | os.PathLike[str] | None = None,
    *,
    family: str = "survival",
    simulations: int | None = None,
    prior: str = "reference",
    chunk_size: int | None = None,
    seed: int | None = None,
    draws: int | None = None,
    tune: int | None = None,
    rank_draws: int = 99,
    out: str | os.PathLike[str] | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    resume: bool = False,
    progress: bool | Callable[[str], None] = False,
) -> Calibration:
    """Simulation-based calibration of one family of a spec.

    Parameters
    ----------
    spec : path or str, optional
        Analysis spec (path or shipped name); default the SCOT spec.
    family : {"survival", "longitudinal", "composite"}, default "survival"
    simulations : int, optional
        Simulated trials; default the spec's ``[calibration]`` value, else 100.
    prior : str, default "reference"
        Named prior of the family's grid: parameters are drawn from it and fitted under it.
    chunk_size : int, optional
        Trials per batch (per Dask task); default ``min(simulations, 50)``.
    seed : int, optional
        Default the spec's seed.
    draws, tune : int, optional
        Override the family's sampler settings (the backend is always ``blackjax``).
    rank_draws : int, default 99
        Posterior draws each rank is computed among (thinned from all chains).
    out : path, optional
        Study folder for the Parquet store (and, with :meth:`Calibration.write_report`,
        the report); default a temporary folder.
    workers : int, optional
        0: this process. ``n``: a LocalCluster of ``n`` worker processes. Default the
        spec's ``[calibration]`` ``workers``, else one worker (none when a scheduler is
        given).
    scheduler : str, optional
        Address of a Dask scheduler; default the spec's ``[calibration]`` ``scheduler``.
    resume : bool, default False
        Continue a study in ``out`` without redoing its finished chunks.
    progress : bool or callable, default False

    Returns
    -------
    Calibration

    Raises
    ------
    SpecError
        For a family the spec does not run, an unknown prior, or evidence the simulator
        cannot generate (before any fit).
    """
    if rank_draws < 1:
        raise SpecError("must be positive", field="rank_draws")
    path, loaded = _load(spec)
    plan = _plan(path, loaded, family, "sbc",
                 simulations=simulations or loaded.calibration.simulations or 100,
                 chunk_size=chunk_size, seed=seed, draws=draws, tune=tune, prior=prior,
                 rank_draws=rank_draws)
    draws_total = plan.settings["draws"] * plan.settings["chains"]
    if rank_draws > draws_total:
        raise SpecError(f"must be at most the posterior draws ({draws_total})",
                        field="rank_draws")
    rows = _run(plan, out, resume=resume, progress=_progress(progress),
                **_cluster(loaded, workers, scheduler))
    quantities = [c.removesuffix("_rank") for c in rows.columns if c.endswith("_rank")]
    results = [uniformity(rows[f"{q}_rank"].to_numpy(), rank_draws, quantity=q)
               for q in quantities]
    return Calibration(plan, rows, results)


@dataclass(frozen=True)
class OperatingCharacteristics:
    """Result of :func:`operating_characteristics`.

    Attributes
    ----------
    plan : StudyPlan
    rows : pandas.DataFrame
        One row per (simulated trial, prior).
    """

    plan: StudyPlan
    rows: pd.DataFrame

    def table(self) -> pd.DataFrame:
        """Per prior and true hazard ratio: P(declare superior), expected P(superior)...

        Returns
        -------
        pandas.DataFrame
            ``prior, hazard_ratio, trials, p_declare_superior, expected_p_superior,
            p_declare_mcid, expected_p_mcid, failed_gate``; at hazard ratio 1 the
            ``p_declare_superior`` column is the type I error.
        """
        q = self.plan.threshold
        r = self.rows
        out = r.groupby(["prior", "effect"], sort=False).agg(
            trials=("p_superior", "size"),
            p_declare_superior=("p_superior", lambda x: float(np.mean(x > q))),
            expected_p_superior=("p_superior", "mean"),
            **({"p_declare_mcid": ("p_mcid", lambda x: float(np.mean(x > q))),
                "expected_p_mcid": ("p_mcid", "mean")} if "p_mcid" in r else {}),
            failed_gate=("passed", lambda x: int((~x.astype(bool)).sum())),
        ).reset_index()
        return out.rename(columns={"effect": "hazard_ratio"})

    def figure(self) -> Figure:
        """Power curves: P(declare superior) against the true hazard ratio, per prior."""
        return plot_operating_characteristics(self.table(), x="hazard_ratio")

    def write_report(self, out: str | os.PathLike[str]) -> Path:
        """Write ``index.html``, ``report.md``, ``summary.json`` and ``figures/``."""
        p = self.plan
        gate = _gate(self.rows)
        s = p.settings
        paragraphs = [
            f"Operating characteristics of the decision rule 'P(superior) > {p.threshold}' "
            f"for the {p.family} model of {Path(p.spec).name}, at the trial's design "
            f"(its arm sizes and landmarks), with {p.simulations} simulated trials per "
            f"true hazard ratio ({', '.join(f'{e:g}' for e in p.effects)}), each fitted "
            f"under every prior ({', '.join(p.priors)}). All data in this report are "
            "simulated.",
            f"BlackJAX, {s['chains']} chains of {s['tune']} tuning and {s['draws']} draws; "
            f"seed {p.seed}. {gate['failed_gate']} of {gate['fits']} fits failed the "
            "diagnostics gate; they are counted here, not dropped.",
        ]
        return write_study_report(
            out, title=f"Operating characteristics: {p.family} ({Path(p.spec).stem})",
            paragraphs=paragraphs, tables={"Decision rule by prior and effect": self.table()},
            figures={"power": self.figure()},
            summary={"kind": "operating_characteristics", "plan": p.describe(),
                     "gate": gate, "timing": _timing(self.rows),
                     "operating_characteristics": self.table().to_dict(orient="records")},
        )


def operating_characteristics(
    spec: str | os.PathLike[str] | None = None,
    *,
    family: str = "survival",
    effects: Sequence[float] | None = None,
    priors: Sequence[str] | None = None,
    threshold: float | None = None,
    simulations: int | None = None,
    baseline_hazards: Sequence[float] | None = None,
    chunk_size: int | None = None,
    seed: int | None = None,
    draws: int | None = None,
    tune: int | None = None,
    out: str | os.PathLike[str] | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    resume: bool = False,
    progress: bool | Callable[[str], None] = False,
) -> OperatingCharacteristics:
    """Operating characteristics of "P(superior) > threshold" at the trial's design.

    Parameters
    ----------
    spec : path or str, optional
        Analysis spec; default the SCOT spec.
    family : str, default "survival"
        The survival model (the family with a design simulator).
    effects : sequence of float, optional
        True hazard ratios, applied to every transition; default the spec's
        ``[calibration]`` ``hazard_ratios``, else (1.0, 0.8, 0.6, 0.5).
    priors : sequence of str, optional
        Named priors of the family's grid; every simulated trial is fitted under each.
        Default the spec's ``[calibration]`` ``priors``, else reference, moderate
        skeptical and moderate optimistic.
    threshold : float, optional
        Default the spec's ``[calibration]`` value, else 0.95.
    simulations : int, optional
        Simulated trials per true effect; default the spec's, else 100.
    baseline_hazards : sequence of float, optional
        Control-arm hazards per month of the three transitions (organ failure, death
        while event-free, death after failure); default the model's baseline hazards.
    chunk_size, seed, draws, tune, out, workers, scheduler, resume, progress
        As :func:`calibrate`; a chunk is ``chunk_size`` trials times every prior.

    Returns
    -------
    OperatingCharacteristics
    """
    path, loaded = _load(spec)
    c = loaded.calibration
    threshold = threshold or c.threshold or 0.95
    if not 0.0 < threshold < 1.0:
        raise SpecError(f"must be in (0, 1), not {threshold!r}", field="threshold")
    effects = tuple(float(e) for e in (effects or c.hazard_ratios or DEFAULT_EFFECTS))
    if any(not (math.isfinite(e) and e > 0) for e in effects):
        raise SpecError("true hazard ratios must be positive numbers", field="effects")
    priors = tuple(priors or c.priors or DEFAULT_OC_PRIORS)
    extra = {} if baseline_hazards is None else {
        "baseline_hazards": [float(h) for h in baseline_hazards]}
    plan = _plan(path, loaded, family, "oc", simulations=simulations or c.simulations or 100,
                 chunk_size=chunk_size, seed=seed, draws=draws, tune=tune, priors=priors,
                 effects=effects, threshold=float(threshold), extra=extra)
    rows = _run(plan, out, resume=resume, progress=_progress(progress),
                **_cluster(loaded, workers, scheduler))
    return OperatingCharacteristics(plan, rows)
