"""Posterior estimands of the illness-death model's target trial.

NumPy functions of posterior draws of the transition hazards (chain, draw, arm,
interval, transition), called by
:meth:`~bayes_scot.builders.survival.model.SurvivalModel.estimands`: survival per arm and
its difference, restricted mean survival, hazard ratios per interval, the common hazard
ratio, and the flag of an estimand the data do not reach.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, cast

import numpy as np

from bayes_scot.builders.survival.options import _EFS, _OS, SurvivalOptions
from bayes_scot.conventions import months
from bayes_scot.stats.estimands import PARAMETER_TRANSFORM, EstimandDraws
from bayes_scot.stats.illness_death import restricted_mean_survival, state_probabilities

__all__ = [
    "Coverage",
    "EstimandLabels",
    "common_hazard_ratio",
    "curve_estimands",
    "interval_hazard_ratios",
    "mark_extrapolation",
    "mark_without_data",
    "mean_hazard_ratio",
]


_FOLLOWS_EFFECT: dict[str, Any] = {"attribute_through": (_EFS, "hazard_ratio_common")}
"""``attrs`` of a survival curve's functional: its attribution takes the prior share of
the trial's common hazard ratio (:mod:`bayes_scot.results.attribution`)."""


@dataclass(frozen=True)
class EstimandLabels:
    """What every estimand of the target trial says about itself.

    Attributes
    ----------
    options : SurvivalOptions
        The model's options: estimand times, RMST horizons, margins and their source.
    arms : (str, str)
        Experimental and control arm names, from the trial (in estimand names).
    shown : (str, str)
        How labels name the same arms (the trial's ``arm_labels``).
    names : mapping of str to str
        Each endpoint's label, from the trial's endpoint registry.
    evidence : str
        Which trials the fit uses (``"trial"`` or ``"trial + <names>"``).
    attrs : mapping of str to object
        Attributes every estimand records (trial, population, assumptions, borrowing).
    """

    options: SurvivalOptions
    arms: tuple[str, str]
    shown: tuple[str, str]
    names: Mapping[str, str]
    evidence: str
    attrs: Mapping[str, Any]

    def contrast(self) -> str:
        """Return ``"<experimental> minus <control>"``."""
        return f"{self.shown[0]} minus {self.shown[1]}"

    def versus(self) -> str:
        """Return ``"<experimental> vs <control>"``."""
        return f"{self.shown[0]} vs {self.shown[1]}"

    def draws(self, endpoint: str, estimand: str, label: str, draws: np.ndarray, *,
              attrs: Mapping[str, Any], **fields: Any) -> EstimandDraws:
        """Return one estimand with this trial's evidence and attributes."""
        return EstimandDraws(endpoint=endpoint, estimand=estimand, label=label, draws=draws,
                             evidence=self.evidence, attrs={**self.attrs, **attrs}, **fields)


def curve_estimands(hazards: np.ndarray, edges: np.ndarray,
                    labels: EstimandLabels) -> list[EstimandDraws]:
    """Return survival per arm, its difference and RMST differences, for EFS and then OS.

    Survival per arm is descriptive (null NaN, ``attrs["contrast"]`` False); the
    differences have null 0 and the higher value is superior.
    """
    o = labels.options
    out: list[EstimandDraws] = []
    times = np.asarray(o.estimand_times_months)
    probs = state_probabilities(hazards, edges, times)  # (c, d, arm, T, 3)
    curves = {_EFS: probs[..., 0], _OS: probs[..., 0] + probs[..., 1]}
    for endpoint, surv in curves.items():
        name = labels.names[endpoint]
        for j, t in enumerate(times):
            for a, arm in enumerate(labels.arms):
                out.append(labels.draws(
                    endpoint, f"survival_{arm}_{t:g}",
                    f"{name} at {months(t)}, {labels.shown[a]}",
                    surv[:, :, a, j], null=float("nan"), superior="higher",
                    unit="probability",
                    attrs={"arm": arm, "contrast": False, "time_months": t},
                ))  # fmt: skip
            out.append(labels.draws(
                endpoint, f"survival_difference_{t:g}",
                f"{name} at {months(t)}, {labels.contrast()}",
                surv[:, :, 0, j] - surv[:, :, 1, j], null=0.0, superior="higher",
                mcid=o.survival_margin, mcid_source=o.margin_source, unit="probability",
                attrs={"contrast": True, "time_months": t, **_FOLLOWS_EFFECT},
            ))  # fmt: skip
        horizons = list(o.rmst_horizons_months or ())
        if not horizons:
            continue
        rmst = restricted_mean_survival(
            hazards, edges, horizons, endpoint=cast(Literal["efs", "os"], endpoint)
        )  # (c, d, arm, horizon)
        for i, tau in enumerate(horizons):
            out.append(labels.draws(
                endpoint, f"rmst_difference_{tau:g}",
                f"{name} restricted mean survival to {months(tau)}, {labels.contrast()}",
                rmst[:, :, 0, i] - rmst[:, :, 1, i], null=0.0, superior="higher",
                unit="months", attrs={"contrast": True, "time_months": tau, **_FOLLOWS_EFFECT},
            ))  # fmt: skip
    return out


