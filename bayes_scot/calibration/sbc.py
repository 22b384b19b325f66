r"""Simulation-based calibration: rank statistics and their uniformity.

If parameters :math:`\theta^{(i)}` are drawn from the prior, data :math:`y^{(i)}` from the
model given them, and each data set is fitted, then the rank of :math:`\theta^{(i)}` among
:math:`S` posterior draws of its own fit is uniform on :math:`\{0, \dots, S\}` whenever
the computation is right (Talts et al. 2018). Any departure (a sampler that misses a
tail, a model that simulates data differently from the one fitted) shows as a non-uniform
histogram of ranks.

Uniformity is judged with the empirical cumulative distribution function (ECDF) of the
ranks and simultaneous confidence bands (Säilynoja, Modrák, Bürkner & Vehtari 2022): at
evaluation points :math:`z_k = (j_k + 1)/(S + 1)` the count of ranks at most :math:`j_k`
is exactly :math:`\mathrm{Binomial}(N, z_k)` under uniformity, and the pointwise level
:math:`\gamma` is adjusted by simulation so that the whole ECDF lies inside the band
with probability :math:`1 - \alpha`. The smallest pointwise two-sided tail probability
of the observed ECDF is the test statistic; its simulated null distribution gives a
p-value, and the verdict "calibrated" means the ECDF never leaves the band.

Pure NumPy and SciPy: no PyMC.

References
----------
.. [1] Talts S, Betancourt M, Simpson D, Vehtari A, Gelman A. Validating Bayesian
   inference algorithms with simulation-based calibration. 2018. arXiv:1804.06788.
.. [2] Säilynoja T, Bürkner PC, Vehtari A. Graphical test for discrete uniformity and
   its applications in goodness-of-fit evaluation and multiple sample comparison. Stat
   Comput 2022;32:32. doi:10.1007/s11222-022-10090-6.
.. [3] Modrák M, Moon AH, Kim S, Bürkner P, Huurre N, Faltejsková K, Gelman A, Vehtari A.
   Simulation-based calibration checking for Bayesian computation: the choice of test
   quantities shapes sensitivity. Bayesian Anal 2023. doi:10.1214/23-BA1404.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy import stats

__all__ = [
    "DEFAULT_ALPHA",
    "EcdfBand",
    "RankUniformity",
    "ecdf_band",
    "rank_statistics",
    "thin_draws",
    "uniformity",
    "uniformity_table",
]

DEFAULT_ALPHA = 0.05
"""Probability that the ECDF of truly uniform ranks leaves its simultaneous band."""

_NULL_SIMULATIONS = 2000
"""Uniform rank samples simulated to adjust the band's pointwise level; the adjusted
level's Monte Carlo error is about ``sqrt(alpha (1 - alpha) / 2000)``, 0.005 at 5%."""

_BAND_SEED = 20220314
"""Fixed seed of the band simulation, so that a verdict never depends on the run."""


def rank_statistics(truth: ArrayLike, draws: ArrayLike) -> np.ndarray:
    """Rank of each true value among its fit's posterior draws.

    Parameters
    ----------
    truth : array_like, shape (n_simulations, ...)
        The values drawn from the prior (one per simulation and quantity).
    draws : array_like, shape (n_simulations, n_draws, ...)
        Posterior draws of the same quantities, one fit per simulation, draws pooled over
        chains (and thinned, :func:`thin_draws`).

    Returns
    -------
    numpy.ndarray of int, shape (n_simulations, ...)
        The number of draws below the true value, in ``0 .. n_draws``. Ties (possible
        for discrete quantities) are broken at random with a fixed seed, as Talts et al.
        recommend.
    """
    t = np.asarray(truth, dtype=float)
    d = np.asarray(draws, dtype=float)
    if d.ndim != t.ndim + 1 or d.shape[0] != t.shape[0] or d.shape[2:] != t.shape[1:]:
        raise ValueError(
            f"draws of shape {d.shape} do not match truth of shape {t.shape}: expected "
            "(n_simulations, n_draws, ...)"
        )
    below = (d < t[:, None]).sum(axis=1)
    ties = (d == t[:, None]).sum(axis=1)
    if ties.any():
        rng = np.random.default_rng(0)
        below = below + rng.integers(0, ties + 1)
    return below.astype(int)


