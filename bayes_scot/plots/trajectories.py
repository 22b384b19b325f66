"""Posterior arm trajectories of the continuous endpoints."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from bayes_scot.evidence import POOLED
from bayes_scot.evidence.endpoints import Endpoint
from bayes_scot.plots._checks import (
    CURVE_COLUMNS,
    PUBLISHED_COLUMNS,
    check_band,
    check_frame,
    select,
)
from bayes_scot.plots._curves import (
    ARM_MARKERS_HANDLER,
    arm_handles,
    arm_markers,
    draw_arm_curves,
)
from bayes_scot.plots._style import endpoint_info, styled, wrap

__all__ = ["SCORE_RANGES", "plot_trajectories"]


def plot_trajectories(
    trajectories: pd.DataFrame,
    *,
    published: pd.DataFrame | None = None,
    endpoints: Sequence[str] | None = None,
    ncols: int = 3,
    title: str | None = None,
    declared_endpoints: Mapping[str, Endpoint] | None = None,
    arm_labels: Mapping[str, str] | None = None,
) -> Figure:
    """Posterior arm trajectories of continuous endpoints, with credible bands.

    One panel per endpoint (HAQ-DI, SF-36 PCS, FVC, ...); each arm's posterior median at
    each visit is a line with markers and its central credible band is shaded. The y axis
    says which direction is better, read from the endpoint registry or from the
    endpoints the trial file declares.

    Parameters
    ----------
    trajectories : pandas.DataFrame
        Columns ``endpoint, arm, time_months, median, lower, upper``. An optional
        ``statistic`` column (``"mean"`` or ``"change"``) says whether the values are
        levels or changes from baseline; it picks the matching published rows.
    published : pandas.DataFrame, optional
        Published numbers in the layout of :meth:`bayes_scot.Trial.to_frame`. Rows of
        kind ``visit_summaries`` whose statistic is ``mean`` or ``change`` (the one in
        ``trajectories``, when it says) are drawn as dots for the endpoints and arms
        shown; everything else is ignored.
    endpoints : sequence of str, optional
        Panels to draw, in this order (default: those in ``trajectories``).
    ncols : int, default 3
        Panels per row.
    title : str, optional
        Figure title.
    declared_endpoints : mapping of str to Endpoint, optional
        Endpoints the trial file declares (:attr:`bayes_scot.Trial.endpoints`): their
        label, unit and direction title and label the panels, as the built-in
        endpoints' do.
    arm_labels : mapping of str to str, optional
        How the legend names each arm, by the arm's name in ``curves`` (e.g.
        ``{a.name: a.display for a in trial.arms}``; default
        :func:`~bayes_scot.plots._style.arm_label`'s).

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ValueError
        If a column is missing, the selection is empty, a band does not contain its
        median, or ``ncols`` is not a positive integer.
    """
    df = check_frame(trajectories, CURVE_COLUMNS, "trajectories",
                     numeric=("time_months", "median", "lower", "upper"))
    df = select(df, "endpoint", endpoints, "trajectories")
    check_band(df, "trajectories")
    if not isinstance(ncols, int | np.integer) or isinstance(ncols, bool) or ncols < 1:
        raise ValueError(f"ncols must be a positive integer, not {ncols!r}")
    panel_endpoints = list(dict.fromkeys(df["endpoint"]))
    arms = list(dict.fromkeys(df["arm"]))
    pub = _published_visits(published, df, panel_endpoints, arms)
    ncols = min(ncols, len(panel_endpoints))
    nrows = math.ceil(len(panel_endpoints) / ncols)
    with styled():
        fig = Figure(figsize=(3.3 * ncols + 0.4, 2.8 * nrows + 0.5), layout="constrained")
        grid = fig.subplots(nrows, ncols, squeeze=False)
        for ax in grid.flat[len(panel_endpoints):]:
            ax.set_visible(False)
        for ax, endpoint in zip(grid.flat, panel_endpoints, strict=False):
            sub = df[df["endpoint"] == endpoint]
            drawn = draw_arm_curves(ax, sub, arms, linewidth=1.5, marker="o", markersize=3)
            for arm, colour in drawn.items():
                mine = pub[(pub["endpoint"] == endpoint) & (pub["arm"] == arm)]
                ax.plot(mine["time_months"], mine["value"], marker="D", linestyle="none",
                        markersize=4.5, color=colour, markeredgecolor="black",
                        markeredgewidth=0.6)
            info = endpoint_info(endpoint, declared_endpoints)
            ax.set_title(_trajectory_title(endpoint, info), loc="left")
            ax.set_xlabel("months since randomisation")
            ax.set_ylabel(_trajectory_axis_label(sub, info))
            _keep_within_scale(ax, endpoint, sub)
        handles: list[Any] = arm_handles(arms, arm_labels, linewidth=1.5, marker="o",
                                         markersize=3)
        texts = [h.get_label() for h in handles]
        if len(pub):
            shown = [a for a in arms if a in set(pub["arm"])]
            handles.append(arm_markers("D", shown, all_arms=arms, markersize=4.5,
                                       markeredgecolor="black", markeredgewidth=0.6))
            texts.append("published")
        fig.legend(handles, texts, handler_map=ARM_MARKERS_HANDLER,
                   loc="outside lower center", ncols=len(handles))
        if title:
            fig.suptitle(title)
    return fig


#: The range of each bounded score (levels; a change from baseline spans minus the
#: width to plus the width). FVC and DLCO in % predicted have no upper bound.
SCORE_RANGES: Mapping[str, tuple[float, float]] = {
    "haq_di": (0.0, 3.0),
    "sf36_pcs": (0.0, 100.0),
    "sf36_mcs": (0.0, 100.0),
    "mrss": (0.0, 51.0),
}


def _keep_within_scale(ax: Axes, endpoint: str, rows: pd.DataFrame) -> None:
    """Limit the y axis to the score's range and say so when a band runs beyond it.

    A band wider than the scale itself comes from the prior, not from data: the panel is
    cut at the scale's limits and labelled "prior-driven".
    """
    if endpoint not in SCORE_RANGES:
        return
    low, high = SCORE_RANGES[endpoint]
    change = "statistic" in rows.columns and (rows["statistic"] == "change").all()
    if change:
        low, high = low - high, high - low
    if rows["lower"].min() >= low and rows["upper"].max() <= high:
        return
    pad = 0.03 * (high - low)
    ax.set_ylim(max(ax.get_ylim()[0], low - pad), min(ax.get_ylim()[1], high + pad))
    ax.annotate("bands cut at the scale's limits:\nprior-driven beyond the data",
                xy=(0.02, 0.02), xycoords="axes fraction", ha="left", va="bottom",
                fontsize=7, color="#b35900")


def _published_visits(
    published: pd.DataFrame | None,
    trajectories: pd.DataFrame,
    endpoints: Sequence[str],
    arms: Sequence[str],
) -> pd.DataFrame:
    columns = ["endpoint", "arm", "time_months", "value"]
    if published is None:
        return pd.DataFrame(columns=columns)
    pub = check_frame(published, PUBLISHED_COLUMNS, "published")
    statistics = {"mean", "change"}
    if "statistic" in trajectories.columns:
        statistics = set(trajectories["statistic"].dropna().astype(str)) or statistics
    visits = pub[(pub["kind"] == "visit_summaries") & pub["endpoint"].isin(endpoints)]
    keep = visits["statistic"].isin(statistics) & visits["arm"].isin(arms)
    points = visits.loc[keep, columns].astype({"time_months": float, "value": float})
    if statistics == {"change"}:
        points = pd.concat([points, _means_as_changes(visits, arms)], ignore_index=True)
    return points


def _means_as_changes(visits: pd.DataFrame, arms: Sequence[str]) -> pd.DataFrame:
    """Return reported follow-up means as changes from the arm's (or pooled) baseline.

    A trial that reports levels at its visits is drawn on the trajectories' change scale
    by subtracting the baseline its file reports; a visit without a baseline is left out.
    """
    means = visits[visits["statistic"] == "mean"].astype({"time_months": float,
                                                          "value": float})
    baseline = means[means["time_months"] == 0.0]
    rows = []
    for row in means[(means["time_months"] > 0.0) & means["arm"].isin(arms)].itertuples():
        own = baseline[(baseline["endpoint"] == row.endpoint)
                       & baseline["arm"].isin([row.arm, POOLED])]
        if own.empty:
            continue
        first = own.sort_values("arm", key=lambda a: a != row.arm).iloc[0]
        rows.append({"endpoint": row.endpoint, "arm": row.arm,
                     "time_months": row.time_months, "value": row.value - first["value"]})
    return pd.DataFrame(rows, columns=["endpoint", "arm", "time_months", "value"])


_TITLE_WIDTH = 36
"""Characters of a panel title's line (three panels across the report's figure)."""
_UNBROKEN = "\u00a0"  # a space textwrap does not break at


def _trajectory_title(endpoint: str, info: Endpoint | None) -> str:
    if info is None:
        return endpoint
    direction = f"({info.better} is better {'↓' if info.better == 'lower' else '↑'})"
    # 36 characters at the title's size fit a panel's width, so no title runs past the
    # figure's edge (which would cost the report a second layout and draw). The direction
    # is never split: its spaces are made unbreakable while the title is wrapped.
    title = wrap(f"{info.label} {direction.replace(' ', _UNBROKEN)}", _TITLE_WIDTH)
    return title.replace(_UNBROKEN, " ")


def _trajectory_axis_label(rows: pd.DataFrame, info: Endpoint | None) -> str:
    unit = info.unit if info is not None else ""
    change = "statistic" in rows.columns and (rows["statistic"] == "change").all()
    quantity = "change from baseline" if change else "mean"
    return f"{quantity} ({unit})" if unit else quantity
