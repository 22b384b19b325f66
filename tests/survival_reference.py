"""Reference data and a one-covariate Cox model for the survival tests.

The three data sets are copies of the ones lifelines ships (``tests/data/README.md``
gives their sources); the Cox model is the partial likelihood with Efron's handling of
ties, the method of lifelines and R's ``coxph`` default, fitted by Newton's method. It is
checked against lifelines' estimates on all three data sets in ``test_stats_kaplan_meier``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

DATA = Path(__file__).resolve().parent / "data"


def load(name: str) -> pd.DataFrame:
    """Load ``tests/data/<name>.csv``."""
    return pd.read_csv(DATA / f"{name}.csv")


def _efron_score(beta: float, time: np.ndarray, event: np.ndarray,
                 x: np.ndarray) -> tuple[float, float]:
    """Score and information of the Efron partial likelihood at ``beta``."""
    score, information = 0.0, 0.0
    risk = np.exp(beta * x)
    for t in np.unique(time[event == 1]):
        at_risk = time >= t
        dying = at_risk & (time == t) & (event == 1)
        d = int(dying.sum())
        s0, s1, s2 = risk[at_risk].sum(), (risk * x)[at_risk].sum(), (risk * x * x)[at_risk].sum()
        t0, t1, t2 = risk[dying].sum(), (risk * x)[dying].sum(), (risk * x * x)[dying].sum()
        score += x[dying].sum()
        for k in range(d):
            f = k / d
            a0, a1, a2 = s0 - f * t0, s1 - f * t1, s2 - f * t2
            score -= a1 / a0
            information += a2 / a0 - (a1 / a0) ** 2
    return score, information


def cox_information(beta: float, time, event, x) -> float:
    """Observed information of the Efron partial likelihood at ``beta`` (1 / SE squared)."""
    time, event, x = (np.asarray(v, dtype=float) for v in (time, event, x))
    return _efron_score(beta, time, event.astype(int), x)[1]


def cox_log_hr(time, event, x) -> float:
    """Log hazard ratio of a binary covariate ``x`` (Cox model, Efron ties)."""
    time, event, x = (np.asarray(v, dtype=float) for v in (time, event, x))
    beta = 0.0
    for _ in range(50):
        score, information = _efron_score(beta, time, event.astype(int), x)
        step = score / information
        beta += step
        if abs(step) < 1e-10:
            return beta
    raise RuntimeError("the Cox model did not converge")
