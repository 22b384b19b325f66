r"""How much of each posterior comes from the trial, external evidence, borrowing and the prior.

Every row of the superiority table is split into four shares that sum to one:

* the **prior's share** is the ratio of the estimand's posterior to prior variance,

  .. math::
     s_\text{prior} = \operatorname{Var}_\text{post}(\psi)
     / \operatorname{Var}_\text{prior}(\psi),

  which in a conjugate normal model is the prior precision over the posterior precision,
  :math:`\lambda_0 / (\lambda_0 + \sum_j \lambda_j)`. When the posterior is wider
  than the prior (a contrast that a strong prior holds near its null while the data move
  a nuisance parameter, such as a survival difference whose baseline survival the trial
  pins down), that ratio says nothing; the prior's share is then
  :math:`\hat\lambda_0 / (\hat\lambda_0 + \sum_j \hat\lambda_j)`, with
  :math:`\hat\lambda_0` the precision rate of power-scaling the joint prior density of
  the fit's free variables, estimated as the sources' rates below. When the sources add
  no precision either (more data would widen the row further), no share is defined: the
  shares are NaN and ``drivers`` says so (:data:`WIDER_THAN_PRIOR`);
* the **data's share**, :math:`1 - s_\text{prior}`, is split among the sources of
  evidence by the precision each adds. Raising source :math:`j`'s likelihood to a power
  :math:`\alpha_j` (power-scaling, Kallioinen et al. 2024) changes the posterior
  precision at the rate

  .. math::
     \hat\lambda_j = \frac{\partial}{\partial \alpha_j}
     \frac{1}{\operatorname{Var}(\psi)}\Big|_{\alpha = 1}
     = -\frac{\operatorname{Cov}\{(\psi - \bar\psi)^2, \ell_j\}}{\operatorname{Var}(\psi)^2},
     \qquad
     s_j = (1 - s_\text{prior})\, \frac{\max(0, \hat\lambda_j)}
     {\textstyle\sum_k \max(0, \hat\lambda_k)},

  where :math:`\ell_j` is the source's log-likelihood at each posterior draw (the
  derivative of a posterior expectation under power-scaling is its covariance with
  :math:`\ell_j`). In a conjugate normal model the posterior precision is
  :math:`\lambda_0 + \sum_j \alpha_j \lambda_j`, so :math:`\hat\lambda_j = \lambda_j`
  exactly and the shares are :math:`\lambda_j / (\lambda_0 + \sum_k \lambda_k)`.
  Elsewhere it is the local (first-order) precision of each source at the fitted
  posterior: no importance weights are needed, so it never fails as leaving a whole
  source out can (Pareto :math:`\hat k > 0.7` for a source that dominates).

The sources, for a row of endpoint :math:`e`: **trial** (the target trial's own evidence
on :math:`e`), **external** (discounted external evidence on :math:`e`) and
**borrowing**, of two kinds that are estimated apart, summed in ``share_borrowing`` and
named apart in ``drivers``: from other trials (their evidence in a hierarchical model of
several trials) and from other endpoints (evidence on another endpoint of the same
trial, reaching :math:`e` through the endpoint hierarchy). The prior's
share uses robust variances, :math:`(\mathrm{IQR}/1.349)^2`, equal to the variance for a
normal distribution and finite for heavy-tailed prior draws; ratios (hazard ratios, win
ratios) are measured on the log scale, where their posteriors are close to normal. When
no source has a positive estimated precision (Monte Carlo noise in a posterior that is
all prior) the split of the data's share is not estimable and the data shares are NaN.
An estimand that no evidence reaches, by construction of its model (its builder sets
``attrs["prior_only"]``: an endpoint without data kept out of the endpoint hierarchy),
is all prior: its shares are exactly 0, 0, 0 and 1, whatever the Monte Carlo noise in
its draws and in their covariance with other endpoints' likelihood terms.

A survival curve's functional (a difference in survival or in restricted mean survival)
is a nonlinear function of the treatment effect and of the baseline hazards, whose wide
prior puts the control arm's survival near 0 or 1 where every difference is small: its
prior variance measures the baseline's prior more than the effect's, and the variance
ratio swings with it (0.97 under one sceptical prior and 0.50 under a wider one for
SCOT's EFS difference at 54 months, while the hazard ratio's ratio moved from 0.42 to
0.22 as a conjugate calculation says). Such a row names the estimand of the effect it
follows (``attrs["attribute_through"]``, the trial's common hazard ratio) and takes that
estimand's prior share (``share_prior`` of :func:`attribute`); its data share is still
split by its own sources' precisions.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from bayes_scot.stats.estimands import EstimandDraws

__all__ = [
    "BORROWING",
    "EXTRAPOLATED",
    "SHARE_COLUMNS",
    "SOURCES",
    "Attribution",
    "LikelihoodTerm",
    "attribute",
    "robust_variance",
]

SOURCES: tuple[str, ...] = ("trial", "external", "borrowing")
"""The sources of evidence a row's data share is split among, in column order."""

