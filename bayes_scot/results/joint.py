"""Joint probabilities of superiority over a set of estimands.

"Is HSCT better on every endpoint that matters?" is a question about the joint posterior,
not about the marginal probabilities in the superiority table. Within one fit the draws of
all estimands share the ``(chain, draw)`` axes, so the probability that the experimental
arm is superior on all, at least ``k``, or any of them is the share of draws in which that
holds. Fits of different model families share no parameters; across them the number of
estimands on which the experimental arm is superior is the sum of independent counts,
whose distribution is the convolution of each fit's. That independence is an assumption
about the posterior (the fits saw disjoint evidence), and every row says whether it was
used.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Literal

import numpy as np
import pandas as pd

from bayes_scot.results.fits import PriorFit
from bayes_scot.stats.estimands import EstimandDraws

__all__ = ["JOINT_COLUMNS", "count_distribution", "joint_probabilities", "parse_estimand_key"]

JOINT_COLUMNS: tuple[str, ...] = (
    "prior",
    "threshold",
    "event",
    "k",
    "n",
    "probability",
    "basis",
    "estimands",
)
"""Columns of :func:`joint_probabilities`, in order."""

EstimandKey = tuple[str, str]


def parse_estimand_key(key: str | Sequence[str]) -> EstimandKey:
    """Turn ``"efs:survival_difference_54"`` or ``("efs", "...")`` into a key.

    Parameters
    ----------
    key : str or pair of str
        ``"endpoint:estimand"`` or ``(endpoint, estimand)``.

    Returns
    -------
    tuple of str
        ``(endpoint, estimand)``.

    Raises
    ------
    ValueError
        If ``key`` has neither form.
    """
    if isinstance(key, str):
        endpoint, sep, estimand = key.partition(":")
        if not sep or not endpoint or not estimand:
            raise ValueError(f"estimand key {key!r} is not of the form 'endpoint:estimand'")
        return endpoint, estimand
    parts = tuple(key)
    if len(parts) != 2 or not all(isinstance(p, str) for p in parts):
        raise ValueError(f"estimand key {key!r} is not an (endpoint, estimand) pair")
    return parts[0], parts[1]


def _superior(e: EstimandDraws, threshold: str) -> np.ndarray:
    if threshold == "mcid":
        if e.mcid is None:
            raise ValueError(
                f"estimand {e.endpoint}:{e.estimand} has no MCID; use threshold='null'"
            )
        cut = e.mcid
    else:
        cut = e.null
    draws = e.draws.reshape(-1)
    return draws > cut if e.superior == "higher" else draws < cut


def count_distribution(indicators: Sequence[np.ndarray]) -> np.ndarray:
    """Distribution of the number of successes over groups of joint indicator draws.

    Parameters
    ----------
    indicators : sequence of numpy.ndarray
        One boolean array of shape ``(estimands, samples)`` per group. Within a group,
        columns are joint draws; groups are taken as independent.

    Returns
    -------
    numpy.ndarray
        ``pmf[c]`` is the probability of exactly ``c`` successes, ``c = 0..total``.

    Notes
    -----
    Within a group the probability of ``c`` successes is the share of samples with
    ``c`` true indicators; the sum of independent counts has the convolution of their
    distributions.
    """
    pmf = np.ones(1)
    for group in indicators:
        group = np.asarray(group, dtype=bool)
        counts = group.sum(axis=0)
        group_pmf = np.bincount(counts, minlength=group.shape[0] + 1) / group.shape[1]
        pmf = np.convolve(pmf, group_pmf)
    return pmf


def joint_probabilities(
    fits: Iterable[PriorFit],
    estimands: Sequence[str | Sequence[str]],
    *,
    threshold: Literal["null", "mcid"] = "null",
) -> pd.DataFrame:
    """P(experimental arm superior on all / at least k / any of a set of estimands).

    Parameters
    ----------
    fits : iterable of PriorFit
        Fits of one or more families under one or more priors; each prior is
        treated separately.
    estimands : sequence of str or pairs
        The chosen set, as ``"endpoint:estimand"`` strings or ``(endpoint, estimand)``
        pairs.
    threshold : {"null", "mcid"}, default "null"
        Superior beyond the null value, or beyond each estimand's MCID.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`JOINT_COLUMNS`; per prior, one row per ``k = 1..n``. ``event`` is
        ``"any"`` for ``k = 1``, ``"all"`` for ``k = n`` and ``"at_least"`` between (with
        one estimand the single row is ``"all"``). ``basis`` says whether the probability
        comes from joint draws of one fit or assumes independence across fits that share
        no parameters, followed by the notes of the fits used
        (:attr:`~bayes_scot.results.PriorFit.notes`). A fit with a ``route`` is a group
        of its own.

    Raises
    ------
    ValueError
        If the set is empty, repeats an estimand, or an estimand is missing from the fits
        of some prior.
    """
    keys = [parse_estimand_key(k) for k in estimands]
    if not keys:
        raise ValueError("choose at least one estimand")
    if len(set(keys)) != len(keys):
        raise ValueError("the chosen estimands repeat one another")
    if threshold not in ("null", "mcid"):
        raise ValueError(f"threshold must be 'null' or 'mcid', not {threshold!r}")
    by_prior: dict[str, list[PriorFit]] = {}
    for f in fits:
        by_prior.setdefault(f.prior, []).append(f)
    label = ", ".join(f"{a}:{b}" for a, b in keys)
    rows = []
    for prior, prior_fits in by_prior.items():
        groups: dict[str, list[np.ndarray]] = {}
        notes: list[str] = []
        for key in keys:
            found = [
                (f, e)
                for f in prior_fits
                for e in f.estimands
                if (e.endpoint, e.estimand) == key
            ]
            if not found:
                raise ValueError(
                    f"no fit under prior {prior!r} has estimand {key[1]!r} of endpoint {key[0]!r}"
                )
            fit, e = found[0]
            group = f"{fit.family} ({fit.route})" if fit.route else fit.family
            groups.setdefault(group, []).append(_superior(e, threshold))
            notes.extend(fit.notes)
        pmf = count_distribution([np.vstack(g) for g in groups.values()])
        n = len(keys)
        if len(groups) == 1:
            basis = f"joint posterior draws of the {next(iter(groups))} fit"
        else:
            basis = (
                "joint draws within each fit; independence assumed across the "
                + ", ".join(groups)
                + " fits, which share no parameters"
            )
        basis = "; ".join([basis, *dict.fromkeys(notes)])
        for k in range(1, n + 1):
            event = "all" if k == n else ("any" if k == 1 else "at_least")
            rows.append(
                {
                    "prior": prior,
                    "threshold": threshold,
                    "event": event,
                    "k": k,
                    "n": n,
                    "probability": float(pmf[k:].sum()),
                    "basis": basis,
                    "estimands": label,
                }
            )
    return pd.DataFrame(rows, columns=list(JOINT_COLUMNS))
