"""The posterior predictive check of every published number on one scale."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from bayes_scot.conventions import CREDIBLE_LEVEL
from bayes_scot.plots._checks import check_frame
from bayes_scot.plots._style import styled

__all__ = ["plot_predictive_check", "row_labels"]


def row_labels(rows: pd.DataFrame) -> list[str]:
    """Name each published number of a predictive check, one label per row.

    ``"<trial>, <population>: <endpoint> <arm> <month> mo <statistic>"``: the trial when
    the rows come from more than one (``trial`` column), the population when they span
    more than one (``population`` column), so that two trials' counts at the same month
    are never labelled alike; a part a row lacks (the arm of a difference) is left out
    with its space.

    Parameters
    ----------
    rows : pandas.DataFrame
        Rows of :meth:`bayes_scot.Reanalysis.reproduce`.

    Returns
    -------
    list of str
    """
    def several(column: str) -> bool:
        return column in rows.columns and len(set(rows[column].dropna())) > 1

    where = [c for c in ("trial", "population") if several(c)]
    labels = []
    for r in rows.to_dict("records"):
        month = r.get("time_months")
        parts = [r.get("endpoint"), r.get("arm"),
                 None if _absent(month) else f"{float(month):g} mo", r.get("statistic")]
        what = " ".join(" ".join(str(p).split()) for p in parts if not _absent(p))
        context = ", ".join(" ".join(str(r[c]).split()) for c in where if not _absent(r[c]))
        labels.append(f"{context}: {what}" if context else what)
    return labels


def _absent(value: Any) -> bool:
    """Whether a label part is missing: None, NaN or blank text."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    return isinstance(value, float) and math.isnan(value)


def plot_predictive_check(reproduce: pd.DataFrame, *, title: str | None = None) -> Figure:
    """Posterior predictive check: where each published number falls in its interval.

    Each published number is one row, grouped by endpoint. Its predictive interval (the
    central :data:`~bayes_scot.conventions.CREDIBLE_LEVEL` interval of the same summary
    predicted by the model) is scaled to run from -1 to +1 with the median at 0, so
    numbers of every kind (counts, proportions, means, ratios) share one axis; the dot is
    the published number on that scale. Dots outside the band (drawn as crosses) are
    numbers the model does not reproduce. Each row is named by :func:`row_labels` (with
    its trial and population when the rows span several).

    Parameters
    ----------
    reproduce : pandas.DataFrame
        :meth:`bayes_scot.Reanalysis.reproduce` (columns ``endpoint, arm, time_months,
        statistic, published, median, lower, upper, outside``; ``trial`` and
        ``population`` when present).
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
    order = ["endpoint", *(["trial"] if "trial" in df.columns else []), "time_months"]
    df = df.assign(position=position.to_numpy()).sort_values(order, kind="stable")
    labels = row_labels(df)
    with styled():
        # Wide enough that long labels (trial, population) leave the axis its width.
        longest = max(len(label) for label in labels)
        fig = Figure(figsize=(max(6.4, 3.6 + 0.05 * longest), 0.19 * len(df) + 1.3),
                     layout="constrained")
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
