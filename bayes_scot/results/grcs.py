r"""Model-based GRCS: win statistics from posterior-predictive patients of two fits.

Posterior draws of the illness-death transition hazards (survival model) and of the arm
means at the horizon (longitudinal model) generate patients per arm and draw; all pairs
are compared through the GRCS hierarchy (death, then an EFS event, then FVC, HAQ-DI and
mRSS; :func:`bayes_scot.stats.win.win_statistics_draws`). At the trial's size (36 vs 39)
this is the posterior predictive of the published 66.6%; with many patients per arm it
is the population estimand. It is a cross-fit estimand: it reads two families'
posteriors, so it lives among the results, not in one builder.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import xarray as xr

from bayes_scot.conventions import CREDIBLE_LEVEL, DEFAULT_SEED
from bayes_scot.errors import EvidenceError
from bayes_scot.evidence import PairwiseSummary, Trial, get_endpoint
from bayes_scot.stats.estimands import EstimandDraws
from bayes_scot.stats.grcs import (
    ENDPOINT,
    WIN_LABELS,
    WIN_NULLS,
    analysed_population,
    grcs_entry,
    percent_favourable_rows,
)
from bayes_scot.stats.illness_death import TRANSITIONS, simulate_paths
from bayes_scot.stats.win import HierarchyLevel, WinStatistics, win_statistics_draws

__all__ = [
    "CONTINUOUS_LEVELS",
    "GRCS_LEVELS",
    "GrcsPrediction",
    "GrcsSimulationOptions",
    "grcs_from_posteriors",
    "grcs_hierarchy",
    "model_based_grcs",
    "simulate_grcs_arm",
]

GRCS_LEVELS: tuple[str, ...] = ("death", "efs_event", "fvc", "haq_di", "mrss")
"""Levels of SCOT's GRCS hierarchy, most important first (Sullivan et al. 2018)."""

CONTINUOUS_LEVELS: tuple[str, ...] = ("fvc", "haq_di", "mrss")
"""The continuous levels, compared among patients event-free at the horizon."""


@dataclass(frozen=True, kw_only=True)
class GrcsSimulationOptions:
    """Options of the model-based route (one field per key of the analysis spec).

    Parameters
    ----------
    horizon_months : float, default 54
        Time of the comparison (SCOT's primary analysis: 54 months).
    fvc_margin, haq_di_margin, mrss_margin : float
        Tie margins of the continuous levels: a difference of at most the margin ties
        and passes the pair to the next level. Defaults are minimal clinically important
        differences in systemic sclerosis (published-numbers section 5): FVC 3.0 %
        predicted (lower end of the 3.0-5.3 range), HAQ-DI 0.10 (lower end of
        0.10-0.14), mRSS 5 points (the value for diffuse disease). SCOT's own GRCS
        thresholds are not in our sources; these are package defaults to review.
    correlation : float, default 0.3
        Within-patient correlation of FVC, HAQ-DI and mRSS at the horizon, exchangeable,
        on the scale where higher is better for all three (a patient with a better FVC
        tends to have a better, i.e. lower, HAQ-DI). No SCOT estimate is available; 0.3
        is a moderate package default to review.
    correlation_sensitivity : tuple of float, default (0.0, 0.6)
        Further correlations for which the population estimand is also computed.
    n_population : int, default 400
        Patients per arm and draw for the population estimand. The Monte Carlo SD of a
        win proportion is at most ``sqrt(0.25 * 2 / n)`` = 0.035 at 400 per arm, small
        beside the posterior spread; raise it for smoother tails.
    seed : int, default :data:`~bayes_scot.conventions.DEFAULT_SEED`
    """

    horizon_months: float = 54.0
    fvc_margin: float = 3.0
    haq_di_margin: float = 0.10
    mrss_margin: float = 5.0
    correlation: float = 0.3
    correlation_sensitivity: tuple[float, ...] = (0.0, 0.6)
    n_population: int = 400
    seed: int = DEFAULT_SEED

    def __post_init__(self) -> None:
        object.__setattr__(self, "correlation_sensitivity", tuple(self.correlation_sensitivity))
        for rho in (self.correlation, *self.correlation_sensitivity):
            _check_correlation(rho)
        for name in ("fvc_margin", "haq_di_margin", "mrss_margin", "horizon_months"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value >= 0):
                raise EvidenceError(f"must be a finite number >= 0, not {value!r}", field=name)
        if self.horizon_months <= 0:
            raise EvidenceError("must be positive", field="horizon_months")
        if int(self.n_population) < 1:
            raise EvidenceError("must be at least 1", field="n_population")

    @property
    def margins(self) -> dict[str, float]:
        """Tie margin per level of :data:`GRCS_LEVELS`."""
        return {
            "death": 0.0,
            "efs_event": 0.0,
            "fvc": self.fvc_margin,
            "haq_di": self.haq_di_margin,
            "mrss": self.mrss_margin,
        }


