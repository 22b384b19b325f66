"""Draw a reanalysis's figures with :mod:`bayes_scot.plots` and render them to PNG.

Each figure is drawn from the reanalysis's tables and curves. A figure whose data the
reanalysis does not have (no survival family, no trajectories) is left out with a note
saying why, so the report states what it does not show instead of silently omitting it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np

from bayes_scot import _compat
from bayes_scot.conventions import CREDIBLE_LEVEL
from bayes_scot.evidence.endpoints import Endpoint
from bayes_scot.results.sensitivity import effect_values

__all__ = ["SLOW_FIGURES", "RenderedFigure", "declared_endpoints", "draw_figures",
           "mark_without_data"]



@dataclass(frozen=True, kw_only=True)
class RenderedFigure:
    """A figure rendered to PNG bytes.

    Parameters
    ----------
    name : str
        File stem, e.g. ``"superiority"``.
    title : str
        Heading shown above the figure.
    caption : str
        One or two sentences saying what the figure shows.
    png : bytes
        The image.
    """

    name: str
    title: str
    caption: str
    png: bytes

    @property
    def file(self) -> str:
        """File name inside the report folder."""
        return f"figures/{self.name}.png"


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


#: Figures that take the longest to draw, slowest first (about 2.5, 1.7, 1.1 and 1.0 s
#: for the default report; the others take 0.2-0.5 s): drawn before the rest, so that the
#: report's two drawing processes finish together (:func:`~bayes_scot.report.parallel.
#: render_all`).
SLOW_FIGURES = ("prior_sensitivity", "headline", "superiority", "trajectories")

#: Above this many estimands the forest plot shows the headline set only (one panel per
#: estimand and a row per prior would run to hundreds of rows); the heat map and the full
#: table keep every estimand.
FOREST_MAX_ESTIMANDS = 12


def _forest_rows(table: Any, headline: Any) -> tuple[Any, str]:
    keys = list(zip(table["endpoint"], table["estimand"], strict=True))
    if len(set(keys)) <= FOREST_MAX_ESTIMANDS or not headline:
        return table, "each estimand"
    chosen = {tuple(k.split(":", 1)) for k in headline}
    mask = [k in chosen for k in keys]
    return table[mask], ("the headline estimands (those of the joint probabilities; every "
                         "estimand is in the heat map and the full table)")


def _published(reanalysis: Any, family: str) -> Any:
    """Return the published rows of the family's trials in the population its fit used."""
    published = reanalysis.published(family)
    if published.empty or "population" not in published:
        return None
    try:
        chosen = reanalysis.spec.family(family).population
    except KeyError:
        chosen = ""
    if chosen == "all":
        return published
    populations = {chosen} if chosen else {t.population for t in reanalysis.spec.trials}
    published = published[published["population"].isin(populations)]
    return None if published.empty else published


Job = tuple[str, str, str, Callable[[], Any]]
"""A figure to draw: file stem, title, caption, and the call that draws it."""


def declared_endpoints(reanalysis: Any) -> dict[str, Endpoint]:
    """Return the endpoints the reanalysis's trial files declare, by name.

    Their labels, units and directions title the figures' panels as the built-in
    endpoints' do (:func:`bayes_scot.plots._style.endpoint_info`); the primary trial's
    declaration wins when two trials declare one name.
    """
    declared: dict[str, Endpoint] = {}
    for trial in dict(getattr(reanalysis, "trials", {}) or {}).values():
        for name, endpoint in dict(getattr(trial, "endpoints", {}) or {}).items():
            declared.setdefault(name, endpoint)
    return declared


