"""Named normal priors on a treatment effect, defined from clinical statements.

A prior on a treatment-effect parameter (a log hazard ratio, a mean difference) is a
normal distribution :class:`EffectPrior`. Every prior of the package is defined by a
sentence a clinician can agree or disagree with ("5% probability that the hazard ratio is
below 0.5"); the sentence is kept in :attr:`EffectPrior.statement` and the mean and
standard deviation follow from it in closed form (:func:`sd_from_tail`).

:func:`prior_grid` builds the package's named grid of 13 priors (reference, then neutral,
skeptical, optimistic and pessimistic priors at strong, moderate and weak strength), after
the families of Zampieri et al. (2021). Helpers turn single statements into priors:
:func:`prior_from_statement`, :func:`prior_from_interval`, and, for ratio measures,
:func:`ratio_prior`, :func:`ratio_prior_from_interval` and :func:`ratio_prior_with_harm`.

Directions are explicit: ``benefit`` says which direction of the parameter favours the
experimental arm (``"lower"`` for a log hazard ratio of a harmful event, ``"higher"`` for a
quality-of-life score).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from scipy.special import ndtr, ndtri

from bayes_scot.errors import EvidenceError

__all__ = [
    "DEFAULT_GRID_NAMES",
    "FAMILIES",
    "STRENGTHS",
    "TAIL_PROBABILITIES",
    "EffectPrior",
    "FixedScale",
    "prior_from_interval",
    "prior_from_statement",
    "prior_grid",
    "priors_to_frame",
    "ratio_prior",
    "ratio_prior_from_interval",
    "ratio_prior_with_harm",
    "sd_from_tail",
]

FAMILIES: tuple[str, ...] = ("reference", "neutral", "skeptical", "optimistic", "pessimistic")
"""The prior families of :func:`prior_grid`, in grid order."""

STRENGTHS: tuple[str, ...] = ("strong", "moderate", "weak")
"""Strengths of every family except the reference prior, in grid order."""

TAIL_PROBABILITIES: Mapping[str, float] = {"strong": 0.05, "moderate": 0.15, "weak": 0.30}
"""Prior probability that a skeptical, optimistic or pessimistic prior is wrong.

For optimistic and pessimistic priors: the probability of an effect in the direction
opposite to the prior's centre (Zampieri et al. 2021). For skeptical priors: the
probability of a benefit beyond the MCID (or the design effect).
"""

NEUTRAL_MASS: float = 0.95
"""Central prior mass of a neutral prior inside its stated limits."""

NEUTRAL_LIMIT_MULTIPLES: Mapping[str, float] = {"strong": 0.5, "moderate": 1.0, "weak": 2.0}
"""Default half-widths of the neutral priors' 95% ranges, in multiples of the design effect."""

DEFAULT_GRID_NAMES: tuple[str, ...] = (
    "reference",
    *(f"{family}_{strength}" for family in FAMILIES[1:] for strength in STRENGTHS),
)
"""Names of the 13 priors of :func:`prior_grid`, in order."""

Benefit = Literal["lower", "higher"]


def _finite(value: object, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.floating | np.integer):
        raise EvidenceError(f"must be a number, not {value!r}", field=name)
    value = float(value)
    if not math.isfinite(value):
        raise EvidenceError(f"must be finite, not {value!r}", field=name)
    return value


def _probability(value: object, name: str) -> float:
    p = _finite(value, name)
    if not 0.0 < p < 1.0:
        raise EvidenceError(f"must be a probability strictly between 0 and 1, not {p!r}",
                            field=name)
    return p


def _percent(p: float) -> str:
    return f"{100 * p:.3g}%"


