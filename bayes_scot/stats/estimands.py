"""Posterior draws of one estimand, and the summaries every table reports.

Every model turns its posterior into :class:`EstimandDraws`: the draws of one quantity
(a survival difference, a hazard ratio, a difference in change from baseline) together
with the facts needed to read it: which side of the null value means the experimental arm
is superior, and the clinically important margin. Directions are data here, never a sign
flip hidden in a model.
"""

from __future__ import annotations

import dataclasses
import html
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, cast

import numpy as np
from scipy.special import ndtri

from bayes_scot.conventions import CREDIBLE_LEVEL
from bayes_scot.stats.convergence import batch_rhat_ess

__all__ = ["PARAMETER_TRANSFORM", "EstimandDraws", "EstimandSummary", "exact_parameter_priors",
           "mcid_problem", "summarise_draws", "summarise_many"]

PARAMETER_TRANSFORM = "parameter_transform"
"""Key of ``EstimandDraws.attrs`` saying how an estimand follows from the effect parameter
its named prior is stated on (``attrs["parameter"]``): ``("exp", 1.0)`` for a ratio
:math:`e^\\theta`, ``("linear", c)`` for :math:`c\\,\\theta`. An estimand that carries it has
the named prior's normal distribution, pushed through that map, as its exact prior."""


@dataclass(frozen=True, kw_only=True)
class EstimandDraws:
    """Posterior draws of one estimand with the facts needed to interpret them.

    Parameters
    ----------
    endpoint : str
        Endpoint name (``"efs"``, ``"haq_di"``).
    estimand : str
        Identifier, e.g. ``"survival_difference_54"`` or ``"hazard_ratio_12_24"``.
    label : str
        Human-readable description, e.g. "EFS at 54 months, HSCT minus CYC".
    draws : numpy.ndarray
        Shape ``(chain, draw)``; the chain axis lets R-hat and ESS be computed.
    null : float
        Value of no difference (0 for differences, 1 for ratios).
    superior : {"higher", "lower"}
        Which side of ``null`` means the experimental arm is superior.
    mcid : float, optional
        Threshold on the estimand's own scale beyond which superiority is clinically
        important (e.g. 0.10 for a survival difference, 0.8 for a hazard ratio).
    mcid_source : str, optional
        Where ``mcid`` comes from (citation or "package default; review").
    unit : str, optional
        Unit of the estimand.
    evidence : str, optional
        What drove the estimate: ``"trial"``, ``"external"``, ``"prior only"`` or a
        combination such as ``"trial + external"``.
    extrapolated : bool, default False
        Whether the estimand lies beyond the data of its endpoint (after the last datum,
        or at times the data do not reach), so that its posterior rests on the model's
        assumptions and the prior more than on evidence about that time.
    """

    endpoint: str
    estimand: str
    label: str
    draws: np.ndarray
    null: float
    superior: Literal["higher", "lower"]
    mcid: float | None = None
    mcid_source: str = ""
    unit: str = ""
    evidence: str = "trial"
    attrs: dict[str, object] = field(default_factory=dict)
    extrapolated: bool = False

    def __post_init__(self) -> None:
        draws = np.asarray(self.draws, dtype=float)
        if draws.ndim == 1:
            draws = draws[np.newaxis, :]
        if draws.ndim != 2:
            raise ValueError(f"draws must have shape (chain, draw), got {draws.shape}")
        object.__setattr__(self, "draws", draws)
        if self.superior not in ("higher", "lower"):
            raise ValueError(f"superior must be 'higher' or 'lower', not {self.superior!r}")

    def __repr__(self) -> str:
        chains, draws = self.draws.shape
        return (f"<EstimandDraws {self.endpoint}:{self.estimand} ({self.label}): "
                f"{chains} chains x {draws} draws, median {np.median(self.draws):.4g}, "
                f"P(superior) {self.p_superior():.3f}, evidence {self.evidence}>")

    def _repr_html_(self) -> str:
        s = summarise_draws(self)
        cells = [("Median", f"{s.median:.4g}"),
                 (f"{CREDIBLE_LEVEL:.0%} CrI", f"{s.lower:.4g} to {s.upper:.4g}"),
                 ("P(superior)", f"{s.p_superior:.3f}"),
                 ("P(&gt; MCID)", "–" if np.isnan(s.p_mcid) else f"{s.p_mcid:.3f}"),
                 ("R-hat", "–" if np.isnan(s.rhat) else f"{s.rhat:.2f}"),
                 ("ESS", f"{s.ess_bulk:,.0f}"), ("Evidence", html.escape(self.evidence))]
        head = "".join(f"<th>{k}</th>" for k, _ in cells)
        body = "".join(f"<td>{v}</td>" for _, v in cells)
        return (f"<div><b>{html.escape(self.label)}</b> <code>{html.escape(self.endpoint)}:"
                f"{html.escape(self.estimand)}</code> ({self.superior} is better; "
                f"{self.draws.shape[0]} chains &times; {self.draws.shape[1]} draws)"
                f"<table><tr>{head}</tr><tr>{body}</tr></table></div>")

    def p_superior(self) -> float:
        """Posterior probability that the experimental arm is superior (beyond ``null``)."""
        return _tail(self.draws, self.null, self.superior)

    def p_mcid(self) -> float:
        """Posterior probability of superiority by at least the MCID (NaN without one)."""
        if self.mcid is None:
            return float("nan")
        return _tail(self.draws, self.mcid, self.superior)

    def p_harm(self) -> float:
        """Posterior probability that the experimental arm is inferior (other side of null)."""
        other: Literal["higher", "lower"] = "lower" if self.superior == "higher" else "higher"
        return _tail(self.draws, self.null, other)


