"""Tests of the launcher thread that starts sampler batches (bayes_scot.fitting.launcher)."""

from __future__ import annotations

import threading

import pytest

from bayes_scot.fitting import launcher


def test_launches_run_in_order_on_the_launcher_thread() -> None:
    order: list[tuple[int, str]] = []
    futures = [launcher.submit(lambda i=i: order.append((i, threading.current_thread().name)))
               for i in range(3)]
    for future in futures:
        future.result(timeout=60)
    assert [i for i, _ in order] == [0, 1, 2]
    assert all(name.startswith(launcher.THREAD_NAME) for _, name in order)


def test_cancel_pending_cancels_the_queued_launches_only() -> None:
    """The running launch finishes; those queued behind it never run."""
    running, release = threading.Event(), threading.Event()
    ran: list[str] = []

    def held() -> str:
        running.set()
        assert release.wait(60)
        return "finished"

    first = launcher.submit(held)
    assert running.wait(60)
    queued = [launcher.submit(lambda: ran.append("queued")) for _ in range(2)]
    assert launcher.cancel_pending() == 2
    release.set()
    assert first.result(timeout=60) == "finished"
    assert all(future.cancelled() for future in queued)
    assert ran == []
    assert launcher.cancel_pending() == 0  # nothing left to cancel


def test_an_analysis_that_stops_cancels_its_queued_launches(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from bayes_scot.reanalysis import runner

    calls: list[str] = []

    def interrupted(self: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(runner._Runner, "run", interrupted)
    monkeypatch.setattr(launcher, "cancel_pending", lambda: calls.append("cancel") or 0)
    with pytest.raises(KeyboardInterrupt):
        runner.reanalyse("scot_itt", progress=False)
    assert calls == ["cancel"]


def test_a_running_launch_learns_it_was_cancelled() -> None:
    """``wanted`` turns false for the launch running when ``cancel_pending`` is called,
    and stays true for one queued afterwards and on other threads."""
    running, release = threading.Event(), threading.Event()

    def held() -> tuple[bool, bool]:
        before = launcher.wanted()
        running.set()
        assert release.wait(60)
        return before, launcher.wanted()

    first = launcher.submit(held)
    assert running.wait(60)
    launcher.cancel_pending()
    release.set()
    assert first.result(timeout=60) == (True, False)
    assert launcher.submit(launcher.wanted).result(timeout=60)
    assert launcher.wanted()  # not a launch: always wanted


def test_check_stops_a_cancelled_launch_before_its_next_step() -> None:
    running, release = threading.Event(), threading.Event()
    steps: list[str] = []

    def two_steps() -> None:
        launcher.check()
        steps.append("first")
        running.set()
        assert release.wait(60)
        launcher.check()
        steps.append("second")

    future = launcher.submit(two_steps)
    assert running.wait(60)
    launcher.cancel_pending()
    release.set()
    with pytest.raises(launcher.Cancelled):
        future.result(timeout=60)
    assert steps == ["first"]
    launcher.check()  # not a launch: never cancelled
