"""Figures of a reanalysis: superiority, prior sensitivity, survival, trajectories, priors, wins.

Every function takes tidy pandas DataFrames (or arrays) as its first argument and keyword
arguments after it, and returns a new :class:`matplotlib.figure.Figure`. The figures are
built with matplotlib's object-oriented API, never through :mod:`matplotlib.pyplot`: no
window is shown, no figure is registered with pyplot or closed behind your back, and every
backend works, including the non-interactive ``Agg`` used by reports and CI. In a Jupyter
notebook, run ``%matplotlib inline`` once and a returned figure displays itself; to save
one, call ``fig.savefig("forest.png", dpi=150)``.

Conventions shared by all figures:

- Arms are labelled by name and always drawn in the same colour (:data:`ARM_COLOURS`:
  HSCT blue, CYC vermilion, from the Okabe-Ito palette, which stays distinguishable with
  the common forms of colour blindness).
- Every interval and band is the central credible interval at
  :data:`~bayes_scot.conventions.CREDIBLE_LEVEL`, the same level as every table of the
  package.
- Bad input (a missing column, an empty selection, a non-finite draw) raises
  :class:`ValueError` (or :class:`TypeError` for the wrong kind of object) naming what is
  wrong, before any drawing starts.

Examples
--------
A prior and a posterior for a log hazard ratio, both normal:

>>> from bayes_scot import plots
>>> fig = plots.plot_prior_posterior((0.0, 0.355), (-0.9, 0.3), label="log hazard ratio")
>>> fig.savefig("prior-posterior.png", dpi=150)  # doctest: +SKIP
"""

from __future__ import annotations

import math
import re
import textwrap
from collections.abc import Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from typing import Any

import matplotlib as mpl
import matplotlib.ticker as mticker
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.colors import LinearSegmentedColormap
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from scipy import stats

from bayes_scot.conventions import CREDIBLE_LEVEL
from bayes_scot.errors import EvidenceError
from bayes_scot.evidence import POOLED
from bayes_scot.evidence.endpoints import get_endpoint

__all__ = [
    "ARM_COLOURS",
    "ARM_LABELS",
    "PRIOR_FAMILY_COLOURS",
    "arm_colour",
    "plot_benefit_curve",
    "plot_hazard_ratio_over_time",
    "plot_headline",
    "plot_predictive_check",
    "plot_prior_posterior",
    "plot_prior_sensitivity",
    "plot_superiority",
    "plot_survival",
    "plot_trajectories",
    "plot_win_statistics",
]

ARM_COLOURS: Mapping[str, str] = {"hsct": "#0072b2", "cyc": "#d55e00"}
"""Colour of each named arm, identical in every figure (Okabe-Ito blue and vermilion)."""

ARM_LABELS: Mapping[str, str] = {"hsct": "HSCT", "cyc": "CYC"}
"""Legend label of each named arm; other arms are labelled by their name."""

#: Colours for arms the package does not know, taken in order of appearance.
_OTHER_ARM_COLOURS: tuple[str, ...] = (
    "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#000000", "#f0e442",
)

PRIOR_FAMILY_COLOURS: Mapping[str, str] = {
    "reference": "#000000",
    "neutral": "#7f7f7f",
    "skeptical": "#0072b2",
    "optimistic": "#009e73",
    "pessimistic": "#d55e00",
    "enthusiastic": "#009e73",
    "evidence": "#cc79a7",
}
"""Colour of each prior family in the forest plot (a prior's family is its name up to the
first underscore: ``skeptical_moderate`` belongs to ``skeptical``)."""

#: Matplotlib settings shared by every figure of the package.
_STYLE: dict[str, Any] = {
    "font.size": 9,
    "axes.titlesize": 9.5,
    "axes.labelsize": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.color": "#e5e5e5",
    "grid.linewidth": 0.6,
    "legend.fontsize": 8,
    "legend.frameon": False,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
}

def _styled(*, grid: bool = True) -> AbstractContextManager[Any]:
    """Apply the package's matplotlib settings while a figure is built."""
    settings: Any = {**_STYLE, "axes.grid": grid}
    return mpl.rc_context(settings)


#: Diverging colour map for P(superior): vermilion (0) through white (0.5) to blue (1).
_PROBABILITY_CMAP = LinearSegmentedColormap.from_list(
    "bayes_scot_probability", ["#d55e00", "#f7f7f7", "#0072b2"]
)

_BAND_ALPHA = 0.22
_INTERVAL_TEXT = f"{CREDIBLE_LEVEL:.0%} credible interval"

_TABLE_COLUMNS = ("endpoint", "estimand", "prior", "median", "lower", "upper", "p_superior")
_CURVE_COLUMNS = ("arm", "endpoint", "time_months", "median", "lower", "upper")
_PUBLISHED_COLUMNS = ("kind", "endpoint", "arm", "time_months", "statistic", "value")


# -- public helpers --------------------------------------------------------------------
def arm_colour(arm: str, *, arms: Sequence[str] = ()) -> str:
    """Return the colour an arm is drawn in.

    Parameters
    ----------
    arm : str
        Arm name (``"hsct"``, ``"cyc"``).
    arms : sequence of str, optional
        All arms of the figure, in order; an arm not in :data:`ARM_COLOURS` gets the next
        free colour of a fixed palette by its position here, so a figure never gives two
        arms one colour.

    Returns
    -------
    str
        A hex colour.
    """
    if arm in ARM_COLOURS:
        return ARM_COLOURS[arm]
    others = [a for a in dict.fromkeys(arms) if a not in ARM_COLOURS]
    position = others.index(arm) if arm in others else len(others)
    return _OTHER_ARM_COLOURS[position % len(_OTHER_ARM_COLOURS)]