@dataclass(frozen=True)
class FixedScale:
    r"""A prior scale a model fixes (an option, not estimated) and the variables it scales.

    Parameters
    ----------
    option : str
        The option's name (``"baseline_smoothing_sd"``, ``"trajectory_sd"``).
    value : float
        Its value in the fit.
    variables : tuple of str
        The free variables whose prior the option scales, as the posterior names them.
        Each has a normal or half-normal prior centred at zero with SD ``kernel_sd``
        (a non-centred innovation ``z ~ N(0, 1)`` that the option multiplies, or a
        variable ``N(0, value)``), so that raising its prior density to a power
        :math:`\alpha` is the same as dividing the option by :math:`\sqrt{\alpha}`:
        power-scaling these variables' prior measures how much a result depends on the
        option's value (:func:`bayes_scot.results.constant_sensitivity`).
    kernel_sd : float, default 1.0
        SD of the variables' prior.
    beta : tuple of float, optional
        For a hyperprior the model fixes rather than a scale: the variables' prior is
        Beta(a, b) (the within-patient correlation's, the endpoint correlation's) and
        ``value`` is its mean. Raising it to a power :math:`\alpha` gives
        Beta(:math:`\alpha(a - 1) + 1, \alpha(b - 1) + 1`), the same mode held more or
        less firmly: power-scaling it measures how much a result rests on that prior
        rather than on the data.
    """

    option: str
    value: float
    variables: tuple[str, ...]
    kernel_sd: float = 1.0
    beta: tuple[float, float] | None = None


@dataclass(frozen=True, kw_only=True)
class EffectPrior:
    r"""A normal prior on one treatment-effect parameter.

    Parameters
    ----------
    name : str
        Identifier, e.g. ``"reference"`` or ``"skeptical_strong"``.
    family : str
        ``"reference"``, ``"neutral"``, ``"skeptical"``, ``"optimistic"`` or
        ``"pessimistic"`` for the grid; ``"elicited"`` for priors built from a user's
        statement; ``"user"`` for a bare ``(mean, sd)`` pair.
    strength : str
        ``"strong"``, ``"moderate"``, ``"weak"``, or ``""`` when the family has none.
    mean : float
        Prior mean on the parameter's scale (log hazard ratio, mean difference, ...).
    sd : float
        Prior standard deviation on the same scale (positive).
    statement : str
        The clinical statement that defines the prior, in words.
    label : str, optional
        Short human label for tables and legends, e.g. "Skeptical (strong)". Defaults to
        one built from ``family`` and ``strength``.

    Notes
    -----
    The prior is :math:`\theta \sim N(\text{mean}, \text{sd}^2)`. Its tail
    probabilities (:meth:`prob_below`, :meth:`prob_above`) are closed forms, so a test can
    check that every prior reproduces the statement that defines it.
    """

    name: str
    family: str
    strength: str
    mean: float
    sd: float
    statement: str
    label: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise EvidenceError("a prior needs a non-empty name", field="name")
        mean = _finite(self.mean, "mean")
        sd = _finite(self.sd, "sd")
        if sd <= 0:
            raise EvidenceError(f"prior '{self.name}': sd must be positive, not {sd!r}",
                                field="sd")
        object.__setattr__(self, "mean", mean)
        object.__setattr__(self, "sd", sd)
        if not self.label:
            label = self.family.capitalize() if self.family else self.name
            if self.strength:
                label = f"{label} ({self.strength})"
            object.__setattr__(self, "label", label)

    def prob_below(self, threshold: float) -> float:
        """Prior probability that the parameter is below ``threshold``."""
        return float(ndtr((threshold - self.mean) / self.sd))

    def prob_above(self, threshold: float) -> float:
        """Prior probability that the parameter is above ``threshold``."""
        return float(ndtr((self.mean - threshold) / self.sd))

    def interval(self, mass: float = 0.95) -> tuple[float, float]:
        """Central prior interval holding ``mass`` of the probability."""
        z = float(ndtri(0.5 + _probability(mass, "mass") / 2.0))
        return (self.mean - z * self.sd, self.mean + z * self.sd)

    def as_tuple(self) -> tuple[float, float]:
        """Return ``(mean, sd)``."""
        return (self.mean, self.sd)

    def renamed(self, name: str, *, label: str = "") -> EffectPrior:
        """Return a copy with another name (and label)."""
        return EffectPrior(name=name, family=self.family, strength=self.strength,
                           mean=self.mean, sd=self.sd, statement=self.statement, label=label)


