"""Bayesian reanalysis of a reported treatment effect by closed-form normal-normal updating.

A reported hazard, risk or odds ratio with its confidence interval (or p-value), or a
mean difference with its standard error, is turned into a normal likelihood for the
effect on the working scale (the log scale for ratios). Under a normal prior the
posterior is normal too, so every summary (median, credible interval, probability of
benefit, of a benefit beyond the MCID, of harm) is a closed form. :func:`reanalyse_effect`
reports them under each prior of a grid, one row per prior.

This is the approach of published Bayesian reanalyses of single trials, e.g. Goligher et
al. (EOLIA, JAMA 2018) and Zampieri et al. (ANDROMEDA-SHOCK, AJRCCM 2020).
"""

from __future__ import annotations

import math
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy.special import ndtr, ndtri

from bayes_scot.conventions import CREDIBLE_LEVEL
from bayes_scot.errors import EvidenceError
from bayes_scot.evidence.entries import EffectEstimate, ReportedRatio
from bayes_scot.stats.conversions import normal_quantile, se_from_ci, se_from_p
from bayes_scot.stats.priors import EffectPrior, prior_grid

__all__ = [
    "DEFAULT_RATIO_DESIGN",
    "DEFAULT_RATIO_NEUTRAL_LIMITS",
    "DEFAULT_RATIO_REFERENCE_SD",
    "MEASURES",
    "P_VALUE_BOUND",
    "RATIO_MEASURES",
    "SE_AGREEMENT",
    "WORKING_LIMITS",
    "NormalLikelihood",
    "default_ratio_grid",
    "normal_posterior",
    "printed_range",
    "reanalyse_effect",
    "reanalyse_entry",
    "reported_likelihood",
]

RATIO_MEASURES: tuple[str, ...] = ("HR", "RR", "OR")
"""Ratio measures, analysed on the log scale."""

MEASURES: tuple[str, ...] = (*RATIO_MEASURES, "MD")
"""Measures :func:`reanalyse_effect` accepts; ``MD`` is a mean difference (natural scale)."""

DEFAULT_RATIO_DESIGN: float = 2.0 / 3.0
"""Default hoped-for ratio of the grid for ratio measures: a one-third reduction."""

DEFAULT_RATIO_REFERENCE_SD: float = 10.0
"""SD of the reference prior on a log ratio: practically flat, so that the reference
posterior reproduces the reported estimate and interval."""

DEFAULT_RATIO_NEUTRAL_LIMITS: Mapping[str, float] = {
    "strong": math.log(1.5),
    "moderate": math.log(2.0),
    "weak": math.log(4.0),
}
"""Half-widths on the log scale of the neutral priors' 95% ranges for ratio measures:
ratios 1/1.5 to 1.5 (SD 0.207) and 1/2 to 2 (SD 0.354), Zampieri et al.'s strong and
moderate neutral priors, and 1/4 to 4 (SD 0.707)."""

SE_AGREEMENT: float = 0.10
"""Largest relative difference between a given SE and the SE of a given interval.

Reported limits are rounded (HR 0.34, 95% CI 0.16-0.74 to two decimals); the SE of a
rounded interval differs from the unrounded one by a few percent for the intervals
trials report, so a larger difference means the two numbers describe different
estimates and the reanalysis refuses to choose between them."""

P_VALUE_BOUND: float = 0.001
"""Largest p-value that a p-value given beside an interval is read as a bound on.

Papers print small p-values as "P<0.001"; typed as 0.001 it says only that the p-value is
at most that, so it is checked against an interval as a bound (any smaller p-value
agrees with it). Other bounds ("P<0.05") are no p-value to check: leave them out."""

Benefit = Literal["lower", "higher"]


@dataclass(frozen=True)
class NormalLikelihood:
    """A reported effect as a normal likelihood on the working scale.

    Parameters
    ----------
    estimate : float
        Point estimate on the working scale (log ratio, or mean difference).
    se : float
        Its standard error.
    measure : str
        ``"HR"``, ``"RR"``, ``"OR"`` or ``"MD"``.
    source : str
        How ``se`` was obtained: ``"ci"``, ``"p_value"`` or ``"se"``.
    """

    estimate: float
    se: float
    measure: str
    source: str

    @property
    def is_ratio(self) -> bool:
        """Whether the measure is a ratio (working scale = log scale)."""
        return self.measure in RATIO_MEASURES


