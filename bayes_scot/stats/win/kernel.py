r"""The compiled pair-counting kernel behind :func:`~bayes_scot.stats.win.win_statistics_draws`.

Each draw is one comparison of ``n`` experimental with ``m`` control patients, counted in
:math:`O((n + m) \log m)` plus the pairs still tied where sorting stops helping:

* **sorted levels**: the leading levels without a margin and without missing values.
  "Tied so far" is then an equivalence relation: with the controls sorted
  lexicographically over these levels, the controls tied with an experimental patient
  on the first ``l`` levels form one contiguous range, sorted by level ``l``, and two
  binary searches split it into the controls below (won at level ``l``), equal (passed
  down) and above (lost).
* **the first other level** (a margin, or missing values): within the range still tied,
  the controls are sorted by this level with missing values last. For an experimental
  value ``a`` the wins are a prefix and the losses a suffix of the present values,
  because ``fl(a - b)`` never increases with ``b`` (rounding is monotone); both ends are
  found by binary search on the exact predicates ``fl(a - b) > margin`` and
  ``fl(a - b) < -margin``, so rounding never moves a pair across the margin differently
  from the pairwise definition.
* **the rest**: the pairs left between the two ends, and those with a missing value, are
  compared one by one at the remaining levels.

The controls of every draw are sorted by NumPy, the searches and comparisons run in
compiled code. The counts equal those of the brute-force double loop over pairs bit for
bit. Draws are independent: they are shared among threads (NumPy's sorts and the
compiled code release the GIL), each writing its own rows of the counts.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import numba
import numpy as np

__all__ = ["DRAWS_PER_TASK", "compile_kernel", "count_pairs"]

DRAWS_PER_TASK: int = 256
"""Draws counted by one thread task; more draws than this are shared among threads."""


def count_pairs(
    x: np.ndarray, y: np.ndarray, margins: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Count the pairs won and lost at each level, for every draw.

    Parameters
    ----------
    x, y : numpy.ndarray
        Shapes ``(draw, n, level)`` and ``(draw, m, level)``: the experimental and control
        patients, every level oriented so that higher is better.
    margins : numpy.ndarray
        Shape ``(level,)``: a pair whose difference lies within the margin ties there.

    Returns
    -------
    wins, losses : numpy.ndarray
        Shape ``(draw, level)``, integer counts of the pairs each level decided.
    """
    x = np.ascontiguousarray(x, dtype=np.float64)
    y = np.ascontiguousarray(y, dtype=np.float64)
    margins = np.ascontiguousarray(margins, dtype=np.float64)
    n_draws, _, n_levels = x.shape
    sorted_levels = 0
    while (sorted_levels < n_levels and margins[sorted_levels] == 0.0
           and not np.isnan(x[:, :, sorted_levels]).any()
           and not np.isnan(y[:, :, sorted_levels]).any()):
        sorted_levels += 1
    wins = np.zeros((n_draws, n_levels), dtype=np.int64)
    losses = np.zeros((n_draws, n_levels), dtype=np.int64)
    starts = range(0, n_draws, max(1, DRAWS_PER_TASK))
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    threads = min(len(starts), cores or 1)

    def task(start: int) -> None:
        # NumPy's sorts and the compiled kernel both release the GIL.
        part = slice(start, start + DRAWS_PER_TASK)
        ys = _sorted_controls(y[part], sorted_levels)
        _count_draws(x[part], ys, margins, sorted_levels, wins[part], losses[part])

    if threads <= 1:
        for start in starts:
            task(start)
    else:
        with ThreadPoolExecutor(max_workers=threads) as pool:
            for future in [pool.submit(task, start) for start in starts]:
                future.result()
    return wins, losses


def compile_kernel() -> None:
    """Compile the kernel now, or load it from numba's on-disk cache.

    A caller that will count pairs later and is waiting for something else now (a
    sampler) calls this, so that the compilation (seconds on a machine that has not
    compiled the kernel before) is not done later, on the critical path. Counting one
    pair compiles the one specialisation every count uses: float64 patients and margins
    and int64 counts, all in C order.
    """
    count_pairs(np.zeros((1, 1, 2)), np.zeros((1, 1, 2)), np.array([0.0, 1.0]))


