"""Sampler settings shared by every model family."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from typing import Any, Literal

__all__ = [
    "BACKENDS",
    "MAX_CHAINS",
    "MAX_ITERATIONS",
    "MAX_STORED_DRAWS",
    "MEMORY_FRACTION",
    "BackendName",
    "SamplerSettings",
    "memory_problem",
    "sampler_size_problem",
    "stored_values",
]

BACKENDS: tuple[str, ...] = ("nutpie", "blackjax", "pymc")
"""Sampler backends: ``nutpie`` (numba-compiled NUTS, the default), ``blackjax`` (the
whole sampler compiled by JAX; many fits run as one vectorised batch) and ``pymc``
(PyMC's own NUTS, the fallback)."""

BackendName = Literal["nutpie", "blackjax", "pymc"]

MAX_CHAINS: int = 64
"""Most chains of one fit. Chains run side by side (one per core, or vectorised on one
device); 4 suffice for R-hat, and more than 64 only exhaust memory."""

MAX_ITERATIONS: int = 100_000
"""Most draws, and most tuning iterations, per chain."""

MAX_STORED_DRAWS: int = 100_000
"""Most draws kept per fit, chains times draws (25 times the default 4 x 1000). Every
kept draw stores every free variable and deterministic of the model: SCOT's survival
model stores 374 values per draw (35 free, 339 deterministic), so 100,000 draws take
about 0.3 GB per prior and 4 GB for a grid of 13 priors, which a report holds in memory
together."""


MEMORY_FRACTION: float = 0.5
"""Largest share of this machine's memory the draws of one family's fits may take."""


def stored_values(model: Any) -> int:
    """Return how many numbers one posterior draw of a model stores.

    Every free variable and deterministic is kept: its static shape where PyTensor knows
    it, else the lengths of its named dims, else one value.
    """
    total = 0
    for var in [*model.free_RVs, *model.deterministics]:
        shape = getattr(var.type, "shape", None) or ()
        if shape and all(s is not None for s in shape):
            total += math.prod(int(s) for s in shape)
            continue
        dims = model.named_vars_to_dims.get(var.name) or ()
        total += math.prod(len(model.coords[d]) for d in dims if d in model.coords)
    return total


def memory_problem(
    values_per_draw: int, draws: int, chains: int, fits: int, *, available: int | None = None
) -> str | None:
    """Say why a family's fits would not fit in memory, or return ``None``.

    Parameters
    ----------
    values_per_draw : int
        :func:`stored_values` of the family's model.
    draws, chains : int
        Per fit.
    fits : int
        Fits of the family (priors of the grid), held in memory together by a report.
    available : int, optional
        Bytes of memory; default this machine's physical memory.

    Returns
    -------
    str or None
        A one-line reason naming the estimate and the limit (:data:`MEMORY_FRACTION` of
        the memory).
    """
    if available is None:
        try:
            available = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
        except (ValueError, OSError, AttributeError):  # no sysconf: no estimate to check
            return None
    needed = 8 * values_per_draw * draws * chains * fits
    limit = MEMORY_FRACTION * available
    if needed <= limit:
        return None
    return (f"{fits} fits x {chains} chains x {draws:,} draws x {values_per_draw:,} values "
            f"take about {needed / 2**30:.1f} GiB; at most {limit / 2**30:.1f} GiB "
            f"({MEMORY_FRACTION:.0%} of this machine's memory) may hold them")


def sampler_size_problem(draws: int, tune: int, chains: int) -> tuple[str, str] | None:
    """Return ``(setting, message)`` when a fit of this size is beyond the stated bounds.

    Parameters
    ----------
    draws, tune, chains : int
        Draws and tuning iterations per chain, and the number of chains.

    Returns
    -------
    tuple of str or None
        The setting at fault (``"draws"``, ``"tune"`` or ``"chains"``) and why, or
        ``None`` when the size is within :data:`MAX_CHAINS`, :data:`MAX_ITERATIONS` and
        :data:`MAX_STORED_DRAWS`.
    """
    if chains > MAX_CHAINS:
        return "chains", f"must be at most {MAX_CHAINS}, not {chains}"
    for name, value in (("draws", draws), ("tune", tune)):
        if value > MAX_ITERATIONS:
            return name, f"must be at most {MAX_ITERATIONS:,} per chain, not {value:,}"
    if draws * chains > MAX_STORED_DRAWS:
        return "draws", (
            f"{chains} chains x {draws:,} draws keep {draws * chains:,} draws per fit; "
            f"at most {MAX_STORED_DRAWS:,} fit in memory"
        )
    return None


@dataclass(frozen=True, kw_only=True)
class SamplerSettings:
    """How to run the No-U-Turn sampler.

    Parameters
    ----------
    draws : int, default 1000
        Draws kept per chain, after tuning.
    tune : int, default 1000
        Tuning (warm-up) iterations per chain; discarded.
    chains : int, default 4
        Independent chains; at least 2 are needed for R-hat.
    target_accept : float, default 0.9
        Target mean acceptance probability of the step-size adaptation. Higher values
        take smaller steps, which removes divergences in curved posteriors at the cost of
        longer trajectories.
    backend : {"nutpie", "blackjax", "pymc"}, default "nutpie"
        Which sampler runs the chains (see :mod:`bayes_scot.fitting`).
    max_treedepth : int, default 10
        Largest number of trajectory doublings of NUTS (at most
        ``2**max_treedepth - 1`` leapfrog steps per draw). A lower cap keeps
        the sampler valid but makes each draw cheaper and, when it truncates trajectories,
        less efficient; it matters for vectorised chains (``blackjax``), which all wait for
        the longest trajectory of the batch.
    progressbar : bool, default False
        Show a progress indicator while sampling (useful for long fits in a notebook or
        terminal).
    cores : int, optional
        Chains run in parallel; default ``min(chains, os.cpu_count())``.
    """

    draws: int = 1000
    tune: int = 1000
    chains: int = 4
    target_accept: float = 0.9
    backend: BackendName = "nutpie"
    max_treedepth: int = 10
    progressbar: bool = False
    cores: int | None = None

    def __post_init__(self) -> None:
        for name in ("draws", "tune", "chains"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ValueError(f"{name} must be a non-negative whole number, not {value!r}")
        if self.draws < 1 or self.chains < 1:
            raise ValueError("draws and chains must be at least 1")
        problem = sampler_size_problem(self.draws, self.tune, self.chains)
        if problem is not None:
            raise ValueError(f"{problem[0]} {problem[1]}")
        if not 0.0 < self.target_accept < 1.0:
            raise ValueError(f"target_accept must be in (0, 1), not {self.target_accept!r}")
        treedepth = self.max_treedepth
        if not isinstance(treedepth, int) or isinstance(treedepth, bool) or not (
            1 <= treedepth <= 20
        ):
            raise ValueError(f"max_treedepth must be a whole number in [1, 20], not {treedepth!r}")
        if self.backend not in BACKENDS:
            raise ValueError(f"backend must be one of {BACKENDS}, not {self.backend!r}")
        if self.backend == "blackjax" and self.tune < 1:
            raise ValueError(
                "the blackjax backend adapts its step size and mass matrix while tuning; "
                "tune must be at least 1"
            )
        if self.cores is not None and (not isinstance(self.cores, int) or self.cores < 1):
            raise ValueError(f"cores must be a positive whole number, not {self.cores!r}")

    @property
    def n_cores(self) -> int:
        """Chains run in parallel."""
        if self.cores is not None:
            return min(self.cores, self.chains)
        return max(1, min(self.chains, os.cpu_count() or 1))