WORKING_LIMITS: Mapping[str, tuple[float, float, float]] = {
    "log": (1e-6, 100.0, 100.0),
    "natural": (1e-6, 1e6, 1e6),
}
"""Range of the numbers :func:`reanalyse_effect` computes with, per working scale:
``(smallest SE or prior SD, largest SE or prior SD, largest |estimate| or |prior mean|)``.

On the natural scale (mean differences) squares and precisions stay within
``[1e-12, 1e12]`` and every weighted sum within ``1e18``, far inside the range of a
double, so the conjugate update is exact to rounding; a quantity beyond it is given in
other units (thousands, millionths). On the log scale (ratios) an SD of 100 is ten times
that of the practically flat reference prior and a location of 100 is a ratio of
``e**100`` (about ``1e43``); they keep the posterior interval ``m ± 1.96 s`` within
``±296``, whose exponential is finite and above 0 (a double's ``exp`` overflows beyond
709), so no ratio is printed as ``inf`` or 0."""

_SOURCES = {
    "ci": ("lower", "standard error of the interval"),
    "se": ("se", "standard error"),
    "p_value": ("p_value", "standard error from the p-value"),
}
"""The field each source of a standard error is reported under, and its description."""


def _check_working(value: float, what: str, *, scale: str, spread: bool, field: str) -> None:
    """Refuse a location (``spread=False``) or SE/SD outside :data:`WORKING_LIMITS`."""
    low, high, reach = WORKING_LIMITS[scale]
    if not spread:
        low, high = -reach, reach
    if not low <= value <= high:  # also refuses NaN
        raise EvidenceError(
            f"{what} {value:g} is outside [{low:g}, {high:g}], the range the reanalysis "
            f"computes with on the {scale} scale", field=field,
        )


def _check_precision(sd: ArrayLike, field: str) -> None:
    """Refuse an SD whose square, or its reciprocal, is not a finite positive double."""
    tiny = math.sqrt(sys.float_info.min)
    values = np.asarray(sd, dtype=float)
    if np.any(~(values >= tiny)) or np.any(~(values <= 1.0 / tiny)):
        raise EvidenceError(
            f"must be between {tiny:.0e} and {1.0 / tiny:.0e} to compute with (its square "
            "underflows or overflows otherwise)", field=field,
        )


def _check_measure(measure: str) -> str:
    if measure not in MEASURES:
        raise EvidenceError(f"must be one of {', '.join(MEASURES)}, not {measure!r}",
                            field="measure")
    return measure


