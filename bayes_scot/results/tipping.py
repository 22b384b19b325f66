r"""Tipping points: what it would take for P(superior) to fall below 0.95 or 0.90.

For each headline estimand of a reference fit, two questions are answered by
importance reweighting of its posterior draws (Pareto-smoothed, Vehtari et al. 2024),
without refitting:

* **Sceptical prior strength.** Replace the reference prior on the treatment-effect
  parameter :math:`\theta` by a sceptical :math:`N(0, \sigma^2)`: the log weight of a
  draw is :math:`\log N(\theta; 0, \sigma^2) - \log N(\theta; m_0, s_0^2)`. The tipping
  SD is the largest :math:`\sigma` (the weakest sceptical prior) at which P(superior)
  falls below the threshold.
* **External-evidence weight.** External evidence enters as a power prior, its
  log-likelihood :math:`\ell` multiplied by :math:`a_0`; weight :math:`a` instead gives
  the log weight :math:`(a / a_0 - 1)\, a_0 \ell`. The tipping weight is the largest
  :math:`a \le a_0` at which P(superior) falls below the threshold.

Both are searched on a grid refined by linear interpolation, and reported as NaN with a
note when the reweighting is unreliable at the tipping point (:math:`\hat k > 0.7`, or
fewer than :data:`MIN_EFFECTIVE_DRAWS` effective draws), when the probability is already
below the threshold, or when it never falls below it on the searched range. In a
normal-normal model both have closed forms, against which the tests check them.

A reweighted P(superior) has a Monte Carlo SE (the self-normalised importance sampling
variance :math:`\sum_i w_i^2 (I_i - \hat p)^2`, over the draws' relative efficiency). Where
P(superior) changes slowly with the SD or the weight, that SE moves the crossing far: the
note then gives the range over which :math:`\hat p \pm 2\,\mathrm{SE}` crosses the
threshold, whenever its ends differ by more than :data:`IMPRECISE_RATIO`, so that a
tipping point is never read more precisely than the draws allow (a refit under a
sceptical prior from the grid may fall on either side of it within that range).
"""

from __future__ import annotations

import dataclasses
import math
import warnings
from collections.abc import Callable, Iterable, Sequence
from types import SimpleNamespace

import numpy as np
import pandas as pd

from bayes_scot import _compat
from bayes_scot.conventions import DECISION_THRESHOLDS
from bayes_scot.results.fits import PriorFit
from bayes_scot.results.joint import parse_estimand_key
from bayes_scot.results.sensitivity import effect_log_prior
from bayes_scot.stats.estimands import EstimandDraws, summarise_draws

__all__ = ["IMPRECISE_RATIO", "KHAT_MAX", "MIN_EFFECTIVE_DRAWS", "THRESHOLDS", "TIPPING_COLUMNS",
           "psis_log_weights", "tipping_points"]

THRESHOLDS: tuple[float, ...] = DECISION_THRESHOLDS
"""The P(superior) thresholds whose tipping points are reported
(:data:`bayes_scot.conventions.DECISION_THRESHOLDS`)."""

TIPPING_COLUMNS: tuple[str, ...] = (
    "family",
    "endpoint",
    "estimand",
    "threshold",
    "external_weight",
    "skeptical_sd",
    "p_superior",
    "current_weight",
    "note",
    "skeptical_sd_lower",
    "skeptical_sd_upper",
    "external_weight_lower",
    "external_weight_upper",
)
"""Columns of :func:`tipping_points`, in order (documented in ``docs/report-schema.md``)."""

KHAT_MAX: float = 0.7
"""Largest Pareto k-hat at which importance reweighting is trusted (Vehtari et al. 2024)."""

MIN_EFFECTIVE_DRAWS: float = 100.0
"""Fewest effective draws (importance-sampling ESS times the draws' relative efficiency)
at which a reweighted P(superior) is used: below, its Monte Carlo SE near 0.9 exceeds
0.03. A narrower prior gives bounded weights, so k-hat stays low while the effective
draws collapse; this catches that."""

IMPRECISE_RATIO: float = 1.25
"""A tipping point whose Monte Carlo range (the crossings of P(superior) plus and minus
two SEs) spans more than this ratio gets the range in its note."""

SD_GRID_POINTS = 120
"""Points of the log-spaced grid of sceptical SDs, from 1/200 of the reference SD up."""


def psis_log_weights(log_ratios: np.ndarray) -> tuple[np.ndarray, float]:
    """Pareto-smoothed importance log weights and their k-hat (ArviZ ``psislw``).

    Parameters
    ----------
    log_ratios : numpy.ndarray
        Log importance ratios, shape ``(chain, draw)`` or flat.

    Returns
    -------
    tuple of numpy.ndarray and float
        Normalised log weights (flat) and the Pareto shape estimate k-hat.

    References
    ----------
    .. [1] Vehtari A, Simpson D, Gelman A, Yao Y, Gabry J. Pareto smoothed importance
       sampling. JMLR 2024;25(72):1-58.
    """
    flat = np.asarray(log_ratios, dtype=float).ravel()
    if np.ptp(flat) == 0.0:
        return np.full(flat.size, -math.log(flat.size)), 0.0
    with warnings.catch_warnings():
        # k-hat is returned and judged by the caller; ArviZ's own warning adds nothing.
        warnings.simplefilter("ignore")
        return _compat.psislw(flat - flat.max(), reff=1.0)


