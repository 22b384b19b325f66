"""R-hat, bulk ESS and divergences of many fits at once, on plain arrays.

A calibration study fits thousands of simulated data sets; building an ArviZ
``InferenceData`` per fit and diagnosing it costs tens of milliseconds each, more than
sampling it. Here the diagnostics of :func:`bayes_scot.fitting.diagnose` are computed
vectorised over a leading batch axis: rank-normalised split R-hat (the larger of bulk and
folded tail R-hat) and bulk ESS with Geyer's initial monotone sequence, as in Vehtari et
al. (2021) and ArviZ.

References
----------
.. [1] Vehtari A, Gelman A, Simpson D, Carpenter B, Bürkner P-C. Rank-normalization,
   folding, and localization: an improved R-hat for assessing convergence of MCMC.
   Bayesian Analysis 2021;16:667-718. doi:10.1214/20-BA1221
.. [2] Geyer CJ. Practical Markov chain Monte Carlo. Stat Sci 1992;7:473-83.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import ndtri
from scipy.stats import rankdata

__all__ = ["batch_ess_bulk", "batch_rhat", "split_chains"]


def split_chains(x: ArrayLike) -> np.ndarray:
    """Split each chain in halves: ``(..., chain, draw)`` -> ``(..., 2 chain, draw // 2)``.

    An odd draw count drops the middle draw, as ArviZ does.
    """
    a = np.asarray(x, dtype=float)
    half = a.shape[-1] // 2
    return np.concatenate([a[..., :half], a[..., -half:]], axis=-2)


def _rank_normalise(x: np.ndarray) -> np.ndarray:
    """Return normal scores of the ranks over the last two axes (chains and draws pooled)."""
    shape = x.shape
    flat = x.reshape(*shape[:-2], -1)
    ranks = rankdata(flat, axis=-1, method="average")
    n = flat.shape[-1]
    return ndtri((ranks - 0.375) / (n + 0.25)).reshape(shape)


def _rhat_classic(x: np.ndarray) -> np.ndarray:
    draws = x.shape[-1]
    chain_mean = x.mean(axis=-1)
    within = x.var(axis=-1, ddof=1).mean(axis=-1)
    between = draws * chain_mean.var(axis=-1, ddof=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.sqrt(((draws - 1) / draws * within + between / draws) / within)


def batch_rhat(x: ArrayLike) -> np.ndarray:
    """Rank-normalised split R-hat over the last two axes ``(chain, draw)``.

    Parameters
    ----------
    x : array_like, shape (..., chain, draw)

    Returns
    -------
    numpy.ndarray, shape (...)
        The larger of the bulk R-hat (rank-normalised split chains) and the tail R-hat
        (the same of the draws folded about their median), as ArviZ's ``rhat``. NaN
        where the draws do not vary.
    """
    split = split_chains(x)
    bulk = _rhat_classic(_rank_normalise(split))
    median = np.median(split.reshape(*split.shape[:-2], -1), axis=-1)
    folded = np.abs(split - median[..., None, None])
    tail = _rhat_classic(_rank_normalise(folded))
    return np.fmax(bulk, tail)


def _ess(x: np.ndarray) -> np.ndarray:
    """Effective sample size of split chains ``(..., chain, draw)``, as ArviZ computes it.

    Geyer's initial positive sequence of autocorrelation pairs is truncated at the first
    pair that is not positive (or where ArviZ's loop ends, lag ``draws - 3``), made
    monotone, and the positive even lag after it is added once, all exactly as
    ``arviz.stats.diagnostics._ess`` does draw by draw, here for the whole batch at once.
    """
    chains, draws = x.shape[-2:]
    centred = x - x.mean(axis=-1, keepdims=True)
    size = 1 << int(np.ceil(np.log2(2 * draws)))
    spectrum = np.fft.rfft(centred, n=size, axis=-1)
    acov = np.fft.irfft(spectrum * np.conj(spectrum), n=size, axis=-1)[..., :draws] / draws
    chain_var = acov[..., 0] * draws / (draws - 1.0)
    mean_var = chain_var.mean(axis=-1)
    var_plus = mean_var * (draws - 1.0) / draws
    if chains > 1:
        var_plus = var_plus + x.mean(axis=-1).var(axis=-1, ddof=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        rho = 1.0 - (mean_var[..., None] - acov.mean(axis=-2)) / var_plus[..., None]
    rho[..., 0] = 1.0
    last_pair = (draws - 3) // 2  # ArviZ's loop computes pairs up to this one
    pairs = rho[..., : 2 * last_pair + 2].reshape(*rho.shape[:-1], -1, 2).sum(axis=-1)
    # Number of pairs kept: up to the first one that is not positive, at most last_pair.
    stops = ~(pairs > 0)
    first_stop = np.where(stops.any(axis=-1), stops.argmax(axis=-1), last_pair + 1)
    kept = np.minimum(first_stop, last_pair)[..., None]
    monotone = np.minimum.accumulate(pairs, axis=-1)
    total = np.where(np.arange(pairs.shape[-1]) < kept, monotone, 0.0).sum(axis=-1)
    even = np.take_along_axis(rho, 2 * kept, axis=-1)[..., 0]
    pair = np.take_along_axis(pairs, kept, axis=-1)[..., 0]
    tail = np.where(kept[..., 0] == 0, 1.0, np.where((even > 0) | (pair >= 0), even, 0.0))
    tau = np.maximum(-1.0 + 2.0 * total + tail, 1.0 / np.log10(chains * draws))
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(np.isnan(rho).any(axis=-1), np.nan, chains * draws / tau)


def batch_ess_bulk(x: ArrayLike) -> np.ndarray:
    """Bulk effective sample size over the last two axes ``(chain, draw)``.

    Parameters
    ----------
    x : array_like, shape (..., chain, draw)

    Returns
    -------
    numpy.ndarray, shape (...)
        ESS of the rank-normalised split chains; NaN where the draws do not vary.
    """
    split = split_chains(x)
    ess = _ess(_rank_normalise(split))
    constant = np.ptp(split.reshape(*split.shape[:-2], -1), axis=-1) == 0
    return np.where(constant, np.nan, ess)
