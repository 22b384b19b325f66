"""Posterior survival curves by arm, beside the published numbers, with numbers at risk.

Under each panel a table gives the number at risk in each arm at the panel's tick times:
the published risk table when the evidence has one for that endpoint and arm (a digitised
Kaplan-Meier curve's), otherwise the number the model implies, ``n × S(t)`` from the
posterior median curve. The model-implied number counts the patients still free of the
endpoint's event; it knows nothing of censoring, so it is the number at risk of a trial in
which nobody was lost to follow-up before t, never fewer than the trial's own.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch

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
from bayes_scot.plots._style import arm_colour, arm_label, endpoint_title, styled

__all__ = ["AT_RISK_COLUMNS", "EXTRAPOLATED", "MODEL_IMPLIED", "PUBLISHED_RISK_TABLE",
           "SURVIVAL_DATA_KINDS", "endpoints_with_survival_data", "numbers_at_risk",
           "plot_survival", "survival_ticks"]

MODEL_IMPLIED = "model-implied"
"""``source`` of a number at risk computed as ``n × S(t)`` from the posterior median."""

PUBLISHED_RISK_TABLE = "published risk table"
"""``source`` of a number at risk read from a digitised curve's published risk table."""

AT_RISK_COLUMNS = ("endpoint", "arm", "time_months", "number", "source")
"""Columns of :func:`numbers_at_risk`."""

SURVIVAL_DATA_KINDS = ("survival_estimates", "landmark_events", "km_curves")
"""Kinds of published rows that fix the level of an endpoint's survival (Kaplan-Meier
estimates, landmark counts, digitised curves), not only a contrast between the arms."""

EXTRAPOLATED = "beyond the last datum (extrapolated)"
"""Legend label of the hatched part of a curve, as in the hazard-ratio figure."""

#: Tick spacings (months) of a survival panel, the first giving at most seven ticks.
_TICK_STEPS: tuple[float, ...] = (1.0, 3.0, 6.0, 12.0, 24.0, 60.0, 120.0)