def _superior(e: EstimandDraws) -> np.ndarray:
    x = np.asarray(e.draws, dtype=float).ravel()
    return x > e.null if e.superior == "higher" else x < e.null


@dataclasses.dataclass(frozen=True)
class _Point:
    """P(superior) reweighted to one value of the searched SD or weight."""

    value: float
    p: float
    khat: float
    se: float
    effective: float

    @property
    def reliable(self) -> bool:
        return self.khat <= KHAT_MAX and self.effective >= MIN_EFFECTIVE_DRAWS


def _curve(
    values: np.ndarray,
    log_ratio: Callable[[float], np.ndarray],
    indicator: np.ndarray,
    lowest: float,
    efficiency: float,
) -> list[_Point]:
    """P(superior), k-hat, Monte Carlo SE and effective draws along ``values``.

    ``efficiency`` is the draws' relative efficiency (bulk ESS over draws). Stops where
    P falls below ``lowest`` (less two SEs) or the weights become unreliable: beyond
    that point nothing can be said from these draws.
    """
    curve = []
    for v in values:
        lw, khat = psis_log_weights(log_ratio(float(v)))
        w = np.exp(lw)
        p = float(w[indicator].sum())
        se = math.sqrt(float(np.sum(w**2 * (indicator - p) ** 2)) / efficiency)
        point = _Point(float(v), p, khat, se, efficiency / float(np.sum(w**2)))
        curve.append(point)
        if p + 2.0 * se < lowest or not point.reliable:
            break
    return curve


def _first_below(curve: Sequence[_Point], threshold: float, shift: float) -> float:
    """Interpolated value where ``p + shift * se`` first falls below ``threshold``."""
    previous = None
    for point in curve:
        if not point.reliable:
            return math.nan
        value = point.p + shift * point.se
        if value < threshold:
            if previous is None:
                return point.value
            v0, p0 = previous
            return v0 + (p0 - threshold) / (p0 - value) * (point.value - v0)
        previous = (point.value, value)
    return math.nan


@dataclasses.dataclass(frozen=True)
class _Crossing:
    """Where P(superior) falls below a threshold: value, note, and its Monte Carlo range.

    ``lower`` and ``upper`` are given (else NaN) when the range over which P(superior)
    plus and minus two SEs crosses is wide (:data:`IMPRECISE_RATIO`); ``lower`` is NaN
    when within two SEs P(superior) may not cross at all on the searched range (below
    ``upper``, it may or may not).
    """

    value: float
    note: str
    lower: float = math.nan
    upper: float = math.nan


def _crossing(curve: list[_Point], threshold: float, what: str) -> _Crossing:
    """Interpolate where the curve first falls below ``threshold``; NaN and why if not."""
    for i, point in enumerate(curve):
        if not point.reliable:
            last = curve[max(i - 1, 0)].value
            why = (f"k-hat {point.khat:.2f} > {KHAT_MAX:g}" if point.khat > KHAT_MAX
                   else f"{point.effective:.0f} effective draws < {MIN_EFFECTIVE_DRAWS:g}")
            return _Crossing(math.nan, f"{what}: P(superior) stays above {threshold:g} "
                             f"down to {last:.3g}; beyond, the draws cannot tell ({why})")
        if point.p >= threshold:
            continue
        if i == 0:
            return _Crossing(math.nan, f"{what}: already below {threshold:g}")
        return _imprecision(curve, threshold, what, _first_below(curve, threshold, 0.0))
    first, last = curve[0].value, curve[-1].value
    return _Crossing(math.nan, f"{what}: never below {threshold:g} between {first:.3g} and "
                     f"{last:.3g}")


def _imprecision(curve: list[_Point], threshold: float, what: str,
                 value: float) -> _Crossing:
    """Return the crossing ``value`` with its Monte Carlo range when that range is wide."""
    early, late = _first_below(curve, threshold, -2.0), _first_below(curve, threshold, 2.0)
    if math.isnan(late):
        return _Crossing(value, f"{what}: imprecise: within two Monte Carlo SEs "
                         f"P(superior) may stay above {threshold:g} beyond "
                         f"{curve[-1].value:.3g}", upper=early)
    lower, upper = sorted((early, late))
    if lower > 0 and upper / lower <= IMPRECISE_RATIO:
        return _Crossing(value, "")
    # A crossing at the first point searched may lie beyond the searched range.
    beyond = " or beyond" if curve[0].value in (lower, upper) else ""
    return _Crossing(value, f"{what}: imprecise: within two Monte Carlo SEs P(superior) "
                     f"crosses {threshold:g} anywhere from {lower:.3g} to {upper:.3g}{beyond}",
                     lower=lower, upper=upper)


