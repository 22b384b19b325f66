"""The simulators' shared parts: the quantities ranked and the prior-predictive simulator.

:class:`Simulator` draws parameters from a built model's prior and holds the quantities
whose ranks a calibration checks; :class:`ObservedSimulator` simulates the families whose
likelihood is written with observed variables by PyMC's prior predictive sampling.
:mod:`bayes_scot.calibration.simulate` picks a family's simulator.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from bayes_scot import _compat
from bayes_scot.errors import SpecError

__all__ = ["ObservedSimulator", "Quantity", "Simulator"]


@dataclass(frozen=True)
class Quantity:
    """A scalar quantity whose rank is checked, computed from named model variables.

    Attributes
    ----------
    name : str
    variables : tuple of str
        Model variables it needs.
    compute : callable
        ``compute(arrays) -> array``: from a mapping of variable draws with any leading
        axes to the quantity with the same leading axes.
    benefit : {"lower", "higher"} or None
        Direction that favours the experimental arm, for P(superior); None for a
        nuisance parameter.
    mcid : float or None
        Clinically important threshold on the same scale, for P(superior by the MCID).
    """

    name: str
    variables: tuple[str, ...]
    compute: Callable[[Mapping[str, np.ndarray]], np.ndarray]
    benefit: str | None = None
    mcid: float | None = None


def _scalar(name: str, **kwargs: Any) -> Quantity:
    return Quantity(name, (name,), lambda a: np.asarray(a[name]), **kwargs)


class Simulator:
    """Draws parameters from the prior and simulated data sets from the model.

    Parameters
    ----------
    builder : object
        A built model family (``SurvivalModel``, ``LongitudinalModel``,
        ``CompositeModel``).
    family : str
        The family's name in the spec.
    """

    def __init__(self, builder: Any, family: str) -> None:
        self.builder = builder
        self.family = family
        model = builder.model
        scalars = [rv.name for rv in model.free_RVs if rv.type.ndim == 0]
        effect = self._effect()
        self.quantities: tuple[Quantity, ...] = tuple(
            self._scalar_quantity(n, effect) for n in scalars
        ) + self._derived()

    # -- what is checked ---------------------------------------------------------------
    def _effect(self) -> dict[str, Any]:
        return {}

    def _scalar_quantity(self, name: str, effect: Mapping[str, Any]) -> Quantity:
        if effect and effect.get("variable") == name:
            return _scalar(name, benefit=effect["benefit"], mcid=effect.get("mcid"))
        return _scalar(name)

    def _derived(self) -> tuple[Quantity, ...]:
        return ()

    @property
    def variables(self) -> tuple[str, ...]:
        """Model variables the quantities need."""
        return tuple(dict.fromkeys(v for q in self.quantities for v in q.variables))

    @property
    def headline(self) -> Quantity:
        """The effect quantity the decision rule reads."""
        return next(q for q in self.quantities if q.benefit is not None)

    # -- simulation ----------------------------------------------------------------------
    def prior_draws(
        self, prior_data: Mapping[str, np.ndarray], n: int, seed: int, extra: tuple[str, ...]
    ) -> dict[str, np.ndarray]:
        """Draw ``n`` sets of the model's variables from the prior (prior predictive)."""
        import pymc as pm

        model = self.builder.model
        _compat.set_data(model, prior_data)
        names = list(dict.fromkeys([*self.variables, *extra]))
        with warnings.catch_warnings(), _compat.quiet_pymc():
            # The survival likelihood is a set of potentials, which prior predictive
            # sampling leaves out: exactly what a draw from the prior needs.
            warnings.filterwarnings("ignore", ".*Potential.*", UserWarning)
            draws = pm.sample_prior_predictive(
                draws=n, model=model, var_names=names, random_seed=seed,
                return_inferencedata=False,
            )
        return {name: np.asarray(draws[name]) for name in names}

    def simulate(
        self, prior_data: Mapping[str, np.ndarray], n: int, seed: int
    ) -> tuple[dict[str, np.ndarray], list[dict[str, np.ndarray]]]:
        """Simulate ``n`` trials under the prior.

        Parameters
        ----------
        prior_data : mapping
            The prior's data values (``builder.prior_data(prior)``).
        n : int
        seed : int

        Returns
        -------
        truth : dict of str to numpy.ndarray
            Per quantity, the ``n`` true values.
        datasets : list of dict
            Per trial, the data values of the compiled model (prior and simulated
            evidence).
        """
        raise NotImplementedError


class ObservedSimulator(Simulator):
    """Families with observed variables: prior predictive draws replace their data."""

    def __init__(self, builder: Any, family: str) -> None:
        super().__init__(builder, family)
        model = builder.model
        self.observed = {rv.name: model.rvs_to_values[rv].name for rv in model.observed_RVs}
        self.fixed: dict[str, np.ndarray] = {}
        options = getattr(builder, "options", None)

        data = _compat.data_values(model)
        if "external_weight" in data:
            if getattr(options, "external_method", "power") != "power":
                raise SpecError(
                    "calibration needs the power prior for external evidence: its zero "
                    "weight leaves the external estimates out of the simulated trials",
                    field=f"{family}.options.external_method",
                )
            # External estimates are discounted prior information, not data the model
            # generates: calibration fits the trial's own evidence.
            self.fixed["external_weight"] = np.zeros_like(data["external_weight"])

    def _effect(self) -> dict[str, Any]:
        names = {rv.name for rv in self.builder.model.free_RVs if rv.type.ndim == 0}
        for candidate in ("net_benefit", "log_win_odds"):
            if candidate in names:
                return {"variable": candidate, "benefit": "higher"}
        return {}

    def simulate(
        self, prior_data: Mapping[str, np.ndarray], n: int, seed: int
    ) -> tuple[dict[str, np.ndarray], list[dict[str, np.ndarray]]]:
        """Simulate ``n`` trials under the prior (:meth:`Simulator.simulate`)."""
        draws = self.prior_draws(prior_data, n, seed, tuple(self.observed))
        truth = {q.name: q.compute(draws).reshape(n) for q in self.quantities}
        datasets = [
            {**prior_data, **self.fixed,
             **{data: draws[rv][i] for rv, data in self.observed.items()}}
            for i in range(n)
        ]
        return truth, datasets


def _element(a: Mapping[str, np.ndarray], *, name: str, i: int) -> np.ndarray:
    """Return element ``i`` of the last axis of variable ``name`` (one endpoint's value)."""
    return np.asarray(a[name])[..., i]