def mark_without_data(reanalysis: Any, table: Any) -> Any:
    """Return the table with the label of each estimand no trial data speak to marked.

    The rows of :func:`bayes_scot.report.headline.without_data` (an endpoint without
    evidence on the treatment effect) are labelled ``(no data: its prior)`` or ``(no
    data: predicted from the other endpoints)``, and a row whose only evidence is
    external (its ``evidence`` starts with "external": another study's estimate,
    discounted) ``(external evidence only)``, so that a figure that shows them
    beside the others (the heat map, the forest plot) never presents them as the trial's
    evidence.
    """
    from bayes_scot.report.headline import without_data

    no_data = without_data(reanalysis)
    if "label" not in table.columns:
        return table
    evidence = table["evidence"] if "evidence" in table.columns else [""] * len(table)
    labels = []
    for endpoint, estimand, label, source in zip(table["endpoint"], table["estimand"],
                                                 table["label"], evidence, strict=True):
        what = no_data.get((endpoint, estimand))
        mark = (f"no data: {what}" if what is not None
                else "external evidence only"
                if str(source).startswith("external") else "")
        if mark and f"({mark})" not in str(label):
            head, sep, rest = str(label).partition(";")
            label = f"{head} ({mark}){sep}{rest}"
        labels.append(label)
    return table.assign(label=labels)


def _jobs(reanalysis: Any, plots: Any) -> Iterator[Job]:
    table = reanalysis.table()
    from bayes_scot.report.headline import arm_labels

    arms = arm_labels(reanalysis)
    yield from _headline_jobs(reanalysis, plots, table, arms)
    yield from _grid_jobs(reanalysis, plots, mark_without_data(reanalysis, table), arms)
    yield from _predictive_jobs(reanalysis, plots)
    yield from _reconstruction_jobs(reanalysis, plots)
    yield from _curve_jobs(reanalysis, plots, table, arms)
    if hasattr(plots, "plot_prior_posterior"):
        yield from _prior_posterior_jobs(reanalysis, plots)


def _headline_jobs(reanalysis: Any, plots: Any, table: Any,
                   arms: tuple[str, str]) -> Iterator[Job]:
    from bayes_scot.report.headline import headline_keys

    if not hasattr(plots, "plot_headline"):
        return
    experimental, control = arms
    keys = headline_keys(reanalysis, table)
    if keys:
        rows = [table[(table["endpoint"] == e) & (table["estimand"] == k)].iloc[0]
                for e, k in keys]
        with_mcid = [_has_mcid(r) for r in rows]
        where = "" if all(with_mcid) else " where the estimand has one"
        mcid_line = f" and the dotted MCID{where}" if any(with_mcid) else ""
        mcid_square = f" and P(> MCID) (square{where})" if any(with_mcid) else ""
        yield ("headline", f"P({experimental} superior) under every prior",
               f"Top: posterior median and {CREDIBLE_LEVEL:.0%} credible interval of each "
               "headline estimand under each prior (grey diamond and arrow: from the "
               f"prior median, when known), the dashed line of no difference{mcid_line}. "
               f"Bottom: P(superior) (dot){mcid_square} under each prior (open grey "
               "circle: under the prior alone, when known).",
               partial(plots.plot_headline, table, estimands=keys,
                       priors=list(reanalysis.priors), experimental=experimental,
                       control=control))
    yield from _benefit_jobs(reanalysis, plots, table, keys, experimental=experimental,
                             control=control)


def _grid_jobs(reanalysis: Any, plots: Any, table: Any,
               arms: tuple[str, str]) -> Iterator[Job]:
    """Draw every estimand across the prior grid: the forest plot and the heat map."""
    priors = list(reanalysis.priors)
    experimental, control = arms
    if hasattr(plots, "plot_superiority"):
        forest, which = _forest_rows(table, reanalysis.spec.joint.estimands)
        yield ("superiority",
               f"Posterior estimates and P({experimental} superior) under every prior",
               f"Posterior median and central credible interval of {which} under each "
               f"prior, with the probability that {experimental} is superior; open markers "
               "and daggers mark results that fail the diagnostics gate.",
               partial(plots.plot_superiority, forest, priors=priors,
                       experimental=experimental, control=control))
    if hasattr(plots, "plot_prior_sensitivity"):
        yield ("prior_sensitivity",
               f"Prior sensitivity: P({experimental} superior) across the grid",
               "Each row is an estimand, each column a prior; a row of one colour is robust "
               "to the prior. A row marked \"no data\" shows what the prior (or the other "
               "endpoints) says, not evidence.",
               partial(plots.plot_prior_sensitivity, table, priors=priors))