def reported_likelihood(
    estimate: float,
    lower: float | None = None,
    upper: float | None = None,
    *,
    measure: str = "HR",
    level: float = 0.95,
    p_value: float | None = None,
    se: float | None = None,
) -> NormalLikelihood:
    """Turn a reported effect into a normal likelihood on the working scale.

    Parameters
    ----------
    estimate : float
        Reported point estimate on its natural scale (a ratio, or a mean difference).
    lower, upper : float, optional
        Confidence limits at ``level``. Used when given.
    measure : {"HR", "RR", "OR", "MD"}, default "HR"
    level : float, default 0.95
        Confidence level of the reported interval.
    p_value : float, optional
        Two-sided p-value, used when no interval and no ``se`` is given. Given with an
        interval, or with ``se`` and no interval, it is a check: the SE it implies with
        the estimate must agree with the SE used (the interval's, else ``se``) within
        :data:`SE_AGREEMENT`, allowing for the rounding of the p-value and the estimate
        (one at most :data:`P_VALUE_BOUND` is read as a bound, "P<0.001").
    se : float, optional
        Standard error on the working scale (log scale for ratios), used when no
        interval is given. Given with an interval, it must agree with the interval's SE
        within :data:`SE_AGREEMENT`, and the interval is used.

    Returns
    -------
    NormalLikelihood

    Raises
    ------
    EvidenceError
        Bad or missing input: no interval, SE or p-value; a ratio that is not positive;
        an interval that does not contain the estimate; an SE or a p-value that
        disagrees with the interval; a p-value that disagrees with the SE given without
        an interval.

    Notes
    -----
    The working-scale estimate is ``log(estimate)`` for ratios. The SE comes from the
    interval, ``(log upper - log lower) / (2 z)``, else from ``se``, else from the
    p-value, ``|log estimate| / Phi^-1(1 - p/2)`` (see :mod:`bayes_scot.stats.conversions`).
    """
    measure = _check_measure(measure)
    is_ratio = measure in RATIO_MEASURES
    if estimate is None or isinstance(estimate, bool):
        raise EvidenceError("an estimate is required", field="estimate")
    if isinstance(estimate, str | bytes):  # float("0.34") would read it silently
        raise EvidenceError(f"must be a number, not the text {estimate!r}", field="estimate")
    try:
        value = float(estimate)
    except (TypeError, ValueError):
        raise EvidenceError(f"must be a number, not {estimate!r}", field="estimate") from None
    if not math.isfinite(value):
        raise EvidenceError(f"must be finite, not {value!r}", field="estimate")
    if is_ratio and value <= 0:
        raise EvidenceError(f"a ratio must be positive, not {value!r}", field="estimate")
    theta = math.log(value) if is_ratio else value
    scale = "log" if is_ratio else "natural"
    _check_working(theta, f"the {scale}-scale estimate", scale=scale, spread=False,
                   field="estimate")
    if (lower is None) != (upper is None):
        raise EvidenceError("give both confidence limits, or neither",
                            field="upper" if upper is None else "lower")
    if lower is not None and upper is not None:
        s = se_from_ci(lower, upper, level=level, log=is_ratio)
        if not float(lower) <= value <= float(upper):
            raise EvidenceError(
                f"interval [{lower:g}, {upper:g}] does not contain the estimate {value:g}",
                field="lower",
            )
        if se is not None and not abs(float(se) - s) <= SE_AGREEMENT * s:
            raise EvidenceError(
                f"{se!r} disagrees with the SE {s:.4g} of the interval [{lower:g}, "
                f"{upper:g}] by more than {SE_AGREEMENT:.0%}; give the interval or the SE",
                field="se",
            )
        if p_value is not None:
            _check_p_value(p_value, value, s, log=is_ratio,
                           given=f"the interval [{lower:g}, {upper:g}] around {value:g}",
                           name="interval")
        return _checked_likelihood(theta, s, measure, "ci")
    if se is not None:
        s = float(se)
        if not math.isfinite(s) or s <= 0:
            raise EvidenceError(f"must be positive, not {se!r}", field="se")
        likelihood = _checked_likelihood(theta, s, measure, "se")
        if p_value is not None:
            _check_p_value(p_value, value, s, log=is_ratio, name="SE",
                           given=f"the {scale}-scale SE {s:g} of {value:g}")
        return likelihood
    if p_value is not None:
        return _checked_likelihood(theta, se_from_p(value, p_value, log=is_ratio), measure,
                                   "p_value")
    raise EvidenceError("needs a confidence interval, a standard error or a p-value",
                        field="lower")


def printed_range(value: float) -> tuple[float, float]:
    """Return the numbers that print as ``value``: half a unit of its last digit either side.

    ``0.04`` stands for [0.035, 0.045] and ``0.043`` for [0.0425, 0.0435]; a value with
    more digits (computed rather than copied from a paper) for a narrower range.
    """
    exponent = Decimal(repr(float(value))).as_tuple().exponent
    half = 0.5 * 10.0**exponent if isinstance(exponent, int) else 0.0
    return value - half, value + half


