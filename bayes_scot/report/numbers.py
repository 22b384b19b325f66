"""How every number of a report is written: fixed decimals per quantity, no exponents.

A reader compares numbers down a column, so each kind of quantity has one format,
whatever its value:

============================  ===============================  ==================
quantity                      rule                             example
============================  ===============================  ==================
probability                   3 decimals; ``> 0.999`` and      ``0.953``
                              ``< 0.001`` at the extremes;
                              more near a decision threshold   ``0.9498``
difference of proportions     percentage points, 1 decimal,    ``+12.3 pp``
(survival difference)         signed
proportion of one arm         per cent, 1 decimal              ``63.2%``
ratio (HR, win ratio)         2 decimals                       ``0.71``
months (RMST difference)      1 decimal, signed                ``+4.2``
HAQ-DI points                 2 decimals, signed               ``-0.35``
other scores, % predicted     1 decimal, signed                ``+4.5``
composite differences         3 decimals, signed               ``+0.120``
R-hat                         2 decimals                       ``1.00``
ESS, counts                   whole numbers, thousands comma   ``1,502``
predicted count (interval)    the whole numbers inside it      ``4 to 18``
============================  ===============================  ==================

:func:`estimate` picks the rule from a table row's ``unit``, ``null`` and ``endpoint``;
the same rule writes the median, both interval limits and the MCID of the row. No rule
writes scientific notation.

A probability is never written rounded onto or across a threshold of
:data:`DECISION_THRESHOLDS`, at which the report says where an answer turns: 0.9496 is
written ``0.9496``, not ``0.950``, so that a table never shows a value the text says lies
below 0.95 as 0.95 (:func:`threshold_safe`, which the figures' probabilities follow too).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from bayes_scot.conventions import DECISION_THRESHOLDS

__all__ = [
    "COUNT_STATISTICS",
    "DECISION_THRESHOLDS",
    "ENDPOINT_DECIMALS",
    "count",
    "count_interval",
    "counted",
    "estimate",
    "estimate_rule",
    "generic",
    "generic_alike",
    "probability",
    "rhat",
    "threshold_safe",
    "unit_label",
]

ENDPOINT_DECIMALS: Mapping[str, int] = {"haq_di": 2}
"""Endpoints whose scores need more than one decimal (HAQ-DI runs from 0 to 3)."""


COUNT_STATISTICS: frozenset[str] = frozenset({
    "events", "deaths", "n", "n_risk", "at_risk", "number_at_risk", "patients",
    "responders", "count",
})
"""Statistics of published numbers that count patients or events: their predictive
median and interval are written as whole numbers (:func:`count_interval`)."""

DASH = "–"


def _missing(value: Any) -> bool:
    if value is None:
        return True
    try:
        return math.isnan(float(value))
    except (TypeError, ValueError):
        return True


def probability(value: Any) -> str:
    """Write a probability with 3 decimals (``> 0.999``, ``< 0.001`` at the extremes).

    Near a decision threshold it gets the decimals it needs to stay on its side of it
    (:func:`threshold_safe`).
    """
    if _missing(value):
        return DASH
    p = float(value)
    if p > 0.9995:
        return "> 0.999"
    if p < 0.0005:
        return "< 0.001"
    return threshold_safe(p, 3)


def threshold_safe(p: float, decimals: int,
                   thresholds: Sequence[float] = DECISION_THRESHOLDS) -> str:
    """Write a probability with ``decimals`` decimals, more where a threshold needs them.

    A value written with ``decimals`` decimals may read as lying on a threshold, or on
    its other side, when it does not: 0.9455 with 2 decimals is "0.95", though it lies
    below 0.95. Such a value is written with one more decimal ("0.946"), or two
    ("0.9496"), and if that still reads as on or across the threshold, with the last
    decimal cut towards the value's own side (0.949999 is "0.9499"), so the text written
    always lies on the same side of every threshold as the value.

    Parameters
    ----------
    p : float
        The probability.
    decimals : int
        Decimals written when no threshold is at stake.
    thresholds : sequence of float, default :data:`DECISION_THRESHOLDS`
        Thresholds that each have at most ``decimals`` decimals.

    Returns
    -------
    str

    Examples
    --------
    >>> threshold_safe(0.9455, 2), threshold_safe(0.9504, 2), threshold_safe(0.93, 2)
    ('0.946', '0.95', '0.93')
    """
    for places in (decimals, decimals + 1, decimals + 2):
        text = f"{p:.{places}f}"
        if _same_side(p, text, thresholds):
            return text
    return f"{math.floor(p * 10**places) / 10**places:.{places}f}"


def _same_side(p: float, text: str, thresholds: Sequence[float]) -> bool:
    """Whether the written value lies on the same side of every threshold as ``p``."""
    shown = float(text)
    return all((shown < t) == (p < t) for t in thresholds)


def rhat(value: Any) -> str:
    """Write R-hat with 2 decimals."""
    return DASH if _missing(value) else f"{float(value):.2f}"


def count(value: Any) -> str:
    """Write a count or an ESS as a whole number with a thousands comma."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return DASH if _missing(value) else f"{round(float(value)):,d}"