def _check_correlation(rho: float) -> None:
    # An exchangeable 3 x 3 correlation matrix is positive definite for -1/2 < rho < 1.
    if not (isinstance(rho, int | float) and -0.5 < rho < 1.0):
        raise EvidenceError(
            f"an exchangeable correlation of three outcomes must lie in (-0.5, 1), not {rho!r}",
            field="correlation",
        )


def grcs_hierarchy(options: GrcsSimulationOptions | None = None) -> list[HierarchyLevel]:
    """Return the GRCS hierarchy in the form :func:`~bayes_scot.stats.win.win_statistics` takes.

    Parameters
    ----------
    options : GrcsSimulationOptions, optional

    Returns
    -------
    list of (str, {"lower", "higher"}, float)
        Death time (later is better; alive at the horizon = the horizon), time of the
        first EFS event (later is better; event-free = the horizon), then FVC, HAQ-DI and
        mRSS with the directions of the endpoint registry and the options' margins.
    """
    options = options or GrcsSimulationOptions()
    margins = options.margins
    levels: list[HierarchyLevel] = [
        ("death", "higher", 0.0),
        ("efs_event", "higher", 0.0),
    ]
    for name in CONTINUOUS_LEVELS:
        levels.append((name, get_endpoint(name).better, margins[name]))
    return levels


def _orientation() -> np.ndarray:
    return np.array(
        [1.0 if get_endpoint(name).better == "higher" else -1.0 for name in CONTINUOUS_LEVELS]
    )


def simulate_grcs_arm(
    hazards: np.ndarray,
    boundaries: np.ndarray,
    standard_normals: np.ndarray,
    means: np.ndarray,
    sds: np.ndarray,
    *,
    correlation: float,
    horizon: float,
    rng: np.random.Generator,
) -> np.ndarray:
    """Simulate one arm's patients through the GRCS hierarchy, for every draw.

    Parameters
    ----------
    hazards : numpy.ndarray
        Shape ``(draw, interval, transition)``: piecewise-constant hazards per month in
        the order of :data:`bayes_scot.stats.illness_death.TRANSITIONS`.
    boundaries : numpy.ndarray
        Interval boundaries in months, starting at 0 (``interval + 1`` values).
    standard_normals : numpy.ndarray
        Shape ``(draw, patient, 3)``, independent standard normal draws; passing the
        same array for several correlations gives common random numbers.
    means, sds : numpy.ndarray
        Shape ``(draw, 3)``: mean and SD of FVC, HAQ-DI and mRSS at the horizon among
        patients event-free at the horizon.
    correlation : float
        Exchangeable within-patient correlation on the "higher is better" scale.
    horizon : float
        Months.
    rng : numpy.random.Generator
        Source of the event times.

    Returns
    -------
    numpy.ndarray
        Shape ``(draw, patient, 5)``, levels :data:`GRCS_LEVELS`: death time (the
        horizon if alive), first EFS event time (the horizon if event-free), then the
        three continuous values (NaN for patients with an EFS event by the horizon).
    """
    n_draws, n, _ = standard_normals.shape
    out = np.empty((n_draws, n, len(GRCS_LEVELS)))
    paths = simulate_paths(np.asarray(hazards, dtype=float), np.asarray(boundaries, dtype=float),
                           n, rng, float(horizon))
    out[:, :, 0] = np.where(paths["os_event"], paths["death_months"], horizon)
    out[:, :, 1] = paths["efs_months"]
    event_free = ~paths["efs_event"]
    k = len(CONTINUOUS_LEVELS)
    chol = np.linalg.cholesky(np.full((k, k), correlation) + (1.0 - correlation) * np.eye(k))
    oriented = standard_normals @ chol.T
    values = means[:, np.newaxis, :] + sds[:, np.newaxis, :] * _orientation() * oriented
    out[:, :, 2:] = np.where(event_free[:, :, np.newaxis], values, np.nan)
    return out