def _check_p_value(p_value: float, estimate: float, se: float, *, log: bool, given: str,
                   name: Literal["interval", "SE"]) -> None:
    """Refuse a p-value that contradicts the interval or the SE given with it.

    The SE the two-sided p-value implies with the estimate, ``|theta| / Phi^-1(1 - p/2)``,
    is compared with ``se``, the SE used: the interval's, or the one given without an
    interval. ``given`` describes it with the estimate as the message names them ("the
    interval [0.4, 0.97] around 0.62", "the log-scale SE 0.2 of 0.62") and ``name`` is
    what the message asks the user to keep instead of the p-value.

    Reported numbers are rounded, and this SE is sensitive to their rounding: P = 0.01
    printed from [0.005, 0.015] moves it by about 8%, and near no effect (HR 0.98,
    P = 0.85) the estimate printed to two digits moves it by a quarter; "P<0.001" bounds
    it from above only. A fixed tolerance wide enough for all of that would let real
    contradictions through (P = 0.5 beside an interval that excludes no effect), so the
    check takes the range of SEs that the p-value and the estimate imply as printed (each
    standing for half a unit of its last digit either side, a p-value at most
    :data:`P_VALUE_BOUND` for everything below it) and refuses only when that whole range
    is more than :data:`SE_AGREEMENT` from ``se``: the tolerance of an SE given with an
    interval, which covers the rounding of the interval (or of the SE) and a p-value from
    another test (log-rank beside a Wald interval).
    """
    try:
        p = math.nan if isinstance(p_value, bool | str | bytes) else float(p_value)
    except (TypeError, ValueError):
        p = math.nan
    if not 0.0 < p <= 1.0:
        raise EvidenceError(f"a two-sided p-value must be in (0, 1], not {p_value!r}",
                            field="p_value")
    low, high = printed_range(estimate)
    ends = (math.log(low), math.log(high)) if log and low > 0 else (low, high)
    smallest = 0.0 if ends[0] <= 0.0 <= ends[1] else min(abs(ends[0]), abs(ends[1]))
    largest = max(abs(ends[0]), abs(ends[1]))
    p_low, p_high = printed_range(p)
    p_low = 0.0 if p <= P_VALUE_BOUND else p_low
    z_high = -float(ndtri(p_low / 2.0)) if p_low > 0.0 else math.inf
    z_low = -float(ndtri(min(p_high, 1.0) / 2.0))
    se_low = smallest / z_high
    se_high = largest / z_low if z_low > 0.0 else math.inf
    if se_high >= (1.0 - SE_AGREEMENT) * se and se_low <= (1.0 + SE_AGREEMENT) * se:
        return
    implied = (f"at least {se_low:.3g}" if math.isinf(se_high) else
               f"at most {se_high:.3g}" if se_low == 0.0 else
               f"{se_low:.3g} to {se_high:.3g}")
    theta = math.log(estimate) if log else estimate
    p_given = 2.0 * float(ndtr(-abs(theta) / se))
    reference = "the SE" if name == "SE" else f"the {name}'s SE"
    raise EvidenceError(
        f"{p_value!r} contradicts {given}, which implies "
        f"P = {p_given:.2g}: the SE the p-value implies ({implied}, allowing for "
        f"rounding) is more than {SE_AGREEMENT:.0%} from {reference}, {se:.3g}; give "
        f"the {name} or the p-value",
        field="p_value",
    )


def _checked_likelihood(theta: float, se: float, measure: str, source: str) -> NormalLikelihood:
    """Return the likelihood once its SE is within :data:`WORKING_LIMITS`."""
    likelihood = NormalLikelihood(theta, se, measure, source)
    scale = "log" if likelihood.is_ratio else "natural"
    field, what = _SOURCES[source]
    _check_working(se, f"the {scale}-scale {what}", scale=scale, spread=True, field=field)
    return likelihood


def normal_posterior(
    prior_mean: ArrayLike, prior_sd: ArrayLike, estimate: float, se: float
) -> tuple[np.ndarray, np.ndarray]:
    r"""Return the posterior mean and SD of a normal mean under a normal prior (conjugate update).

    Parameters
    ----------
    prior_mean, prior_sd : array_like
        Prior :math:`N(m_0, s_0^2)`; broadcast together.
    estimate : float
        Observed estimate :math:`\hat\theta`.
    se : float
        Its standard error.

    Returns
    -------
    mean, sd : numpy.ndarray
        :math:`s_1^{-2} = s_0^{-2} + SE^{-2}` and
        :math:`m_1 = s_1^2 (m_0 / s_0^2 + \hat\theta / SE^2)`.
    """
    m0 = np.asarray(prior_mean, dtype=float)
    s0 = np.asarray(prior_sd, dtype=float)
    if np.any(~np.isfinite(s0)) or np.any(s0 <= 0):
        raise EvidenceError("prior SDs must be positive and finite", field="prior_sd")
    if not math.isfinite(se) or se <= 0:
        raise EvidenceError(f"must be positive, not {se!r}", field="se")
    _check_precision(se, "se")
    _check_precision(s0, "prior_sd")
    w0 = 1.0 / s0**2
    w1 = 1.0 / np.float64(se) ** 2
    var = 1.0 / (w0 + w1)
    with np.errstate(over="ignore", invalid="ignore"):
        mean = var * (w0 * m0 + w1 * estimate)
    if not np.all(np.isfinite(mean)):
        raise EvidenceError("the posterior mean overflows: a prior mean or the estimate is "
                            "too large for its precision", field="prior_mean")
    return mean, np.sqrt(var)