def plot_survival(
    curves: pd.DataFrame,
    *,
    published: pd.DataFrame | None = None,
    n: Mapping[str, int] | None = None,
    endpoints: Sequence[str] | None = None,
    last_datum: Mapping[str, float] | None = None,
    title: str | None = None,
    declared_endpoints: Mapping[str, Endpoint] | None = None,
    arm_labels: Mapping[str, str] | None = None,
) -> Figure:
    """Posterior survival curves by arm with credible bands, beside the published numbers.

    One panel per endpoint (EFS, OS, ...). Each arm's posterior median S(t) is a line and
    its central credible band is shaded; the band after the endpoint's last datum is
    hatched, as the model extrapolates it. Published Kaplan-Meier estimates are drawn as
    dots; published event counts by a landmark as squares at ``1 - events / n``. Under each
    panel, the numbers at risk of each arm at the panel's tick times
    (:func:`numbers_at_risk`), headed by where they come from.

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
        endpoints and arms in ``curves``; rows of kind ``km_curves`` with statistic
        ``n_risk`` are a published risk table; everything else is ignored. Filter it to
        the population the curves describe
        (``trial.to_frame().query("population == 'itt'")``).
    n : mapping of str to int, optional
        Patients randomised to each arm, for the model-implied numbers at risk (default:
        the ``n`` of the published landmark counts). Without a risk table and without
        ``n`` the panels have no table of numbers at risk.
    endpoints : sequence of str, optional
        Panels to draw, in this order (default: those in ``curves``, in order).
    last_datum : mapping of str to float, optional
        The last time (months) at which the evidence has data of each endpoint; its
        curves after that time are hatched (default: none are).
    title : str, optional
        Figure title.
    declared_endpoints : mapping of str to Endpoint, optional
        Endpoints the trial file declares (:attr:`bayes_scot.Trial.endpoints`): their
        labels title the panels (default: the built-in endpoints' labels, else the name).
    arm_labels : mapping of str to str, optional
        How the legend and the tables of numbers at risk name each arm, by the arm's name
        in ``curves`` (e.g. ``{a.name: a.display for a in trial.arms}``; default
        :func:`~bayes_scot.plots._style.arm_label`'s).

    Returns
    -------
    matplotlib.figure.Figure
        The curve panels are the first axes of the figure, one per endpoint; the tables
        of numbers at risk follow.

    Raises
    ------
    ValueError
        If a column is missing, ``curves`` is empty after selection, a survival value
        lies outside [0, 1], a band does not contain its median, ``n`` is not a
        positive whole number for every arm, or a last datum is not a number.

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
    last = {e: float(t) for e, t in (last_datum or {}).items() if e in panel_endpoints}
    if not all(math.isfinite(t) for t in last.values()):
        raise ValueError(f"plot_survival: last_datum must be finite months, not {last}")
    arms = list(dict.fromkeys(df["arm"]))
    points = _published_survival(published, panel_endpoints, arms)
    at_risk = numbers_at_risk(df, published=published, n=n)
    with styled():
        rows = 0.22 * len(arms) + 0.45 if len(at_risk) else 0.0
        fig = Figure(figsize=(3.4 * len(panel_endpoints) + 0.6, 3.4 + rows),
                     layout="constrained")
        grid = fig.add_gridspec(2 if rows else 1, len(panel_endpoints),
                                height_ratios=[3.0, rows] if rows else None)
        panels = [fig.add_subplot(grid[0, 0])]
        panels += [fig.add_subplot(grid[0, j], sharey=panels[0])
                   for j in range(1, len(panel_endpoints))]
        hatched = False
        for j, (ax, endpoint) in enumerate(zip(panels, panel_endpoints, strict=True)):
            hatched |= _survival_panel(ax, df[df["endpoint"] == endpoint], points, arms,
                                       last_datum=last.get(endpoint))
            ax.set_title(endpoint_title(endpoint, declared_endpoints), loc="left")
            ax.tick_params(labelleft=j == 0)
            mine = at_risk[at_risk["endpoint"] == endpoint]
            if len(mine):
                if set(mine["source"]) == {PUBLISHED_RISK_TABLE}:
                    ax.set_xticks(sorted(set(mine["time_months"])))  # the table's own times
                _risk_table(fig.add_subplot(grid[1, j], sharex=ax), mine, arms, arm_labels)
        panels[0].set_ylabel("survival probability S(t)")
        handles, labels = _survival_handles(points, arms, hatched=hatched,
                                            labels=arm_labels)
        fig.legend(handles, labels, handler_map=ARM_MARKERS_HANDLER,
                   loc="outside lower center", ncols=4)
        if title:
            fig.suptitle(title)
    return fig


def _survival_panel(ax: Axes, rows: pd.DataFrame, points: pd.DataFrame,
                    arms: Sequence[str], *, last_datum: float | None) -> bool:
    """Draw one endpoint's curves, bands and published points; say if a band is hatched."""
    drawn = draw_arm_curves(ax, rows, arms, linewidth=1.6)
    hatched = False
    if last_datum is not None:
        for arm, colour in drawn.items():
            hatched |= _hatch_beyond(ax, rows[rows["arm"] == arm], last_datum, colour)
    endpoint = rows["endpoint"].iloc[0]
    for arm, colour in drawn.items():
        mine = points[(points["endpoint"] == endpoint) & (points["arm"] == arm)]
        for marker, kind in (("o", "survival_estimates"), ("s", "landmark_events")):
            chosen = mine[mine["kind"] == kind]
            ax.plot(chosen["time_months"], chosen["value"], marker=marker,
                    linestyle="none", markersize=5, color=colour,
                    markeredgecolor="black", markeredgewidth=0.6)
    end = float(rows["time_months"].max())
    ax.set_xticks(survival_ticks(end))
    ax.set_xlim(0.0, end)
    ax.set_ylim(0.0, 1.02)
    ax.set_xlabel("months since randomisation")
    return hatched


def _hatch_beyond(ax: Axes, rows: pd.DataFrame, last_datum: float, colour: str) -> bool:
    """Hatch one arm's band after the last datum; return whether any of it lies there."""
    rows = rows.sort_values("time_months")
    times = rows["time_months"].to_numpy(dtype=float)
    if times[-1] <= last_datum:
        return False
    at = np.concatenate([[last_datum], times[times > last_datum]])
    lower, upper = (np.interp(at, times, rows[c].to_numpy(dtype=float))
                    for c in ("lower", "upper"))
    ax.fill_between(at, lower, upper, facecolor="none", edgecolor=colour, hatch="///",
                    linewidth=0)
    return True


