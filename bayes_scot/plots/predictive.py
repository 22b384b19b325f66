"""The posterior predictive check of every published number on one scale."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from bayes_scot.conventions import CREDIBLE_LEVEL
from bayes_scot.plots._checks import check_frame
from bayes_scot.plots._style import styled

__all__ = ["plot_predictive_check"]


def plot_predictive_check(reproduce: pd.DataFrame, *, title: str | None = None) -> Figure:
    """Posterior predictive check: where each published number falls in its interval.

    Each published number is one row, grouped by endpoint. Its predictive interval (the
    central :data:`~bayes_scot.conventions.CREDIBLE_LEVEL` interval of the same summary
    predicted by the model) is scaled to run from -1 to +1 with the median at 0, so
    numbers of every kind (counts, proportions, means, ratios) share one axis; the dot is
    the published number on that scale. Dots outside the band (drawn as crosses) are
    numbers the model does not reproduce.

    Parameters
    ----------
    reproduce : pandas.DataFrame
        :meth:`bayes_scot.Reanalysis.reproduce` (columns ``endpoint, arm, time_months,
        statistic, published, median, lower, upper, outside``; ``trial`` when present).
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ValueError
        If a column is missing or no row has a predictive interval.
    """
    df = check_frame(reproduce, ("endpoint", "arm", "time_months", "statistic",
                                  "published", "median", "lower", "upper", "outside"),
                      "plot_predictive_check: reproduce")
    numeric = df[["published", "median", "lower", "upper"]].apply(pd.to_numeric,
                                                                    errors="coerce")
    df = df.assign(**numeric)[numeric.notna().all(axis=1).to_numpy()]
    if df.empty:
        raise ValueError("plot_predictive_check: no published number has an interval")
    median = df["median"].astype(float)
    half_up = (df["upper"] - median).where(df["upper"] > median, np.nan)
    half_down = (median - df["lower"]).where(median > df["lower"], np.nan)
    above = df["published"] >= median
    scale = half_up.where(above, half_down).fillna(1.0)
    position = ((df["published"] - median) / scale).clip(-3.0, 3.0)
    df = df.assign(position=position.to_numpy()).sort_values(["endpoint", "time_months"],
                                                             kind="stable")
    labels = [
        f"{r.endpoint} {'' if pd.isna(r.arm) else r.arm} {r.time_months:g} mo {r.statistic}"
        for r in df.itertuples()
    ]
    with styled():
        fig = Figure(figsize=(6.4, 0.19 * len(df) + 1.3), layout="constrained")
        ax = fig.add_subplot()
        y = np.arange(len(df))[::-1]
        ax.axvspan(-1.0, 1.0, color="#0072b2", alpha=0.12, linewidth=0)
        ax.axvline(0.0, color="#0072b2", linewidth=0.8)
        outside = df["outside"].astype(bool).to_numpy()
        ax.plot(df["position"][~outside], y[~outside], marker="o", linestyle="none",
                markersize=4, color="#000000", label="published, inside its interval")
        ax.plot(df["position"][outside], y[outside], marker="X", linestyle="none",
                markersize=6, color="#d55e00", label="published, outside its interval")
        ax.set_yticks(y, labels, fontsize=6.5)
        ax.set_ylim(-0.8, len(df) - 0.2)
        ax.set_xlim(-3.2, 3.2)
        ax.set_xticks([-3, -1, 0, 1, 3], ["≤ -3", "lower", "median", "upper", "≥ 3"])
        ax.set_xlabel(f"published number within its {CREDIBLE_LEVEL:.0%} predictive interval")
        ax.grid(axis="y", visible=False)
        fig.legend(*ax.get_legend_handles_labels(), loc="outside lower center", ncols=2)
        if title:
            ax.set_title(title, loc="left")
    return fig
