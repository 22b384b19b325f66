r"""The direct route's posterior: a normal on the effect scale and every estimand from it.

A published pairwise effect (:mod:`bayes_scot.stats.win.published`) updated with a
normal prior gives a normal posterior of the net benefit or the log win odds; every
direct-route estimand is an increasing function of that parameter.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats as sps

from bayes_scot.conventions import CREDIBLE_LEVEL
from bayes_scot.errors import EvidenceError
from bayes_scot.stats.normal_normal import normal_posterior
from bayes_scot.stats.win.published import SCALES, PairwiseEffect

__all__ = ["DIRECT_ESTIMANDS", "PairwisePosterior", "direct_estimands", "pairwise_posterior"]

DIRECT_ESTIMANDS: tuple[str, ...] = ("net_benefit", "win_probability", "win_odds", "win_ratio")
"""Estimands of the direct route, each an increasing function of the effect parameter."""


def direct_estimands(
    theta: np.ndarray | float, *, scale: str, p_tie: float = 0.0,
    beyond: Literal["nan", "limit"] = "nan",
) -> dict[str, np.ndarray]:
    r"""Every direct-route estimand as a function of the effect parameter.

    Parameters
    ----------
    theta : array_like
        Net benefit or log win odds (``scale``).
    scale : {"net_benefit", "log_win_odds"}
    p_tie : float, default 0
        Proportion of tied pairs, held fixed at its published value.
    beyond : {"nan", "limit"}, default "nan"
        What the ratios are where ``theta`` has no meaning for them (a net benefit at or
        beyond 1 or -1, a win ratio whose wins or losses would be negative): NaN, or the
        limit of the ratio there (infinity beyond the favourable end, 0 beyond the other).
        Posterior and prior summaries use ``"limit"``: a normal on the net benefit puts
        some mass beyond +-1, and with NaN there a ratio's median, interval and
        probability of exceeding 1 would no longer be those of ``theta``.

    Returns
    -------
    dict of str to numpy.ndarray
        ``net_benefit`` :math:`2A - 1`, ``win_probability`` :math:`A`, ``win_odds``
        :math:`A/(1-A)` and ``win_ratio`` :math:`(A - T/2)/(1 - A - T/2)`, with :math:`A`
        the win probability (ties split) and :math:`T` = ``p_tie``. Each is increasing in
        ``theta``. ``net_benefit`` and ``win_probability`` are linear in a net-benefit
        ``theta`` and follow it beyond their range; the ratios there are NaN or their
        limits (``beyond``). With ``beyond="limit"`` every estimand is a non-decreasing
        function of ``theta`` on the whole line, so that its quantiles are the transformed
        quantiles of ``theta`` and it exceeds its null exactly when ``theta > 0``.

    Notes
    -----
    Without ties (SCOT: 66.6% + 33.4% = 100%) the win ratio equals the win odds and
    ``p_win`` equals :math:`A`. With ties the direct route cannot tell how a change in
    :math:`A` splits between wins and ties; holding :math:`T` at its published value is
    the assumption behind ``win_ratio``.
    """
    theta = np.asarray(theta, dtype=float)
    if beyond not in ("nan", "limit"):
        raise EvidenceError(f"beyond must be 'nan' or 'limit', not {beyond!r}",
                            field="beyond")
    if scale == "log_win_odds":
        a = 1.0 / (1.0 + np.exp(-theta))
    elif scale == "net_benefit":
        a = (1.0 + theta) / 2.0
    else:
        raise EvidenceError(f"scale must be one of {', '.join(SCALES)}, not {scale!r}",
                            field="scale")
    inside = (a > 0.0) & (a < 1.0)
    p_win = a - p_tie / 2.0
    p_loss = 1.0 - a - p_tie / 2.0
    limit = beyond == "limit"
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if scale == "log_win_odds":
            # exp(theta) is the win odds itself, finite where A rounds to 0 or 1.
            odds = np.exp(theta)
        else:
            below = 0.0 if limit else np.nan
            above = np.inf if limit else np.nan
            odds = np.where(inside, a / (1.0 - a), np.where(a <= 0.0, below, above))
        ratio = np.where((p_win >= 0.0) & (p_loss > 0.0), p_win / p_loss, np.nan)
        if limit:
            ratio = np.where(p_loss <= 0.0, np.inf, np.where(p_win < 0.0, 0.0, ratio))
    return {
        "net_benefit": 2.0 * a - 1.0,
        "win_probability": a,
        "win_odds": odds,
        "win_ratio": ratio,
    }


@dataclass(frozen=True, kw_only=True)
class PairwisePosterior:
    r"""Closed-form posterior of the direct route: a normal on the effect scale.

    Parameters
    ----------
    scale : {"net_benefit", "log_win_odds"}
    mean, sd : float
        Posterior :math:`N(m_1, s_1^2)` of the effect parameter.
    p_tie : float
        Published proportion of tied pairs (held fixed).
    prior : str
        Name of the prior.

    Notes
    -----
    Every estimand is an increasing function of the effect parameter
    (:func:`direct_estimands`), so its posterior quantiles are the transformed quantiles
    of :math:`N(m_1, s_1^2)`, and :math:`P(\text{net benefit} > 0) = P(\text{win odds}
    > 1) = \Phi(m_1 / s_1)` on both scales: the posterior probability that HSCT wins
    more often than it loses.
    """

    scale: str
    mean: float
    sd: float
    p_tie: float = 0.0
    prior: str = ""

    def p_superior(self) -> float:
        """Posterior probability that the experimental arm wins more often than it loses."""
        return float(sps.norm.cdf(self.mean / self.sd))

    def quantiles(self, q: np.ndarray | Sequence[float]) -> dict[str, np.ndarray]:
        """Posterior quantiles ``q`` of every estimand (see :func:`direct_estimands`).

        Parameters
        ----------
        q : array_like
            Probabilities in (0, 1).

        Returns
        -------
        dict of str to numpy.ndarray
        """
        theta = sps.norm.ppf(np.asarray(q, dtype=float), loc=self.mean, scale=self.sd)
        return direct_estimands(theta, scale=self.scale, p_tie=self.p_tie,
                                beyond="limit")

    def summary(self, level: float = CREDIBLE_LEVEL) -> pd.DataFrame:
        """Median, central credible interval and P(superior) of every estimand.

        Parameters
        ----------
        level : float, default :data:`~bayes_scot.conventions.CREDIBLE_LEVEL`

        Returns
        -------
        pandas.DataFrame
            Index ``estimand``; columns ``prior, median, lower, upper, p_superior``.
        """
        alpha = (1.0 - level) / 2.0
        values = self.quantiles([0.5, alpha, 1.0 - alpha])
        rows = {
            name: {"prior": self.prior, "median": v[0], "lower": v[1], "upper": v[2],
                   "p_superior": self.p_superior()}
            for name, v in values.items()
        }
        return pd.DataFrame.from_dict(rows, orient="index").rename_axis("estimand")


def pairwise_posterior(
    effect: PairwiseEffect, prior_mean: float, prior_sd: float, *, prior: str = ""
) -> PairwisePosterior:
    r"""Conjugate normal update of a pairwise effect under a normal prior.

    Parameters
    ----------
    effect : PairwiseEffect
        Estimate and SE from :func:`pairwise_effect`.
    prior_mean, prior_sd : float
        Normal prior on the same scale.
    prior : str, optional
        Name of the prior, carried into tables.

    Returns
    -------
    PairwisePosterior
        :math:`s_1^{-2} = s_0^{-2} + \mathrm{SE}^{-2}`,
        :math:`m_1 = s_1^2 (m_0 / s_0^2 + \hat\theta / \mathrm{SE}^2)`.
    """
    mean, sd = normal_posterior(prior_mean, prior_sd, effect.estimate, effect.se)
    return PairwisePosterior(scale=effect.scale, mean=float(mean), sd=float(sd),
                             p_tie=effect.p_tie, prior=prior)
