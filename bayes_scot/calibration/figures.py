"""Figures of a calibration study: ECDF differences of ranks, operating characteristics.

Built with matplotlib's object-oriented API (as :mod:`bayes_scot.plots`): each function
returns a new :class:`matplotlib.figure.Figure` and registers nothing with pyplot.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from bayes_scot.calibration.sbc import RankUniformity

__all__ = ["plot_ecdf_difference", "plot_operating_characteristics"]

_OK, _BAD = "#0072b2", "#d55e00"


def plot_ecdf_difference(
    results: Sequence[RankUniformity], *, columns: int = 3
) -> Figure:
    r"""ECDF of each quantity's ranks minus the uniform CDF, with its simultaneous band.

    Parameters
    ----------
    results : sequence of RankUniformity
        One panel per quantity (:func:`bayes_scot.calibration.sbc.uniformity`).
    columns : int, default 3

    Returns
    -------
    matplotlib.figure.Figure

    Notes
    -----
    The band is the simultaneous :math:`1 - \alpha` band of Säilynoja et al. (2022): a
    calibrated quantity's line stays inside it (probability :math:`1 - \alpha` for
    uniform ranks). A line above the band means too many small ranks (the posterior
    sits above the truth too often); a smile or frown of the line means posteriors too
    wide or too narrow.
    """
    if not results:
        raise ValueError("no quantities to plot")
    columns = max(1, min(columns, len(results)))
    rows = math.ceil(len(results) / columns)
    fig = Figure(figsize=(3.2 * columns, 2.5 * rows), layout="constrained")
    axes = np.atleast_1d(fig.subplots(rows, columns, squeeze=False)).ravel()
    for ax, result in zip(axes, results, strict=False):
        band, z = result.band, result.band.z
        colour = _OK if result.calibrated else _BAD
        ax.fill_between(z, band.lower - z, band.upper - z, step="post", color="0.85",
                        label=f"{1 - band.alpha:.0%} simultaneous band")
        ax.step(z, result.ecdf - z, where="post", color=colour, linewidth=1.2)
        ax.axhline(0.0, color="0.4", linewidth=0.6)
        ax.set_title(f"{result.quantity}: {result.verdict}", fontsize=9, color=colour)
        ax.set_xlim(0, 1)
        ax.set_xlabel("fractional rank", fontsize=8)
        ax.set_ylabel("ECDF difference", fontsize=8)
        ax.tick_params(labelsize=7)
    for ax in axes[len(results):]:
        ax.set_visible(False)
    fig.suptitle(f"Rank ECDF minus uniform ({results[0].n} simulations)", fontsize=10)
    return fig


def plot_operating_characteristics(oc: pd.DataFrame, *, x: str = "true_effect") -> Figure:
    """Probability of declaring superiority (and by the MCID) against the true effect.

    Parameters
    ----------
    oc : pandas.DataFrame
        Columns ``prior``, ``x`` and ``p_declare_superior`` (and ``p_declare_mcid``),
        as :func:`bayes_scot.calibration.operating_characteristics` returns.
    x : str, default "true_effect"
        Column on the horizontal axis (e.g. ``"hazard_ratio"``).

    Returns
    -------
    matplotlib.figure.Figure
    """
    missing = {"prior", x, "p_declare_superior"} - set(oc.columns)
    if missing:
        raise ValueError(f"operating characteristics lack the columns {sorted(missing)}")
    panels = [c for c in ("p_declare_superior", "p_declare_mcid") if c in oc.columns]
    fig = Figure(figsize=(4.2 * len(panels), 3.2), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, len(panels), squeeze=False)).ravel()
    for ax, column in zip(axes, panels, strict=True):
        for prior, rows in oc.groupby("prior", sort=False):
            rows = rows.sort_values(x)
            ax.plot(rows[x], rows[column], marker="o", markersize=3, label=str(prior))
        ax.set_ylim(-0.02, 1.02)
        ax.set_xlabel(x.replace("_", " "), fontsize=8)
        what = "superior" if column.endswith("superior") else "superior by the MCID"
        ax.set_ylabel(f"P(declare {what})", fontsize=8)
        ax.tick_params(labelsize=7)
    axes[-1].legend(fontsize=6, frameon=False)
    return fig