def sd_from_tail(mean: float, threshold: float, probability: float) -> float:
    """Return the SD for which ``P(X < threshold) = probability`` when ``X ~ N(mean, sd)``.

    Parameters
    ----------
    mean : float
        Centre of the normal distribution.
    threshold : float
        The value the statement is about.
    probability : float
        ``P(X < threshold)``, strictly between 0 and 1 and not 0.5.

    Returns
    -------
    float
        ``(threshold - mean) / Phi^-1(probability)``.

    Raises
    ------
    EvidenceError
        When no positive SD satisfies the statement: a threshold below the mean needs a
        probability below 0.5 and a threshold above the mean one above 0.5.

    Notes
    -----
    For the statement "P(R < c) = pi" on a ratio R with prior median :math:`e^{m_0}`, call
    ``sd_from_tail(m0, log(c), pi)`` (Zampieri et al. 2021).

    Examples
    --------
    Zampieri's moderately neutral prior, 2.5% probability of a hazard ratio below 0.5:

    >>> import math
    >>> round(sd_from_tail(0.0, math.log(0.5), 0.025), 4)
    0.3537
    """
    mean = _finite(mean, "mean")
    threshold = _finite(threshold, "threshold")
    p = _probability(probability, "probability")
    if threshold == mean:
        raise EvidenceError("the threshold equals the mean: P(X < mean) is 0.5 for any SD",
                            field="threshold")
    if p == 0.5:
        raise EvidenceError("a probability of 0.5 puts the mean at the threshold",
                            field="probability")
    sd = (threshold - mean) / float(ndtri(p))
    if sd <= 0:
        side = "below" if threshold < mean else "above"
        need = "below" if threshold < mean else "above"
        raise EvidenceError(
            f"a threshold {side} the mean needs P(X < threshold) {need} 0.5, got {p:g}",
            field="probability",
        )
    return sd


def prior_from_statement(
    *,
    mean: float,
    threshold: float,
    probability: float,
    name: str = "elicited",
    label: str = "",
    statement: str = "",
) -> EffectPrior:
    """Build a prior from "centred on ``mean``, with ``P(theta < threshold) = probability``".

    Parameters
    ----------
    mean : float
        Prior mean (and median) of the parameter.
    threshold : float
        A value of the parameter.
    probability : float
        Prior probability that the parameter is below ``threshold``.
    name, label : str, optional
        Name and label of the prior.
    statement : str, optional
        The statement in the user's words; by default one is written from the numbers.

    Returns
    -------
    EffectPrior
        Family ``"elicited"``.

    See Also
    --------
    ratio_prior : the same for a ratio measure, with the statement on the ratio scale.
    """
    sd = sd_from_tail(mean, threshold, probability)
    statement = statement or (
        f"centred on {mean:.4g}; P(effect < {threshold:.4g}) = {_percent(probability)}"
    )
    return EffectPrior(name=name, family="elicited", strength="", mean=mean, sd=sd,
                       statement=statement, label=label or "Elicited")


def prior_from_interval(
    lower: float,
    upper: float,
    mass: float = 0.95,
    *,
    name: str = "elicited",
    label: str = "",
    statement: str = "",
) -> EffectPrior:
    """Build a prior from "``mass`` of the probability lies between ``lower`` and ``upper``".

    Parameters
    ----------
    lower, upper : float
        Limits of the central interval on the parameter's scale (``lower < upper``).
    mass : float, default 0.95
        Prior probability inside the interval.
    name, label, statement : str, optional
        As in :func:`prior_from_statement`.

    Returns
    -------
    EffectPrior
        Mean ``(lower + upper) / 2``, SD ``(upper - lower) / (2 Phi^-1((1 + mass) / 2))``.
    """
    lower = _finite(lower, "lower")
    upper = _finite(upper, "upper")
    mass = _probability(mass, "mass")
    if not lower < upper:
        raise EvidenceError(f"lower ({lower!r}) must be below upper ({upper!r})", field="lower")
    z = float(ndtri(0.5 + mass / 2.0))
    statement = statement or (
        f"{_percent(mass)} probability that the effect lies between {lower:.4g} and {upper:.4g}"
    )
    return EffectPrior(name=name, family="elicited", strength="", mean=(lower + upper) / 2.0,
                       sd=(upper - lower) / (2.0 * z), statement=statement,
                       label=label or "Elicited")


