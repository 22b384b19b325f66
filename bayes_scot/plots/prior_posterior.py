"""The density of a treatment effect's prior beside its posterior."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import matplotlib.ticker as mticker
import numpy as np
from matplotlib.figure import Figure
from scipy import stats

from bayes_scot.conventions import CREDIBLE_LEVEL
from bayes_scot.plots._axes import ratio_ticks
from bayes_scot.plots._style import BAND_ALPHA, INTERVAL_TEXT, styled, wrap

__all__ = ["plot_prior_posterior"]


def plot_prior_posterior(
    prior: Any,
    posterior: Any,
    *,
    label: str,
    null: float | None = 0.0,
    mcid: float | None = None,
    title: str | None = None,
    ratio: bool = False,
) -> Figure:
    """Density of a treatment effect's prior beside its posterior.

    The posterior's central credible interval is shaded under its density; dashed and
    dotted lines mark no difference and the minimal clinically important difference. How
    far the posterior moved from the prior is how much the data said.

    Parameters
    ----------
    prior : array_like or tuple of (float, float)
        Prior draws (any shape; flattened), or a ``(mean, sd)`` tuple for a normal prior,
        or an object with ``mean`` and ``sd`` attributes such as
        :class:`bayes_scot.stats.priors.EffectPrior`.
    posterior : array_like or tuple of (float, float)
        Posterior draws (any shape, e.g. ``(chain, draw)``; flattened), or ``(mean, sd)``
        for a normal posterior such as a closed-form normal-normal update.
    label : str
        The effect and its scale, used as the x-axis label (``"log hazard ratio, EFS"``),
        wrapped when long.
    null : float or None, default 0.0
        Value of no difference, drawn as a dashed line (``None`` draws none).
    mcid : float, optional
        Minimal clinically important difference on the same scale, drawn dotted.
    title : str, optional
        Axes title.
    ratio : bool, default False
        The effect is a log ratio (a log hazard ratio): the axis is labelled with ratio
        values (0.5, 1, 2) at their logarithms, so the reader reads hazard ratios.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    TypeError
        If ``label`` is not a string.
    ValueError
        If draws are fewer than two, not finite, or constant, or a normal's sd is not
        positive.

    Notes
    -----
    Densities of draws are Gaussian kernel density estimates (Scott's rule bandwidth,
    :class:`scipy.stats.gaussian_kde`); the x range covers the posterior generously and
    the prior where it is not so flat as to be invisible.
    """
    if not isinstance(label, str) or not label:
        raise TypeError("label must be a non-empty string naming the effect and its scale")
    prior_dist = _density_source(prior, "prior")
    post_dist = _density_source(posterior, "posterior")
    post_lo, post_hi = post_dist.quantiles([0.001, 0.999])
    prior_lo, prior_hi = prior_dist.quantiles([0.01, 0.99])
    width = post_hi - post_lo
    lo = max(min(post_lo, prior_lo), post_lo - 2.0 * width)
    hi = min(max(post_hi, prior_hi), post_hi + 2.0 * width)
    for marker in (null, mcid):
        if marker is not None and math.isfinite(marker):
            lo, hi = min(lo, marker), max(hi, marker)
    pad = 0.04 * (hi - lo)
    grid = np.linspace(lo - pad, hi + pad, 512)
    alpha = (1.0 - CREDIBLE_LEVEL) / 2.0
    cred_lo, cred_hi = post_dist.quantiles([alpha, 1.0 - alpha])
    with styled():
        fig = Figure(figsize=(5.4, 3.6), layout="constrained")
        ax = fig.add_subplot()
        prior_density = prior_dist.pdf(grid)
        post_density = post_dist.pdf(grid)
        ax.plot(grid, prior_density, color="#7f7f7f", linewidth=1.4, linestyle="-",
                label="prior")
        ax.fill_between(grid, prior_density, color="#7f7f7f", alpha=0.10, linewidth=0)
        ax.plot(grid, post_density, color="#0072b2", linewidth=1.8, label="posterior")
        inside = (grid >= cred_lo) & (grid <= cred_hi)
        ax.fill_between(grid, post_density, where=inside, color="#0072b2",
                        alpha=BAND_ALPHA + 0.08, linewidth=0,
                        label=f"posterior {INTERVAL_TEXT}")
        if null is not None:
            ax.axvline(null, color="#333333", linestyle="--", linewidth=0.9,
                       label="no difference")
        if mcid is not None:
            ax.axvline(mcid, color="#333333", linestyle=":", linewidth=1.1, label="MCID")
        ax.set_xlim(grid[0], grid[-1])
        ax.set_ylim(bottom=0.0)
        if ratio:
            ticks = [math.log(t) for t in ratio_ticks(math.exp(grid[0]), math.exp(grid[-1]))]
            ax.xaxis.set_major_locator(mticker.FixedLocator(ticks))
            ax.xaxis.set_major_formatter(
                mticker.FuncFormatter(lambda v, _: f"{math.exp(v):.2g}"))
        ax.set_xlabel(wrap(label, 80))
        ax.set_ylabel("density")
        fig.legend(*ax.get_legend_handles_labels(), loc="outside lower center", ncols=3)
        if title:
            ax.set_title(title, loc="left")
    return fig


class _Normal:
    def __init__(self, mean: float, sd: float) -> None:
        self.mean, self.sd = mean, sd

    def pdf(self, x: np.ndarray) -> np.ndarray:
        return stats.norm.pdf(x, self.mean, self.sd)

    def quantiles(self, q: Sequence[float]) -> np.ndarray:
        return stats.norm.ppf(q, self.mean, self.sd)


class _Draws:
    def __init__(self, draws: np.ndarray) -> None:
        self.draws = draws
        self.kde = stats.gaussian_kde(draws)

    def pdf(self, x: np.ndarray) -> np.ndarray:
        return self.kde(x)

    def quantiles(self, q: Sequence[float]) -> np.ndarray:
        return np.quantile(self.draws, q)


def _density_source(value: Any, what: str) -> _Normal | _Draws:
    if hasattr(value, "mean") and hasattr(value, "sd") and not isinstance(value, np.ndarray):
        value = (value.mean, value.sd)
    if isinstance(value, tuple):
        if len(value) != 2:
            raise ValueError(f"{what} as a tuple must be (mean, sd), got {len(value)} values")
        mean, sd = (float(v) for v in value)
        if not (math.isfinite(mean) and math.isfinite(sd) and sd > 0):
            raise ValueError(f"{what} (mean, sd) needs a finite mean and a positive sd, "
                             f"got ({mean!r}, {sd!r})")
        return _Normal(mean, sd)
    try:
        draws = np.asarray(value, dtype=float).ravel()
    except (TypeError, ValueError):
        raise TypeError(f"{what} must be draws (array_like) or a (mean, sd) tuple, "
                        f"not {type(value).__name__}") from None
    if draws.size < 2:
        raise ValueError(f"{what} needs at least two draws, got {draws.size}")
    if not np.isfinite(draws).all():
        raise ValueError(f"{what} draws contain {int((~np.isfinite(draws)).sum())} "
                         "non-finite values")
    if np.ptp(draws) == 0:
        raise ValueError(f"{what} draws are all equal; a density cannot be estimated")
    return _Draws(draws)