def exact_parameter_priors(
    prior_draws: Sequence[EstimandDraws], effect_priors: Mapping[str, Any]
) -> list[EstimandDraws]:
    r"""Replace the forward draws of each parameter-carrying estimand by exact quantiles.

    An estimand whose ``attrs`` name the effect parameter (``attrs["parameter"]``) and
    the map from it (:data:`PARAMETER_TRANSFORM`) has, under a named prior
    :math:`\theta \sim N(m, s^2)`, the prior of :math:`g(\theta)` with :math:`g` the
    map. Its prior draws become :math:`g(m + s\,\Phi^{-1}((i + 1/2)/n))`,
    :math:`i = 0, \dots, n - 1` (in the draws' shape), so that every prior column read
    from them (median, P(superior), P(> MCID)) is the closed form's to :math:`1/(2n)`:
    the statement "5% probability that the HR is below 0.8" reads 0.050, where
    :math:`n` forward draws would show it with a Monte Carlo SE of
    :math:`\sqrt{0.05 \cdot 0.95 / n}` (0.0034 for 4000 draws).

    Parameters
    ----------
    prior_draws : sequence of EstimandDraws
        A fit's prior draws of every estimand (forward-sampled).
    effect_priors : mapping of str to prior
        The fit's named priors by effect parameter, each with ``mean`` and ``sd``.

    Returns
    -------
    list of EstimandDraws
        ``prior_draws`` in order, the carriers' draws replaced; the quantiles are sorted,
        so a carrier's prior draws are no longer paired with the other estimands' (only
        marginal prior summaries read them).

    Raises
    ------
    ValueError
        For an unknown map in :data:`PARAMETER_TRANSFORM`.
    """
    out = []
    for e in prior_draws:
        transform = e.attrs.get(PARAMETER_TRANSFORM)
        prior = effect_priors.get(str(e.attrs.get("parameter", "")))
        if transform is None or prior is None:
            out.append(e)
            continue
        kind, factor = cast("tuple[str, float]", transform)
        n = e.draws.size
        theta = float(prior.mean) + float(prior.sd) * ndtri((np.arange(n) + 0.5) / n)
        if kind == "exp":
            values = np.exp(theta)
        elif kind == "linear":
            values = float(factor) * theta
        else:
            raise ValueError(f"{e.endpoint}:{e.estimand}: unknown parameter transform "
                             f"{kind!r}; use 'exp' or 'linear'")
        out.append(dataclasses.replace(e, draws=values.reshape(e.draws.shape)))
    return out


def mcid_problem(value: float, *, null: float, superior: str) -> str | None:
    """Say why an MCID cannot be a threshold of superiority, or return ``None``.

    An MCID is a threshold on the estimand's own scale beyond the null, on the side that
    means superiority: above 0 for a survival difference, below 1 for a hazard ratio,
    below 0 for a difference in a score where lower is better. On the other side,
    ``p_mcid`` would exceed ``p_superior``, which no reader expects.

    Parameters
    ----------
    value : float
        The MCID.
    null : float
        The estimand's value of no difference.
    superior : {"higher", "lower"}
        Which side of ``null`` is superior.

    Returns
    -------
    str or None
        The reason in plain words, or ``None`` when ``value`` is usable.
    """
    if not math.isfinite(value):
        return f"must be a finite number, not {value!r}"
    if not math.isfinite(null):
        return "this estimand has no null value (an arm's own survival), so no MCID"
    beyond = value > null if superior == "higher" else value < null
    if not beyond:
        side = "above" if superior == "higher" else "below"
        return (f"{value:g} is not beyond the null ({null:g}) on the side of superiority; "
                f"an MCID here lies {side} {null:g}")
    return None