def interval_hazard_ratios(hazards: np.ndarray, edges: np.ndarray,
                           labels: EstimandLabels) -> list[EstimandDraws]:
    r"""Return hazard ratios per interval, EFS's (event-free exit) and OS's (death).

    The OS hazard of an interval is the one that gives its survival at both ends,
    :math:`-\Delta \log S_{OS}` per interval (lengths cancel in the ratio).
    """
    o = labels.options
    efs_rate = hazards[..., 0] + hazards[..., 1]  # (c, d, arm, K)
    boundary_probs = state_probabilities(hazards, edges, edges)
    os_surv = boundary_probs[..., 0] + boundary_probs[..., 1]  # (c, d, arm, K+1)
    os_rate = -np.diff(np.log(os_surv), axis=-1)
    out: list[EstimandDraws] = []
    _, margin = o.benefit_hazard_ratios()
    for endpoint, rate in ((_EFS, efs_rate), (_OS, os_rate)):
        ratio = rate[:, :, 0, :] / rate[:, :, 1, :]
        for k, interval in enumerate(o.interval_labels):
            out.append(labels.draws(
                endpoint, f"hazard_ratio_{interval.replace('-', '_')}",
                f"{labels.names[endpoint]} hazard ratio, months {interval}, "
                f"{labels.versus()}",
                ratio[..., k], null=1.0, superior="lower", mcid=margin,
                mcid_source=o.margin_source, unit="ratio",
                attrs={"contrast": True, "interval": interval},
            ))  # fmt: skip
    return out


_CARRIES_LOG_HR: dict[str, Any] = {"parameter": "log_hr", PARAMETER_TRANSFORM: ("exp", 1.0)}
"""``attrs`` of the estimand :math:`e^\\theta` whose prior is the named prior on ``log_hr``."""


def common_hazard_ratio(log_hr: np.ndarray, labels: EstimandLabels, *,
                        carries_prior: bool = True) -> EstimandDraws:
    r"""Return the target trial's EFS hazard ratio, event-weighted over follow-up.

    :math:`e^{\theta_1}`, the target trial's log hazard ratio. With one trial (or trials
    that do not borrow) that is the parameter the named priors are stated on, and the
    estimand carries it (``attrs["parameter"]``, its prior exactly the named prior's).
    When trials borrow, ``carries_prior`` is False: the target trial's effect is the
    trials' mean plus its own deviation, whose prior is wider than the named prior
    (:func:`mean_hazard_ratio` carries the parameter then), and
    ``attrs["target_effect_of"]`` names the parameter it is the target trial's version of.
    """
    return _efs_hazard_ratio(
        labels, "hazard_ratio_common", "event-weighted average over follow-up", log_hr,
        _CARRIES_LOG_HR if carries_prior else {"target_effect_of": "log_hr"})


def mean_hazard_ratio(log_hr: np.ndarray, labels: EstimandLabels) -> EstimandDraws:
    r"""Return the EFS hazard ratio of the trials' mean effect, :math:`e^\mu`.

    In a model that borrows across trials, each trial's log hazard ratio is
    :math:`\theta_j = \mu + \tau \eta_j` (plus a regimen effect where the trials differ
    in regimen); the named priors are stated on :math:`\mu`, so this estimand, not the
    target trial's :func:`common_hazard_ratio`, is the one whose prior is the named
    prior exactly (``attrs["parameter"]``). It is not the target trial's own estimand
    (``attrs["across_trials"]``), so a report never makes it a headline result unasked.
    """
    return _efs_hazard_ratio(
        labels, "hazard_ratio_mean",
        "the trials' mean effect (the parameter the priors are stated on)", log_hr,
        {**_CARRIES_LOG_HR, "across_trials": True})


def _efs_hazard_ratio(labels: EstimandLabels, estimand: str, what: str,
                      log_hr: np.ndarray, attrs: Mapping[str, Any]) -> EstimandDraws:
    r"""Return an EFS hazard ratio :math:`e^\theta` of the whole follow-up."""
    o = labels.options
    return labels.draws(
        _EFS, estimand, f"{labels.names[_EFS]} hazard ratio, {what}, {labels.versus()}",
        np.exp(log_hr), null=1.0, superior="lower", mcid=o.benefit_hazard_ratios()[1],
        mcid_source=o.margin_source, unit="ratio", attrs={"contrast": True, **attrs},
    )


