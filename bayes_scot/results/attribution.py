r"""How much of each posterior comes from the trial, external evidence, borrowing and the prior.

Every row of the superiority table is split into four shares that sum to one:

* the **prior's share** is the ratio of the estimand's posterior to prior variance,

  .. math::
     s_\text{prior} = \operatorname{Var}_\text{post}(\psi)
     / \operatorname{Var}_\text{prior}(\psi),

  which in a conjugate normal model is the prior precision over the posterior precision,
  :math:`\lambda_0 / (\lambda_0 + \sum_j \lambda_j)`;
* the **data's share**, :math:`1 - s_\text{prior}`, is split among the sources of
  evidence by the precision each adds: leaving source :math:`j` out of the posterior
  (Pareto-smoothed importance sampling with log weights :math:`-\ell_j`, the source's
  log-likelihood at each draw) gives :math:`\operatorname{Var}_{-j}(\psi)` and

  .. math::
     \hat\lambda_j = \max\{0, 1/\operatorname{Var}_\text{post}
     - 1/\operatorname{Var}_{-j}\}, \qquad
     s_j = (1 - s_\text{prior})\, \hat\lambda_j / \textstyle\sum_k \hat\lambda_k,

  which is exact in the conjugate normal model (:math:`\hat\lambda_j = \lambda_j`).

The sources, for a row of endpoint :math:`e`: **trial** (the target trial's own evidence
on :math:`e`), **external** (discounted external evidence on :math:`e`) and
**borrowing** (evidence on other endpoints, or from other trials, that reaches :math:`e`
only through the model's hierarchy). Variances are robust, :math:`(\mathrm{IQR}/1.349)^2`,
equal to the variance for a normal distribution and finite for the heavy-tailed prior of
a ratio. When leaving a source out is unreliable (Pareto :math:`\hat k > 0.7`, Vehtari
et al. 2024) the split of the data's share is not estimable and the data shares are NaN;
the prior's share is still reported.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from bayes_scot.stats.estimands import EstimandDraws

__all__ = [
    "KHAT_MAX",
    "SHARE_COLUMNS",
    "SOURCES",
    "Attribution",
    "LikelihoodTerm",
    "attribute",
    "psis_log_weights",
    "robust_variance",
]

KHAT_MAX: float = 0.7
"""Largest Pareto k-hat at which importance reweighting is trusted (Vehtari et al. 2024)."""

SOURCES: tuple[str, ...] = ("trial", "external", "borrowing")
"""The sources of evidence a row's data share is split among, in column order."""

SHARE_COLUMNS: tuple[str, ...] = (
    "share_trial", "share_external", "share_borrowing", "share_prior", "drivers",
)
"""Columns the attribution adds to the superiority table."""

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
    source : {"trial", "external", "other_trial"}
        The target trial's own evidence, discounted external evidence, or another
        trial's evidence in a hierarchical model.
    endpoints : frozenset of str, optional
        Endpoints whose evidence the term holds; ``None``: every endpoint of the fit
        (e.g. an illness-death likelihood, which informs EFS and OS at once).
    draws : numpy.ndarray
        The term's log-likelihood at each draw, shape ``(chain, draw)``.
    weight : float, optional
        External evidence: its power-prior weight :math:`a_0` (already applied in
        ``draws``); NaN otherwise.
    """

    name: str
    source: Literal["trial", "external", "other_trial"]
    endpoints: frozenset[str] | None
    draws: np.ndarray
    weight: float = float("nan")

    def role(self, endpoint: str) -> str:
        """Return the term's source for a row of ``endpoint``: trial, external or borrowing."""
        own = self.endpoints is None or endpoint in self.endpoints
        if self.source == "other_trial" or not own:
            return "borrowing"
        return self.source


@dataclass(frozen=True)
class Attribution:
    """Shares of one row's posterior (see the module docstring); they sum to one."""

    share_trial: float
    share_external: float
    share_borrowing: float
    share_prior: float
    drivers: str
    khat: float = float("nan")