@dataclass(frozen=True, kw_only=True)
class GrcsPrediction:
    """Model-based win statistics of the GRCS, per posterior draw.

    Parameters
    ----------
    arms : tuple of str
        ``(experimental, control)``.
    shape : tuple of int
        ``(chain, draw)`` of the posterior the draws came from.
    population : WinStatistics
        Population estimand: ``options.n_population`` patients per arm and draw, at
        ``options.correlation``.
    trial : WinStatistics
        Posterior predictive at the trial's size (e.g. 36 vs 39).
    sensitivity : mapping of float to WinStatistics
        Population estimand at each correlation (including ``options.correlation``).
    options : GrcsSimulationOptions
    entry : PairwiseSummary, optional
        The published summary the trial-size prediction is set against.
    trial_name : str
        Name of the trial, for the reproduce table.
    evidence : str
        What drove the inputs (``"trial"``, ``"trial + external"``...).
    attrs : dict
        Free-form annotations.
    label : str
        The composite endpoint's label, from the trial (default ``"GRCS"``).
    arm_labels : tuple of str, optional
        How labels name the two arms (the trial's ``arm_labels``); default ``arms``.
    """

    arms: tuple[str, str]
    shape: tuple[int, int]
    population: WinStatistics
    trial: WinStatistics
    sensitivity: Mapping[float, WinStatistics]
    options: GrcsSimulationOptions
    entry: PairwiseSummary | None = None
    trial_name: str = ""
    evidence: str = "trial"
    attrs: dict[str, object] = field(default_factory=dict)
    label: str = "GRCS"
    arm_labels: tuple[str, str] | None = None

    def __repr__(self) -> str:
        nb = np.asarray(self.population.net_benefit)
        return (
            f"<GrcsPrediction {self.arms[0]} vs {self.arms[1]} at "
            f"{self.options.horizon_months:g} months: {nb.size} draws, net benefit median "
            f"{np.nanmedian(nb):.3f}, P(net benefit > 0) = {np.mean(nb > 0):.3f}; "
            f"correlations {', '.join(f'{r:g}' for r in self.sensitivity)}>"
        )

    def _repr_html_(self) -> str:
        return (
            f"<p><b>GRCS, model-based</b>: {self.arms[0]} vs {self.arms[1]} at "
            f"{self.options.horizon_months:g} months, {self.options.n_population} patients "
            "per arm and draw</p>" + self.summary().to_html(index=False, float_format="%.3f")
        )

    def _reshape(self, values: np.ndarray | float) -> np.ndarray:
        return np.asarray(values, dtype=float).reshape(self.shape)

    def estimands(self) -> list[EstimandDraws]:
        """Posterior draws of the population win statistics.

        Returns
        -------
        list of EstimandDraws
            Endpoint ``"grcs"``; estimands ``model_<name>_<t>`` for ``p_win``
            (null 0.5), ``p_loss`` (null 0.5, lower is superior), ``net_benefit`` (null
            0), ``win_ratio``, ``win_odds`` (null 1) and ``win_probability`` (null 0.5).
            The tie proportion has no direction of superiority and is reported by
            :meth:`summary` instead.
        """
        t = self.options.horizon_months
        arms = "{} vs {}".format(*(self.arm_labels or self.arms))
        out = []
        for name in ("p_win", "p_loss", "net_benefit", "win_ratio", "win_odds",
                     "win_probability"):
            null, superior = WIN_NULLS[name]
            out.append(
                EstimandDraws(
                    endpoint=ENDPOINT,
                    estimand=f"model_{name}_{t:g}",
                    label=(f"{self.label} at {t:g} months, {WIN_LABELS[name]}, {arms} "
                           "(model-based)"),
                    draws=self._reshape(getattr(self.population, name)),
                    null=null,
                    superior=superior,
                    evidence=self.evidence,
                    attrs={"route": "model", "correlation": self.options.correlation,
                           "n_population": self.options.n_population},
                )
            )
        return out

    def summary(self, level: float = CREDIBLE_LEVEL) -> pd.DataFrame:
        """Posterior median and interval of every win statistic, per correlation.

        Parameters
        ----------
        level : float, default :data:`~bayes_scot.conventions.CREDIBLE_LEVEL`

        Returns
        -------
        pandas.DataFrame
            Columns ``correlation, statistic, median, lower, upper, p_superior``
            (``p_superior`` is P(net benefit > 0), P(the experimental arm wins more
            often than it loses), repeated on every row of its correlation).
        """
        alpha = (1.0 - level) / 2.0
        rows = []
        for rho, result in self.sensitivity.items():
            p_sup = float(np.mean(np.asarray(result.net_benefit) > 0))
            for name in ("p_win", "p_loss", "p_tie", "net_benefit", "win_ratio", "win_odds",
                         "win_probability"):
                lower, median, upper = np.nanquantile(getattr(result, name),
                                                      [alpha, 0.5, 1 - alpha])
                rows.append({"correlation": rho, "statistic": name, "median": median,
                             "lower": lower, "upper": upper, "p_superior": p_sup})
        return pd.DataFrame(rows)

    def reproduce(self) -> pd.DataFrame:
        """Set the published percentages beside the trial-size posterior predictive.

        Returns
        -------
        pandas.DataFrame
            One row per arm, columns of the builders' reproduce frames. The predicted
            percentage favouring an arm counts ties as half a win for each arm (the
            Mann-Whitney convention; SCOT's percentages add up to 100).

        Raises
        ------
        EvidenceError
            If the prediction was made without a published entry.
        """
        if self.entry is None:
            raise EvidenceError("no published pairwise summary to compare with", field="entry")
        percent = {
            self.arms[0]: 100.0 * np.asarray(self.trial.p_win + self.trial.p_tie / 2.0),
            self.arms[1]: 100.0 * np.asarray(self.trial.p_loss + self.trial.p_tie / 2.0),
        }
        return percent_favourable_rows(self.trial_name, self.entry, percent)