def _predictive_jobs(reanalysis: Any, plots: Any) -> Iterator[Job]:
    reproduced = reanalysis.reproduce()
    if not hasattr(plots, "plot_predictive_check") or not len(reproduced):
        return
    reference = reproduced[reproduced["prior"] == reanalysis.reference_prior] \
        if "prior" in reproduced.columns else reproduced
    yield ("predictive_check", "Posterior predictive check of every published number",
           "Each published number the models used or predict, placed in the central "
           f"{CREDIBLE_LEVEL:.0%} posterior predictive interval of the same summary "
           "(reference prior), scaled from -1 (its lower end) through 0 (median) to +1 "
           "(upper end); crosses mark numbers outside it.",
           partial(plots.plot_predictive_check, reference))


def _reconstruction_jobs(reanalysis: Any, plots: Any) -> Iterator[Job]:
    """Draw each digitised curve that its reconstruction reproduces poorly."""
    from bayes_scot.stats.reconstruction import check_curves

    if not hasattr(plots, "plot_reconstruction"):
        return
    poor = {f"{name}: {entry}": result
            for name, trial in reanalysis.trials.items()
            for entry, result in check_curves(trial).items() if result.quality_warning}
    if poor:
        yield ("reconstruction", "Reconstructions that reproduce their curve poorly",
               "Each digitised curve (dots) against the Kaplan-Meier curve of the patients "
               "reconstructed from it and its risk table (steps); max |dS| is the largest "
               "gap. A large gap usually means the risk table belongs to another arm or "
               "population: check the trial file (see the warnings above).",
               partial(plots.plot_reconstruction, poor))


def _curve_jobs(reanalysis: Any, plots: Any, table: Any,
                arms: tuple[str, str]) -> Iterator[Job]:
    """Draw the survival curves (with the hazard ratio over time) and trajectories."""
    from bayes_scot.report.headline import arm_names

    declared = declared_endpoints(reanalysis)
    names = arm_names(reanalysis)
    for family in ("survival", "longitudinal"):
        if family not in reanalysis.families:
            continue
        curves = reanalysis.curves(family)
        if curves.empty:
            continue
        published = _published(reanalysis, family)
        if family == "survival":
            yield from _survival_jobs(reanalysis, plots, table, curves, published, arms,
                                      declared, names)
        elif hasattr(plots, "plot_trajectories"):
            yield ("trajectories", "Trajectories of the continuous endpoints",
                   "Posterior arm trajectories with credible bands (reference prior), beside "
                   "the published visit summaries (diamonds; a reported mean drawn as its "
                   "change from the reported baseline) where the trial reports them; a "
                   "band cut at the score's limits is wider than the scale itself, which "
                   "only the prior makes it."
                   + _no_data_caption(reanalysis, set(curves["endpoint"]), declared),
                   partial(plots.plot_trajectories, curves, published=published,
                           declared_endpoints=declared, arm_labels=names))


def _no_data_caption(reanalysis: Any, endpoints: set[str],
                     declared: dict[str, Endpoint]) -> str:
    """Name the drawn endpoints whose treatment effect no data speak to, and what it is."""
    from bayes_scot.plots._style import endpoint_info
    from bayes_scot.report.headline import without_data

    no_data = without_data(reanalysis)
    with_data = {d.endpoint for fit in reanalysis.fits for d in fit.estimands
                 if (d.endpoint, d.estimand) not in no_data}
    by_what: dict[str, list[str]] = {}
    for (endpoint, _estimand), what in no_data.items():
        if endpoint in endpoints and endpoint not in with_data:
            info = endpoint_info(endpoint, declared)
            name = info.label if info is not None else endpoint
            if name not in by_what.setdefault(what, []):
                by_what[what].append(name)
    return "".join(f" No data on the treatment effect for {', '.join(names)}: the gap "
                   "between the arms there is "
                   f"{'the prior' if what == 'its prior' else what}, not evidence."
                   for what, names in by_what.items())


