r"""Likelihood terms for time-to-event evidence, one function per kind of evidence.

Every function takes model quantities (state probabilities of the illness-death process
at the times the evidence refers to, conditional transition probabilities between
landmarks, hazards) as PyTensor tensors and the evidence as arrays or data containers,
and returns the log-likelihood as a scalar tensor. A model builder adds it with
``pm.Potential``. Each function states the approximation it makes.

The same patients never count twice. The rules the survival builder follows are:

* EFS events and deaths by the same landmark in the same population are ONE observation
  of the illness-death state of every patient: counts (event-free, alive after organ
  failure, dead) enter :func:`landmark_states` as one multinomial, never as two binomials.
* A later landmark of the same population enters conditionally on the earlier one
  (:func:`interval_states`, :func:`interval_events`): only what happened between the two
  landmarks is new information.
* Treatment-related deaths are a subset of deaths; they enter only through their timing
  (:func:`deaths_by_time`), never as extra deaths.
* Summaries of overlapping populations (intention to treat and per protocol) never enter
  one fit: the builder selects one population.

State order everywhere: (event-free, alive after organ failure, dead), as in
:data:`bayes_scot.stats.illness_death.STATES`.

References
----------
.. [1] Parmar MKB, Torri V, Stewart L. Extracting summary statistics to perform
   meta-analyses of the published literature for survival endpoints. Stat Med
   1998;17:2815-2834. doi:10.1002/(SICI)1097-0258(19981230)17:24<2815::AID-SIM110>3.0.CO;2-8
.. [2] Williamson PR, Smith CT, Hutton JL, Marson AG. Aggregate data meta-analysis with
   time-to-event outcomes. Stat Med 2002;21:3337-3351. doi:10.1002/sim.1303
.. [3] Struthers CA, Kalbfleisch JD. Misspecified proportional hazard models. Biometrika
   1986;73:363-369. doi:10.1093/biomet/73.2.363
.. [4] Guyot P, Ades AE, Ouwens MJ, Welton NJ. Enhanced secondary analysis of survival
   data: reconstructing the data from published Kaplan-Meier survival curves. BMC Med Res
   Methodol 2012;12:9. doi:10.1186/1471-2288-12-9
"""

from __future__ import annotations

import math

import numpy as np
import pytensor.tensor as pt
from pytensor.tensor import TensorLike, TensorVariable
from scipy.special import gammaln, ndtri

from bayes_scot.errors import EvidenceError

__all__ = [
    "deaths_by_time",
    "deaths_by_time_log_coefficients",
    "effective_sample_size",
    "interval_events",
    "interval_states",
    "interval_states_log_coefficients",
    "landmark_events",
    "landmark_states",
    "piecewise_exponential",
    "pseudo_patients",
    "reported_ratio",
    "survival_estimate",
]

_TINY = 1e-300


def _log(p: TensorLike) -> TensorVariable:
    return pt.log(pt.clip(p, _TINY, 1.0))


def _xlogp(count: TensorLike, p: TensorLike) -> TensorVariable:
    """``count * log(p)``, zero when ``count`` is zero even if ``p`` is zero."""
    count = pt.as_tensor_variable(count)
    return pt.switch(pt.eq(count, 0), 0.0, count * _log(p))


def _log_choose(n: TensorLike, k: TensorLike) -> TensorVariable:
    n, k = pt.as_tensor_variable(n), pt.as_tensor_variable(k)
    return pt.gammaln(n + 1.0) - pt.gammaln(k + 1.0) - pt.gammaln(n - k + 1.0)


def landmark_events(events: TensorLike, n: TensorLike, survival: TensorLike) -> TensorVariable:
    r"""Events by a landmark among ``n``: binomial on :math:`1 - S(t)`.

    Parameters
    ----------
    events : tensor_like
        Participants with an event by the landmark, per arm (or any shape).
    n : tensor_like
        Participants the count refers to (randomised in the population).
    survival : tensor_like
        Model survival :math:`S(t)` of the endpoint at the landmark, same shape.

    Returns
    -------
    TensorVariable
        :math:`\sum \log \text{Bin}(d \mid n, 1 - S(t))`.

    Notes
    -----
    Assumes no participant was censored before the landmark: every one of the ``n``
    was followed to ``t`` or had the event. A count among those randomised with earlier
    loss to follow-up understates the event probability. Use :func:`landmark_states`
    instead when EFS and OS counts of the same landmark are both reported.
    """
    events = pt.as_tensor_variable(events)
    n = pt.as_tensor_variable(n)
    survival = pt.as_tensor_variable(survival)
    logp = _log_choose(n, events) + _xlogp(events, 1.0 - survival) + _xlogp(n - events, survival)
    return pt.sum(logp)


