r"""One time-to-event endpoint: a two-state piecewise-exponential model.

:class:`PiecewiseExponentialModel` is the survival model of a trial that reports one
time-to-event endpoint (overall survival, progression-free survival, time to arrest, any
endpoint a trial file declares with ``kind = "time_to_event"``). Every parameter can be
informed by such data, which is not true of the illness-death model of
:mod:`bayes_scot.builders.survival`: one endpoint cannot separate the transitions out of
the event-free state.

Model (interval :math:`k = 1..K`, control arm hazards :math:`h^{(0)}`, experimental arm
hazards :math:`h^{(1)}`, per month):

.. math::

    \log h^{(0)}_k &= m + s_0 z_0 + \sum_{l=2}^{k} \sigma_{rw} w_l
        && \text{(random walk across intervals)} \\
    \log h^{(1)}_k &= \log h^{(0)}_k + \beta_k, \qquad
        \beta_k = \mu + \delta_k \\
    \delta_k &= \tau \Big(u_k - \sum_l \omega_l u_l\Big), \quad u_l \sim N(0, 1),
        \quad \tau = s_\tau |v|,\ v \sim N(0, 1) \\
    \mu &\sim N(\mu_0, s^2)
        && \text{(the prior grid)}

The interval deviations :math:`\delta_k` sum to zero with weights :math:`\omega_k`, the
expected share of the trial's events in interval :math:`k` (from the evidence itself,
pooled over arms), so :math:`\mu = \sum_k \omega_k \beta_k` *is* the event-weighted
average log hazard ratio over follow-up: the quantity a Cox model estimates, the headline
``hazard_ratio_common`` estimand, and the parameter on which every named prior is stated.
:math:`\tau` (half-normal, scale ``effect_pooling_scale``) lets the effect vary over time
when the data say so; ``effect_structure = "common"`` removes it (proportional hazards).

The control arm's prior mean log hazard :math:`m` is the trial's own pooled crude hazard,
:math:`-\log \bar S(T) / T` at its last datum :math:`T` (pooled over arms); :math:`s_0`
(``baseline_log_hazard_sd``) and :math:`\sigma_{rw}` (``baseline_smoothing_sd``) are
options. Every value the data fix is a data container, so the prior grid reuses one
compilation.

How each kind of evidence enters is in
:mod:`~bayes_scot.builders.piecewise_exponential.plan`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from typing import Any, Literal

import numpy as np
import pandas as pd
import pymc as pm
import pytensor.tensor as pt

from bayes_scot.builders._graph import running_sum
from bayes_scot.builders.base import EvidenceUse, evidence_log_frame, fixed_scales
from bayes_scot.builders.piecewise_exponential.exposure import (
    exposure_matrix,
    restricted_mean,
    sufficient_statistics,
)
from bayes_scot.builders.piecewise_exponential.plan import (
    OneEndpointPlanner,
    Term,
    _nice_step,
    baseline_mean,
    default_times,
    event_weights,
    interval_edges,
    survival_endpoints,
)
from bayes_scot.builders.survival.options import (
    SurvivalOptions,
    baseline_fixed_scales,
    hazard_ratio_prior_data,
    hazard_ratio_prior_grid,
    ratio_only_warnings,
    time_unit_notes,
)
from bayes_scot.builders.survival.plan import _effective_size, _log_ratio_se
from bayes_scot.builders.survival.predictive import (
    REPRODUCE_COLUMNS,
    Prediction,
    reproduce_row,
)
from bayes_scot.conventions import months
from bayes_scot.errors import EvidenceError
from bayes_scot.evidence import LandmarkEvents, ReportedRatio, SurvivalEstimate, Trial
from bayes_scot.likelihood import survival as lik
from bayes_scot.stats.estimands import PARAMETER_TRANSFORM, EstimandDraws
from bayes_scot.stats.priors import EffectPrior, FixedScale

__all__ = ["PiecewiseExponentialModel"]


class PiecewiseExponentialModel:
    """One time-to-event endpoint of one trial, two arms, piecewise-constant hazards.

    Parameters
    ----------
    trial : Trial
        The trial (one population view, or ``"all"``; ``options.population`` is used).
    options : SurvivalOptions, optional
        Shared with :class:`~bayes_scot.builders.survival.SurvivalModel`; ``endpoint``
        names the endpoint when the trial reports several. Interval boundaries, estimand
        times and RMST horizons left unset come from the trial's follow-up.

    Attributes
    ----------
    endpoint : str
    better : {"higher", "lower"}
        Which direction of the probability of being still free of the event favours a
        patient: ``"higher"`` when the event harms, ``"lower"`` when it is wanted
        (:attr:`~bayes_scot.evidence.Endpoint.event_wanted`: a binary endpoint's
        ``better`` speaks of the proportion with the event, so it is reversed here).
    model : pymc.Model
        Dims ``arm`` (experimental first), ``interval``, ``month``; deterministics
        ``hazard`` (arm, interval), ``log_hazard_ratio`` (interval) and ``survival``
        (arm, month).
    last_datum : float
        The last time (months) at which the trial reports data of the endpoint.
    evidence_log : pandas.DataFrame

    Raises
    ------
    EvidenceError
        When the trial reports no usable evidence of the endpoint (one line, naming the
        trial's file).
    """

    effect_parameters: tuple[str, ...] = ("log_hr",)
    model_name = "two-state piecewise-exponential model (one endpoint)"

    recommended_target_accept: float = 0.95

    def __init__(self, trial: Trial, *, options: SurvivalOptions | None = None,
                 endpoint: str | None = None) -> None:
        self.options = options or SurvivalOptions()
        if self.options.effect_structure == "independent":
            raise EvidenceError(
                "'independent' separates the transitions of the illness-death model; the "
                "one-endpoint model has one: use 'per_transition' or 'common'",
                file=trial.path, field="effect_structure",
            )
        population = self.options.population
        self.target = trial.with_population(population) if trial.population != population \
            else trial
        self._all = trial
        self.trials = (self.target,)
        found = survival_endpoints(self.target)
        chosen = endpoint or self.options.endpoint or (found[0] if len(found) == 1 else None)
        if chosen is None:
            raise EvidenceError(
                f"trial {trial.name!r} reports {len(found)} time-to-event endpoints "
                f"({', '.join(found) or 'none'}) in population {population!r}; name one "
                "with the survival option 'endpoint'" if found else
                f"trial {trial.name!r} reports no time-to-event evidence in population "
                f"{population!r}", file=trial.path, field="survival",
            )
        self.endpoint = chosen
        self.curve_variables = {chosen: "survival"}
        self.endpoint_info = self.target.endpoint(chosen)
        try:
            wanted = self.endpoint_info.event_wanted
        except EvidenceError as exc:
            raise EvidenceError(str(exc), file=trial.path, field="survival.endpoint") from None
        self.better: Literal["higher", "lower"] = "lower" if wanted else "higher"
        self.options.benefit_hazard_ratios(self.better)
        self.arms = (self.target.experimental, self.target.control)
        self.n = np.array([self.target.n(a) for a in self.arms], dtype=float)
        self._uses: list[EvidenceUse] = []
        plan = OneEndpointPlanner(self.target, chosen, self._uses).plan()
        if not plan.terms:
            raise EvidenceError(
                f"trial {trial.name!r} has no usable evidence of endpoint {chosen!r} in "
                f"population {population!r}", file=trial.path, field="survival",
            )
        self._planned = plan
        self.last_datum = plan.last
        self.edges = interval_edges(plan, self.options)
        o = self.options
        self.estimand_times = tuple(o.estimand_times_months or (
            (tuple(sorted(plan.times)) or default_times(plan.last)) if plan.pooled else ()))
        self.rmst_horizons = tuple(o.rmst_horizons_months or self.estimand_times[-1:])
        self.weights = event_weights(plan, self.edges)
        self.baseline_mean = baseline_mean(plan, self.horizon)
        top = max([self.edges[-1], *self.estimand_times, *self.rmst_horizons])
        step = _nice_step(top, 100) / (12.0 if top <= 24 else 1.0)
        self.curve_months = np.unique(np.concatenate([
            np.arange(0.0, top + 1e-9, step), self.edges, self.estimand_times,
        ]))
        if not plan.pooled:
            # A hazard ratio alone leaves the survival level to the baseline prior: no
            # curve is drawn, as no survival estimand is reported.
            self.curve_variables = {}
        self.model = self._build()
        self.structure_key = self._structure_key()

    # -- evidence ---------------------------------------------------------------------------
    @property
    def likelihood_terms(self) -> tuple[Term, ...]:
        """The likelihood terms in the order that numbers their data containers (read only).

        Each is ``(kind, entries, data, extra)``.
        """
        return tuple(self._planned.terms)

    @property
    def horizon(self) -> float:
        """Last boundary of the interval grid, in months."""
        return float(self.edges[-1])

    @property
    def interval_labels(self) -> tuple[str, ...]:
        """Interval names such as ``"0-3"`` (months)."""
        return tuple(f"{a:g}-{b:g}" for a, b in zip(self.edges[:-1], self.edges[1:],
                                                   strict=True))

    @property
    def evidence_log(self) -> pd.DataFrame:
        """Which evidence entered the likelihood, as which term, and why (or why not)."""
        return evidence_log_frame(self._uses)

    def warnings(self) -> list[str]:
        """Return what a reader must know about the estimands reported, one line each.

        A hazard ratio alone identifies no survival level: only ``hazard_ratio_common``
        is reported, and the estimand times and RMST horizons that the options set are
        named as not estimated.
        """
        if self._planned.pooled:
            return []
        return ratio_only_warnings(self.options, f"{self.target.name} gives "
                                   f"{self.endpoint} only as hazard ratios")

    def _build(self) -> pm.Model:
        o = self.options
        n_int = len(self.edges) - 1
        coords = {"arm": list(self.arms), "interval": list(self.interval_labels),
                  "step": list(self.interval_labels[1:]), "month": self.curve_months.tolist()}
        reference = self.prior_grid()["reference"]
        with pm.Model(coords=coords) as model:
            prior_mean = pm.Data("log_hr_prior_mean", reference.mean)
            prior_sd = pm.Data("log_hr_prior_sd", reference.sd)
            base_mean = pm.Data("baseline_prior_mean", self.baseline_mean)
            base_sd = pm.Data("baseline_prior_sd", o.baseline_log_hazard_sd)
            level_z = pm.Normal("baseline_level_z", 0.0, 1.0)
            log_h0 = base_mean + base_sd * level_z + pt.zeros(n_int)
            if n_int > 1:
                smooth_sd = pm.Data("baseline_smoothing_sd", o.baseline_smoothing_sd)
                walk_z = pm.Normal("baseline_walk_z", 0.0, 1.0, dims="step")
                log_h0 = log_h0 + running_sum(smooth_sd * walk_z)
            log_hr = pm.Normal("log_hr", prior_mean, prior_sd)
            beta = log_hr + pt.zeros(n_int)
            if n_int > 1 and o.effect_structure != "common":
                pool_scale = pm.Data("effect_pooling_scale", o.effect_pooling_scale)
                weights = pm.Data("interval_event_share", self.weights, dims="interval")
                pool_raw = pm.HalfNormal("effect_pooling_raw", 1.0)
                tau = pm.Deterministic("effect_pooling_sd", pool_raw * pool_scale)
                u = pm.Normal("interval_effect_z", 0.0, 1.0, dims="interval")
                beta = beta + tau * (u - pt.sum(weights * u))
            beta = pm.Deterministic("log_hazard_ratio", beta, dims="interval")
            log_h = pt.stack([log_h0 + beta, log_h0])  # (arm, interval)
            hazard = pm.Deterministic("hazard", pt.exp(log_h), dims=("arm", "interval"))
            exposure = pt.as_tensor_variable(exposure_matrix(self.edges, self.curve_months))
            pm.Deterministic("survival", pt.exp(-pt.dot(hazard, exposure)),
                             dims=("arm", "month"))
            self._add_likelihood(hazard, log_h, beta)
        return model

    def _add_likelihood(self, hazard, log_h, beta) -> None:
        name = self.target.name
        for number, (kind, _ids, values, extra) in enumerate(self._planned.terms):
            prefix = f"{name}_{number}_{kind}"
            data = {k: pm.Data(f"{prefix}_{k}", v) for k, v in values.items()}
            if kind in ("landmark", "estimate"):
                t0, t1 = extra["times"]
                span = exposure_matrix(self.edges, np.array([t1]))[:, 0]
                span = span - exposure_matrix(self.edges, np.array([t0]))[:, 0]
                cond = pt.exp(-pt.dot(hazard, pt.as_tensor_variable(span)))  # (arm,)
                if kind == "landmark":
                    logp = lik.landmark_events(data["events"], data["n"], cond)
                else:
                    logp = lik.survival_estimate(data["conditional"], data["effective_n"], cond)
            elif kind == "patients":
                events, exposure = sufficient_statistics(self._planned.ipd, self.edges)
                d = pm.Data(f"{prefix}_events", events, dims=("arm", "interval"))
                x = pm.Data(f"{prefix}_exposure", exposure, dims=("arm", "interval"))
                logp = lik.piecewise_exponential(d, x, log_h)
            else:  # reported ratio
                w = pt.as_tensor_variable(self._ratio_weights(extra["end"]))
                logp = lik.reported_ratio(data["log_estimate"], data["se"],
                                          pt.sum(w * beta))
            pm.Potential(prefix, logp)

    def _ratio_weights(self, end: float) -> np.ndarray:
        """Event weights of a reported ratio's window: the model's own event shares."""
        if end <= 0 or end >= self.horizon:
            return self.weights
        inside = np.clip((end - self.edges[:-1]) / np.diff(self.edges), 0.0, 1.0)
        w = self.weights * inside
        return w / w.sum() if w.sum() > 0 else self.weights

    def _structure_key(self) -> tuple[str, str]:
        layout = tuple(
            (kind, tuple(sorted((k, np.shape(v)) for k, v in values.items())),
             tuple(sorted((k, str(v)) for k, v in extra.items())))
            for kind, _ids, values, extra in self._planned.terms
        )
        structure = ("PiecewiseExponentialModel", self.target.name, self.arms,
                     tuple(self.edges), tuple(self.curve_months), layout,
                     self.options.effect_structure == "common")
        return ("PiecewiseExponentialModel",
                hashlib.sha256(repr(structure).encode()).hexdigest()[:16])

    # -- priors -----------------------------------------------------------------------------
    def fixed_scales(self) -> tuple[FixedScale, ...]:
        """Return the prior scales the model fixes, with the variables each scales.

        For :func:`bayes_scot.results.constant_sensitivity`: how much each result
        depends on these options, which the data cannot estimate.
        """
        return fixed_scales(self.model, baseline_fixed_scales(self.options))

    def prior_grid(self) -> dict[str, EffectPrior]:
        r"""Return the named grid of 13 priors on the endpoint-level log hazard ratio.

        The design hazard ratio and the margin are on the endpoint's benefit side
        (:meth:`~bayes_scot.builders.survival.SurvivalOptions.benefit_hazard_ratios`):
        below 1 when its event is harmful, above 1 when the event is wanted.
        """
        return hazard_ratio_prior_grid(self.options, self.better)

    def prior_data(self, prior: EffectPrior | Mapping[str, EffectPrior]
                   ) -> dict[str, np.ndarray]:
        """Values of the prior's data containers (see ``SurvivalModel.prior_data``)."""
        return hazard_ratio_prior_data(prior, self.effect_parameters)

    # -- outputs ----------------------------------------------------------------------------
    def _hazards(self, idata: Any) -> np.ndarray:
        from bayes_scot import _compat

        hazard = _compat.get_group(idata, "posterior")["hazard"]
        return hazard.transpose("chain", "draw", "arm", "interval").to_numpy()

    def estimands(self, idata: Any) -> list[EstimandDraws]:
        r"""Posterior estimands of the endpoint.

        Returns
        -------
        list of EstimandDraws
            Survival per arm (descriptive) and the experimental-minus-control difference
            at each estimand time; RMST differences to each horizon; the hazard ratio of
            each interval (when there are several); and ``hazard_ratio_common``,
            :math:`e^\mu`, the event-weighted average hazard ratio that carries the prior
            grid. Directions follow the endpoint's ``better`` on the survival scale
            (:attr:`better`). Rows beyond the last datum
            (only when the options ask for them) have ``attrs["extrapolated"]`` True and
            say so in their label and evidence.
        """
        from bayes_scot import _compat

        o = self.options
        exp_arm, ctl_arm = self.target.arm_labels
        label = self.endpoint_info.label
        higher = self.better == "higher"
        better_s: Any = "higher" if higher else "lower"
        better_hr: Any = "lower" if higher else "higher"
        hazards = self._hazards(idata)
        base = {"trial": self.target.name, "population": o.population,
                "assumptions": self.assumptions(), "borrowing": "none (one trial)",
                "model": self.model_name}
        out: list[EstimandDraws] = []
        has_curve = bool(self._planned.pooled)

        def add(estimand: str, text: str, draws: np.ndarray, time: float | None, **kw: Any
                ) -> None:
            beyond = bool(time is not None and time > self.last_datum + 1e-9)
            evidence = "trial"
            if beyond:
                text += f" (extrapolated beyond the last datum at {months(self.last_datum)})"
                evidence = f"trial, extrapolated beyond {months(self.last_datum)}"
            attrs = {**base, "extrapolated": beyond, **kw.pop("attrs", {})}
            out.append(EstimandDraws(endpoint=self.endpoint, estimand=estimand, label=text,
                                     draws=draws, evidence=evidence, attrs=attrs,
                                     extrapolated=beyond, **kw))

        # S(t) of a wanted event (healing, response), or of a binary endpoint's event, is
        # the probability of being still free of it: the labels say so, as "survival"
        # would mislead (and a binary endpoint's name reads as the event itself).
        survival = higher and self.endpoint_info.kind == "time_to_event"
        free = "" if survival else " (probability still free of the event)"
        # A curve's functional takes the prior share of the hazard ratio it follows.
        follows = {"attribute_through": (self.endpoint, "hazard_ratio_common")}
        restricted = ("restricted mean survival" if survival
                      else "restricted mean time free of the event")
        if has_curve:
            times = np.asarray(self.estimand_times, dtype=float)
            surv = np.exp(-np.einsum("cdak,kt->cdat", hazards,
                                     exposure_matrix(self.edges, times)))
            for j, t in enumerate(times):
                for a, arm in enumerate(self.arms):
                    add(f"survival_{arm}_{t:g}",
                        f"{label} at {months(t)}, {self.target.arm_display(arm)}{free}",
                        surv[:, :, a, j], t, null=float("nan"), superior=better_s,
                        unit="probability", attrs={"arm": arm, "contrast": False,
                                                   "time_months": t})
                add(f"survival_difference_{t:g}",
                    f"{label} at {months(t)}, {exp_arm} minus {ctl_arm}{free}",
                    surv[:, :, 0, j] - surv[:, :, 1, j], t, null=0.0, superior=better_s,
                    mcid=o.survival_margin if higher else -o.survival_margin,
                    mcid_source=o.margin_source, unit="probability",
                    attrs={"contrast": True, "time_months": t, **follows})
            for tau in self.rmst_horizons:
                rmst = restricted_mean(hazards, self.edges, tau)
                add(f"rmst_difference_{tau:g}",
                    f"{label} {restricted} to {months(tau)}, {exp_arm} minus {ctl_arm}",
                    rmst[:, :, 0] - rmst[:, :, 1], tau, null=0.0,
                    superior=better_s, unit="months",
                    attrs={"contrast": True, "time_months": tau, **follows})
        _, margin = o.benefit_hazard_ratios(self.better)
        if len(self.edges) > 2 and has_curve:
            ratio = hazards[:, :, 0, :] / hazards[:, :, 1, :]
            # An interval that ends after the last datum is extrapolated, wholly or in
            # part (a grid the specification sets may straddle the last datum).
            for k, text in enumerate(self.interval_labels):
                add(f"hazard_ratio_{text.replace('-', '_')}",
                    f"{label} hazard ratio, months {text}, {exp_arm} vs {ctl_arm}",
                    ratio[..., k], float(self.edges[k + 1]), null=1.0, superior=better_hr,
                    mcid=margin,
                    mcid_source=o.margin_source, unit="ratio",
                    attrs={"contrast": True, "interval": text})
        log_hr = _compat.get_group(idata, "posterior")["log_hr"].to_numpy()
        add("hazard_ratio_common",
            f"{label} hazard ratio (event-weighted average over follow-up), {exp_arm} vs "
            f"{ctl_arm}", np.exp(log_hr), None, null=1.0, superior=better_hr, mcid=margin,
            mcid_source=o.margin_source, unit="ratio",
            attrs={"contrast": True, "parameter": "log_hr",
                   PARAMETER_TRANSFORM: ("exp", 1.0)})
        return out

    def assumptions(self) -> tuple[str, ...]:
        """Return the model that ran and the assumptions of the evidence it uses."""
        notes = [
            f"Model: {self.model_name} of {self.endpoint} ({self.endpoint_info.label}); "
            f"intervals {', '.join(self.interval_labels)} months; the headline hazard ratio "
            "is the event-weighted average over these intervals.",
        ]
        notes += time_unit_notes(self.trials)
        if any(kind == "landmark" for kind, *_ in self._planned.terms):
            notes.append("Landmark counts among those randomised assume no censoring before "
                         "the landmark.")
        used = set(self.evidence_log.query("used")["entry"])
        notes += [f"{self.target.name}:{e.id}: {e.assumption}" for e in self.target.entries
                  if e.id in used and e.assumption]
        return tuple(notes)

    def reproduce(self, idata: Any, *, seed: int = 0) -> pd.DataFrame:
        """Posterior predictive of the endpoint's published summaries, beside the number.

        Returns
        -------
        pandas.DataFrame
            The columns of ``SurvivalModel.reproduce``. Landmark counts are predicted as
            counts among the same ``n``, survival estimates as proportions with their
            effective sample size, hazard ratios as the model's event-weighted log hazard
            ratio plus the reported standard error.
        """
        rng = np.random.default_rng(seed)
        hazards = self._hazards(idata)
        flat = hazards.reshape(-1, *hazards.shape[2:])  # (draws, arm, K)
        uses = {u.entry: u for u in self._uses}
        rows = []
        for e in self.target.entries:
            if e.endpoint != self.endpoint or not isinstance(
                e, LandmarkEvents | SurvivalEstimate | ReportedRatio
            ):
                continue
            use = uses.get(e.id)
            for prediction in self._predict(e, flat, rng):
                rows.append(reproduce_row(
                    self.target.name, e, prediction, used=bool(use is not None and use.used),
                    note="" if use is None else use.note,
                ))
        return pd.DataFrame(rows, columns=list(REPRODUCE_COLUMNS))

    def predictive(self, idata: Any, *, seed: int = 0) -> tuple[Any, Any]:
        """Return the published summaries that entered the fit, and replicates of each.

        ArviZ's ``observed_data`` and ``posterior_predictive`` groups (``az.plot_ppc``),
        drawn as :meth:`reproduce` draws them; see
        :func:`bayes_scot.builders.base.replicate_groups`.
        """
        from bayes_scot import _compat
        from bayes_scot.builders.base import replicate_groups

        rng = np.random.default_rng(seed)
        posterior = _compat.get_group(idata, "posterior")
        hazards = self._hazards(idata)
        flat = hazards.reshape(-1, *hazards.shape[2:])
        used = {u.entry for u in self._uses if u.used}
        entries = [e for e in self.target.entries if e.id in used
                   and isinstance(e, LandmarkEvents | SurvivalEstimate | ReportedRatio)]
        return replicate_groups(
            ((e.id, [r[:3] for r in self._predict(e, flat, rng)]) for e in entries),
            posterior["chain"].to_numpy().tolist(), posterior["draw"].to_numpy().tolist(),
        )

    def _predict(self, e: Any, flat: np.ndarray, rng: np.random.Generator
                 ) -> Iterator[Prediction]:
        """Yield the predictions of one entry (hazard ratios only with a CI)."""
        if isinstance(e, ReportedRatio):
            if e.measure != "HR" or e.lower is None or e.upper is None:
                return
            end = (e.window_months or (0.0, 0.0))[1]
            log_hr = np.log(flat[:, 0] / flat[:, 1]) @ self._ratio_weights(end)
            se = _log_ratio_se(e)
            yield np.exp(log_hr + se * rng.standard_normal(log_hr.shape)), e.estimate, None, "hr"
            return
        surv = np.exp(-flat @ exposure_matrix(self.edges, np.array([e.time_months])))[..., 0]
        for a, arm in enumerate(self.arms):
            if isinstance(e, LandmarkEvents) and arm in e.events:
                n = int(e.n[arm])
                yield (rng.binomial(n, 1.0 - surv[:, a]).astype(float), float(e.events[arm]),
                       arm, "events")
            elif isinstance(e, SurvivalEstimate) and arm in e.survival:
                size, _ = _effective_size(e, arm, (e.n or {}).get(arm, self.n[a]))
                m = max(round(size), 1)
                yield rng.binomial(m, surv[:, a]) / m, float(e.survival[arm]), arm, "survival"