def _survival_jobs(reanalysis: Any, plots: Any, table: Any, curves: Any, published: Any,
                   arms: tuple[str, str], declared: dict[str, Endpoint],
                   names: dict[str, str]) -> Iterator[Job]:
    if hasattr(plots, "plot_hazard_ratio_over_time"):
        yield ("hazard_ratio_over_time", "Hazard ratio over time",
               "The hazard ratio of each time interval (reference prior): posterior "
               "median and credible band on a log axis; hatched intervals lie beyond "
               "the last datum of their endpoint.",
               partial(plots.plot_hazard_ratio_over_time, table,
                       prior=reanalysis.reference_prior, experimental=arms[0],
                       control=arms[1], declared_endpoints=declared))
    if hasattr(plots, "plot_survival"):
        yield _survival_by_arm(reanalysis, plots.survival, curves, published, declared,
                               names)


def _survival_by_arm(reanalysis: Any, survival: Any, curves: Any, published: Any,
                     declared: dict[str, Endpoint], names: dict[str, str]) -> Job:
    """Draw the survival curves of the endpoints whose evidence fixes their level.

    The level of an endpoint's curves with only a reported hazard ratio comes from the
    prior on the baseline hazard alone: such an endpoint is not drawn, and the caption
    says so.
    """
    endpoints = list(dict.fromkeys(curves["endpoint"]))
    measured = survival.endpoints_with_survival_data(published)
    drawn = [e for e in endpoints if e in measured]
    unmeasured = ", ".join(e for e in endpoints if e not in measured)
    without = (f"{unmeasured}: the evidence has no Kaplan-Meier estimate, landmark count "
               "or digitised curve, only a contrast between the arms, so the level of the "
               "model's survival curves would come from the prior alone")
    if not drawn:
        return ("survival", "Survival by arm", "", partial(_raise, ValueError(without)))
    curves = curves[curves["endpoint"].isin(drawn)]
    n = _arm_sizes(reanalysis, "survival")
    at_risk = survival.numbers_at_risk(curves, published=published, n=n)
    last = getattr(reanalysis.builders.get("survival"), "last_datum", None)
    last_datum = None if last is None else dict.fromkeys(drawn, float(last))
    beyond = last is not None and float(curves["time_months"].max()) > float(last)
    caption = ("Posterior median survival by arm with credible bands (reference prior), "
               f"beside {_published_caption(published, drawn)}"
               + ("; hatched bands lie beyond the last datum, where the model extrapolates "
                  "the curves" if beyond else "") + ". "
               + _at_risk_caption(set(at_risk["source"]), survival)
               + (f" Not drawn: {without}." if unmeasured else ""))
    return ("survival", "Survival by arm", caption,
            partial(survival.plot_survival, curves, published=published, n=n,
                    last_datum=last_datum, declared_endpoints=declared,
                    arm_labels=names))


#: What the survival figure draws of each kind of published row, in words.
PUBLISHED_WORDS: dict[str, str] = {
    "survival_estimates": "the published Kaplan-Meier estimates (dots)",
    "landmark_events": "the published landmark counts as 1 − events/n (squares)",
    "km_curves": "the digitised Kaplan-Meier curves the model was fitted to (not drawn)",
}


def _published_caption(published: Any, endpoints: list[str]) -> str:
    """Say which published numbers of the endpoints the survival figure shows."""
    mine = published[published["endpoint"].isin(endpoints)]
    words = [PUBLISHED_WORDS[kind] for kind in PUBLISHED_WORDS if kind in set(mine["kind"])]
    return " and ".join(words)


def _at_risk_caption(sources: set[str], survival: Any) -> str:
    """Return where the numbers at risk under the survival panels come from."""
    implied = ("model-implied expected numbers at risk, n × S(t) from the posterior "
               "median curve: they count no censoring, so the trial's own numbers at "
               "risk are at most these")
    if not sources:
        return "No numbers at risk: the evidence has neither a risk table nor arm sizes."
    if sources == {survival.PUBLISHED_RISK_TABLE}:
        return "Under each panel, the numbers at risk of the published risk table."
    if sources == {survival.MODEL_IMPLIED}:
        return f"Under each panel, the {implied}; the evidence has no published risk table."
    return (f"Under each panel, the numbers at risk of the published risk table where the "
            f"evidence has one, otherwise the {implied}.")