BORROWING: dict[str, str] = {"other_trials": "borrowing from other trials",
                             "other_endpoints": "borrowing from other endpoints"}
"""The two kinds of borrowing (roles of :meth:`LikelihoodTerm.role`), summed in
``share_borrowing`` and named apart in the drivers text."""

SHARE_COLUMNS: tuple[str, ...] = (
    "share_trial", "share_external", "share_borrowing", "share_prior", "drivers",
)
"""Columns the attribution adds to the superiority table."""

WIDER_THAN_PRIOR: str = (
    "shares not defined: the data widen this row's posterior beyond its prior (its prior "
    "probabilities beside it show how far the data moved it)"
)
"""The drivers text of a row whose posterior is wider than its prior and whose sources
add no precision under power-scaling: no share of precision can be given."""

WIDER: float = 1.1
"""A posterior variance above this multiple of the prior's is wider than the prior. Below
it a ratio above 1 is Monte Carlo noise in a row that is all prior (the robust variance of
a few thousand draws has a relative SE of about 4%), and the prior's share is 1."""

EXTRAPOLATED: str = (
    "extrapolated outside the data: rests on the model's assumption of what lies there"
)
"""The start of the drivers text of a row extrapolated outside its endpoint's data (after
the last datum or before the first): its shares are the model's, which carries the data
there by assumption."""

MOSTLY_PRIOR: float = 0.5
"""A prior share above this is called "mostly prior" in the drivers text."""

_IQR_TO_SD = 1.3489795003921634  # interquartile range of the standard normal


@dataclass(frozen=True, kw_only=True)
class LikelihoodTerm:
    """One likelihood term of a fit, evaluated at every posterior draw.

    Parameters
    ----------
    name : str
        The model variable (and element) it comes from.
    source : {"trial", "external", "other_trial", "prior"}
        The target trial's own evidence, discounted external evidence, another trial's
        evidence in a hierarchical model, or (``"prior"``) the joint log prior density
        of the fit's free variables.
    endpoints : frozenset of str, optional
        Endpoints whose evidence the term holds; ``None``: every endpoint of the fit
        (e.g. an illness-death likelihood, which informs EFS and OS at once).
    draws : numpy.ndarray
        The term's log-likelihood (or log prior density) at each draw, shape
        ``(chain, draw)``.
    weight : float, optional
        External evidence: its power-prior weight :math:`a_0` (already applied in
        ``draws``); NaN otherwise.
    informs_effect : bool, default True
        False for evidence that speaks to no treatment effect (a baseline mean, which
        sets the level both arms share): it enters the fit but no row's attribution.
    """

    name: str
    source: Literal["trial", "external", "other_trial", "prior"]
    endpoints: frozenset[str] | None
    draws: np.ndarray
    weight: float = float("nan")
    informs_effect: bool = True

    def role(self, endpoint: str) -> str:
        """Return the term's role for a row of ``endpoint``.

        ``"trial"`` or ``"external"`` (evidence on the endpoint itself),
        ``"other_trials"`` or ``"other_endpoints"`` (evidence reaching the endpoint only
        through the model's hierarchy: the two kinds of borrowing), or ``"prior"``.
        """
        if self.source == "prior":
            return "prior"
        if self.source == "other_trial":
            return "other_trials"
        if self.endpoints is not None and endpoint not in self.endpoints:
            return "other_endpoints"
        return self.source