def _survival_handles(points: pd.DataFrame, arms: Sequence[str], *, hatched: bool,
                      labels: Mapping[str, str] | None) -> tuple[list[Any], list[str]]:
    """Legend entries and their labels: arms, band, hatched part, each published point.

    A published point's entry is its marker in the colour of each arm that has such
    points, as they are drawn.
    """
    handles: list[Any] = arm_handles(arms, labels, linewidth=1.6)
    if hatched:
        handles.append(Patch(facecolor="white", edgecolor="#777777", hatch="///",
                             label=EXTRAPOLATED))
    texts = [h.get_label() for h in handles]
    populations = sorted(points["population"].dropna().unique()) if len(points) else []
    for marker, kind, text in (("o", "survival_estimates", "published Kaplan-Meier"),
                               ("s", "landmark_events", "published 1 − events/n")):
        chosen = points[points["kind"] == kind]
        if chosen.empty:
            continue
        if len(populations) > 1:
            text += f" ({', '.join(sorted(chosen['population'].dropna().unique()))})"
        shown = [a for a in arms if a in set(chosen["arm"])]
        handles.append(arm_markers(marker, shown, all_arms=arms, markersize=5,
                                   markeredgecolor="black", markeredgewidth=0.6))
        texts.append(text)
    return handles, texts


def _risk_table(table: Axes, rows: pd.DataFrame, arms: Sequence[str],
                labels: Mapping[str, str] | None) -> None:
    """Write one panel's numbers at risk, a row per arm, at their times."""
    positions = {arm: len(arms) - 1 - i for i, arm in enumerate(arms)}
    for r in rows.itertuples():
        table.text(r.time_months, positions[r.arm], f"{r.number:.0f}", ha="center",
                   va="center", fontsize=7, color=arm_colour(str(r.arm), arms=arms))
    table.set_ylim(-0.5, len(arms) - 0.5)
    table.set_yticks(list(positions.values()), [arm_label(a, labels) for a in positions])
    for label, arm in zip(table.get_yticklabels(), positions, strict=True):
        label.set_color(arm_colour(arm, arms=arms))
    table.tick_params(axis="x", bottom=False, labelbottom=False)
    table.tick_params(axis="y", left=False, pad=12)
    table.grid(visible=False)
    for spine in table.spines.values():
        spine.set_visible(False)
    table.set_title(_risk_title(set(rows["source"])), loc="left", fontsize=7,
                    color="#444444", pad=2)


def _risk_title(sources: set[str]) -> str:
    if sources == {PUBLISHED_RISK_TABLE}:
        return "Number at risk (published risk table)"
    if sources == {MODEL_IMPLIED}:
        return "Number at risk, model-implied: n × S(t), no censoring"
    return "Number at risk: published, or model-implied n × S(t)"


def survival_ticks(end: float) -> list[float]:
    """Tick times (months) of a survival panel running from 0 to ``end``.

    The first spacing of :data:`_TICK_STEPS` that gives at most seven ticks: 12-month
    steps for SCOT's 72 months of follow-up.

    Parameters
    ----------
    end : float
        The last time of the panel (positive).

    Returns
    -------
    list of float
        From 0 to the last multiple of the spacing not beyond ``end``.
    """
    if not (math.isfinite(end) and end > 0):
        raise ValueError(f"survival_ticks: the last time must be positive, not {end!r}")
    step = next((s for s in _TICK_STEPS if end / s <= 6.0), _TICK_STEPS[-1])
    return [float(t) for t in np.arange(0.0, end + 1e-9, step)]


