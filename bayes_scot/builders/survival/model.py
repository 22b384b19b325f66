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
    \beta_{sk} &= \theta_s + \tau_t u_k - \log \textstyle\sum_l \omega_l e^{\tau_t u_l}
        && \text{(EFS log hazard ratio in interval } k) \\
    \log h^{(1)}_{s,12,k} &= \log h^{(0)}_{s,12,k} + \theta_s + \nu
        + \tau_t v_k - \log \textstyle\sum_l \omega_l e^{\tau_t v_l}
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

The prior grid applies to :math:`\mu`, and because the interval deviations are centred
on the hazard-ratio scale, :math:`e^{\theta_s} = \sum_k \omega_k e^{\beta_{sk}}` *is* the
event-weighted average hazard ratio of event-free survival over follow-up: the ratio of
the arms' expected EFS events when the control arm's events fall in the intervals as
:math:`\omega` says, reported as the EFS ``hazard_ratio_common``. So a named prior's
statement ("5% probability that the hazard ratio is below 0.8") holds on that reported
estimand exactly, a sceptical prior shrinks the overall EFS effect the data see rather
than a part the deviations can route around, and the EFS survival difference at the
horizon is positive about when :math:`\theta_s < 0`: under a prior centred on no effect
its prior probability of superiority is about one half. (Centring the log hazard ratios
instead, :math:`\sum_k \omega_k \beta_{sk} = \theta_s`, the quantity a Cox model
estimates, would leave the arithmetic mean of the interval hazard ratios above
:math:`e^{\theta_s}` by Jensen's inequality and tilt every survival difference towards
harm: a prior probability of superiority of 0.38 at 54 months under the strong
skeptical prior.) The transition deviations
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

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any, cast

import numpy as np
import pandas as pd
import pymc as pm
import pytensor.tensor as pt
import xarray as xr

from bayes_scot.builders._graph import running_sum
from bayes_scot.builders.base import EvidenceUse, evidence_log_frame, fixed_scales
from bayes_scot.builders.survival.estimands import (
    Coverage,
    EstimandLabels,
    common_hazard_ratio,
    curve_estimands,
    interval_hazard_ratios,
    mark_extrapolation,
    mark_without_data,
    mean_hazard_ratio,
)
from bayes_scot.builders.survival.graph import (
    _pt_arm_log_hazards,
    _pt_state_probabilities,
)
from bayes_scot.builders.survival.options import (
    _EFS,
    _OS,
    DEFAULT_BOUNDARIES,
    SurvivalOptions,
    baseline_fixed_scales,
    hazard_ratio_prior_data,
    hazard_ratio_prior_grid,
    ratio_only_warnings,
    time_unit_notes,
)
from bayes_scot.builders.survival.plan import (
    EvidencePlanner,
    _pooled_survival,
    _Term,
    select_trials,
)
from bayes_scot.builders.survival.predictive import (
    REPRODUCE_COLUMNS,
    predict_entry,
    trial_rows,
)
from bayes_scot.builders.survival.terms import StateTable, term_logp, term_values
from bayes_scot.errors import EvidenceError
from bayes_scot.evidence import Trial
from bayes_scot.stats.estimands import EstimandDraws
from bayes_scot.stats.illness_death import TRANSITIONS
from bayes_scot.stats.kaplan_meier import event_shares
from bayes_scot.stats.priors import EffectPrior, FixedScale