def landmark_states(counts: TensorLike, probabilities: TensorLike) -> TensorVariable:
    r"""EFS and OS counts by the same landmark: one multinomial over the three states.

    Parameters
    ----------
    counts : tensor_like, shape (..., 3)
        Participants (event-free, alive after organ failure, dead) at the landmark:
        ``n - efs_events``, ``efs_events - deaths``, ``deaths``. SCOT intention to treat at
        54 months: HSCT (26, 4, 6), CYC (19, 9, 11).
    probabilities : tensor_like, shape (..., 3)
        Model state probabilities at the landmark.

    Returns
    -------
    TensorVariable
        :math:`\sum \log \text{Mult}(c \mid \sum c, p)`.

    Notes
    -----
    Every patient is in exactly one state, so the two published counts describe one draw
    per patient; treating them as two independent binomials would count the dead twice.
    Assumes no censoring before the landmark, as :func:`landmark_events`.
    """
    counts = pt.as_tensor_variable(counts)
    probabilities = pt.as_tensor_variable(probabilities)
    n = pt.sum(counts, axis=-1)
    logp = (
        pt.gammaln(n + 1.0)
        - pt.sum(pt.gammaln(counts + 1.0), axis=-1)
        + pt.sum(_xlogp(counts, probabilities), axis=-1)
    )
    return pt.sum(logp)


def interval_states_log_coefficients(
    start: np.typing.ArrayLike, end: np.typing.ArrayLike, *, max_count: int
) -> np.ndarray:
    r"""Log path counts of :func:`interval_states`, one per unobserved split :math:`u`.

    Parameters
    ----------
    start, end : array_like, shape (..., 3)
        State counts at the earlier and the later landmark (numbers, not tensors).
    max_count : int
        Upper bound on any count; the result has ``max_count + 1`` entries per row.

    Returns
    -------
    numpy.ndarray, shape (..., max_count + 1)
        :math:`\log \binom{e_1}{e_2,\,u,\,e_1 - e_2 - u} + \log \binom{f_1}{f_2 - u}`,
        and :math:`-\infty` where :math:`u` is impossible.

    Notes
    -----
    The coefficients depend on the counts only, so a model computes them once, from
    its evidence, rather than at every evaluation of its log density.
    """
    start = np.asarray(start, dtype=float)
    end = np.asarray(end, dtype=float)
    u = np.arange(max_count + 1, dtype=float)
    e1, f1 = start[..., 0, None], start[..., 1, None]
    e2, f2 = end[..., 0, None], end[..., 1, None]
    died, stayed = e1 - e2 - u, f2 - u
    valid = (died >= 0) & (stayed >= 0) & (stayed <= f1) & (e2 <= e1)
    with np.errstate(invalid="ignore"):
        coefficients = (
            gammaln(e1 + 1.0) - gammaln(e2 + 1.0) - gammaln(u + 1.0) - gammaln(died + 1.0)
            + gammaln(f1 + 1.0) - gammaln(stayed + 1.0) - gammaln(f1 - stayed + 1.0)
        )  # fmt: skip
    return np.where(valid, coefficients, -np.inf)