def _arm_sizes(reanalysis: Any, family: str) -> dict[str, int] | None:
    """Return the patients randomised to each arm of the family's first trial."""
    try:
        name = reanalysis.spec.family(family).trials[0]
    except (KeyError, IndexError):
        name = reanalysis.spec.trials[0].name if reanalysis.spec.trials else None
    trial = reanalysis.trials.get(name) if name is not None else None
    if trial is None:
        return None
    population = trial.populations.get(trial.population)
    sizes = getattr(population, "n", None)
    return {str(a): int(v) for a, v in sizes.items()} if sizes else None


#: Effect parameters in words: (what it is, whether it is a log ratio drawn as ratios).
PARAMETER_WORDS: dict[str, tuple[str, bool]] = {
    "log_hr": ("event-weighted average hazard ratio", True),
    "log_win_odds": ("win odds", True),
    "net_benefit": ("net benefit, P(win) - P(loss)", False),
    "standardised_effect": ("standardised effect (SD units)", False),
}


def _prior_posterior_jobs(reanalysis: Any,
                          plots: Any) -> Iterator[tuple[str, str, str, Callable[[], Any]]]:
    for family in reanalysis.families:
        try:
            fit = reanalysis.fit(family)
        except KeyError:
            continue
        if fit.idata is None:
            continue
        posterior = _compat.get_group(fit.idata, "posterior")
        drawn: set[str] = set()
        for parameter, prior in fit.effect_priors.items():
            base = parameter.partition("[")[0]
            try:
                values = effect_values(posterior, parameter, family)
            except ValueError:
                continue
            if base in drawn:
                continue  # one panel per effect; each element's prior is in the table
            drawn.add(base)
            extra = [str(d) for d in values.dims if d not in ("chain", "draw")]
            shown = "" if base == parameter else f"; shown for {parameter}"
            if extra:
                # one panel per element would drown the report; the prior is the same on
                # every element, so one element shows how far the data moved it
                first = {d: values[d].values[0] if d in values.coords else 0 for d in extra}
                values = values.isel(dict.fromkeys(extra, 0))
                shown = "; the prior is the same on every " + ", ".join(extra) + ", shown for " \
                    + ", ".join(f"{d} {v}" for d, v in first.items())
            words, ratio = PARAMETER_WORDS.get(base, (base.replace("_", " "), False))
            words = _carrier_label(fit, parameter, ratio=ratio) or words
            draws = np.asarray(values).reshape(-1)
            name = prior.label or prior.name
            scale = "the log scale" if ratio else "its own scale"
            yield (f"prior_posterior_{_slug(family)}_{_slug(parameter)}",
                   f"Prior and posterior, {name} prior ({family}): {words}",
                   f"The {name} prior ({prior.statement}; N({prior.mean:.2f}, "
                   f"{prior.sd:.2f}²) on {scale}) and the posterior under it{shown}.",
                   partial(plots.plot_prior_posterior, prior, draws,
                           label=f"{words}" + (" (log scale)" if ratio else ""), null=0.0,
                           ratio=ratio, title=f"{name} prior"))


def _carrier_label(fit: Any, parameter: str, *, ratio: bool) -> str | None:
    """Return the label of the estimand a prior-and-posterior figure of ``parameter`` shows.

    The estimand that carries the parameter (``attrs["parameter"]``) is what the figure
    shows when it is the parameter itself (no map, or ``("linear", 1.0)``), or, for a log
    ratio drawn with ratio ticks, its exponential (``("exp", 1.0)``): the trials' mean
    hazard ratio of a model that borrows, not the target trial's own. An estimand on
    another scale (a difference in points, from a standardised effect) is not what the
    figure shows, and neither is one the specification does not report: None then, and
    the figure is named by the parameter (:data:`PARAMETER_WORDS`).
    """
    from bayes_scot.stats.estimands import PARAMETER_TRANSFORM

    shown = ("exp", 1.0) if ratio else ("linear", 1.0)
    for e in fit.estimands:
        if e.attrs.get("parameter") != parameter:
            continue
        transform = e.attrs.get(PARAMETER_TRANSFORM) or ("linear", 1.0)
        if (str(transform[0]), float(transform[1])) == shown:
            return str(e.label).split(";", 1)[0]
    return None


