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
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from bayes_scot.calibration.conjugate import normal_normal_oc
from bayes_scot.calibration.design import Design, check_design, se_at_design
from bayes_scot.calibration.distributed import run_study
from bayes_scot.calibration.figures import plot_ecdf_difference, plot_operating_characteristics
from bayes_scot.calibration.report import write_study_report
from bayes_scot.calibration.sbc import DEFAULT_ALPHA, RankUniformity, uniformity, uniformity_table
from bayes_scot.calibration.store import ChunkStore
from bayes_scot.calibration.study import StudyPlan, build_design, prior_sets
from bayes_scot.errors import SpecError

__all__ = [
    "EFFECT_LIMITS",
    "MAX_FOLLOW_UP_MONTHS",
    "MAX_SIMULATIONS",
    "MAX_WORKERS_PER_CPU",
    "Calibration",
    "OperatingCharacteristics",
    "calibrate",
    "max_workers",
    "operating_characteristics",
]

DEFAULT_EFFECTS: tuple[float, ...] = (1.0, 0.8, 0.6, 0.5)
"""True hazard ratios of the default operating-characteristics scenarios, for an endpoint
whose event is harmful; their reciprocals for one whose event is wanted
(:func:`_default_hazard_ratios`)."""

DEFAULT_FAMILY_EFFECTS: dict[str, tuple[float, ...]] = {
    "longitudinal": (0.0, 0.25, 0.5, 0.8),
    "composite": (0.0, 0.1, 0.2, 0.3),
}
"""True effects of the other families: standardised effects (endpoint SDs; 0.25, 0.5
and 0.8 are Cohen's small-to-large range) and net benefits."""

DEFAULT_WIN_ODDS: tuple[float, ...] = (1.0, 1.25, 1.5, 2.0)
"""True win odds of the composite family on the log-win-odds scale."""

DEFAULT_OC_PRIORS: tuple[str, ...] = ("reference", "skeptical_moderate", "optimistic_moderate")
"""Priors the default operating characteristics are computed under."""

MAX_SIMULATIONS = 100_000
"""Most simulated trials of a study (per true effect for operating characteristics).

A calibration needs about a thousand ranks and a power estimated from 10,000 trials has
a Monte Carlo SE below 0.005; 100,000 trials of a model that takes a second a fit already
run for a day on one worker, so a larger number is a typing error, not a study."""

MAX_WORKERS_PER_CPU = 4
"""Most LocalCluster worker processes per CPU of this machine (:func:`max_workers`).

Each worker is a single-threaded process that builds and compiles its own model (some
hundreds of MB), so workers beyond the CPUs only add memory and compile time; the margin
leaves room for workers that wait on I/O. A larger cluster is given with ``scheduler``."""

MAX_FOLLOW_UP_MONTHS = 1200.0
"""Longest follow-up a design may ask for: 100 years, beyond any participant's lifetime."""

EFFECT_LIMITS: dict[str, tuple[float, float]] = {
    "hazard_ratio": (0.01, 100.0),
    "standardised_effect": (-10.0, 10.0),
    "net_benefit": (-1.0, 1.0),
    "log_win_odds": (-math.log(100.0), math.log(100.0)),
}
"""Range of true effects and MCIDs per effect scale (net benefits strictly inside theirs).

Hazard ratios and win odds from 1/100 to 100 (log ratios within ±4.6) hold every
treatment effect a trial is designed for, and keep the simulated event rates of both
arms finite and non-zero; a standardised effect of 10 endpoint SDs is more than ten times
Cohen's "large" (0.8); a net benefit is a difference of two probabilities."""


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


def max_workers() -> int:
    """Return the most LocalCluster workers a study may start on this machine.

    Returns
    -------
    int
        :data:`MAX_WORKERS_PER_CPU` times the CPUs of this machine.
    """
    return MAX_WORKERS_PER_CPU * (os.cpu_count() or 1)