def default_ratio_grid(
    *,
    mcid: float | None = None,
    design: float = DEFAULT_RATIO_DESIGN,
    measure: str = "HR",
    benefit: Benefit = "lower",
) -> dict[str, EffectPrior]:
    """Return the named prior grid used by :func:`reanalyse_effect` for a ratio measure.

    Parameters
    ----------
    mcid : float, optional
        Ratio beyond which the benefit is clinically important (e.g. 0.8); defines the
        skeptical priors. Without it they use ``design``.
    design : float, default 2/3
        Hoped-for ratio; centre of the optimistic priors (and its reciprocal of the
        pessimistic ones).
    measure : str, default "HR"
        Name of the ratio, for the statements.
    benefit : {"lower", "higher"}, default "lower"
        Ratios below 1 favour the experimental arm for harmful events.

    Returns
    -------
    dict of str to EffectPrior
        :func:`~bayes_scot.stats.priors.prior_grid` on the log ratio with reference SD
        :data:`DEFAULT_RATIO_REFERENCE_SD` and neutral limits
        :data:`DEFAULT_RATIO_NEUTRAL_LIMITS`.
    """
    design_log = _ratio_threshold(design, benefit, "design")
    mcid_log = None if mcid is None else _ratio_threshold(mcid, benefit, "mcid")
    return prior_grid(design_effect=design_log, benefit=benefit,
                      reference_sd=DEFAULT_RATIO_REFERENCE_SD, mcid=mcid_log,
                      neutral_limits=DEFAULT_RATIO_NEUTRAL_LIMITS, measure=measure)


def _ratio_threshold(value: float, benefit: Benefit, name: str) -> float:
    try:
        ratio = float(value)
    except (TypeError, ValueError):
        raise EvidenceError(f"must be a number, not {value!r}", field=name) from None
    if not math.isfinite(ratio) or ratio <= 0:
        raise EvidenceError(f"a ratio must be positive and finite, not {value!r}", field=name)
    if (benefit == "lower" and ratio >= 1) or (benefit == "higher" and ratio <= 1):
        side = "below" if benefit == "lower" else "above"
        raise EvidenceError(
            f"{name} {ratio:g} must lie {side} 1, on the side that favours the "
            "experimental arm", field=name,
        )
    return math.log(ratio)


def _difference_threshold(value: float, benefit: Benefit, name: str) -> float:
    """Return an MCID or design effect for a mean difference with the benefit's sign."""
    try:
        magnitude = float(value)
    except (TypeError, ValueError):
        raise EvidenceError(f"must be a number, not {value!r}", field=name) from None
    if not math.isfinite(magnitude) or magnitude <= 0:
        raise EvidenceError(
            f"must be a positive magnitude, not {value!r} (benefit gives the direction)",
            field=name,
        )
    return -abs(magnitude) if benefit == "lower" else abs(magnitude)


