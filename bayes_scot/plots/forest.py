"""The forest plot: every estimand under every prior, with P(superior) beside each row."""

from __future__ import annotations

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
from bayes_scot.plots._style import (
    INTERVAL_TEXT,
    families_present,
    prior_colour,
    probability_text,
    styled,
    wrap,
)

__all__ = ["plot_superiority"]


def plot_superiority(
    table: pd.DataFrame,
    *,
    priors: Sequence[str] | None = None,
    endpoints: Sequence[str] | None = None,
    estimands: Sequence[str] | None = None,
    title: str | None = None,
    experimental: str | None = None,
    control: str | None = None,
) -> Figure:
    """Forest plot of every estimand under every prior, with P(superior) beside each row.

    One panel per endpoint and estimand (each on its own scale); inside a panel, one row
    per prior with the posterior median (dot) and central credible interval (line). The
    posterior probability that the experimental arm is superior is written at the right
    of each row. Rows flagged by the diagnostics gate are drawn with an open marker and a
    dagger, never silently like the others.

    Parameters
    ----------
    table : pandas.DataFrame
        :meth:`bayes_scot.Reanalysis.table`, or any frame with the columns ``endpoint,
        estimand, prior, median, lower, upper, p_superior``. Optional columns: ``label``
        (panel title), ``flagged`` (bool), ``null`` (value of no difference; without it,
        1 for estimands whose name contains ``ratio`` or ``odds`` and 0 otherwise). Rows
        without a P(superior) (one arm's survival) are left out.
    priors : sequence of str, optional
        Priors to show, in this order (default: all, in table order).
    endpoints, estimands : sequence of str, optional
        Keep only these endpoints or estimand names (default: all, in table order).
    title : str, optional
        Figure title.
    experimental, control : str, optional
        Arm labels: with both (and a ``superior`` column), each panel says which side
        favours which arm. An ``mcid`` column adds the MCID line; a ``unit`` column puts
        survival differences in percentage points.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ValueError
        If a column is missing, a selection matches nothing, an interval does not contain
        its median, or a (endpoint, estimand, prior) row is duplicated.

    Notes
    -----
    A ratio panel (null 1, all limits positive) uses a logarithmic axis so that
    intervals symmetric on the log scale look symmetric.
    """
    df = select_table(table, priors=priors, endpoints=endpoints, estimands=estimands,
                      what="plot_superiority")
    prior_order = list(dict.fromkeys(df["prior"]))
    panels = list(dict.fromkeys(zip(df["endpoint"], df["estimand"], strict=True)))
    heights = [0.24 * len(prior_order) + 1.1 for _ in panels]
    with styled():
        fig = Figure(figsize=(7.0, sum(heights) + 0.4), layout="constrained")
        axes = fig.subplots(len(panels), 1, squeeze=False,
                            gridspec_kw={"height_ratios": heights})[:, 0]
        any_flagged = False
        for ax, (endpoint, estimand) in zip(axes, panels, strict=True):
            rows = df[(df["endpoint"] == endpoint) & (df["estimand"] == estimand)]
            rows = rows.set_index("prior").reindex(prior_order).dropna(subset=["median"])
            arms = (experimental, control) if experimental and control else None
            any_flagged |= _forest_panel(ax, rows, endpoint=endpoint, estimand=estimand,
                                         arms=arms)
        handles = [
            Line2D([], [], color=colour, marker="o", linewidth=1.4, label=family)
            for family, colour in families_present(prior_order).items()
        ]
        handles.append(Line2D([], [], color="#777777", linestyle="--", linewidth=0.8,
                              label="no difference"))
        handles.append(Line2D([], [], color="#444444", marker="o", linewidth=1.4,
                              label=f"posterior median, {INTERVAL_TEXT}"))
        if any_flagged:
            handles.append(Line2D([], [], color="#000000", marker="o", markerfacecolor="white",
                                  linestyle="none", label="† failed the diagnostics gate"))
        fig.legend(handles=handles, loc="outside lower center", ncols=min(len(handles), 4))
        if title:
            fig.suptitle(title)
    return fig


def _forest_panel(ax: Axes, rows: pd.DataFrame, *, endpoint: str, estimand: str,
                  arms: tuple[str, str] | None = None) -> bool:
    """Draw one forest panel; return whether a row is flagged."""
    null = _null_value(rows, estimand)
    first = {"null": null, "estimand": estimand, **rows.iloc[0].to_dict()}
    factor, xlabel, _log = display_scale(first) if "unit" in rows.columns else (1.0, "", False)
    null *= factor
    positions = np.arange(len(rows))[::-1]
    flagged_any = False
    for y, (prior, row) in zip(positions, rows.iterrows(), strict=True):
        colour = prior_colour(str(prior))
        flagged = bool(row.get("flagged", False)) if "flagged" in rows.columns else False
        flagged_any |= flagged
        interval_row(ax, y, *(float(row[c]) * factor for c in ("lower", "median", "upper")),
                  colour=colour, flagged=flagged)
        text = probability_text(float(row["p_superior"])) + (" †" if flagged else "")
        ax.annotate(text, xy=(1.01, y), xycoords=("axes fraction", "data"),
                    va="center", ha="left", fontsize=8)
    ax.annotate("P(sup.)", xy=(1.01, 1.0), xycoords="axes fraction", va="bottom",
                ha="left", fontsize=8, fontweight="bold")
    null_line(ax, null)
    ratio = null == 1.0 and bool((rows["lower"] > 0).all())
    if ratio:
        ratio_axis(ax)
    mcid = first.get("mcid")
    if mcid is not None and pd.notna(mcid):
        mcid_line(ax, float(mcid) * factor)
    if xlabel:
        ax.set_xlabel(xlabel, labelpad=2)
    if arms is not None and "superior" in rows.columns:
        favours(ax, superior=str(first["superior"]), experimental=arms[0], control=arms[1])
    ax.set_yticks(positions, [str(p) for p in rows.index])
    ax.set_ylim(-0.7, len(rows) - 0.3)
    ax.grid(axis="y", visible=False)
    label = rows["label"].iloc[0] if "label" in rows.columns else None
    title = str(label) if isinstance(label, str) and label else f"{endpoint}: {estimand}"
    # Leave room at the right of the title for the P(superior) column header.
    ax.set_title(wrap(title, 66), loc="left")
    return flagged_any


def _null_value(rows: pd.DataFrame, estimand: str) -> float:
    if "null" in rows.columns and rows["null"].notna().any():
        return float(rows["null"].dropna().iloc[0])
    name = estimand.lower()
    return 1.0 if ("ratio" in name or "odds" in name) else 0.0
