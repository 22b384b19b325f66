"""P(benefit beyond x) for every threshold x, one line per prior."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import pandas as pd
from matplotlib.figure import Figure

from bayes_scot.plots._axes import display_scale, favours, mcid_line, null_line, ratio_axis
from bayes_scot.plots._checks import check_frame
from bayes_scot.plots._style import prior_colour, styled, wrap

__all__ = ["plot_benefit_curve"]


def plot_benefit_curve(
    curves: pd.DataFrame,
    *,
    null: float,
    superior: str,
    mcid: float | None = None,
    label: str = "",
    unit_row: Mapping[str, Any] | None = None,
    experimental: str = "experimental",
    control: str = "control",
) -> Figure:
    """P(benefit beyond x) for every threshold x, one line per prior.

    Parameters
    ----------
    curves : pandas.DataFrame
        Columns ``prior, threshold, probability`` (from
        :meth:`bayes_scot.Reanalysis.benefit_curve`): for each threshold the posterior
        probability that the effect lies beyond it on the superior side.
    null : float
        Value of no difference.
    superior : {"higher", "lower"}
        Which side of a threshold is a benefit.
    mcid : float, optional
        The clinically important threshold, drawn as a dotted line.
    label : str, optional
        Title (the estimand's label).
    unit_row : mapping, optional
        A table row of the estimand, for its display scale (percentage points, log axis).
    experimental, control : str
        Arm labels for the "favours" sides.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ValueError
        If a column is missing or a probability lies outside [0, 1].
    """
    df = check_frame(curves, ("prior", "threshold", "probability"),
                     "plot_benefit_curve: curves", numeric=("threshold", "probability"))
    if df.empty:
        raise ValueError("plot_benefit_curve: curves has no rows")
    p = df["probability"].astype(float)
    if ((p < 0) | (p > 1)).any():
        raise ValueError("plot_benefit_curve: probabilities must lie in [0, 1]")
    if superior not in ("higher", "lower"):
        raise ValueError(f"plot_benefit_curve: superior must be 'higher' or 'lower', "
                         f"not {superior!r}")
    row = dict(unit_row or {"null": null})
    factor, xlabel, log = display_scale(row)
    with styled():
        fig = Figure(figsize=(6.0, 3.4), layout="constrained")
        ax = fig.add_subplot()
        for prior, rows in df.groupby("prior", sort=False):
            ax.plot(rows["threshold"].astype(float) * factor, rows["probability"],
                    color=prior_colour(str(prior)), linewidth=1.8 if prior == "reference"
                    else 1.1, label=str(prior))
        null_line(ax, null * factor)
        if log:
            ratio_axis(ax)
        if mcid is not None and math.isfinite(mcid):
            mcid_line(ax, mcid * factor)
        ax.set_ylim(0.0, 1.0)
        side = "below" if superior == "lower" else "above"
        ax.set_ylabel(f"P(effect {side} x)")
        ax.set_xlabel(f"threshold x: {xlabel}", labelpad=2)
        favours(ax, superior=superior, experimental=experimental, control=control)
        ax.legend(loc="best", fontsize=7)
        if label:
            ax.set_title(wrap(label, 70), loc="left")
    return fig