#: Priors drawn in a "P(benefit > x)" figure (those of the run): one per family of priors.
BENEFIT_PRIORS: tuple[str, ...] = ("reference", "skeptical_moderate", "optimistic_moderate",
                                   "pessimistic_moderate")


def _benefit_jobs(reanalysis: Any, plots: Any, table: Any, keys: Any, *, experimental: str,
                  control: str) -> Iterator[tuple[str, str, str, Callable[[], Any]]]:
    if not hasattr(plots, "plot_benefit_curve"):
        return
    chosen = [p for p in BENEFIT_PRIORS if p in reanalysis.priors] or [
        reanalysis.reference_prior]
    for endpoint, estimand in keys:
        rows = table[(table["endpoint"] == endpoint) & (table["estimand"] == estimand)]
        row = rows.iloc[0].to_dict()
        side = "below" if row["superior"] == "lower" else "above"
        priors = [p for p in chosen if p in set(rows["prior"])]
        lines = ("the dashed line is no difference, the dotted line the MCID"
                 if _has_mcid(row) else "the dashed line is no difference")
        yield (f"benefit_{_slug(endpoint)}_{_slug(estimand)}",
               f"P(benefit beyond x) for every x: {row['label']}",
               f"The posterior probability that the estimand lies {side} each threshold x, "
               f"under the priors {', '.join(priors)}; {lines}. Read off any threshold a "
               "reader cares about.",
               _benefit_figure(reanalysis, plots, f"{endpoint}:{estimand}", row, priors,
                               experimental, control))


def _has_mcid(row: Mapping[str, Any]) -> bool:
    """Whether a table row's estimand has an MCID, which its figures then draw."""
    mcid = row.get("mcid")
    try:
        return mcid is not None and math.isfinite(float(mcid))
    except (TypeError, ValueError):
        return False


def _benefit_figure(reanalysis: Any, plots: Any, key: str, row: dict[str, Any],
                    priors: list[str], experimental: str, control: str) -> Callable[[], Any]:
    """Return the call that draws one benefit curve.

    Its data are computed here, so that the call holds a small table instead of the
    whole reanalysis and can be sent to another process.
    """
    try:
        curve = reanalysis.benefit_curve(key, priors=priors)
    except (ValueError, KeyError) as err:
        return partial(_raise, err)
    return partial(
        plots.plot_benefit_curve, curve, null=float(row["null"]),
        superior=row["superior"], mcid=float(row["mcid"]) if _has_mcid(row) else None,
        label=str(row["label"]), unit_row=row, experimental=experimental, control=control)


def _raise(err: Exception) -> Any:
    """Raise ``err`` when a figure is drawn: a figure whose data failed is noted there."""
    raise err


def draw_figures(reanalysis: Any) -> tuple[list[RenderedFigure], list[str]]:
    """Draw every figure the reanalysis has data for.

    Parameters
    ----------
    reanalysis : Reanalysis

    Returns
    -------
    figures : list of RenderedFigure
    notes : list of str
        One line per figure that was left out, with the reason.

    Notes
    -----
    The plotting functions raise :class:`ValueError` when their input cannot be drawn
    (an empty selection, a missing column); such a figure is left out and noted. Any
    other error propagates, and the report is not written.
    """
    try:
        from bayes_scot import plots
    except ImportError:
        return [], ["figures left out: bayes_scot.plots is not available"]
    if reanalysis.table().empty:
        return [], ["figures left out: the table is empty"]
    from bayes_scot.report.parallel import render_all

    jobs = list(_jobs(reanalysis, plots))
    names = [name for name, *_ in jobs]
    first = [names.index(name) for name in SLOW_FIGURES if name in names]
    figures: list[RenderedFigure] = []
    notes: list[str] = []
    for (name, title, caption, _), outcome in zip(
            jobs, render_all([draw for *_, draw in jobs], first=first), strict=True):
        if isinstance(outcome, bytes):
            figures.append(RenderedFigure(name=name, title=title, caption=caption,
                                          png=outcome))
        else:
            notes.append(f"figure '{name}' left out: {outcome}")
    return figures, notes