# -- superiority forest plot -----------------------------------------------------------
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
        1 for estimands whose name contains ``ratio`` or ``odds`` and 0 otherwise).
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
    df = _select_table(table, priors=priors, endpoints=endpoints, estimands=estimands,
                       what="plot_superiority")
    prior_order = list(dict.fromkeys(df["prior"]))
    panels = list(dict.fromkeys(zip(df["endpoint"], df["estimand"], strict=True)))
    heights = [0.24 * len(prior_order) + 1.1 for _ in panels]
    with _styled():
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
            for family, colour in _families_present(prior_order).items()
        ]
        handles.append(Line2D([], [], color="#777777", linestyle="--", linewidth=0.8,
                              label="no difference"))
        handles.append(Line2D([], [], color="#444444", marker="o", linewidth=1.4,
                              label=f"posterior median, {_INTERVAL_TEXT}"))
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
    factor, xlabel, _log = _display_scale(first) if "unit" in rows.columns else (1.0, "", False)
    null *= factor
    positions = np.arange(len(rows))[::-1]
    flagged_any = False
    for y, (prior, row) in zip(positions, rows.iterrows(), strict=True):
        colour = _prior_colour(str(prior))
        flagged = bool(row.get("flagged", False)) if "flagged" in rows.columns else False
        flagged_any |= flagged
        _interval(ax, y, *(float(row[c]) * factor for c in ("lower", "median", "upper")),
                  colour=colour, flagged=flagged)
        text = f"{row['p_superior']:.2f}" + (" †" if flagged else "")
        ax.annotate(text, xy=(1.01, y), xycoords=("axes fraction", "data"),
                    va="center", ha="left", fontsize=8)
    ax.annotate("P(sup.)", xy=(1.01, 1.0), xycoords="axes fraction", va="bottom",
                ha="left", fontsize=8, fontweight="bold")
    ax.axvline(null, color="#777777", linestyle="--", linewidth=0.8, zorder=0)
    ratio = null == 1.0 and bool((rows["lower"] > 0).all())
    if ratio:
        _ratio_axis(ax)
    mcid = first.get("mcid")
    if mcid is not None and pd.notna(mcid):
        _mcid_line(ax, float(mcid) * factor)
    if xlabel:
        ax.set_xlabel(xlabel, labelpad=2)
    if arms is not None and "superior" in rows.columns:
        _favours(ax, superior=str(first["superior"]), experimental=arms[0], control=arms[1])
    ax.set_yticks(positions, [str(p) for p in rows.index])
    ax.set_ylim(-0.7, len(rows) - 0.3)
    ax.grid(axis="y", visible=False)
    label = rows["label"].iloc[0] if "label" in rows.columns else None
    title = str(label) if isinstance(label, str) and label else f"{endpoint}: {estimand}"
    # Leave room at the right of the title for the P(superior) column header.
    ax.set_title(_wrap(title, 66), loc="left")
    return flagged_any


def _interval(ax: Axes, y: float, lower: float, median: float, upper: float, *,
              colour: str, flagged: bool) -> None:
    """Draw one forest row: the credible interval and the median (open when flagged)."""
    ax.plot([lower, upper], [y, y], color=colour, linewidth=1.4, solid_capstyle="butt")
    ax.plot([median], [y], marker="o", markersize=4.5, color=colour,
            markerfacecolor="white" if flagged else colour, linestyle="none")


def _null_value(rows: pd.DataFrame, estimand: str) -> float:
    if "null" in rows.columns and rows["null"].notna().any():
        return float(rows["null"].dropna().iloc[0])
    name = estimand.lower()
    return 1.0 if ("ratio" in name or "odds" in name) else 0.0


def _prior_family(prior: str) -> str:
    return prior.split("_", 1)[0]


def _prior_colour(prior: str) -> str:
    return PRIOR_FAMILY_COLOURS.get(_prior_family(prior), "#555555")


def _families_present(priors: Iterable[str]) -> dict[str, str]:
    return {_prior_family(p): _prior_colour(p) for p in priors}


