"""Style shared by every figure: arm and prior colours, matplotlib settings, text helpers."""

from __future__ import annotations

import math
import textwrap
from collections.abc import Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from typing import Any

import matplotlib as mpl
from matplotlib.colors import LinearSegmentedColormap

from bayes_scot.conventions import CREDIBLE_LEVEL, DECISION_THRESHOLDS
from bayes_scot.errors import EvidenceError
from bayes_scot.evidence.endpoints import Endpoint, get_endpoint

__all__ = [
    "ARM_COLOURS",
    "ARM_LABELS",
    "BAND_ALPHA",
    "DECISION_THRESHOLDS",
    "INTERVAL_TEXT",
    "OTHER_ARM_COLOURS",
    "PRIOR_FAMILY_COLOURS",
    "PROBABILITY_CMAP",
    "STYLE",
    "arm_colour",
    "arm_label",
    "endpoint_info",
    "endpoint_title",
    "families_present",
    "prior_colour",
    "prior_family",
    "probability_text",
    "styled",
    "wrap",
]


ARM_COLOURS: Mapping[str, str] = {"hsct": "#0072b2", "cyc": "#d55e00"}
"""Colour of each named arm, identical in every figure (Okabe-Ito blue and vermilion)."""

ARM_LABELS: Mapping[str, str] = {"hsct": "HSCT", "cyc": "CYC"}
"""Legend label of each named arm when a figure is given no labels (:func:`arm_label`)."""


def arm_label(arm: str, labels: Mapping[str, str] | None = None) -> str:
    """How a figure names an arm.

    Parameters
    ----------
    arm : str
        The arm's name, as the data name it.
    labels : mapping of str to str, optional
        Labels by arm name, e.g. a trial's short labels
        (``{a.name: a.display for a in trial.arms}``); an arm they leave out is labelled
        from :data:`ARM_LABELS`, else by its name.

    Returns
    -------
    str
    """
    if labels and arm in labels:
        return labels[arm]
    return ARM_LABELS.get(arm, arm)

#: Colours for arms the package does not know, taken in order of appearance.
OTHER_ARM_COLOURS: tuple[str, ...] = (
    "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#000000", "#f0e442",
)

PRIOR_FAMILY_COLOURS: Mapping[str, str] = {
    "reference": "#000000",
    "neutral": "#7f7f7f",
    "skeptical": "#0072b2",
    "optimistic": "#009e73",
    "pessimistic": "#d55e00",
    "enthusiastic": "#009e73",
    "evidence": "#cc79a7",
}
"""Colour of each prior family in the forest plot (a prior's family is its name up to the
first underscore: ``skeptical_moderate`` belongs to ``skeptical``)."""

#: Matplotlib settings shared by every figure of the package. Text is never read as
#: mathtext: labels come from trial files, and "$5 to $10" or "$\alpha$" in one would
#: otherwise be typeset as a formula or stop the figure with a parse error.
STYLE: dict[str, Any] = {
    "text.parse_math": False,
    "font.size": 9,
    "axes.titlesize": 9.5,
    "axes.labelsize": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.color": "#e5e5e5",
    "grid.linewidth": 0.6,
    "legend.fontsize": 8,
    "legend.frameon": False,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
}

def styled(*, grid: bool = True) -> AbstractContextManager[Any]:
    """Apply the package's matplotlib settings while a figure is built."""
    settings: Any = {**STYLE, "axes.grid": grid}
    return mpl.rc_context(settings)


#: Diverging colour map for P(superior): vermilion (0) through white (0.5) to blue (1).
PROBABILITY_CMAP = LinearSegmentedColormap.from_list(
    "bayes_scot_probability", ["#d55e00", "#f7f7f7", "#0072b2"]
)

BAND_ALPHA = 0.22
INTERVAL_TEXT = f"{CREDIBLE_LEVEL:.0%} credible interval"


def arm_colour(arm: str, *, arms: Sequence[str] = ()) -> str:
    """Return the colour an arm is drawn in.

    Parameters
    ----------
    arm : str
        Arm name (``"hsct"``, ``"cyc"``).
    arms : sequence of str, optional
        All arms of the figure, in order; an arm not in :data:`ARM_COLOURS` gets the next
        free colour of a fixed palette by its position here, so a figure never gives two
        arms one colour.

    Returns
    -------
    str
        A hex colour.
    """
    if arm in ARM_COLOURS:
        return ARM_COLOURS[arm]
    others = [a for a in dict.fromkeys(arms) if a not in ARM_COLOURS]
    position = others.index(arm) if arm in others else len(others)
    return OTHER_ARM_COLOURS[position % len(OTHER_ARM_COLOURS)]


def prior_family(prior: str) -> str:
    return prior.split("_", 1)[0]


def prior_colour(prior: str) -> str:
    return PRIOR_FAMILY_COLOURS.get(prior_family(prior), "#555555")


def families_present(priors: Iterable[str]) -> dict[str, str]:
    return {prior_family(p): prior_colour(p) for p in priors}


def endpoint_info(endpoint: str,
                  declared: Mapping[str, Endpoint] | None = None) -> Endpoint | None:
    """Return an endpoint's definition (label, unit, direction), or None when unknown.

    Parameters
    ----------
    endpoint : str
        The endpoint's name.
    declared : mapping of str to Endpoint, optional
        Endpoints a trial file declares in its ``[endpoints]`` table
        (:attr:`bayes_scot.Trial.endpoints`); looked up before the built-in ones.

    Returns
    -------
    Endpoint or None
    """
    try:
        return get_endpoint(endpoint, dict(declared or {}))
    except EvidenceError:
        return None


def endpoint_title(endpoint: str, declared: Mapping[str, Endpoint] | None = None) -> str:
    """Return a panel title: the endpoint's label (see :func:`endpoint_info`), wrapped."""
    info = endpoint_info(endpoint, declared)
    return wrap(info.label if info is not None else endpoint, 40)




def probability_text(value: float) -> str:
    """Write a probability in a figure: 2 decimals, ``>0.99`` and ``<0.01`` at the ends.

    A probability that is not 1 is never written ``1.00`` (nor one that is not 0
    ``0.00``), as the tables never write ``1.000`` (:func:`bayes_scot.report.numbers.
    probability`). Nor is one written rounded onto or across a threshold of
    :data:`DECISION_THRESHOLDS`: 0.9455 is written ``0.946``, not ``0.95``, since the
    report says it lies below 0.95; it gets the decimals it needs to stay on its side
    (up to 4, the last one cut towards the value beyond that).
    """
    if value >= 0.995:
        return ">0.99"
    if value < 0.005:
        return "<0.01"
    for places in (2, 3, 4):
        text = f"{value:.{places}f}"
        if all((float(text) < t) == (value < t) for t in DECISION_THRESHOLDS):
            return text
    return f"{math.floor(value * 1e4) / 1e4:.4f}"


def wrap(text: str, width: int) -> str:
    return "\n".join(textwrap.wrap(text, width)) or text
