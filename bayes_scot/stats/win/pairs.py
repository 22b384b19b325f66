r"""Win statistics: every experimental patient compared with every control down a hierarchy.

A hierarchical composite endpoint such as SCOT's global rank composite score (GRCS) is
analysed by comparing each experimental patient with each control patient on the most
important outcome first; the pair is won, lost or tied there, and only a tie passes the
pair down to the next outcome (Finkelstein and Schoenfeld 1999). This module counts the
wins, losses and ties of all pairs exactly, with a compiled kernel that sorts instead of
visiting every pair (:mod:`bayes_scot.stats.win.kernel`).

Encoding a time-to-event level
------------------------------
A level compares one number per patient. Death is "time of death, later is better" with
patients alive at the horizon holding the horizon itself, so that they tie with each other
and beat everyone who died; an EFS level holds the time of the first event (death or organ
failure) the same way. For SCOT's GRCS at 54 months (Sullivan et al. 2018) the hierarchy
is::

    [("death_time", "higher", 0.0),      # min(time of death, 54)
     ("efs_time", "higher", 0.0),        # min(time of first EFS event, 54)
     ("fvc", "higher", margin_fvc),      # NaN for patients with an EFS event
     ("haq_di", "lower", margin_haq),
     ("mrss", "lower", margin_mrss)]

A patient with an event carries NaN at the continuous levels: a pair of such patients
that reaches them (identical event times) ties, as missing values do.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from bayes_scot.errors import EvidenceError

__all__ = ["HierarchyLevel", "WinStatistics", "win_statistics", "win_statistics_draws"]

Direction = Literal["lower", "higher"]
HierarchyLevel = tuple[str, Direction, float]
"""One level of a hierarchy: ``(column, better, margin)``."""


# -- result ------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class WinStatistics:
    r"""Counts of won, lost and tied pairs, and the win statistics derived from them.

    Obtained from :func:`win_statistics` (one comparison; the properties are floats) or
    :func:`win_statistics_draws` (one comparison per posterior draw; the properties are
    arrays of shape ``(draw,)``).

    Parameters
    ----------
    levels : tuple of str
        Names of the hierarchy's levels, most important first.
    wins, losses : numpy.ndarray
        Pairs won (lost) by the experimental patient at each level, shape ``(level,)`` or
        ``(draw, level)``. Each pair is counted at the level that decided it.
    n_experimental, n_control : int
        Patients per arm; every one of the ``n_experimental * n_control`` pairs is
        compared.

    Notes
    -----
    With :math:`W`, :math:`L` and :math:`T` the proportions of pairs won, lost and tied
    by the experimental arm (:math:`W + L + T = 1`):

    ``p_win``, ``p_loss``, ``p_tie``
        :math:`W`, :math:`L`, :math:`T`. :math:`W` estimates the probability that a
        random experimental patient does better than a random control patient through the
        hierarchy. Summed over patients, wins minus losses is the Finkelstein-Schoenfeld
        score of the experimental arm [1]_.
    ``win_ratio``
        :math:`W / L`, the win ratio of Pocock et al. [2]_; ties are left out, so it
        ignores how often the hierarchy fails to separate patients. Infinite when no pair
        is lost, undefined (NaN) when every pair ties.
    ``net_benefit``
        :math:`W - L`, Buyse's proportion in favour of treatment [3]_, in
        :math:`[-1, 1]`; ties count as zero. It is positive exactly when the experimental
        arm wins more often than it loses.
    ``win_odds``
        :math:`(W + T/2) / (L + T/2)`, the win ratio with ties split evenly between the
        arms [4]_: the odds form of ``win_probability``; equal to ``win_ratio`` without
        ties, closer to 1 with them.
    ``win_probability``
        :math:`W + T/2`, the Mann-Whitney probability (probabilistic index): what a
        "percentage of pairs favouring" the experimental arm reports when ties are split.

    Identities: ``net_benefit = 2 * win_probability - 1``, ``win_odds = (1 +
    net_benefit) / (1 - net_benefit)``, and ``win_ratio == win_odds`` when ``p_tie == 0``.

    References
    ----------
    .. [1] Finkelstein DM, Schoenfeld DA. Combining mortality and longitudinal measures in
       clinical trials. Stat Med 1999;18:1341-54.
       doi:10.1002/(SICI)1097-0258(19990615)18:11<1341::AID-SIM129>3.0.CO;2-7
    .. [2] Pocock SJ, Ariti CA, Collier TJ, Wang D. The win ratio: a new approach to the
       analysis of composite endpoints in clinical trials based on clinical priorities.
       Eur Heart J 2012;33:176-82. doi:10.1093/eurheartj/ehr352
    .. [3] Buyse M. Generalized pairwise comparisons of prioritized outcomes in the
       two-sample problem. Stat Med 2010;29:3245-57. doi:10.1002/sim.3923
    .. [4] Dong G, Hoaglin DC, Qiu J, et al. The win ratio: on interpretation and handling
       of ties. Stat Biopharm Res 2020;12:99-106. doi:10.1080/19466315.2019.1575279
    """

    levels: tuple[str, ...]
    wins: np.ndarray
    losses: np.ndarray
    n_experimental: int
    n_control: int

    def __post_init__(self) -> None:
        wins = np.asarray(self.wins, dtype=float)
        losses = np.asarray(self.losses, dtype=float)
        if wins.shape != losses.shape or wins.shape[-1:] != (len(self.levels),):
            raise ValueError(
                f"wins {wins.shape} and losses {losses.shape} must both end with one entry "
                f"per level ({len(self.levels)})"
            )
        object.__setattr__(self, "wins", wins)
        object.__setattr__(self, "losses", losses)

    # -- proportions ---------------------------------------------------------------------
    @property
    def n_pairs(self) -> int:
        """Number of between-arm pairs compared, ``n_experimental * n_control``."""
        return self.n_experimental * self.n_control

    @property
    def p_win(self) -> float | np.ndarray:
        """Proportion of pairs won by the experimental arm."""
        return _out(self.wins.sum(axis=-1) / self.n_pairs)

    @property
    def p_loss(self) -> float | np.ndarray:
        """Proportion of pairs lost by the experimental arm."""
        return _out(self.losses.sum(axis=-1) / self.n_pairs)

    @property
    def p_tie(self) -> float | np.ndarray:
        """Proportion of pairs tied at every level."""
        decided = self.wins.sum(axis=-1) + self.losses.sum(axis=-1)
        return _out((self.n_pairs - decided) / self.n_pairs)

    @property
    def win_probability(self) -> float | np.ndarray:
        """``p_win + p_tie / 2``: the Mann-Whitney probability, ties split evenly."""
        return _out(np.asarray(self.p_win) + np.asarray(self.p_tie) / 2.0)

    @property
    def win_ratio(self) -> float | np.ndarray:
        """``p_win / p_loss`` (Pocock 2012); ties are left out."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return _out(np.asarray(self.p_win) / np.asarray(self.p_loss))

    @property
    def net_benefit(self) -> float | np.ndarray:
        """``p_win - p_loss`` (Buyse 2010)."""
        return _out(np.asarray(self.p_win) - np.asarray(self.p_loss))

    @property
    def win_odds(self) -> float | np.ndarray:
        """``(p_win + p_tie/2) / (p_loss + p_tie/2)``: the win ratio with ties split."""
        a = np.asarray(self.win_probability)
        with np.errstate(divide="ignore", invalid="ignore"):
            return _out(a / (1.0 - a))

    # -- tables --------------------------------------------------------------------------
    def by_level(self) -> pd.DataFrame:
        """Pairs decided at each level, as proportions of all pairs.

        Returns
        -------
        pandas.DataFrame
            Index ``level``; columns ``p_win``, ``p_loss`` (proportions of all pairs
            decided at that level in each direction) and ``p_undecided_after`` (pairs still
            tied after the level). For per-draw results each cell is the mean over draws.
        """
        wins = self.wins.reshape(-1, len(self.levels)).mean(axis=0) / self.n_pairs
        losses = self.losses.reshape(-1, len(self.levels)).mean(axis=0) / self.n_pairs
        undecided = 1.0 - np.cumsum(wins + losses)
        return pd.DataFrame(
            {"p_win": wins, "p_loss": losses, "p_undecided_after": undecided},
            index=pd.Index(self.levels, name="level"),
        )

    def to_series(self) -> pd.Series:
        """Return the win statistics of a single comparison as a :class:`pandas.Series`.

        Returns
        -------
        pandas.Series
            ``p_win, p_loss, p_tie, win_ratio, net_benefit, win_odds, win_probability``.

        Raises
        ------
        ValueError
            For per-draw results; use :meth:`to_frame` instead.
        """
        if self.wins.ndim != 1:
            raise ValueError("to_series() describes one comparison; use to_frame() for draws")
        return pd.Series({name: getattr(self, name) for name in _STATISTICS}, name="win")

    def to_frame(self) -> pd.DataFrame:
        """One row per draw (one row for a single comparison), one column per statistic.

        Returns
        -------
        pandas.DataFrame
            Columns ``p_win, p_loss, p_tie, win_ratio, net_benefit, win_odds,
            win_probability``.
        """
        return pd.DataFrame(
            {name: np.atleast_1d(getattr(self, name)) for name in _STATISTICS}
        ).rename_axis("draw")

    def __repr__(self) -> str:
        if self.wins.ndim == 1:
            values = ", ".join(f"{name}={getattr(self, name):.4g}" for name in _STATISTICS[:6])
            return f"WinStatistics({values}; {self.n_experimental} x {self.n_control} pairs)"
        return (
            f"WinStatistics({self.wins.shape[0]} draws of {self.n_experimental} x "
            f"{self.n_control} pairs; mean p_win={np.mean(self.p_win):.4g}, "
            f"mean p_loss={np.mean(self.p_loss):.4g})"
        )