def thin_draws(draws: ArrayLike, size: int) -> np.ndarray:
    """Keep ``size`` evenly spaced draws along axis 1 (pooled chains).

    Ranks assume nearly independent draws; thinning MCMC draws to about their effective
    sample size removes the autocorrelation that would make even a correct sampler's
    ranks look non-uniform (Talts et al. 2018, section 5.1).

    Parameters
    ----------
    draws : array_like, shape (n_simulations, n_draws, ...)
    size : int
        Draws to keep (at most ``n_draws``).

    Returns
    -------
    numpy.ndarray, shape (n_simulations, size, ...)
    """
    d = np.asarray(draws)
    if not 1 <= size <= d.shape[1]:
        raise ValueError(f"size must be in [1, {d.shape[1]}], not {size}")
    index = np.linspace(0, d.shape[1] - 1, size).round().astype(int)
    return d[:, index]


@dataclass(frozen=True)
class EcdfBand:
    """Simultaneous band of the ECDF of ``n`` ranks on ``0 .. draws``.

    Attributes
    ----------
    z : numpy.ndarray
        Evaluation points ``(j + 1) / (draws + 1)``.
    lower, upper : numpy.ndarray
        Band of the ECDF (fraction of ranks at most ``j``) at each point.
    gamma : float
        Adjusted pointwise level: the band is pointwise ``1 - gamma``.
    null_statistics : numpy.ndarray
        The simulated null distribution of the smallest pointwise tail probability.
    n, draws : int
    alpha : float
    """

    z: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    gamma: float
    null_statistics: np.ndarray
    n: int
    draws: int
    alpha: float


def _evaluation_ranks(draws: int, n: int) -> np.ndarray:
    """Ranks ``j`` at which the ECDF is evaluated: every one, or about ``n`` of them.

    Säilynoja et al. recommend at most about as many points as ranks: more add no power.
    """
    points = min(draws, max(n, 2))
    return np.unique(np.linspace(0, draws - 1, points).round().astype(int))


def _tail_statistic(counts: np.ndarray, n: int, z: np.ndarray) -> np.ndarray:
    """Smallest two-sided binomial tail probability of the counts over evaluation points."""
    below = stats.binom.cdf(counts, n, z)
    above = stats.binom.sf(counts - 1, n, z)
    return np.minimum(1.0, 2.0 * np.minimum(below, above)).min(axis=-1)


@lru_cache(maxsize=64)
def ecdf_band(n: int, draws: int, alpha: float = DEFAULT_ALPHA) -> EcdfBand:
    r"""Simultaneous :math:`1 - \alpha` band of the ECDF of ``n`` uniform ranks.

    Parameters
    ----------
    n : int
        Number of ranks (simulations).
    draws : int
        Posterior draws per fit: ranks lie in ``0 .. draws``.
    alpha : float, default 0.05

    Returns
    -------
    EcdfBand

    Notes
    -----
    The simulation method of Säilynoja et al. (2022, section 2.2): uniform rank samples
    are drawn, each one's smallest pointwise two-sided binomial tail probability over the
    evaluation points is recorded, and :math:`\gamma` is the :math:`\alpha` quantile of
    those minima. The band is then the pointwise binomial :math:`(\gamma/2,
    1 - \gamma/2)` interval, which the whole ECDF of uniform ranks stays inside with
    probability :math:`1 - \alpha`.
    """
    if n < 1 or draws < 1:
        raise ValueError("n and draws must be positive")
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha must be in (0, 1), not {alpha!r}")
    j = _evaluation_ranks(draws, n)
    z = (j + 1) / (draws + 1)
    rng = np.random.default_rng(_BAND_SEED)
    null_ranks = rng.integers(0, draws + 1, size=(_NULL_SIMULATIONS, n))
    offsets = (draws + 1) * np.arange(_NULL_SIMULATIONS)[:, None]
    histogram = np.bincount((null_ranks + offsets).ravel(),
                            minlength=_NULL_SIMULATIONS * (draws + 1))
    counts = histogram.reshape(_NULL_SIMULATIONS, draws + 1).cumsum(axis=1)[:, j]
    null = _tail_statistic(counts, n, z)
    gamma = float(np.quantile(null, alpha))
    lower = stats.binom.ppf(gamma / 2, n, z) / n
    upper = stats.binom.ppf(1 - gamma / 2, n, z) / n
    return EcdfBand(z, lower, upper, gamma, null, n, draws, alpha)