def _positive_ratio(value: object, name: str) -> float:
    r = _finite(value, name)
    if r <= 0:
        raise EvidenceError(f"a ratio must be positive, not {r!r}", field=name)
    return r


def ratio_prior(
    *,
    threshold: float,
    probability: float,
    centre: float = 1.0,
    side: Literal["below", "above"] = "below",
    measure: str = "HR",
    name: str = "elicited",
    label: str = "",
) -> EffectPrior:
    """Prior on a log ratio from "centred on ``centre``, ``P(ratio < threshold) = probability``".

    Parameters
    ----------
    threshold : float
        A value of the ratio (e.g. 0.5).
    probability : float
        Prior probability that the ratio is on ``side`` of ``threshold``.
    centre : float, default 1.0
        Prior median of the ratio (1 = no effect).
    side : {"below", "above"}, default "below"
        Which side of ``threshold`` the probability refers to.
    measure : str, default "HR"
        Name of the ratio, used in the statement.
    name, label : str, optional
        Name and label of the prior.

    Returns
    -------
    EffectPrior
        A normal prior on ``log(ratio)``.

    Examples
    --------
    "5% prior probability that the hazard ratio is below 0.5":

    >>> p = ratio_prior(threshold=0.5, probability=0.05)
    >>> round(p.sd, 3)
    0.421
    """
    threshold = _positive_ratio(threshold, "threshold")
    centre = _positive_ratio(centre, "centre")
    p = _probability(probability, "probability")
    if side not in ("below", "above"):
        raise EvidenceError(f"side must be 'below' or 'above', not {side!r}", field="side")
    p_below = p if side == "below" else 1.0 - p
    sd = sd_from_tail(math.log(centre), math.log(threshold), p_below)
    sign = "<" if side == "below" else ">"
    statement = (f"{measure} centred on {centre:.3g}; "
                 f"P({measure} {sign} {threshold:.3g}) = {_percent(p)}")
    return EffectPrior(name=name, family="elicited", strength="", mean=math.log(centre),
                       sd=sd, statement=statement, label=label or "Elicited")


def ratio_prior_from_interval(
    lower: float,
    upper: float,
    mass: float = 0.95,
    *,
    measure: str = "HR",
    name: str = "elicited",
    label: str = "",
) -> EffectPrior:
    """Prior on a log ratio from "``mass`` of the probability between ``lower`` and ``upper``".

    Parameters
    ----------
    lower, upper : float
        Ratio limits (``0 < lower < upper``); the prior median is their geometric mean.
    mass : float, default 0.95
        Prior probability inside the limits.
    measure : str, default "HR"
        Name of the ratio, used in the statement.
    name, label : str, optional
        Name and label of the prior.

    Returns
    -------
    EffectPrior
        A normal prior on ``log(ratio)``.
    """
    lower = _positive_ratio(lower, "lower")
    upper = _positive_ratio(upper, "upper")
    statement = (f"{_percent(_probability(mass, 'mass'))} probability that the {measure} lies "
                 f"between {lower:.3g} and {upper:.3g}")
    return prior_from_interval(math.log(lower), math.log(upper), mass, name=name,
                               label=label, statement=statement)


def ratio_prior_with_harm(
    centre: float,
    p_harm: float,
    *,
    measure: str = "HR",
    name: str = "elicited",
    label: str = "",
) -> EffectPrior:
    """Prior on a log ratio "centred on ``centre`` with probability ``p_harm`` of harm".

    Harm is a ratio above 1 (ratios below 1 favour the experimental arm). A ``centre``
    above 1 describes a pessimistic belief, and then ``p_harm`` must exceed 0.5.

    Parameters
    ----------
    centre : float
        Prior median of the ratio, e.g. the MCID (0.8) or the design effect.
    p_harm : float
        Prior probability that the ratio exceeds 1.
    measure : str, default "HR"
        Name of the ratio, used in the statement.
    name, label : str, optional
        Name and label of the prior.

    Returns
    -------
    EffectPrior
        A normal prior on ``log(ratio)``.

    Examples
    --------
    "Centred on the MCID, HR 0.8, with a 15% chance of harm":

    >>> round(ratio_prior_with_harm(0.8, 0.15).sd, 3)
    0.215
    """
    centre = _positive_ratio(centre, "centre")
    if centre == 1.0:
        raise EvidenceError("a prior centred on 1 has a 50% chance of harm whatever its SD",
                            field="centre")
    p = _probability(p_harm, "p_harm")
    sd = sd_from_tail(math.log(centre), 0.0, 1.0 - p)
    statement = f"{measure} centred on {centre:.3g}; P({measure} > 1) = {_percent(p)}"
    return EffectPrior(name=name, family="elicited", strength="", mean=math.log(centre),
                       sd=sd, statement=statement, label=label or "Elicited")


