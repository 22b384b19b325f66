"""Conversions between the summary statistics papers report.

Papers report the same information in many forms: a confidence interval or a p-value
instead of a standard error, a standard deviation instead of a standard error, a median
and interquartile range instead of a mean and standard deviation, a log-rank p-value
instead of a hazard ratio. Each function here converts one form into another in closed
form, states its assumption, and raises :class:`~bayes_scot.errors.EvidenceError` on input
that no data set could have produced (a negative standard error, a p-value outside
(0, 1], a lower limit above the upper one, fewer than one participant).

All functions take and return plain floats. Functions about ratios take ``log=True`` to
work on the log scale, where the normal approximation is made.
"""

from __future__ import annotations

import itertools
import math
from typing import Literal

from scipy.special import ndtri

from bayes_scot.errors import EvidenceError

__all__ = [
    "log_hr_from_logrank",
    "mean_sd_from_median_iqr",
    "mean_sd_from_median_range",
    "mean_sd_from_median_range_iqr",
    "normal_quantile",
    "sd_from_se",
    "se_from_ci",
    "se_from_one_limit",
    "se_from_p",
    "se_from_sd",
    "se_of_change",
]


def _number(value: object, name: str) -> float:
    if isinstance(value, bool):
        raise EvidenceError(f"must be a number, not {value!r}", field=name)
    try:
        x = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise EvidenceError(f"must be a number, not {value!r}", field=name) from None
    if not math.isfinite(x):
        raise EvidenceError(f"must be finite, not {x!r}", field=name)
    return x


def _positive(value: object, name: str) -> float:
    x = _number(value, name)
    if x <= 0:
        raise EvidenceError(f"must be positive, not {x!r}", field=name)
    return x


def _count(value: object, name: str) -> float:
    n = _number(value, name)
    if n < 1:
        raise EvidenceError(f"must be at least 1, not {n!r}", field=name)
    return n


def _log_if(value: float, log: bool, name: str) -> float:
    if not log:
        return value
    if value <= 0:
        raise EvidenceError(f"a ratio must be positive to take its log, not {value!r}",
                            field=name)
    return math.log(value)


def normal_quantile(level: float) -> float:
    """Return ``z = Phi^-1(1 - (1 - level) / 2)`` for a two-sided interval at ``level``.

    Parameters
    ----------
    level : float
        Confidence level strictly between 0 and 1 (0.95 gives 1.959964).

    Returns
    -------
    float
    """
    level = _number(level, "level")
    if not 0.0 < level < 1.0:
        raise EvidenceError(f"must be strictly between 0 and 1, not {level!r}", field="level")
    return float(ndtri(0.5 + level / 2.0))


def se_from_ci(lower: float, upper: float, *, level: float = 0.95, log: bool = False) -> float:
    """Return the standard error implied by a confidence interval.

    Parameters
    ----------
    lower, upper : float
        Confidence limits (``lower < upper``).
    level : float, default 0.95
        Confidence level of the interval.
    log : bool, default False
        Take logs first (ratio measures: HR, RR, OR).

    Returns
    -------
    float
        ``(upper - lower) / (2 z)`` on the working scale, ``z`` from
        :func:`normal_quantile`.

    Notes
    -----
    Assumes the interval was computed as estimate ± z SE on the working scale (the log
    scale for ratios), as Wald intervals from Cox and logistic models are.

    Examples
    --------
    >>> round(se_from_ci(0.16, 0.74, log=True), 4)
    0.3907
    """
    lo = _log_if(_number(lower, "lower"), log, "lower")
    hi = _log_if(_number(upper, "upper"), log, "upper")
    if lo > hi:
        raise EvidenceError(f"lower limit {lower!r} exceeds upper limit {upper!r}",
                            field="lower")
    if lo == hi:
        raise EvidenceError("the interval has zero width: no standard error follows",
                            field="upper")
    return (hi - lo) / (2.0 * normal_quantile(level))


