"""Simulated trials for every model family: parameters from the prior, data from the model.

A simulator turns a built model (a builder of :mod:`bayes_scot.builders`) into a source of
simulated data sets of exactly the shapes of the trial's evidence, at the trial's design
(arm sizes, landmarks, visits), so that every simulated trial is one more data set of the
same compiled model.

* Families whose likelihood is written with observed variables (composite, longitudinal)
  are simulated by PyMC's prior predictive sampling: each observed variable's draw
  replaces its data container.
* The survival model's likelihood is a set of terms on counts (``pm.Potential``); its
  data are simulated patient by patient from the illness-death process with the drawn
  transition hazards (:func:`bayes_scot.stats.illness_death.simulate_paths`), then
  summarised as the evidence is: state counts at a landmark, counts at a later landmark
  of the same patients, deaths by an earlier time among the deaths by a landmark. The
  counts enter the likelihood with no censoring before the landmark, as the evidence
  does, so the simulated patients are not censored either. A published "at least k
  deaths by t" becomes the simulated trial's exact count, which the likelihood reads as
  a lower bound (it uses less than the simulated data hold; the ranks show whether that
  matters).

Quantities whose ranks are checked: every scalar free parameter, and for the survival
model the HSCT-minus-CYC differences in event-free and overall survival at the
estimand times the model's curves hold.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np

from bayes_scot import _compat
from bayes_scot.calibration.simulator_base import (
    ObservedSimulator,
    Quantity,
    Simulator,
    _element,
)
from bayes_scot.calibration.survival_simulators import (
    PiecewiseExponentialSimulator,
    SurvivalSimulator,
    rate_ratio,
    span_transition,
)
from bayes_scot.errors import SpecError

__all__ = [
    "LongitudinalSimulator",
    "ObservedSimulator",
    "PiecewiseExponentialSimulator",
    "Quantity",
    "Simulator",
    "SurvivalSimulator",
    "make_simulator",
    "rate_ratio",
    "span_transition",
]


class LongitudinalSimulator(ObservedSimulator):
    """The longitudinal model: its standardised effects ranked, and trials at a true effect.

    The decision rule reads the standardised effect at the reference visit of the first
    endpoint with evidence of its own (each endpoint's effect has the named prior as its
    marginal prior); its MCID is that endpoint's standardised MCID (``|MCID| / SD``).
    """

    def _in_hierarchy(self) -> tuple[str, ...]:
        b = self.builder
        pooled = tuple(b.pooled_endpoints)
        return pooled or tuple(e for e in b.options.endpoints
                               if b.attribution[e] != "prior only")

    def _mcid(self, endpoint: str) -> float | None:
        b = self.builder
        mcid = b.mcids.get(endpoint)
        return None if mcid is None else abs(mcid) / b.scales[endpoint]

    def _effect(self) -> dict[str, Any]:
        return {}

    def _derived(self) -> tuple[Quantity, ...]:
        # The standardised effect at the reference visit of every endpoint with evidence.
        endpoints = list(self.builder.options.endpoints)
        names = {rv.name for rv in self.builder.model.free_RVs}
        out: list[Quantity] = []
        for e in self._in_hierarchy():
            i = endpoints.index(e)
            element = functools.partial(_element, name="standardised_effect", i=i)
            first = not out
            out.append(Quantity(f"standardised_effect_{e}", ("standardised_effect",), element,
                                benefit="higher" if first else None,
                                mcid=self._mcid(e) if first else None))
            if "control_slope" in names:
                out.append(Quantity(f"control_slope_{e}", ("control_slope",),
                                    functools.partial(_element, name="control_slope", i=i)))
        return tuple(out)

    def datasets_at_effect(
        self, effect: float, n: int, rng: np.random.Generator,
        design: Mapping[str, Any] | None = None,
    ) -> list[dict[str, np.ndarray]]:
        """Trials simulated with a true standardised effect on every endpoint.

        The effect is ``effect`` endpoint SDs at every follow-up visit (``step`` and
        ``random_walk`` endpoints) or growing linearly to it at the reference visit
        (``linear``). Every other parameter on its own scale (control trajectories,
        baselines) is at its prior mean, as the survival family's baseline hazards are;
        parameters on a transformed scale (a correlation, a pooling SD) are drawn from
        their prior. The trial's summaries are drawn from the likelihood at those values.
        External evidence keeps its published values and weight: it is prior
        information of the analysis.

        Parameters
        ----------
        effect : float
        n : int
        rng : numpy.random.Generator
        design : mapping, optional
            Unused (the design is the built model's).

        Returns
        -------
        list of dict
            Evidence data values only.
        """
        import pymc as pm

        model = self.builder.model
        start = model.initial_point()
        fixed = {rv.name: np.asarray(start[rv.name]) for rv in model.free_RVs
                 if model.rvs_to_values[rv].name == rv.name}
        fixed["standardised_effect"] = np.full(len(self.builder.options.endpoints),
                                               float(effect))
        if "effect_visit_innovation" in fixed:
            fixed["effect_visit_innovation"] = np.zeros_like(fixed["effect_visit_innovation"])
        with warnings.catch_warnings(), _compat.quiet_pymc():
            warnings.filterwarnings("ignore", ".*Potential.*", UserWarning)
            draws = pm.sample_prior_predictive(
                draws=n, model=pm.do(model, fixed), var_names=list(self.observed),
                random_seed=rng, return_inferencedata=False,
            )
        return [{data: np.asarray(draws[rv])[i] for rv, data in self.observed.items()}
                for i in range(n)]


def make_simulator(builder: Any, family: str) -> Simulator:
    """Return the simulator of a built family.

    Parameters
    ----------
    builder : object
        ``SurvivalModel``, ``LongitudinalModel`` or ``CompositeModel``.
    family : str

    Returns
    -------
    Simulator

    Raises
    ------
    SpecError
        If the family holds evidence the simulator cannot generate.
    """
    if type(builder).__name__ == "SurvivalModel":
        return SurvivalSimulator(builder, family)
    if type(builder).__name__ == "PiecewiseExponentialModel":
        return PiecewiseExponentialSimulator(builder, family)
    if type(builder).__name__ == "LongitudinalModel":
        return LongitudinalSimulator(builder, family)
    if not builder.model.observed_RVs:
        raise SpecError(f"the {family} model has no observed variables to simulate",
                        field=family)
    return ObservedSimulator(builder, family)