def _describe(value: float, measure: str | None) -> str:
    """Write a parameter value for a statement, on the ratio scale when there is one."""
    if measure:
        return f"{measure} {math.exp(value):.3g}"
    return f"{value:+.4g}"


def _region(threshold: float, side: str, measure: str | None) -> str:
    """Write "HR < 0.8" or "effect > +0.14" for a statement."""
    sign = "<" if side == "lower" else ">"
    if measure:
        return f"{measure} {sign} {math.exp(threshold):.3g}"
    value = "0" if threshold == 0 else f"{threshold:+.4g}"
    return f"effect {sign} {value}"


def prior_grid(
    *,
    design_effect: float,
    benefit: Benefit,
    reference_sd: float,
    mcid: float | None = None,
    neutral_limits: Mapping[str, float] | None = None,
    measure: str | None = None,
) -> dict[str, EffectPrior]:
    r"""Build the package's named grid of 13 priors on one treatment-effect parameter.

    Parameters
    ----------
    design_effect : float
        The hoped-for effect on the parameter's scale (e.g. ``log(0.5)`` for a log hazard
        ratio), on the ``benefit`` side of 0.
    benefit : {"lower", "higher"}
        Which direction of the parameter favours the experimental arm.
    reference_sd : float
        SD of the weakly informative reference prior (centred on 0).
    mcid : float, optional
        Minimal clinically important effect on the parameter's scale, on the ``benefit``
        side of 0 (e.g. ``log(0.8)``). Skeptical priors are defined from it; without it,
        from ``design_effect``.
    neutral_limits : mapping of str to float, optional
        Half-widths (positive, on the parameter's scale) of the central 95% ranges of the
        neutral priors, keyed by strength. By default 0.5, 1 and 2 times
        ``|design_effect|`` for strong, moderate and weak.
    measure : str, optional
        When the parameter is the logarithm of a ratio, its name (``"HR"``): statements
        are then written on the ratio scale.

    Returns
    -------
    dict of str to EffectPrior
        Ordered as :data:`DEFAULT_GRID_NAMES`: ``"reference"``, then ``neutral_*``,
        ``skeptical_*``, ``optimistic_*``, ``pessimistic_*`` for strengths strong,
        moderate and weak.

    Raises
    ------
    EvidenceError
        When ``design_effect`` or ``mcid`` is zero or on the harm side, ``benefit`` is not
        "lower"/"higher", or an SD or limit is not positive.

    Notes
    -----
    Write :math:`\Delta` for the design effect, :math:`m` for the MCID (default
    :math:`\Delta`), and let "beyond" mean "further in the benefit direction". With
    :math:`\pi_s` = 0.05, 0.15, 0.30 for strong, moderate, weak
    (:data:`TAIL_PROBABILITIES`):

    * reference: :math:`N(0, \text{reference\_sd}^2)`, weakly informative.
    * neutral (mean 0): 95% of the mass within :math:`\pm h_s`, :math:`h_s` =
      ``neutral_limits[s]``, so :math:`\sigma = h_s / \Phi^{-1}(0.975)`.
      Zampieri et al. (2021) use, for a log ratio, :math:`h` = log 1.5 (strong) and
      log 2 (moderate), i.e. SDs 0.205 and 0.355 after rounding to 0.005; pass
      ``neutral_limits={"strong": log(1.5), "moderate": log(2), "weak": ...}`` to obtain
      them. The default ladder (:math:`\Delta/2, \Delta, 2\Delta`) gives the moderate
      one exactly for a design hazard ratio of 0.5.
    * skeptical (mean 0): probability :math:`\pi_s` of a benefit beyond the MCID,
      :math:`P(\theta \text{ beyond } m) = \pi_s` (Spiegelhalter et al. 1994).
    * optimistic (mean :math:`\Delta`): probability :math:`\pi_s` of harm,
      :math:`P(\theta \text{ on the harm side of } 0) = \pi_s`.
    * pessimistic (mean :math:`-\Delta`, the mirror): probability :math:`\pi_s` of
      benefit.

    References
    ----------
    .. [1] Zampieri FG, Casey JD, Shankar-Hari M, Harrell FE, Harhay MO. Using Bayesian
       methods to augment the interpretation of critical care trials. An overview of
       theory and example reanalysis of the Alveolar Recruitment for Acute Respiratory
       Distress Syndrome Trial. Am J Respir Crit Care Med 2021;203:543-52.
       doi:10.1164/rccm.202006-2381CP
    .. [2] Spiegelhalter DJ, Freedman LS, Parmar MKB. Bayesian approaches to randomized
       trials. J R Stat Soc A 1994;157:357-416. doi:10.2307/2983527
    .. [3] Goligher EC, Tomlinson G, Hajage D, et al. Extracorporeal membrane oxygenation
       for severe acute respiratory distress syndrome and posterior probability of
       mortality benefit in a post hoc Bayesian analysis of a randomized clinical trial.
       JAMA 2018;320:2251-9. doi:10.1001/jama.2018.14276

    Examples
    --------
    >>> import math
    >>> grid = prior_grid(design_effect=math.log(0.5), benefit="lower", reference_sd=2.0,
    ...                   mcid=math.log(0.8), measure="HR")
    >>> list(grid)[:4]
    ['reference', 'neutral_strong', 'neutral_moderate', 'neutral_weak']
    >>> grid["skeptical_strong"].statement
    'centred on no effect; 5% probability of a benefit beyond the MCID (HR < 0.8)'
    """
    design_effect, reference_sd, mcid = _check_grid_scale(benefit, design_effect,
                                                          reference_sd, mcid)
    limits = _neutral_limits(abs(design_effect), neutral_limits)
    harm_side: Benefit = "higher" if benefit == "lower" else "lower"
    grid: dict[str, EffectPrior] = {}
    grid["reference"] = EffectPrior(
        name="reference", family="reference", strength="", mean=0.0, sd=reference_sd,
        statement=(f"weakly informative: centred on no effect, SD {reference_sd:.4g} on the "
                   f"{'log ' + measure if measure else 'effect'} scale"),
        label="Reference",
    )
    grid.update(_neutral_priors(limits, measure))
    threshold = mcid if mcid is not None else design_effect
    threshold_name = "the MCID" if mcid is not None else "the design effect"
    for s in STRENGTHS:
        p = TAIL_PROBABILITIES[s]
        p_below = p if benefit == "lower" else 1.0 - p
        grid[f"skeptical_{s}"] = EffectPrior(
            name=f"skeptical_{s}", family="skeptical", strength=s, mean=0.0,
            sd=sd_from_tail(0.0, threshold, p_below),
            statement=(f"centred on no effect; {_percent(p)} probability of a benefit beyond "
                       f"{threshold_name} ({_region(threshold, benefit, measure)})"),
            label=f"Skeptical ({s})",
        )
    grid.update(_directional_priors("optimistic", design_effect, harm_side, measure))
    grid.update(_directional_priors("pessimistic", -design_effect, benefit, measure))
    return grid