def se_from_one_limit(
    estimate: float, limit: float, *, level: float = 0.95, log: bool = False
) -> float:
    """Return the standard error implied by the estimate and one confidence limit.

    Parameters
    ----------
    estimate : float
        Point estimate.
    limit : float
        Either confidence limit (the trustworthy one, e.g. when the other is truncated).
    level : float, default 0.95
        Confidence level.
    log : bool, default False
        Take logs first (ratio measures).

    Returns
    -------
    float
        ``|limit - estimate| / z`` on the working scale.
    """
    est = _log_if(_number(estimate, "estimate"), log, "estimate")
    lim = _log_if(_number(limit, "limit"), log, "limit")
    if lim == est:
        raise EvidenceError("the limit equals the estimate: no standard error follows",
                            field="limit")
    return abs(lim - est) / normal_quantile(level)


def se_from_p(estimate: float, p_value: float, *, log: bool = False) -> float:
    """Return the standard error implied by an estimate and its two-sided p-value.

    Parameters
    ----------
    estimate : float
        Point estimate (a ratio when ``log=True``).
    p_value : float
        Two-sided p-value in (0, 1).
    log : bool, default False
        Take logs first (ratio measures).

    Returns
    -------
    float
        ``|theta| / Phi^-1(1 - p / 2)``.

    Notes
    -----
    Assumes a Wald test of ``theta = 0`` on the working scale. A p-value of exactly 1 or an
    estimate of exactly no effect carries no information on the standard error and is
    rejected. Reported p-values are rounded ("p = 0.04"), so the standard error inherits
    the rounding.
    """
    est = _log_if(_number(estimate, "estimate"), log, "estimate")
    p = _number(p_value, "p_value")
    if not 0.0 < p <= 1.0:
        raise EvidenceError(f"a p-value must be in (0, 1], not {p!r}", field="p_value")
    if p == 1.0 or est == 0.0:
        raise EvidenceError(
            "a p-value of 1 or an estimate of no effect gives no standard error",
            field="p_value",
        )
    return abs(est) / -float(ndtri(p / 2.0))


def se_from_sd(sd: float, n: float) -> float:
    """Return the standard error of a mean, ``sd / sqrt(n)``.

    Parameters
    ----------
    sd : float
        Standard deviation (positive).
    n : float
        Participants (at least 1).

    Returns
    -------
    float
    """
    return _positive(sd, "sd") / math.sqrt(_count(n, "n"))


def sd_from_se(se: float, n: float) -> float:
    """Return the standard deviation from the standard error of a mean, ``se * sqrt(n)``.

    Parameters
    ----------
    se : float
        Standard error (positive).
    n : float
        Participants (at least 1).

    Returns
    -------
    float
    """
    return _positive(se, "se") * math.sqrt(_count(n, "n"))


def log_hr_from_logrank(
    p_value: float,
    events: float,
    *,
    favours: Literal["experimental", "control"],
) -> tuple[float, float]:
    r"""Return a log hazard ratio and its standard error from a log-rank p-value and events.

    Parameters
    ----------
    p_value : float
        Two-sided log-rank p-value in (0, 1).
    events : float
        Total number of events O in both arms (at least 1).
    favours : {"experimental", "control"}
        Which arm the survival curves favour; sets the sign of the log hazard ratio
        (experimental versus control; below 0 favours the experimental arm).

    Returns
    -------
    log_hr, se : tuple of float

    Notes
    -----
    With 1:1 allocation and few events relative to the number at risk, the variance of
    the log-rank statistic is :math:`V \approx O / 4`, so
    :math:`O - E = \mp \sqrt{V}\,\Phi^{-1}(1 - p/2)`,
    :math:`\ln \widehat{HR} = (O - E) / V` and :math:`SE = 1 / \sqrt{V}` (Tierney et al.
    2007, method 7 of Parmar et al. 1998).

    References
    ----------
    .. [1] Tierney JF, Stewart LA, Ghersi D, Burdett S, Sydes MR. Practical methods for
       incorporating summary time-to-event data into meta-analysis. Trials 2007;8:16.
       doi:10.1186/1745-6215-8-16
    .. [2] Parmar MKB, Torri V, Stewart L. Extracting summary statistics to perform
       meta-analyses of the published literature for survival endpoints. Stat Med
       1998;17:2815-34. doi:10.1002/(SICI)1097-0258(19981230)17:24<2815::AID-SIM110>3.0.CO;2-8
    """
    p = _number(p_value, "p_value")
    if not 0.0 < p < 1.0:
        raise EvidenceError(f"a log-rank p-value must be in (0, 1), not {p!r}",
                            field="p_value")
    o = _count(events, "events")
    if favours not in ("experimental", "control"):
        raise EvidenceError(f"must be 'experimental' or 'control', not {favours!r}",
                            field="favours")
    v = o / 4.0
    sign = -1.0 if favours == "experimental" else 1.0
    o_minus_e = sign * math.sqrt(v) * -float(ndtri(p / 2.0))
    return o_minus_e / v, 1.0 / math.sqrt(v)