def _sceptical(fit: PriorFit, e: EstimandDraws, thresholds: Sequence[float],
               ) -> list[_Crossing]:
    if fit.idata is None or not fit.effect_priors:
        return [_Crossing(math.nan, "no effect prior to replace")] * len(thresholds)
    reference = effect_log_prior(fit).to_numpy().ravel()
    scale = max(float(p.sd) for p in fit.effect_priors.values())
    grid = np.geomspace(scale, scale / 200.0, SD_GRID_POINTS)

    def log_ratio(sd: float) -> np.ndarray:
        sceptical = dataclasses.replace(fit, effect_priors={
            name: SimpleNamespace(mean=0.0, sd=sd) for name in fit.effect_priors})
        return effect_log_prior(sceptical).to_numpy().ravel() - reference

    curve = _curve(grid, log_ratio, _superior(e), min(thresholds), _efficiency(e))
    return [_crossing(curve, t, "sceptical SD") for t in thresholds]


def _efficiency(e: EstimandDraws) -> float:
    """Relative efficiency of the draws of P(superior): bulk ESS of its indicator over n."""
    indicator = _superior(e).astype(float).reshape(e.draws.shape)
    if e.draws.shape[0] < 2 or np.ptp(indicator) == 0.0:
        return 1.0
    ess = summarise_draws(dataclasses.replace(e, draws=indicator)).ess_bulk
    return float(min(1.0, ess / indicator.size)) if ess > 0 else 1.0


def _external(fit: PriorFit, e: EstimandDraws, thresholds: Sequence[float],
              ) -> tuple[float, list[_Crossing]]:
    terms = [t for t in fit.likelihood_terms if t.role(e.endpoint) == "external"]
    a0 = max((t.weight for t in terms if not math.isnan(t.weight)), default=math.nan)
    why = ""
    if not terms:
        why = "no external evidence"
    elif e.attrs.get("external_method", "power") != "power":
        why = "external evidence is not a power prior"
    elif not a0 > 0:
        why = "external weight is zero"
    if why:
        return a0, [_Crossing(math.nan, why)] * len(thresholds)
    loglik = np.sum([np.asarray(t.draws, dtype=float).ravel() for t in terms], axis=0)
    curve = _curve(np.linspace(a0, 0.0, 101), lambda a: (a / a0 - 1.0) * loglik,
                   _superior(e), min(thresholds), _efficiency(e))
    return a0, [_crossing(curve, t, "external weight") for t in thresholds]


def tipping_points(
    fits: Iterable[PriorFit],
    headline: Sequence[str | Sequence[str]],
    *,
    reference_prior: str,
    thresholds: Sequence[float] = THRESHOLDS,
) -> pd.DataFrame:
    """Sceptical prior SD and external weight at which P(superior) falls below each threshold.

    Parameters
    ----------
    fits : iterable of PriorFit
        The reference fits are used (those under ``reference_prior``, without a route).
    headline : sequence of str or pairs
        ``"endpoint:estimand"`` keys.
    reference_prior : str
    thresholds : sequence of float, default :data:`THRESHOLDS`

    Returns
    -------
    pandas.DataFrame
        Columns :data:`TIPPING_COLUMNS`, one row per headline estimand and threshold
        (none for an estimand whose fit kept neither its posterior nor its likelihood
        terms).
        ``skeptical_sd`` is on the effect parameter's scale (the log hazard ratio, the
        standardised effect, the log win odds); ``external_weight`` is the power-prior
        weight, ``current_weight`` the fitted one; ``note`` says why a value is NaN.
    """
    fits = [f for f in fits if f.prior == reference_prior and not f.route]
    rows = []
    for key in headline:
        endpoint, estimand = parse_estimand_key(key)
        found = [(f, e) for f in fits for e in f.estimands
                 if (e.endpoint, e.estimand) == (endpoint, estimand)]
        if not found:
            continue
        fit, e = found[0]
        if (fit.idata is None or not fit.effect_priors) and not fit.likelihood_terms:
            continue  # no draws to reweight: nothing to say
        sceptical = _sceptical(fit, e, thresholds)
        a0, external = _external(fit, e, thresholds)
        for threshold, sd, weight in zip(thresholds, sceptical, external, strict=True):
            rows.append({
                "family": fit.family, "endpoint": endpoint, "estimand": estimand,
                "threshold": float(threshold), "external_weight": weight.value,
                "skeptical_sd": sd.value, "p_superior": e.p_superior(), "current_weight": a0,
                "note": "; ".join(n for n in (sd.note, weight.note) if n),
                "skeptical_sd_lower": sd.lower, "skeptical_sd_upper": sd.upper,
                "external_weight_lower": weight.lower, "external_weight_upper": weight.upper,
            })
    return pd.DataFrame(rows, columns=list(TIPPING_COLUMNS))