def model_based_grcs(
    hazards: np.ndarray,
    boundaries: Sequence[float] | np.ndarray,
    means: np.ndarray,
    sds: np.ndarray,
    *,
    n_trial: tuple[int, int],
    arms: tuple[str, str],
    options: GrcsSimulationOptions | None = None,
    entry: PairwiseSummary | None = None,
    trial_name: str = "",
    evidence: str = "trial",
    label: str = "GRCS",
    arm_labels: tuple[str, str] | None = None,
) -> GrcsPrediction:
    r"""Posterior win statistics of the GRCS from arrays of posterior draws.

    Parameters
    ----------
    hazards : numpy.ndarray
        Shape ``(chain, draw, arm, interval, transition)``: illness-death transition
        hazards per month, arms ``arms``, transitions in the order of
        :data:`bayes_scot.stats.illness_death.TRANSITIONS`.
    boundaries : sequence of float
        Interval boundaries in months, starting at 0.
    means : numpy.ndarray
        Shape ``(chain, draw, arm, 3)`` or ``(arm, 3)``: means of FVC, HAQ-DI and mRSS
        (:data:`CONTINUOUS_LEVELS`) at the horizon among patients event-free then.
    sds : numpy.ndarray
        Their SDs between patients, same shapes as ``means`` (or broadcastable).
    n_trial : tuple of int
        Patients per arm in the trial (SCOT ITT: 36, 39).
    arms : tuple of str
        ``(experimental, control)``, the trial's arm names, in the order of the arm axis
        of ``hazards`` and ``means``.
    options : GrcsSimulationOptions, optional
    entry : PairwiseSummary, optional
        Published summary for :meth:`GrcsPrediction.reproduce`.
    trial_name : str, optional
    evidence : str, default "trial"
        Attribution carried into the estimands.
    label : str, default "GRCS"
        The composite endpoint's label for the estimands.
    arm_labels : tuple of str, optional
        How the estimands' labels name the two arms; default ``arms``.

    Returns
    -------
    GrcsPrediction

    Raises
    ------
    EvidenceError
        If the shapes disagree.

    Notes
    -----
    For each posterior draw :math:`s`: simulate each arm's patients from the
    illness-death process with hazards :math:`h^{(s)}` (time of death, time of the first
    EFS event), give each patient event-free at the horizon correlated normal values of
    FVC, HAQ-DI and mRSS with means :math:`\mu^{(s)}` and SDs :math:`\sigma^{(s)}`,
    and compare all pairs through the hierarchy. The trial-size comparison (``n_trial``)
    carries the sampling noise of a trial of that size and is the posterior predictive
    of the published percentage; the population comparison (``options.n_population``
    per arm) estimates the win statistics of the two treatments themselves.

    Draws of the survival and longitudinal posteriors are paired by index: the two fits
    are independent, so this samples their joint posterior.
    """
    options = options or GrcsSimulationOptions()
    h = np.asarray(hazards, dtype=float)
    edges = np.asarray(boundaries, dtype=float)
    if h.ndim != 5 or h.shape[2] != 2 or h.shape[4] != len(TRANSITIONS):
        raise EvidenceError(
            "hazards must have shape (chain, draw, arm = 2, interval, transition = 3), "
            f"not {h.shape}",
            field="hazards",
        )
    shape = (h.shape[0], h.shape[1])
    n_samples = shape[0] * shape[1]
    h = h.reshape(n_samples, 2, h.shape[3], h.shape[4])
    mu = _per_sample(means, shape, "means")
    sigma = _per_sample(sds, shape, "sds")
    if np.any(sigma <= 0) or not np.all(np.isfinite(sigma)):
        raise EvidenceError("SDs must be positive and finite", field="sds")
    if not np.all(np.isfinite(mu)):
        raise EvidenceError("means must be finite", field="means")
    n_exp, n_ctl = (int(v) for v in n_trial)
    hierarchy = grcs_hierarchy(options)
    rng = np.random.default_rng(options.seed)
    tau = options.horizon_months

    def simulate(arm: int, normals: np.ndarray, rho: float) -> np.ndarray:
        return simulate_grcs_arm(h[:, arm], edges, normals, mu[:, arm], sigma[:, arm],
                                 correlation=rho, horizon=tau, rng=rng)

    # One simulated cohort per arm and draw serves both comparisons: its first n_trial
    # patients are a trial of the published size, its first n_population patients the
    # population sample (patients are independent within a draw). The continuous values
    # for every correlation come from the same standard normals (common random numbers),
    # so that the sensitivity analysis differs by the correlation alone.
    k = len(CONTINUOUS_LEVELS)
    n_pop = int(options.n_population)
    normals_x = rng.standard_normal((n_samples, max(n_pop, n_exp), k))
    normals_y = rng.standard_normal((n_samples, max(n_pop, n_ctl), k))
    cohort_x = simulate(0, normals_x, options.correlation)
    cohort_y = simulate(1, normals_y, options.correlation)
    trial_result = win_statistics_draws(cohort_x[:, :n_exp], cohort_y[:, :n_ctl], hierarchy)
    base_x, base_y = cohort_x[:, :n_pop], cohort_y[:, :n_pop]
    normals_x, normals_y = normals_x[:, :n_pop], normals_y[:, :n_pop]
    sensitivity: dict[float, WinStatistics] = {}
    for rho in dict.fromkeys((options.correlation, *options.correlation_sensitivity)):
        x, y = base_x.copy(), base_y.copy()
        if rho != options.correlation:
            for arm, array, normals in ((0, x, normals_x), (1, y, normals_y)):
                _recorrelate(array, normals, mu[:, arm], sigma[:, arm], rho)
        sensitivity[float(rho)] = win_statistics_draws(x, y, hierarchy)
    return GrcsPrediction(
        arms=(arms[0], arms[1]),
        shape=shape,
        population=sensitivity[float(options.correlation)],
        trial=trial_result,
        sensitivity=sensitivity,
        options=options,
        entry=entry,
        trial_name=trial_name,
        evidence=evidence,
        label=label,
        arm_labels=arm_labels,
    )


