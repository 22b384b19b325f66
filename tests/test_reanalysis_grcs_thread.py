"""The model-based GRCS starts on its own thread as soon as both reference fits exist.

A stand-in runner records where and with what the GRCS is computed; no model is fitted.
"""

from __future__ import annotations

import threading
from types import SimpleNamespace
from typing import Any

import pytest

import bayes_scot.stats.win.kernel as kernel
from bayes_scot.reanalysis.runner import _ModelBasedGrcs


class _StandInRunner:
    def __init__(self, active: bool = True) -> None:
        self.spec = SimpleNamespace(reference_prior="reference")
        self.active = active
        self.calls: list[tuple[str, list[str]]] = []
        self.lines: list[str] = []

    def runs_model_based_grcs(self) -> bool:
        return self.active

    def model_based_grcs(self, builders: Any, fits: Any, trials: Any) -> Any:
        self.calls.append((threading.current_thread().name,
                           [f"{f.family}/{f.prior}" for f in fits]))
        return SimpleNamespace(prior="reference", seconds=0.5)

    def say(self, line: str) -> None:
        self.lines.append(line)


def _fit(family: str, prior: str, route: str = "") -> Any:
    return SimpleNamespace(family=family, prior=prior, route=route)


@pytest.fixture(autouse=True)
def _no_kernel_compilation(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(kernel, "compile_kernel", lambda: None)


def test_it_starts_on_its_thread_once_both_reference_fits_are_offered() -> None:
    runner = _StandInRunner()
    fits = [_fit("survival", "reference"), _fit("survival", "neutral_weak"),
            _fit("composite", "reference"), _fit("longitudinal", "neutral_weak")]
    with _ModelBasedGrcs(runner, {}, {}) as grcs:  # type: ignore[arg-type]
        for fit in fits:
            grcs.offer(fit)
        assert grcs.future is None  # the longitudinal reference fit is still missing
        grcs.offer(_fit("longitudinal", "reference"))
        grcs.offer(_fit("survival", "reference"))  # offered again: started once only
        fit = grcs.result(fits)
    assert fit.seconds == 0.5
    ((thread, used),) = runner.calls
    assert thread.startswith("bayes-scot-grcs")
    assert used == ["survival/reference", "longitudinal/reference"]
    assert runner.lines == ["bayes-scot: composite (model-based) reference: 0.5 s from the "
                            "survival and longitudinal reference fits"]


def test_without_both_reference_fits_it_is_computed_at_the_end_from_every_fit() -> None:
    runner = _StandInRunner()
    fits = [_fit("survival", "reference"), _fit("longitudinal", "reference", route="direct")]
    with _ModelBasedGrcs(runner, {}, {}) as grcs:  # type: ignore[arg-type]
        for fit in fits:
            grcs.offer(fit)
        grcs.result(fits)
    ((thread, used),) = runner.calls
    assert thread == threading.current_thread().name
    assert used == ["survival/reference", "longitudinal/reference"]


def test_an_analysis_without_it_computes_nothing() -> None:
    runner = _StandInRunner(active=False)
    with _ModelBasedGrcs(runner, {}, {}) as grcs:  # type: ignore[arg-type]
        grcs.offer(_fit("survival", "reference"))
        grcs.offer(_fit("longitudinal", "reference"))
        assert grcs.result([]) is None
    assert runner.calls == []
    assert runner.lines == []