_STATISTICS = (
    "p_win", "p_loss", "p_tie", "win_ratio", "net_benefit", "win_odds", "win_probability"
)


def _out(value: np.ndarray | float) -> float | np.ndarray:
    array = np.asarray(value, dtype=float)
    return float(array) if array.ndim == 0 else array


# -- public functions --------------------------------------------------------------------


def win_statistics(
    experimental: pd.DataFrame,
    control: pd.DataFrame,
    hierarchy: Sequence[HierarchyLevel],
) -> WinStatistics:
    """Compare every experimental patient with every control patient down a hierarchy.

    Parameters
    ----------
    experimental, control : pandas.DataFrame
        One row per patient, with a numeric column for each level of ``hierarchy``.
    hierarchy : sequence of (str, {"lower", "higher"}, float)
        ``(column, better, margin)`` from the most important level down. ``better`` says
        which values are better; a pair whose difference at a level is within ``margin``
        (``|x - y| <= margin``) ties there and passes to the next level. A missing value
        (NaN) ties the pair at that level. See the module notes for time-to-event levels.

    Returns
    -------
    WinStatistics
        ``p_win, p_loss, p_tie, win_ratio, net_benefit, win_odds`` (floats) and the
        counts decided at each level.

    Raises
    ------
    EvidenceError
        If a level is malformed, a column is missing or not numeric, or an arm is empty.

    See Also
    --------
    win_statistics_draws : The same comparison for many posterior draws at once.

    Notes
    -----
    The comparison is exact: leading levels without margin or missing values are counted
    by sorting, the next by binary search on the exact predicates, and only the pairs
    still tied after it are compared one by one (:mod:`bayes_scot.stats.win.kernel`).

    Examples
    --------
    >>> import pandas as pd
    >>> hsct = pd.DataFrame({"death": [54.0, 54.0, 10.0], "fvc": [80.0, 74.0, None]})
    >>> cyc = pd.DataFrame({"death": [54.0, 30.0], "fvc": [75.0, None]})
    >>> result = win_statistics(hsct, cyc, [("death", "higher", 0.0), ("fvc", "higher", 2.0)])
    >>> round(result.p_win, 3), round(result.p_loss, 3), round(result.p_tie, 3)
    (0.5, 0.333, 0.167)
    """
    levels = _check_hierarchy(hierarchy)
    x = _columns(experimental, levels, "experimental")
    y = _columns(control, levels, "control")
    result = win_statistics_draws(x[np.newaxis], y[np.newaxis], hierarchy)
    return WinStatistics(
        levels=result.levels,
        wins=result.wins[0],
        losses=result.losses[0],
        n_experimental=result.n_experimental,
        n_control=result.n_control,
    )


