r"""Joint model of event-free and overall survival on arm-level evidence.

:class:`SurvivalModel` builds one PyMC model of an illness-death process (event-free ->
organ failure -> death, event-free -> death) with piecewise-constant transition hazards,
for one trial or several. Event-free survival is the probability of the event-free state
and overall survival the probability of being alive, so :math:`S_{OS}(t) \ge S_{EFS}(t)`
in every posterior draw.

Model (trial :math:`s`, transition :math:`j` = 01 organ failure, 02 death while
event-free, 12 death after organ failure, interval :math:`k`; control arm hazards
:math:`h^{(0)}`, experimental arm hazards :math:`h^{(1)}`):

.. math::

    \log h^{(0)}_{sjk} &= m_j + \sigma_0 z_{sj} + \sum_{l=1}^{k} \sigma_{rw} w_{sjl}
        && \text{(random walk across intervals)} \\
    h^{(1)}_{s,01,k} + h^{(1)}_{s,02,k} &= e^{\beta_{sk}}
        \bigl(h^{(0)}_{s,01,k} + h^{(0)}_{s,02,k}\bigr)
        && \text{(EFS: the hazard of leaving the event-free state)} \\
    \operatorname{logit} \pi^{(1)}_{sk} &= \operatorname{logit} \pi^{(0)}_{sk} + \psi,
        \quad \pi = \frac{h_{02}}{h_{01} + h_{02}}
        && \text{(which event ends event-free survival)} \\
    \beta_{sk} &= \theta_s + \tau_t \bigl(u_k - \textstyle\sum_l \omega_l u_l\bigr)
        && \text{(EFS log hazard ratio in interval } k) \\
    \log h^{(1)}_{s,12,k} &= \log h^{(0)}_{s,12,k} + \theta_s + \nu
        + \tau_t \bigl(v_k - \textstyle\sum_l \omega_l v_l\bigr)
        && \text{(death after organ failure)} \\
    \theta_s &= \mu + \gamma r_s + \tau \eta_s
        && \text{(trial effect; } r_s \text{ regimen indicator)} \\
    \mu &\sim N(\mu_0, s_0^2)
        && \text{(the prior grid)} \\
    \psi, \nu \sim N(0, \sigma_\nu^2),\ \sigma_\nu &\sim HN(s_\nu),\
        \tau_t \sim HN(s_t),\ \tau \sim HN(\cdot),\ z, w, u, v, \eta \sim N(0, 1),

with :math:`\sigma_0` and :math:`\sigma_{rw}` fixed (options) and :math:`\omega_k` the
expected share of the target trial's EFS events in interval :math:`k`
(:func:`bayes_scot.stats.kaplan_meier.event_shares`, from its pooled EFS).

The prior grid applies to :math:`\mu`, and because the interval deviations sum to zero
with the weights :math:`\omega`, :math:`\theta_s = \sum_k \omega_k \beta_{sk}` *is* the
event-weighted average log hazard ratio of event-free survival over follow-up: the
quantity a Cox model of EFS estimates, reported as the EFS ``hazard_ratio_common``. So a
named prior's statement ("5% probability that the hazard ratio is below 0.8") holds on
that reported estimand exactly, and a sceptical prior shrinks the overall EFS effect the
data see rather than a part the deviations can route around. The transition deviations
(:math:`\psi`: HSCT changes which event ends EFS; :math:`\nu`: HSCT changes the death
hazard after organ failure) have a hierarchical SD :math:`\sigma_\nu` (half-normal, scale
``transition_effect_scale``); the interval deviations one, :math:`\tau_t` (scale
``effect_pooling_scale``). ``effect_structure`` chooses between this partially pooled
structure (``"per_transition"``), proportional hazards with one effect for every
transition (``"common"``: :math:`\psi = \nu = \tau_t = 0`), and ``"independent"``
effects (:math:`\psi \sim N(0, s_0^{\mathrm{ref}\,2})` unpooled, and death after organ
failure its own log hazard ratio :math:`\lambda` with the named prior in place of
:math:`\theta_s + \nu`). Overall survival has no parameter of its own: its hazard ratio
and survival difference follow from all three transitions, and their prior
probabilities are shown beside the posterior ones.

Every parameterisation is non-centred; every prior hyperparameter and every evidence
value is a data container, so the whole prior grid and any refit on data of the same
shape reuse one compilation (:func:`bayes_scot.fitting.compile_model` with
:attr:`SurvivalModel.structure_key`).

How each kind of evidence enters, and why no patient counts twice, is in
:mod:`bayes_scot.likelihood.survival` and in the evidence log
(:attr:`SurvivalModel.evidence_log`).
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
from collections.abc import Mapping, Sequence
from typing import Any, Literal, cast

import numpy as np
import pandas as pd
import pymc as pm
import pytensor.tensor as pt
import xarray as xr

from bayes_scot.builders._graph import running_sum
from bayes_scot.builders.survival.graph import (
    _np_weighted_log_hr,
    _pt_arm_log_hazards,
    _pt_boundary_states,
    _pt_state_probabilities,
    _pt_step,
    _pt_transition_matrices,
    _pt_transition_table,
    _pt_weighted_log_hr,
    _survival_estimates_logp,
)
from bayes_scot.builders.survival.options import (
    _EFS,
    _OS,
    DEFAULT_BOUNDARIES,
    SurvivalOptions,
    hazard_ratio_prior_data,
    hazard_ratio_prior_grid,
    time_unit_notes,
)
from bayes_scot.builders.survival.plan import (
    EvidencePlanner,
    _effective_size,
    _pooled_survival,
    _Term,
    _Use,
    select_trials,
)
from bayes_scot.conventions import CREDIBLE_LEVEL
from bayes_scot.errors import EvidenceError
from bayes_scot.evidence import (
    LandmarkEvents,
    ReportedRatio,
    SurvivalEstimate,
    Trial,
)
from bayes_scot.likelihood import survival as lik
from bayes_scot.stats.estimands import EstimandDraws
from bayes_scot.stats.illness_death import (
    TRANSITIONS,
    restricted_mean_survival,
    state_probabilities,
)
from bayes_scot.stats.kaplan_meier import event_shares
from bayes_scot.stats.priors import EffectPrior

__all__ = [
    "SurvivalModel",
    "survival_model",
]

_REPRODUCE_COLUMNS = (
    "trial", "entry", "endpoint", "population", "arm", "time_months", "statistic",
    "published", "median", "lower", "upper", "outside", "used", "note",
)  # fmt: skip


def survival_model(
    trials: Trial | Sequence[Trial], *, options: SurvivalOptions | None = None
) -> SurvivalModel | Any:
    """Build the survival model the evidence calls for.

    Parameters
    ----------
    trials : Trial or sequence of Trial
        The target trial first (see :class:`SurvivalModel`).
    options : SurvivalOptions, optional
        ``options.model`` may force a model; ``"auto"`` (default) decides from the
        target trial's time-to-event evidence in ``options.population``.

    Returns
    -------
    SurvivalModel or PiecewiseExponentialModel
        The illness-death model (:class:`SurvivalModel`) when the target trial reports
        both EFS and OS (the same patients' two endpoints); otherwise the one-endpoint
        model (:class:`~bayes_scot.builders.piecewise_exponential.PiecewiseExponentialModel`)
        of its single time-to-event endpoint (or ``options.endpoint``). The model's
        assumptions and evidence log name the model that ran.

    Raises
    ------
    EvidenceError
        When the trial reports no usable time-to-event evidence (one line), or the
        one-endpoint model is asked to borrow from other trials.
    """
    from bayes_scot.builders.piecewise_exponential import (
        PiecewiseExponentialModel,
        survival_endpoints,
    )

    options = options or SurvivalOptions()
    all_trials = (trials,) if isinstance(trials, Trial) else tuple(trials)
    if not all_trials:
        raise EvidenceError("a survival model needs at least one trial", field="trials")
    target = all_trials[0]
    view = (target if target.population == options.population
            or options.population not in target.populations
            else target.with_population(options.population))
    found = survival_endpoints(view)
    choice = options.model
    if choice == "auto":
        both = {_EFS, _OS} <= set(found) and options.endpoint is None
        choice = "illness_death" if both else "piecewise_exponential"
    if choice == "illness_death":
        return SurvivalModel(all_trials, options=options)
    if len(all_trials) > 1:
        raise EvidenceError(
            "the one-endpoint survival model fits one trial; borrowing from other trials "
            "needs EFS and OS (the illness-death model)", field="trials",
        )
    return PiecewiseExponentialModel(target, options=options)


class SurvivalModel:
    """Joint EFS/OS illness-death model of one trial or several, built once.

    Parameters
    ----------
    trials : Trial or sequence of Trial
        The first trial is the target (e.g. SCOT): estimands refer to it. Further trials
        (ASTIS, ASSIST) share the common effect through ``options.borrowing``. A trial
        loaded with ``population="all"`` keeps its other populations' summaries for
        :meth:`reproduce`; only ``options.population`` enters the likelihood.
    options : SurvivalOptions, optional

    Attributes
    ----------
    model : pymc.Model
        Dims ``trial``, ``arm`` (experimental first), ``interval``, ``transition``,
        ``month``. Free parameters are the non-centred ones; deterministics include
        ``hazard`` (trial, arm, interval, transition), ``log_hazard_ratio`` (trial,
        transition, interval), ``survival_efs`` and ``survival_os`` (trial, arm, month).
    effect_parameters : tuple of str
        ``("log_hr",)``: the EFS average log hazard ratio that carries the prior grid
        (with ``effect_structure = "independent"`` also ``"log_hr_after_failure"``).
    structure_key : tuple
        Identifies the model's structure (not its data): pass it to
        :func:`bayes_scot.fitting.compile_model` so that models of the same structure
        share one compilation.
    evidence_log : pandas.DataFrame
        One row per evidence entry of the trials: whether it entered the likelihood, as
        which term, and why (or why not).

    Examples
    --------
    >>> from bayes_scot.data import load_trial
    >>> from bayes_scot.fitting import compile_model
    >>> scot = SurvivalModel(load_trial("scot"))
    >>> compiled = compile_model(scot.model, key=scot.structure_key)  # doctest: +SKIP
    >>> idata = compiled.sample(scot.prior_data(scot.prior_grid()["reference"]), seed=1)
    ... # doctest: +SKIP
    """

    effect_parameters: tuple[str, ...] = ("log_hr",)
    model_name = "illness-death model (event-free, alive after organ failure, dead)"
    curve_variables: Mapping[str, str] = {_EFS: "survival_efs", _OS: "survival_os"}
    """Endpoint -> posterior variable holding S(t) by arm (``Reanalysis.curves``)."""

    recommended_target_accept: float = 0.95
    """NUTS target acceptance for fits of this model. At the package default of 0.9 the
    SCOT fits showed a few divergent transitions where large random-walk steps of the
    baseline meet the zero-event interval from 48 to 54 months; at 0.95 there were none,
    and bulk ESS was about twice as high for about 1.5 times the time."""

    def __init__(
        self, trials: Trial | Sequence[Trial], *, options: SurvivalOptions | None = None
    ) -> None:
        self.options = options or SurvivalOptions()
        all_trials = (trials,) if isinstance(trials, Trial) else tuple(trials)
        if not all_trials:
            raise EvidenceError("a survival model needs at least one trial", field="trials")
        self._all_trials = all_trials
        self._uses: list[_Use] = []
        self.trials = select_trials(all_trials, self.options.population, self._uses)
        self.options = self.options.with_follow_up(self.trials[0])
        self.target = self.trials[0]
        self.arms = (self.target.experimental, self.target.control)
        self._terms = EvidencePlanner(self.options, self._uses).plan(self.trials)
        if not any(term.trial == 0 for term in self._terms):
            raise EvidenceError(
                f"trial {self.target.name!r} has no usable EFS or OS evidence in population "
                f"{self.options.population!r}", file=self.target.path, field="survival",
            )
        self.last_datum = max(
            (max(term.times) for term in self._terms if term.trial == 0 and term.times),
            default=self.horizon,
        )
        self.max_count = int(
            max(
                max(int(t.n(a, self.options.population)) for a in (t.experimental, t.control))
                for t in self.trials
            )
        )
        self.curve_months = np.unique(
            np.concatenate(
                [
                    np.arange(0.0, max(self.horizon, 1.0) + 1e-9, 1.0),
                    np.asarray(self.options.estimand_times_months),
                    np.asarray(self.options.interval_boundaries_months),
                ]
            )
        )
        self.event_weights = event_shares(
            np.asarray(self.options.interval_boundaries_months), _pooled_survival(self.target)
        )
        if self.options.effect_structure == "independent":
            self.effect_parameters = ("log_hr", "log_hr_after_failure")
        self.model = self._build()
        self.structure_key = self._structure_key()

    # -- evidence ---------------------------------------------------------------------------
    @property
    def likelihood_terms(self) -> tuple[_Term, ...]:
        """The likelihood terms in the order that numbers their data containers (read only).

        Each has ``kind``, ``trial``, ``entries``, ``data``, ``times`` and ``extra``.
        """
        return tuple(self._terms)

    @property
    def horizon(self) -> float:
        """Last boundary of the interval grid, in months."""
        return float(self.boundaries[-1])

    @property
    def boundaries(self) -> tuple[float, ...]:
        """The interval grid in months (the options' or :data:`DEFAULT_BOUNDARIES`)."""
        return self.options.interval_boundaries_months or DEFAULT_BOUNDARIES

    @property
    def evidence_log(self) -> pd.DataFrame:
        """Which evidence entered the likelihood, as which term, and why (or why not)."""
        return pd.DataFrame(
            [vars(u) for u in self._uses], columns=["trial", "entry", "used", "term", "note"]
        )

    # -- the model -------------------------------------------------------------------------
    def _needed_times(self) -> np.ndarray:
        times = {0.0}
        for term in self._terms:
            times.update(term.times)
        return np.array(sorted(times))

    def _build(self) -> pm.Model:
        o = self.options
        edges = np.asarray(o.interval_boundaries_months)
        n_int = len(edges) - 1
        coords = {
            "trial": [t.name for t in self.trials],
            "arm": list(self.arms),
            "interval": list(o.interval_labels),
            "transition": list(TRANSITIONS),
            "step": list(o.interval_labels[1:]),
            "month": self.curve_months.tolist(),
            "hazard_line": ["event_free_exit", "death_after_failure"],
            "deviation": ["event_split", "death_after_failure"],
        }
        reference = self.prior_grid()["reference"]
        with pm.Model(coords=coords) as model:
            prior_mean = pm.Data("log_hr_prior_mean", reference.mean)
            prior_sd = pm.Data("log_hr_prior_sd", reference.sd)
            base_mean = pm.Data(
                "baseline_prior_mean", np.asarray(o.baseline_log_hazard_mean), dims="transition"
            )
            base_sd = pm.Data("baseline_prior_sd", o.baseline_log_hazard_sd)
            smooth_sd = pm.Data("baseline_smoothing_sd", o.baseline_smoothing_sd)

            # Control-arm log hazards: a random walk over intervals, per trial and transition.
            level_z = pm.Normal("baseline_level_z", 0.0, 1.0, dims=("trial", "transition"))
            log_h0 = base_mean[None, :, None] + base_sd * level_z[:, :, None]
            if len(edges) > 2:  # one interval has no walk
                walk_z = pm.Normal("baseline_walk_z", 0.0, 1.0,
                                   dims=("trial", "transition", "step"))
                log_h0 = log_h0 + running_sum(smooth_sd * walk_z)
            else:
                log_h0 = pt.repeat(log_h0, 1, axis=2)

            # Treatment effects (module docstring): the EFS exit hazard's log HR around the
            # trial effect, which event ends EFS, and the death hazard after organ failure.
            log_hr, trial_effect = self._trial_effects(prior_mean, prior_sd)
            pm.Deterministic("trial_log_hr", trial_effect, dims="trial")
            if o.effect_structure == "common":
                beta = trial_effect[:, None, None] + pt.zeros((len(TRANSITIONS), n_int))[None]
                log_h = pt.stack([log_h0 + beta, log_h0], axis=1)
            else:
                beta_efs, split, beta_after = self._effect_deviations(log_hr, trial_effect)
                log_h = _pt_arm_log_hazards(log_h0, beta_efs, split, beta_after)
            pm.Deterministic("log_hazard_ratio", log_h[:, 0] - log_h[:, 1],
                             dims=("trial", "transition", "interval"))
            hazard_tk = pt.exp(log_h).transpose(0, 1, 3, 2)  # (trial, arm, interval, trans)
            hazard = pm.Deterministic(
                "hazard", hazard_tk, dims=("trial", "arm", "interval", "transition")
            )

            curves = _pt_state_probabilities(hazard, edges, self.curve_months)
            pm.Deterministic("survival_efs", curves[..., 0], dims=("trial", "arm", "month"))
            pm.Deterministic(
                "survival_os", curves[..., 0] + curves[..., 1], dims=("trial", "arm", "month")
            )
            self._add_likelihood(hazard, edges)
        return model

    def _trial_effects(
        self, prior_mean: pt.TensorVariable, prior_sd: pt.TensorVariable
    ) -> tuple[pt.TensorVariable, pt.TensorVariable]:
        r"""Return the grid parameter :math:`\mu` and the trial effects :math:`\theta_s`."""
        o = self.options
        n_trials = len(self.trials)
        if n_trials > 1 and o.borrowing == "none":
            log_hr = pm.Normal("log_hr", prior_mean, prior_sd, dims="trial")
            return log_hr, log_hr
        log_hr = pm.Normal("log_hr", prior_mean, prior_sd)
        trial_effect = pt.ones(n_trials) * log_hr
        if n_trials == 1:
            return log_hr, trial_effect
        het_scale = pm.Data("heterogeneity_scale", o.heterogeneity_scale)
        tau_raw = pm.HalfNormal("heterogeneity_raw", 1.0)
        tau = pm.Deterministic("heterogeneity_sd", tau_raw * het_scale)
        eta_z = pm.Normal("trial_effect_z", 0.0, 1.0, dims="trial")
        # The first (target) trial anchors nothing special: all are exchangeable.
        trial_effect = trial_effect + tau * eta_z
        if o.borrowing == "regimen":
            regimen = pm.Data("regimen_indicator", self._regimen_indicator(), dims="trial")
            regimen_sd = pm.Data("regimen_effect_sd", o.regimen_effect_sd)
            gamma_z = pm.Normal("regimen_effect_z", 0.0, 1.0)
            gamma = pm.Deterministic("regimen_effect", gamma_z * regimen_sd)
            trial_effect = trial_effect + gamma * regimen
        return log_hr, trial_effect

    def _effect_deviations(
        self, log_hr: pt.TensorVariable, trial_effect: pt.TensorVariable
    ) -> tuple[pt.TensorVariable, pt.TensorVariable, pt.TensorVariable]:
        """Return the effects of the illness-death model's deviations around the trial's.

        Returns the EFS log hazard ratios (trial, interval), the shift of the log odds
        that death ends event-free survival, and the log hazard ratios of death after
        organ failure (trial, interval).
        """
        o = self.options
        weights = pm.Data("interval_event_share", self.event_weights, dims="interval")
        pool_scale = pm.Data("effect_pooling_scale", o.effect_pooling_scale)
        pool_sd = pm.Deterministic(
            "effect_pooling_sd", pm.HalfNormal("effect_pooling_raw", 1.0) * pool_scale
        )
        u = pm.Normal("interval_effect_z", 0.0, 1.0, dims=("hazard_line", "interval"))
        deviation = pool_sd * (u - pt.sum(weights[None, :] * u, axis=1, keepdims=True))
        if o.effect_structure == "independent":
            split_sd = pm.Data("transition_split_sd", o.reference_sd)
            split = pm.Normal("transition_split_z", 0.0, 1.0) * split_sd
            several_none = len(self.trials) > 1 and o.borrowing == "none"
            after = pm.Normal(
                "log_hr_after_failure",
                pm.Data("log_hr_after_failure_prior_mean", 0.0),
                pm.Data("log_hr_after_failure_prior_sd", o.reference_sd),
                dims="trial" if several_none else None,
            )
            after_effect = after + (trial_effect - log_hr)  # the trial's deviation too
        else:
            scale = pm.Data("transition_effect_scale", o.transition_effect_scale)
            sigma = pm.Deterministic(
                "transition_effect_sd", pm.HalfNormal("transition_effect_raw", 1.0) * scale
            )
            z = pm.Normal("transition_effect_z", 0.0, 1.0, dims="deviation")
            split = sigma * z[0]
            after_effect = trial_effect + sigma * z[1]
        split = pm.Deterministic("transition_split", split)
        beta_efs = trial_effect[:, None] + deviation[0][None, :]
        beta_after = after_effect[:, None] + deviation[1][None, :]
        return beta_efs, split, beta_after

    def _regimen_indicator(self) -> np.ndarray:
        target_regimen = next(a.regimen for a in self.target.arms if a.role == "experimental")
        values = []
        for t in self.trials:
            regimen = next(a.regimen for a in t.arms if a.role == "experimental")
            values.append(0.0 if regimen == target_regimen else 1.0)
        return np.asarray(values)

    def _add_likelihood(self, hazard: pt.TensorVariable, edges: np.ndarray) -> None:
        times = self._needed_times()
        spans = sorted({term.times for term in self._terms
                        if term.kind in ("interval_states", "survival_estimates")})
        pairs = [(0.0, float(t)) for t in times] + [(float(a), float(b)) for a, b in spans]
        # One closed-form table serves every term: state probabilities at each time
        # (from 0) and transition matrices over each span, for all trials and arms.
        p00, p01, p11 = _pt_transition_table(hazard, edges, pairs)
        n_times = len(times)
        stay, fail = p00[..., :n_times], p01[..., :n_times]
        states = pt.stack([stay, fail, 1.0 - stay - fail], axis=-1)  # (trial, arm, T, 3)
        spanned = _pt_transition_matrices(
            p00[..., n_times:], p01[..., n_times:], p11[..., n_times:]
        )  # (trial, arm, span, 3, 3)
        index = {t: i for i, t in enumerate(times)}
        span_index = {span: i for i, span in enumerate(spans)}
        for number, term in enumerate(self._terms):
            name = f"{self.trials[term.trial].name}_{number}_{term.kind}"
            values = dict(term.data)
            if term.kind == "interval_states":
                values["log_coefficients"] = lik.interval_states_log_coefficients(
                    values["start"], values["end"], max_count=self.max_count
                )
            elif term.kind == "deaths_by_time":
                values["log_coefficients"] = lik.deaths_by_time_log_coefficients(
                    values["deaths"], values["at_least"], max_count=self.max_count
                )
            data = {key: pm.Data(f"{name}_{key}", value) for key, value in values.items()}
            s = term.trial
            if term.kind == "landmark_states":
                p = states[s, :, index[term.times[0]], :]
                logp = lik.landmark_states(data["counts"], p)
            elif term.kind == "landmark_events":
                p = states[s, :, index[term.times[0]], :]
                surv = p[:, 0] if term.extra["endpoint"] == _EFS else p[:, 0] + p[:, 1]
                counts = data["counts"]
                logp = lik.landmark_events(counts[:, 1], counts[:, 0], surv)
            elif term.kind == "interval_states":
                logp = lik.interval_states(
                    data["start"], data["end"], spanned[s, :, span_index[term.times]],
                    max_count=self.max_count, log_coefficients=data["log_coefficients"],
                )
            elif term.kind == "interval_events":
                p0 = states[s, :, index[term.times[0]], :]
                p1 = states[s, :, index[term.times[1]], :]
                if term.extra["endpoint"] == _EFS:
                    cond = p1[:, 0] / p0[:, 0]
                else:
                    cond = (p1[:, 0] + p1[:, 1]) / (p0[:, 0] + p0[:, 1])
                logp = lik.interval_events(data["at_risk"], data["events"], cond)
            elif term.kind == "survival_estimates":
                logp = _survival_estimates_logp(
                    data["start"], data["observed"], data["effective_n"],
                    spanned[s, :, span_index[term.times]], term.extra["aggregation"],
                )
            elif term.kind == "deaths_by_time":
                dead_t = states[s, :, index[term.times[0]], 2]
                dead_landmark = states[s, :, index[term.times[1]], 2]
                logp = lik.deaths_by_time(
                    data["deaths"], data["at_least"], dead_t / dead_landmark,
                    max_count=self.max_count, log_coefficients=data["log_coefficients"],
                )
            elif term.kind == "pseudo_patients":
                h = hazard[s, term.extra["arm"]]  # (K, 3)
                start0, start1 = _pt_boundary_states(h, edges)
                k = data["interval"]
                hk = h[k]
                q0, q1 = _pt_step(start0[k], start1[k], hk, data["offset"])
                if term.extra["endpoint"] == _EFS:
                    log_s = pt.log(pt.clip(q0, 1e-300, 1.0))
                    log_f = pt.log(hk[:, 0] + hk[:, 1]) + log_s
                else:
                    log_s = pt.log(pt.clip(q0 + q1, 1e-300, 1.0))
                    log_f = pt.log(pt.clip(hk[:, 1] * q0 + hk[:, 2] * q1, 1e-300, np.inf))
                logp = lik.pseudo_patients(data["events"], log_f, log_s)
            elif term.kind == "reported_ratio":
                surv = pt.stack(  # (arm, cut, 3); basic indexing keeps the gradient simple
                    [states[s, :, index[c], :] for c in term.times], axis=1
                )
                model_log_hr = _pt_weighted_log_hr(surv, data["n"], term.extra["endpoint"])
                logp = lik.reported_ratio(data["log_estimate"], data["se"], model_log_hr)
            else:  # pragma: no cover - the planner only makes the kinds above
                raise AssertionError(term.kind)
            pm.Potential(name, logp)

    def _structure_key(self) -> tuple[Any, ...]:
        layout = tuple(
            (t.kind, t.trial, t.times, tuple(sorted((k, np.shape(v)) for k, v in t.data.items())),
             tuple(sorted((k, str(v)) for k, v in t.extra.items())))
            for t in self._terms
        )
        o = self.options
        structure: tuple[Any, ...] = (
            "SurvivalModel", tuple(t.name for t in self.trials), self.arms,
            o.interval_boundaries_months, o.borrowing if len(self.trials) > 1 else "",
            self.max_count, tuple(self.curve_months), layout,
        )  # fmt: skip
        structure += (o.effect_structure,)
        digest = hashlib.sha256(repr(structure).encode()).hexdigest()[:16]
        return ("SurvivalModel", digest)

    # -- priors -----------------------------------------------------------------------------
    def prior_grid(self) -> dict[str, EffectPrior]:
        """Return the named grid of 13 priors on the EFS average log hazard ratio.

        Returns
        -------
        dict of str to EffectPrior
            From :func:`bayes_scot.stats.priors.prior_grid` with the options' design
            hazard ratio, margin and reference SD; a lower log hazard ratio favours the
            experimental arm.
        """
        return hazard_ratio_prior_grid(self.options)

    def prior_data(
        self, prior: EffectPrior | Mapping[str, EffectPrior]
    ) -> dict[str, np.ndarray]:
        """Values of the prior's data containers, for :meth:`CompiledModel.sample`.

        Parameters
        ----------
        prior : EffectPrior or mapping of str to EffectPrior
            A prior on the EFS average log hazard ratio, or a mapping ``{"log_hr": prior}``.

        Returns
        -------
        dict of str to numpy.ndarray
            ``{"log_hr_prior_mean": ..., "log_hr_prior_sd": ...}``, and with
            ``effect_structure = "independent"`` the same for ``log_hr_after_failure``
            (the prior of ``log_hr`` unless the mapping names one).
        """
        data = hazard_ratio_prior_data(prior, self.effect_parameters)
        if "log_hr_after_failure" in self.effect_parameters:
            after = prior
            if isinstance(prior, Mapping):
                after = prior.get("log_hr_after_failure", prior["log_hr"])
            after_data = hazard_ratio_prior_data(cast(EffectPrior, after), ("log_hr",))
            data.update({key.replace("log_hr", "log_hr_after_failure"): value
                         for key, value in after_data.items()})
        return data

    # -- outputs ----------------------------------------------------------------------------
    def transition_hazards(self, idata: Any, trial: str | None = None) -> xr.DataArray:
        """Posterior transition hazards per month of one trial.

        Parameters
        ----------
        idata : arviz.InferenceData
        trial : str, optional
            Default the target (first) trial.

        Returns
        -------
        xarray.DataArray
            Dims (chain, draw, arm, transition, interval); ``attrs["boundaries_months"]``
            holds the interval grid, ``attrs["transitions"]`` the transition names, ready
            for :func:`bayes_scot.stats.illness_death.simulate_illness_death`.
        """
        from bayes_scot import _compat

        posterior = _compat.get_group(idata, "posterior")
        hazard = posterior["hazard"].sel(trial=trial or self.target.name)
        out = hazard.transpose("chain", "draw", "arm", "transition", "interval")
        out = out.drop_vars("trial", errors="ignore")
        out.attrs = {
            "boundaries_months": tuple(self.boundaries),
            "transitions": TRANSITIONS,
            "units": "per month",
            "population": self.options.population,
        }
        return out

    def _hazard_array(self, idata: Any, trial: str | None = None) -> np.ndarray:
        """Hazards as (chain, draw, arm, interval, transition)."""
        h = self.transition_hazards(idata, trial)
        return np.moveaxis(h.values, 3, 4)

    def estimands(self, idata: Any) -> list[EstimandDraws]:
        r"""Posterior estimands of the target trial.

        Parameters
        ----------
        idata : arviz.InferenceData

        Returns
        -------
        list of EstimandDraws
            For EFS and OS: survival per arm and the HSCT-minus-CYC difference at each of
            ``options.estimand_times_months`` (superior: higher; margin
            ``survival_margin``); RMST differences to each of ``rmst_horizons_months``
            (months; superior: higher); hazard ratios per interval (EFS: ratio of the
            event-free exit hazards; OS: ratio of the average death hazards in the
            interval; superior: lower; margin ``hazard_ratio_margin``); and the common
            hazard ratio :math:`e^\mu` (superior: lower). Per-arm survival is descriptive:
            its ``null`` is NaN and ``attrs["contrast"]`` is False. ``attrs`` also
            record the trial, population, and the evidence assumptions the fit relies on.
        """
        from bayes_scot import _compat

        o = self.options
        exp_arm, ctl_arm = self.arms
        label_exp, label_ctl = exp_arm, ctl_arm
        hazards = self._hazard_array(idata)
        edges = np.asarray(o.interval_boundaries_months)
        evidence = "trial" if len(self.trials) == 1 else "trial + " + ", ".join(
            t.name for t in self.trials[1:]
        )
        base_attrs = {
            "trial": self.target.name,
            "population": o.population,
            "assumptions": self.assumptions(),
            "borrowing": o.borrowing if len(self.trials) > 1 else "none (one trial)",
        }
        out: list[EstimandDraws] = []
        times = np.asarray(o.estimand_times_months)
        probs = state_probabilities(hazards, edges, times)  # (c, d, arm, T, 3)
        curves: dict[Literal["efs", "os"], np.ndarray] = {
            "efs": probs[..., 0], "os": probs[..., 0] + probs[..., 1],
        }
        names = {_EFS: self.target.endpoint(_EFS).label, _OS: self.target.endpoint(_OS).label}
        for endpoint, surv in curves.items():
            for j, t in enumerate(times):
                for a, arm in enumerate(self.arms):
                    out.append(EstimandDraws(
                        endpoint=endpoint, estimand=f"survival_{arm}_{t:g}",
                        label=f"{names[endpoint]} at {t:g} months, {arm}",
                        draws=surv[:, :, a, j], null=float("nan"), superior="higher",
                        unit="probability", evidence=evidence,
                        attrs={**base_attrs, "arm": arm, "contrast": False, "time_months": t},
                    ))  # fmt: skip
                out.append(EstimandDraws(
                    endpoint=endpoint, estimand=f"survival_difference_{t:g}",
                    label=f"{names[endpoint]} at {t:g} months, {label_exp} minus {label_ctl}",
                    draws=surv[:, :, 0, j] - surv[:, :, 1, j], null=0.0, superior="higher",
                    mcid=o.survival_margin, mcid_source=o.margin_source, unit="probability",
                    evidence=evidence,
                    attrs={**base_attrs, "contrast": True, "time_months": t},
                ))  # fmt: skip
            for tau in o.rmst_horizons_months or ():
                rmst = restricted_mean_survival(hazards, edges, tau, endpoint=endpoint)
                out.append(EstimandDraws(
                    endpoint=endpoint, estimand=f"rmst_difference_{tau:g}",
                    label=(f"{names[endpoint]} restricted mean survival to {tau:g} months, "
                           f"{label_exp} minus {label_ctl}"),
                    draws=rmst[:, :, 0] - rmst[:, :, 1], null=0.0, superior="higher",
                    unit="months", evidence=evidence,
                    attrs={**base_attrs, "contrast": True, "time_months": tau},
                ))  # fmt: skip
        # Interval hazard ratios.
        efs_rate = hazards[..., 0] + hazards[..., 1]  # (c, d, arm, K)
        boundary_probs = state_probabilities(hazards, edges, edges)
        os_surv = boundary_probs[..., 0] + boundary_probs[..., 1]  # (c, d, arm, K+1)
        os_rate = -np.diff(np.log(os_surv), axis=-1)
        for hr_endpoint, rate in ((_EFS, efs_rate), (_OS, os_rate)):
            ratio = rate[:, :, 0, :] / rate[:, :, 1, :]
            for k, label in enumerate(o.interval_labels):
                out.append(EstimandDraws(
                    endpoint=hr_endpoint, estimand=f"hazard_ratio_{label.replace('-', '_')}",
                    label=f"{names[hr_endpoint]} hazard ratio, months {label}, "
                          f"{label_exp} vs {label_ctl}",
                    draws=ratio[..., k], null=1.0, superior="lower",
                    mcid=o.hazard_ratio_margin, mcid_source=o.margin_source, unit="ratio",
                    evidence=evidence,
                    attrs={**base_attrs, "contrast": True, "interval": label},
                ))  # fmt: skip
        posterior = _compat.get_group(idata, "posterior")
        common = posterior["trial_log_hr"].sel(trial=self.target.name).to_numpy()
        out.append(EstimandDraws(
            endpoint=_EFS, estimand="hazard_ratio_common",
            label=(f"{names[_EFS]} hazard ratio, event-weighted average over follow-up, "
                   f"{label_exp} vs {label_ctl}"),
            draws=np.exp(common), null=1.0, superior="lower", mcid=o.hazard_ratio_margin,
            mcid_source=o.margin_source, unit="ratio", evidence=evidence,
            attrs={**base_attrs, "contrast": True, "parameter": "log_hr"},
        ))  # fmt: skip
        return [self._mark_extrapolation(e) for e in out]

    def _mark_extrapolation(self, e: EstimandDraws) -> EstimandDraws:
        """Flag an estimand beyond the last datum, or an interval no datum bounds.

        An interval's hazard ratio is separately identified only when the target trial
        reports data at both of its ends (or it starts at 0); otherwise the data see it
        only together with its neighbours, and its posterior follows the average effect
        through the shrinkage towards proportional hazards. The row says so.
        """
        last = self.last_datum
        time = e.attrs.get("time_months")
        interval = e.attrs.get("interval")
        beyond = bool((time is not None and float(cast(float, time)) > last + 1e-9) or (
            interval is not None and float(str(interval).split("-")[0]) >= last
        ))
        from bayes_scot.builders.piecewise_exponential import _estimand

        fields = {f.name: getattr(e, f.name) for f in dataclasses.fields(e)}
        fields.pop("extrapolated", None)
        fields["attrs"] = {**e.attrs, "extrapolated": beyond}
        if beyond:
            fields["label"] = f"{e.label} (extrapolated beyond the last datum at {last:g} months)"
            fields["evidence"] = f"{e.evidence}, extrapolated beyond {last:g} months"
        elif interval is not None and not self._bounded_by_data(str(interval)):
            fields["attrs"]["identified"] = False
            fields["label"] = (f"{e.label} (months {interval} not reported separately: "
                               "follows the average effect through the model)")
            fields["evidence"] = f"{e.evidence}, months {interval} not reported separately"
        return _estimand(extrapolated=beyond, **fields)

    def _bounded_by_data(self, interval: str) -> bool:
        """Whether the target trial reports data at both ends of an interval ``"a-b"``."""
        times = {0.0} | {float(t) for term in self._terms if term.trial == 0
                         for t in term.times}
        start, end = (float(x) for x in interval.split("-"))
        return any(abs(start - t) < 1e-9 for t in times) and any(
            abs(end - t) < 1e-9 for t in times)

    def assumptions(self) -> tuple[str, ...]:
        """Assumptions of the evidence this fit uses (from the trial files and the model)."""
        notes = [
            f"Model: {self.model_name} of EFS and OS; intervals "
            f"{', '.join(self.options.interval_labels)} months.",
            "Landmark counts among those randomised assume no censoring before the landmark.",
            *time_unit_notes(self.trials),
        ]
        used = set(self.evidence_log.query("used")["entry"])
        for trial in self.trials:
            for e in trial.entries:
                if e.id in used and e.assumption:
                    notes.append(f"{trial.name}:{e.id}: {e.assumption}")
        return tuple(notes)

    def reproduce(self, idata: Any, *, seed: int = 0) -> pd.DataFrame:
        """Posterior predictive of every published survival summary, beside the number.

        Parameters
        ----------
        idata : arviz.InferenceData
        seed : int, default 0
            Seed of the predictive draws.

        Returns
        -------
        pandas.DataFrame
            Columns ``trial, entry, endpoint, population, arm, time_months, statistic,
            published, median, lower, upper, outside`` (published value outside the
            central :data:`~bayes_scot.conventions.CREDIBLE_LEVEL` predictive interval),
            ``used`` (whether the number entered the likelihood) and ``note``. Counts are
            predicted as counts among the same ``n``; survival estimates as binomial
            proportions with their effective sample size; hazard ratios as the model's
            event-weighted log hazard ratio plus the reported standard error. Summaries of
            another population than the fit's (loaded with ``population="all"``) are
            predicted by this population's model with the other population's ``n``, and
            say so: they are a comparison, not evidence.
        """
        rng = np.random.default_rng(seed)
        rows: list[dict[str, Any]] = []
        used = {(u.trial, u.entry): u for u in self._uses}
        alpha = (1.0 - CREDIBLE_LEVEL) / 2.0
        edges = np.asarray(self.options.interval_boundaries_months)
        for full in self._all_trials:
            if full.name not in [t.name for t in self.trials]:
                continue
            hazards = self._hazard_array(idata, full.name)
            flat = hazards.reshape(-1, *hazards.shape[2:])  # (draws, arm, K, 3)
            arms = (full.experimental, full.control)
            for e in full.entries:
                if e.endpoint not in (_EFS, _OS):
                    continue
                population = full.populations.get(e.population)
                if population is None or not all(a in population.n for a in arms):
                    continue  # a population without per-arm sizes cannot be predicted
                other = e.population != self.options.population
                note = ""
                if other:
                    note = (f"{e.population} summary predicted by the "
                            f"{self.options.population} model: a comparison, not evidence")
                use = used.get((full.name, e.id))
                if use is not None:
                    note = "; ".join(x for x in (use.note, note) if x)
                for arm_row in self._predict(e, flat, arms, full, edges, rng):
                    draws, published, arm, statistic = arm_row
                    lo, med, hi = np.quantile(draws, [alpha, 0.5, 1.0 - alpha])
                    rows.append({
                        "trial": full.name, "entry": e.id, "endpoint": e.endpoint,
                        "population": e.population, "arm": arm, "time_months": e.time,
                        "statistic": statistic, "published": published, "median": med,
                        "lower": lo, "upper": hi,
                        "outside": bool(published < lo or published > hi),
                        "used": bool(use is not None and use.used), "note": note,
                    })  # fmt: skip
        return pd.DataFrame(rows, columns=list(_REPRODUCE_COLUMNS))

    def predictive(self, idata: Any, *, seed: int = 0) -> tuple[xr.Dataset, xr.Dataset]:
        """Return the published summaries that entered the fit, and replicates of each.

        The survival evidence enters as likelihood terms, not observed variables, so
        ArviZ finds nothing to check; this gives it the ``observed_data`` and
        ``posterior_predictive`` groups (``az.plot_ppc``), drawn as :meth:`reproduce`
        draws them: counts among the same ``n``, survival estimates as binomial
        proportions of their effective size, hazard ratios with the reported SE.

        Parameters
        ----------
        idata : arviz.InferenceData
        seed : int, default 0
            Seed of the replicates.

        Returns
        -------
        observed, predictive : xarray.Dataset
            One variable per used entry of the target trial (dims ``arm`` where it has
            one value per arm); ``predictive`` adds ``chain`` and ``draw``.
        """
        from bayes_scot import _compat
        from bayes_scot.builders.base import replicate_groups

        rng = np.random.default_rng(seed)
        posterior = _compat.get_group(idata, "posterior")
        hazards = self._hazard_array(idata)
        flat = hazards.reshape(-1, *hazards.shape[2:])
        edges = np.asarray(self.options.interval_boundaries_months)
        used = {u.entry for u in self._uses if u.used and u.trial == self.target.name}
        entries = [e for e in self.target.entries
                   if e.id in used and e.endpoint in (_EFS, _OS)]
        return replicate_groups(
            ((e.id, [r[:3] for r in self._predict(e, flat, self.arms, self.target, edges,
                                                   rng)]) for e in entries),
            posterior["chain"].to_numpy().tolist(), posterior["draw"].to_numpy().tolist(),
        )

    def _predict(self, e, flat, arms, trial, edges, rng):
        """Yield (predictive draws, published value, arm, statistic) for one entry."""
        if isinstance(e, LandmarkEvents):
            probs = state_probabilities(flat, edges, [e.time_months])[:, :, 0, :]
            for a, arm in enumerate(arms):
                if arm not in e.events:
                    continue
                p = probs[:, a, :]
                counts = rng.multinomial(int(e.n[arm]), p / p.sum(axis=-1, keepdims=True))
                draws = counts[:, 1] + counts[:, 2] if e.endpoint == _EFS else counts[:, 2]
                yield draws, float(e.events[arm]), arm, "events"
        elif isinstance(e, SurvivalEstimate):
            probs = state_probabilities(flat, edges, [e.time_months])[:, :, 0, :]
            surv = probs[..., 0] if e.endpoint == _EFS else probs[..., 0] + probs[..., 1]
            for a, arm in enumerate(arms):
                if arm not in e.survival:
                    continue
                n_arm = (e.n or {}).get(arm) or trial.n(arm, e.population)
                size, _ = _effective_size(e, arm, n_arm)
                m = max(round(size), 1)
                draws = rng.binomial(m, np.clip(surv[:, a], 0.0, 1.0)) / m
                yield draws, float(e.survival[arm]), arm, "survival"
        elif isinstance(e, ReportedRatio) and e.measure == "HR":
            from bayes_scot.stats.conversions import se_from_ci, se_from_p

            end = min((e.window_months or (0.0, self.horizon))[1], self.horizon)
            cuts = np.unique(np.concatenate(
                [[0.0], [b for b in edges if 0 < b < end], [end]]
            ))
            probs = state_probabilities(flat, edges, cuts)  # (draws, arm, cut, 3)
            surv = probs[..., 0] if e.endpoint == _EFS else probs[..., 0] + probs[..., 1]
            n = np.array([trial.n(a, e.population) for a in arms], dtype=float)
            model = _np_weighted_log_hr(surv, n)
            if e.lower is not None and e.upper is not None:
                se = float(se_from_ci(math.log(e.lower), math.log(e.upper), level=e.level))
            else:
                se = float(se_from_p(math.log(e.estimate), float(cast(float, e.p_value))))
            yield np.exp(model + se * rng.standard_normal(model.shape)), e.estimate, None, "hr"