# -- prior sensitivity heat map ----------------------------------------------------------
def plot_prior_sensitivity(
    table: pd.DataFrame,
    *,
    estimands: Sequence[str] | None = None,
    endpoints: Sequence[str] | None = None,
    priors: Sequence[str] | None = None,
    title: str | None = None,
) -> Figure:
    """Heat map of P(superior) for each estimand (rows) under each prior (columns).

    A row that keeps one colour across the columns is robust to the prior; a row that
    changes colour says the data alone do not settle the question. Each cell is labelled
    with its probability; a dagger marks cells flagged by the diagnostics gate.

    Parameters
    ----------
    table : pandas.DataFrame
        :meth:`bayes_scot.Reanalysis.table`, or any frame with the columns ``endpoint,
        estimand, prior, median, lower, upper, p_superior`` (``label`` and ``flagged``
        are used when present).
    estimands, endpoints : sequence of str, optional
        Keep only these estimand names or endpoints (default: all, in table order).
    priors : sequence of str, optional
        Columns to show, in this order (default: all, in table order).
    title : str, optional
        Figure title.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ValueError
        If a column is missing, a selection matches nothing, a probability lies outside
        [0, 1], or a (endpoint, estimand, prior) row is duplicated.
    """
    df = _select_table(table, priors=priors, endpoints=endpoints, estimands=estimands,
                       what="plot_prior_sensitivity")
    prior_order = list(dict.fromkeys(df["prior"]))
    keys = list(dict.fromkeys(zip(df["endpoint"], df["estimand"], strict=True)))
    values = np.full((len(keys), len(prior_order)), np.nan)
    flags = np.zeros_like(values, dtype=bool)
    row_of = {key: i for i, key in enumerate(keys)}
    col_of = {p: j for j, p in enumerate(prior_order)}
    labels: dict[tuple[str, str], str] = {}
    for record in df.to_dict("records"):
        key = (record["endpoint"], record["estimand"])
        i, j = row_of[key], col_of[record["prior"]]
        values[i, j] = record["p_superior"]
        flags[i, j] = bool(record.get("flagged", False))
        label = record.get("label")
        labels.setdefault(key, str(label) if isinstance(label, str) and label
                          else f"{key[0]}: {key[1]}")
    # A label's detail after ";" is in the table; the row keeps the name, wrapped, and
    # each row is as tall as its longest label so labels never overprint each other.
    wrapped = {k: _wrap(labels[k].split(";", 1)[0], 52) for k in keys}
    lines = max(w.count("\n") + 1 for w in wrapped.values())
    with _styled(grid=False):
        width = max(5.0, 0.55 * len(prior_order) + 3.8)
        height = max(2.2, max(0.34, 0.14 * lines + 0.06) * len(keys) + 1.6)
        fig = Figure(figsize=(width, height), layout="constrained")
        ax = fig.add_subplot()
        image = ax.imshow(np.ma.masked_invalid(values), cmap=_PROBABILITY_CMAP, vmin=0.0,
                          vmax=1.0, aspect="auto")
        for i in range(values.shape[0]):
            for j in range(values.shape[1]):
                if np.isnan(values[i, j]):
                    continue
                dark = abs(values[i, j] - 0.5) > 0.3
                ax.text(j, i, f"{values[i, j]:.2f}" + ("†" if flags[i, j] else ""),
                        ha="center", va="center", fontsize=7,
                        color="white" if dark else "black")
        ax.set_xticks(range(len(prior_order)), prior_order, rotation=90)
        ax.set_yticks(range(len(keys)), [wrapped[k] for k in keys])
        ax.tick_params(length=0)
        for spine in ax.spines.values():
            spine.set_visible(False)
        colourbar = fig.colorbar(image, ax=ax, shrink=0.9, pad=0.02)
        colourbar.set_label("P(superior)")
        ax.set_xlabel("prior" + ("    († failed the diagnostics gate)" if flags.any() else ""))
        if title:
            fig.suptitle(title)
    return fig


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
    df = _check_frame(curves, _CURVE_COLUMNS, "curves", numeric=("time_months", "median",
                                                                  "lower", "upper"))
    df = _select(df, "endpoint", endpoints, "curves")
    _check_band(df, "curves", low=0.0, high=1.0)
    panel_endpoints = list(dict.fromkeys(df["endpoint"]))
    arms = list(dict.fromkeys(df["arm"]))
    points = _published_survival(published, panel_endpoints, arms)
    populations = sorted(points["population"].dropna().unique()) if len(points) else []
    with _styled():
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
                                color=colour, alpha=_BAND_ALPHA, linewidth=0, step=None)
                ax.plot(rows["time_months"], rows["median"], color=colour, linewidth=1.6)
                mine = points[(points["endpoint"] == endpoint) & (points["arm"] == arm)]
                for marker, kind in (("o", "survival_estimates"), ("s", "landmark_events")):
                    chosen = mine[mine["kind"] == kind]
                    ax.plot(chosen["time_months"], chosen["value"], marker=marker,
                            linestyle="none", markersize=5, color=colour,
                            markeredgecolor="black", markeredgewidth=0.6)
            ax.set_title(_endpoint_title(endpoint), loc="left")
            ax.set_xlabel("months since randomisation")
            ax.set_xlim(left=0)
            ax.set_ylim(0.0, 1.02)
        axes[0].set_ylabel("survival probability S(t)")
        handles: list[Any] = [
            Line2D([], [], color=arm_colour(a, arms=arms), linewidth=1.6,
                   label=ARM_LABELS.get(a, a))
            for a in arms
        ]
        handles.append(Patch(color="#777777", alpha=_BAND_ALPHA + 0.1,
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
    pub = _check_frame(published, _PUBLISHED_COLUMNS, "published")
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


# -- longitudinal trajectories -------------------------------------------------------------
def plot_trajectories(
    trajectories: pd.DataFrame,
    *,
    published: pd.DataFrame | None = None,
    endpoints: Sequence[str] | None = None,
    ncols: int = 3,
    title: str | None = None,
) -> Figure:
    """Posterior arm trajectories of continuous endpoints, with credible bands.

    One panel per endpoint (HAQ-DI, SF-36 PCS, FVC, ...); each arm's posterior median at
    each visit is a line with markers and its central credible band is shaded. The y axis
    says which direction is better, read from the endpoint registry.

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

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ValueError
        If a column is missing, the selection is empty, a band does not contain its
        median, or ``ncols`` is not a positive integer.
    """
    df = _check_frame(trajectories, _CURVE_COLUMNS, "trajectories",
                      numeric=("time_months", "median", "lower", "upper"))
    df = _select(df, "endpoint", endpoints, "trajectories")
    _check_band(df, "trajectories")
    if not isinstance(ncols, int | np.integer) or isinstance(ncols, bool) or ncols < 1:
        raise ValueError(f"ncols must be a positive integer, not {ncols!r}")
    panel_endpoints = list(dict.fromkeys(df["endpoint"]))
    arms = list(dict.fromkeys(df["arm"]))
    pub = _published_visits(published, df, panel_endpoints, arms)
    ncols = min(ncols, len(panel_endpoints))
    nrows = math.ceil(len(panel_endpoints) / ncols)
    with _styled():
        fig = Figure(figsize=(3.3 * ncols + 0.4, 2.8 * nrows + 0.5), layout="constrained")
        grid = fig.subplots(nrows, ncols, squeeze=False)
        for ax in grid.flat[len(panel_endpoints):]:
            ax.set_visible(False)
        for ax, endpoint in zip(grid.flat, panel_endpoints, strict=False):
            sub = df[df["endpoint"] == endpoint]
            for arm in arms:
                rows = sub[sub["arm"] == arm].sort_values("time_months")
                if rows.empty:
                    continue
                colour = arm_colour(arm, arms=arms)
                ax.fill_between(rows["time_months"], rows["lower"], rows["upper"],
                                color=colour, alpha=_BAND_ALPHA, linewidth=0)
                ax.plot(rows["time_months"], rows["median"], color=colour, linewidth=1.5,
                        marker="o", markersize=3)
                mine = pub[(pub["endpoint"] == endpoint) & (pub["arm"] == arm)]
                ax.plot(mine["time_months"], mine["value"], marker="D", linestyle="none",
                        markersize=4.5, color=colour, markeredgecolor="black",
                        markeredgewidth=0.6)
            ax.set_title(_trajectory_title(endpoint), loc="left")
            ax.set_xlabel("months since randomisation")
            ax.set_ylabel(_trajectory_axis_label(endpoint, sub))
            _keep_within_scale(ax, endpoint, sub)
        handles: list[Any] = [
            Line2D([], [], color=arm_colour(a, arms=arms), linewidth=1.5, marker="o",
                   markersize=3, label=ARM_LABELS.get(a, a))
            for a in arms
        ]
        handles.append(Patch(color="#777777", alpha=_BAND_ALPHA + 0.1,
                             label=f"{CREDIBLE_LEVEL:.0%} credible band"))
        if len(pub):
            handles.append(Line2D([], [], marker="D", linestyle="none", color="#777777",
                                  markeredgecolor="black", markeredgewidth=0.6,
                                  label="published"))
        fig.legend(handles=handles, loc="outside lower center", ncols=len(handles))
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
    pub = _check_frame(published, _PUBLISHED_COLUMNS, "published")
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


def _trajectory_title(endpoint: str) -> str:
    try:
        info = get_endpoint(endpoint)
    except EvidenceError:
        return endpoint
    arrow = "↓" if info.better == "lower" else "↑"
    return _wrap(f"{info.label} ({info.better} is better {arrow})", 44)


def _trajectory_axis_label(endpoint: str, rows: pd.DataFrame) -> str:
    try:
        unit = get_endpoint(endpoint).unit
    except EvidenceError:
        unit = ""
    change = "statistic" in rows.columns and (rows["statistic"] == "change").all()
    quantity = "change from baseline" if change else "mean"
    return f"{quantity} ({unit})" if unit else quantity


# -- prior and posterior densities ------------------------------------------------------------
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
        The effect and its scale, used as the x-axis label (``"log hazard ratio, EFS"``).
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
    with _styled():
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
                        alpha=_BAND_ALPHA + 0.08, linewidth=0,
                        label=f"posterior {_INTERVAL_TEXT}")
        if null is not None:
            ax.axvline(null, color="#333333", linestyle="--", linewidth=0.9,
                       label="no difference")
        if mcid is not None:
            ax.axvline(mcid, color="#333333", linestyle=":", linewidth=1.1, label="MCID")
        ax.set_xlim(grid[0], grid[-1])
        ax.set_ylim(bottom=0.0)
        if ratio:
            ticks = [math.log(t) for t in _ratio_ticks(math.exp(grid[0]), math.exp(grid[-1]))]
            ax.xaxis.set_major_locator(mticker.FixedLocator(ticks))
            ax.xaxis.set_major_formatter(
                mticker.FuncFormatter(lambda v, _: f"{math.exp(v):.2g}"))
        ax.set_xlabel(label)
        ax.set_ylabel("density")
        fig.legend(*ax.get_legend_handles_labels(), loc="outside lower center", ncols=3)
        if title:
            ax.set_title(title, loc="left")
    return fig


# -- win statistics -------------------------------------------------------------------------
def plot_win_statistics(
    statistics: Any,
    *,
    arms: tuple[str, str] = ("hsct", "cyc"),
    published: Mapping[str, float] | None = None,
    title: str | None = None,
) -> Figure:
    """Where the pairwise comparisons are decided: wins and losses at each level.

    One row per level of the hierarchy (most important at the top) and a total row. Bars
    to the right are the share of all pairs won by the experimental arm at that level,
    bars to the left the share it lost; what is left at the bottom is tied at every
    level. For posterior draws the bars are the posterior medians and the lines the
    central credible intervals.

    Parameters
    ----------
    statistics : WinStatistics
        From :func:`bayes_scot.win_statistics` (one comparison) or
        :func:`bayes_scot.stats.win.win_statistics_draws` (one per posterior draw): any
        object with ``levels``, ``wins`` and ``losses`` (shape ``(level,)`` or
        ``(draw, level)``), ``n_experimental`` and ``n_control``.
    arms : tuple of (str, str), default ("hsct", "cyc")
        Experimental and control arm names, for colours and labels.
    published : mapping of str to float, optional
        Published percentage of pairs favouring each arm, by arm name (SCOT ITT at 54
        months: ``{"hsct": 66.6, "cyc": 33.4}``), drawn as diamonds on the total row.
    title : str, optional
        Axes title.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    TypeError
        If ``statistics`` lacks the attributes above.
    ValueError
        If the counts are negative, exceed the number of pairs, or do not match the
        levels; or a published percentage lies outside [0, 100] or names an unknown arm.

    Notes
    -----
    A published "percentage of pairs favouring" an arm can split ties evenly between the
    arms (the Mann-Whitney form), so it need not equal the total bar; it is drawn for
    comparison, not as a check.
    """
    try:
        levels = tuple(str(level) for level in statistics.levels)
        wins = np.asarray(statistics.wins, dtype=float)
        losses = np.asarray(statistics.losses, dtype=float)
        n_pairs = int(statistics.n_experimental) * int(statistics.n_control)
    except AttributeError as err:
        raise TypeError("statistics must have levels, wins, losses, n_experimental and "
                        f"n_control (a WinStatistics), not {type(statistics).__name__}"
                        ) from err
    if wins.shape != losses.shape or wins.shape[-1:] != (len(levels),) or wins.ndim > 2:
        raise ValueError(f"wins {wins.shape} and losses {losses.shape} must have shape "
                         f"(level,) or (draw, level) with {len(levels)} levels")
    if n_pairs < 1 or (wins < 0).any() or (losses < 0).any() or (
            (wins.sum(axis=-1) + losses.sum(axis=-1)) > n_pairs).any():
        raise ValueError("win and loss counts must be non-negative and at most the number "
                         f"of pairs ({n_pairs})")
    experimental, control = arms
    if published is not None:
        unknown = set(published) - set(arms)
        if unknown:
            raise ValueError(f"published names unknown arm(s) {', '.join(sorted(unknown))}")
        if any(not 0.0 <= float(v) <= 100.0 for v in published.values()):
            raise ValueError("published percentages must lie in [0, 100]")
    share_w = np.atleast_2d(wins) / n_pairs
    share_l = np.atleast_2d(losses) / n_pairs
    share_w = np.column_stack([share_w, share_w.sum(axis=1)])
    share_l = np.column_stack([share_l, share_l.sum(axis=1)])
    alpha = (1.0 - CREDIBLE_LEVEL) / 2.0
    rows = [*levels, "total"]
    positions = np.arange(len(rows))[::-1]
    with _styled():
        fig = Figure(figsize=(6.0, 0.45 * len(rows) + 1.6), layout="constrained")
        ax = fig.add_subplot()
        for share, sign, arm in ((share_w, 1.0, experimental), (share_l, -1.0, control)):
            colour = arm_colour(arm, arms=list(arms))
            median = np.median(share, axis=0)
            ax.barh(positions, sign * median, height=0.6, color=colour, alpha=0.85,
                    label=f"{ARM_LABELS.get(arm, arm)} better")
            if share.shape[0] > 1:
                lo, hi = np.quantile(share, [alpha, 1.0 - alpha], axis=0)
                ax.hlines(positions, sign * lo, sign * hi, color="black", linewidth=1.0)
        if published is not None:
            for arm, value in published.items():
                sign = 1.0 if arm == experimental else -1.0
                ax.plot([sign * float(value) / 100.0], [positions[-1]], marker="D",
                        linestyle="none", color="white", markeredgecolor="black",
                        markersize=6, label="published % of pairs" if sign > 0 else None)
        ties = float(np.median(1.0 - share_w[:, -1] - share_l[:, -1]))
        ax.axvline(0.0, color="#333333", linewidth=0.8)
        ax.set_yticks(positions, rows)
        ax.grid(axis="y", visible=False)
        limit = max(0.05, float(np.max(share_w)), float(np.max(share_l)),
                    *(float(v) / 100.0 for v in (published or {}).values())) * 1.1
        ax.set_xlim(-limit, limit)
        ax.xaxis.set_major_formatter(mticker.FuncFormatter(lambda v, _: f"{abs(v):.0%}"))
        ax.set_xlabel(f"share of all {n_pairs} pairs decided at this level "
                      f"(tied at every level: {ties:.0%})")
        handles, labels = ax.get_legend_handles_labels()
        handles = [h for h, label in sorted(zip(handles, labels, strict=True),
                                            key=lambda pair: pair[1].startswith("published"))]
        if wins.ndim == 2:
            handles.append(Line2D([], [], color="black", linewidth=1.0,
                                  label=f"{_INTERVAL_TEXT} (bars: posterior medians)"))
        fig.legend(handles=handles, loc="outside lower center", ncols=2)
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


# -- shared validation ------------------------------------------------------------------------
def _check_frame(
    frame: Any, required: Sequence[str], what: str, *, numeric: Sequence[str] = ()
) -> pd.DataFrame:
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"{what} must be a pandas DataFrame, not {type(frame).__name__}")
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise ValueError(
            f"{what} is missing the column(s) {', '.join(missing)}; "
            f"expected at least {', '.join(required)}"
        )
    for column in numeric:
        values = pd.to_numeric(frame[column], errors="coerce")
        if values.isna().any():
            raise ValueError(f"{what}: column {column!r} must be numeric and complete; "
                             f"{int(values.isna().sum())} value(s) are missing or not numbers")
    return frame.reset_index(drop=True)