def win_statistics_draws(
    experimental: np.ndarray,
    control: np.ndarray,
    hierarchy: Sequence[HierarchyLevel],
) -> WinStatistics:
    """Win statistics for each of many draws of simulated patients.

    Parameters
    ----------
    experimental : numpy.ndarray
        Shape ``(draw, patient, level)``: the experimental arm's values per draw, levels
        in the order of ``hierarchy``.
    control : numpy.ndarray
        Shape ``(draw, patient, level)``, same number of draws and levels.
    hierarchy : sequence of (str, {"lower", "higher"}, float)
        ``(name, better, margin)`` per level, as in :func:`win_statistics`.

    Returns
    -------
    WinStatistics
        Counts of shape ``(draw, level)``; the statistics are arrays over draws.

    Raises
    ------
    EvidenceError
        If the shapes or the hierarchy are malformed.

    Notes
    -----
    Each draw is counted by the compiled kernel of :mod:`bayes_scot.stats.win.kernel`;
    the draws are shared among threads, one per available core.
    """
    levels = _check_hierarchy(hierarchy)
    x = np.asarray(experimental, dtype=float)
    y = np.asarray(control, dtype=float)
    for name, array in (("experimental", x), ("control", y)):
        if array.ndim != 3 or array.shape[2] != len(levels):
            raise EvidenceError(
                f"{name} must have shape (draw, patient, level) with {len(levels)} levels, "
                f"not {array.shape}",
                field=name,
            )
        if array.shape[1] == 0:
            raise EvidenceError(f"the {name} arm has no patients", field=name)
    if x.shape[0] != y.shape[0]:
        raise EvidenceError(
            f"experimental has {x.shape[0]} draws but control has {y.shape[0]}", field="control"
        )
    # Orient every level so that higher is better; negation is exact in floating point,
    # so margins are compared on the same differences as in the brute-force definition.
    sign = np.array([1.0 if better == "higher" else -1.0 for _, better, _ in levels])
    margins = np.array([margin for _, _, margin in levels])
    from bayes_scot.stats.win.kernel import count_pairs  # numba: imported when first used

    wins, losses = count_pairs(x * sign, y * sign, margins)
    return WinStatistics(
        levels=tuple(name for name, _, _ in levels),
        wins=wins,
        losses=losses,
        n_experimental=x.shape[1],
        n_control=y.shape[1],
    )


