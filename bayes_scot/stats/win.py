r"""Win statistics: every experimental patient compared with every control down a hierarchy.

A hierarchical composite endpoint such as SCOT's global rank composite score (GRCS) is
analysed by comparing each experimental patient with each control patient on the most
important outcome first; the pair is won, lost or tied there, and only a tie passes the
pair down to the next outcome (Finkelstein and Schoenfeld 1999). This module counts the
wins, losses and ties of all pairs, exactly and without a Python loop over pairs, and turns
published pairwise summaries into effect estimates with standard errors.

Kernels
-------
Two exact stages share the work, both :math:`O(N \log N)` plus the number of pairs
still tied where the sorted order stops helping:

* **grouped sorting**: while a level has no tie margin and no missing values, "tied so
  far" is an equivalence relation, so the pairs still undecided at a level are those
  whose two patients share a *group* (the same values at every earlier level). Within a
  group, the wins of an experimental patient are the controls of the same group with a
  worse value: one :func:`numpy.searchsorted` on integer keys ``group * R + rank``.
  Groups are refined level by level with :func:`numpy.unique`.
* **range search, then pair lists**: a margin makes ties non-transitive (``|a - b| <= d``
  and ``|b - c| <= d`` do not give ``|a - c| <= d``) and a missing value ties with
  everyone, so groups end at the first such level. There, the wins of a value ``a`` are
  still a prefix of its group's sorted controls and its losses a suffix; the boundaries
  are found by :func:`numpy.searchsorted` and then settled with the exact predicate
  ``fl(a - b) > margin``, so rounding never moves a pair across the margin differently
  from the pairwise definition. The pairs tied there are listed (at most
  :data:`BLOCK_ELEMENTS` at a time) and compared directly at the remaining levels.

Both give the same integer counts as the brute-force double loop; the tests check this on
random hierarchies with margins, ties, missing values and decimal values that round.

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
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats as sps

from bayes_scot.conventions import CREDIBLE_LEVEL
from bayes_scot.errors import EvidenceError
from bayes_scot.evidence.entries import PairwiseSummary
from bayes_scot.stats.normal_normal import normal_posterior

__all__ = [
    "BLOCK_ELEMENTS",
    "DIRECT_ESTIMANDS",
    "SCALES",
    "PairwiseEffect",
    "PairwisePosterior",
    "WinStatistics",
    "direct_estimands",
    "hanley_mcneil_se",
    "null_win_probability_se",
    "pairwise_effect",
    "pairwise_posterior",
    "win_statistics",
    "win_statistics_draws",
]

Direction = Literal["lower", "higher"]
HierarchyLevel = tuple[str, Direction, float]

SCALES: tuple[str, ...] = ("net_benefit", "log_win_odds")
"""Scales on which a published pairwise summary can enter a likelihood."""

DIRECT_ESTIMANDS: tuple[str, ...] = ("net_benefit", "win_probability", "win_odds", "win_ratio")
"""Estimands of the direct route, each an increasing function of the effect parameter."""

BLOCK_ELEMENTS: int = 1 << 22
"""Largest number of tied pairs listed in memory at once (about 4 million; their indices
and differences take about 100 MB)."""


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
    The comparison is exact and vectorised: leading levels without margin or missing
    values are counted by sorting within groups, the next by a range search, and only the
    pairs still tied after it are compared one by one, in NumPy (module notes).

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
    All draws are processed together: the draw index is the first grouping level, so no
    group spans two draws and every kernel runs once for all of them. Comparing 36 with
    39 patients through SCOT's hierarchy for 1000 draws takes a few hundredths of a
    second (``benchmarks/bench_win.py``).
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
    wins, losses = _count(x * sign, y * sign, margins)
    return WinStatistics(
        levels=tuple(name for name, _, _ in levels),
        wins=wins,
        losses=losses,
        n_experimental=x.shape[1],
        n_control=y.shape[1],
    )


# -- published summaries -> effect estimates ---------------------------------------------


@dataclass(frozen=True, kw_only=True)
class PairwiseEffect:
    r"""A published pairwise summary as an effect estimate with a standard error.

    Parameters
    ----------
    scale : {"net_benefit", "log_win_odds"}
        Scale of ``estimate`` and ``se``.
    estimate : float
        Net benefit :math:`2A - 1` or log win odds :math:`\ln\{A / (1 - A)\}`, with
        :math:`A` the proportion of pairs favouring the experimental arm (ties split).
    se : float
        Standard error of ``estimate`` (see :func:`pairwise_effect`).
    win_probability : float
        :math:`A`.
    p_tie : float
        Proportion of pairs favouring neither arm (100% minus the two percentages).
    p_value : float
        Two-sided p-value the standard error was derived from.
    n_experimental, n_control : int
        Patients per arm.
    se_method : str
        ``"p_value"`` or ``"hanley_mcneil"``.
    """

    scale: Literal["net_benefit", "log_win_odds"]
    estimate: float
    se: float
    win_probability: float
    p_tie: float
    p_value: float
    n_experimental: int
    n_control: int
    se_method: str

    @property
    def z(self) -> float:
        """``estimate / se``."""
        return self.estimate / self.se


def pairwise_effect(
    entry: PairwiseSummary,
    *,
    experimental: str,
    control: str,
    scale: Literal["net_benefit", "log_win_odds"] = "net_benefit",
    se_method: Literal["p_value", "hanley_mcneil"] = "p_value",
) -> PairwiseEffect:
    r"""Turn a published "% of pairs favouring each arm" into an estimate and its SE.

    Parameters
    ----------
    entry : PairwiseSummary
        The published summary (percentages per arm, patients per arm, p-value).
    experimental, control : str
        Arm names.
    scale : {"net_benefit", "log_win_odds"}, default "net_benefit"
    se_method : {"p_value", "hanley_mcneil"}, default "p_value"
        Derive the standard error from the reported two-sided p-value, or from the
        Hanley-McNeil variance of the Mann-Whitney statistic (a check on the first).

    Returns
    -------
    PairwiseEffect

    Raises
    ------
    EvidenceError
        If an arm is missing, the p-value is missing (for ``"p_value"``) or zero, or the
        percentages give no effect to derive a standard error from.

    Notes
    -----
    Let :math:`A = (P_E + T/2)/100` with :math:`P_E` the percentage of pairs favouring the
    experimental arm and :math:`T = 100 - P_E - P_C` the tied pairs. The
    :math:`n_E n_C` pairs are not independent: each patient stands behind :math:`n_C` (or
    :math:`n_E`) of them, so a binomial standard error on 1404 pairs would be far too
    small. The p-value of the published test already accounts for this. Reading it as a
    Wald test on the chosen scale, :math:`z = \Phi^{-1}(1 - p/2)` and

    .. math:: \mathrm{SE}(\hat\theta) = |\hat\theta| / z,

    with :math:`\hat\theta = 2A - 1` (net benefit) or :math:`\ln\{A/(1-A)\}` (log win
    odds); methods notes, "SE from a p-value". The U-statistic alternative is the
    Hanley-McNeil variance of :math:`A` (:func:`hanley_mcneil_se`), mapped by the delta
    method: :math:`\mathrm{SE}(\mathrm{NB}) = 2\,\mathrm{SE}(A)` and
    :math:`\mathrm{SE}(\ln \mathrm{WO}) = \mathrm{SE}(A) / \{A(1-A)\}`.

    For SCOT's ITT result at 54 months (66.6%, P = 0.01, 36 vs 39 patients):

    ============  ===========  =============  ====================
    scale         from P       Hanley-McNeil  simulated SD (tests)
    ============  ===========  =============  ====================
    net benefit   0.129        0.126          0.125
    log win odds  0.268        0.283          0.288
    ============  ===========  =============  ====================

    On the net-benefit scale the three agree within 3%; on the log-win-odds scale the
    p-value route is about 7% too small, because the published test (a rank test) used
    the variance under no difference, which the log transform stretches less than the
    variance at :math:`A = 0.666`. The net-benefit scale is therefore the default. A
    p-value printed as 0.01 lies in [0.005, 0.015), so the net-benefit SE lies in
    [0.118, 0.137]; the simulated SD falls inside.

    References
    ----------
    .. [1] Hanley JA, McNeil BJ. The meaning and use of the area under a receiver operating
       characteristic (ROC) curve. Radiology 1982;143:29-36.
       doi:10.1148/radiology.143.1.7063747
    .. [2] Altman DG, Bland JM. How to obtain the confidence interval from a P value. BMJ
       2011;343:d2090. doi:10.1136/bmj.d2090
    .. [3] Buyse M. Generalized pairwise comparisons of prioritized outcomes in the
       two-sample problem. Stat Med 2010;29:3245-57. doi:10.1002/sim.3923
    """
    if scale not in SCALES:
        raise EvidenceError(f"scale must be one of {', '.join(SCALES)}, not {scale!r}",
                            field="scale")
    favourable = dict(entry.percent_favourable or {})
    for arm in (experimental, control):
        if arm not in favourable:
            raise EvidenceError(
                f"no percentage of pairs favouring arm {arm!r}",
                entry=entry.id,
                field="percent_favourable",
            )
    p_exp = favourable[experimental] / 100.0
    p_ctl = favourable[control] / 100.0
    p_tie = max(0.0, 1.0 - p_exp - p_ctl)
    a = p_exp + p_tie / 2.0
    if not 0.0 < a < 1.0:
        raise EvidenceError(
            "all pairs favour one arm; no effect scale is finite",
            entry=entry.id,
            field="percent_favourable",
        )
    estimate = math.log(a / (1.0 - a)) if scale == "log_win_odds" else 2.0 * a - 1.0
    n_e, n_c = int(entry.n[experimental]), int(entry.n[control])
    if se_method == "p_value":
        if entry.p_value is None:
            raise EvidenceError(
                "a p-value is needed to derive the standard error", entry=entry.id,
                field="p_value",
            )
        if not 0.0 < entry.p_value < 1.0 or estimate == 0.0:
            raise EvidenceError(
                f"p-value {entry.p_value!r} with estimate {estimate:g} gives no standard error",
                entry=entry.id,
                field="p_value",
            )
        z = float(sps.norm.isf(entry.p_value / 2.0))
        se = abs(estimate) / z
    elif se_method == "hanley_mcneil":
        se_a = hanley_mcneil_se(a, n_e, n_c)
        se = se_a / (a * (1.0 - a)) if scale == "log_win_odds" else 2.0 * se_a
    else:
        raise EvidenceError(
            f"se_method must be 'p_value' or 'hanley_mcneil', not {se_method!r}",
            field="se_method",
        )
    return PairwiseEffect(
        scale=scale,
        estimate=float(estimate),
        se=float(se),
        win_probability=float(a),
        p_tie=float(p_tie),
        p_value=float(entry.p_value) if entry.p_value is not None else float("nan"),
        n_experimental=n_e,
        n_control=n_c,
        se_method=se_method,
    )


def hanley_mcneil_se(win_probability: float, n_experimental: int, n_control: int) -> float:
    r"""Return the standard error of a Mann-Whitney proportion (Hanley and McNeil 1982).

    Parameters
    ----------
    win_probability : float
        :math:`A`, the proportion of pairs favouring the experimental arm (ties split).
    n_experimental, n_control : int
        Patients per arm.

    Returns
    -------
    float

    Notes
    -----
    .. math::

        \mathrm{Var}(\hat A) = \frac{A(1-A) + (n_E - 1)(Q_1 - A^2) + (n_C - 1)(Q_2 - A^2)}
        {n_E n_C}, \quad Q_1 = \frac{A}{2 - A}, \; Q_2 = \frac{2A^2}{1 + A}.

    :math:`Q_1` and :math:`Q_2` (the probabilities that one experimental patient beats two
    random controls, and that two experimental patients both beat one control) are exact
    for exponential scores and a good approximation for other continuous ones; the terms
    :math:`(n - 1)(Q - A^2)` carry the dependence between pairs sharing a patient.

    References
    ----------
    .. [1] Hanley JA, McNeil BJ. Radiology 1982;143:29-36. doi:10.1148/radiology.143.1.7063747
    """
    a = float(win_probability)
    q1 = a / (2.0 - a)
    q2 = 2.0 * a * a / (1.0 + a)
    variance = (
        a * (1.0 - a) + (n_experimental - 1) * (q1 - a * a) + (n_control - 1) * (q2 - a * a)
    ) / (n_experimental * n_control)
    return math.sqrt(variance)


def null_win_probability_se(n_experimental: int, n_control: int) -> float:
    r"""Return the standard error of a Mann-Whitney proportion when the arms do not differ.

    Parameters
    ----------
    n_experimental, n_control : int

    Returns
    -------
    float
        :math:`\sqrt{(n_E + n_C + 1) / (12 n_E n_C)}`, the SE under which a rank-sum test
        (Wilcoxon; Finkelstein-Schoenfeld without ties) computes its p-value.
    """
    n_e, n_c = n_experimental, n_control
    return math.sqrt((n_e + n_c + 1) / (12.0 * n_e * n_c))


def direct_estimands(
    theta: np.ndarray | float, *, scale: str, p_tie: float = 0.0
) -> dict[str, np.ndarray]:
    r"""Every direct-route estimand as a function of the effect parameter.

    Parameters
    ----------
    theta : array_like
        Net benefit or log win odds (``scale``).
    scale : {"net_benefit", "log_win_odds"}
    p_tie : float, default 0
        Proportion of tied pairs, held fixed at its published value.

    Returns
    -------
    dict of str to numpy.ndarray
        ``net_benefit`` :math:`2A - 1`, ``win_probability`` :math:`A`, ``win_odds``
        :math:`A/(1-A)` and ``win_ratio`` :math:`(A - T/2)/(1 - A - T/2)`, with :math:`A`
        the win probability (ties split) and :math:`T` = ``p_tie``. Each is increasing in
        ``theta``. Values of ``theta`` with no meaning on the other scales (a net benefit
        outside (-1, 1), a win ratio with a negative part) give NaN there.

    Notes
    -----
    Without ties (SCOT: 66.6% + 33.4% = 100%) the win ratio equals the win odds and
    ``p_win`` equals :math:`A`. With ties the direct route cannot tell how a change in
    :math:`A` splits between wins and ties; holding :math:`T` at its published value is
    the assumption behind ``win_ratio``.
    """
    theta = np.asarray(theta, dtype=float)
    if scale == "log_win_odds":
        a = 1.0 / (1.0 + np.exp(-theta))
    elif scale == "net_benefit":
        a = (1.0 + theta) / 2.0
    else:
        raise EvidenceError(f"scale must be one of {', '.join(SCALES)}, not {scale!r}",
                            field="scale")
    inside = (a > 0.0) & (a < 1.0)
    p_win = a - p_tie / 2.0
    p_loss = 1.0 - a - p_tie / 2.0
    with np.errstate(divide="ignore", invalid="ignore"):
        odds = np.where(inside, a / (1.0 - a), np.nan)
        ratio = np.where((p_win >= 0.0) & (p_loss > 0.0), p_win / p_loss, np.nan)
    return {
        "net_benefit": 2.0 * a - 1.0,
        "win_probability": a,
        "win_odds": odds,
        "win_ratio": ratio,
    }


@dataclass(frozen=True, kw_only=True)
class PairwisePosterior:
    r"""Closed-form posterior of the direct route: a normal on the effect scale.

    Parameters
    ----------
    scale : {"net_benefit", "log_win_odds"}
    mean, sd : float
        Posterior :math:`N(m_1, s_1^2)` of the effect parameter.
    p_tie : float
        Published proportion of tied pairs (held fixed).
    prior : str
        Name of the prior.

    Notes
    -----
    Every estimand is an increasing function of the effect parameter
    (:func:`direct_estimands`), so its posterior quantiles are the transformed quantiles
    of :math:`N(m_1, s_1^2)`, and :math:`P(\text{net benefit} > 0) = P(\text{win odds}
    > 1) = \Phi(m_1 / s_1)` on both scales: the posterior probability that HSCT wins
    more often than it loses.
    """

    scale: str
    mean: float
    sd: float
    p_tie: float = 0.0
    prior: str = ""

    def p_superior(self) -> float:
        """Posterior probability that the experimental arm wins more often than it loses."""
        return float(sps.norm.cdf(self.mean / self.sd))

    def quantiles(self, q: np.ndarray | Sequence[float]) -> dict[str, np.ndarray]:
        """Posterior quantiles ``q`` of every estimand (see :func:`direct_estimands`).

        Parameters
        ----------
        q : array_like
            Probabilities in (0, 1).

        Returns
        -------
        dict of str to numpy.ndarray
        """
        theta = sps.norm.ppf(np.asarray(q, dtype=float), loc=self.mean, scale=self.sd)
        return direct_estimands(theta, scale=self.scale, p_tie=self.p_tie)

    def summary(self, level: float = CREDIBLE_LEVEL) -> pd.DataFrame:
        """Median, central credible interval and P(superior) of every estimand.

        Parameters
        ----------
        level : float, default :data:`~bayes_scot.conventions.CREDIBLE_LEVEL`

        Returns
        -------
        pandas.DataFrame
            Index ``estimand``; columns ``prior, median, lower, upper, p_superior``.
        """
        alpha = (1.0 - level) / 2.0
        values = self.quantiles([0.5, alpha, 1.0 - alpha])
        rows = {
            name: {"prior": self.prior, "median": v[0], "lower": v[1], "upper": v[2],
                   "p_superior": self.p_superior()}
            for name, v in values.items()
        }
        return pd.DataFrame.from_dict(rows, orient="index").rename_axis("estimand")


def pairwise_posterior(
    effect: PairwiseEffect, prior_mean: float, prior_sd: float, *, prior: str = ""
) -> PairwisePosterior:
    r"""Conjugate normal update of a pairwise effect under a normal prior.

    Parameters
    ----------
    effect : PairwiseEffect
        Estimate and SE from :func:`pairwise_effect`.
    prior_mean, prior_sd : float
        Normal prior on the same scale.
    prior : str, optional
        Name of the prior, carried into tables.

    Returns
    -------
    PairwisePosterior
        :math:`s_1^{-2} = s_0^{-2} + \mathrm{SE}^{-2}`,
        :math:`m_1 = s_1^2 (m_0 / s_0^2 + \hat\theta / \mathrm{SE}^2)`.
    """
    mean, sd = normal_posterior(prior_mean, prior_sd, effect.estimate, effect.se)
    return PairwisePosterior(scale=effect.scale, mean=float(mean), sd=float(sd),
                             p_tie=effect.p_tie, prior=prior)


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


# -- kernels -----------------------------------------------------------------------------


def _count(x: np.ndarray, y: np.ndarray, margins: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Wins and losses per draw and level; every level oriented so that higher is better.

    ``x`` (draw, n, level) and ``y`` (draw, m, level). Leading levels without margin whose
    values are all present are counted by sorting; the rest pairwise within the groups the
    sorted levels left tied.
    """
    n_draws, n, n_levels = x.shape
    m = y.shape[1]
    wins = np.zeros((n_draws, n_levels))
    losses = np.zeros((n_draws, n_levels))
    # Groups: patients (of both arms) with equal values at every level counted so far.
    # The draw is the first grouping level, so no group ever spans two draws.
    draw = np.concatenate([np.repeat(np.arange(n_draws), n), np.repeat(np.arange(n_draws), m)])
    draw_of_exp = draw[: n_draws * n]
    group = draw
    k = 0
    while k < n_levels and margins[k] == 0.0:
        values = np.concatenate([x[:, :, k].ravel(), y[:, :, k].ravel()])
        present = ~np.isnan(values)
        last = k == n_levels - 1
        if not (last or present.all()):
            break
        w, l_ = _sorted_level(group, values, present, n_draws * n)
        wins[:, k] = np.bincount(draw_of_exp, weights=w, minlength=n_draws)
        losses[:, k] = np.bincount(draw_of_exp, weights=l_, minlength=n_draws)
        k += 1
        if not last:
            rank = np.unique(values, return_inverse=True)[1].ravel()
            group = np.unique(group * (rank.max() + 1) + rank, return_inverse=True)[1].ravel()
    if k < n_levels:
        _range_levels(x, y, group, margins, k, wins, losses)
    return wins, losses