def interval_states(
    start: TensorLike,
    end: TensorLike,
    transition: TensorLike,
    *,
    max_count: int,
    log_coefficients: TensorLike | None = None,
) -> TensorVariable:
    r"""State counts at a later landmark given the counts at an earlier one (exact).

    Parameters
    ----------
    start, end : tensor_like, shape (..., 3)
        State counts (event-free, alive after organ failure, dead) at the earlier and the
        later landmark, of the same participants.
    transition : tensor_like, shape (..., 3, 3)
        Model transition probabilities between the two landmarks (row: state at the
        earlier landmark; column: state at the later one).
    max_count : int
        An upper bound on any count (the largest arm size); sets the length of the sum
        over the unobserved paths.
    log_coefficients : tensor_like, shape (..., max_count + 1), optional
        :func:`interval_states_log_coefficients` of the counts. Required when the counts
        are symbolic (data containers); computed here when they are numbers.

    Returns
    -------
    TensorVariable
        :math:`\log P(\text{end} \mid \text{start})`.

    Notes
    -----
    Only the new events count. Of the :math:`e_1` event-free at the earlier landmark,
    :math:`e_2` stay event-free, :math:`u` move to "alive after failure" and
    :math:`e_1 - e_2 - u` die; of the :math:`f_1` alive after failure, :math:`f_2 - u`
    stay alive. The path split :math:`u` is not reported, so the likelihood sums over it:

    .. math::

        P = \sum_u \text{Mult}(e_2, u, e_1 - e_2 - u \mid e_1; P_{0\cdot})
            \, \text{Bin}(f_2 - u \mid f_1, P_{11}).

    When nothing happened between the landmarks (SCOT's counts by 48 and by 54 months are
    identical) this is :math:`P_{00}^{e_1} P_{11}^{f_1}`: evidence that the hazards were
    low in that interval, not a second copy of the 48-month counts.
    """
    if log_coefficients is None:
        log_coefficients = interval_states_log_coefficients(
            _numbers(start, "start"), _numbers(end, "end"), max_count=max_count
        )
    start = pt.as_tensor_variable(start)
    end = pt.as_tensor_variable(end)
    transition = pt.as_tensor_variable(transition)
    u = pt.arange(max_count + 1, dtype="float64")  # (U,)
    e1, f1 = start[..., 0, None], start[..., 1, None]
    e2, f2 = end[..., 0, None], end[..., 1, None]
    died, stayed = e1 - e2 - u, f2 - u
    log_p0 = _log(transition[..., 0, :])
    p11 = transition[..., 1, 1][..., None]
    # Impossible splits have coefficient -inf; their (finite) probability terms then
    # drop out of the sum and of its gradient.
    log_terms = (
        log_coefficients
        + e2 * log_p0[..., 0, None]
        + u * log_p0[..., 1, None]
        + died * log_p0[..., 2, None]
        + stayed * _log(p11)
        + (f1 - stayed) * _log(1.0 - p11)
    )
    return pt.sum(pt.logsumexp(log_terms, axis=-1))


def _numbers(value: TensorLike, name: str) -> np.ndarray:
    """``value`` as an array of numbers, or a clear error if it is symbolic."""
    if isinstance(value, pt.TensorVariable):
        raise TypeError(
            f"{name} is symbolic: pass the log_coefficients computed from its values"
        )
    return np.asarray(value, dtype=float)


def interval_events(
    at_risk: TensorLike, events: TensorLike, conditional_survival: TensorLike
) -> TensorVariable:
    r"""Count new events between two landmarks among those event-free at the earlier one.

    Parameters
    ----------
    at_risk : tensor_like
        Participants still free of the endpoint at the earlier landmark.
    events : tensor_like
        New events between the landmarks (difference of cumulative counts).
    conditional_survival : tensor_like
        Model :math:`S(t_2) / S(t_1)`.

    Returns
    -------
    TensorVariable

    Notes
    -----
    Patients are independent and, given only this endpoint's counts, exchangeable at the
    earlier landmark, so the new events are binomial. Assumes no censoring before the
    later landmark.
    """
    return landmark_events(events, at_risk, conditional_survival)


def effective_sample_size(
    estimate: float,
    *,
    lower: float | None = None,
    upper: float | None = None,
    level: float = 0.95,
    n_risk: float | None = None,
    n: float | None = None,
) -> tuple[float, str]:
    r"""Effective number of patients behind a Kaplan-Meier estimate.

    Parameters
    ----------
    estimate : float
        The survival estimate :math:`\hat S` in (0, 1).
    lower, upper : float, optional
        Its confidence limits at ``level`` (taken as symmetric on the probability scale).
    level : float, default 0.95
    n_risk : float, optional
        Number at risk at the estimate's time.
    n : float, optional
        Participants at time zero.

    Returns
    -------
    (float, str)
        The effective sample size and the rule used.

    Notes
    -----
    In order of preference: from the interval, :math:`n_{eff} = \hat S (1 - \hat S) /
    SE^2` with :math:`SE = (U - L) / (2 z)`; from the number at risk, Peto's variance
    :math:`\hat S^2 (1 - \hat S) / n(t)` gives :math:`n_{eff} = n(t) / \hat S`, capped at
    ``n``; otherwise ``n`` itself, which assumes no censoring before the estimate's time.
    """
    if not 0.0 < estimate < 1.0:
        if n is None:
            raise EvidenceError("a survival estimate of 0 or 1 needs n", field="n")
        return float(n), "n (estimate at a boundary)"
    if lower is not None and upper is not None and upper > lower:
        z = float(ndtri(0.5 + level / 2.0))
        se = (upper - lower) / (2.0 * z)
        value = estimate * (1.0 - estimate) / se**2
        if n is not None:
            value = min(value, float(n))
        return value, "confidence interval"
    if n_risk is not None and n_risk > 0:
        value = float(n_risk) / estimate
        if n is not None:
            value = min(value, float(n))
        return value, "numbers at risk (Peto)"
    if n is not None:
        return float(n), "n randomised (assumes no censoring before the estimate's time)"
    raise EvidenceError(
        "a Kaplan-Meier estimate needs a confidence interval, numbers at risk or n",
        field="survival",
    )