@dataclass(frozen=True)
class RankUniformity:
    r"""Uniformity of one quantity's ranks.

    Attributes
    ----------
    quantity : str
    n : int
        Ranks (simulations) judged.
    draws : int
        Posterior draws per fit (ranks lie in ``0 .. draws``).
    statistic : float
        Smallest pointwise two-sided binomial tail probability of the ECDF.
    p_value : float
        Share of uniform rank samples with a statistic at most this one.
    calibrated : bool
        The ECDF stays inside the simultaneous :math:`1 - \alpha` band.
    ecdf : numpy.ndarray
        ECDF at the band's evaluation points.
    band : EcdfBand
    """

    quantity: str
    n: int
    draws: int
    statistic: float
    p_value: float
    calibrated: bool
    ecdf: np.ndarray
    band: EcdfBand

    @property
    def verdict(self) -> str:
        """``"calibrated"`` or ``"miscalibrated"``."""
        return "calibrated" if self.calibrated else "miscalibrated"


def uniformity(
    ranks: ArrayLike, draws: int, *, quantity: str = "", alpha: float = DEFAULT_ALPHA
) -> RankUniformity:
    """Judge whether ranks on ``0 .. draws`` are uniform (simultaneous ECDF band).

    Parameters
    ----------
    ranks : array_like of int, shape (n,)
        Rank statistics (:func:`rank_statistics`); NaN entries (fits without a rank)
        are not allowed: count failed fits separately.
    draws : int
        Posterior draws per fit.
    quantity : str, optional
        Name of the quantity, carried into the result.
    alpha : float, default 0.05
        Probability that uniform ranks are called miscalibrated.

    Returns
    -------
    RankUniformity
    """
    r = np.asarray(ranks)
    if r.ndim != 1 or r.size == 0:
        raise ValueError("ranks must be a non-empty one-dimensional array")
    if r.min() < 0 or r.max() > draws:
        raise ValueError(f"ranks must lie in [0, {draws}]")
    band = ecdf_band(int(r.size), int(draws), float(alpha))
    j = np.round(band.z * (draws + 1) - 1).astype(int)
    counts = np.searchsorted(np.sort(r), j, side="right")
    statistic = float(_tail_statistic(counts[None, :], r.size, band.z)[0])
    p_value = float(np.mean(band.null_statistics <= statistic))
    ecdf = counts / r.size
    return RankUniformity(
        quantity=quantity,
        n=int(r.size),
        draws=int(draws),
        statistic=statistic,
        p_value=p_value,
        calibrated=bool(statistic > band.gamma),
        ecdf=ecdf,
        band=band,
    )


def uniformity_table(results: list[RankUniformity]) -> pd.DataFrame:
    """One row per quantity: ``quantity, n, draws, p_value, verdict``.

    Parameters
    ----------
    results : list of RankUniformity

    Returns
    -------
    pandas.DataFrame
    """
    return pd.DataFrame(
        {
            "quantity": [r.quantity for r in results],
            "n": [r.n for r in results],
            "draws": [r.draws for r in results],
            "p_value": [r.p_value for r in results],
            "verdict": [r.verdict for r in results],
        }
    )