def _select(df: pd.DataFrame, column: str, wanted: Sequence[str] | None, what: str,
            ) -> pd.DataFrame:
    if wanted is not None:
        if isinstance(wanted, str):
            wanted = [wanted]
        unknown = [w for w in wanted if w not in set(df[column])]
        if unknown:
            raise ValueError(f"{what}: no rows with {column} {', '.join(map(repr, unknown))}; "
                             f"available: {', '.join(map(str, dict.fromkeys(df[column])))}")
        df = df[df[column].isin(wanted)]
        order = {w: i for i, w in enumerate(wanted)}
        df = df.iloc[np.argsort([order[v] for v in df[column]], kind="stable")]
    if df.empty:
        raise ValueError(f"{what} has no rows to plot")
    return df


def _select_table(
    table: pd.DataFrame,
    *,
    priors: Sequence[str] | None,
    endpoints: Sequence[str] | None,
    estimands: Sequence[str] | None,
    what: str,
) -> pd.DataFrame:
    df = _check_frame(table, _TABLE_COLUMNS, f"{what}: table",
                      numeric=("median", "lower", "upper", "p_superior"))
    df = _select(df, "endpoint", endpoints, f"{what}: table")
    df = _select(df, "estimand", estimands, f"{what}: table")
    df = _select(df, "prior", priors, f"{what}: table")
    duplicated = df.duplicated(["endpoint", "estimand", "prior"])
    if duplicated.any():
        row = df[duplicated].iloc[0]
        raise ValueError(f"{what}: table has more than one row for endpoint "
                         f"{row['endpoint']!r}, estimand {row['estimand']!r}, prior "
                         f"{row['prior']!r}")
    p = df["p_superior"].astype(float)
    if ((p < 0) | (p > 1)).any():
        raise ValueError(f"{what}: p_superior must lie in [0, 1]")
    _check_band(df, f"{what}: table")
    return df