def count_interval(median: Any, lower: Any, upper: Any) -> list[str]:
    """Write a predicted count's median and interval as whole numbers.

    The draws of a count are whole numbers, but a quantile interpolated between two of
    them need not be ("3.98 to 18.00"). The interval is written as the whole numbers
    inside it (its lower limit rounded up, its upper limit rounded down), so a published
    count lies outside the written interval exactly when it lies outside the computed
    one; the median is rounded, and the limits never pass it.

    Parameters
    ----------
    median, lower, upper : float
        The predictive median and the limits of the central interval.

    Returns
    -------
    list of str
        ``[median, lower, upper]``, each as :func:`count` writes it.

    Examples
    --------
    >>> count_interval(10.0, 3.98, 18.0)
    ['10', '4', '18']
    """
    if any(_missing(v) for v in (median, lower, upper)):
        return [count(median), count(lower), count(upper)]
    middle = round(float(median))
    low = min(math.ceil(float(lower) - 1e-9), middle)
    high = max(math.floor(float(upper) + 1e-9), middle)
    return [count(middle), count(low), count(high)]


def counted(value: Any, noun: str) -> str:
    """Write a count with its noun, plural unless the count is one: ``1 prior``, ``13 priors``."""
    return f"{count(value)} {noun}{'' if value == 1 else 's'}"


def generic(value: Any) -> str:
    """Write a number whose kind is not known: whole numbers as such, else by magnitude.

    Whole numbers are written without decimals, others with 2 decimals from 1 up, 3
    below 1 and none from 1000 up; never in scientific notation.
    """
    if isinstance(value, bool):
        return "yes" if value else "no"
    if _missing(value):
        return DASH
    return _fixed(float(value), _decimals(float(value)))


def generic_alike(values: Sequence[Any]) -> list[str]:
    """Write numbers that are read together (a median and its interval) alike.

    Each as :func:`generic`, but all with the most decimals any of them needs, so that
    an interval never reads "7 to 23.03".
    """
    finite = [float(v) for v in values if not isinstance(v, bool) and not _missing(v)]
    decimals = max((_decimals(x) for x in finite), default=0)
    return [DASH if isinstance(v, bool) or _missing(v) else _fixed(float(v), decimals)
            for v in values]


def _decimals(x: float) -> int:
    """Decimals :func:`generic` writes ``x`` with."""
    if x.is_integer() or abs(x) >= 1000:
        return 0
    return 2 if abs(x) >= 1 else 3


def _fixed(x: float, decimals: int) -> str:
    """``x`` with ``decimals`` decimals and thousands separators, never "-0"."""
    return f"{0.0 if round(x, decimals) == 0 else x:,.{decimals}f}"


def estimate_rule(row: Mapping[str, Any]) -> tuple[str, int, bool]:
    """Return ``(kind, decimals, signed)`` of the estimand in a table row.

    Parameters
    ----------
    row : mapping
        A row of :meth:`bayes_scot.Reanalysis.table` (``unit``, ``null``, ``endpoint``,
        ``estimand``).

    Returns
    -------
    kind : {"pp", "percent", "ratio", "number"}
    decimals : int
    signed : bool
        Whether a ``+`` is written before positive values (differences).
    """
    unit = str(row.get("unit") or "")
    raw: Any = row.get("null")
    null = float("nan") if _missing(raw) else float(raw)
    estimand = str(row.get("estimand") or "")
    if unit in ("probability", "proportion"):
        return ("percent", 1, False) if math.isnan(null) else ("pp", 1, True)
    if unit == "ratio" or null == 1.0 or "ratio" in estimand or "odds" in estimand:
        return "ratio", 2, False
    if unit == "months":
        return "number", 1, True
    if unit:
        return "number", ENDPOINT_DECIMALS.get(str(row.get("endpoint")), 1), True
    return "number", 3, null == 0.0


def estimate(value: Any, row: Mapping[str, Any], *, unit: bool = False) -> str:
    """Write a value of a row's estimand (median, interval limit or MCID) by its rule.

    Parameters
    ----------
    value : float
    row : mapping
        The table row (see :func:`estimate_rule`).
    unit : bool, default False
        Append the unit (``pp``, ``%`` or the row's unit).

    Returns
    -------
    str
    """
    if _missing(value):
        return DASH
    kind, decimals, signed = estimate_rule(row)
    x = float(value)
    if kind in ("pp", "percent"):
        x *= 100.0
    if round(x, decimals) == 0:
        x = 0.0  # no "-0.0"
    text = f"{x:+.{decimals}f}" if signed and x != 0 else f"{x:.{decimals}f}"
    if not unit:
        return text
    if kind == "pp":
        return f"{text} pp"
    if kind == "percent":
        return f"{text}%"
    suffix = str(row.get("unit") or "")
    return f"{text} {suffix}" if suffix and kind == "number" else text


def unit_label(row: Mapping[str, Any]) -> str:
    """Name the unit a row's values are written in ("percentage points", "ratio", ...)."""
    kind, _decimals, _signed = estimate_rule(row)
    if kind == "pp":
        return "percentage points"
    if kind == "percent":
        return "per cent"
    if kind == "ratio":
        return "ratio"
    return str(row.get("unit") or "")