def _sorted_level(
    group: np.ndarray, values: np.ndarray, present: np.ndarray, n_exp: int
) -> tuple[np.ndarray, np.ndarray]:
    """Per experimental patient: controls of its group with a lower / higher value."""
    rank = np.unique(values, return_inverse=True)[1].ravel()  # dense ranks, NaN last
    size = rank.max() + 2
    key = group * size + rank
    control_keys = np.sort(key[n_exp:][present[n_exp:]])
    exp_key = key[:n_exp]
    exp_group_start = group[:n_exp] * size
    first = np.searchsorted(control_keys, exp_group_start, side="left")
    end = np.searchsorted(control_keys, exp_group_start + size, side="left")
    below = np.searchsorted(control_keys, exp_key, side="left") - first
    above = end - np.searchsorted(control_keys, exp_key, side="right")
    exp_present = present[:n_exp]
    return np.where(exp_present, below, 0), np.where(exp_present, above, 0)


def _range_levels(
    x: np.ndarray,
    y: np.ndarray,
    group: np.ndarray,
    margins: np.ndarray,
    k: int,
    wins: np.ndarray,
    losses: np.ndarray,
) -> None:
    """Count levels ``k`` onwards, within the groups the sorted levels left tied.

    Level ``k`` (any margin, missing values allowed) is counted by searching the sorted
    control values of each group: the wins of an experimental value ``a`` are a prefix of
    its group's sorted controls and its losses a suffix, because ``fl(a - b)`` never
    increases with ``b`` (rounding is monotone). The prefix end is found with
    :func:`numpy.searchsorted` on ``a - margin`` and then corrected with the exact
    predicate ``fl(a - b) > margin``, so the counts equal the pairwise definition
    bit for bit. The pairs left undecided (the middle range, and every pair with a
    missing value) are listed, at most :data:`BLOCK_ELEMENTS` at a time, and compared
    directly at the remaining levels. Adds into ``wins`` and ``losses`` (draw, level).
    """
    n_draws, n, n_levels = x.shape
    m = y.shape[1]
    xv = x[:, :, k].ravel()
    yv = y[:, :, k].ravel()
    x_group = group[: n_draws * n]
    y_group = group[n_draws * n :]
    n_groups = int(group.max()) + 1
    draw_of_exp = np.repeat(np.arange(n_draws), n)
    # Controls sorted by (group, value), missing values last within each group.
    order = np.lexsort((yv, y_group))
    values = yv[order]
    y_present = ~np.isnan(yv)
    distinct = np.unique(yv[y_present])
    size = distinct.size + 1
    rank = np.where(np.isnan(values), distinct.size,
                    np.searchsorted(distinct, np.where(np.isnan(values), 0.0, values)))
    keys = y_group[order] * size + rank
    count_all = np.bincount(y_group, minlength=n_groups)
    count_present = np.bincount(y_group[y_present], minlength=n_groups)
    group_start = np.concatenate([[0], np.cumsum(count_all)[:-1]])
    lo = group_start[x_group]
    hi = lo + count_present[x_group]
    end = lo + count_all[x_group]
    a = xv
    a_present = ~np.isnan(a)
    margin = margins[k]
    base = x_group * size
    with np.errstate(invalid="ignore"):
        first_loss_value = np.searchsorted(distinct, a + margin, side="right")
        win_end = np.searchsorted(keys, base + np.searchsorted(distinct, a - margin), side="left")
        loss_start = np.searchsorted(keys, base + first_loss_value, side="left")
    win_end = _settle(win_end, lo, hi, keys, values, a, a_present,
                      lambda a_, b_: a_ - b_ > margin)
    loss_start = _settle(loss_start, lo, hi, keys, values, a, a_present,
                         lambda a_, b_: ~(a_ - b_ < -margin))
    win_end = np.where(a_present, win_end, lo)
    loss_start = np.where(a_present, loss_start, hi)
    wins[:, k] += np.bincount(draw_of_exp, weights=win_end - lo, minlength=n_draws)
    losses[:, k] += np.bincount(draw_of_exp, weights=hi - loss_start, minlength=n_draws)
    if k == n_levels - 1:
        return
    # Undecided pairs: controls in [win_end, loss_start) and the group's missing values.
    starts = np.stack([win_end, hi], axis=1)
    lengths = np.stack([loss_start - win_end, end - hi], axis=1)
    per_exp = lengths.sum(axis=1)
    cumulative = np.cumsum(per_exp)
    xr_ = x.reshape(n_draws * n, n_levels)
    yr_ = y.reshape(n_draws * m, n_levels)
    first = 0
    while first < per_exp.size:
        done = cumulative[first - 1] if first else 0
        last = max(first + 1, int(np.searchsorted(cumulative, done + BLOCK_ELEMENTS, "right")))
        seg_len = lengths[first:last].ravel()
        seg_start = starts[first:last].ravel()
        exp_index = np.repeat(np.repeat(np.arange(first, last), 2), seg_len)
        offsets = np.arange(seg_len.sum()) - np.repeat(np.cumsum(seg_len) - seg_len, seg_len)
        ctl_index = order[np.repeat(seg_start, seg_len) + offsets]
        for level in range(k + 1, n_levels):
            if exp_index.size == 0:
                break
            d = xr_[exp_index, level] - yr_[ctl_index, level]
            won = d > margins[level]
            lost = d < -margins[level]
            wins[:, level] += np.bincount(draw_of_exp[exp_index[won]], minlength=n_draws)
            losses[:, level] += np.bincount(draw_of_exp[exp_index[lost]], minlength=n_draws)
            keep = ~(won | lost)
            exp_index, ctl_index = exp_index[keep], ctl_index[keep]
        first = last


def _settle(
    position: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    keys: np.ndarray,
    values: np.ndarray,
    a: np.ndarray,
    active: np.ndarray,
    holds: Callable[[np.ndarray, np.ndarray], np.ndarray],
) -> np.ndarray:
    """Move approximate boundaries to the exact end of the prefix where ``holds`` is true.

    ``holds(a, b)`` is monotone in ``b`` over each sorted range ``[lo, hi)``: true on a
    prefix, false after it. A boundary moves by whole runs of equal values, so it settles
    after as many steps as there are distinct values within rounding error of the
    approximate threshold (one or two).
    """
    position = position.copy()
    last = values.size - 1
    while True:
        before = np.clip(position - 1, 0, last)
        at = np.clip(position, 0, last)
        with np.errstate(invalid="ignore"):
            down = active & (position > lo) & ~holds(a, values[before])
            up = active & (position < hi) & holds(a, values[at])
        if not (down.any() or up.any()):
            return position
        position[down] = np.searchsorted(keys, keys[before[down]], side="left")
        position[up] = np.searchsorted(keys, keys[at[up]], side="right")