def _check_band(df: pd.DataFrame, what: str, *, low: float | None = None,
                high: float | None = None) -> None:
    median, lower, upper = (df[c].astype(float) for c in ("median", "lower", "upper"))
    # Medians and limits are summaries of the same draws; allow rounding in stored tables.
    tolerance = 1e-9 * np.maximum(1.0, np.abs(median))
    bad = (lower > median + tolerance) | (upper < median - tolerance)
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise ValueError(f"{what}: row {i} has lower {lower.iloc[i]:g}, median "
                         f"{median.iloc[i]:g}, upper {upper.iloc[i]:g}; the interval must "
                         "contain the median")
    if low is not None and high is not None:
        outside = pd.concat([lower < low, upper > high, median < low, median > high],
                            axis=1).any(axis=1)
        if outside.any():
            raise ValueError(f"{what}: values must lie in [{low:g}, {high:g}] "
                             "(survival as a proportion, not a percentage)")


def _endpoint_title(endpoint: str) -> str:
    try:
        label = get_endpoint(endpoint).label
    except EvidenceError:
        label = endpoint
    return _wrap(label, 40)


def _wrap(text: str, width: int) -> str:
    return "\n".join(textwrap.wrap(text, width)) or text


# -- headline: the answer under every prior ---------------------------------------------
def _display_scale(row: Mapping[str, Any]) -> tuple[float, str, bool]:
    """Return ``(factor, axis label, log axis)`` for an estimand's values in a figure.

    Differences of proportions are drawn in percentage points, ratios on a log axis, other
    quantities in their own unit (the rules of :mod:`bayes_scot.report.numbers`).
    """
    from bayes_scot.report.numbers import estimate_rule

    kind, _decimals, _signed = estimate_rule(row)
    if kind == "pp":
        return 100.0, "difference (percentage points)", False
    if kind == "percent":
        return 100.0, "per cent", False
    if kind == "ratio":
        estimand = str(row.get("estimand", ""))
        name = "hazard ratio" if "hazard" in estimand else "ratio"
        return 1.0, f"{name} (log scale)", True
    unit = str(row.get("unit") or "")
    if unit:
        return 1.0, f"difference ({unit})", False
    estimand = str(row.get("estimand", ""))
    return 1.0, "net benefit" if "net_benefit" in estimand else "difference", False