@dataclass(frozen=True)
class Attribution:
    """Shares of one row's posterior (see the module docstring); they sum to one."""

    share_trial: float
    share_external: float
    share_borrowing: float
    share_prior: float
    drivers: str


def robust_variance(values: np.ndarray) -> float:
    r"""Squared interquartile range over :math:`1.349^2` (the variance for a normal).

    Parameters
    ----------
    values : numpy.ndarray
        Draws (any shape; flattened; NaN left out).
    """
    q1, q3 = np.nanquantile(np.asarray(values, dtype=float).ravel(), [0.25, 0.75])
    return float(((q3 - q1) / _IQR_TO_SD) ** 2)


def attribute(
    posterior: EstimandDraws,
    prior: EstimandDraws | None,
    terms: Sequence[LikelihoodTerm],
    *,
    share_prior: float | None = None,
) -> Attribution:
    """Split one estimand's posterior among trial, external, borrowing and prior.

    The shares of a row extrapolated outside its endpoint's data, after the last datum
    or before the first (:attr:`~bayes_scot.stats.estimands.EstimandDraws.extrapolated`),
    are those of the model, which carries the data there by its own structure (a last
    interval's hazard held constant, a trajectory pinned at the reference visit); its
    drivers text says first that the row rests on that assumption (:data:`EXTRAPOLATED`),
    so that a large trial share is not read as the trial's having observed it. A row no evidence
    reaches (``attrs["prior_only"]``) is all prior and says so alone.

    Parameters
    ----------
    posterior : EstimandDraws
        The estimand's posterior draws.
    prior : EstimandDraws, optional
        Its prior draws (same model, same prior hyperparameters, no evidence). Without
        them every share is NaN.
    terms : sequence of LikelihoodTerm
        The fit's likelihood terms at the posterior draws (the same draws, in the same
        order, as ``posterior``). Without any, the data share is not split.
    share_prior : float, optional
        The prior's share, when it is taken from the estimand of the effect this one
        follows (module docstring) rather than from this estimand's own draws.

    Returns
    -------
    Attribution
    """
    shares = _attribute(posterior, prior, terms, share_prior)
    if posterior.extrapolated and shares.drivers and not posterior.attrs.get("prior_only"):
        return dataclasses.replace(shares, drivers=f"{EXTRAPOLATED}; under it "
                                                   f"{shares.drivers}")
    return shares


def _attribute(posterior: EstimandDraws, prior: EstimandDraws | None,
               terms: Sequence[LikelihoodTerm], share_prior: float | None) -> Attribution:
    """Return the shares of :func:`attribute`, whether extrapolated or not."""
    nan = float("nan")
    if posterior.attrs.get("prior_only"):
        none = dict.fromkeys(("trial", "external", *BORROWING), 0.0)
        return Attribution(0.0, 0.0, 0.0, 1.0, _drivers(none, 1.0, ()))
    if share_prior is not None and not math.isnan(share_prior):
        return _with_prior_share(posterior, terms, share_prior)
    if prior is None:
        return Attribution(nan, nan, nan, nan, "")
    x, x_prior = _scale(posterior), _scale(prior)
    var_post = robust_variance(x)
    var_prior = robust_variance(x_prior)
    if not var_prior > 0:
        return Attribution(nan, nan, nan, nan, "")
    by_role, weights = _by_role(posterior.endpoint, terms)
    log_prior = by_role.pop("prior", None)
    varying = {r: v.ravel() for r, v in by_role.items() if np.ptp(v) > 0.0}
    precision = _precisions(x, varying)
    if var_post > WIDER * var_prior:
        # A posterior wider than its prior (a contrast held near its null by the prior
        # while the data move a nuisance parameter): the variance ratio says nothing,
        # so the prior's share is its precision under power-scaling, like the sources'.
        data_precision = sum(precision.values())
        if log_prior is None or not np.ptp(log_prior) > 0.0 or not data_precision > 0.0:
            return Attribution(nan, nan, nan, nan, WIDER_THAN_PRIOR)
        prior_precision = _precisions(x, {"prior": np.ravel(log_prior)})["prior"]
        share_prior = prior_precision / (prior_precision + data_precision)
    else:
        share_prior = min(1.0, var_post / var_prior)
    shares = _data_shares(1.0 - share_prior, precision)
    drivers = _drivers(shares, share_prior, weights.get("external", []))
    borrowing = sum(shares[r] for r in BORROWING)
    return Attribution(shares["trial"], shares["external"], borrowing, share_prior, drivers)


