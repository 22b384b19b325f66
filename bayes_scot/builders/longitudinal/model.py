"""The longitudinal model: one PyMC model of several continuous endpoints over visits.

See :mod:`bayes_scot.builders.longitudinal` for the model in brief.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields, replace
from typing import Any

import numpy as np
import pandas as pd
import pymc as pm

from bayes_scot import _compat
from bayes_scot.builders.base import evidence_log_frame, fixed_scales
from bayes_scot.builders.longitudinal.external import plan_external
from bayes_scot.builders.longitudinal.graph import EFFECT, build_model
from bayes_scot.builders.longitudinal.layout import StateLayout
from bayes_scot.builders.longitudinal.options import (
    DATUM_TOLERANCE_MONTHS,
    LongitudinalOptions,
    beta_parameters,
    check_single_population,
    check_weight,
    resolve_mcids,
    resolve_scales,
)
from bayes_scot.builders.longitudinal.plan import (
    NO_DATA,
    EvidencePlan,
    EvidenceTerm,
    attribution,
    column,
    effect_shapes,
    matrix,
    plan_trial,
    slope_pairs,
)
from bayes_scot.builders.longitudinal.pooling import endpoint_pooling
from bayes_scot.conventions import CREDIBLE_LEVEL, DEFAULT_SEED, months
from bayes_scot.errors import EvidenceError, SpecError
from bayes_scot.evidence.trial import Trial
from bayes_scot.stats.estimands import PARAMETER_TRANSFORM, EstimandDraws
from bayes_scot.stats.priors import EffectPrior, FixedScale, prior_grid

__all__ = ["SURVIVOR_AVERAGE", "LongitudinalModel", "effect_parameter"]


SURVIVOR_AVERAGE = (
    "survivor average: mean among patients alive and measured at the visit, as reported"
)


def effect_parameter(endpoint: str) -> str:
    """Name the effect parameter of one endpoint: ``"standardised_effect[<endpoint>]"``."""
    return f"{EFFECT}[{endpoint}]"


class LongitudinalModel:
    """Joint Bayesian model of continuous endpoints over visits, from arm-level summaries.

    Parameters
    ----------
    trial : Trial
        The trial to reanalyse, restricted to one population
        (``load_trial("scot", population="pp")``).
    options : LongitudinalOptions, optional
        Modelling choices; the defaults are documented there.
    external : Trial-like, optional
        External evidence with the :meth:`Trial.evidence` API
        (:func:`bayes_scot.data.load_external`): its ``effect_estimates`` and ``change``
        ``visit_summaries`` enter as discounted evidence (power prior or robust mixture
        with the weights of ``options``); its ``population_spread`` entries standardise
        endpoints without a reported baseline SD. ``None``: no external evidence on
        effects (the shipped population SDs of :func:`bayes_scot.data.load_external` still
        standardise endpoints that need them).

    Attributes
    ----------
    model : pymc.Model
        Built once. Dims ``endpoint``, ``arm`` (experimental first), ``visit`` (months).
    effect_parameters : tuple of str
        ``"standardised_effect[<endpoint>]"`` for every endpoint: each endpoint's
        standardised, direction-aligned effect at the reference visit has its own named
        prior (:meth:`effect_prior_grids`), which is its marginal prior whether or not
        the endpoints borrow from each other.
    scales : dict of str to float
        The SD that standardises each endpoint; ``scale_sources`` says where each came from.
    mcids : dict of str to float or None
    attribution : dict of str to str
        What drives each endpoint's treatment effect (:data:`EVIDENCE_LABELS`).
    effect_shapes : dict of str to str
        Each endpoint's effect shape over time (``linear``, ``step`` or ``random_walk``),
        ``options.effect_shape`` with ``auto`` resolved from the evidence.
    pooled_endpoints : tuple of str
        Endpoints whose effects are partially pooled (empty without borrowing). An
        endpoint without evidence of its own is left out unless
        ``options.borrow_into_endpoints_without_data``.
    structure_key : tuple
        Identifies the model's structure for :func:`bayes_scot.fitting.compile_model`.

    Notes
    -----
    Evidence values, standard errors, external weights, prior hyperparameters, the
    standardising SDs and the correlation switch are all ``pm.Data`` containers, so a
    prior grid, a weight sensitivity analysis, a correlation sensitivity analysis and
    refits to new numbers of the same layout (:meth:`evidence_data`) all reuse one
    compiled model.

    References
    ----------
    .. [1] Pedder H, Dias S, Bennetts M, Boucher M, Welton NJ. Modelling time-course
       relationships with multiple treatments: model-based network meta-analysis for
       continuous summary outcomes. Res Synth Methods 2019;10:267-286.
       doi:10.1002/jrsm.1351
    .. [2] Ibrahim JG, Chen M-H. Power prior distributions for regression models. Stat Sci
       2000;15:46-60. doi:10.1214/ss/1009212673
    .. [3] Schmidli H et al. Robust meta-analytic-predictive priors in clinical trials with
       historical control information. Biometrics 2014;70:1023-1032.
       doi:10.1111/biom.12242
    .. [4] Keyes-Elstein L et al. Arthritis Care Res 2023;75:307-316 (SCOT FVC slopes).
    """

    def __init__(
        self,
        trial: Trial,
        *,
        options: LongitudinalOptions | None = None,
        external: Any = None,
    ) -> None:
        self.options = (options or LongitudinalOptions()).with_trial_visits(trial)
        self.trial = trial
        self.external = external
        self.arms = (trial.experimental, trial.control)
        self.endpoints = {e: trial.endpoint(e) for e in self.options.endpoints}
        for name, endpoint in self.endpoints.items():
            if endpoint.kind != "continuous":
                raise SpecError(f"{name!r} is a {endpoint.kind} endpoint, not continuous",
                                field="endpoints")
        check_single_population(trial, self.options.endpoints)
        self.scales, self.scale_sources = resolve_scales(trial, external, self.options)
        self.mcids, self.mcid_sources = resolve_mcids(self.options)
        self._layout = StateLayout(self.options.endpoints, self.arms, self.options.grid)
        self._plan = self._make_plan(trial)
        self.attribution = attribution(
            self._plan, self.options.endpoints, *self.arms,
            pool_into_empty=(self.options.borrow_across_endpoints
                       and self.options.borrow_into_endpoints_without_data),
        )
        self.effect_shapes = effect_shapes(self._plan, self.options)
        pooled = tuple(e for e in self.options.endpoints
                       if self.options.borrow_across_endpoints
                       and self.attribution[e] != "prior only")
        # One endpoint alone has nothing to borrow from.
        self.pooled_endpoints: tuple[str, ...] = pooled if len(pooled) > 1 else ()
        self.structure_key: tuple[Any, ...] = (
            "longitudinal", self.options.structure(), self.arms, self._plan.structure(),
            tuple(self.effect_shapes.items()), self.pooled_endpoints,
        )
        self.effect_parameters: tuple[str, ...] = tuple(
            effect_parameter(e) for e in self.options.endpoints)
        self.model = self._build()

    @property
    def diagnostic_var_names(self) -> tuple[str, ...]:
        """Posterior variables whose R-hat and ESS judge a fit.

        The free parameters and the effect summaries; ``change``, ``level`` and
        ``effect`` are left out because their baseline elements are zero by definition.
        """
        free = tuple(rv.name for rv in self.model.free_RVs)
        return (*free, "slope", "slope_difference")

    # -- evidence ------------------------------------------------------------------------
    def _make_plan(self, trial: Trial) -> EvidencePlan:
        plan = plan_trial(trial, self.options, self._layout)
        external_rows, external_unused, external_warnings = plan_external(
            self.external, trial, self.options, self._layout
        )
        plan.external = external_rows
        plan.unused.extend(external_unused)
        plan.warnings.extend(external_warnings)
        return plan

    @property
    def evidence_log(self) -> pd.DataFrame:
        """Every published number considered, whether it is used, how, and with what weight.

        Returns
        -------
        pandas.DataFrame
            One row per number, trial rows first:
            :func:`~bayes_scot.builders.base.evidence_log_frame` of
            :meth:`EvidenceTerm.use`.
        """
        return evidence_log_frame(term.use() for term in self._plan.terms())

    def evidence_table(self) -> pd.DataFrame:
        """Return :attr:`evidence_log` with the :class:`EvidenceTerm` field names.

        Returns
        -------
        pandas.DataFrame
            One row per number (:class:`EvidenceTerm` fields), trial rows first.
        """
        rows = [term.__dict__ for term in self._plan.terms()]
        columns = [f.name for f in fields(EvidenceTerm)]
        return pd.DataFrame(rows, columns=columns)

    def evidence_data(self, trial: Trial) -> dict[str, np.ndarray]:
        """Data-container values for another trial with the same evidence layout.

        Parameters
        ----------
        trial : Trial
            Evidence of the same kinds, endpoints, arms and visits as the model's trial
            (for example a simulated replicate); only the numbers differ.

        Returns
        -------
        dict of str to numpy.ndarray
            For :meth:`bayes_scot.fitting.CompiledModel.sample` (``data=``).

        Raises
        ------
        EvidenceError
            If the layout differs (a new structure needs a new model).
        """
        check_single_population(trial, self.options.endpoints)
        plan = plan_trial(trial, self.options, self._layout)
        plan.external = self._plan.external
        if plan.structure() != self._plan.structure():
            raise EvidenceError(
                "this trial's evidence has a different layout (entries, visits or arms) "
                "from the model's; build a new LongitudinalModel for it",
                file=trial.path,
            )
        return plan.values()

    # -- building ------------------------------------------------------------------------
    def _build(self) -> pm.Model:
        return build_model(
            self.options, self._layout, self._plan, endpoints=self.endpoints, arms=self.arms,
            scales=self.scales, effect_shapes=self.effect_shapes,
            pooled_endpoints=self.pooled_endpoints,
        )

    # -- data for one compiled model -------------------------------------------------------
    def prior_data(self, prior: EffectPrior | Mapping[str, EffectPrior]) -> dict[str, np.ndarray]:
        r"""Return the prior's data-container values, for ``CompiledModel.sample(data=...)``.

        Parameters
        ----------
        prior : EffectPrior or mapping of str to EffectPrior
            Priors on the standardised, direction-aligned effects at the reference visit
            (endpoint SDs; positive favours the experimental arm). One prior applies to
            every endpoint's :math:`\theta_e`; a mapping is keyed by effect parameter
            (:attr:`effect_parameters`), by endpoint name, or by
            ``"standardised_effect"`` for every endpoint not named otherwise (endpoints
            not covered keep the reference prior).

        Returns
        -------
        dict of str to numpy.ndarray
        """
        if isinstance(prior, EffectPrior):
            prior = {EFFECT: prior}
        endpoints = self.options.endpoints
        known = {EFFECT, *endpoints, *self.effect_parameters}
        unknown = sorted(set(prior) - known)
        if unknown:
            raise SpecError(
                f"unknown prior targets {unknown}; use {EFFECT!r}, an endpoint name or one "
                f"of {list(self.effect_parameters)}",
                field="priors",
            )
        n_e = len(endpoints)
        mean, sd = np.zeros(n_e), np.full(n_e, self.options.reference_prior_sd)
        for i, e in enumerate(endpoints):
            own = prior.get(effect_parameter(e)) or prior.get(e) or prior.get(EFFECT)
            if own is not None:
                mean[i], sd[i] = own.mean, own.sd
        return {f"{EFFECT}_prior_mean": mean, f"{EFFECT}_prior_sd": sd}

    def warnings(self) -> list[str]:
        """Return what a reader must know about the evidence and the grid, one line each.

        The trial's own numbers that could speak to a treatment effect but are not used
        (after the last grid visit, a between-arm difference not marked randomised, no
        measure of precision), each naming its entry and how to use it; visit summaries
        whose standard errors take the number randomised for the number measured (an SD
        without ``n``); numbers read between two grid visits (each naming its entry, its
        time, the two visits and their weights): the trial's on a grid the options set,
        external evidence's on any grid (its times do not join an unset grid). And the
        time grid: the named priors and the headline rows are
        defined at the reference visit; when it lies beyond every endpoint's data, the
        grid (SCOT's 54 months unless the options set another) is not this trial's
        follow-up.
        """
        found = list(self._plan.warnings)
        spans = [span for name in self.options.endpoints
                 if (span := self._effect_span(name)) is not None]
        ref = float(self.options.reference_visit_months)
        if not spans or ref <= max(last for _first, last in spans) + DATUM_TOLERANCE_MONTHS:
            return found
        last = max(hi for _lo, hi in spans)
        return [*found,
                f"longitudinal: the reference visit ({months(ref)}), where the named priors "
                f"and the effects are defined, lies beyond the last datum of every endpoint "
                f"({months(last)}): its rows are extrapolations; set visits_months and "
                "reference_visit_months to the trial's follow-up"]

    def fixed_scales(self) -> tuple[FixedScale, ...]:
        """Return the prior scales the model fixes, with the variables each scales.

        For :func:`bayes_scot.results.constant_sensitivity`: how much each result
        depends on these options, which the data cannot estimate. With them, the Beta
        hyperpriors of the within-patient correlation (``rho_prior``) and of the
        endpoints' shared factor (``endpoint_correlation_prior``), each with its mean as
        value: visit means inform them weakly, so a result may rest on them.
        """
        sds = self.options.smoothing_sds()
        innovation = ("control_slope_innovation" if self.options.trajectory == "piecewise_linear"
                      else "control_level_innovation")
        scales = fixed_scales(self.model, (
            ("trajectory_sd", sds["trajectory_sd"], (innovation,)),
            ("visit_pooling_sd", sds["visit_pooling_sd"], ("effect_visit_innovation",)),
        )) + fixed_scales(self.model, (
            ("control_slope_sd", sds["control_slope_sd"], ("control_slope",)),
        ), kernel_sd=sds["control_slope_sd"])
        for option, variable in (("rho_prior", "rho"),
                                 ("endpoint_correlation_prior", "endpoint_correlation")):
            a, b = getattr(self.options, option)
            scales += fixed_scales(self.model, ((option, a / (a + b), (variable,)),),
                                   beta=(a, b))
        return scales

    def prior_grid(self, *, design_effect: float = 0.5,
                   mcid: float | None = None) -> dict[str, EffectPrior]:
        """Return the package's 13 named priors on a standardised effect.

        One grid for every endpoint; :meth:`effect_prior_grids` defines each endpoint's
        skeptical priors from its own MCID instead.

        Parameters
        ----------
        design_effect : float, default 0.5
            Hoped-for standardised effect (endpoint SDs; 0.5 is a "medium" effect).
        mcid : float, optional
            Standardised MCID for the skeptical priors (default: the design effect).

        Returns
        -------
        dict of str to EffectPrior
        """
        return prior_grid(design_effect=design_effect, benefit="higher",
                          reference_sd=self.options.reference_prior_sd, mcid=mcid)

    def effect_prior_grids(self, *, design_effect: float = 0.5
                           ) -> dict[str, dict[str, EffectPrior]]:
        r"""Return the named grid of every endpoint's effect, keyed by effect parameter.

        Each endpoint's grid is :meth:`prior_grid` with the endpoint's own standardised
        MCID, :math:`|\text{MCID}_e| / \text{SD}_e`, so that a skeptical prior's
        statement ("5% probability of a benefit beyond the MCID") holds on the change
        difference the report shows for that endpoint at the reference visit. An
        endpoint without an MCID takes the design effect.

        The priors are on the standardised, direction-aligned effect (positive favours
        the experimental arm); each statement is written on the estimand it names, the
        change difference at the reference visit in the endpoint's units and with its
        sign (for a lower-is-better endpoint the optimistic priors are centred below 0),
        and says how that difference maps to the standardised effect
        (:meth:`_statement_grid`).

        Parameters
        ----------
        design_effect : float, default 0.5
            Hoped-for standardised effect (endpoint SDs), centre of the optimistic priors.

        Returns
        -------
        dict of str to dict of str to EffectPrior
        """
        grids = {}
        for e in self.options.endpoints:
            mcid = self.mcids.get(e)
            standardised = None if mcid is None else abs(mcid) / self.scales[e]
            statements = self._statement_grid(e, design_effect, mcid)
            grids[effect_parameter(e)] = {
                name: replace(prior, statement=statements[name])
                for name, prior in self.prior_grid(design_effect=design_effect,
                                                   mcid=standardised).items()
            }
        return grids

    def _statement_grid(self, endpoint: str, design_effect: float,
                        mcid: float | None) -> dict[str, str]:
        """Return each named prior's statement on an endpoint's change difference.

        The same grid as :meth:`prior_grid`, built on the difference at the reference
        visit (experimental minus control, in the endpoint's units: the standardised
        effect times the endpoint's SD, negated when lower is better), so that every
        number and side it states is the estimand's own.
        """
        known = self.endpoints[endpoint]
        sd = self.scales[endpoint]
        sign = 1.0 if known.better == "higher" else -1.0
        unit = known.unit or "the endpoint's units"
        on_difference = prior_grid(
            design_effect=sign * design_effect * sd, benefit=known.better,
            reference_sd=self.options.reference_prior_sd * sd,
            mcid=None if mcid is None else sign * abs(mcid),
        )
        experimental, control = self.trial.arm_labels
        mapping = "this difference" if sign > 0 else "minus this difference"
        where = (f"; effect: the {known.label} change difference at "
                 f"{self.options.reference_visit_months:g} months, {experimental} minus "
                 f"{control}, in {unit} ({known.better} is better); the standardised effect "
                 f"(positive favours {experimental}) is {mapping} in SDs of "
                 f"{sd:.3g}{' ' + known.unit if known.unit else ''}")
        return {name: prior.statement + where for name, prior in on_difference.items()}

    def weight_data(self, weight: float | Mapping[str, float]) -> dict[str, np.ndarray]:
        """External-evidence weights for ``CompiledModel.sample(data=...)``.

        Parameters
        ----------
        weight : float or mapping of str to float
            One weight for every external entry, or weights by entry id (others keep
            theirs).

        Returns
        -------
        dict of str to numpy.ndarray
            Empty when the model uses no external evidence.
        """
        if not self._plan.external:
            return {}
        current = column(self._plan.external, "weight")
        for i, row in enumerate(self._plan.external):
            w = weight if not isinstance(weight, Mapping) else weight.get(
                row.term.entry, current[i])
            check_weight(w, f"external_weights.{row.term.entry}")
            current[i] = float(w)
        return {"external_weight": current}

    def rho_data(self, rho: float | None) -> dict[str, np.ndarray]:
        """Fix the within-patient correlation (sensitivity analysis), or free it (``None``).

        Parameters
        ----------
        rho : float or None
            A value in (0, 1), e.g. one of ``options.rho_sensitivity``.

        Returns
        -------
        dict of str to numpy.ndarray
            Empty when no visit vectors enter the model (the correlation then plays no
            part: slopes, baselines and external estimates are single numbers).
        """
        if not self._plan.vectors:
            return {}
        if rho is None:
            return {"rho_fixed": np.asarray(0.0), "rho_fixed_value": np.asarray(0.5)}
        if not 0.0 < float(rho) < 1.0:
            raise SpecError(f"a fixed correlation must lie in (0, 1), not {rho!r}",
                            field="rho_sensitivity")
        return {"rho_fixed": np.asarray(1.0), "rho_fixed_value": np.asarray(float(rho))}

    def smoothing_data(
        self, *, trajectory_sd: float | None = None, visit_pooling_sd: float | None = None
    ) -> dict[str, np.ndarray]:
        """Return smoothing SDs for a sensitivity analysis (see the options).

        Parameters
        ----------
        trajectory_sd, visit_pooling_sd : float, optional
            New values; those not given are left out (keep the model's).

        Returns
        -------
        dict of str to numpy.ndarray
        """
        out: dict[str, np.ndarray] = {}
        names = _data_names(self.model)
        for name, value in (("trajectory_sd", trajectory_sd),
                            ("visit_pooling_sd", visit_pooling_sd)):
            if value is None or name not in names:
                continue
            if not value > 0:
                raise SpecError("must be positive", field=name)
            out[name] = np.asarray(float(value))
        return out

    def pooling_data(self, endpoint_correlation_prior: tuple[float, float]
                     ) -> dict[str, np.ndarray]:
        """Return the Beta prior of the endpoint correlation, for a sensitivity analysis.

        Parameters
        ----------
        endpoint_correlation_prior : tuple of float
            Beta(a, b) hyperparameters (see :class:`LongitudinalOptions`).

        Returns
        -------
        dict of str to numpy.ndarray
            Empty when no endpoints borrow from each other.
        """
        a, b = beta_parameters(endpoint_correlation_prior, "endpoint_correlation_prior")
        if "endpoint_correlation_prior_a" not in _data_names(self.model):
            return {}
        return {"endpoint_correlation_prior_a": np.asarray(a),
                "endpoint_correlation_prior_b": np.asarray(b)}

    # -- outputs ---------------------------------------------------------------------------
    def evidence_detail(self, endpoint: str) -> str:
        """Say in words which evidence drives an endpoint's treatment effect."""
        used = [t for t in self._plan.terms() if t.used and t.endpoint == endpoint]
        parts = []
        trial_ids = sorted({t.entry for t in used if t.source == "trial"})
        external = sorted({(t.entry, t.weight) for t in used if t.source == "external"})
        if trial_ids:
            parts.append(f"{self.trial.name.upper()} data: {', '.join(trial_ids)}")
        if external:
            parts.append("external evidence (discounted, " + self.options.external_method
                         + "): " + ", ".join(f"{i} weight {w:g}" for i, w in external))
        label = self.attribution[endpoint]
        if label in (NO_DATA, "prior only"):
            parts.append(f"no {self.trial.name.upper()} or external evidence on this "
                         "endpoint's treatment effect")
        if endpoint in self.pooled_endpoints:
            donors = [e for e in self.pooled_endpoints
                      if e != endpoint and self.attribution[e] != NO_DATA]
            if donors:
                parts.append("borrows through the endpoint hierarchy from " + ", ".join(
                    f"{d} ({self.attribution[d]})" for d in donors))
        return "; ".join(parts) if parts else "prior only"

    def change_at(self, idata: Any, endpoint: str, visit_months: float) -> np.ndarray:
        """Posterior draws of each arm's mean change from baseline at a time.

        Parameters
        ----------
        idata : arviz.InferenceData
            Posterior of :attr:`model`.
        endpoint : str
            One of :attr:`endpoints`.
        visit_months : float
            A time within the visit grid (after baseline); between grid visits the
            trajectory is interpolated as the likelihood interpolates it.

        Returns
        -------
        numpy.ndarray
            Shape ``(chain, draw, arm)``, arms in the order of :attr:`arms`.

        Raises
        ------
        SpecError
            For an endpoint that is not modelled or a time outside the grid.
        """
        if endpoint not in self.endpoints:
            raise SpecError(f"{endpoint!r} is not modelled", field="endpoint")
        t = float(visit_months)
        if not 0 < t <= self._layout.visits[-1]:
            raise SpecError(f"{t:g} months is outside the visit grid", field="visit_months")
        change = _posterior(idata)["change"].sel(endpoint=endpoint, arm=list(self.arms))
        return np.tensordot(change.transpose("chain", "draw", "arm", "visit").values,
                            self._layout.interpolation(t), axes=([3], [0]))

    def estimands(self, idata: Any) -> list[EstimandDraws]:
        """Experimental-minus-control differences in change from baseline, and in slopes.

        Parameters
        ----------
        idata : arviz.InferenceData
            A posterior of :attr:`model`.

        Returns
        -------
        list of EstimandDraws
            Per endpoint: ``change_difference_<t>`` for every follow-up visit (including
            the reference visit, 54 months by default), then
            ``slope_difference_0_<ref>`` (least-squares slope of the difference over the
            visits up to the reference visit, per year). ``superior`` is the endpoint's
            better direction; ``mcid`` is the MCID on that side (e.g. -0.14 for HAQ-DI);
            ``evidence`` says what drove the estimate (:data:`EVIDENCE_LABELS`); ``attrs``
            carries the estimand population (survivor average), the evidence detail and
            the external weights.
        """
        posterior = _posterior(idata)
        effect = posterior["effect"]
        slope_diff = posterior["slope_difference"]
        ref = self.options.reference_visit_months
        weights = {t.entry: t.weight for t in self._plan.terms()
                   if t.source == "external" and t.used}
        versus = "{} minus {}".format(*self.trial.arm_labels)
        out: list[EstimandDraws] = []
        for name, endpoint in self.endpoints.items():
            better = endpoint.better
            mcid = self.mcids.get(name)
            threshold = None if mcid is None else endpoint.sign * mcid
            attrs = {
                "estimand_population": SURVIVOR_AVERAGE,
                "evidence_detail": self.evidence_detail(name),
                "external_weights": {k: v for k, v in weights.items()
                                     if k in self._external_ids(name)},
                "external_method": self.options.external_method,
                "scale": self.scales[name],
                "effect_shape": self.effect_shapes[name],
                "no_data": self.attribution[name] in (NO_DATA, "prior only"),
                "prior_only": self.attribution[name] == "prior only",
            }
            # The reference visit's difference is sign x scale x the standardised
            # effect, whose marginal prior is the named prior exactly.
            carrier = {"parameter": effect_parameter(name),
                       PARAMETER_TRANSFORM: ("linear", endpoint.sign * self.scales[name])}
            for t in self.options.grid[1:]:
                beyond = self._extrapolated(name, (t, t))
                note = self._outside_note(name, (t, t)) if beyond else ""
                out.append(EstimandDraws(
                    estimand=f"change_difference_{t:g}",
                    label=(f"{endpoint.label} at {months(t)}: {versus} difference "
                           f"in change from baseline (survivor average){note}"),
                    draws=effect.sel(endpoint=name, visit=t).values,
                    mcid=threshold, mcid_source=self.mcid_sources.get(name, ""),
                    endpoint=name, null=0.0, superior=better, unit=endpoint.unit,
                    evidence=self._evidence_text(name, f"to {t:g} months", beyond),
                    attrs={**attrs, "extrapolated": beyond,
                           **(carrier if t == ref else {})},
                    extrapolated=beyond,
                ))
            beyond = self._extrapolated(name, (0.0, ref))
            note = self._outside_note(name, (0.0, ref)) if beyond else ""
            out.append(EstimandDraws(
                estimand=f"slope_difference_0_{ref:g}",
                label=(f"{endpoint.label}: {versus} difference in slope over 0-{ref:g} "
                       f"months, per year (survivor average){note}"),
                draws=slope_diff.sel(endpoint=name).values,
                unit=f"{endpoint.unit} per year".strip(),
                endpoint=name, null=0.0, superior=better,
                evidence=self._evidence_text(name, f"over 0-{ref:g} months", beyond),
                attrs={**attrs, "extrapolated": beyond}, extrapolated=beyond,
            ))
        return out

    def _effect_span(self, endpoint: str) -> tuple[float, float] | None:
        """Return the first and last months of the endpoint's effect evidence.

        A slope's window counts whole; ``None`` when the endpoint has no such evidence.
        """
        spans = [span for term in self._effect_terms(endpoint)
                 if (span := term.span) is not None]
        if not spans:
            return None
        return min(lo for lo, _hi in spans), max(hi for _lo, hi in spans)

    def _outside_note(self, endpoint: str, times: tuple[float, float]) -> str:
        """Return the label's note for months outside the endpoint's effect evidence.

        An endpoint without evidence of its own on the treatment effect is outside it
        everywhere: its note says so and where its rows come from (its prior, or the
        other endpoints through the hierarchy; the words the report's figures use), not a
        last datum it does not have.
        """
        span = self._effect_span(endpoint)
        if span is None:
            source = ("its prior" if self.attribution[endpoint] == "prior only"
                      else "predicted from the other endpoints")
            return f" (no data: {source})"
        first, last = span
        if max(times) > last + DATUM_TOLERANCE_MONTHS:
            return f" (extrapolated beyond the last datum at {months(last)})"
        return (f" (before the first datum at {first:g} months: the model's trajectory from "
                "baseline, where the difference is zero)")

    def _effect_terms(self, endpoint: str) -> list[EvidenceTerm]:
        """Return the used numbers of ``endpoint`` that speak to its treatment effect."""
        return [t for t in self._plan.terms() if t.used and t.endpoint == endpoint
                and (t.informs_effect or t.source == "external")]

    def _extrapolated(self, endpoint: str, times: tuple[float, float]) -> bool:
        """Whether the months ``times`` reach outside the endpoint's effect evidence.

        The evidence spans from its earliest to its latest time (a slope's window counts
        whole), widened by :data:`DATUM_TOLERANCE_MONTHS` on each side (a 12-month row is
        within data that end at 52 weeks, 11.96 months); baseline, where the effect is
        zero by definition, is covered. An endpoint without evidence of its own is
        extrapolated everywhere.
        """
        span = self._effect_span(endpoint)
        if span is None:
            return True
        first, last = span
        tol = DATUM_TOLERANCE_MONTHS
        return any(t > 0 and not first - tol <= t <= last + tol for t in times)

    def _evidence_text(self, endpoint: str, where: str, extrapolated: bool) -> str:
        """Describe what drove one estimand: evidence category, external weights and times.

        E.g. "external: Maltez N et al, non-randomised cohort, at 12 months, weight 0.5;
        carried to 54 months".
        """
        label = self.attribution[endpoint]
        external = [t for t in self._effect_terms(endpoint) if t.source == "external"]
        parts = []
        for term in external:
            when = f"at {term.time_months:g} months"
            if term.model_time_months is not None and term.model_time_months != term.time_months:
                when += f" (taken at {term.model_time_months:g})"
            parts.append(f"{term.study}, {term.design}, {when}, weight {term.weight:g}")
        text = label + (": " + "; ".join(parts) if parts else "")
        # The trial's own numbers from another population than the analysis's (SCOT's
        # FVC slopes are per-protocol in an intention-to-treat analysis) say so.
        others = sorted({t.population for t in self._effect_terms(endpoint)
                         if t.source == "trial" and t.population != self.trial.population})
        if others:
            named = [self.trial.populations[p].label if p in self.trial.populations else p
                     for p in others]
            text += f" ({', '.join(n.lower() for n in named)} population)"
        if extrapolated and label not in (NO_DATA, "prior only"):
            text += f"; carried {where}"
        return text

    def _external_ids(self, endpoint: str) -> set[str]:
        return {r.term.entry for r in self._plan.external if r.term.endpoint == endpoint}

    def reproduce(self, idata: Any, *, seed: int = DEFAULT_SEED) -> pd.DataFrame:
        """Reproduce the published numbers the model used, by posterior prediction.

        Parameters
        ----------
        idata : arviz.InferenceData
        seed : int, optional
            Seed of the sampling noise added to the model's means.

        Returns
        -------
        pandas.DataFrame
            One row per used number: ``trial, entry, endpoint, population, arm,
            time_months, statistic, published, median, lower, upper, outside`` (central
            :data:`~bayes_scot.conventions.CREDIBLE_LEVEL` predictive interval; ``outside``
            when the published number falls outside it), plus ``source`` and ``weight``.
            Arm slopes that entered as a pair are followed by their published contrast
            (``statistic`` ``"slope_difference"``, ``arm`` empty), predicted as the
            difference of the two arms' predictions.

        Notes
        -----
        The prediction of a published number is the model's value of the same quantity
        plus normal noise with the number's standard error (its sampling error). For
        external estimates this shows conflict between the source and the model, not a
        failure: they describe other patients.
        """
        rows = [*self._plan.independent,
                *(r for g in self._plan.vectors.values() for r in g),
                *self._plan.external]
        if not rows:
            return pd.DataFrame(columns=_REPRODUCE_COLUMNS)
        state = self._state_draws(idata)
        coefficients = matrix(rows)
        means = state @ coefficients.T  # (samples, rows)
        se = column(rows, "se")
        rng = np.random.default_rng(seed)
        predictive = means + rng.normal(size=means.shape) * se
        alpha = (1.0 - CREDIBLE_LEVEL) / 2.0
        terms = [r.term for r in rows]
        for i, j in slope_pairs(terms, self.arms):
            predictive = np.column_stack([predictive, predictive[:, i] - predictive[:, j]])
            terms.append(replace(terms[i], arm=None, statistic="slope_difference",
                                 published=terms[i].published - terms[j].published))
        lower, median, upper = np.quantile(predictive, [alpha, 0.5, 1.0 - alpha], axis=0)
        records = []
        for i, t in enumerate(terms):
            records.append({
                "trial": t.study, "entry": t.entry, "endpoint": t.endpoint,
                "population": t.population, "arm": t.arm, "time_months": t.time_months,
                "statistic": t.statistic, "published": t.published,
                "median": median[i], "lower": lower[i], "upper": upper[i],
                "outside": bool(t.published < lower[i] or t.published > upper[i]),
                "source": t.source, "weight": t.weight,
            })
        return pd.DataFrame.from_records(records, columns=_REPRODUCE_COLUMNS)

    def _state_draws(self, idata: Any) -> np.ndarray:
        posterior = _posterior(idata)
        change = posterior["change"].transpose("chain", "draw", "endpoint", "arm", "visit")
        baseline = posterior["baseline"].transpose("chain", "draw", "endpoint")
        c = change.to_numpy().reshape(-1, self._layout.size - self._layout.n_e)
        b = baseline.to_numpy().reshape(-1, self._layout.n_e)
        return np.concatenate([c, b], axis=1)

    def borrowing(self, idata: Any) -> pd.DataFrame:
        """Return :meth:`endpoint_pooling` (this method's former name)."""
        return self.endpoint_pooling(idata)

    def endpoint_pooling(self, idata: Any,
                         prior: EffectPrior | Mapping[str, EffectPrior] | None = None
                         ) -> pd.DataFrame:
        """Tabulate how much each endpoint's effect borrows from the other endpoints.

        See :func:`bayes_scot.builders.longitudinal.pooling.endpoint_pooling` for the
        arguments, the columns and the method.
        """
        return endpoint_pooling(self, idata, prior)

    def __repr__(self) -> str:
        labels = ", ".join(f"{e}: {self.attribution[e]}" for e in self.options.endpoints)
        return f"<LongitudinalModel {self.trial.name!r} ({self.trial.population}); {labels}>"


_REPRODUCE_COLUMNS = [
    "trial", "entry", "endpoint", "population", "arm", "time_months", "statistic",
    "published", "median", "lower", "upper", "outside", "source", "weight",
]


def _data_names(model: pm.Model) -> set[str]:
    return {v.name for v in model.data_vars}


def _posterior(idata: Any) -> Any:
    return _compat.get_group(idata, "posterior")
