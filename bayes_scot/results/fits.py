"""One fitted model under one prior, and the diagnostics gate every result passes through.

A reanalysis samples each model family once per named prior. :class:`PriorFit` keeps what
the results tables need from one such fit: the posterior draws of every estimand, the
sampler diagnostics, the prior that was used and, when it was computed, the
reproduce-the-paper frame. Nothing here runs a sampler; fits are built by
:func:`bayes_scot.reanalyse` or, for tests and examples, directly from draws.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Protocol

import pandas as pd

from bayes_scot.results.attribution import LikelihoodTerm
from bayes_scot.stats.estimands import EstimandDraws
from bayes_scot.stats.priors import FixedScale

if TYPE_CHECKING:  # pragma: no cover
    import arviz as az

__all__ = [
    "ESS_BULK_MIN",
    "RHAT_MAX",
    "DiagnosticsLike",
    "PriorFit",
    "flag_reasons",
]

RHAT_MAX: float = 1.01
"""Largest acceptable rank-normalised split R-hat (Vehtari et al. 2021)."""

ESS_BULK_MIN: float = 400.0
"""Smallest acceptable bulk effective sample size (Vehtari et al. 2021: 100 per chain x 4)."""


class DiagnosticsLike(Protocol):
    """What the results layer reads from a fit's sampler diagnostics.

    :class:`bayes_scot.fitting.Diagnostics` has these attributes; any object with them
    (for instance in a test) can stand in for it.
    """

    @property
    def rhat_max(self) -> float: ...  # noqa: D102

    @property
    def ess_bulk_min(self) -> float: ...  # noqa: D102

    @property
    def divergences(self) -> int: ...  # noqa: D102


def flag_reasons(
    *,
    rhat: float,
    ess_bulk: float,
    divergences: int,
    fit_rhat_max: float = float("nan"),
    fit_ess_bulk_min: float = float("nan"),
) -> list[str]:
    """List why a result fails the diagnostics gate (empty when it passes).

    Parameters
    ----------
    rhat, ess_bulk : float
        R-hat and bulk ESS of the estimand itself. NaN (a single chain, or a constant
        quantity) is not a failure on its own.
    divergences : int
        Divergent transitions in the fit the estimand comes from.
    fit_rhat_max, fit_ess_bulk_min : float, optional
        The worst R-hat and bulk ESS over the fit's parameters: an estimand inherits the
        fit's failure, because a quantity that looks converged can rest on parameters
        that are not.

    Returns
    -------
    list of str
        Short reasons such as ``"R-hat 1.032 > 1.01"``, in a fixed order.

    Notes
    -----
    The thresholds are :data:`RHAT_MAX` and :data:`ESS_BULK_MIN`, the recommendations of
    Vehtari et al. (2021); any divergent transition fails the gate (Betancourt 2017).

    References
    ----------
    .. [1] Vehtari A, Gelman A, Simpson D, Carpenter B, Bürkner P-C. Rank-normalization,
       folding, and localization: an improved R-hat for assessing convergence of MCMC.
       Bayesian Analysis 2021;16:667-718. doi:10.1214/20-BA1221
    .. [2] Betancourt M. A conceptual introduction to Hamiltonian Monte Carlo. 2017.
       arXiv:1701.02434
    """
    reasons = []
    worst_rhat = max((r for r in (rhat, fit_rhat_max) if not math.isnan(r)), default=math.nan)
    worst_ess = min((e for e in (ess_bulk, fit_ess_bulk_min) if not math.isnan(e)),
                    default=math.nan)
    if not math.isnan(worst_rhat) and worst_rhat > RHAT_MAX:
        reasons.append(f"R-hat {worst_rhat:.3f} > {RHAT_MAX:g}")
    if not math.isnan(worst_ess) and worst_ess < ESS_BULK_MIN:
        reasons.append(f"bulk ESS {worst_ess:.0f} < {ESS_BULK_MIN:.0f}")
    if divergences > 0:
        reasons.append(f"{divergences} divergent transition{'s' if divergences != 1 else ''}")
    return reasons


@dataclass(frozen=True, kw_only=True)
class PriorFit:
    """What the results tables keep from one model family fitted under one prior.

    Parameters
    ----------
    family : str
        Model family: ``"survival"``, ``"longitudinal"`` or ``"composite"``.
    prior : str
        Name of the prior in the grid (``"reference"``, ``"skeptical_strong"``, ...).
    estimands : tuple of EstimandDraws
        Posterior draws of every estimand of the fit. Draws of one fit share the
        ``(chain, draw)`` axes, so joint probabilities across them are exact.
    diagnostics : DiagnosticsLike
        Sampler diagnostics of the fit (worst R-hat, smallest bulk ESS, divergences).
    effect_priors : mapping of str to EffectPrior, optional
        The prior placed on each treatment-effect parameter, by parameter name.
    idata : arviz.InferenceData, optional
        The posterior, for ArviZ users and plots.
    reproduce : pandas.DataFrame, optional
        The family's reproduce-the-paper frame for this fit (see
        :func:`bayes_scot.results.reproduce_table`).
    seconds : float, optional
        Wall time of the fit.
    route : str, optional
        Names a second source of estimands within a family, e.g. ``"model-based"`` for
        the GRCS computed from the survival and longitudinal fits beside the composite
        family's own fit. Joint probabilities keep its draws apart from the family's.
    notes : tuple of str, optional
        How the draws were obtained, where that matters for joint probabilities (for
        instance draws of separate posteriors paired by index); repeated in their
        ``basis``.
    prior_estimands : tuple of EstimandDraws, optional
        Draws of the same estimands under the prior alone (the model's free variables
        forward-sampled with this fit's prior hyperparameters, no evidence); empty when
        they were not drawn (e.g. the model-based route, computed from other fits).
    likelihood_terms : tuple of LikelihoodTerm, optional
        Each likelihood term at every posterior draw, labelled with its source, for
        attribution and tipping points (:mod:`bayes_scot.results.attribution`).
    fixed_scales : tuple of FixedScale, optional
        The prior scales the model fixes and the variables each scales, for
        :func:`~bayes_scot.results.constant_sensitivity` (the reference fit's).
    """

    family: str
    prior: str
    estimands: tuple[EstimandDraws, ...]
    diagnostics: DiagnosticsLike
    effect_priors: Mapping[str, Any] = field(default_factory=dict)
    idata: az.InferenceData | None = None
    reproduce: pd.DataFrame | None = None
    seconds: float = float("nan")
    route: str = ""
    notes: tuple[str, ...] = ()
    prior_estimands: tuple[EstimandDraws, ...] = ()
    likelihood_terms: tuple[LikelihoodTerm, ...] = ()
    fixed_scales: tuple[FixedScale, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "estimands", tuple(self.estimands))
        object.__setattr__(self, "prior_estimands", tuple(self.prior_estimands))
        object.__setattr__(self, "likelihood_terms", tuple(self.likelihood_terms))
        object.__setattr__(self, "fixed_scales", tuple(self.fixed_scales))
        object.__setattr__(self, "notes", tuple(self.notes))
        object.__setattr__(self, "effect_priors", MappingProxyType(dict(self.effect_priors)))
        seen: set[tuple[str, str]] = set()
        for e in self.estimands:
            key = (e.endpoint, e.estimand)
            if key in seen:
                raise ValueError(
                    f"{self.family} fit under prior {self.prior!r} has estimand "
                    f"{e.estimand!r} of endpoint {e.endpoint!r} twice"
                )
            seen.add(key)

    def __repr__(self) -> str:
        route = f" ({self.route})" if self.route else ""
        d = self.diagnostics
        return (f"<PriorFit {self.family}{route} under {self.prior!r}: "
                f"{len(self.estimands)} estimands; R-hat {float(d.rhat_max):.3f}, "
                f"ESS {float(d.ess_bulk_min):.0f}, {int(d.divergences)} divergences: "
                f"{'passed' if self.passed else 'FLAGGED'}>")

    def _repr_html_(self) -> str:
        from html import escape

        from bayes_scot.stats.estimands import summarise_draws

        rows = []
        for e in self.estimands:
            s = summarise_draws(e)
            rows.append(f"<tr><td>{escape(e.endpoint)}</td><td>{escape(e.label)}</td>"
                        f"<td>{s.median:.4g}</td><td>{s.lower:.4g} to {s.upper:.4g}</td>"
                        f"<td>{s.p_superior:.3f}</td><td>{escape(e.evidence)}</td></tr>")
        d = self.diagnostics
        route = f" ({escape(self.route)})" if self.route else ""
        return (f"<div><b>{escape(self.family)}{route}</b> under prior "
                f"<code>{escape(self.prior)}</code>: max R-hat {float(d.rhat_max):.2f}, "
                f"min bulk ESS {float(d.ess_bulk_min):,.0f}, {int(d.divergences)} "
                f"divergences: <b>{'passed' if self.passed else 'failed'}</b> the "
                "diagnostics gate. <code>.idata</code> holds the posterior."
                "<table><tr><th>Endpoint</th><th>Estimand</th><th>Median</th>"
                "<th>Credible interval</th><th>P(superior)</th><th>Evidence</th></tr>"
                + "".join(rows) + "</table></div>")

    @property
    def passed(self) -> bool:
        """Whether the fit as a whole passes the diagnostics gate."""
        return not flag_reasons(
            rhat=float("nan"),
            ess_bulk=float("nan"),
            divergences=int(self.diagnostics.divergences),
            fit_rhat_max=float(self.diagnostics.rhat_max),
            fit_ess_bulk_min=float(self.diagnostics.ess_bulk_min),
        )

    def estimand(self, endpoint: str, estimand: str) -> EstimandDraws:
        """Return the draws of one estimand.

        Parameters
        ----------
        endpoint, estimand : str

        Returns
        -------
        EstimandDraws

        Raises
        ------
        KeyError
            If the fit has no such estimand.
        """
        for e in self.estimands:
            if e.endpoint == endpoint and e.estimand == estimand:
                return e
        raise KeyError(f"{self.family} fit has no estimand {estimand!r} of endpoint {endpoint!r}")

    def prior_estimand(self, endpoint: str, estimand: str) -> EstimandDraws | None:
        """Return the prior draws of one estimand, or ``None`` when none were drawn."""
        for e in self.prior_estimands:
            if e.endpoint == endpoint and e.estimand == estimand:
                return e
        return None