def survival_estimate(
    estimate: TensorLike, effective_n: TensorLike, survival: TensorLike
) -> TensorVariable:
    r"""Treat a Kaplan-Meier estimate as binomial with an effective sample size.

    Parameters
    ----------
    estimate : tensor_like
        Published :math:`\hat S` (or a conditional :math:`\hat S(t_2)/\hat S(t_1)`).
    effective_n : tensor_like
        Effective sample size (:func:`effective_sample_size`).
    survival : tensor_like
        Model survival at the same time (or the conditional model survival).

    Returns
    -------
    TensorVariable
        :math:`\log \text{Bin}(n_{eff}(1 - \hat S) \mid n_{eff}, 1 - S)`, with the
        binomial coefficient written with gamma functions so that non-integer effective
        counts are allowed.

    Notes
    -----
    The binomial with :math:`n_{eff}` has the variance of the Kaplan-Meier estimate at
    :math:`\hat S`, which is the standard normal-approximation argument of Parmar et al.
    (1998) written on the binomial scale so that it respects :math:`0 \le S \le 1`.
    """
    estimate = pt.as_tensor_variable(estimate)
    effective_n = pt.as_tensor_variable(effective_n)
    events = effective_n * (1.0 - estimate)
    return landmark_events(events, effective_n, survival)


def deaths_by_time_log_coefficients(
    deaths: np.typing.ArrayLike, at_least: np.typing.ArrayLike, *, max_count: int
) -> np.ndarray:
    r"""Log binomial coefficients of the lower tail in :func:`deaths_by_time`.

    Parameters
    ----------
    deaths, at_least : array_like
        Deaths by the landmark and deaths known to have occurred by the earlier time
        (numbers, not tensors).
    max_count : int
        Upper bound on ``deaths``.

    Returns
    -------
    numpy.ndarray, shape (..., max_count + 1)
        :math:`\log \binom{d}{i}` for :math:`i < k`, :math:`-\infty` otherwise. Where
        :math:`k = 0` the :math:`i = 0` entry is kept so that the (unused) lower tail
        stays finite and its gradient well defined.
    """
    deaths = np.asarray(deaths, dtype=float)[..., None]
    at_least = np.asarray(at_least, dtype=float)[..., None]
    i = np.arange(max_count + 1, dtype=float)
    below = (i < at_least) | ((at_least == 0) & (i == 0))
    with np.errstate(invalid="ignore"):
        coefficients = gammaln(deaths + 1.0) - gammaln(i + 1.0) - gammaln(deaths - i + 1.0)
    return np.where(below & (i <= deaths), coefficients, -np.inf)


def deaths_by_time(
    deaths: TensorLike,
    at_least: TensorLike,
    fraction: TensorLike,
    *,
    max_count: int,
    log_coefficients: TensorLike | None = None,
) -> TensorVariable:
    r"""At least ``at_least`` of the ``deaths`` by a landmark occurred by an earlier time.

    Parameters
    ----------
    deaths : tensor_like
        Deaths by the landmark :math:`T` (already in the likelihood through
        :func:`landmark_states`).
    at_least : tensor_like
        Deaths known to have occurred by the earlier time :math:`t` (e.g. treatment-related
        deaths reported by 12 months).
    fraction : tensor_like
        Model :math:`P(\text{dead by } t) / P(\text{dead by } T)`.
    max_count : int
        Upper bound on ``deaths``.
    log_coefficients : tensor_like, shape (..., max_count + 1), optional
        :func:`deaths_by_time_log_coefficients` of the counts. Required when the counts
        are symbolic (data containers); computed here when they are numbers.

    Returns
    -------
    TensorVariable
        :math:`\log P(X \ge k)`, :math:`X \sim \text{Bin}(d, q)`.

    Notes
    -----
    Given that :math:`d` patients died by :math:`T`, their death times are independent
    draws from the death-time distribution truncated at :math:`T`, so the number dying by
    :math:`t` is binomial with :math:`q = P(D \le t) / P(D \le T)`. A treatment-related
    death is a death already counted: this term adds only the information that it
    happened early. It is a lower bound (other deaths may also have occurred by
    :math:`t`), hence :math:`X \ge k`.
    """
    if log_coefficients is None:
        log_coefficients = deaths_by_time_log_coefficients(
            _numbers(deaths, "deaths"), _numbers(at_least, "at_least"), max_count=max_count
        )
    deaths = pt.as_tensor_variable(deaths)
    at_least = pt.as_tensor_variable(at_least)
    fraction = pt.as_tensor_variable(fraction)
    i = pt.arange(max_count + 1, dtype="float64")
    d, q = deaths[..., None], fraction[..., None]
    log_pmf = log_coefficients + i * _log(q) + (d - i) * _log(1.0 - q)
    log_cdf_below = pt.logsumexp(log_pmf, axis=-1)
    # P(X >= 0) = 1: when k == 0 the term is zero.
    log_tail = pt.switch(
        pt.eq(at_least, 0), 0.0, pt.log1mexp(pt.minimum(log_cdf_below, -1e-12))
    )
    return pt.sum(log_tail)


