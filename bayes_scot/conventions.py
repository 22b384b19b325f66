"""Conventions shared by every table, plot and report of the package.

Keeping them in one place means a 95% interval in a table is the same 95% interval in the
figure beside it.
"""

from __future__ import annotations

__all__ = ["CREDIBLE_LEVEL", "DECISION_THRESHOLDS", "DEFAULT_SEED", "MAX_SEED", "months"]

CREDIBLE_LEVEL: float = 0.95
"""Probability mass of every central credible interval the package reports."""

DECISION_THRESHOLDS: tuple[float, ...] = (0.95, 0.90)
"""Posterior probabilities at which the reports say where an answer turns: the tipping
points are found for them, and no table or figure writes a probability rounded onto or
across one of them."""

DEFAULT_SEED: int = 20180104
"""Seed used when a specification gives none (the SCOT publication date, 4 January 2018)."""

MAX_SEED: int = 2**32 - 1
"""Largest seed accepted (seeds are whole numbers in ``[0, 2**32 - 1]``): every sampler
backend takes a seed of 32 bits, and a larger one would overflow there, after the model
is compiled."""


def months(t: float) -> str:
    """Return a time in months as every label writes it: ``"1 month"``, ``"6 months"``.

    Two decimals at most: a time converted from weeks or days (13 weeks) reads
    ``"2.99 months"``, not ``"2.98973 months"``; estimand names keep the exact value.
    """
    shown = round(float(t), 2)
    return f"{shown:g} month" + ("" if shown == 1 else "s")