def _recorrelate(
    array: np.ndarray, normals: np.ndarray, mu: np.ndarray, sigma: np.ndarray, rho: float
) -> None:
    """Replace the continuous values of ``array`` in place for correlation ``rho``."""
    k = len(CONTINUOUS_LEVELS)
    chol = np.linalg.cholesky(np.full((k, k), rho) + (1.0 - rho) * np.eye(k))
    values = mu[:, np.newaxis, :] + sigma[:, np.newaxis, :] * _orientation() * (normals @ chol.T)
    event_free = ~np.isnan(array[:, :, 2])
    array[:, :, 2:] = np.where(event_free[:, :, np.newaxis], values, np.nan)


def _per_sample(values: np.ndarray, shape: tuple[int, int], name: str) -> np.ndarray:
    """Broadcast ``(arm, 3)`` or ``(chain, draw, arm, 3)`` to ``(sample, arm, 3)``."""
    array = np.asarray(values, dtype=float)
    k = len(CONTINUOUS_LEVELS)
    try:
        array = np.broadcast_to(array, (*shape, 2, k))
    except ValueError:
        raise EvidenceError(
            f"{name} must have shape (arm = 2, {k}) or (chain, draw, arm = 2, {k}) matching "
            f"the hazards' (chain, draw) = {shape}, not {np.shape(values)}",
            field=name,
        ) from None
    return array.reshape(shape[0] * shape[1], 2, k)


