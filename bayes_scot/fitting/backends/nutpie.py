"""nutpie's NUTS (Rust) on a numba-compiled log density: the default backend."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from bayes_scot import _compat
from bayes_scot.fitting.backends.base import Backend, DataPack
from bayes_scot.fitting.deterministics import model_deterministics
from bayes_scot.fitting.numba_cache import compile_nutpie_numba
from bayes_scot.fitting.settings import SamplerSettings

if TYPE_CHECKING:  # pragma: no cover
    import pymc as pm

__all__ = ["NutpieBackend"]


class NutpieBackend(Backend):
    """nutpie's NUTS on a numba-compiled log density and gradient.

    The data containers are packed into one vector
    (:class:`~bayes_scot.fitting.backends.base.DataPack`), which becomes nutpie's only
    "shared data": :meth:`sample` swaps its value with
    ``CompiledPyMCModel.with_data``, which copies arrays and never recompiles.

    Only the free variables are compiled into the sampler's callback; the model's
    deterministics are computed after sampling for all draws at once
    (:class:`~bayes_scot.fitting.deterministics.DeterministicsFunction`). Compiling them
    into the numba callback would cost seconds per model structure for no gain in
    sampling.

    References
    ----------
    .. [1] Seyboldt A et al. nutpie: a fast NUTS sampler for PyMC and Stan models.
       https://github.com/pymc-devs/nutpie
    """

    name = "nutpie"

    def __init__(self, template: pm.Model) -> None:
        super().__init__(template)
        self._pack = DataPack(template)
        packed = self._pack.model
        self._compiled = compile_nutpie_numba(
            packed, var_names=[rv.name for rv in packed.free_RVs]
        )
        self._deterministics = model_deterministics(template)

    def sample(  # noqa: D102
        self, values: Mapping[str, np.ndarray], settings: SamplerSettings, seed: int
    ) -> Any:
        import nutpie

        compiled = self._compiled
        if DataPack.NAME in compiled.shared_data:
            compiled = compiled.with_data(**{DataPack.NAME: self._pack.pack(values)})
        idata = nutpie.sample(
            compiled,
            draws=settings.draws,
            tune=settings.tune,
            chains=settings.chains,
            cores=settings.n_cores,
            seed=int(seed),
            target_accept=settings.target_accept,
            maxdepth=settings.max_treedepth,
            progress_bar=settings.progressbar,
            save_warmup=False,
        )
        self._deterministics.add_to(_compat.get_group(idata, "posterior"))
        return idata
