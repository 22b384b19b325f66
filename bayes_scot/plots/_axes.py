"""Axis conventions of the effect figures: display scales, ratio axes, MCID, "favours"."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

import matplotlib.ticker as mticker
from matplotlib.axes import Axes

__all__ = [
    "RATIO_TICKS",
    "RatioLocator",
    "display_scale",
    "favours",
    "interval_row",
    "mcid_line",
    "null_line",
    "ratio_axis",
    "ratio_ticks",
]


def interval_row(ax: Axes, y: float, lower: float, median: float, upper: float, *,
              colour: str, flagged: bool) -> None:
    """Draw one forest row: the credible interval and the median (open when flagged)."""
    ax.plot([lower, upper], [y, y], color=colour, linewidth=1.4, solid_capstyle="butt")
    ax.plot([median], [y], marker="o", markersize=4.5, color=colour,
            markerfacecolor="white" if flagged else colour, linestyle="none")


def display_scale(row: Mapping[str, Any]) -> tuple[float, str, bool]:
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
RATIO_TICKS: tuple[float, ...] = (0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 1.0, 1.5, 2.0, 3.0, 5.0,
                                  10.0, 20.0)


def ratio_ticks(low: float, high: float, most: int = 8) -> list[float]:
    """Round ratio values between ``low`` and ``high``, thinned to at most ``most``."""
    low, high = sorted((low, high))
    for candidates in (RATIO_TICKS, (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0,
                                     20.0, 50.0, 100.0), (0.001, 0.01, 0.1, 1.0, 10.0,
                                                          100.0, 1000.0)):
        inside = [t for t in candidates if low <= t <= high]
        if len(inside) <= most:
            return inside or [low, high]
    return inside


class RatioLocator(mticker.Locator):
    """Round ratio ticks (:func:`ratio_ticks`) inside the view (its ends if none are)."""

    def __call__(self) -> Sequence[float]:
        low, high = self.axis.get_view_interval() if self.axis else (0.1, 10.0)
        return ratio_ticks(low, high)

    def tick_values(self, vmin: float, vmax: float) -> Sequence[float]:
        return ratio_ticks(vmin, vmax)


def ratio_axis(ax: Axes, *, which: Literal["x", "y"] = "x") -> None:
    """Put a ratio axis (the x axis, or the y axis) on the log scale with round ticks."""
    axis = ax.xaxis if which == "x" else ax.yaxis
    if which == "x":
        ax.set_xscale("log")
    else:
        ax.set_yscale("log")
    axis.set_major_locator(RatioLocator())
    axis.set_minor_locator(mticker.NullLocator())
    axis.set_major_formatter(mticker.FuncFormatter(lambda v, _: f"{v:g}"))


def null_line(ax: Axes, x: float) -> None:
    """Draw the value of no effect as a grey dashed line behind the data."""
    ax.axvline(x, color="#777777", linestyle="--", linewidth=0.8, zorder=0)


def mcid_line(ax: Axes, x: float) -> None:
    """Draw the MCID as a dotted line, named by a tick on the top edge of the panel."""
    ax.axvline(x, color="#009e73", linestyle=":", linewidth=1.1, zorder=0)
    top = ax.secondary_xaxis("top")
    top.xaxis.set_major_locator(mticker.FixedLocator([x]))
    top.xaxis.set_major_formatter(mticker.FixedFormatter(["MCID"]))
    top.xaxis.set_minor_locator(mticker.NullLocator())
    top.tick_params(length=2, labelsize=7, labelcolor="#009e73", color="#009e73", pad=1)
    top.spines["top"].set_visible(False)


def favours(ax: Axes, *, superior: str, experimental: str, control: str) -> None:
    """Write "favours <arm>" under each end of an effect axis."""
    left, right = ((experimental, control) if superior == "lower" else (control, experimental))
    for x, ha, text in ((0.0, "left", f"← favours {left}"), (1.0, "right",
                                                              f"favours {right} →")):
        ax.annotate(text, xy=(x, 0.0), xycoords="axes fraction", xytext=(0, -30),
                    textcoords="offset points", ha=ha, va="top", fontsize=7.5,
                    color="#444444")
