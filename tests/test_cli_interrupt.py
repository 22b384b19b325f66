"""A Ctrl-C that Python would lose in a finaliser still stops the command."""

from __future__ import annotations

import time

import pytest

from bayes_scot.cli import redeliver_interrupts


class _InterruptedFinaliser:
    """Raises KeyboardInterrupt while being finalised, as a Ctrl-C landing there does."""

    def __del__(self) -> None:
        raise KeyboardInterrupt


def _finalise_one() -> None:
    _InterruptedFinaliser()  # dropped at once: its __del__ runs here


def _finalise_one_and_wait() -> None:
    _finalise_one()
    for _ in range(400):  # the interrupt arrives within REDELIVERY_DELAY (0.05 s)
        time.sleep(0.005)


def test_an_interrupt_lost_in_a_finaliser_is_raised_again() -> None:
    with pytest.raises(KeyboardInterrupt), redeliver_interrupts():
        _finalise_one_and_wait()


def test_one_still_pending_at_the_end_of_the_block_is_raised_there() -> None:
    with pytest.raises(KeyboardInterrupt), redeliver_interrupts():
        _finalise_one()
    time.sleep(0.2)  # nothing arrives later: the pending delivery was cancelled