def _tail(draws: np.ndarray, threshold: float, side: str) -> float:
    if side == "higher":
        return float(np.mean(draws > threshold))
    return float(np.mean(draws < threshold))


@dataclass(frozen=True)
class EstimandSummary:
    """Posterior summary of one estimand (see :func:`summarise_draws`)."""

    median: float
    lower: float
    upper: float
    p_superior: float
    p_mcid: float
    p_harm: float
    rhat: float
    ess_bulk: float


def summarise_draws(estimand: EstimandDraws, level: float = CREDIBLE_LEVEL) -> EstimandSummary:
    """Summarise draws: median, central credible interval, tail probabilities, R-hat, ESS.

    Parameters
    ----------
    estimand : EstimandDraws
    level : float, default :data:`~bayes_scot.conventions.CREDIBLE_LEVEL`
        Mass of the central credible interval.

    Returns
    -------
    EstimandSummary
        As :func:`summarise_many` gives it for a list of one.
    """
    return summarise_many([estimand], level)[0]


def summarise_many(
    estimands: Sequence[EstimandDraws], level: float = CREDIBLE_LEVEL
) -> list[EstimandSummary]:
    """Summarise many estimands' draws at once, in the order given.

    Parameters
    ----------
    estimands : sequence of EstimandDraws
    level : float, default :data:`~bayes_scot.conventions.CREDIBLE_LEVEL`
        Mass of the central credible interval.

    Returns
    -------
    list of EstimandSummary
        One per estimand: median and central credible interval of the pooled draws,
        the tail probabilities of :class:`EstimandDraws`, R-hat and bulk ESS.

    Notes
    -----
    R-hat is the rank-normalised split R-hat and ESS the bulk effective sample size of
    Vehtari et al. (2021), ArviZ's estimators, computed for all estimands with the same
    number of chains and draws in one vectorised call
    (:func:`~bayes_scot.stats.convergence.batch_rhat_ess`). As in ArviZ, R-hat is NaN
    with a single chain, both are NaN with fewer than four draws or any NaN draw, and
    both are NaN where the draws do not vary.

    References
    ----------
    .. [1] Vehtari A, Gelman A, Simpson D, Carpenter B, Bürkner P-C. Rank-normalization,
       folding, and localization: an improved R-hat for assessing convergence of MCMC.
       Bayesian Analysis 2021;16:667-718. doi:10.1214/20-BA1221
    """
    alpha = (1.0 - level) / 2.0
    groups: dict[tuple[int, ...], list[int]] = {}
    for i, e in enumerate(estimands):
        groups.setdefault(e.draws.shape, []).append(i)
    summaries: list[EstimandSummary | None] = [None] * len(estimands)
    for members in groups.values():
        stack = np.stack([estimands[i].draws for i in members])
        quantiles = _quantiles(stack.reshape(len(members), -1), [alpha, 0.5, 1.0 - alpha])
        rhat, ess = _convergence(stack)
        for j, i in enumerate(members):
            e = estimands[i]
            summaries[i] = EstimandSummary(
                median=float(quantiles[1, j]),
                lower=float(quantiles[0, j]),
                upper=float(quantiles[2, j]),
                p_superior=e.p_superior(),
                p_mcid=e.p_mcid(),
                p_harm=e.p_harm(),
                rhat=float(rhat[j]),
                ess_bulk=float(ess[j]),
            )
    return [s for s in summaries if s is not None]


def _quantiles(flat: np.ndarray, q: Sequence[float]) -> np.ndarray:
    """Quantiles ``(len(q), row)`` of each row's draws, an infinite one where it falls.

    Linear interpolation between two infinite draws (a ratio at its limit, beyond its
    range) gives NaN; there the nearest draw, infinite too, is the quantile.
    """
    with np.errstate(invalid="ignore"):
        out = np.quantile(flat, q, axis=-1)
    lost = np.isnan(out) & ~np.isnan(flat).any(axis=-1)
    if lost.any():
        out = np.where(lost, np.quantile(flat, q, axis=-1, method="nearest"), out)
    return out


def _convergence(stack: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """R-hat and bulk ESS of draws ``(estimand, chain, draw)``, NaN where ArviZ gives NaN."""
    chains, n_draws = stack.shape[-2:]
    flat = stack.reshape(len(stack), -1)
    undefined = np.isnan(flat).any(axis=-1) | (np.ptp(flat, axis=-1) == 0) | (n_draws < 4)
    rhat = np.full(len(stack), np.nan)
    ess = np.full(len(stack), np.nan)
    if not undefined.all():
        with np.errstate(divide="ignore", invalid="ignore"):
            rhat[~undefined], ess[~undefined] = batch_rhat_ess(stack[~undefined])
    if chains < 2:
        rhat[:] = np.nan
    return rhat, ess