def grcs_from_posteriors(
    transition_hazards: xr.DataArray,
    outcome_means: xr.DataArray,
    outcome_sds: xr.DataArray | Mapping[str, float],
    *,
    trial: Trial,
    options: GrcsSimulationOptions | None = None,
    evidence: str = "trial",
) -> GrcsPrediction:
    """Model-based GRCS from labelled posterior draws: the survival and longitudinal fits.

    Parameters
    ----------
    transition_hazards : xarray.DataArray
        Dims ``chain, draw, arm, transition, interval`` (any order), transition labels
        :data:`bayes_scot.stats.illness_death.TRANSITIONS`, and the interval boundaries
        (months, from 0) in ``attrs["boundaries_months"]`` (or ``attrs["boundaries"]``),
        as returned by :meth:`bayes_scot.builders.survival.SurvivalModel.transition_hazards`.
    outcome_means : xarray.DataArray
        Dims ``arm, endpoint`` and optionally ``chain, draw`` (the hazards' chains and at
        least their draws per chain; more draws are thinned to evenly spaced ones), in
        any order: means at the horizon of the endpoints ``fvc``, ``haq_di`` and ``mrss``
        among patients event-free then, e.g. the longitudinal model's posterior
        ``level`` at the 54-month visit, ``idata.posterior["level"].sel(visit=54)``.
    outcome_sds : xarray.DataArray or mapping of str to float
        Between-patient SDs, labelled like ``outcome_means`` or one value per endpoint
        for both arms.
    trial : Trial
        Names the arms and holds the published GRCS summary at the horizon, which sets
        the trial-size comparison (its ``n``) and the reproduce row.
    options : GrcsSimulationOptions, optional
    evidence : str, default "trial"
        Attribution carried into the estimands.

    Returns
    -------
    GrcsPrediction

    Raises
    ------
    EvidenceError
        If a dimension, label or the boundaries are missing.
    """
    options = options or GrcsSimulationOptions()
    arms = [trial.experimental, trial.control]
    entry = grcs_entry(trial, options.horizon_months,
                       analysed_population(trial, options.horizon_months))
    hazards = _labelled(transition_hazards, "transition_hazards",
                        ("chain", "draw", "arm", "interval", "transition"),
                        {"arm": arms, "transition": list(TRANSITIONS)})
    boundaries = next(
        (transition_hazards.attrs[k] for k in ("boundaries_months", "boundaries")
         if k in transition_hazards.attrs),
        None,
    )
    if boundaries is None:
        raise EvidenceError(
            "the hazards need their interval boundaries in attrs['boundaries_months']",
            field="transition_hazards",
        )
    shape = (hazards.sizes["chain"], hazards.sizes["draw"])
    means = _outcome_array(outcome_means, "outcome_means", arms, shape)
    if isinstance(outcome_sds, Mapping):
        missing = [k for k in CONTINUOUS_LEVELS if k not in outcome_sds]
        if missing:
            raise EvidenceError(f"no SD for {', '.join(missing)}", field="outcome_sds")
        sds = np.broadcast_to(np.array([float(outcome_sds[k]) for k in CONTINUOUS_LEVELS]),
                              (2, len(CONTINUOUS_LEVELS)))
    else:
        sds = _outcome_array(outcome_sds, "outcome_sds", arms, shape)
    return model_based_grcs(
        hazards.values,
        np.asarray(boundaries, dtype=float),
        means,
        sds,
        n_trial=(int(entry.n[arms[0]]), int(entry.n[arms[1]])),
        arms=(arms[0], arms[1]),
        options=options,
        entry=entry,
        trial_name=trial.name,
        evidence=evidence,
        label=trial.endpoint(ENDPOINT).label,
        arm_labels=trial.arm_labels,
    )