def _bounded(given: int | None, from_spec: int | None, *, name: str, maximum: int,
             file: str, why: str = "") -> int | None:
    """Return the request's value, else the spec's ``[calibration]`` one, at most ``maximum``.

    The error names the argument, or the spec's file and ``calibration.<name>``, and
    ends with ``why``.
    """
    value = given if given is not None else from_spec
    if value is not None and value > maximum:
        where: dict[str, str] = ({"field": name} if given is not None else
                                 {"file": file, "field": f"calibration.{name}"})
        raise SpecError(f"must be at most {maximum:,}, not {value:,}{why}", **where)
    return value


def _simulations(loaded: Any, given: int | None) -> int:
    """Return the simulated trials: the request's, else the spec's ``[calibration]``, else 100."""
    value = _bounded(given, loaded.calibration.simulations, name="simulations",
                     maximum=MAX_SIMULATIONS, file=loaded.path)
    return 100 if value is None else value


def _check_scheduler(address: str, **where: str) -> None:
    """Refuse a scheduler address Dask cannot connect to: ``[tcp://]host:port``."""
    from distributed.comm.addressing import get_address_host_port

    try:
        host, port = get_address_host_port(address)
    except (ValueError, TypeError) as err:
        problem = str(err)
    else:
        if host and 0 < port < 65536:
            return
        problem = "no host" if not host else f"port {port} is not in 1-65535"
    raise SpecError(f"{address!r} is not a Dask scheduler address of the form "
                    f"tcp://host:port or host:port ({problem})", **where)


