"""What a report says first: the headline estimands, in words, and the priors behind them.

A reader of a reanalysis wants the answer before the details: for each headline
estimand (the specification's ``[joint]`` set, else one of each endpoint), how probable
it is that the experimental arm is superior, how that depends on the prior, and what each
prior says. This module
turns the tables of a :class:`~bayes_scot.Reanalysis` into those pieces:

- :func:`headline_keys`: the headline estimands, never one that no data speak to
  (:func:`without_data`);
- :func:`paragraphs`: one plain-language paragraph per headline estimand (what the data
  say under the reference prior, what the prior adds, where the answer turns);
- :func:`priors_frame` and :func:`compact_priors`: the table of priors;
- :func:`compact_joint`: the joint probabilities as one row per prior.

It formats with :mod:`bayes_scot.report.numbers` and reads the optional columns of the
table (``prior_p_superior``, ``drivers``) and the optional methods of the reanalysis
(``priors_table()``, ``tipping_points()``) only when they are there.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from bayes_scot.conventions import CREDIBLE_LEVEL
from bayes_scot.report import numbers
from bayes_scot.results import headline as results_headline
from bayes_scot.results.headline import HEADLINE_MAX

__all__ = [
    "HEADLINE_MAX",
    "PRIOR_COLUMNS",
    "arm_labels",
    "compact_joint",
    "compact_priors",
    "headline_keys",
    "paragraphs",
    "priors_frame",
    "without_data",
]

PRIOR_COLUMNS: tuple[str, ...] = ("family", "prior", "label", "statement", "distribution",
                                  "parameter")
"""Columns of :func:`priors_frame` (more when ``Reanalysis.priors_table`` gives them)."""

THRESHOLDS: tuple[float, ...] = numbers.DECISION_THRESHOLDS
"""Probabilities at which the paragraphs say where the answer turns."""


def without_data(reanalysis: Any) -> dict[tuple[str, str], str]:
    """Return the estimands of a reanalysis's fits that no data speak to.

    See :func:`bayes_scot.results.headline.without_data`.
    """
    return results_headline.without_data(reanalysis.fits)


def headline_keys(reanalysis: Any, table: pd.DataFrame) -> list[tuple[str, str]]:
    """Return the headline estimands as ``(endpoint, estimand)`` pairs.

    The choice the reanalysis's priors table and tipping points make too
    (:func:`bayes_scot.results.headline.headline_keys`): the specification's ``[joint]``
    estimands that the table holds as comparisons, else one comparative estimand of each
    endpoint, never one that no data speak to.
    """
    return results_headline.headline_keys(
        reanalysis.fits, table, getattr(reanalysis.spec.joint, "estimands", ()))


def arm_labels(reanalysis: Any) -> tuple[str, str]:
    """Return how results name the experimental and control arms of the primary trial.

    The trial file's ``short_label`` of each arm, else its name
    (:attr:`bayes_scot.Trial.arm_labels`).
    """
    for trial in reanalysis.trials.values():
        return tuple(trial.arm_labels)
    return "the experimental arm", "the control arm"


def arm_names(reanalysis: Any) -> dict[str, str]:
    """Return how figures name each arm of the reanalysis's trials, by arm name.

    The primary trial's labels win when two trials name an arm alike.
    """
    names: dict[str, str] = {}
    for trial in reanalysis.trials.values():
        for arm in trial.arms:
            names.setdefault(arm.name, arm.display)
    return names


def priors_frame(reanalysis: Any) -> pd.DataFrame:
    """Every prior of every family's effect parameters, one row each.

    ``Reanalysis.priors_table()`` when the reanalysis has it; otherwise the effect
    priors recorded in each fit: ``family, prior, label, statement, distribution,
    parameter``, where ``distribution`` is the normal prior on the parameter's scale.
    """
    method = getattr(reanalysis, "priors_table", None)
    if callable(method):
        frame = method()
        if isinstance(frame, pd.DataFrame) and not frame.empty:
            return frame
    rows = []
    for fit in reanalysis.fits:
        for parameter, prior in (fit.effect_priors or {}).items():
            rows.append({
                "family": fit.family, "prior": fit.prior,
                "label": getattr(prior, "label", "") or fit.prior,
                "statement": getattr(prior, "statement", ""),
                "distribution": f"N({prior.mean:.3f}, {prior.sd:.3f}²)",
                "parameter": parameter,
            })
    frame = pd.DataFrame(rows, columns=list(PRIOR_COLUMNS))
    return frame.drop_duplicates(["family", "prior", "parameter"]).reset_index(drop=True)


def compact_priors(frame: pd.DataFrame, priors: Sequence[str],
                   table: pd.DataFrame, keys: Sequence[tuple[str, str]]) -> list[dict[str, Any]]:
    """One row per prior for the top of the report: its statement and implied P(superior).

    Parameters
    ----------
    frame : pandas.DataFrame
        :func:`priors_frame`.
    priors : sequence of str
        The grid, in order.
    table : pandas.DataFrame
        :meth:`~bayes_scot.Reanalysis.table` (its ``prior_p_superior`` column, when
        present, gives the prior probability on each headline estimand).
    keys : sequence of (endpoint, estimand)

    Returns
    -------
    list of dict
        ``prior, label, statement`` (on the first family's effect parameter),
        ``family`` (that family), ``more`` (how many other statements the other families'
        parameters have), ``prior_p`` (formatted prior probabilities, one per headline
        estimand, empty without the column).
    """
    has_prior_p = "prior_p_superior" in table.columns
    by_key = table.set_index(["endpoint", "estimand", "prior"]) if has_prior_p else None
    rows = []
    for name in priors:
        mine = frame[frame["prior"] == name] if "prior" in frame.columns else frame.iloc[:0]
        statements = list(dict.fromkeys(str(s) for s in mine.get("statement", []) if s))
        label = str(mine["label"].iloc[0]) if "label" in mine.columns and len(mine) else name
        prior_p = []
        if by_key is not None:
            for endpoint, estimand in keys:
                try:
                    prior_p.append(numbers.probability(
                        by_key.loc[(endpoint, estimand, name), "prior_p_superior"]))
                except KeyError:
                    prior_p.append(numbers.DASH)
        family = str(mine["family"].iloc[0]) if "family" in mine.columns and len(mine) else ""
        rows.append({"prior": name, "label": label,
                     "statement": statements[0] if statements else "",
                     "family": family, "more": len(statements) - 1, "prior_p": prior_p})
    return rows


def _turns(rows: pd.DataFrame) -> str:
    """Say under which priors P(superior) falls below each threshold."""
    parts = []
    for threshold in THRESHOLDS:
        below = rows[rows["p_superior"] < threshold]
        if below.empty:
            parts.append(f"it stays at or above {threshold:.2f} under every prior")
            break
        names = ", ".join(below["prior"])
        parts.append(f"it falls below {threshold:.2f} under {len(below)} of {len(rows)} "
                     f"priors ({names})")
    return "; ".join(parts)


def _tipping(reanalysis: Any, endpoint: str, estimand: str) -> str:
    method = getattr(reanalysis, "tipping_points", None)
    if not callable(method):
        return ""
    frame = method()
    if not isinstance(frame, pd.DataFrame) or frame.empty:
        return ""
    rows = frame[(frame["endpoint"] == endpoint) & (frame["estimand"] == estimand)]
    parts = []
    for r in rows.to_dict("records"):
        what = []
        if pd.notna(r.get("skeptical_sd")):
            scale = _parameter_scale(reanalysis, str(r.get("family", "")), endpoint)
            what.append(f"a sceptical prior of SD {float(r['skeptical_sd']):.2f}"
                        + (f" on the {scale}" if scale else "")
                        + _monte_carlo_range(r, "skeptical_sd"))
        if pd.notna(r.get("external_weight")):
            what.append(f"an external-evidence weight of {float(r['external_weight']):.2f}"
                        + _monte_carlo_range(r, "external_weight"))
        if what:
            parts.append(f"below {float(r['threshold']):.2f} at " + " or ".join(what))
    return ("P(superior) would fall " + "; ".join(parts) + ".") if parts else ""


def _monte_carlo_range(row: Mapping[str, Any], column: str) -> str:
    """Say a tipping point's Monte Carlo range (``<column>_lower``, ``_upper``), if given."""
    lower, upper = row.get(f"{column}_lower"), row.get(f"{column}_upper")
    if upper is None or pd.isna(upper):
        return ""
    if lower is None or pd.isna(lower):
        return (f" (within Monte Carlo error anywhere below {float(upper):.3g}, or never "
                "on the searched range)")
    return (f" (within Monte Carlo error anywhere from {float(lower):.3g} to "
            f"{float(upper):.3g})")


#: The scale of each effect parameter, in words (a longitudinal one per endpoint).
PARAMETER_SCALES: dict[str, str] = {
    "log_hr": "log hazard ratio",
    "standardised_effect": "standardised effect (endpoint SDs)",
    "net_benefit": "net benefit",
    "log_win_odds": "log win odds",
}


def _parameter_scale(reanalysis: Any, family: str, endpoint: str) -> str:
    """Return the scale a sceptical prior's SD is on: the family's effect parameter."""
    for fit in reanalysis.fits:
        if fit.family != family or not getattr(fit, "effect_priors", None):
            continue
        names = list(fit.effect_priors)
        own = [n for n in names if n.endswith(f"[{endpoint}]")] or names
        return PARAMETER_SCALES.get(own[0].split("[")[0], own[0].replace("_", " "))
    return ""


def paragraphs(reanalysis: Any, table: pd.DataFrame,
               keys: Sequence[tuple[str, str]]) -> list[dict[str, str]]:
    """One plain-language paragraph per headline estimand.

    A paragraph on an estimand that no data speak to (:func:`without_data`) says so
    first, and never that the data move it.

    Returns
    -------
    list of dict
        ``title`` (the estimand's label) and ``text``, plain text for both HTML and
        Markdown (the templates escape it).
    """
    reference = reanalysis.reference_prior
    experimental, _control = arm_labels(reanalysis)
    no_data = without_data(reanalysis)
    out = []
    for endpoint, estimand in keys:
        rows = table[(table["endpoint"] == endpoint) & (table["estimand"] == estimand)]
        ref = rows[rows["prior"] == reference]
        if ref.empty:
            continue
        r = ref.iloc[0].to_dict()
        posterior = no_data.get((endpoint, estimand))
        sentences = [] if posterior is None else [
            f"There are no data on this estimand: its posterior is {posterior}."]
        sentences += [
            f"Under the reference prior the posterior median is "
            f"{numbers.estimate(r['median'], r, unit=True)} ({CREDIBLE_LEVEL:.0%} credible "
            f"interval {numbers.estimate(r['lower'], r)} to "
            f"{numbers.estimate(r['upper'], r, unit=True)}): the probability that "
            f"{experimental} is superior is {numbers.probability(r['p_superior'])}"
            + (f", and that it is better by at least the MCID "
               f"({numbers.estimate(r['mcid'], r, unit=True)}) "
               f"{numbers.probability(r['p_mcid'])}" if _finite(r.get("p_mcid")) else "")
            + "."
        ]
        if posterior is None and _finite(r.get("prior_p_superior")):
            sentences.append(
                f"The reference prior alone gives P(superior) "
                f"{numbers.probability(r['prior_p_superior'])}; the data move it to "
                f"{numbers.probability(r['p_superior'])}.")
            if _finite(r.get("p_mcid")) and _finite(r.get("prior_p_mcid")):
                sentences.append(
                    f"P(> MCID) moves from {numbers.probability(r['prior_p_mcid'])} under "
                    f"the prior alone to {numbers.probability(r['p_mcid'])}.")
        if r.get("drivers"):
            sentences.append(f"What drives it: {r['drivers']}.")
        if len(rows) > 1:
            lo = rows.loc[rows["p_superior"].idxmin()]
            hi = rows.loc[rows["p_superior"].idxmax()]
            sentences.append(
                f"Across the {len(rows)} priors P(superior) runs from "
                f"{numbers.probability(lo['p_superior'])} ({lo['prior']}) to "
                f"{numbers.probability(hi['p_superior'])} ({hi['prior']}); "
                f"{_turns(rows)}.")
        tipping = _tipping(reanalysis, endpoint, estimand)
        if tipping:
            sentences.append(tipping)
        if bool(r.get("extrapolated", False)):
            sentences.append("The estimand lies beyond the last published datum of its "
                             "endpoint: the model extrapolates it.")
        if rows["flagged"].any():
            sentences.append(f"{int(rows['flagged'].sum())} of these results failed the "
                             "diagnostics gate and must not be read as converged.")
        out.append({"title": str(r.get("label") or f"{endpoint}: {estimand}"),
                    "text": " ".join(sentences)})
    return out


def _finite(value: Any) -> bool:
    try:
        return value is not None and math.isfinite(float(value))
    except (TypeError, ValueError):
        return False


def compact_joint(joint: pd.DataFrame) -> dict[str, Any]:
    """Arrange the joint probabilities as one row per prior, one column per event.

    Returns
    -------
    dict
        ``columns`` (event labels), ``rows`` (``prior`` and formatted ``values``),
        ``bases`` (each distinct basis sentence once), ``estimands`` and ``threshold``;
        empty lists when there are no joint probabilities.
    """
    if joint.empty:
        return {"columns": [], "rows": [], "bases": [], "estimands": "", "threshold": ""}
    events = list(dict.fromkeys(zip(joint["event"], joint["k"], joint["n"], strict=True)))
    columns = [_event_label(e, int(k), int(n)) for e, k, n in events]
    rows = []
    for prior, frame in joint.groupby("prior", sort=False):
        lookup: Mapping[tuple[Any, Any, Any], float] = {
            (e, k, n): p for e, k, n, p in zip(frame["event"], frame["k"], frame["n"],
                                               frame["probability"], strict=True)}
        rows.append({"prior": prior,
                     "values": [numbers.probability(lookup.get(e)) for e in events]})
    return {"columns": columns, "rows": rows,
            "bases": list(dict.fromkeys(str(b) for b in joint["basis"] if b)),
            "estimands": str(joint["estimands"].iloc[0]),
            "threshold": str(joint["threshold"].iloc[0])}


def _event_label(event: str, k: int, n: int) -> str:
    if event == "all":
        return f"all {n}"
    if event == "any":
        return f"any of {n}"
    return f"≥ {k} of {n}" if event in ("at_least", "at least") else f"{event} ({k} of {n})"
