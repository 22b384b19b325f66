"""Posterior probabilities of any event on one estimand, for any threshold.

The table answers two fixed questions per estimand (superior, superior by the MCID);
a statistician asks others: P(HR < 0.7), P(0 < difference < 5 points), P(benefit > x)
for every x. :func:`find_estimand` picks the estimand's draws from the fits,
:func:`interval_probability` answers "above and/or below" questions as brms's
``hypothesis()`` does, and :func:`benefit_curve` gives P(benefit beyond x) on a grid of
thresholds for a figure.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from bayes_scot.results.fits import PriorFit
from bayes_scot.stats.estimands import EstimandDraws

__all__ = ["benefit_curve", "find_estimand", "interval_probability"]


def find_estimand(fits: Iterable[PriorFit], estimand: str, prior: str) -> EstimandDraws:
    """Return the draws of one estimand under one prior.

    Parameters
    ----------
    fits : iterable of PriorFit
    estimand : str
        ``"endpoint:estimand"`` (``"efs:survival_difference_54"``), or the estimand's
        name alone when one endpoint has it.
    prior : str

    Returns
    -------
    EstimandDraws

    Raises
    ------
    KeyError
        If no fit under ``prior`` has the estimand, or a bare name is ambiguous; the
        message lists what there is.
    """
    endpoint, _, name = estimand.rpartition(":")
    fits = [f for f in fits if f.prior == prior]
    if not fits:
        raise KeyError(f"no fit under prior {prior!r}")
    found = [e for f in fits for e in f.estimands
             if e.estimand == name and (not endpoint or e.endpoint == endpoint)]
    keys = sorted({f"{e.endpoint}:{e.estimand}" for e in found})
    if len(keys) == 1:
        return found[0]
    if len(keys) > 1:
        raise KeyError(f"{estimand!r} is ambiguous: write one of {', '.join(keys)}")
    known = sorted({f"{e.endpoint}:{e.estimand}" for f in fits for e in f.estimands})
    raise KeyError(f"no estimand {estimand!r} under prior {prior!r}; known: "
                   + ", ".join(known))


def interval_probability(draws: np.ndarray, *, above: float | None = None,
                         below: float | None = None) -> float:
    """Posterior probability that the estimand lies above ``above`` and below ``below``.

    Parameters
    ----------
    draws : numpy.ndarray
        Draws of the estimand on its reported scale (a hazard ratio, not its log).
    above, below : float, optional
        At least one; with both, the probability of the interval ``(above, below)``.

    Returns
    -------
    float
        The share of draws in the region (strict inequalities).

    Raises
    ------
    ValueError
        If neither bound is given, or ``above >= below``.
    """
    if above is None and below is None:
        raise ValueError("give above=, below= or both")
    if above is not None and below is not None and above >= below:
        raise ValueError(f"above ({above:g}) must be less than below ({below:g})")
    x = np.asarray(draws, dtype=float).reshape(-1)
    inside = np.ones(x.shape, dtype=bool)
    if above is not None:
        inside &= x > above
    if below is not None:
        inside &= x < below
    return float(inside.mean())


def benefit_curve(draws_by_prior: dict[str, EstimandDraws], *,
                  thresholds: Sequence[float] | None = None, points: int = 121) -> pd.DataFrame:
    """P(benefit beyond x) for every threshold x, under each prior.

    Parameters
    ----------
    draws_by_prior : dict of str to EstimandDraws
        One estimand's draws under each prior.
    thresholds : sequence of float, optional
        Default: ``points`` values spanning the central 99% of all draws (evenly on the
        log scale for a ratio, whose null is 1 and draws positive).
    points : int, default 121

    Returns
    -------
    pandas.DataFrame
        Columns ``prior, threshold, probability``: the posterior probability that the
        estimand lies beyond ``threshold`` on its superior side (below it for "lower is
        better").
    """
    if not draws_by_prior:
        raise ValueError("benefit_curve needs the draws of at least one prior")
    first = next(iter(draws_by_prior.values()))
    if thresholds is None:
        every = np.concatenate([e.draws.reshape(-1) for e in draws_by_prior.values()])
        lo, hi = np.quantile(every, [0.005, 0.995])
        if first.null == 1.0 and lo > 0:
            grid = np.exp(np.linspace(np.log(lo), np.log(hi), points))
        else:
            grid = np.linspace(lo, hi, points)
    else:
        grid = np.asarray(thresholds, dtype=float)
    rows = []
    for prior, e in draws_by_prior.items():
        x = np.sort(e.draws.reshape(-1))
        if e.superior == "higher":
            p = 1.0 - np.searchsorted(x, grid, side="right") / x.size
        else:
            p = np.searchsorted(x, grid, side="left") / x.size
        rows.append(pd.DataFrame({"prior": prior, "threshold": grid, "probability": p}))
    return pd.concat(rows, ignore_index=True)