def mark_extrapolation(e: EstimandDraws, last_datum: float,
                       reported_times: Iterable[float]) -> EstimandDraws:
    """Flag an estimand beyond the last datum, or an interval no datum bounds.

    An interval's hazard ratio is separately identified only when the target trial
    reports data at both of its ends (or it starts at 0); otherwise the data see it
    only together with its neighbours, and its posterior follows the average effect
    through the shrinkage towards proportional hazards. The row says so.

    Parameters
    ----------
    e : EstimandDraws
    last_datum : float
        The last time (months) at which the target trial reports data.
    reported_times : iterable of float
        The times at which the target trial's likelihood terms read the model.
    """
    last = last_datum
    time = e.attrs.get("time_months")
    interval = e.attrs.get("interval")
    beyond = bool((time is not None and float(cast(float, time)) > last + 1e-9) or (
        interval is not None and float(str(interval).split("-")[0]) >= last
    ))
    attrs = {**e.attrs, "extrapolated": beyond}
    label, evidence = e.label, e.evidence
    if beyond:
        label = f"{e.label} (extrapolated beyond the last datum at {months(last)})"
        evidence = f"{e.evidence}, extrapolated beyond {months(last)}"
    elif interval is not None and not _bounded_by_data(str(interval), reported_times):
        attrs["identified"] = False
        label = (f"{e.label} (months {interval} not reported separately: "
                 "follows the average effect through the model)")
        evidence = f"{e.evidence}, months {interval} not reported separately"
    return dataclasses.replace(e, label=label, evidence=evidence, attrs=attrs,
                               extrapolated=beyond)


@dataclass(frozen=True)
class Coverage:
    """What the target trial's likelihood holds evidence of, endpoint by endpoint.

    Attributes
    ----------
    trial : str
        The target trial's name, for the evidence text.
    effect : frozenset of str
        Endpoints that any of its likelihood terms holds evidence of.
    level : frozenset of str
        Endpoints that a term on the absolute scale holds (counts, survival estimates,
        reconstructed patients; not a hazard ratio): those whose survival level the
        trial itself informs.
    unused : mapping of str to str
        Endpoint -> its entries that the trial reports but the fit leaves out, with
        the evidence log's reason (``"os_hr: <why>"``).
    """

    trial: str
    effect: frozenset[str]
    level: frozenset[str]
    unused: Mapping[str, str] = dataclasses.field(default_factory=dict)


def mark_without_data(e: EstimandDraws, coverage: Coverage) -> EstimandDraws:
    """Flag an estimand that the target trial's own evidence does not reach.

    A trial that reports, say, only an EFS hazard ratio beside an OS one informs OS only
    through the illness-death model (the OS ratio describes the same patients and is
    left out): the OS rows' posteriors are predictions from the other endpoint, not
    evidence of their own. Likewise a survival level (per-arm survival, a survival
    difference, an RMST difference) of an endpoint the trial reports only as a hazard
    ratio, when the other endpoint's counts or estimates set the level. Such a row has
    ``attrs["no_data"]`` True (the report marks it and keeps it out of its headline) and
    its evidence column says what its posterior is, naming the trial's unused entries of
    the endpoint and why they were left out.

    Parameters
    ----------
    e : EstimandDraws
    coverage : Coverage
        What the target trial's likelihood holds.

    Notes
    -----
    Call it before :func:`mark_extrapolation`, on the evidence text the estimand was
    made with (``"trial"`` or ``"trial + <other trials>"``).
    """
    name = e.endpoint.upper()
    others = e.evidence.partition(" + ")[2]  # the evidence is "trial[ + other trials]"
    source = ({_EFS, _OS} - {e.endpoint}).pop().upper() + (f" and {others}" if others else "")
    if e.endpoint not in coverage.effect:
        unused = coverage.unused.get(e.endpoint)
        reported = (f"{name} reported by {coverage.trial} but not used ({unused})"
                    if unused else f"no {name} data from {coverage.trial}")
        evidence = f"{reported}: predicted through the model from {source}"
    elif "time_months" in e.attrs and e.endpoint not in coverage.level:
        evidence = (f"{name} of {coverage.trial} only as a hazard ratio: its survival level "
                    f"is predicted through the model from {source}")
    else:
        return e
    return dataclasses.replace(e, evidence=evidence, attrs={**e.attrs, "no_data": True})


def _bounded_by_data(interval: str, reported_times: Iterable[float]) -> bool:
    """Whether data are reported at both ends of an interval ``"a-b"`` (0 counts)."""
    times = {0.0} | {float(t) for t in reported_times}
    start, end = (float(x) for x in interval.split("-"))
    return any(abs(start - t) < 1e-9 for t in times) and any(
        abs(end - t) < 1e-9 for t in times)
