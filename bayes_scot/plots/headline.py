"""The headline figure: each headline estimand under every prior, prior to posterior."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from bayes_scot.plots._axes import (
    display_scale,
    favours,
    interval_row,
    mcid_line,
    null_line,
    ratio_axis,
)
from bayes_scot.plots._checks import select_table
from bayes_scot.plots._style import families_present, prior_colour, styled, wrap

__all__ = ["TITLE_WIDTH", "plot_headline"]

TITLE_WIDTH = 34
"""Characters per line of a panel title: an estimand's whole label, wrapped to its column."""


def _prior_to_posterior(ax: Axes, start: float, end: float, y: float, *, marker: str,
                        markersize: float) -> None:
    """Mark a row's prior value (open, grey) with an arrow to its posterior value."""
    ax.plot([start], [y], marker=marker, markersize=markersize, color="#888888",
            markerfacecolor="white", linestyle="none")
    ax.annotate("", xy=(end, y), xytext=(start, y),
                arrowprops={"arrowstyle": "->", "color": "#888888", "linewidth": 0.7,
                            "shrinkA": 2, "shrinkB": 3})


def _headline_forest(ax: Axes, rows: pd.DataFrame, *, experimental: str,
                     control: str) -> None:
    first = rows.iloc[0].to_dict()
    factor, xlabel, log = display_scale(first)
    positions = np.arange(len(rows))[::-1]
    has_prior = "prior_median" in rows.columns and rows["prior_median"].notna().any()
    for y, (prior, row) in zip(positions, rows.iterrows(), strict=True):
        colour = prior_colour(str(prior))
        lo, med, hi = (float(row[c]) * factor for c in ("lower", "median", "upper"))
        interval_row(ax, y, lo, med, hi, colour=colour, flagged=bool(row.get("flagged", False)))
        if has_prior and pd.notna(row.get("prior_median")):
            _prior_to_posterior(ax, float(row["prior_median"]) * factor, med, y, marker="D",
                                markersize=3.2)
    null = float(first.get("null", 0.0)) * factor
    null_line(ax, null)
    if log:
        ratio_axis(ax)
    mcid = first.get("mcid")
    if mcid is not None and pd.notna(mcid):
        mcid_line(ax, float(mcid) * factor)
    ax.set_xlabel(xlabel, labelpad=2)
    favours(ax, superior=str(first.get("superior", "higher")), experimental=experimental,
            control=control)
    ax.set_ylim(-0.7, len(rows) - 0.3)
    ax.grid(axis="y", visible=False)


def _headline_probabilities(ax: Axes, rows: pd.DataFrame) -> None:
    positions = np.arange(len(rows))[::-1]
    has_prior = "prior_p_superior" in rows.columns and rows["prior_p_superior"].notna().any()
    for y, (prior, row) in zip(positions, rows.iterrows(), strict=True):
        colour = prior_colour(str(prior))
        p = float(row["p_superior"])
        if has_prior and pd.notna(row.get("prior_p_superior")):
            _prior_to_posterior(ax, float(row["prior_p_superior"]), p, y, marker="o",
                                markersize=4)
        ax.plot([p], [y], marker="o", markersize=4.5, color=colour, linestyle="none")
        if pd.notna(row.get("p_mcid")):
            ax.plot([float(row["p_mcid"])], [y], marker="s", markersize=3.8, color=colour,
                    markerfacecolor="white", linestyle="none")
    ax.axvline(0.95, color="#bbbbbb", linestyle=":", linewidth=0.9, zorder=0)
    ax.set_xlim(-0.02, 1.02)
    ax.set_xticks([0.0, 0.25, 0.5, 0.75, 0.95], ["0", "0.25", "0.5", "0.75", "0.95"])
    ax.set_xlabel("posterior probability", labelpad=2)
    ax.set_ylim(-0.7, len(rows) - 0.3)
    ax.grid(axis="y", visible=False)


