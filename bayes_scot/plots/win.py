"""Win statistics: where the pairwise comparisons are decided, level by level."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import matplotlib.ticker as mticker
import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from bayes_scot.conventions import CREDIBLE_LEVEL
from bayes_scot.plots._style import INTERVAL_TEXT, arm_colour, arm_label, styled

__all__ = ["plot_win_statistics"]


def plot_win_statistics(
    statistics: Any,
    *,
    arms: tuple[str, str] = ("hsct", "cyc"),
    published: Mapping[str, float] | None = None,
    title: str | None = None,
    arm_labels: Mapping[str, str] | None = None,
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
    arm_labels : mapping of str to str, optional
        How the legend names each arm, by name (e.g.
        ``{a.name: a.display for a in trial.arms}``; default
        :func:`~bayes_scot.plots._style.arm_label`'s).

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
    levels, wins, losses, n_pairs = _counts(statistics)
    experimental, control = arms
    _check_published(published, arms)
    share_w = np.atleast_2d(wins) / n_pairs
    share_l = np.atleast_2d(losses) / n_pairs
    share_w = np.column_stack([share_w, share_w.sum(axis=1)])
    share_l = np.column_stack([share_l, share_l.sum(axis=1)])
    alpha = (1.0 - CREDIBLE_LEVEL) / 2.0
    rows = [*levels, "total"]
    positions = np.arange(len(rows))[::-1]
    with styled():
        fig = Figure(figsize=(6.0, 0.45 * len(rows) + 1.6), layout="constrained")
        ax = fig.add_subplot()
        for share, sign, arm in ((share_w, 1.0, experimental), (share_l, -1.0, control)):
            colour = arm_colour(arm, arms=list(arms))
            median = np.median(share, axis=0)
            ax.barh(positions, sign * median, height=0.6, color=colour, alpha=0.85,
                    label=f"{arm_label(arm, arm_labels)} better")
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
                                  label=f"{INTERVAL_TEXT} (bars: posterior medians)"))
        fig.legend(handles=handles, loc="outside lower center", ncols=2)
        if title:
            ax.set_title(title, loc="left")
    return fig


def _counts(statistics: Any) -> tuple[tuple[str, ...], np.ndarray, np.ndarray, int]:
    """Return the levels, win and loss counts and number of pairs, checked."""
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
    return levels, wins, losses, n_pairs


def _check_published(published: Mapping[str, float] | None,
                     arms: tuple[str, str]) -> None:
    if published is None:
        return
    unknown = set(published) - set(arms)
    if unknown:
        raise ValueError(f"published names unknown arm(s) {', '.join(sorted(unknown))}")
    if any(not 0.0 <= float(v) <= 100.0 for v in published.values()):
        raise ValueError("published percentages must lie in [0, 100]")
