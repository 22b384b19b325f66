"""Arm curves with credible bands, shared by the survival and the trajectory figures."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.legend_handler import HandlerTuple
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from bayes_scot.conventions import CREDIBLE_LEVEL
from bayes_scot.plots._style import BAND_ALPHA, arm_colour, arm_label

__all__ = ["ARM_MARKERS_HANDLER", "arm_handles", "arm_markers", "draw_arm_curves"]


def draw_arm_curves(ax: Axes, rows: pd.DataFrame, arms: Sequence[str],
                    **line: Any) -> dict[str, str]:
    """Draw each arm's posterior median as a line over its shaded credible band.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
    rows : pandas.DataFrame
        One panel's rows: ``arm, time_months, median, lower, upper``.
    arms : sequence of str
        Every arm of the figure, in order (for the colours).
    **line
        Keyword arguments of the median line (``linewidth``, ``marker``).

    Returns
    -------
    dict of str to str
        The colour of each arm drawn.
    """
    drawn = {}
    for arm in arms:
        mine = rows[rows["arm"] == arm].sort_values("time_months")
        if mine.empty:
            continue
        colour = arm_colour(arm, arms=arms)
        ax.fill_between(mine["time_months"], mine["lower"], mine["upper"], color=colour,
                        alpha=BAND_ALPHA, linewidth=0)
        ax.plot(mine["time_months"], mine["median"], color=colour, **line)
        drawn[arm] = colour
    return drawn


def arm_handles(arms: Sequence[str], labels: Mapping[str, str] | None = None,
                **line: Any) -> list[Any]:
    """Legend entries: one line per arm (named by :func:`arm_label`), then the band."""
    handles: list[Any] = [
        Line2D([], [], color=arm_colour(a, arms=arms), label=arm_label(a, labels), **line)
        for a in arms
    ]
    handles.append(Patch(color="#777777", alpha=BAND_ALPHA + 0.1,
                         label=f"{CREDIBLE_LEVEL:.0%} credible band"))
    return handles


ARM_MARKERS_HANDLER = {tuple: HandlerTuple(ndivide=None, pad=0.2)}
"""``handler_map`` of a legend with :func:`arm_markers` entries: their markers side by side."""


def arm_markers(marker: str, arms: Sequence[str], *, all_arms: Sequence[str] = (),
                **style: Any) -> tuple[Line2D, ...]:
    """Legend entry for points drawn in each arm's colour: one marker per arm.

    A single grey marker would not be what the figure draws; this entry shows the marker
    in the colour of every arm that has such points, side by side (give the legend
    :data:`ARM_MARKERS_HANDLER` as its ``handler_map`` and the labels explicitly).

    Parameters
    ----------
    marker : str
        The matplotlib marker drawn.
    arms : sequence of str
        The arms with such points, in the figure's order.
    all_arms : sequence of str, optional
        Every arm of the figure, for the colours of unknown arms (default ``arms``).
    **style
        Keyword arguments of the drawn markers (``markersize``, ``markeredgecolor``).

    Returns
    -------
    tuple of matplotlib.lines.Line2D
    """
    return tuple(Line2D([], [], marker=marker, linestyle="none",
                        color=arm_colour(a, arms=all_arms or arms), **style) for a in arms)