__all__ = [
    "SurvivalModel",
    "survival_model",
]


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
        ``("log_hr",)``: the log of the EFS average hazard ratio, which carries the prior grid
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
        self.options.benefit_hazard_ratios()  # EFS and OS: events that harm
        all_trials = (trials,) if isinstance(trials, Trial) else tuple(trials)
        if not all_trials:
            raise EvidenceError("a survival model needs at least one trial", field="trials")
        self._all_trials = all_trials
        self._uses: list[EvidenceUse] = []
        self.trials = select_trials(all_trials, self.options.population, self._uses)
        self._requested = self.options  # as given, before the follow-up fills them
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
        self.coverage = self._coverage()
        if not self.coverage.level:
            # Hazard ratios alone leave the survival level to the baseline-hazard prior:
            # no curve is drawn, as no survival estimand is reported.
            self.curve_variables = {}
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
        return evidence_log_frame(self._uses)

    def warnings(self) -> list[str]:
        """Return what a reader must know about the trials this model uses, one line each.

        A trial given to the model that contributes no evidence (it reports no EFS or OS
        for this population, or none of its numbers entered) borrows nothing: a title
        naming it would overstate the analysis. An endpoint that the target trial reports
        but whose entries the fit leaves out is predicted from the other one, and says
        so. A target trial that gives only hazard ratios identifies no survival level:
        no survival, survival difference or RMST is reported (the survival options'
        estimand times and RMST horizons, when set, are named as not estimated).
        """
        fitted = {t.name for t in self.trials}
        used = {u.trial for u in self._uses if u.used}
        lines = [f"survival: {t.name} is among the family's trials but contributes no "
                 f"evidence to the survival model ({self.options.population}): it reports "
                 "no usable EFS or OS numbers for this population, so nothing is borrowed "
                 "from it (the evidence log says why for each entry)"
                 for t in self._all_trials if t.name not in fitted or t.name not in used]
        c = self.coverage
        for endpoint, why in c.unused.items():
            if endpoint not in c.effect:
                other = ({_EFS, _OS} - {endpoint}).pop().upper()
                rows = (f"no {endpoint.upper()} row is reported: predicted from {other} "
                        "with no survival level, it would follow the baseline-hazard prior"
                        if self._unidentified(endpoint) else
                        f"every {endpoint.upper()} row is predicted through the model from "
                        f"{other}")
                lines.append(f"survival: {c.trial} reports {endpoint.upper()} but the fit "
                             f"does not use it ({why}); {rows}")
        if not c.level:
            lines += ratio_only_warnings(self._requested, f"{c.trial} gives only hazard "
                                         "ratios")
        return lines

    def _unidentified(self, endpoint: str) -> bool:
        """Whether no row of ``endpoint`` is identified by the data.

        True when the target trial holds no evidence of the endpoint, no survival level
        of either endpoint, and borrows from no other trial: the endpoint's hazard ratio
        would then be the other endpoint's carried through baseline hazards that only
        their prior sets (the transition after an organ failure above all).
        """
        borrows = len(self.trials) > 1 and self.options.borrowing != "none"
        return (endpoint not in self.coverage.effect and not self.coverage.level
                and not borrows)

    def _coverage(self) -> Coverage:
        """Return what the target trial's likelihood terms hold, and what it left out."""
        own = [term for term in self._terms if term.trial == 0]
        name = self.target.name
        used = {u.entry for u in self._uses if u.trial == name and u.used}
        unused: dict[str, list[str]] = {}
        for u in self._uses:
            entry = next((e for e in self.target.entries if e.id == u.entry), None)
            if (u.trial == name and u.entry not in used and entry is not None
                    and entry.endpoint in (_EFS, _OS)):
                unused.setdefault(entry.endpoint, []).append(f"{u.entry}: {u.note}")
        return Coverage(
            trial=name,
            effect=frozenset(ep for term in own for ep in term.endpoints),
            level=frozenset(ep for term in own if term.kind != "reported_ratio"
                            for ep in term.endpoints),
            unused={ep: "; ".join(notes) for ep, notes in unused.items()},
        )

    # -- the model -------------------------------------------------------------------------
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
        # Centred on the hazard-ratio scale: sum_k w_k exp(deviation_k) = 1 (module
        # docstring), so the grid parameter is the event-weighted average hazard ratio.
        raw = pool_sd * u
        deviation = raw - pt.log(pt.sum(weights[None, :] * pt.exp(raw), axis=1,
                                        keepdims=True))
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
        """Add one potential per planned term, each with its own data containers."""
        # One closed-form table serves every term: state probabilities at each time
        # (from 0) and transition matrices over each span, for all trials and arms.
        table = StateTable.build(hazard, edges, self._terms)
        for number, term in enumerate(self._terms):
            name = self._term_name(number, term)
            values = term_values(term, self.max_count)
            data = {key: pm.Data(f"{name}_{key}", value) for key, value in values.items()}
            pm.Potential(name, term_logp(term, data, table, max_count=self.max_count))

    def _term_name(self, number: int, term: _Term) -> str:
        """Name of the potential of likelihood term ``number``: ``<trial>_<n>_<kind>``."""
        return f"{self.trials[term.trial].name}_{number}_{term.kind}"

    def likelihood_sources(self) -> dict[str, tuple[str, frozenset[str]]]:
        """Return each likelihood term's source and the endpoints whose evidence it holds.

        For :func:`bayes_scot.fitting.terms.likelihood_terms` and the attribution of
        :mod:`bayes_scot.results.attribution`: a term of the target trial is ``"trial"``
        evidence, one of another trial ``"other_trial"``. State counts speak to EFS and
        OS at once; a term of one endpoint (its counts, survival estimates, hazard ratio
        or reconstructed patients) reaches the other endpoint only through the model, so
        that endpoint's rows count it as borrowing from other endpoints.

        Returns
        -------
        dict of str to (str, frozenset of str)
            Potential name -> ``(source, endpoints)``.
        """
        return {
            self._term_name(number, term): (
                "trial" if term.trial == 0 else "other_trial", term.endpoints
            )
            for number, term in enumerate(self._terms)
        }

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
    def fixed_scales(self) -> tuple[FixedScale, ...]:
        """Return the prior scales the model fixes, with the variables each scales.

        For :func:`bayes_scot.results.constant_sensitivity`: how much each result
        depends on these options, which the data cannot estimate.
        """
        o = self.options
        return fixed_scales(self.model, (
            *baseline_fixed_scales(o),
            ("transition_effect_scale", o.transition_effect_scale,
             ("transition_effect_raw",)),
            ("heterogeneity_scale", o.heterogeneity_scale, ("heterogeneity_raw",)),
            ("regimen_effect_sd", o.regimen_effect_sd, ("regimen_effect_z",)),
        ))

    def prior_grid(self) -> dict[str, EffectPrior]:
        """Return the named grid of 13 priors on the log of the EFS average hazard ratio.

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
            A prior on the log of the EFS average hazard ratio, or a mapping ``{"log_hr": prior}``.

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
            For EFS and OS: survival per arm and the experimental-minus-control
            difference at each of ``options.estimand_times_months`` (superior: higher;
            margin ``survival_margin``); RMST differences to each of ``rmst_horizons_months``
            (months; superior: higher); hazard ratios per interval (EFS: ratio of the
            event-free exit hazards; OS: ratio of the average death hazards in the
            interval; superior: lower; margin ``hazard_ratio_margin``); the target
            trial's common hazard ratio :math:`e^{\theta_1}` (superior: lower); and,
            when trials borrow, the hazard ratio of the trials' mean effect
            :math:`e^\mu` (``hazard_ratio_mean``), on which the named priors are stated.
            The estimand whose prior is the named prior exactly carries
            ``attrs["parameter"]``. Per-arm survival is descriptive:
            its ``null`` is NaN and ``attrs["contrast"]`` is False. ``attrs`` also
            record the trial, population, and the evidence assumptions the fit relies on.
            An endpoint of which the target trial's likelihood holds no evidence (OS
            when only an EFS hazard ratio entered) has ``attrs["no_data"]`` True and says
            so in its evidence, naming the trial's entries of it that were left out: the
            model predicts it from the other endpoint; so has a survival level of an
            endpoint the trial reports only as a hazard ratio beside the other
            endpoint's counts or estimates. When the target trial gives only hazard
            ratios, no survival level is identified and only hazard ratios are returned
            (:meth:`warnings` says so); and, without borrowing, none of an endpoint it
            gives no evidence of, which would follow the baseline-hazard prior.
        """
        from bayes_scot import _compat

        o = self.options
        hazards = self._hazard_array(idata)
        edges = np.asarray(o.interval_boundaries_months)
        evidence = "trial" if len(self.trials) == 1 else "trial + " + ", ".join(
            t.name for t in self.trials[1:]
        )
        labels = EstimandLabels(
            options=o, arms=self.arms, shown=self.target.arm_labels, evidence=evidence,
            names={e: self.target.endpoint(e).label for e in (_EFS, _OS)},
            attrs={
                "trial": self.target.name,
                "population": o.population,
                "assumptions": self.assumptions(),
                "borrowing": o.borrowing if len(self.trials) > 1 else "none (one trial)",
            },
        )
        posterior = _compat.get_group(idata, "posterior")
        common = posterior["trial_log_hr"].sel(trial=self.target.name).to_numpy()
        borrows = len(self.trials) > 1 and o.borrowing != "none"
        out = [
            *(curve_estimands(hazards, edges, labels) if self.coverage.level else ()),
            *interval_hazard_ratios(hazards, edges, labels),
            common_hazard_ratio(common, labels, carries_prior=not borrows),
        ]
        if borrows:
            out.append(mean_hazard_ratio(posterior["log_hr"].to_numpy(), labels))
        reported = [t for term in self._terms if term.trial == 0 for t in term.times]
        return [mark_extrapolation(mark_without_data(e, self.coverage),
                                   self.last_datum, reported)
                for e in out if not self._unidentified(e.endpoint)]

    def assumptions(self) -> tuple[str, ...]:
        """Assumptions of the evidence this fit uses (from the trial files and the model)."""
        notes = [
            f"Model: {self.model_name} of EFS and OS; intervals "
            f"{', '.join(self.options.interval_labels)} months.",
        ]
        if any(term.kind.startswith(("landmark_", "interval_")) for term in self._terms):
            notes.append("Landmark counts among those randomised assume no censoring before "
                         "the landmark.")
        if len(self.trials) > 1:
            notes.append(
                "Borrowing across trials: each trial has its own average treatment effect "
                f"({self.options.borrowing}) and its own baseline hazards, but the effect's "
                "profile over time (its deviations by interval and transition) is one, "
                "shared by every trial; the target trial's early effect follows the "
                "other trials' early evidence.")
        notes += time_unit_notes(self.trials)
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
        uses = {(u.trial, u.entry): u for u in self._uses}
        edges = np.asarray(self.options.interval_boundaries_months)
        fitted = [t.name for t in self.trials]
        for full in self._all_trials:
            if full.name not in fitted:
                continue
            hazards = self._hazard_array(idata, full.name)
            flat = hazards.reshape(-1, *hazards.shape[2:])  # (draws, arm, K, 3)
            rows += trial_rows(full, flat, edges, self.horizon,
                               population=self.options.population, uses=uses, rng=rng)
        return pd.DataFrame(rows, columns=list(REPRODUCE_COLUMNS))

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
            ((e.id, [r[:3] for r in predict_entry(e, flat, self.arms, self.target, edges,
                                                  self.horizon, rng)]) for e in entries),
            posterior["chain"].to_numpy().tolist(), posterior["draw"].to_numpy().tolist(),
        )