def _labelled(
    array: xr.DataArray, name: str, dims: tuple[str, ...], labels: Mapping[str, list[str]]
) -> xr.DataArray:
    missing = [d for d in dims if d not in array.dims]
    if missing:
        raise EvidenceError(f"needs the dims {', '.join(dims)}; missing {', '.join(missing)}",
                            field=name)
    try:
        selected = array.sel(labels)
    except KeyError as err:
        raise EvidenceError(f"missing label {err}", field=name) from None
    return selected.transpose(*dims)


def _outcome_array(
    array: xr.DataArray, name: str, arms: list[str], shape: tuple[int, int]
) -> np.ndarray:
    if "chain" in array.dims or "draw" in array.dims:
        selected = _labelled(array, name, ("chain", "draw", "arm", "endpoint"),
                             {"arm": arms, "endpoint": list(CONTINUOUS_LEVELS)})
        chains, draws = selected.sizes["chain"], selected.sizes["draw"]
        if chains == shape[0] and draws > shape[1]:
            # A longer posterior (the longitudinal fit samples more draws per chain) is
            # thinned to evenly spaced draws of each chain, pairing them by index.
            keep = np.linspace(0, draws - 1, shape[1]).round().astype(int)
            selected = selected.isel(draw=keep)
        if (selected.sizes["chain"], selected.sizes["draw"]) != shape:
            raise EvidenceError(
                f"has (chain, draw) = ({selected.sizes['chain']}, {selected.sizes['draw']}) "
                f"but the hazards have {shape}; thin both posteriors to the same draws",
                field=name,
            )
        return np.asarray(selected.values, dtype=float)
    selected = _labelled(array, name, ("arm", "endpoint"),
                         {"arm": arms, "endpoint": list(CONTINUOUS_LEVELS)})
    return np.asarray(selected.values, dtype=float)
