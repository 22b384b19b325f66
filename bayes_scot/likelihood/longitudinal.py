"""Observed terms for arm-level summaries of a continuous endpoint measured over time.

A paper reports a continuous endpoint (HAQ-DI, SF-36, mRSS, FVC, DLCO) as arm means at
visits, mean changes from baseline, slopes per year or a between-arm contrast, each with
a standard deviation, standard error, confidence interval or p-value. This module turns
those numbers into standard errors (the ``*_se`` and ``slope_observations`` functions,
plain NumPy) and adds the matching terms to a PyMC model given the model's linear
predictions of the same quantities (the ``add_*`` functions).

Every term is a normal approximation to the sampling distribution of a mean, which the
central limit theorem justifies for the arm sizes of the trials in this package (tens of
patients). The approximations specific to each kind are stated in its docstring.

External evidence (other studies, other populations, non-randomised comparisons) never
enters as if it were data of the trial being reanalysed: :func:`add_discounted_estimates`
adds it through a power prior or a robust mixture whose weight is a data container, shown
in every output and changeable without recompiling.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pymc as pm
import pytensor.tensor as pt
from numpy.typing import ArrayLike

from bayes_scot.errors import EvidenceError
from bayes_scot.evidence.entries import EffectEstimate, SlopeSummary, VisitSummary
from bayes_scot.stats.conversions import se_from_ci, se_from_p, se_from_sd

__all__ = [
    "DISCOUNT_METHODS",
    "SlopeObservations",
    "add_discounted_estimates",
    "add_normal_summaries",
    "add_visit_means",
    "effect_estimate_se",
    "slope_observations",
    "visit_correlation",
    "visit_summary_se",
]

Correlation = Literal["ar1", "cs"]
DiscountMethod = Literal["power", "mixture"]

DISCOUNT_METHODS: tuple[str, ...] = ("power", "mixture")
"""How external evidence is discounted: a power prior or a robust mixture."""


# -- numbers from entries ------------------------------------------------------------------
def visit_summary_se(entry: VisitSummary, arm: str) -> float | None:
    """Return the standard error of one arm's visit mean (or mean change).

    Parameters
    ----------
    entry : VisitSummary
    arm : str
        An arm the entry reports on (``"pooled"`` for both arms together).

    Returns
    -------
    float or None
        In order of preference: the reported standard error; ``SD / sqrt(n)``; the
        confidence interval's half-width over ``z`` (a symmetric Wald interval is
        assumed). ``None`` when none of these was reported: a between-arm p-value alone
        says nothing about one arm's precision.
    """
    if entry.se is not None and arm in entry.se:
        return float(entry.se[arm])
    if entry.sd is not None and entry.n is not None and arm in entry.sd and arm in entry.n:
        return se_from_sd(entry.sd[arm], entry.n[arm])
    if entry.lower is not None and entry.upper is not None and arm in entry.lower:
        try:
            return se_from_ci(entry.lower[arm], entry.upper[arm], level=entry.level)
        except EvidenceError as err:
            raise err.located(entry=entry.id, field=f"lower.{arm}") from None
    return None


def effect_estimate_se(entry: EffectEstimate) -> float | None:
    """Return the standard error of an external between-group estimate.

    Parameters
    ----------
    entry : EffectEstimate

    Returns
    -------
    float or None
        The reported standard error (a "mean ± SEM" is a standard error); else the
        confidence interval's half-width over ``z``; else ``|estimate| / z_(1 - p/2)``
        from a two-sided p-value (a Wald test is assumed); ``None`` when none is given or
        the p-value is truncated to a bound.
    """
    if entry.se is not None:
        return float(entry.se)
    try:
        if entry.lower is not None and entry.upper is not None:
            return se_from_ci(entry.lower, entry.upper, level=entry.level)
        if entry.p_value is not None and entry.estimate != 0.0:
            return se_from_p(entry.estimate, entry.p_value)
    except EvidenceError as err:
        raise err.located(entry=entry.id) from None
    return None


@dataclass(frozen=True)
class SlopeObservations:
    """What one slope entry contributes, as normal observations.

    Attributes
    ----------
    arms : tuple of str
        Arms whose own slopes are observed (empty when only a contrast is used).
    values, se : tuple of float
        Their slopes per year and standard errors.
    difference, difference_se : float or None
        The experimental-minus-control contrast, when it is used instead of the arm
        slopes (never both: the contrast is implied by the arm slopes).
    note : str
        How the standard errors were obtained, for reports.
    """

    arms: tuple[str, ...]
    values: tuple[float, ...]
    se: tuple[float, ...]
    difference: float | None
    difference_se: float | None
    note: str


def slope_observations(
    entry: SlopeSummary, *, experimental: str, control: str
) -> SlopeObservations | None:
    """Derive standard errors for a slope entry, in the most informative form available.

    Parameters
    ----------
    entry : SlopeSummary
    experimental, control : str
        Names of the experimental and control arms; the contrast is experimental minus
        control.

    Returns
    -------
    SlopeObservations or None
        ``None`` when no standard error can be derived.

    Notes
    -----
    Three cases, in order of preference:

    1. Both arm slopes with standard errors: two independent observations (the arms are
       different patients).
    2. Both arm slopes, their numbers of patients and a contrast standard error (reported,
       or derived from the two-sided p-value of the difference as
       ``SE_diff = |s_E - s_C| / z_(1 - p/2)``): each arm's standard error is derived
       assuming the same between-patient spread of slopes in both arms,
       ``SD = SE_diff / sqrt(1/n_E + 1/n_C)`` and ``SE_arm = SD / sqrt(n_arm)``. The two arm
       observations then carry exactly the contrast's information plus the arms' common
       level. (SCOT's FVC: +0.77 vs -3.70 points per year, P = 0.004, n 33 vs 34, gives
       ``SE_diff = 4.47 / 2.878 = 1.553``.)
    3. Otherwise the contrast alone, with its reported or p-value-derived standard error.

    A rounded p-value gives a rounded standard error; a p-value reported as a bound
    ("P < 0.001") should not be entered as a number.
    """
    slopes = entry.slope_per_year
    has_both = slopes is not None and experimental in slopes and control in slopes
    if has_both and entry.se is not None and experimental in entry.se and control in entry.se:
        arms = (experimental, control)
        return SlopeObservations(
            arms=arms,
            values=tuple(float(slopes[a]) for a in arms),  # type: ignore[index]
            se=tuple(float(entry.se[a]) for a in arms),
            difference=None,
            difference_se=None,
            note="arm slopes with reported standard errors",
        )
    difference = entry.difference
    if difference is None and has_both:
        difference = float(slopes[experimental]) - float(slopes[control])  # type: ignore[index]
    if difference is None:
        return None
    if entry.difference_se is not None:
        diff_se = float(entry.difference_se)
        how = "reported standard error of the difference"
    elif entry.p_value is not None and difference != 0.0:
        try:
            diff_se = se_from_p(difference, entry.p_value)
        except EvidenceError as err:
            raise err.located(entry=entry.id, field="p_value") from None
        how = (
            f"standard error of the difference {abs(difference):.4g} / "
            f"z(1 - {entry.p_value:g}/2) = {diff_se:.4g}, from the two-sided p-value"
        )
    else:
        return None
    n = entry.n
    if has_both and n is not None and experimental in n and control in n:
        n_e, n_c = float(n[experimental]), float(n[control])
        sd = diff_se / np.sqrt(1.0 / n_e + 1.0 / n_c)
        arms = (experimental, control)
        return SlopeObservations(
            arms=arms,
            values=tuple(float(slopes[a]) for a in arms),  # type: ignore[index]
            se=(float(sd / np.sqrt(n_e)), float(sd / np.sqrt(n_c))),
            difference=None,
            difference_se=None,
            note=(
                f"{how}; arm standard errors derived assuming an equal between-patient SD "
                f"of slopes in both arms ({sd:.4g} per year, n {n_e:g} vs {n_c:g})"
            ),
        )
    return SlopeObservations(
        arms=(), values=(), se=(), difference=float(difference), difference_se=diff_se,
        note=how,
    )


# -- model terms ---------------------------------------------------------------------------
def visit_correlation(
    times_years: ArrayLike, rho: pt.TensorLike, correlation: Correlation = "ar1"
) -> pt.TensorVariable:
    """Within-patient correlation matrix of visits, as a PyTensor expression.

    Parameters
    ----------
    times_years : array_like, shape (k,)
        Visit times in years (constants).
    rho : scalar tensor
        ``ar1``: correlation of two measurements one year apart, ``rho^|t_j - t_k|``;
        ``cs``: the correlation of any two visits. Must lie in (0, 1).
    correlation : {"ar1", "cs"}, default "ar1"

    Returns
    -------
    TensorVariable, shape (k, k)
        Matches :func:`bayes_scot.stats.gls.ar1_correlation` and
        :func:`~bayes_scot.stats.gls.compound_symmetry_correlation`.
    """
    t = np.asarray(times_years, dtype=float)
    k = t.size
    eye = np.eye(k)
    if correlation == "ar1":
        distance = np.abs(t[:, None] - t[None, :])
        # Unit distance on the diagonal keeps the gradient finite; the diagonal is reset.
        off = pt.power(rho, pt.as_tensor(np.where(eye > 0, 1.0, distance)))
        return pt.as_tensor(eye) + pt.as_tensor(1.0 - eye) * off
    if correlation == "cs":
        return pt.as_tensor(eye) + pt.as_tensor(1.0 - eye) * pt.as_tensor(rho)
    raise ValueError(f"correlation must be 'ar1' or 'cs', not {correlation!r}")


def add_visit_means(
    name: str,
    mean: pt.TensorLike,
    observed: pt.TensorLike,
    se: pt.TensorLike,
    *,
    times_years: ArrayLike,
    rho: pt.TensorLike,
    correlation: Correlation = "ar1",
    overlap: pt.TensorLike | None = None,
) -> pt.TensorVariable:
    """Add one arm's vector of visit means (or mean changes) as a multivariate normal.

    Parameters
    ----------
    name : str
        Name of the observed variable.
    mean : tensor, shape (k,)
        The model's mean at each reported visit.
    observed : tensor, shape (k,)
        Reported means (usually a ``pm.Data`` container).
    se : tensor, shape (k,)
        Their standard errors (:func:`visit_summary_se`).
    times_years : array_like, shape (k,)
        Visit times in years.
    rho : scalar tensor
        Within-patient correlation (see :func:`visit_correlation`).
    correlation : {"ar1", "cs"}, default "ar1"
    overlap : tensor, shape (k, k), optional
        ``n_jk / sqrt(n_j n_k)``, the fraction of patients two visits share
        (:func:`bayes_scot.stats.gls.overlap_fraction`); all ones when omitted.

    Returns
    -------
    TensorVariable
        The observed variable (a multivariate normal; random draws use
        :class:`pymc.MvNormal`).

    Notes
    -----
    ``ybar ~ MVN(mu(t), Sigma)`` with ``Sigma_jk = rho_jk SE_j SE_k overlap_jk``, i.e.
    ``Cov(ybar_j, ybar_k) = rho_jk SD_j SD_k n_jk / (n_j n_k)`` with dropout. Papers rarely
    report ``n_jk``; the builder then uses ``min(n_j, n_k)`` (monotone dropout: everyone
    measured later was measured earlier) and says so. The means are those of patients
    alive and measured at each visit; the model's ``mu(t)`` is therefore a survivor
    average (see :mod:`bayes_scot.builders.longitudinal`).

    References
    ----------
    .. [1] Pedder H, Dias S, Bennetts M, Boucher M, Welton NJ. Modelling time-course
       relationships with multiple treatments: model-based network meta-analysis for
       continuous summary outcomes. Res Synth Methods 2019;10:267-286.
       doi:10.1002/jrsm.1351
    """
    times = np.asarray(times_years, dtype=float)
    se = pt.as_tensor(se)
    cov = visit_correlation(times, rho, correlation) * se[:, None] * se[None, :]
    if overlap is not None:
        cov = cov * overlap
    return pm.CustomDist(
        name, mean, cov, logp=_mvn_logp, dist=_mvn_dist, signature="(n),(n,n)->(n)",
        observed=observed,
    )


def _mvn_logp(value: pt.TensorVariable, mu: pt.TensorVariable,
              cov: pt.TensorVariable) -> pt.TensorVariable:
    """Multivariate-normal log density through a linear solve and a log-determinant.

    Mathematically the same as :class:`pymc.MvNormal`; written without an explicit
    Cholesky factor because the gradient of PyTensor's Cholesky op is about a hundred
    times slower under the numba backend than that of ``solve`` and ``slogdet`` for the
    small matrices of visit summaries.
    """
    resid = value - mu
    _sign, log_det = pt.linalg.slogdet(cov)
    quad = pt.dot(resid, pt.linalg.solve(cov, resid, assume_a="pos"))
    return -0.5 * (quad + log_det + resid.shape[-1] * np.log(2.0 * np.pi))


def _mvn_dist(mu: pt.TensorVariable, cov: pt.TensorVariable, size: Any) -> pt.TensorVariable:
    return pm.MvNormal.dist(mu=mu, cov=cov, size=size)


def add_normal_summaries(
    name: str,
    mean: pt.TensorLike,
    observed: pt.TensorLike,
    se: pt.TensorLike,
    *,
    dims: str | Sequence[str] | None = None,
) -> pt.TensorVariable:
    """Add independent summaries (slopes, baselines, contrasts) as normal observations.

    Parameters
    ----------
    name : str
    mean : tensor, shape (m,)
        The model's value of each summary.
    observed : tensor, shape (m,)
        Reported values.
    se : tensor, shape (m,)
        Their standard errors.
    dims : str or sequence of str, optional

    Returns
    -------
    TensorVariable

    Notes
    -----
    The summaries must describe different patients, or the same patients in ways whose
    correlation is negligible; the builder never puts two descriptions of the same
    quantity (an arm's slopes and their contrast; a pooled and a per-arm baseline) here
    together.
    """
    return pm.Normal(name, mu=mean, sigma=se, observed=observed, dims=dims)


def add_discounted_estimates(
    name: str,
    mean: pt.TensorLike,
    observed: pt.TensorLike,
    se: pt.TensorLike,
    weight: pt.TensorLike,
    *,
    method: DiscountMethod = "power",
    vague_se: pt.TensorLike = 1.0,
) -> pt.TensorVariable:
    r"""Add external estimates as explicitly discounted evidence (a ``pm.Potential``).

    Parameters
    ----------
    name : str
    mean : tensor, shape (m,)
        The model quantity each external estimate speaks to (e.g. the HSCT-minus-CYC
        difference in change from baseline at 12 months).
    observed : tensor, shape (m,)
        External estimates.
    se : tensor, shape (m,)
        Their standard errors.
    weight : tensor, shape (m,)
        ``power``: the power-prior weight :math:`a_0 \in [0, 1]`; ``mixture``: the weight
        :math:`w \in [0, 1]` of the informative component.
    method : {"power", "mixture"}, default "power"
    vague_se : tensor, default 1.0
        ``mixture`` only: standard deviation of the vague component (in the units of
        ``mean``), wide enough that it is nearly flat over plausible effects.

    Returns
    -------
    TensorVariable
        The potential.

    Notes
    -----
    Power prior (Ibrahim & Chen 2000): the external likelihood raised to :math:`a_0`,
    :math:`a_0 \log N(y; \mu, s^2)`; for a normal likelihood this is the same as
    inflating the standard error to :math:`s / \sqrt{a_0}`. :math:`a_0 = 0` ignores the
    source and :math:`a_0 = 1` pools it as if it were trial data.

    Robust mixture (Schmidli et al. 2014):
    :math:`\log[w N(y; \mu, s^2) + (1 - w) N(y; \mu, s_v^2)]`. When the trial's own data
    conflict with the external estimate the vague component takes over, so the source is
    discounted adaptively; :math:`w = 0` ignores it.

    References
    ----------
    .. [1] Ibrahim JG, Chen M-H. Power prior distributions for regression models.
       Stat Sci 2000;15:46-60. doi:10.1214/ss/1009212673
    .. [2] Schmidli H, Gsteiger S, Roychoudhury S, O'Hagan A, Spiegelhalter D, Neuenschwander
       B. Robust meta-analytic-predictive priors in clinical trials with historical control
       information. Biometrics 2014;70:1023-1032. doi:10.1111/biom.12242
    """
    informative = pm.logp(pm.Normal.dist(mu=mean, sigma=se), observed)
    if method == "power":
        logp = weight * informative
    elif method == "mixture":
        vague = pm.logp(pm.Normal.dist(mu=mean, sigma=vague_se), observed)
        # log(w e^a + (1 - w) e^b); a zero weight gives -inf inside logaddexp, which is exact.
        w = pt.as_tensor(weight)
        logp = pt.logaddexp(pt.log(w) + informative, pt.log1p(-w) + vague)
    else:
        raise ValueError(f"method must be one of {DISCOUNT_METHODS}, not {method!r}")
    return pm.Potential(name, pt.sum(logp))