def _resolve_priors(
    priors: Mapping[str, EffectPrior | tuple[float, float]] | None,
    likelihood: NormalLikelihood,
    *,
    benefit: Benefit,
    mcid: float | None,
    design_effect: float | None,
) -> list[EffectPrior]:
    if priors is None:
        if likelihood.is_ratio:
            design = DEFAULT_RATIO_DESIGN if design_effect is None else design_effect
            if benefit == "higher" and design_effect is None:
                design = 1.0 / DEFAULT_RATIO_DESIGN
            return list(default_ratio_grid(mcid=mcid, design=design,
                                           measure=likelihood.measure,
                                           benefit=benefit).values())
        hoped_for = design_effect if design_effect is not None else mcid
        if hoped_for is None:
            raise EvidenceError(
                "a mean difference needs design_effect or mcid to scale the default prior "
                "grid, or explicit priors", field="priors",
            )
        design = _difference_threshold(hoped_for, benefit, "design_effect")
        grid = prior_grid(
            design_effect=design, benefit=benefit, reference_sd=10.0 * abs(design),
            mcid=None if mcid is None else _difference_threshold(mcid, benefit, "mcid"),
        )
        return list(grid.values())
    if not isinstance(priors, Mapping) or not priors:
        raise EvidenceError("priors must map names to EffectPrior or (mean, sd) pairs",
                            field="priors")
    resolved = []
    for name, value in priors.items():
        if isinstance(value, EffectPrior):
            resolved.append(value if value.name == name else value.renamed(name,
                                                                         label=value.label))
            continue
        try:
            mean, sd = (float(v) for v in value)
        except (TypeError, ValueError):
            raise EvidenceError(
                f"prior {name!r} must be an EffectPrior or a (mean, sd) pair, not {value!r}",
                field=f"priors.{name}",
            ) from None
        try:
            resolved.append(EffectPrior(
                name=str(name), family="user", strength="", mean=mean, sd=sd,
                statement=f"N({mean:.4g}, {sd:.4g}^2) on the working scale", label=str(name),
            ))
        except EvidenceError as err:
            raise EvidenceError(err.message, field=f"priors.{name}") from None
    return resolved


def _check_priors(priors: list[EffectPrior], scale: str) -> None:
    """Refuse a prior whose mean or SD is outside :data:`WORKING_LIMITS`."""
    for p in priors:
        _check_working(p.mean, f"prior {p.name!r}: mean", scale=scale, spread=False,
                       field=f"priors.{p.name}")
        _check_working(p.sd, f"prior {p.name!r}: SD", scale=scale, spread=True,
                       field=f"priors.{p.name}")


