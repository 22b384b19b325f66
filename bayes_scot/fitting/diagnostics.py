"""Convergence diagnostics of a fit: R-hat, bulk ESS and divergent transitions.

R-hat and bulk ESS are ArviZ's estimators (Vehtari et al. 2021), computed for every
element of every variable in one vectorised call
(:mod:`bayes_scot.stats.convergence`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from bayes_scot import _compat
from bayes_scot.stats.convergence import batch_rhat_ess

__all__ = ["Diagnostics", "diagnose"]


@dataclass(frozen=True)
class Diagnostics:
    """Worst-case convergence diagnostics over the variables checked.

    Parameters
    ----------
    rhat_max : float
        Largest rank-normalised split R-hat.
    ess_bulk_min : float
        Smallest bulk effective sample size.
    divergences : int
        Divergent transitions after tuning, summed over chains.

    Notes
    -----
    :attr:`passed` applies the thresholds of Vehtari et al. (2021): R-hat at most 1.01
    and bulk ESS at least 400 (100 per chain for 4 chains), and no divergences, whose
    presence means the sampler could not explore part of the posterior.

    References
    ----------
    .. [1] Vehtari A, Gelman A, Simpson D, Carpenter B, Bürkner P-C. Rank-normalization,
       folding, and localization: an improved R-hat for assessing convergence of MCMC.
       Bayesian Analysis 2021;16:667-718. doi:10.1214/20-BA1221
    """

    rhat_max: float
    ess_bulk_min: float
    divergences: int

    RHAT_LIMIT: ClassVar[float] = 1.01
    ESS_BULK_LIMIT: ClassVar[float] = 400.0

    @property
    def passed(self) -> bool:
        """R-hat <= 1.01, bulk ESS >= 400 and no divergences."""
        return (
            self.rhat_max <= self.RHAT_LIMIT
            and self.ess_bulk_min >= self.ESS_BULK_LIMIT
            and self.divergences == 0
        )

    def __str__(self) -> str:
        verdict = "passed" if self.passed else "FAILED"
        return (
            f"R-hat max {self.rhat_max:.3f}, bulk ESS min {self.ess_bulk_min:.0f}, "
            f"{self.divergences} divergences: {verdict}"
        )


def diagnose(idata: Any, var_names: Iterable[str] | None = None) -> Diagnostics:
    """Compute R-hat, bulk ESS and divergences of a posterior.

    Parameters
    ----------
    idata : arviz.InferenceData
        Posterior with ``posterior`` and ``sample_stats`` groups.
    var_names : iterable of str, optional
        Posterior variables to check; default all (free variables and deterministics).
        Elements that do not vary across draws (e.g. survival at time zero) are skipped.

    Returns
    -------
    Diagnostics
    """
    posterior = _compat.get_group(idata, "posterior")
    if var_names is not None:
        posterior = posterior[list(var_names)]
    varying = [
        name for name in posterior.data_vars if float(np.ptp(posterior[name].values)) > 0
    ]
    rhat_all = np.array([np.nan])
    ess_all = np.array([np.nan])
    if varying:
        # Every element as one row of (chain, draw): all diagnosed in one vectorised call.
        draws = np.concatenate([
            np.moveaxis(np.asarray(posterior[name].values, dtype=float), (0, 1), (-2, -1))
            .reshape(-1, posterior.sizes["chain"], posterior.sizes["draw"])
            for name in varying
        ])
        # Elements that never vary (a survival curve at time zero) give NaN and are skipped.
        constant = np.ptp(draws, axis=(-2, -1)) == 0
        with np.errstate(divide="ignore", invalid="ignore"):
            rhat, ess = batch_rhat_ess(draws)
            rhat_all = np.where(constant, np.nan, rhat)
            ess_all = np.where(constant, np.nan, ess)
    divergences = 0
    if _compat.has_group(idata, "sample_stats"):
        stats = _compat.get_group(idata, "sample_stats")
        if "diverging" in stats:
            divergences = int(np.asarray(stats["diverging"].values).sum())
    return Diagnostics(
        rhat_max=float(np.nanmax(rhat_all)) if np.isfinite(rhat_all).any() else float("nan"),
        ess_bulk_min=float(np.nanmin(ess_all)) if np.isfinite(ess_all).any() else float("nan"),
        divergences=divergences,
    )