def _check_grid_scale(benefit: str, design_effect: float, reference_sd: float,
                      mcid: float | None) -> tuple[float, float, float | None]:
    """Check :func:`prior_grid`'s scale; return the design effect, reference SD and MCID."""
    if benefit not in ("lower", "higher"):
        raise EvidenceError(f"benefit must be 'lower' or 'higher', not {benefit!r}",
                            field="benefit")
    sign = -1.0 if benefit == "lower" else 1.0
    design_effect = _finite(design_effect, "design_effect")
    if design_effect * sign <= 0:
        raise EvidenceError(
            f"design_effect {design_effect:g} must be on the benefit side of 0 "
            f"(benefit = {benefit!r})",
            field="design_effect",
        )
    reference_sd = _finite(reference_sd, "reference_sd")
    if reference_sd <= 0:
        raise EvidenceError(f"must be positive, not {reference_sd!r}", field="reference_sd")
    if mcid is not None:
        mcid = _finite(mcid, "mcid")
        if mcid * sign <= 0:
            raise EvidenceError(
                f"mcid {mcid:g} must be on the benefit side of 0 (benefit = {benefit!r})",
                field="mcid",
            )
    return design_effect, reference_sd, mcid


def _neutral_limits(delta: float, neutral_limits: Mapping[str, float] | None
                    ) -> dict[str, float]:
    """Return the neutral priors' half-widths by strength (checked, or the default ladder)."""
    if neutral_limits is None:
        return {s: NEUTRAL_LIMIT_MULTIPLES[s] * delta for s in STRENGTHS}
    missing = [s for s in STRENGTHS if s not in neutral_limits]
    if missing:
        raise EvidenceError(f"needs a half-width for {', '.join(missing)}",
                            field="neutral_limits")
    limits = {s: _finite(neutral_limits[s], f"neutral_limits.{s}") for s in STRENGTHS}
    for s, h in limits.items():
        if h <= 0:
            raise EvidenceError(f"must be positive, not {h!r}", field=f"neutral_limits.{s}")
    return limits


