"""External evidence: numbers from other studies that may only shape priors.

The package ships ``external.toml`` (same format as a trial file) with effect estimates
from non-randomised and single-arm studies, between-patient standard deviations of the
endpoints in systemic sclerosis cohorts, and minimal clinically important differences
(MCIDs). None of it is data of the trial being reanalysed: a model uses it, if at all, as
a (discounted) prior, and says so.

The container is a :class:`~bayes_scot.evidence.Trial` whose two arms are the generic
``hsct`` (experimental) and ``control``; each source study is a population of its own
(``nash_2007``, ``maltez_2021``) and cohort-level numbers belong to the population
``ssc_cohorts``.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from bayes_scot.data.loader import EXTERNAL_FILE, read_trial_file
from bayes_scot.errors import EvidenceError
from bayes_scot.evidence import Mcid, Trial

__all__ = ["EXTERNAL_FILE", "load_external", "mcid"]

@lru_cache(maxsize=1)
def load_external() -> Trial:
    """Load the shipped external evidence (priors only, never trial data).

    Returns
    -------
    Trial
        Kinds ``effect_estimates`` (e.g. Maltez 2021 weighted differences; Nash 2007
        single-arm changes with ``design="single_arm"``), ``population_spread`` (cohort
        SDs) and ``mcids``; use :meth:`Trial.evidence` and :meth:`Trial.to_frame` as for a
        trial.

    Notes
    -----
    A single-arm change (Nash 2007: mRSS -22.08 at final evaluation) is stored as an
    :class:`~bayes_scot.evidence.EffectEstimate` with ``design="single_arm"`` and the
    arm's own baseline as comparator, because its follow-up differed between patients
    and it has no visit time that a visit summary would need. A prior built from it
    should be discounted: the control arm of a randomised trial improves too.

    Examples
    --------
    >>> from bayes_scot.data import load_external
    >>> ext = load_external()
    >>> [e.id for e in ext.evidence("population_spread")]
    ['spread_haq_di', 'spread_sf36_pcs', 'spread_sf36_mcs']
    """
    return read_trial_file(EXTERNAL_FILE, allow_default_tag=True)


def mcid(
    endpoint: str,
    *,
    direction: Literal["improvement", "worsening"] | None = None,
) -> Mcid | None:
    """Return the package's default MCID for an endpoint, with its sourced range.

    Parameters
    ----------
    endpoint : str
        Endpoint name (``"mrss"``, ``"haq_di"``, ``"fvc"``, ``"sf36_pcs"``, ...).
    direction : {"improvement", "worsening"}, optional
        Ask for the margin established for this direction of change; an MCID given for
        ``"either"`` direction also matches. By default the first MCID listed for the
        endpoint (the improvement margin where both are known).

    Returns
    -------
    Mcid or None
        ``None`` when the package holds no MCID for the endpoint. ``mcid.value`` is the
        default margin (positive, in the endpoint's unit), ``mcid.low`` and ``mcid.high``
        the published range, ``mcid.source.tag`` is ``"reported"`` when the default is a
        published number and ``"default"`` when no systemic-sclerosis source is held (the
        SF-36 summary scores): review those before use.

    Examples
    --------
    >>> from bayes_scot.data import mcid
    >>> m = mcid("mrss")
    >>> m.value, m.low, m.high
    (5.0, 3.2, 5.3)
    """
    if direction not in (None, "improvement", "worsening"):
        raise EvidenceError(
            f"direction must be 'improvement' or 'worsening', not {direction!r}",
            field="direction",
        )
    for entry in load_external().evidence("mcids", endpoint=endpoint):
        if direction is None or entry.direction in (direction, "either"):
            return entry
    return None