def _check_order(values: dict[str, float]) -> None:
    names = list(values)
    for a, b in itertools.pairwise(names):
        if values[a] > values[b]:
            raise EvidenceError(f"{a} ({values[a]:g}) exceeds {b} ({values[b]:g})", field=a)


def _xi(n: float) -> float:
    """Wan's xi(n) = 2 Phi^-1((n - 0.375) / (n + 0.25)), the expected range in SDs."""
    return 2.0 * float(ndtri((n - 0.375) / (n + 0.25)))


def _eta(n: float) -> float:
    """Wan's eta(n) = 2 Phi^-1((0.75 n - 0.125) / (n + 0.25)), the expected IQR in SDs."""
    return 2.0 * float(ndtri((0.75 * n - 0.125) / (n + 0.25)))


def mean_sd_from_median_range(
    median: float, minimum: float, maximum: float, n: float
) -> tuple[float, float]:
    """Mean and SD from the median, minimum, maximum and sample size (Wan scenario C1).

    Parameters
    ----------
    median, minimum, maximum : float
        Sample median and range (``minimum <= median <= maximum``, range not empty).
    n : float
        Sample size (at least 2).

    Returns
    -------
    mean, sd : tuple of float
        ``mean = (min + 2 median + max) / 4``; ``sd = (max - min) / xi(n)`` with
        ``xi(n) = 2 Phi^-1((n - 0.375) / (n + 0.25))``.

    Notes
    -----
    Assumes normally distributed data. The mean estimator is that of Hozo et al. (2005);
    the SD estimator is Wan et al.'s, which replaces Hozo's piecewise rules by the
    expected range of ``n`` standard normal draws (Blom's approximation).

    References
    ----------
    .. [1] Wan X, Wang W, Liu J, Tong T. Estimating the sample mean and standard deviation
       from the sample size, median, range and/or interquartile range. BMC Med Res
       Methodol 2014;14:135. doi:10.1186/1471-2288-14-135
    .. [2] Hozo SP, Djulbegovic B, Hozo I. Estimating the mean and variance from the
       median, range, and the size of a sample. BMC Med Res Methodol 2005;5:13.
       doi:10.1186/1471-2288-5-13
    """
    values = {"minimum": _number(minimum, "minimum"), "median": _number(median, "median"),
              "maximum": _number(maximum, "maximum")}
    _check_order(values)
    n = _count(n, "n")
    if n < 2:
        raise EvidenceError("a range needs at least 2 participants", field="n")
    a, m, b = values["minimum"], values["median"], values["maximum"]
    if b == a:
        raise EvidenceError("the range has zero width: the SD cannot be estimated",
                            field="maximum")
    return (a + 2.0 * m + b) / 4.0, (b - a) / _xi(n)


