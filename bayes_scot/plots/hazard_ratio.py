"""The hazard ratio of each time interval: how the effect changes over time."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from bayes_scot.evidence.endpoints import Endpoint
from bayes_scot.plots._axes import ratio_axis
from bayes_scot.plots._checks import check_frame
from bayes_scot.plots._style import BAND_ALPHA, INTERVAL_TEXT, endpoint_title, styled

__all__ = ["plot_hazard_ratio_over_time"]


_INTERVAL_HR = re.compile(r"^hazard_ratio_(\d+(?:\.\d+)?)_(\d+(?:\.\d+)?)$")


def plot_hazard_ratio_over_time(
    table: pd.DataFrame,
    *,
    prior: str = "reference",
    experimental: str = "experimental",
    control: str = "control",
    declared_endpoints: Mapping[str, Endpoint] | None = None,
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
    declared_endpoints : mapping of str to Endpoint, optional
        Endpoints the trial file declares (:attr:`bayes_scot.Trial.endpoints`): their
        labels title the panels (default: the built-in endpoints' labels, else the name).

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ValueError
        If the table has no interval hazard ratio under ``prior``.
    """
    df = check_frame(table, ("endpoint", "estimand", "prior", "median", "lower", "upper"),
                     "plot_hazard_ratio_over_time: table")
    df = df[(df["prior"] == prior) & df["estimand"].str.match(_INTERVAL_HR.pattern)]
    if df.empty:
        raise ValueError(f"plot_hazard_ratio_over_time: no interval hazard ratio under "
                         f"prior {prior!r}")
    endpoints = list(dict.fromkeys(df["endpoint"]))
    with styled():
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
                                alpha=0.10 if guessed else BAND_ALPHA, linewidth=0,
                                hatch="///" if guessed else None)
                ax.plot([start, end], [r["median"]] * 2, color="#0072b2", linewidth=1.8,
                        linestyle=":" if guessed else "-")
            ax.axhline(1.0, color="#777777", linestyle="--", linewidth=0.8)
            mcid = rows["mcid"].dropna() if "mcid" in rows.columns else pd.Series([], float)
            if len(mcid):
                ax.axhline(float(mcid.iloc[0]), color="#009e73", linestyle=":", linewidth=1.1)
            ratio_axis(ax, which="y")
            ax.set_title(endpoint_title(endpoint, declared_endpoints), loc="left")
            ax.set_xlabel("months since randomisation")
        axes[0].set_ylabel(f"hazard ratio, {experimental} vs {control} (log scale)")
        axes[-1].annotate(f"favours {control} ↑", xy=(1.0, 1.0), xycoords="axes fraction",
                          xytext=(4, 0), textcoords="offset points", ha="left", va="top",
                          fontsize=7.5, color="#444444", rotation=90)
        axes[-1].annotate(f"favours {experimental} ↓", xy=(1.0, 0.0),
                          xycoords="axes fraction", xytext=(4, 0), textcoords="offset points",
                          ha="left", va="bottom", fontsize=7.5, color="#444444", rotation=90)
        handles: list[Any] = [Line2D([], [], color="#0072b2", linewidth=1.8,
                                     label=f"posterior median, {INTERVAL_TEXT}"),
                              Line2D([], [], color="#009e73", linestyle=":", label="MCID")]
        if "extrapolated" in df.columns and df["extrapolated"].astype(bool).any():
            handles.append(Patch(facecolor="white", edgecolor="#0072b2", hatch="///",
                                 label="beyond the last datum (extrapolated)"))
        fig.legend(handles=handles, loc="outside lower center", ncols=len(handles))
    return fig
