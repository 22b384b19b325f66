"""Index arithmetic of the longitudinal model's state vector.

The state is ``x = [change (endpoint, arm, visit) flattened, baseline (endpoint)]``;
every published number the model uses is a linear function of it, a row of
coefficients built here (a level, a change at any time within the visit grid by linear
interpolation, a least-squares slope over a window).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from bayes_scot.stats.gls import least_squares_slope_weights

__all__ = ["StateLayout"]


class StateLayout:
    """Index arithmetic for the state vector ``x = [change (E, A, V) flattened, baseline (E)]``."""

    def __init__(self, endpoints: Sequence[str], arms: Sequence[str], visits: Sequence[float]):
        self.endpoints = tuple(endpoints)
        self.arms = tuple(arms)
        self.visits = np.asarray(visits, dtype=float)
        self.n_e, self.n_a, self.n_v = len(self.endpoints), len(self.arms), self.visits.size
        self.size = self.n_e * self.n_a * self.n_v + self.n_e

    def interpolation(self, t: float) -> np.ndarray:
        """Weights over visits giving the linearly interpolated trajectory at ``t``."""
        w = np.zeros(self.n_v)
        v = self.visits
        if t < v[0] or t > v[-1]:
            raise ValueError(f"time {t} outside the visit grid")
        j = int(np.searchsorted(v, t, side="left"))
        if v[j] == t:
            w[j] = 1.0
            return w
        frac = (t - v[j - 1]) / (v[j] - v[j - 1])
        w[j - 1], w[j] = 1.0 - frac, frac
        return w

    def _change_block(self, e: str, a: str, weights: np.ndarray) -> np.ndarray:
        row = np.zeros(self.size)
        start = (self.endpoints.index(e) * self.n_a + self.arms.index(a)) * self.n_v
        row[start : start + self.n_v] = weights
        return row

    def baseline(self, e: str) -> np.ndarray:
        """Row of the baseline level of endpoint ``e``."""
        row = np.zeros(self.size)
        row[self.n_e * self.n_a * self.n_v + self.endpoints.index(e)] = 1.0
        return row

    def change(self, e: str, a: str, t: float) -> np.ndarray:
        """Row of arm ``a``'s change from baseline of endpoint ``e`` at ``t`` months."""
        return self._change_block(e, a, self.interpolation(t))

    def level(self, e: str, a: str, t: float) -> np.ndarray:
        """Row of arm ``a``'s level (baseline plus change) of endpoint ``e`` at ``t``."""
        return self.baseline(e) + self.change(e, a, t)

    def slope_weights(self, window: tuple[float, float]) -> np.ndarray:
        """Least-squares slope weights (per year) over the grid visits in ``window``."""
        inside = (self.visits >= window[0] - 1e-9) & (self.visits <= window[1] + 1e-9)
        if inside.sum() < 2:
            raise ValueError("fewer than two grid visits inside the slope's window")
        w = np.zeros(self.n_v)
        w[inside] = least_squares_slope_weights(self.visits[inside] / 12.0)
        return w

    def slope(self, e: str, a: str, window: tuple[float, float]) -> np.ndarray:
        """Row of arm ``a``'s least-squares slope of endpoint ``e`` over ``window``."""
        return self._change_block(e, a, self.slope_weights(window))
