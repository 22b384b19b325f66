"""PyMC's own NUTS with a C-compiled log density: the fallback backend."""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from bayes_scot import _compat
from bayes_scot.fitting.backends.base import Backend
from bayes_scot.fitting.settings import SamplerSettings

if TYPE_CHECKING:  # pragma: no cover
    import pymc as pm

__all__ = ["PymcBackend"]


class PymcBackend(Backend):
    """PyMC's NUTS with one step method per target acceptance, built once and reused.

    The step method holds the compiled log density and gradient; its graph reads the
    template model's shared variables, so setting their values changes the data without
    recompiling. PyMC resets the step size and mass-matrix adaptation at the start of
    every run, so reusing a step method does not carry tuning from one fit to the next.
    """

    name = "pymc"

    def __init__(self, template: pm.Model) -> None:
        super().__init__(template)
        self._steps: dict[tuple[float, int], Any] = {}
        default = SamplerSettings()
        self._step(default.target_accept, default.max_treedepth)

    def _step(self, target_accept: float, max_treedepth: int) -> Any:
        key = (target_accept, max_treedepth)
        if key not in self._steps:
            import pymc as pm

            with self.template:
                self._steps[key] = pm.NUTS(
                    target_accept=target_accept, max_treedepth=max_treedepth
                )
        return self._steps[key]

    def sample(  # noqa: D102
        self, values: Mapping[str, np.ndarray], settings: SamplerSettings, seed: int
    ) -> Any:
        step = self._step(settings.target_accept, settings.max_treedepth)
        with warnings.catch_warnings():
            # PyMC's own convergence checks are off (diagnose() does them); the remaining
            # notice about the number of chains is irrelevant to our settings.
            warnings.filterwarnings("ignore", message=".*chains.*", category=UserWarning)
            return _compat.pymc_sample(
                self.template,
                step=step,
                draws=settings.draws,
                tune=settings.tune,
                chains=settings.chains,
                cores=settings.n_cores,
                seed=int(seed),
                progressbar=settings.progressbar,
            )
