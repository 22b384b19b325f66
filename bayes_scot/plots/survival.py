"""Posterior survival curves by arm, beside the published numbers."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from bayes_scot.conventions import CREDIBLE_LEVEL
from bayes_scot.plots._checks import (
    CURVE_COLUMNS,
    PUBLISHED_COLUMNS,
    check_band,
    check_frame,
    select,
)
from bayes_scot.plots._style import ARM_LABELS, BAND_ALPHA, arm_colour, endpoint_title, styled

__all__ = ["plot_survival"]


# -- survival curves ---------------------------------------------------------------------
def plot_survival(
    curves: pd.DataFrame,
    *,
    published: pd.DataFrame | None = None,
    endpoints: Sequence[str] | None = None,
    title: str | None = None,
) -> Figure:
    """Posterior survival curves by arm with credible bands, beside the published numbers.

    One panel per endpoint (EFS, OS, ...). Each arm's posterior median S(t) is a line and
    its central credible band is shaded. Published Kaplan-Meier estimates are drawn as
    dots; published event counts by a landmark as squares at ``1 - events / n``.

    Parameters
    ----------
    curves : pandas.DataFrame
        Tidy posterior summary of S(t), one row per arm, endpoint and time, with the
        columns ``arm, endpoint, time_months, median, lower, upper`` (survival as a
        proportion in [0, 1]; ``lower`` and ``upper`` the central credible interval at
        :data:`~bayes_scot.conventions.CREDIBLE_LEVEL`).
    published : pandas.DataFrame, optional
        Published numbers in the layout of :meth:`bayes_scot.Trial.to_frame`. Rows of
        kind ``survival_estimates`` with statistic ``survival``, and pairs of rows of kind
        ``landmark_events`` with statistics ``events`` and ``n``, are drawn for the
        endpoints and arms in ``curves``; everything else is ignored. Filter it to the
        population the curves describe (``trial.to_frame().query("population == 'itt'")``).
    endpoints : sequence of str, optional
        Panels to draw, in this order (default: those in ``curves``, in order).
    title : str, optional
        Figure title.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ValueError
        If a column is missing, ``curves`` is empty after selection, a survival value
        lies outside [0, 1], or a band does not contain its median.

    Notes
    -----
    ``1 - events / n`` equals the Kaplan-Meier estimate only when nobody was censored
    before the landmark; it is drawn as a reading aid, with its own marker, not as a
    survival estimate the paper reported. When the published rows span several
    populations, the legend names each one.
    """
    df = check_frame(curves, CURVE_COLUMNS, "curves", numeric=("time_months", "median",
                                                                 "lower", "upper"))
    df = select(df, "endpoint", endpoints, "curves")
    check_band(df, "curves", low=0.0, high=1.0)
    panel_endpoints = list(dict.fromkeys(df["endpoint"]))
    arms = list(dict.fromkeys(df["arm"]))
    points = _published_survival(published, panel_endpoints, arms)
    populations = sorted(points["population"].dropna().unique()) if len(points) else []
    with styled():
        fig = Figure(figsize=(3.4 * len(panel_endpoints) + 0.6, 3.4), layout="constrained")
        axes = fig.subplots(1, len(panel_endpoints), squeeze=False, sharey=True)[0]
        for ax, endpoint in zip(axes, panel_endpoints, strict=True):
            sub = df[df["endpoint"] == endpoint]
            for arm in arms:
                rows = sub[sub["arm"] == arm].sort_values("time_months")
                if rows.empty:
                    continue
                colour = arm_colour(arm, arms=arms)
                ax.fill_between(rows["time_months"], rows["lower"], rows["upper"],
                                color=colour, alpha=BAND_ALPHA, linewidth=0, step=None)
                ax.plot(rows["time_months"], rows["median"], color=colour, linewidth=1.6)
                mine = points[(points["endpoint"] == endpoint) & (points["arm"] == arm)]
                for marker, kind in (("o", "survival_estimates"), ("s", "landmark_events")):
                    chosen = mine[mine["kind"] == kind]
                    ax.plot(chosen["time_months"], chosen["value"], marker=marker,
                            linestyle="none", markersize=5, color=colour,
                            markeredgecolor="black", markeredgewidth=0.6)
            ax.set_title(endpoint_title(endpoint), loc="left")
            ax.set_xlabel("months since randomisation")
            ax.set_xlim(left=0)
            ax.set_ylim(0.0, 1.02)
        axes[0].set_ylabel("survival probability S(t)")
        handles: list[Any] = [
            Line2D([], [], color=arm_colour(a, arms=arms), linewidth=1.6,
                   label=ARM_LABELS.get(a, a))
            for a in arms
        ]
        handles.append(Patch(color="#777777", alpha=BAND_ALPHA + 0.1,
                             label=f"{CREDIBLE_LEVEL:.0%} credible band"))
        for marker, kind, text in (("o", "survival_estimates", "published Kaplan-Meier"),
                                   ("s", "landmark_events", "published 1 − events/n")):
            chosen = points[points["kind"] == kind]
            if chosen.empty:
                continue
            if len(populations) > 1:
                text += f" ({', '.join(sorted(chosen['population'].dropna().unique()))})"
            handles.append(Line2D([], [], marker=marker, linestyle="none", color="#777777",
                                  markeredgecolor="black", markeredgewidth=0.6, label=text))
        fig.legend(handles=handles, loc="outside lower center", ncols=min(len(handles), 4))
        if title:
            fig.suptitle(title)
    return fig


def _published_survival(
    published: pd.DataFrame | None, endpoints: Sequence[str], arms: Sequence[str]
) -> pd.DataFrame:
    """Collect published Kaplan-Meier values and ``1 - events / n`` at landmarks."""
    columns = ["kind", "endpoint", "population", "arm", "time_months", "value"]
    if published is None:
        return pd.DataFrame(columns=columns)
    pub = check_frame(published, PUBLISHED_COLUMNS, "published")
    pub = pub[pub["endpoint"].isin(endpoints) & pub["arm"].isin(arms)]
    if "population" not in pub.columns:
        pub = pub.assign(population=None)
    km = pub[(pub["kind"] == "survival_estimates") & (pub["statistic"] == "survival")]
    landmarks = pub[(pub["kind"] == "landmark_events")
                    & pub["statistic"].isin(["events", "n"])]
    key = ["id"] if "id" in landmarks.columns else []
    key += ["endpoint", "population", "arm", "time_months"]
    wide = landmarks.pivot_table(index=key, columns="statistic", values="value",
                                 aggfunc="first", dropna=False).reset_index()
    if len(wide) and {"events", "n"} <= set(wide.columns):
        wide = wide.dropna(subset=["events", "n"])
        wide = wide.assign(kind="landmark_events", value=1.0 - wide["events"] / wide["n"])
    else:
        wide = pd.DataFrame(columns=columns)
    out = pd.concat([km[columns], wide[columns]], ignore_index=True)
    return out.astype({"time_months": float, "value": float})