def reanalyse_effect(
    estimate: float,
    lower: float | None = None,
    upper: float | None = None,
    *,
    measure: str = "HR",
    level: float = 0.95,
    priors: Mapping[str, EffectPrior | tuple[float, float]] | None = None,
    p_value: float | None = None,
    mcid: float | None = None,
    se: float | None = None,
    benefit: Benefit | None = None,
    design_effect: float | None = None,
) -> pd.DataFrame:
    r"""Reanalyse a reported effect under a grid of normal priors, in closed form.

    Parameters
    ----------
    estimate : float
        Reported point estimate: a ratio for HR, RR and OR, a difference for MD
        (experimental minus control).
    lower, upper : float, optional
        Reported confidence limits at ``level``; when omitted, ``se`` or ``p_value`` is
        used.
    measure : {"HR", "RR", "OR", "MD"}, default "HR"
    level : float, default 0.95
        Confidence level of the reported interval (the posterior intervals use
        :data:`~bayes_scot.conventions.CREDIBLE_LEVEL`).
    priors : mapping, optional
        Name -> :class:`~bayes_scot.stats.priors.EffectPrior`, or name -> ``(mean, sd)``
        on the working scale (log scale for ratios). Default: for ratios,
        :func:`default_ratio_grid` (reference N(0, 10^2); neutral priors with 95% of the
        mass within ratios 1/1.5-1.5, 1/2-2 and 1/4-4; optimistic centred on
        ``design_effect`` (default 2/3) and pessimistic on its reciprocal, with 5%, 15%
        and 30% probability of the wrong direction; skeptical centred on 1 with 5%, 15%
        and 30% probability of a benefit beyond ``mcid``, or beyond ``design_effect``
        without an MCID). For MD, :func:`~bayes_scot.stats.priors.prior_grid` with the
        design effect (default: the MCID) and reference SD ten times it.
    p_value : float, optional
        Two-sided p-value, used when no interval (and no ``se``) is given; given with an
        interval, or with ``se`` and no interval, it is a check that must agree with the
        SE used as in :func:`reported_likelihood` (an ``EvidenceError`` otherwise), and
        the interval or ``se`` is used.
    mcid : float, optional
        Minimal clinically important effect: a ratio on the benefit side of 1 (e.g. 0.8)
        for ratios; a positive magnitude for MD (its sign follows ``benefit``).
    se : float, optional
        Standard error on the working scale, used when no interval is given; given with
        an interval, it must agree with the interval's SE within :data:`SE_AGREEMENT`
        (an ``EvidenceError`` otherwise) and the interval is used.
    benefit : {"lower", "higher"}, optional
        Which direction favours the experimental arm. Ratios default to ``"lower"``
        (ratio below 1 favours the experimental arm, as for hazards of harmful events);
        MD requires it.
    design_effect : float, optional
        Hoped-for effect for the default grid: a ratio for ratios, a positive magnitude
        for MD.

    Returns
    -------
    pandas.DataFrame
        One row per prior, in order, with columns ``prior, label, median, lower, upper,
        p_benefit, prior_p_benefit, p_mcid, prior_p_mcid, p_harm, prior_mean, prior_sd,
        posterior_mean, posterior_sd, statement``. ``median, lower, upper`` are on the
        natural scale (ratios for ratio measures); the prior and posterior moments on the
        working scale (log for ratios). ``prior_p_benefit`` and ``prior_p_mcid`` are the
        same probabilities under the prior alone, so that each posterior probability is
        read beside its prior one. ``p_mcid`` and ``prior_p_mcid`` are NaN without an
        MCID. ``attrs`` holds the likelihood
        (``estimate``, ``se`` on the working scale, ``se_source``, ``ci_level``: the
        reported interval's level when the SE came from it), ``measure``,
        ``benefit``, ``mcid``, ``credible_level``.

    Notes
    -----
    With likelihood :math:`\hat\theta \sim N(\theta, SE^2)` and prior
    :math:`\theta \sim N(m_0, s_0^2)` the posterior is :math:`N(m_1, s_1^2)`,
    :math:`1/s_1^2 = 1/s_0^2 + 1/SE^2`, :math:`m_1 = s_1^2 (m_0/s_0^2 + \hat\theta/SE^2)`.
    For ratios the posterior median is :math:`e^{m_1}`, the interval
    :math:`e^{m_1 \pm z s_1}`, :math:`P(R < 1) = \Phi(-m_1/s_1)` and
    :math:`P(R < c) = \Phi((\ln c - m_1)/s_1)`. The normal likelihood on the log scale
    is the usual large-sample approximation; with very few events it can be poor.

    References
    ----------
    .. [1] Goligher EC, Tomlinson G, Hajage D, et al. JAMA 2018;320:2251-9.
       doi:10.1001/jama.2018.14276
    .. [2] Zampieri FG, Damiani LP, Bakker J, et al. Effects of a resuscitation strategy
       targeting peripheral perfusion status versus serum lactate levels among patients
       with septic shock. A Bayesian reanalysis of the ANDROMEDA-SHOCK trial. Am J Respir
       Crit Care Med 2020;201:423-9. doi:10.1164/rccm.201905-0968OC
    .. [3] Spiegelhalter DJ, Abrams KR, Myles JP. Bayesian Approaches to Clinical Trials
       and Health-Care Evaluation. Wiley, 2004. doi:10.1002/0470092602

    Examples
    --------
    ASTIS, event-free survival over 3-10 years, HR 0.34 (0.16-0.74):

    >>> table = reanalyse_effect(0.34, 0.16, 0.74, mcid=0.8)
    >>> round(float(table.loc[0, "median"]), 2), round(float(table.loc[0, "p_benefit"]), 3)
    (0.34, 0.997)
    """
    measure = _check_measure(measure)
    likelihood = reported_likelihood(estimate, lower, upper, measure=measure, level=level,
                                     p_value=p_value, se=se)
    if benefit is None:
        if measure == "MD":
            raise EvidenceError(
                "say which direction favours the experimental arm: benefit='lower' or "
                "'higher'", field="benefit",
            )
        benefit = "lower"
    if benefit not in ("lower", "higher"):
        raise EvidenceError(f"must be 'lower' or 'higher', not {benefit!r}", field="benefit")
    if mcid is None:
        threshold = None
    elif likelihood.is_ratio:
        threshold = _ratio_threshold(mcid, benefit, "mcid")
    else:
        threshold = _difference_threshold(mcid, benefit, "mcid")
    prior_list = _resolve_priors(priors, likelihood, benefit=benefit, mcid=mcid,
                                 design_effect=design_effect)
    _check_priors(prior_list, "log" if likelihood.is_ratio else "natural")

    m0 = np.array([p.mean for p in prior_list])
    s0 = np.array([p.sd for p in prior_list])
    m1, s1 = normal_posterior(m0, s0, likelihood.estimate, likelihood.se)
    z = normal_quantile(CREDIBLE_LEVEL)
    lo, hi = m1 - z * s1, m1 + z * s1
    p_benefit, p_mcid = _tail_probabilities(m1, s1, benefit, threshold)
    prior_p_benefit, prior_p_mcid = _tail_probabilities(m0, s0, benefit, threshold)
    back = np.exp if likelihood.is_ratio else (lambda x: x)
    table = pd.DataFrame({
        "prior": [p.name for p in prior_list],
        "label": [p.label for p in prior_list],
        "median": back(m1),
        "lower": back(lo),
        "upper": back(hi),
        "p_benefit": p_benefit,
        "prior_p_benefit": prior_p_benefit,
        "p_mcid": p_mcid,
        "prior_p_mcid": prior_p_mcid,
        "p_harm": 1.0 - p_benefit,
        "prior_mean": m0,
        "prior_sd": s0,
        "posterior_mean": m1,
        "posterior_sd": s1,
        "statement": [p.statement for p in prior_list],
    })
    table.attrs.update({
        "measure": measure,
        "scale": "log" if likelihood.is_ratio else "natural",
        "estimate": likelihood.estimate,
        "se": likelihood.se,
        "se_source": likelihood.source,
        "ci_level": float(level) if likelihood.source == "ci" else None,
        "benefit": benefit,
        "mcid": mcid,
        "credible_level": CREDIBLE_LEVEL,
    })
    return table