#: Ticks of a ratio axis: round values a reader can find on a log scale.
_RATIO_TICKS: tuple[float, ...] = (0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 1.0, 1.5, 2.0, 3.0, 5.0,
                                   10.0, 20.0)


def _ratio_ticks(low: float, high: float, most: int = 8) -> list[float]:
    """Round ratio values between ``low`` and ``high``, thinned to at most ``most``."""
    low, high = sorted((low, high))
    for candidates in (_RATIO_TICKS, (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0,
                                      20.0, 50.0, 100.0), (0.001, 0.01, 0.1, 1.0, 10.0,
                                                           100.0, 1000.0)):
        inside = [t for t in candidates if low <= t <= high]
        if len(inside) <= most:
            return inside or [low, high]
    return inside


class _RatioLocator(mticker.Locator):
    """Round ratio ticks (:func:`_ratio_ticks`) inside the view (its ends if none are)."""

    def __call__(self) -> Sequence[float]:
        low, high = self.axis.get_view_interval() if self.axis else (0.1, 10.0)
        return _ratio_ticks(low, high)

    def tick_values(self, vmin: float, vmax: float) -> Sequence[float]:
        return _ratio_ticks(vmin, vmax)


def _ratio_axis(ax: Axes) -> None:
    """Put a ratio axis on the log scale with round ticks."""
    ax.set_xscale("log")
    ax.xaxis.set_major_locator(_RatioLocator())
    ax.xaxis.set_minor_locator(mticker.NullLocator())
    ax.xaxis.set_major_formatter(mticker.FuncFormatter(lambda v, _: f"{v:g}"))


def _mcid_line(ax: Axes, x: float) -> None:
    """Draw the MCID as a dotted line, named by a tick on the top edge of the panel."""
    ax.axvline(x, color="#009e73", linestyle=":", linewidth=1.1, zorder=0)
    top = ax.secondary_xaxis("top")
    top.xaxis.set_major_locator(mticker.FixedLocator([x]))
    top.xaxis.set_major_formatter(mticker.FixedFormatter(["MCID"]))
    top.xaxis.set_minor_locator(mticker.NullLocator())
    top.tick_params(length=2, labelsize=7, labelcolor="#009e73", color="#009e73", pad=1)
    top.spines["top"].set_visible(False)


