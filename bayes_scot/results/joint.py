"""Joint probabilities of superiority over a set of estimands.

"Is HSCT better on every endpoint that matters?" is a question about the joint posterior,
not about the marginal probabilities in the superiority table. Within one fit the draws of
all estimands share the ``(chain, draw)`` axes, so the probability that the experimental
arm is superior on all, at least ``k``, or any of them is the share of draws in which that
holds. Fits of different model families share no parameters; across them the number of
estimands on which the experimental arm is superior is the sum of independent counts,
whose distribution is the convolution of each fit's. That independence is an assumption
about the posterior (the fits saw disjoint evidence), and every row says whether it was
used. Where the fits are not independent (two fits of the same patients: the composite
GRCS starts from the same deaths and EFS events as the survival fit), the product is
only an approximation, so every row across fits also gives the bounds that hold whatever
the dependence (:func:`frechet_bounds`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Literal

import numpy as np
import pandas as pd

from bayes_scot.results.fits import PriorFit
from bayes_scot.stats.estimands import EstimandDraws

__all__ = [
    "JOINT_COLUMNS",
    "count_distribution",
    "frechet_bounds",
    "joint_probabilities",
    "parse_estimand_key",
    "shared_patients",
]

JOINT_COLUMNS: tuple[str, ...] = (
    "prior",
    "threshold",
    "event",
    "k",
    "n",
    "probability",
    "lower_bound",
    "upper_bound",
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


def frechet_bounds(marginals: Sequence[float], k: int) -> tuple[float, float]:
    r"""Bounds on P(at least ``k`` of ``n`` events) that hold for any dependence.

    Parameters
    ----------
    marginals : sequence of float
        The events' marginal probabilities :math:`p_1, \dots, p_n`.
    k : int
        ``1 <= k <= n``.

    Returns
    -------
    tuple of float
        ``(lower, upper)``. For all ``n`` events these are the Fréchet bounds
        :math:`[\max(0, \sum p - (n - 1)), \min p]`; for any event
        :math:`[\max p, \min(1, \sum p)]`; in between the bounds of Rüger,
        :math:`[\max\{0, (\sum p - k + 1) / (n - k + 1)\}, \min\{1, \sum p / k\}]`.

    Notes
    -----
    Each bound is attained by some joint distribution with these marginals (Fréchet
    1951; Rüger 1978), so nothing tighter follows from the marginals alone.

    References
    ----------
    .. [1] Fréchet M. Sur les tableaux de corrélation dont les marges sont données.
       Ann Univ Lyon A 1951;14:53-77.
    .. [2] Rüger B. Das maximale Signifikanzniveau des Tests "Lehne H0 ab, wenn k unter n
       gegebenen Tests zur Ablehnung führen". Metrika 1978;25:171-178.
    """
    p = np.clip(np.asarray(marginals, dtype=float), 0.0, 1.0)
    n = p.size
    if not 1 <= k <= n:
        raise ValueError(f"k must be between 1 and {n}, not {k}")
    total = float(p.sum())
    lower = max(0.0, (total - (k - 1)) / (n - k + 1))
    upper = min(1.0, total / k)
    if k == n:
        upper = min(upper, float(p.min()))
    if k == 1:
        lower = max(lower, float(p.max()))
    return lower, upper


def shared_patients(trials: Mapping[str, Sequence[str]], families: Iterable[str]) -> str:
    """Name the trials whose patients two or more of ``families`` share.

    Parameters
    ----------
    trials : mapping of str to sequence of str
        Family -> the trials its fit uses, labelled as the reader should see them
        (``"scot (itt)"``).
    families : iterable of str
        The families whose fits are combined.

    Returns
    -------
    str
        E.g. ``"survival and composite share the patients of scot (itt)"``; empty when
        they share none.
    """
    chosen = [f for f in dict.fromkeys(families) if f in trials]
    users: dict[str, list[str]] = {}
    for family in chosen:
        for name in trials[family]:
            users.setdefault(name, []).append(family)
    shared = [(name, fams) for name, fams in users.items() if len(fams) > 1]
    return "; ".join(
        f"{', '.join(fams[:-1])} and {fams[-1]} share the patients of {name}"
        for name, fams in shared
    )


def joint_probabilities(
    fits: Iterable[PriorFit],
    estimands: Sequence[str | Sequence[str]],
    *,
    threshold: Literal["null", "mcid"] = "null",
    trials: Mapping[str, Sequence[str]] | None = None,
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
    trials : mapping of str to sequence of str, optional
        Family -> the trials its fit uses; rows across fits then name the patients the
        fits share (:func:`shared_patients`).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`JOINT_COLUMNS`; per prior, one row per ``k = 1..n``. ``event`` is
        ``"any"`` for ``k = 1``, ``"all"`` for ``k = n`` and ``"at_least"`` between (with
        one estimand the single row is ``"all"``). Across fits, ``probability`` is the
        product (convolution) under independence and ``lower_bound``, ``upper_bound``
        the bounds that hold whatever the dependence (:func:`frechet_bounds`); within
        one fit the bounds are NaN, as the joint draws need none. ``basis`` says
        whether the probability comes from joint draws of one fit or assumes
        independence across fits that share no parameters (and which patients they
        share), then the estimands that have no data of their own
        (``attrs["no_data"]``: their posterior is their prior, or a prediction from other
        endpoints), followed by the notes of the fits used
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
        marginals: list[float] = []
        without_data: list[str] = []
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
            if e.attrs.get("no_data", False):
                without_data.append(f"{e.endpoint}:{e.estimand}")
            group = f"{fit.family} ({fit.route})" if fit.route else fit.family
            indicator = _superior(e, threshold)
            groups.setdefault(group, []).append(indicator)
            marginals.append(float(indicator.mean()))
            notes.extend(fit.notes)
        pmf = count_distribution([np.vstack(g) for g in groups.values()])
        n = len(keys)
        if len(groups) == 1:
            basis = f"joint posterior draws of the {next(iter(groups))} fit"
        else:
            basis = "product of the " + ", ".join(groups) + " fits (taken as independent)"
            shared = shared_patients(trials or {}, (g.split(" (")[0] for g in groups))
            if shared:
                basis += f"; not independent: {shared}"
        if without_data:
            basis += ("; no data of their own (their indicators follow the prior or other "
                      "endpoints, not this trial): " + ", ".join(without_data))
        basis = "; ".join([basis, *dict.fromkeys(notes)])
        for k in range(1, n + 1):
            event = "all" if k == n else ("any" if k == 1 else "at_least")
            lower, upper = (frechet_bounds(marginals, k) if len(groups) > 1
                            else (float("nan"), float("nan")))
            rows.append(
                {
                    "prior": prior,
                    "threshold": threshold,
                    "event": event,
                    "k": k,
                    "n": n,
                    "probability": float(pmf[k:].sum()),
                    "lower_bound": lower,
                    "upper_bound": upper,
                    "basis": basis,
                    "estimands": label,
                }
            )
    return pd.DataFrame(rows, columns=list(JOINT_COLUMNS))