def _neutral_priors(limits: Mapping[str, float], measure: str | None
                    ) -> dict[str, EffectPrior]:
    """Return the neutral priors: 95% of the mass within each strength's half-width."""
    z_neutral = float(ndtri(0.5 + NEUTRAL_MASS / 2.0))
    out = {}
    for s in STRENGTHS:
        h = limits[s]
        if measure:
            rng = f"{measure} between {math.exp(-h):.3g} and {math.exp(h):.3g}"
        else:
            rng = f"effect between {-h:+.4g} and {h:+.4g}"
        out[f"neutral_{s}"] = EffectPrior(
            name=f"neutral_{s}", family="neutral", strength=s, mean=0.0, sd=h / z_neutral,
            statement=f"centred on no effect; {_percent(NEUTRAL_MASS)} probability of {rng}",
            label=f"Neutral ({s})",
        )
    return out


def _directional_priors(family: str, centre: float, wrong_side: str,
                        measure: str | None) -> dict[str, EffectPrior]:
    """Return the optimistic or pessimistic priors: a tail probability beyond no effect."""
    out = {}
    what = "harm" if family == "optimistic" else "benefit"
    for s in STRENGTHS:
        p = TAIL_PROBABILITIES[s]
        p_below = p if wrong_side == "lower" else 1.0 - p
        out[f"{family}_{s}"] = EffectPrior(
            name=f"{family}_{s}", family=family, strength=s, mean=centre,
            sd=sd_from_tail(centre, 0.0, p_below),
            statement=(f"centred on {_describe(centre, measure)}; {_percent(p)} probability "
                       f"of {what} ({_region(0.0, wrong_side, measure)})"),
            label=f"{family.capitalize()} ({s})",
        )
    return out


def priors_to_frame(priors: Mapping[str, EffectPrior] | Iterable[EffectPrior]) -> pd.DataFrame:
    """Tabulate priors: one row per prior, in order.

    Parameters
    ----------
    priors : mapping of str to EffectPrior, or iterable of EffectPrior
        E.g. the result of :func:`prior_grid`.

    Returns
    -------
    pandas.DataFrame
        Columns ``prior, label, family, strength, mean, sd, statement``.
    """
    values = priors.values() if isinstance(priors, Mapping) else priors
    return pd.DataFrame(
        [
            {"prior": p.name, "label": p.label, "family": p.family, "strength": p.strength,
             "mean": p.mean, "sd": p.sd, "statement": p.statement}
            for p in values
        ],
        columns=["prior", "label", "family", "strength", "mean", "sd", "statement"],
    )