def _favours(ax: Axes, *, superior: str, experimental: str, control: str) -> None:
    """Write "favours <arm>" under each end of an effect axis."""
    left, right = ((experimental, control) if superior == "lower" else (control, experimental))
    for x, ha, text in ((0.0, "left", f"← favours {left}"), (1.0, "right",
                                                              f"favours {right} →")):
        ax.annotate(text, xy=(x, 0.0), xycoords="axes fraction", xytext=(0, -30),
                    textcoords="offset points", ha=ha, va="top", fontsize=7.5,
                    color="#444444")


def _headline_forest(ax: Axes, rows: pd.DataFrame, *, experimental: str,
                     control: str) -> None:
    first = rows.iloc[0].to_dict()
    factor, xlabel, log = _display_scale(first)
    positions = np.arange(len(rows))[::-1]
    has_prior = "prior_median" in rows.columns and rows["prior_median"].notna().any()
    for y, (prior, row) in zip(positions, rows.iterrows(), strict=True):
        colour = _prior_colour(str(prior))
        lo, med, hi = (float(row[c]) * factor for c in ("lower", "median", "upper"))
        _interval(ax, y, lo, med, hi, colour=colour, flagged=bool(row.get("flagged", False)))
        if has_prior and pd.notna(row.get("prior_median")):
            start = float(row["prior_median"]) * factor
            ax.plot([start], [y], marker="D", markersize=3.2, color="#888888",
                    markerfacecolor="white", linestyle="none")
            ax.annotate("", xy=(med, y), xytext=(start, y),
                        arrowprops={"arrowstyle": "->", "color": "#888888",
                                    "linewidth": 0.7, "shrinkA": 2, "shrinkB": 3})
    null = float(first.get("null", 0.0)) * factor
    ax.axvline(null, color="#777777", linestyle="--", linewidth=0.8, zorder=0)
    if log:
        _ratio_axis(ax)
    mcid = first.get("mcid")
    if mcid is not None and pd.notna(mcid):
        _mcid_line(ax, float(mcid) * factor)
    ax.set_xlabel(xlabel, labelpad=2)
    _favours(ax, superior=str(first.get("superior", "higher")), experimental=experimental,
             control=control)
    ax.set_ylim(-0.7, len(rows) - 0.3)
    ax.grid(axis="y", visible=False)