def reported_ratio(
    log_estimate: TensorLike, se: TensorLike, model_log_ratio: TensorLike
) -> TensorVariable:
    r"""Score a reported hazard ratio, normal on the log scale.

    Parameters
    ----------
    log_estimate : tensor_like
        :math:`\log \widehat{HR}`.
    se : tensor_like
        Its standard error (from the confidence interval or p-value,
        :mod:`bayes_scot.stats.conversions`).
    model_log_ratio : tensor_like
        The model's counterpart of the estimate (see Notes).

    Returns
    -------
    TensorVariable

    Notes
    -----
    A Cox model fitted to follow-up up to :math:`T` when hazards are not proportional
    estimates, approximately, an average of the time-varying log hazard ratio weighted by
    where the events fall (Struthers and Kalbfleisch 1986). The survival builder therefore
    maps a cumulative-landmark estimate (ASTIS reports them at 3, 6, 12 and 24 months) to
    :math:`\sum_i w_i \log HR_i / \sum_i w_i` over the model's pieces of :math:`(0, T]`,
    with :math:`\log HR_i` the log ratio of the arms' average hazards in piece :math:`i`
    and :math:`w_i` the expected number of events in it, both arms together. The mapping
    is approximate: it ignores the risk-set weighting inside the partial likelihood.
    """
    log_estimate = pt.as_tensor_variable(log_estimate)
    se = pt.as_tensor_variable(se)
    z = (log_estimate - model_log_ratio) / se
    return pt.sum(-0.5 * z**2 - pt.log(se) - 0.5 * math.log(2.0 * math.pi))


def pseudo_patients(
    events: TensorLike, log_density: TensorLike, log_survival: TensorLike
) -> TensorVariable:
    r"""Pseudo individual patient data reconstructed from a digitised Kaplan-Meier curve.

    Parameters
    ----------
    events : tensor_like, shape (P,)
        1 for an event, 0 for a censoring, per pseudo patient.
    log_density : tensor_like, shape (P,)
        Model log density of the endpoint at each patient's time: for EFS,
        :math:`\log(h_1 + h_2) + \log S_{EFS}(t)`; for OS,
        :math:`\log(h_2 p_0(t) + h_3 p_1(t))`.
    log_survival : tensor_like, shape (P,)
        Model log survival at each patient's time.

    Returns
    -------
    TensorVariable
        :math:`\sum_i \delta_i \log f(t_i) + (1 - \delta_i) \log S(t_i)`.

    Notes
    -----
    Exact for piecewise-constant hazards: EFS has hazard :math:`h_1 + h_2` and OS has the
    density of the illness-death process in closed form. The approximation is in the
    reconstruction (Guyot et al. 2012), which recovers survival probabilities well and
    hazard ratios reasonably when numbers at risk are published.
    """
    events = pt.as_tensor_variable(events)
    return pt.sum(events * log_density + (1.0 - events) * log_survival)


def piecewise_exponential(
    events: TensorLike, exposure: TensorLike, log_hazard: TensorLike
) -> TensorVariable:
    r"""Patients' events and exposure per interval under piecewise-constant hazards.

    Parameters
    ----------
    events : tensor_like
        Events per interval (and arm).
    exposure : tensor_like
        Time at risk per interval (and arm), in the hazards' unit.
    log_hazard : tensor_like
        Model log hazard per interval (and arm), same shape.

    Returns
    -------
    TensorVariable
        :math:`\sum_k d_k \log h_k - h_k E_k`.

    Notes
    -----
    The exact log-likelihood of individual event and censoring times (up to a constant)
    under a piecewise-exponential model: the events and exposure per interval are its
    sufficient statistics (Friedman 1982), so reconstructed patients (Guyot et al. 2012)
    need not enter one by one.
    """
    log_hazard = pt.as_tensor_variable(log_hazard)
    return pt.sum(events * log_hazard - pt.exp(log_hazard) * exposure)
