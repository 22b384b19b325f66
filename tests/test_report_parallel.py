"""Figures shared with a helper process: the same bytes and notes as drawing them here.

The figures are SIMULATED normal densities; nothing below is trial data.
"""

from __future__ import annotations

import operator
import time
from functools import partial
from typing import Any

import pytest

import bayes_scot.report.parallel as parallel
from bayes_scot import plots
from bayes_scot.report.png import render


def _draws(n: int) -> list[Any]:
    return [partial(plots.plot_prior_posterior, (0.0, 0.4 + 0.05 * k), (-0.5, 0.2),
                    label=f"log hazard ratio {k}") for k in range(n)]


def test_helper_gives_the_bytes_and_notes_of_a_serial_run(
        monkeypatch: pytest.MonkeyPatch) -> None:
    bad_sd = partial(plots.plot_prior_posterior, (0.0, -1.0), (0.0, 1.0), label="x")
    draws = [*_draws(7), bad_sd, lambda: plots.plot_prior_posterior((0.0, 1.0), (0.0, 0.5),
                                                                    label="drawn here")]
    serial = parallel.render_all(draws, helper=False)
    calls = []

    def slow_render(draw: Any) -> Any:
        # One second per figure here gives the helper (a fresh interpreter importing
        # matplotlib and the package, a few seconds) time to take some figures.
        calls.append(draw)
        time.sleep(1.0)
        return render(draw)

    monkeypatch.setattr(parallel, "render", slow_render)
    shared = parallel.render_all(draws, helper=True)
    assert len(calls) < len(draws), "the helper drew none of the figures"
    assert draws[-1] in calls  # an unpicklable drawing stays here
    assert [type(o) for o in shared] == [type(o) for o in serial]
    for a, b in zip(shared, serial, strict=True):
        if isinstance(a, bytes):
            assert a == b
        else:
            assert isinstance(a, ValueError)
            assert str(a) == str(b)


def test_the_figures_named_first_are_started_first_and_returned_in_place(
        monkeypatch: pytest.MonkeyPatch) -> None:
    draws = _draws(5)
    serial = parallel.render_all(draws, helper=False)
    order: list[int] = []

    def recording_render(draw: Any) -> Any:
        order.append(draws.index(draw))
        return render(draw)

    monkeypatch.setattr(parallel, "render", recording_render)
    # Repeats and indices past the end are ignored.
    assert parallel.render_all(draws, helper=False, first=[3, 1, 3, 9]) == serial
    assert order == [3, 1, 0, 2, 4]


def test_a_helper_that_cannot_start_or_dies_leaves_the_work_here(
        monkeypatch: pytest.MonkeyPatch) -> None:
    draws = _draws(3)
    serial = parallel.render_all(draws, helper=False)
    monkeypatch.setattr(parallel.sys, "executable", "/nonexistent/python")
    assert parallel.render_all(draws, helper=True) == serial
    monkeypatch.undo()
    monkeypatch.setattr(parallel, "_BOOT", "import sys; sys.exit(3)")
    assert parallel.render_all(draws, helper=True) == serial


def test_an_unexpected_error_is_raised_here_as_in_a_serial_run() -> None:
    draws = [*_draws(2), partial(operator.truediv, 1.0, 0.0)]
    with pytest.raises(ZeroDivisionError):
        parallel.render_all(draws, helper=True)


def test_few_figures_are_drawn_without_a_helper(monkeypatch: pytest.MonkeyPatch) -> None:
    started = []
    monkeypatch.setattr(parallel, "_Helper", lambda *a: started.append(a))
    parallel.render_all(_draws(parallel.HELPER_MIN_FIGURES - 1))
    assert started == []


@pytest.fixture
def two_cores(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parallel, "_cores", lambda: 2)
    yield
    while parallel._PRESTARTED:  # a test that left one: end it
        parallel._end(parallel._PRESTARTED.pop())


def test_a_prestarted_helper_draws_the_next_figures(
        two_cores: None, monkeypatch: pytest.MonkeyPatch) -> None:
    draws = _draws(7)
    serial = parallel.render_all(draws, helper=False)
    parallel.prestart_helper()
    parallel.prestart_helper()  # one is waiting already: no second
    assert len(parallel._PRESTARTED) == 1
    spawned = []
    monkeypatch.setattr(parallel, "_spawn", lambda: spawned.append(1))
    calls = []

    def slow_render(draw: Any) -> Any:
        calls.append(draw)
        time.sleep(1.0)  # as above: the helper has time to take figures from the back
        return render(draw)

    monkeypatch.setattr(parallel, "render", slow_render)
    assert parallel.render_all(draws, helper=True) == serial
    assert spawned == []  # the prestarted helper was used, none was started
    assert parallel._PRESTARTED == []
    assert len(calls) < len(draws), "the helper drew none of the figures"


def test_a_prestarted_helper_that_died_is_replaced(
        two_cores: None, monkeypatch: pytest.MonkeyPatch) -> None:
    draws = _draws(3)
    serial = parallel.render_all(draws, helper=False)
    with monkeypatch.context() as patch:
        patch.setattr(parallel, "_BOOT", "import sys; sys.exit(3)")
        parallel.prestart_helper()
    parallel._PRESTARTED[0].wait(timeout=30)
    assert parallel.render_all(draws, helper=True) == serial
    assert parallel._PRESTARTED == []


def test_no_helper_is_prestarted_on_one_core(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parallel, "_cores", lambda: 1)
    parallel.prestart_helper()
    assert parallel._PRESTARTED == []


def test_an_unused_prestarted_helper_exits_when_its_input_closes(two_cores: None) -> None:
    parallel.prestart_helper()
    process = parallel._PRESTARTED.pop()
    assert process.stdin is not None
    process.stdin.close()  # what this process's exit does
    assert process.wait(timeout=60) is not None
    assert process.stdout is not None
    process.stdout.close()


def test_a_prestarted_helper_no_figure_needs_is_ended(two_cores: None) -> None:
    parallel.prestart_helper()
    process = parallel._PRESTARTED[0]
    parallel.render_all(_draws(2))  # too few figures for a helper
    assert parallel._PRESTARTED == []
    assert process.returncode is not None


def test_a_prestarted_helper_left_unused_is_ended_at_exit() -> None:
    """In a process that exits without drawing, nothing warns of a running helper."""
    import subprocess
    import sys

    code = ("import bayes_scot.report.parallel as p; p._cores = lambda: 2; "
            "p.prestart_helper(); assert p._PRESTARTED")
    result = subprocess.run([sys.executable, "-X", "dev", "-c", code], capture_output=True,
                            text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    assert "ResourceWarning" not in result.stderr