def _tail_probabilities(mean: np.ndarray, sd: np.ndarray, benefit: str,
                        threshold: float | None) -> tuple[np.ndarray, np.ndarray]:
    """P(benefit) and P(beyond the MCID threshold) of normals on the working scale."""
    p_low = ndtr(-mean / sd)  # P(theta < 0)
    p_benefit = p_low if benefit == "lower" else 1.0 - p_low
    if threshold is None:
        return p_benefit, np.full_like(mean, np.nan)
    if benefit == "lower":
        return p_benefit, ndtr((threshold - mean) / sd)
    return p_benefit, ndtr((mean - threshold) / sd)


def reanalyse_entry(
    entry: ReportedRatio | EffectEstimate,
    *,
    priors: Mapping[str, EffectPrior | tuple[float, float]] | None = None,
    mcid: float | None = None,
    benefit: Benefit | None = None,
    design_effect: float | None = None,
) -> pd.DataFrame:
    """Reanalyse a trial-file entry (a reported ratio or an external effect estimate).

    Parameters
    ----------
    entry : ReportedRatio or EffectEstimate
        From :meth:`Trial.evidence <bayes_scot.evidence.Trial.evidence>`.
    priors, mcid, benefit, design_effect
        As in :func:`reanalyse_effect`.

    Returns
    -------
    pandas.DataFrame
        As :func:`reanalyse_effect`, with ``attrs["entry"]`` set to the entry's id.
    """
    try:
        if isinstance(entry, ReportedRatio):
            table = reanalyse_effect(
                entry.estimate, entry.lower, entry.upper, measure=entry.measure,
                level=entry.level, priors=priors, p_value=entry.p_value, mcid=mcid,
                benefit=benefit, design_effect=design_effect,
            )
        elif isinstance(entry, EffectEstimate):
            table = reanalyse_effect(
                entry.estimate, entry.lower, entry.upper, measure="MD", level=entry.level,
                priors=priors, p_value=entry.p_value, se=entry.se, mcid=mcid,
                benefit=benefit, design_effect=design_effect,
            )
        else:
            raise EvidenceError(
                f"expects a ReportedRatio or EffectEstimate entry, not {type(entry).__name__}"
            )
    except EvidenceError as err:
        raise err.located(entry=getattr(entry, "id", None)) from None
    table.attrs["entry"] = entry.id
    return table
