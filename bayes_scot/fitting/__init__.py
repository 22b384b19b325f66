"""Layer 6: compile a model once, sample it for every prior and data set, diagnose it.

* :class:`SamplerSettings`: draws, tuning, chains, target acceptance, backend.
* :func:`compile_model` -> :class:`CompiledModel`, cached per model structure for the
  process; :meth:`CompiledModel.sample` sets data containers (evidence and prior
  hyperparameters) without recompiling and returns ArviZ ``InferenceData`` with the
  model's named dims; :meth:`CompiledModel.sample_many` fits a whole prior grid.
* :func:`diagnose` -> :class:`Diagnostics` (R-hat, bulk ESS, divergences).

The default backend is nutpie (numba). ``blackjax`` compiles the whole sampler with JAX,
in seconds rather than nutpie's minute of numba compilation on a new machine, and samples
a prior grid as one vectorised batch; the shipped specs use it for the survival model.
PyMC's NUTS is the fallback. The choices were made on measurements of the SCOT models
(``benchmarks/README.md``).

Examples
--------
>>> from bayes_scot.fitting import SamplerSettings, compile_model, diagnose
>>> compiled = compile_model(builder.model, key=builder.structure_key)  # doctest: +SKIP
>>> idata = compiled.sample(builder.prior_data(prior), seed=1)  # doctest: +SKIP
>>> diagnose(idata).passed  # doctest: +SKIP
True
"""

from bayes_scot.fitting.compiled import (
    CacheInfo,
    CompiledModel,
    cache_info,
    clear_cache,
    compile_model,
)
from bayes_scot.fitting.diagnostics import Diagnostics, diagnose
from bayes_scot.fitting.settings import BACKENDS, SamplerSettings

__all__ = [
    "BACKENDS",
    "CacheInfo",
    "CompiledModel",
    "Diagnostics",
    "SamplerSettings",
    "cache_info",
    "clear_cache",
    "compile_model",
    "diagnose",
]