def robust_variance(values: np.ndarray, log_weights: np.ndarray | None = None) -> float:
    r"""Squared interquartile range over :math:`1.349^2` (the variance for a normal).

    Parameters
    ----------
    values : numpy.ndarray
        Draws (any shape; flattened). Non-finite draws count in the quantiles.
    log_weights : numpy.ndarray, optional
        Normalised or unnormalised log importance weights of the draws.
    """
    x = np.asarray(values, dtype=float).ravel()
    if log_weights is None:
        q1, q3 = np.nanquantile(x, [0.25, 0.75])
    else:
        w = np.exp(np.asarray(log_weights, dtype=float).ravel() - np.max(log_weights))
        keep = ~np.isnan(x)
        x, w = x[keep], w[keep]
        order = np.argsort(x)
        ws = w[order]
        midpoints = (np.cumsum(ws) - ws / 2.0) / ws.sum()
        q1, q3 = np.interp([0.25, 0.75], midpoints, x[order])
    return float(((q3 - q1) / _IQR_TO_SD) ** 2)


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
    import arviz as az

    flat = np.asarray(log_ratios, dtype=float).ravel()
    if np.ptp(flat) == 0.0:
        return np.full(flat.size, -math.log(flat.size)), 0.0
    with warnings.catch_warnings():
        # k-hat is returned and judged by the caller; ArviZ's own warning adds nothing.
        warnings.simplefilter("ignore")
        lw, khat = az.psislw(flat - flat.max(), reff=1.0)
    return np.asarray(lw), float(khat)


def attribute(
    posterior: EstimandDraws,
    prior: EstimandDraws | None,
    terms: Sequence[LikelihoodTerm],
) -> Attribution:
    """Split one estimand's posterior among trial, external, borrowing and prior.

    Parameters
    ----------
    posterior : EstimandDraws
        The estimand's posterior draws.
    prior : EstimandDraws, optional
        Its prior draws (same model, same prior hyperparameters, no evidence). Without
        them every share is NaN.
    terms : sequence of LikelihoodTerm
        The fit's likelihood terms at the posterior draws. Without any, the data share
        is not split.

    Returns
    -------
    Attribution
        ``khat`` is the largest Pareto k-hat of the leave-one-source-out weights.
    """
    nan = float("nan")
    if prior is None:
        return Attribution(nan, nan, nan, nan, "")
    var_post = robust_variance(posterior.draws)
    var_prior = robust_variance(prior.draws)
    share_prior = min(1.0, var_post / var_prior) if var_prior > 0 else nan
    if math.isnan(share_prior):
        return Attribution(nan, nan, nan, nan, "")
    data = 1.0 - share_prior
    by_role: dict[str, np.ndarray] = {}
    weights: dict[str, list[float]] = {}
    for t in terms:
        role = t.role(posterior.endpoint)
        by_role[role] = by_role.get(role, 0.0) + np.asarray(t.draws, dtype=float)
        if role == "external" and not math.isnan(t.weight):
            weights.setdefault(role, []).append(t.weight)
    varying = {r: v for r, v in by_role.items() if np.ptp(v) > 0.0}
    shares = dict.fromkeys(SOURCES, 0.0)
    khat = nan
    if len(varying) == 1:
        shares[next(iter(varying))] = data
    elif varying:
        precision: dict[str, float] = {}
        khat = 0.0
        for role, loglik in varying.items():
            lw, k = psis_log_weights(-loglik)
            khat = max(khat, k)
            var_without = robust_variance(posterior.draws, lw)
            precision[role] = max(0.0, 1.0 / var_post - 1.0 / var_without)
        total = sum(precision.values())
        if khat > KHAT_MAX or total <= 0.0:
            shares = dict.fromkeys(SOURCES, nan)
        else:
            shares.update({r: data * p / total for r, p in precision.items()})
    elif data > 0.0:
        shares = dict.fromkeys(SOURCES, nan)
    drivers = _drivers(shares, share_prior, khat, weights.get("external", []))
    return Attribution(shares["trial"], shares["external"], shares["borrowing"],
                       share_prior, drivers, khat)


def _drivers(shares: dict[str, float], share_prior: float, khat: float,
             weights: Iterable[float]) -> str:
    if any(math.isnan(v) for v in shares.values()):
        why = f" (k-hat {khat:.2f} > {KHAT_MAX:g})" if khat > KHAT_MAX else ""
        text = f"prior {share_prior:.0%}; the data's split is not estimable{why}"
    else:
        parts = []
        for role in SOURCES:
            if shares[role] >= 0.005:
                part = f"{role} {shares[role]:.0%}"
                a0 = sorted(set(weights))
                if role == "external" and a0:
                    part += f" (weight {', '.join(f'{w:g}' for w in a0)})"
                parts.append(part)
        parts.append(f"prior {share_prior:.0%}")
        text = ", ".join(parts)
    if share_prior > MOSTLY_PRIOR:
        text = "mostly prior: " + text
    return text