def mean_sd_from_median_iqr(
    median: float, q1: float, q3: float, n: float
) -> tuple[float, float]:
    """Mean and SD from the median, quartiles and sample size (Wan scenario C3).

    Parameters
    ----------
    median, q1, q3 : float
        Sample median and first and third quartiles (``q1 <= median <= q3``, ``q1 < q3``).
    n : float
        Sample size (at least 1).

    Returns
    -------
    mean, sd : tuple of float
        ``mean = (q1 + median + q3) / 3``; ``sd = (q3 - q1) / eta(n)`` with
        ``eta(n) = 2 Phi^-1((0.75 n - 0.125) / (n + 0.25))``; for large ``n``, ``eta``
        tends to 1.349.

    Notes
    -----
    Assumes normally distributed data; skewed data (median far from the midpoint of the
    quartiles) make both estimates unreliable.

    References
    ----------
    .. [1] Wan X, Wang W, Liu J, Tong T. BMC Med Res Methodol 2014;14:135.
       doi:10.1186/1471-2288-14-135
    """
    values = {"q1": _number(q1, "q1"), "median": _number(median, "median"),
              "q3": _number(q3, "q3")}
    _check_order(values)
    n = _count(n, "n")
    lo, m, hi = values["q1"], values["median"], values["q3"]
    if hi == lo:
        raise EvidenceError("the interquartile range has zero width", field="q3")
    return (lo + m + hi) / 3.0, (hi - lo) / _eta(n)


def mean_sd_from_median_range_iqr(
    median: float, minimum: float, q1: float, q3: float, maximum: float, n: float
) -> tuple[float, float]:
    """Mean and SD from the five-number summary and sample size (Wan scenario C2).

    Parameters
    ----------
    median, minimum, q1, q3, maximum : float
        Five-number summary (non-decreasing from minimum to maximum).
    n : float
        Sample size (at least 2).

    Returns
    -------
    mean, sd : tuple of float
        ``mean = (min + 2 q1 + 2 median + 2 q3 + max) / 8``;
        ``sd = (max - min) / (2 xi(n)) + (q3 - q1) / (2 eta(n))``
        (Wan's equations with ``xi`` and ``eta`` as in the single-summary scenarios).

    References
    ----------
    .. [1] Wan X, Wang W, Liu J, Tong T. BMC Med Res Methodol 2014;14:135.
       doi:10.1186/1471-2288-14-135
    """
    values = {"minimum": _number(minimum, "minimum"), "q1": _number(q1, "q1"),
              "median": _number(median, "median"), "q3": _number(q3, "q3"),
              "maximum": _number(maximum, "maximum")}
    _check_order(values)
    n = _count(n, "n")
    if n < 2:
        raise EvidenceError("a range needs at least 2 participants", field="n")
    a, lo, m, hi, b = values.values()
    if hi == lo:
        raise EvidenceError("the interquartile range has zero width", field="q3")
    mean = (a + 2.0 * lo + 2.0 * m + 2.0 * hi + b) / 8.0
    sd = (b - a) / (2.0 * _xi(n)) + (hi - lo) / (2.0 * _eta(n))
    return mean, sd


def se_of_change(se_baseline: float, se_visit: float, rho: float) -> float:
    """Return the standard error (or SD) of a change from baseline.

    Parameters
    ----------
    se_baseline, se_visit : float
        Standard errors (or standard deviations) at baseline and at the visit.
    rho : float
        Within-patient correlation between baseline and the visit, in [-1, 1].

    Returns
    -------
    float
        ``sqrt(se_baseline^2 + se_visit^2 - 2 rho se_baseline se_visit)``.

    Notes
    -----
    Exact for the SE of a difference of two correlated means measured on the same
    patients; ``rho`` is rarely reported and is usually taken from similar studies (0.5
    is a common default, giving an SE between the two visit SEs). The Cochrane Handbook
    (section 6.5.2.8) gives the same formula for imputing SDs of changes.
    """
    s0 = _positive(se_baseline, "se_baseline")
    s1 = _positive(se_visit, "se_visit")
    r = _number(rho, "rho")
    if not -1.0 <= r <= 1.0:
        raise EvidenceError(f"a correlation must be in [-1, 1], not {r!r}", field="rho")
    variance = s0 * s0 + s1 * s1 - 2.0 * r * s0 * s1
    if variance <= 0.0:
        raise EvidenceError(
            "rho = 1 with equal standard errors gives a change with no uncertainty; "
            "use a correlation below 1", field="rho",
        )
    return math.sqrt(variance)