# -- validation --------------------------------------------------------------------------


def _check_hierarchy(hierarchy: Sequence[HierarchyLevel]) -> list[HierarchyLevel]:
    if isinstance(hierarchy, str | bytes) or not isinstance(hierarchy, Sequence):
        raise EvidenceError(
            "hierarchy must be a sequence of (column, 'lower' | 'higher', margin)",
            field="hierarchy",
        )
    if len(hierarchy) == 0:
        raise EvidenceError("hierarchy has no levels", field="hierarchy")
    levels: list[HierarchyLevel] = []
    seen: set[str] = set()
    for k, level in enumerate(hierarchy):
        where = f"hierarchy[{k}]"
        if not isinstance(level, Sequence) or isinstance(level, str) or len(level) != 3:
            raise EvidenceError(
                f"must be (column, 'lower' | 'higher', margin), not {level!r}", field=where
            )
        name, better, margin = level
        if not isinstance(name, str) or not name:
            raise EvidenceError(f"column must be a non-empty string, not {name!r}", field=where)
        if name in seen:
            raise EvidenceError(f"column {name!r} appears twice", field=where)
        seen.add(name)
        if better not in ("lower", "higher"):
            raise EvidenceError(
                f"direction must be 'lower' or 'higher', not {better!r}", field=where
            )
        if isinstance(margin, bool) or not isinstance(margin, int | float | np.floating) or not (
            math.isfinite(margin) and margin >= 0
        ):
            raise EvidenceError(
                f"margin must be a finite number >= 0, not {margin!r}", field=where
            )
        levels.append((name, better, float(margin)))
    return levels


def _columns(frame: pd.DataFrame, levels: list[HierarchyLevel], arm: str) -> np.ndarray:
    if not isinstance(frame, pd.DataFrame):
        raise EvidenceError(f"must be a pandas DataFrame, not {type(frame).__name__}", field=arm)
    if len(frame) == 0:
        raise EvidenceError(f"the {arm} arm has no patients", field=arm)
    columns = []
    for name, _, _ in levels:
        if name not in frame.columns:
            raise EvidenceError(
                f"has no column {name!r} (columns: {', '.join(map(str, frame.columns))})",
                field=arm,
            )
        try:
            values = pd.to_numeric(frame[name], errors="raise").to_numpy(
                dtype=float, na_value=np.nan
            )
        except (TypeError, ValueError):
            raise EvidenceError(
                f"column {name!r} must be numeric", field=f"{arm}.{name}"
            ) from None
        columns.append(values)
    return np.column_stack(columns)