def numbers_at_risk(
    curves: pd.DataFrame,
    *,
    published: pd.DataFrame | None = None,
    n: Mapping[str, int] | None = None,
    times: Sequence[float] | None = None,
) -> pd.DataFrame:
    """Numbers at risk by endpoint and arm: published where the evidence has a risk table.

    For an endpoint and arm with a published risk table (rows of kind ``km_curves`` and
    statistic ``n_risk`` in ``published``), its numbers at its own times within the
    curve's range; otherwise the model-implied number ``n × S(t)`` (posterior median
    S(t), interpolated linearly in time, rounded to a whole patient) at ``times``.

    Parameters
    ----------
    curves : pandas.DataFrame
        As :func:`plot_survival`'s ``curves``.
    published : pandas.DataFrame, optional
        As :func:`plot_survival`'s ``published``.
    n : mapping of str to int, optional
        Patients randomised to each arm (default: the ``n`` of the published landmark
        counts, by arm).
    times : sequence of float, optional
        Times of the model-implied numbers (default: :func:`survival_ticks` of each
        endpoint's last time).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`AT_RISK_COLUMNS`; ``source`` is :data:`PUBLISHED_RISK_TABLE` or
        :data:`MODEL_IMPLIED`. Empty for an arm with neither a risk table nor ``n``.

    Raises
    ------
    ValueError
        If ``n`` is not a positive whole number for an arm.

    Notes
    -----
    ``n × S(t)`` is the expected number still free of the endpoint's event among those
    randomised. Censoring removes patients from the risk set too, so a trial's number at
    risk is at most this; the two agree only while nobody has been censored.
    """
    df = check_frame(curves, CURVE_COLUMNS, "curves", numeric=("time_months", "median"))
    risk = _published_risk_tables(published)
    sizes = dict(_published_sizes(published)) | dict(n or {})
    for arm, size in sizes.items():
        if not (isinstance(size, int | np.integer) and not isinstance(size, bool)
                and size > 0):
            raise ValueError(f"numbers_at_risk: n of arm {arm!r} must be a positive whole "
                             f"number, not {size!r}")
    frames = []
    for (endpoint, arm), rows in df.groupby(["endpoint", "arm"], sort=False):
        rows = rows.sort_values("time_months")
        end = float(rows["time_months"].max())
        table = risk[(risk["endpoint"] == endpoint) & (risk["arm"] == arm)
                     & (risk["time_months"] <= end + 1e-9)]
        if len(table):
            frames.append(table.assign(source=PUBLISHED_RISK_TABLE))
        elif arm in sizes:
            at = np.asarray(times if times is not None else survival_ticks(end), float)
            s = np.interp(at, rows["time_months"].astype(float), rows["median"].astype(float))
            frames.append(pd.DataFrame({"endpoint": endpoint, "arm": arm, "time_months": at,
                                        "number": np.round(int(sizes[arm]) * s),
                                        "source": MODEL_IMPLIED}))
    if not frames:
        return pd.DataFrame(columns=list(AT_RISK_COLUMNS))
    return pd.concat(frames, ignore_index=True)[list(AT_RISK_COLUMNS)]


def endpoints_with_survival_data(published: pd.DataFrame | None) -> list[str]:
    """Return the endpoints whose published numbers fix the level of their survival.

    Parameters
    ----------
    published : pandas.DataFrame, optional
        As :func:`plot_survival`'s ``published``.

    Returns
    -------
    list of str
        The endpoints with rows of a kind in :data:`SURVIVAL_DATA_KINDS`, in order. An
        endpoint with only a reported hazard ratio is not among them: the level of its
        model curves comes from the prior on the baseline hazard alone.
    """
    if published is None:
        return []
    pub = check_frame(published, PUBLISHED_COLUMNS, "published")
    return list(dict.fromkeys(pub.loc[pub["kind"].isin(SURVIVAL_DATA_KINDS), "endpoint"]))


def _published_risk_tables(published: pd.DataFrame | None) -> pd.DataFrame:
    """Return the published risk tables: ``endpoint, arm, time_months, number``."""
    columns = ["endpoint", "arm", "time_months", "number"]
    if published is None:
        return pd.DataFrame(columns=columns)
    pub = check_frame(published, PUBLISHED_COLUMNS, "published")
    rows = pub[(pub["kind"] == "km_curves") & (pub["statistic"] == "n_risk")]
    rows = rows.drop_duplicates(["endpoint", "arm", "time_months"])
    return rows.rename(columns={"value": "number"})[columns].astype(
        {"time_months": float, "number": float})


def _published_sizes(published: pd.DataFrame | None) -> dict[str, int]:
    """Patients per arm at time zero, from the published landmark counts' ``n``."""
    if published is None:
        return {}
    pub = check_frame(published, PUBLISHED_COLUMNS, "published")
    rows = pub[(pub["kind"] == "landmark_events") & (pub["statistic"] == "n")]
    return {str(arm): int(value) for arm, value in
            rows.groupby("arm", sort=False)["value"].max().items()}


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