def _with_prior_share(posterior: EstimandDraws, terms: Sequence[LikelihoodTerm],
                      share_prior: float) -> Attribution:
    """Attribute with a given prior share; the data's share split by this row's sources."""
    by_role, weights = _by_role(posterior.endpoint, terms)
    by_role.pop("prior", None)
    varying = {r: v.ravel() for r, v in by_role.items() if np.ptp(v) > 0.0}
    shares = _data_shares(1.0 - share_prior, _precisions(_scale(posterior), varying))
    drivers = _drivers(shares, share_prior, weights.get("external", []))
    borrowing = sum(shares[r] for r in BORROWING)
    return Attribution(shares["trial"], shares["external"], borrowing, share_prior, drivers)


def _by_role(endpoint: str, terms: Sequence[LikelihoodTerm],
             ) -> tuple[dict[str, np.ndarray], dict[str, list[float]]]:
    """Sum the terms' draws by their role for ``endpoint``; the external weights."""
    by_role: dict[str, np.ndarray] = {}
    weights: dict[str, list[float]] = {}
    for t in terms:
        if not t.informs_effect:
            continue
        role = t.role(endpoint)
        by_role[role] = by_role.get(role, 0.0) + np.asarray(t.draws, dtype=float)
        if role == "external" and not math.isnan(t.weight):
            weights.setdefault(role, []).append(t.weight)
    return by_role, weights


def _data_shares(data: float, precision: dict[str, float]) -> dict[str, float]:
    """Split the data's share among the sources in proportion to their precisions.

    ``precision`` holds the sources whose log-likelihood varies over the draws; one such
    source takes the whole share; none, or none with a positive precision, leaves the
    split not estimable (NaN) unless there is no data share to split.
    """
    shares = dict.fromkeys(("trial", "external", *BORROWING), 0.0)
    total = sum(precision.values())
    if len(precision) == 1:
        shares[next(iter(precision))] = data
    elif total > 0.0:
        shares.update({r: data * p / total for r, p in precision.items()})
    elif precision or data > 0.0:
        shares = dict.fromkeys(shares, float("nan"))
    return shares


def _precisions(x: np.ndarray, log_densities: dict[str, np.ndarray]) -> dict[str, float]:
    """Return each source's precision under power-scaling (module docstring), at least 0."""
    deviation = (x - x.mean()) ** 2
    variance = deviation.mean()
    if not variance > 0.0:
        return dict.fromkeys(log_densities, 0.0)
    return {role: max(0.0, -float(np.cov(deviation, values)[0, 1]) / variance**2)
            for role, values in log_densities.items()}


def _scale(e: EstimandDraws) -> np.ndarray:
    """Return the estimand's draws, on the log scale for a ratio (null 1, positive draws)."""
    x = np.asarray(e.draws, dtype=float).ravel()
    if e.null == 1.0 and np.all(x > 0.0):
        return np.log(x)
    return x


def _drivers(shares: dict[str, float], share_prior: float, weights: Iterable[float]) -> str:
    if any(math.isnan(v) for v in shares.values()):
        text = f"prior {share_prior:.0%}; the data's split is not estimable"
    else:
        parts = []
        for role, value in shares.items():
            if value >= 0.005:
                part = f"{BORROWING.get(role, role)} {value:.0%}"
                a0 = sorted(set(weights))
                if role == "external" and a0:
                    part += f" (weight {', '.join(f'{w:g}' for w in a0)})"
                parts.append(part)
        parts.append(f"prior {share_prior:.0%}")
        text = ", ".join(parts)
    if share_prior > MOSTLY_PRIOR:
        text = "mostly prior: " + text
    return text