def _sorted_controls(y: np.ndarray, sorted_levels: int) -> np.ndarray:
    """Sort each draw's controls by the sorted levels, then the next level (missing last)."""
    n_draws, m, n_levels = y.shape
    order = np.broadcast_to(np.arange(m), (n_draws, m))
    if sorted_levels < n_levels:
        values = y[:, :, sorted_levels]
        missing = np.isnan(values)
        order = np.argsort(np.where(missing, 0.0, values), axis=1, kind="stable")
        then = np.argsort(np.take_along_axis(missing, order, axis=1), axis=1, kind="stable")
        order = np.take_along_axis(order, then, axis=1)
    for level in range(sorted_levels - 1, -1, -1):
        values = np.take_along_axis(y[:, :, level], order, axis=1)
        order = np.take_along_axis(order, np.argsort(values, axis=1, kind="stable"), axis=1)
    return np.ascontiguousarray(np.take_along_axis(y, order[:, :, np.newaxis], axis=1))


@numba.njit(cache=True, nogil=True)
def _count_draws(x, ys, margins, sorted_levels, wins, losses):
    for d in range(x.shape[0]):
        _count_draw(x[d], ys[d], margins, sorted_levels, wins[d], losses[d])


@numba.njit(cache=True, nogil=True)
def _count_draw(x, ys, margins, sorted_levels, wins, losses):
    n, n_levels = x.shape
    m = ys.shape[0]
    for i in range(n):
        lo, hi = 0, m
        for level in range(sorted_levels):
            a = x[i, level]
            below = _first_not_below(ys[:, level], lo, hi, a)
            above = _first_above(ys[:, level], below, hi, a)
            wins[level] += below - lo
            losses[level] += hi - above
            lo, hi = below, above
            if lo == hi:
                break
        if lo == hi or sorted_levels == n_levels:
            continue
        k = sorted_levels
        column = ys[:, k]
        present_end = _first_missing(column, lo, hi)
        a = x[i, k]
        if np.isnan(a):
            _compare_rest(x[i], ys, margins, k + 1, lo, hi, wins, losses)
            continue
        win_end = _first_not_won(column, lo, present_end, a, margins[k])
        loss_start = _first_lost(column, win_end, present_end, a, margins[k])
        wins[k] += win_end - lo
        losses[k] += present_end - loss_start
        _compare_rest(x[i], ys, margins, k + 1, win_end, loss_start, wins, losses)
        _compare_rest(x[i], ys, margins, k + 1, present_end, hi, wins, losses)


@numba.njit(cache=True, nogil=True)
def _compare_rest(xi, ys, margins, first_level, lo, hi, wins, losses):
    """Compare one experimental patient with controls ``lo:hi`` from ``first_level`` on."""
    for p in range(lo, hi):
        for level in range(first_level, xi.shape[0]):
            difference = xi[level] - ys[p, level]
            if difference > margins[level]:
                wins[level] += 1
                break
            if difference < -margins[level]:
                losses[level] += 1
                break


# Binary searches over a sorted range [lo, hi): the first position where a predicate that
# holds on a prefix stops holding (or where one that holds on a suffix starts).


@numba.njit(cache=True, nogil=True)
def _first_not_below(column, lo, hi, a):
    while lo < hi:
        mid = (lo + hi) // 2
        if column[mid] < a:
            lo = mid + 1
        else:
            hi = mid
    return lo


@numba.njit(cache=True, nogil=True)
def _first_above(column, lo, hi, a):
    while lo < hi:
        mid = (lo + hi) // 2
        if column[mid] <= a:
            lo = mid + 1
        else:
            hi = mid
    return lo


@numba.njit(cache=True, nogil=True)
def _first_missing(column, lo, hi):
    while lo < hi:
        mid = (lo + hi) // 2
        if not np.isnan(column[mid]):
            lo = mid + 1
        else:
            hi = mid
    return lo


@numba.njit(cache=True, nogil=True)
def _first_not_won(column, lo, hi, a, margin):
    while lo < hi:
        mid = (lo + hi) // 2
        if a - column[mid] > margin:
            lo = mid + 1
        else:
            hi = mid
    return lo


@numba.njit(cache=True, nogil=True)
def _first_lost(column, lo, hi, a, margin):
    while lo < hi:
        mid = (lo + hi) // 2
        if not a - column[mid] < -margin:
            lo = mid + 1
        else:
            hi = mid
    return lo
