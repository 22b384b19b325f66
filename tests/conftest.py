"""Fixtures shared by several test modules."""

from __future__ import annotations

import sys
import types
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import pytest

from bayes_scot.data import load_trial
from bayes_scot.evidence import Trial


@pytest.fixture(scope="session")
def scot_all() -> Trial:
    """SCOT with every population's evidence (the survival builder selects one)."""
    return load_trial("scot", population="all")


class _SequentialFits:
    """A stand-in compiled model that samples one data set after another."""

    batches = False

    def __init__(self, compiled: Any) -> None:
        self.compiled = compiled

    def iter_samples(self, datasets: Mapping[str, Any], *, settings: Any, seed: int,
                     log_likelihood: Any = False) -> Iterator[tuple[str, Any]]:
        for name, data in datasets.items():
            yield name, self.compiled.sample(data, settings=settings, seed=seed)


@pytest.fixture
def install_stand_in_families(monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    """Return a function that swaps the model families for stand-in classes.

    The stand-ins build no PyMC model: ``compile_model`` returns ``compiled`` (an object
    with ``sample(data, *, settings, seed, log_likelihood)``, given the rest of the
    :class:`~bayes_scot.fitting.CompiledModel` interface here) and ``diagnose`` returns
    ``diagnostics``, so the reanalysis runner is tested on its own.
    """
    import bayes_scot.fitting
    import bayes_scot.reanalysis.runner as reanalysis_module
    import bayes_scot.spec.records as spec_module
    from bayes_scot.builders.base import Family

    def install(classes: Mapping[str, type], options: type, compiled: Any,
                diagnostics: Any) -> None:
        module = types.ModuleType("stand_in_families")
        for cls in (options, *classes.values()):
            setattr(module, cls.__name__, cls)
        monkeypatch.setitem(sys.modules, module.__name__, module)
        families = {name: Family(module.__name__, cls.__name__, options.__name__)
                    for name, cls in classes.items()}
        monkeypatch.setattr(spec_module, "FAMILIES", families)
        monkeypatch.setattr(reanalysis_module, "FAMILIES", families)
        monkeypatch.setattr(bayes_scot.fitting, "compile_model",
                            lambda model, backend, key: _SequentialFits(compiled))
        monkeypatch.setattr(bayes_scot.fitting, "diagnose",
                            lambda idata, var_names=None: diagnostics)

    return install


@pytest.fixture(scope="session")
def scot_survival() -> dict[str, Any]:
    """The survival options of the shipped SCOT analyses, by population.

    The shipped specs set SCOT's interval grid, estimand times and baseline hazards; a
    model built without options takes them from the trial's follow-up instead.
    """
    from bayes_scot.spec import load_spec

    return {population: load_spec(f"scot_{population}").family("survival").options_object()
            for population in ("itt", "pp")}


#: Settings of the shared reduced reanalysis: enough draws for every quantile to exist, few
#: enough for CI; far too few for the diagnostics gate (flagged rows are expected).
QUICK_REANALYSIS: dict[str, Any] = {"draws": 150, "tune": 150, "chains": 2,
                                    "priors": ["reference", "skeptical_strong"]}


@pytest.fixture(scope="session")
def quick_reanalysis() -> Any:
    """The default reanalysis at :data:`QUICK_REANALYSIS`, fitted once per session.

    Slow: it compiles and samples every family. Shared by the end-to-end tests and the
    documentation's examples.
    """
    import warnings

    from bayes_scot.reanalysis import reanalyse

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*BLAS.*")
        return reanalyse(progress=False, **QUICK_REANALYSIS)


@pytest.fixture
def no_model_is_built(monkeypatch: pytest.MonkeyPatch) -> None:
    """Building a model fails the test: every hostile input must be refused before.

    Modules of hostile inputs use it for every test (``pytestmark``).
    """
    import bayes_scot.reanalysis.runner as reanalysis

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a model was built for a hostile input")

    monkeypatch.setattr(reanalysis._Runner, "build", refuse)
    monkeypatch.setattr(reanalysis._Runner, "start_family", refuse)