def _headline_probabilities(ax: Axes, rows: pd.DataFrame) -> None:
    positions = np.arange(len(rows))[::-1]
    has_prior = "prior_p_superior" in rows.columns and rows["prior_p_superior"].notna().any()
    for y, (prior, row) in zip(positions, rows.iterrows(), strict=True):
        colour = _prior_colour(str(prior))
        p = float(row["p_superior"])
        if has_prior and pd.notna(row.get("prior_p_superior")):
            start = float(row["prior_p_superior"])
            ax.plot([start], [y], marker="o", markersize=4, color="#888888",
                    markerfacecolor="white", linestyle="none")
            ax.annotate("", xy=(p, y), xytext=(start, y),
                        arrowprops={"arrowstyle": "->", "color": "#888888",
                                    "linewidth": 0.7, "shrinkA": 2, "shrinkB": 3})
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
        ``flagged``, ``prior_median``, ``prior_p_superior`` when present).
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
    df = _select_table(table, priors=priors, endpoints=None, estimands=None,
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
    with _styled():
        fig = Figure(figsize=(2.7 * ncols + 1.2, 2 * nrows * height + 0.7),
                     layout="constrained")
        axes = fig.subplots(2 * nrows, ncols, squeeze=False)
        for i, rows in enumerate(panels):
            r, c = divmod(i, ncols)
            top, bottom = axes[2 * r, c], axes[2 * r + 1, c]
            _headline_forest(top, rows, experimental=experimental, control=control)
            _headline_probabilities(bottom, rows)
            label = rows["label"].iloc[0] if "label" in rows.columns else ""
            key = f"{rows['endpoint'].iloc[0]}: {rows['estimand'].iloc[0]}"
            title = _wrap(str(label) if label else key, 34).split("\n")
            if len(title) > 3:  # the rest of a long label is in the table
                title = [*title[:2], title[2].rstrip(",;") + " ..."]
            top.set_title("\n".join(title), loc="left")
            for ax in (top, bottom):
                positions = np.arange(len(rows))[::-1]
                labels = [str(p) for p in rows.index] if c == 0 else []
                ax.set_yticks(positions, labels)
        for i in range(len(panels), nrows * ncols):
            r, c = divmod(i, ncols)
            axes[2 * r, c].set_visible(False)
            axes[2 * r + 1, c].set_visible(False)
        handles = [Line2D([], [], color=colour, marker="o", linewidth=1.3, label=family)
                   for family, colour in _families_present(prior_order).items()]
        handles += [
            Line2D([], [], color="#444444", marker="o", linestyle="none", label="P(superior)"),
            Line2D([], [], color="#444444", marker="s", markerfacecolor="white",
                   linestyle="none", label="P(> MCID)"),
            Line2D([], [], color="#009e73", linestyle=":", label="MCID"),
        ]
        if any("prior_median" in p.columns and p["prior_median"].notna().any()
               for p in panels):
            handles.append(Line2D([], [], color="#888888", marker="D", markerfacecolor="white",
                                  linestyle="none", label="prior → posterior"))
        fig.legend(handles=handles, loc="outside lower center",
                   ncols=min(len(handles), 5))
    return fig


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
    df = _check_frame(curves, ("prior", "threshold", "probability"),
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
    factor, xlabel, log = _display_scale(row)
    with _styled():
        fig = Figure(figsize=(6.0, 3.4), layout="constrained")
        ax = fig.add_subplot()
        for prior, rows in df.groupby("prior", sort=False):
            ax.plot(rows["threshold"].astype(float) * factor, rows["probability"],
                    color=_prior_colour(str(prior)), linewidth=1.8 if prior == "reference"
                    else 1.1, label=str(prior))
        ax.axvline(null * factor, color="#777777", linestyle="--", linewidth=0.8, zorder=0)
        if log:
            _ratio_axis(ax)
        if mcid is not None and math.isfinite(mcid):
            _mcid_line(ax, mcid * factor)
        ax.set_ylim(0.0, 1.0)
        side = "below" if superior == "lower" else "above"
        ax.set_ylabel(f"P(effect {side} x)")
        ax.set_xlabel(f"threshold x: {xlabel}", labelpad=2)
        _favours(ax, superior=superior, experimental=experimental, control=control)
        ax.legend(loc="best", fontsize=7)
        if label:
            ax.set_title(_wrap(label, 70), loc="left")
    return fig


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
    df = _check_frame(reproduce, ("endpoint", "arm", "time_months", "statistic",
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
    with _styled():
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


_INTERVAL_HR = re.compile(r"^hazard_ratio_(\d+(?:\.\d+)?)_(\d+(?:\.\d+)?)$")


def plot_hazard_ratio_over_time(
    table: pd.DataFrame,
    *,
    prior: str = "reference",
    experimental: str = "experimental",
    control: str = "control",
) -> Figure:
    """Hazard ratio by time interval, one panel per endpoint: how the effect changes.

    Each interval's hazard ratio (estimands ``hazard_ratio_<start>_<end>``) is drawn as
    a step at its posterior median with its credible band, on a log axis, beside the line
    of no difference and the MCID. Intervals beyond the last datum of their endpoint (the
    ``extrapolated`` column) are drawn hatched: the model, not the data, gives them.

    Parameters
    ----------
    table : pandas.DataFrame
        :meth:`bayes_scot.Reanalysis.table`.
    prior : str, default "reference"
    experimental, control : str
        Arm labels for the "favours" sides.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ValueError
        If the table has no interval hazard ratio under ``prior``.
    """
    df = _check_frame(table, ("endpoint", "estimand", "prior", "median", "lower", "upper"),
                      "plot_hazard_ratio_over_time: table")
    df = df[(df["prior"] == prior) & df["estimand"].str.match(_INTERVAL_HR.pattern)]
    if df.empty:
        raise ValueError(f"plot_hazard_ratio_over_time: no interval hazard ratio under "
                         f"prior {prior!r}")
    endpoints = list(dict.fromkeys(df["endpoint"]))
    with _styled():
        fig = Figure(figsize=(3.4 * len(endpoints) + 0.6, 3.2), layout="constrained")
        axes = fig.subplots(1, len(endpoints), squeeze=False, sharey=True)[0]
        for ax, endpoint in zip(axes, endpoints, strict=True):
            rows = df[df["endpoint"] == endpoint]
            for r in rows.to_dict("records"):
                match = _INTERVAL_HR.match(r["estimand"])
                assert match is not None
                start, end = float(match[1]), float(match[2])
                guessed = bool(r.get("extrapolated", False))
                ax.fill_between([start, end], r["lower"], r["upper"], color="#0072b2",
                                alpha=0.10 if guessed else _BAND_ALPHA, linewidth=0,
                                hatch="///" if guessed else None)
                ax.plot([start, end], [r["median"]] * 2, color="#0072b2", linewidth=1.8,
                        linestyle=":" if guessed else "-")
            ax.axhline(1.0, color="#777777", linestyle="--", linewidth=0.8)
            mcid = rows["mcid"].dropna() if "mcid" in rows.columns else pd.Series([], float)
            if len(mcid):
                ax.axhline(float(mcid.iloc[0]), color="#009e73", linestyle=":", linewidth=1.1)
            ax.set_yscale("log")
            ax.yaxis.set_major_locator(_RatioLocator())
            ax.yaxis.set_minor_locator(mticker.NullLocator())
            ax.yaxis.set_major_formatter(mticker.FuncFormatter(lambda v, _: f"{v:g}"))
            ax.set_title(_endpoint_title(endpoint), loc="left")
            ax.set_xlabel("months since randomisation")
        axes[0].set_ylabel(f"hazard ratio, {experimental} vs {control} (log scale)")
        axes[-1].annotate(f"favours {control} ↑", xy=(1.0, 1.0), xycoords="axes fraction",
                          xytext=(4, 0), textcoords="offset points", ha="left", va="top",
                          fontsize=7.5, color="#444444", rotation=90)
        axes[-1].annotate(f"favours {experimental} ↓", xy=(1.0, 0.0),
                          xycoords="axes fraction", xytext=(4, 0), textcoords="offset points",
                          ha="left", va="bottom", fontsize=7.5, color="#444444", rotation=90)
        handles: list[Any] = [Line2D([], [], color="#0072b2", linewidth=1.8,
                                     label=f"posterior median, {_INTERVAL_TEXT}"),
                              Line2D([], [], color="#009e73", linestyle=":", label="MCID")]
        if "extrapolated" in df.columns and df["extrapolated"].astype(bool).any():
            handles.append(Patch(facecolor="white", edgecolor="#0072b2", hatch="///",
                                 label="beyond the last datum (extrapolated)"))
        fig.legend(handles=handles, loc="outside lower center", ncols=len(handles))
    return fig