def _cluster(loaded: Any, workers: int | None, scheduler: str | None) -> dict[str, Any]:
    """Where the chunks run: arguments, else the spec's ``[calibration]``, else 1 worker.

    Checked before anything is written: the scheduler's address form and the number of
    workers (:func:`max_workers`).
    """
    c = loaded.calibration
    if scheduler:
        _check_scheduler(scheduler, field="scheduler")
    elif c.scheduler:
        _check_scheduler(c.scheduler, file=loaded.path, field="calibration.scheduler")
    scheduler = scheduler or c.scheduler or None
    workers = _bounded(workers, None if scheduler else c.workers, name="workers",
                       maximum=max_workers(), file=loaded.path,
                       why=f" ({MAX_WORKERS_PER_CPU} per CPU of this machine; a larger "
                           "cluster is given with a scheduler)")
    if workers is None and scheduler is None:
        workers = 1
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
        null = int(self.results[0].band.null_statistics.size) if self.results else 0
        paragraphs = [
            f"Simulation-based calibration of the {p.family} model of {Path(p.spec).name}: "
            f"{gate['fits']} trials simulated at the trial's design with parameters drawn "
            f"from the {p.prior} prior, each fitted with the same compiled model "
            f"(BlackJAX, {s['chains']} chains of {s['tune']} tuning and {s['draws']} draws; "
            f"seed {p.seed}). All data in this report are simulated.",
            f"Ranks among {p.rank_draws} thinned posterior draws; a quantity is "
            f"calibrated when the ECDF of its ranks stays inside the simultaneous "
            f"{1 - DEFAULT_ALPHA:.0%} band (Säilynoja et al. 2022): uniform ranks leave it "
            f"with probability {DEFAULT_ALPHA:.0%} for each quantity, so with "
            f"{len(self.results)} quantities up to "
            f"{1 - (1 - DEFAULT_ALPHA) ** len(self.results):.0%} of studies of a correct "
            "computation flag at least one. The p-value is the share of "
            f"{null:,} simulated uniform rank samples whose smallest pointwise "
            "tail probability is at most the observed one (Monte Carlo SE at most "
            f"{0.5 / math.sqrt(null):.3f}).",
            _power_caveat(gate["fits"]),
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


def _power_caveat(n: int) -> str:
    """How much a verdict from ``n`` ranks can say."""
    if n >= 1000:
        return (f"{n:,} ranks per quantity: the test detects moderate departures from "
                "uniformity.")
    return (f"Only {n:,} ranks per quantity: the test detects gross miscalibration only, so "
            "'calibrated' here means 'no gross miscalibration found', not evidence of a "
            "correct computation; Talts et al. (2018) use about 1,000 simulations.")


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
        Simulated trials, at most :data:`MAX_SIMULATIONS`; default the spec's
        ``[calibration]`` value, else 100.
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
        0: this process. ``n``: a LocalCluster of ``n`` worker processes, at most
        :func:`max_workers`. Default the spec's ``[calibration]`` ``workers``, else one
        worker (none when a scheduler is given).
    scheduler : str, optional
        Address of a Dask scheduler, ``tcp://host:port`` or ``host:port``; default the
        spec's ``[calibration]`` ``scheduler``. A scheduler that cannot be reached is an
        error before anything is written to ``out``.
    resume : bool, default False
        Continue a study in ``out`` without redoing its finished chunks.
    progress : bool or callable, default False

    Returns
    -------
    Calibration

    Raises
    ------
    SpecError
        For a family the spec does not run, an unknown prior, a number of simulations or
        workers above its maximum, a malformed or unreachable scheduler address, or
        evidence the simulator cannot generate (before any fit).
    """
    if rank_draws < 1:
        raise SpecError("must be positive", field="rank_draws")
    path, loaded = _load(spec)
    cluster = _cluster(loaded, workers, scheduler)
    plan = _plan(path, loaded, family, "sbc",
                 simulations=_simulations(loaded, simulations),
                 chunk_size=chunk_size, seed=seed, draws=draws, tune=tune, prior=prior,
                 rank_draws=rank_draws)
    draws_total = plan.settings["draws"] * plan.settings["chains"]
    if rank_draws > draws_total:
        raise SpecError(f"must be at most the posterior draws ({draws_total})",
                        field="rank_draws")
    rows = _run(plan, out, resume=resume, progress=_progress(progress), **cluster)
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
        One row per (simulated trial, prior); empty for a closed form.
    exact : pandas.DataFrame or None
        The table, where it is a closed form (the composite family's direct route).
    """

    plan: StudyPlan
    rows: pd.DataFrame
    exact: pd.DataFrame | None = None

    @property
    def effect_column(self) -> str:
        """Name of the true effect's column (``hazard_ratio``, ``net_benefit``...)."""
        return str(self.plan.extra.get("effect_column", "hazard_ratio"))

    def table(self) -> pd.DataFrame:
        """Per prior and true effect: P(declare superior), expected P(superior)...

        Returns
        -------
        pandas.DataFrame
            ``prior``, the true effect (:attr:`effect_column`), ``p_declare_superior``,
            ``expected_p_superior``, and with an MCID ``p_declare_mcid`` and
            ``expected_p_mcid``; simulated studies add ``trials``, ``failed_gate`` and
            the Monte Carlo SE of each rate (``<column>_mcse``). At no effect
            ``p_declare_superior`` is the type I error, elsewhere the power.
        """
        if self.exact is not None:
            return self.exact.copy()
        q = self.plan.threshold
        r = self.rows
        out = r.groupby(["prior", "effect"], sort=False).agg(
            trials=("p_superior", "size"),
            p_declare_superior=("p_superior", lambda x: float(np.mean(x > q))),
            expected_p_superior=("p_superior", "mean"),
            **({"p_declare_mcid": ("p_mcid", lambda x: float(np.mean(x > q))),
                "expected_p_mcid": ("p_mcid", "mean")} if "p_mcid" in r else {}),
            failed_gate=("passed", lambda x: int((~x.astype(bool)).sum())),
            expected_p_superior_sd=("p_superior", lambda x: float(np.std(x, ddof=1))
                                    if len(x) > 1 else math.nan),
            **({"expected_p_mcid_sd": ("p_mcid", lambda x: float(np.std(x, ddof=1))
                                       if len(x) > 1 else math.nan)} if "p_mcid" in r else {}),
        ).reset_index()
        # Monte Carlo SEs: a share p of n trials sqrt(p (1 - p) / n) (0 when no trial or
        # every trial declared: read 3/n as the 95% bound then); a mean probability the
        # SD of the trials' probabilities over sqrt(n).
        n = out["trials"].to_numpy(dtype=float)
        for name in ("superior", "mcid"):
            if f"p_declare_{name}" not in out:
                continue
            share = out[f"p_declare_{name}"].to_numpy(dtype=float)
            out[f"p_declare_{name}_mcse"] = np.sqrt(share * (1.0 - share) / n)
            out[f"expected_p_{name}_mcse"] = out.pop(f"expected_p_{name}_sd") / np.sqrt(n)
        return out.rename(columns={"effect": self.effect_column})

    def figure(self) -> Figure:
        """Power curves: P(declare superior) against the true effect, per prior."""
        return plot_operating_characteristics(self.table(), x=self.effect_column)

    def write_report(self, out: str | os.PathLike[str]) -> Path:
        """Write ``index.html``, ``report.md``, ``summary.json`` and ``figures/``."""
        p = self.plan
        design = p.design.describe()
        where = "the trial's design" if not design else "the design " + ", ".join(
            f"{k.replace('_', ' ')} {v}" for k, v in design.items())
        paragraphs = [
            f"Operating characteristics of the decision rule 'P(superior) > {p.threshold}' "
            f"for the {p.family} model of {Path(p.spec).name}, at {where}, for the true "
            f"{self.effect_column.replace('_', ' ')} "
            f"{', '.join(f'{e:g}' for e in p.effects)}, under every prior "
            f"({', '.join(p.priors)}).",
        ]
        rule = p.extra.get("superior")
        if rule:
            paragraphs.append(f"Superior means {rule}.")
        if "mcid" in p.extra:
            shown = p.extra.get("mcid_hazard_ratio", p.extra["mcid"])
            paragraphs.append(f"'Superior by the MCID' reads the MCID {shown:g} "
                              f"({self.effect_column.replace('_', ' ')}).")
        if "baseline_hazards" in p.extra:
            paragraphs.append(
                "Control-arm hazards per month of the simulated trials: "
                f"{', '.join(f'{h:.4g}' for h in p.extra['baseline_hazards'])} (the model's "
                "baseline at the trial's own design unless given); the experimental arm's "
                "are these times the true hazard ratio.")
        summary: dict[str, Any] = {"kind": "operating_characteristics", "plan": p.describe()}
        if self.exact is not None:
            se = self.exact.attrs.get("standard_error")
            paragraphs.append(
                "Closed form: the model is conjugate (a normal likelihood with known "
                "standard error under a normal prior), so nothing is simulated or sampled"
                + ("." if se is None else f"; the published summary's standard error at "
                   f"this design is {se:.4g}."))
            summary["method"] = "closed_form"
            if se is not None:
                summary["standard_error"] = float(se)
                summary["priors"] = self.exact.attrs.get("priors", {})
        else:
            gate = _gate(self.rows)
            s = p.settings
            paragraphs.append(
                f"{p.simulations} simulated trials per true effect, each fitted under every "
                f"prior: BlackJAX, {s['chains']} chains of {s['tune']} tuning and "
                f"{s['draws']} draws; seed {p.seed}. {gate['failed_gate']} of "
                f"{gate['fits']} fits failed the diagnostics gate; they are counted here, "
                "not dropped. All data in this report are simulated.")
            paragraphs.append(
                "Columns ending in _mcse are Monte Carlo standard errors: "
                "sqrt(p (1 - p) / trials) for a share of trials, the SD of the trials' "
                "posterior probabilities over sqrt(trials) for a mean. A share of 0 or 1 "
                "has an MCSE of 0; read it as below 3/trials, or above 1 - 3/trials "
                "(95%). The same simulated trials are fitted under every prior, so the "
                "priors' rates are correlated.")
            summary.update(method="simulation", gate=gate, timing=_timing(self.rows))
        summary["operating_characteristics"] = self.table().to_dict(orient="records")
        return write_study_report(
            out, title=f"Operating characteristics: {p.family} ({Path(p.spec).stem})",
            paragraphs=paragraphs, tables={"Decision rule by prior and effect": self.table()},
            figures={"power": self.figure()}, summary=summary,
        )


def _no_duplicates(values: Sequence[Any], what: str, **where: str) -> None:
    """Refuse a list naming a value twice, in the words of the spec's prior grid."""
    twice = [v for i, v in enumerate(values) if v in values[:i]]
    if twice:
        raise SpecError(f"names {what} twice ({twice[0]!r})", **where)


def _limits(scale: str) -> tuple[float, float]:
    """Return :data:`EFFECT_LIMITS` of ``scale`` (no limits for a scale it does not list)."""
    return EFFECT_LIMITS.get(scale, (-math.inf, math.inf))


def _in_limits(value: float, scale: str) -> bool:
    """Whether ``value`` lies within :data:`EFFECT_LIMITS` of ``scale`` (NaN does not)."""
    low, high = _limits(scale)
    if scale == "net_benefit":
        return low < value < high
    return low <= value <= high


def _effects(family: str, effects: Sequence[float] | None, loaded: Any,
             scale: str) -> tuple[float, ...]:
    """Return the true effects of the scenarios, checked on the family's scale."""
    c = loaded.calibration
    if effects is not None and len(effects) == 0:
        raise SpecError("give at least one true effect", field="effects")
    where: dict[str, str] = {"field": "effects"}
    if family == "survival":
        if not effects and c.hazard_ratios:
            where = {"file": loaded.path, "field": "calibration.hazard_ratios"}
        chosen = effects or c.hazard_ratios or _default_hazard_ratios(loaded)
    elif family == "composite" and scale == "log_win_odds":
        chosen = effects or tuple(math.log(w) for w in DEFAULT_WIN_ODDS)
    else:
        chosen = effects or DEFAULT_FAMILY_EFFECTS[family]
    values = tuple(float(e) for e in chosen)
    if any(not math.isfinite(e) for e in values):
        raise SpecError("true effects must be finite numbers", **where)
    outside = [e for e in values if not _in_limits(e, scale)]
    if outside:
        low, high = _limits(scale)
        raise SpecError(f"true {scale.replace('_', ' ')}s must lie between {low:g} and "
                        f"{high:g}, not {outside[0]:g}", **where)
    _no_duplicates(values, "a true effect", **where)
    return values


def _check_mcid(family: str, mcid: float | None, loaded: Any, scale: str) -> None:
    """Refuse an MCID that is not on the benefit side of the family's effect scale.

    Survival: a hazard ratio below 1, or above 1 when the endpoint's event is wanted
    (:func:`_event_wanted`); longitudinal: a positive standardised effect; composite: a
    positive net benefit or log win odds; each strictly inside :data:`EFFECT_LIMITS`.
    """
    if mcid is None:
        return
    if not math.isfinite(mcid):
        raise SpecError(f"must be a finite number, not {mcid!r}", field="mcid")
    low, high = _limits(scale)
    why = ""
    if family == "survival" and _event_wanted(loaded):
        low, why = 1.0, ", above 1 as the endpoint's event is wanted"
    elif family == "survival":
        high, why = 1.0, ", below 1 as the endpoint's event is harmful"
    else:
        low = 0.0
    if not low < mcid < high:
        raise SpecError(f"must be a {scale.replace('_', ' ')} on the benefit side{why}: "
                        f"strictly between {low:g} and {high:g}, not {mcid:g}", field="mcid")


def _composite_oc(plan: StudyPlan, design: Design) -> pd.DataFrame:
    """Return the composite direct route's table: the closed form of :func:`normal_normal_oc`."""
    builder = build_design(plan.spec, "composite", Design())  # the published summary's SE
    sizes = [builder.trial.n(a, builder.population) for a in builder.arms]
    se = se_at_design(builder.observation.se, sizes, design)
    grid = prior_sets(_load(plan.spec)[1], "composite", builder)
    column = plan.extra["effect_column"]
    mcid = plan.extra.get("mcid")
    frames = []
    used: dict[str, dict[str, float]] = {}
    for name in plan.priors:
        values = builder.prior_data(grid[name])
        used[name] = {"mean": float(values[f"{column}_prior_mean"]),
                      "sd": float(values[f"{column}_prior_sd"])}
        frame = normal_normal_oc(
            used[name]["mean"], used[name]["sd"], se,
            plan.effects, threshold=plan.threshold, benefit="higher", margin=mcid)
        frames.append(frame.rename(columns={"true_effect": column}).assign(prior=name))
    table = pd.concat(frames, ignore_index=True)
    table = table[["prior", *[c for c in table.columns if c != "prior"]]]
    table.attrs["standard_error"] = float(se)
    table.attrs["priors"] = {name: used[name] for name in plan.priors}
    return table


def operating_characteristics(
    spec: str | os.PathLike[str] | None = None,
    *,
    family: str = "survival",
    effects: Sequence[float] | None = None,
    priors: Sequence[str] | None = None,
    threshold: float | None = None,
    simulations: int | None = None,
    n_per_arm: Sequence[int] | None = None,
    follow_up_months: float | None = None,
    baseline_hazards: Sequence[float] | None = None,
    mcid: float | None = None,
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
    """Operating characteristics of "P(superior) > threshold" at a design.

    Per family, the effect the rule reads and how its probabilities are computed:

    * ``survival``: the hazard ratio (true value on every transition); trials simulated
      patient by patient and fitted (BlackJAX batch); MCID the options'
      ``hazard_ratio_margin``.
    * ``longitudinal``: the standardised effect at the reference visit (endpoint SDs) of
      the first endpoint with evidence of its own; trials simulated from the model at
      that effect, nuisance parameters from their prior, and fitted; MCID that
      endpoint's standardised MCID.
    * ``composite``: the net benefit (or log win odds) of the published summary; the
      direct route is normal-normal, so the probabilities are closed forms
      (:func:`~bayes_scot.calibration.normal_normal_oc`), nothing is simulated; MCID
      from the spec's ``[mcids]`` for the estimand, else ``mcid``.

    Parameters
    ----------
    spec : path or str, optional
        Analysis spec; default the SCOT spec.
    family : {"survival", "longitudinal", "composite"}, default "survival"
    effects : sequence of float, optional
        True effects on the family's scale. Default: survival the spec's
        ``[calibration]`` ``hazard_ratios``, else (1.0, 0.8, 0.6, 0.5), or their
        reciprocals for an endpoint whose event is wanted; longitudinal
        (0, 0.25, 0.5, 0.8); composite net benefit (0, 0.1, 0.2, 0.3), log win odds the
        logs of (1, 1.25, 1.5, 2). Within :data:`EFFECT_LIMITS`, each once; an empty
        list (here or in the spec) is refused.
    priors : sequence of str, optional
        Named priors of the family's grid; every simulated trial is fitted under each.
        Default the spec's ``[calibration]`` ``priors``, else reference, moderate
        skeptical and moderate optimistic. Each once; an empty list is refused.
    threshold : float, optional
        Default the spec's ``[calibration]`` value, else 0.95.
    simulations : int, optional
        Simulated trials per true effect, at most :data:`MAX_SIMULATIONS`; default the
        spec's, else 100.
    n_per_arm : sequence of int, optional
        Participants per arm (experimental first); default the trial's
        (:mod:`bayes_scot.calibration.design`).
    follow_up_months : float, optional
        Survival: time of the last landmark, at most :data:`MAX_FOLLOW_UP_MONTHS`;
        default the trial's.
    baseline_hazards : sequence of float, optional
        Survival: control-arm hazards per month of the three transitions (organ failure,
        death while event-free, death after failure), or of the one-endpoint model's
        event (its first value); default the baseline hazards of the model built at the
        trial's design (the prior means, from the trial's pooled crude hazard), whatever
        ``n_per_arm`` and ``follow_up_months`` say.
    mcid : float, optional
        MCID of the rule on the effect's scale (replaces the family's default), on the
        benefit side and strictly inside :data:`EFFECT_LIMITS`: survival a hazard ratio
        below 1 (above 1 for an endpoint whose event is wanted), longitudinal a positive
        standardised effect, composite a positive net benefit or log win odds.
    chunk_size, seed, draws, tune, out, workers, scheduler, resume, progress
        As :func:`calibrate`; a chunk is ``chunk_size`` trials times every prior.

    Returns
    -------
    OperatingCharacteristics

    Raises
    ------
    SpecError
        For a bad request (one line, before any model is built).
    """
    path, loaded = _load(spec)
    c = loaded.calibration
    if threshold is None:
        threshold = c.threshold or 0.95
    if not (isinstance(threshold, int | float) and 0.0 < threshold < 1.0):
        raise SpecError(f"must be in (0, 1), not {threshold!r}", field="threshold")
    design = check_design(family, n_per_arm, follow_up_months)
    if design.follow_up_months is not None and design.follow_up_months > MAX_FOLLOW_UP_MONTHS:
        raise SpecError(f"must be at most {MAX_FOLLOW_UP_MONTHS:g} months, not "
                        f"{design.follow_up_months:g}", field="follow_up_months")
    scale = _effect_scale(loaded, family)
    effects = _effects(family, effects, loaded, scale)
    _check_mcid(family, mcid, loaded, scale)
    if mcid is None and family == "composite":
        t = _family_option(loaded, "composite", "time_months", 54.0)
        endpoint = _family_option(loaded, "composite", "endpoint", "grcs")
        override = loaded.mcid_for(endpoint, f"{scale}_{t:g}")
        mcid = None if override is None else override.value
    if priors is not None and len(priors) == 0:
        raise SpecError("give at least one prior", field="priors")
    _no_duplicates(list(priors or c.priors), "a prior",
                   **({"field": "priors"} if priors else
                      {"file": loaded.path, "field": "calibration.priors"}))
    priors = tuple(priors or c.priors or DEFAULT_OC_PRIORS)
    extra: dict[str, Any] = {"effect_column": scale, **design.describe()}
    if baseline_hazards is not None:
        if family != "survival":
            raise SpecError(f"applies to the survival family, not {family}",
                            field="baseline_hazards")
        values = [float(h) for h in baseline_hazards]
        if not values or not all(math.isfinite(h) and h > 0 for h in values):
            raise SpecError(f"must be positive hazards per month, not {values!r}",
                            field="baseline_hazards")
        extra["baseline_hazards"] = values
    if family == "survival":
        extra["superior"] = ("a hazard ratio above 1 (the endpoint's event is wanted)"
                             if _event_wanted(loaded) else "a hazard ratio below 1")
    if mcid is not None and family == "survival":
        # the rule reads the log hazard ratio (the simulators' headline quantity)
        extra.update(mcid_hazard_ratio=float(mcid), mcid=math.log(mcid))
    elif mcid is not None:
        extra["mcid"] = float(mcid)
    cluster = None if family == "composite" else _cluster(loaded, workers, scheduler)
    plan = _plan(path, loaded, family, "oc",
                 simulations=_simulations(loaded, simulations),
                 chunk_size=chunk_size, seed=seed, draws=draws, tune=tune, priors=priors,
                 effects=effects, threshold=float(threshold), extra=extra)
    if cluster is None:
        return OperatingCharacteristics(plan, pd.DataFrame(), _composite_oc(plan, design))
    given = "baseline_hazards" in plan.extra
    if given or (family == "survival" and not design.is_trial):
        builder = build_design(path, "survival", Design())  # at the trial's own design
        if given:
            _check_baseline_hazards(builder, plan.extra["baseline_hazards"])
        if not design.is_trial:
            plan = dataclasses.replace(plan, extra={**plan.extra, **_trial_survival_design(
                builder, design, keep_hazards=given)})
    rows = _run(plan, out, resume=resume, progress=_progress(progress), **cluster)
    return OperatingCharacteristics(plan, rows)


def _check_baseline_hazards(builder: Any, hazards: Sequence[float]) -> None:
    """Refuse control hazards that do not fit the survival model the trial gets.

    The illness-death model takes one hazard per transition (three), or one for all;
    the one-endpoint model takes one. ``builder`` is the survival model at the trial's
    own design; checked before any simulation.
    """
    allowed = (1,) if hasattr(builder, "baseline_mean") else (1, 3)
    if len(hazards) not in allowed:
        what = ("one hazard, of the one-endpoint model's event" if allowed == (1,) else
                "three hazards, one per transition of the illness-death model, or one "
                "for all")
        raise SpecError(f"give {what}, not {len(hazards)}", field="baseline_hazards")


def _trial_survival_design(builder: Any, design: Design, *, keep_hazards: bool
                           ) -> dict[str, Any]:
    """Return what another survival design keeps of the trial's own: hazards, last time.

    The survival model's baseline hazards are derived from the trial's evidence (its
    pooled crude hazard); rebuilt at another design, the rescaled and moved layout would
    give another one (moving the last landmark from 6 to 12 months with the same counts
    halves it). The simulated control arm keeps the hazards of the model built at the
    trial's design, and ``--follow-up`` moves the last time that model's evidence reaches
    (not the last time of any entry of the trial, which may be another endpoint's).
    ``builder`` is the survival model built at the trial's own design.
    """
    out: dict[str, Any] = {}
    if design.follow_up_months is not None:
        out["trial_follow_up_months"] = float(builder.last_datum)
    if not keep_hazards:
        if hasattr(builder, "baseline_mean"):  # one endpoint
            hazards = [math.exp(float(builder.baseline_mean))]
        else:  # illness-death: per transition
            hazards = [math.exp(float(v)) for v in builder.options.baseline_log_hazard_mean]
        out["baseline_hazards"] = hazards
    return out


def _default_hazard_ratios(loaded: Any) -> tuple[float, ...]:
    """Return the default scenarios' true hazard ratios, on the endpoint's benefit side.

    :data:`DEFAULT_EFFECTS` (below 1), or their reciprocals when the one-endpoint model's
    endpoint counts an event the experimental arm should bring sooner
    (``better = "lower"``: healing, response), so that the scenarios beyond no effect
    are benefits either way (:func:`_event_wanted`).
    """
    return tuple(1.0 / h for h in DEFAULT_EFFECTS) if _event_wanted(loaded) else DEFAULT_EFFECTS


def _event_wanted(loaded: Any) -> bool:
    """Whether the survival family's one endpoint counts an event that is wanted.

    True when the one-endpoint model's endpoint counts a wanted event (healing, response:
    :attr:`~bayes_scot.evidence.Endpoint.event_wanted`): a hazard ratio above 1 is then
    the benefit. The survival family's first trial is read (not modelled) to find the
    endpoint, as the model chooses it.
    """
    from bayes_scot.builders.piecewise_exponential.plan import survival_endpoints
    from bayes_scot.data import load_trial

    try:
        family = loaded.family("survival")
    except KeyError:  # refused in words by _plan
        return False
    first = next((t for t in loaded.trials if not family.trials or t.name in family.trials),
                 None)
    if first is None:
        return False
    trial = load_trial(first.path or first.name, population=first.population)
    named = _family_option(loaded, "survival", "endpoint", None)
    endpoints = (named,) if named else survival_endpoints(trial)
    if len(endpoints) != 1:
        return False
    endpoint = trial.endpoint(endpoints[0])
    return endpoint.kind in ("time_to_event", "binary") and endpoint.event_wanted


def _family_option(loaded: Any, family: str, name: str, default: Any) -> Any:
    """Return an option of a family as the spec sets it (``default`` where it does not)."""
    try:
        options = loaded.family(family).options
    except KeyError:
        return default
    value = options.get(name) if isinstance(options, Mapping) else getattr(options, name, None)
    return default if value is None else value


def _effect_scale(loaded: Any, family: str) -> str:
    """Return the column name of the family's true effect."""
    if family == "composite":
        return str(_family_option(loaded, "composite", "scale", "net_benefit"))
    return {"survival": "hazard_ratio", "longitudinal": "standardised_effect"}.get(
        family, "true_effect")