def plot_headline(
    table: pd.DataFrame,
    *,
    estimands: Sequence[tuple[str, str]],
    priors: Sequence[str] | None = None,
    experimental: str = "experimental",
    control: str = "control",
    ncols: int = 3,
) -> Figure:
    """Draw the answer in one figure: each headline estimand under every prior.

    One column per headline estimand. The upper panel shows the effect on the field's
    scale (a hazard ratio on a log axis, a survival difference in percentage points):
    the posterior median and central credible interval under each prior (one row per
    prior), the dashed line of no difference, the dotted MCID line, and which side
    favours which arm; when the table has ``prior_median``, a grey diamond marks the
    prior median and an arrow leads to the posterior median. The lower panel shows
    P(superior) (filled circle) and P(> MCID) (open square) under each prior; when the
    table has ``prior_p_superior``, an open grey circle and an arrow show how far the
    data moved it.

    Parameters
    ----------
    table : pandas.DataFrame
        :meth:`bayes_scot.Reanalysis.table` (columns ``endpoint, estimand, prior,
        median, lower, upper, p_superior, p_mcid, null, superior, mcid, unit``; ``label``,
        ``flagged``, ``prior_median``, ``prior_p_superior`` when present). Rows without
        a P(superior) (one arm's survival) are left out.
    estimands : sequence of (endpoint, estimand)
        The headline estimands, in order.
    priors : sequence of str, optional
        Priors to show, in this order (default: all, in table order).
    experimental, control : str
        Arm labels for the "favours" sides.
    ncols : int, default 3
        Estimands per row of panels.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ValueError
        If a column is missing, or an estimand has no rows.
    """
    if not estimands:
        raise ValueError("plot_headline: no headline estimands")
    if ncols < 1:
        raise ValueError(f"plot_headline: ncols must be at least 1, not {ncols}")
    df = select_table(table, priors=priors, endpoints=None, estimands=None,
                      what="plot_headline")
    for column in ("null", "superior", "p_mcid", "mcid", "unit"):
        if column not in df.columns:
            raise ValueError(f"plot_headline: table is missing the column {column!r}")
    prior_order = list(priors) if priors is not None else list(dict.fromkeys(df["prior"]))
    panels = []
    for endpoint, estimand in estimands:
        rows = df[(df["endpoint"] == endpoint) & (df["estimand"] == estimand)]
        if rows.empty:
            raise ValueError(f"plot_headline: no rows for {endpoint}:{estimand}")
        panels.append(rows.set_index("prior").reindex(prior_order).dropna(subset=["median"]))
    ncols = min(ncols, len(panels))
    nrows = math.ceil(len(panels) / ncols)
    height = 0.15 * len(prior_order) + 1.0
    with styled():
        fig = Figure(figsize=(2.7 * ncols + 1.2, 2 * nrows * height + 0.7),
                     layout="constrained")
        axes = fig.subplots(2 * nrows, ncols, squeeze=False)
        for i in range(nrows * ncols):
            r, c = divmod(i, ncols)
            top, bottom = axes[2 * r, c], axes[2 * r + 1, c]
            if i >= len(panels):
                top.set_visible(False)
                bottom.set_visible(False)
                continue
            _headline_column(top, bottom, panels[i], experimental=experimental,
                             control=control, prior_labels=c == 0)
        handles = _headline_handles(prior_order, panels)
        fig.legend(handles=handles, loc="outside lower center", ncols=min(len(handles), 5))
    return fig


def _headline_column(top: Axes, bottom: Axes, rows: pd.DataFrame, *, experimental: str,
                     control: str, prior_labels: bool) -> None:
    """Draw one headline estimand: its effect above, its probabilities below."""
    _headline_forest(top, rows, experimental=experimental, control=control)
    _headline_probabilities(bottom, rows)
    label = rows["label"].iloc[0] if "label" in rows.columns else ""
    key = f"{rows['endpoint'].iloc[0]}: {rows['estimand'].iloc[0]}"
    # Wrapped, never cut: the contrast and the time point are at the end of a label.
    top.set_title(wrap(str(label) if label else key, TITLE_WIDTH), loc="left")
    positions = np.arange(len(rows))[::-1]
    for ax in (top, bottom):
        ax.set_yticks(positions, [str(p) for p in rows.index] if prior_labels else [])


def _headline_handles(priors: list[str], panels: list[pd.DataFrame]) -> list[Line2D]:
    """Legend entries: the prior families, the probabilities, the MCID, the arrows.

    The MCID's entries only when a panel draws one.
    """
    handles = [Line2D([], [], color=colour, marker="o", linewidth=1.3, label=family)
               for family, colour in families_present(priors).items()]
    handles.append(Line2D([], [], color="#444444", marker="o", linestyle="none",
                          label="P(superior)"))
    if any(p["p_mcid"].notna().any() for p in panels):
        handles.append(Line2D([], [], color="#444444", marker="s", markerfacecolor="white",
                              linestyle="none", label="P(> MCID)"))
    if any(p["mcid"].notna().any() for p in panels):
        handles.append(Line2D([], [], color="#009e73", linestyle=":", label="MCID"))
    if any("prior_median" in p.columns and p["prior_median"].notna().any() for p in panels):
        handles.append(Line2D([], [], color="#888888", marker="D", markerfacecolor="white",
                              linestyle="none", label="prior → posterior"))
    return handles
