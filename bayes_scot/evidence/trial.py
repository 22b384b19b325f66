"""A trial as a paper reports it: arms, populations and validated evidence entries."""

from __future__ import annotations

import difflib
import hashlib
import html
import itertools
import json
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any, Literal, TypeVar

import pandas as pd

from bayes_scot.errors import EvidenceError
from bayes_scot.evidence.endpoints import Endpoint, get_endpoint
from bayes_scot.evidence.entries import (
    ENTRY_KINDS as RECORDS,
)
from bayes_scot.evidence.entries import (
    POOLED,
    DigitisedCurve,
    Entry,
    LandmarkEvents,
    Proportion,
    SurvivalEstimate,
)
from bayes_scot.evidence.source import Source

__all__ = ["ALL_POPULATIONS", "FRAME_COLUMNS", "Arm", "Population", "Trial", "validate_entries"]

E = TypeVar("E", bound=Entry)

ALL_POPULATIONS = "all"
"""Population selector meaning "every population in the file"."""

FRAME_COLUMNS: tuple[str, ...] = (
    "kind",
    "id",
    "endpoint",
    "population",
    "arm",
    "time_months",
    "statistic",
    "value",
    "source",
    "tag",
    "note",
    "assumption",
)
"""Columns of :meth:`Trial.to_frame`, in order."""

#: Numerical slack for "non-increasing" checks on survival read from papers (percentages
#: printed to whole numbers can tie; a rise larger than this is an error).
_SURVIVAL_TOLERANCE = 1e-9

#: Endpoints whose every event is an event of another, as (subset, superset, the subset's
#: events, the superset's events, why): counts of the subset by a landmark cannot exceed
#: those of the superset by the same or a later landmark among the same patients.
_NESTED_EVENTS: tuple[tuple[str, str, str, str, str], ...] = (
    ("os", "efs", "deaths", "EFS events", "every death is an EFS event"),
    ("treatment_related_death", "os", "treatment-related deaths", "deaths",
     "every treatment-related death is a death"),
)


@dataclass(frozen=True, kw_only=True)
class Arm:
    """A randomised arm.

    Parameters
    ----------
    name : str
        Identifier used in entries (``"hsct"``).
    label : str
        Human-readable description of the treatment.
    role : {"experimental", "control"}
        The arm's role in comparisons; effects are experimental minus (or over) control.
    regimen : str, optional
        Regimen class, e.g. ``"myeloablative"``, used for between-trial regimen terms.
    short_label : str, optional
        How results name the arm (``"HSCT"``): in estimand labels ("EFS at 54 months,
        HSCT minus CYC"), figure legends and the report. Empty: the arm's ``name``.
    """

    name: str
    label: str
    role: Literal["experimental", "control"]
    regimen: str = ""
    short_label: str = ""

    @property
    def display(self) -> str:
        """The arm's name in results: its ``short_label``, else its ``name``."""
        return self.short_label or self.name


@dataclass(frozen=True, kw_only=True)
class Population:
    """An analysis population (intention to treat, per protocol).

    Parameters
    ----------
    name : str
        Identifier used in entries (``"itt"``).
    label : str
        Human-readable name.
    n : mapping of str to int
        Participants per arm.
    definition : str, optional
        How the population was defined.
    source : Source, optional
        Where ``n`` was read.
    """

    name: str
    label: str
    n: Mapping[str, int]
    definition: str = ""
    source: Source | None = None


@dataclass(frozen=True, kw_only=True)
class Trial:
    """A randomised trial's published evidence, validated and with provenance.

    Build one with :func:`bayes_scot.load_trial`. The entries can be explored with
    :meth:`evidence` and :meth:`to_frame`; in a notebook the trial shows itself as a table.

    Parameters
    ----------
    name : str
        Short name, e.g. ``"scot"``.
    title : str
        Full title or acronym expansion.
    citation : str
        Main publication.
    arms : tuple of Arm
        The arms, experimental first.
    populations : mapping of str to Population
        Analysis populations defined by the paper.
    entries : tuple of Entry
        Evidence entries: of every population, or of the one this view holds.
    population : str, default "all"
        The population this view is restricted to (``"all"`` for none); only a trial of
        every population switches to another with :meth:`with_population`.
    endpoints : mapping of str to Endpoint, optional
        Endpoints declared by the file in addition to the built-in ones.
    registration : str, optional
    design : str, optional
        A sentence on the design.
    path : str, optional
        The file the trial was read from.
    content_hash : str, optional
        SHA-256 of the file's bytes, recorded in reports.
    time_unit : str, default "months"
        The unit of the file's times (``days``, ``weeks``, ``months`` or ``years``); every
        time of the entries is converted to months when the file is loaded.
    """

    name: str
    title: str
    citation: str
    arms: tuple[Arm, ...]
    populations: Mapping[str, Population]
    entries: tuple[Entry, ...]
    population: str = ALL_POPULATIONS
    endpoints: Mapping[str, Endpoint] = field(default_factory=dict)
    registration: str = ""
    design: str = ""
    path: str | None = None
    content_hash: str | None = None
    time_unit: str = "months"

    def __post_init__(self) -> None:
        object.__setattr__(self, "populations", MappingProxyType(dict(self.populations)))
        object.__setattr__(self, "endpoints", MappingProxyType(dict(self.endpoints)))
        object.__setattr__(self, "arms", tuple(self.arms))
        object.__setattr__(self, "entries", tuple(self.entries))

    # -- arms -------------------------------------------------------------------------
    @property
    def arm_names(self) -> tuple[str, ...]:
        """Arm names, experimental first."""
        return tuple(a.name for a in self.arms)

    @property
    def experimental(self) -> str:
        """Name of the experimental arm."""
        return next(a.name for a in self.arms if a.role == "experimental")

    @property
    def control(self) -> str:
        """Name of the control arm."""
        return next(a.name for a in self.arms if a.role == "control")

    @property
    def arm_labels(self) -> tuple[str, str]:
        """How results name the experimental and control arms, in that order."""
        return self.arm_display(self.experimental), self.arm_display(self.control)

    def arm_display(self, name: str) -> str:
        """How results name the arm ``name`` (its ``short_label``, else ``name`` itself).

        A name that is not one of this trial's arms is returned unchanged.
        """
        return next((a.display for a in self.arms if a.name == name), name)

    def n(self, arm: str, population: str | None = None) -> int:
        """Participants randomised to ``arm`` in ``population`` (default: this view's).

        Parameters
        ----------
        arm : str
        population : str, optional

        Returns
        -------
        int
        """
        pop = population or (self.population if self.population != ALL_POPULATIONS else "itt")
        try:
            return int(self.populations[pop].n[arm])
        except KeyError:
            raise EvidenceError(
                f"no participant count for arm {arm!r} in population {pop!r}",
                file=self.path,
                field="populations",
            ) from None

    def endpoint(self, name: str) -> Endpoint:
        """Return the :class:`Endpoint` called ``name`` (file-declared or built-in)."""
        return get_endpoint(name, dict(self.endpoints))

    # -- views ------------------------------------------------------------------------
    def with_population(self, population: str) -> Trial:
        """Return the same trial restricted to one population (or ``"all"``).

        A view keeps only its own population's entries, so only a trial that holds every
        population (``load_trial(..., population="all")``) switches to another one; a
        one-population view gives its own population again and refuses any other (and
        ``"all"``) rather than return an empty or mislabelled view.

        Parameters
        ----------
        population : str
            A population name of this trial, or ``"all"``.

        Returns
        -------
        Trial
            A view whose entries all belong to ``population``.

        Raises
        ------
        EvidenceError
            If the population is unknown, or if this view holds another population only
            (the message names the trial's populations and says to load it with
            ``population="all"``).
        """
        if population != ALL_POPULATIONS and population not in self.populations:
            raise EvidenceError(
                f"unknown population {population!r}; this trial has "
                f"{', '.join(self.populations)} (or 'all')",
                file=self.path,
                field="population",
            )
        if self.population not in (ALL_POPULATIONS, population):
            raise EvidenceError(
                f"this view was loaded for population {self.population!r} and holds only "
                f"its entries, so it cannot switch to {population!r}; the trial has "
                f"{', '.join(self.populations)}: load it with population='all' to switch",
                file=self.path,
                field="population",
            )
        entries = self.entries
        if population != ALL_POPULATIONS:
            entries = tuple(e for e in entries if e.population == population)
        return replace(self, entries=entries, population=population)

    def evidence(
        self,
        kind: str | type[E] | None = None,
        *,
        endpoint: str | Iterable[str] | None = None,
        population: str | None = None,
        arm: str | None = None,
    ) -> tuple[Any, ...]:
        """Select entries by kind, endpoint, population and arm.

        Parameters
        ----------
        kind : str or Entry subclass, optional
            A table name (``"landmark_events"``) or a record type (``LandmarkEvents``).
        endpoint : str or iterable of str, optional
        population : str, optional
        arm : str, optional
            Keep entries that report on this arm.

        Returns
        -------
        tuple of Entry
            In file order.
        """
        if isinstance(kind, str) and kind not in RECORDS:
            close = difflib.get_close_matches(kind, sorted(RECORDS), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise EvidenceError(f"no kind of entry {kind!r}; the kinds are "
                                f"{', '.join(sorted(RECORDS))}{hint}", field="kind")
        endpoints = {endpoint} if isinstance(endpoint, str) else (
            None if endpoint is None else set(endpoint)
        )
        selected = []
        for e in self.entries:
            if kind is not None:
                if isinstance(kind, str) and e.kind != kind:
                    continue
                if isinstance(kind, type) and not isinstance(e, kind):
                    continue
            if endpoints is not None and e.endpoint not in endpoints:
                continue
            if population is not None and e.population != population:
                continue
            if arm is not None and arm not in e.arms:
                continue
            selected.append(e)
        return tuple(selected)

    def to_frame(self) -> pd.DataFrame:
        """Return every reported value as a tidy DataFrame, one row per value.

        Returns
        -------
        pandas.DataFrame
            Columns :data:`FRAME_COLUMNS`: ``kind`` (the entry's table), ``id``,
            ``endpoint``, ``population``, ``arm`` (``None`` for between-arm values such as
            p-values and ratios), ``time_months``, ``statistic`` (what ``value`` is:
            ``events``, ``n``, ``survival``, ``mean``, ``sd``, ``percent_favourable``,
            ``p_value``, ``hr``, ...), ``value``, ``source`` (citation and locator),
            ``tag`` (``reported`` or ``derived``), ``note`` and ``assumption``.
        """
        rows = [row for e in self.entries for row in e.rows()]
        return pd.DataFrame(rows, columns=list(FRAME_COLUMNS))

    @property
    def data_hash(self) -> str:
        """SHA-256 of this view's evidence, independent of file formatting."""
        payload = self.to_frame().to_json(orient="records", double_precision=15)
        meta = json.dumps(
            {"name": self.name, "population": self.population,
             "n": {k: dict(v.n) for k, v in self.populations.items()}},
            sort_keys=True,
        )
        return hashlib.sha256((meta + payload).encode()).hexdigest()

    # -- display ----------------------------------------------------------------------
    def __repr__(self) -> str:
        n = ", ".join(
            f"{p.name} "
            + " vs ".join(f"{p.n[a]}" for a in (*self.arm_names, POOLED) if a in p.n)
            for p in self.populations.values()
        )
        return (
            f"<Trial {self.name!r}: {' vs '.join(self.arm_names)}; {n}; "
            f"{len(self.entries)} entries, population={self.population!r}>"
        )

    def _repr_html_(self) -> str:
        esc = html.escape
        arms = "".join(
            f"<li><b>{esc(a.name)}</b> ({esc(a.role)}): {esc(a.label)}</li>" for a in self.arms
        )
        pops = "".join(
            f"<li><b>{esc(p.name)}</b>: {esc(p.label)}, "
            + ", ".join(f"{esc(k)} {v}" for k, v in p.n.items())
            + "</li>"
            for p in self.populations.values()
        )
        rows = "".join(
            "<tr>"
            f"<td>{esc(e.kind)}</td><td>{esc(e.id)}</td><td>{esc(e.population)}</td>"
            f"<td>{esc(e.describe())}</td><td>{esc(e.source.label())}</td>"
            f"<td>{esc(e.source.tag)}</td>"
            f"<td>{esc(e.assumption)}</td>"
            "</tr>"
            for e in self.entries
        )
        return (
            f"<div class='bayes-scot-trial'><h4>{esc(self.name.upper())}: {esc(self.title)}</h4>"
            f"<p>{esc(self.citation)}</p><p>Population shown: <b>{esc(self.population)}</b></p>"
            f"<p>Arms:</p><ul>{arms}</ul><p>Populations:</p><ul>{pops}</ul>"
            "<table><thead><tr><th>kind</th><th>id</th><th>population</th><th>reports</th>"
            "<th>source</th><th>tag</th><th>assumption</th></tr></thead>"
            f"<tbody>{rows}</tbody></table></div>"
        )


def validate_entries(
    entries: Iterable[Entry],
    *,
    arms: Iterable[str],
    populations: Mapping[str, Population],
    endpoints: Mapping[str, Endpoint] | None = None,
) -> None:
    """Check the rules that span entries; raise on the first violation.

    Rules: ids are unique; no two entries report the same thing (same kind, endpoint,
    population, time and arms); arms, populations and endpoints are known, and each
    entry's kind fits its endpoint's kind (:data:`ENTRY_KINDS`); counts do not
    exceed the population's size; within an arm, endpoint and population, Kaplan-Meier
    survival does not rise over time and cumulative event counts among the same ``n`` do
    not fall; deaths by a landmark do not exceed EFS events by it, nor treatment-related
    deaths the deaths by the same or a later landmark, among the same patients.

    Parameters
    ----------
    entries : iterable of Entry
    arms : iterable of str
        Declared arm names (``"pooled"`` is always allowed).
    populations : mapping of str to Population
    endpoints : mapping of str to Endpoint, optional
        File-declared endpoints.

    Raises
    ------
    EvidenceError
        Naming the entry and the field.
    """
    entries = list(entries)
    known_arms = set(arms) | {POOLED}
    seen_ids: set[str] = set()
    seen_keys: dict[tuple[Any, ...], str] = {}
    for e in entries:
        if e.id in seen_ids:
            raise EvidenceError("duplicated entry id", entry=e.id, field="id")
        seen_ids.add(e.id)
        try:
            endpoint = get_endpoint(e.endpoint, dict(endpoints or {}))
        except EvidenceError as err:
            raise err.located(entry=e.id) from None
        _check_endpoint_kind(e, endpoint)
        if e.population not in populations:
            raise EvidenceError(
                f"unknown population {e.population!r}; declared: {', '.join(populations)}",
                entry=e.id,
                field="population",
            )
        for arm in e.arms:
            if arm not in known_arms:
                raise EvidenceError(
                    f"unknown arm {arm!r}; declared: {', '.join(sorted(known_arms))}",
                    entry=e.id,
                    field="arm",
                )
        key = _identity(e)
        if key in seen_keys:
            raise EvidenceError(
                f"duplicates entry '{seen_keys[key]}' (same kind, endpoint, population, "
                "time and arms)",
                entry=e.id,
                field="id",
            )
        seen_keys[key] = e.id
        _check_against_population(e, populations[e.population])
    _check_monotone_survival(entries)
    _check_monotone_events(entries)
    _check_nested_events(entries)


def _identity(e: Entry) -> tuple[Any, ...]:
    extra: tuple[Any, ...] = ()
    for name in ("statistic", "measure", "window_months", "estimand", "direction"):
        if hasattr(e, name):
            extra += (getattr(e, name),)
    return (e.kind, e.endpoint, e.population, e.time, tuple(sorted(e.arms)), *extra)


ENTRY_KINDS: Mapping[str, tuple[str, ...]] = MappingProxyType({
    "visit_summaries": ("continuous",),
    "slopes": ("continuous",),
    "effect_estimates": ("continuous",),
    "population_spread": ("continuous",),
    "pairwise": ("composite",),
    "km_curves": ("time_to_event",),
    "landmark_events": ("time_to_event", "binary"),
    "survival_estimates": ("time_to_event", "binary"),
    "ratios": ("time_to_event", "binary"),
})
"""Endpoint kinds each kind of entry can describe (a kind not listed: any).

A visit summary of a time-to-event endpoint, or a Kaplan-Meier curve of a continuous one,
would be read by no model, silently; landmark counts and survival estimates also describe
binary endpoints observed by a landmark (treatment-related death by one year)."""


def _check_endpoint_kind(e: Entry, endpoint: Endpoint) -> None:
    allowed = ENTRY_KINDS.get(e.kind)
    if allowed is not None and endpoint.kind not in allowed:
        raise EvidenceError(
            f"a {e.kind} entry cannot describe {endpoint.name!r}, a {endpoint.kind} "
            f"endpoint (it describes {' or '.join(allowed)} endpoints)",
            entry=e.id, field="endpoint")


def _check_against_population(e: Entry, population: Population) -> None:
    for name in ("n", "count", "events", "n_risk"):
        mapping = getattr(e, name, None)
        if not isinstance(mapping, Mapping):
            continue
        for arm, value in mapping.items():
            limit = population.n.get(arm)
            if limit is not None and value > limit:
                raise EvidenceError(
                    f"{value:g} exceeds the {population.name} population's {limit} "
                    f"participants in arm {arm!r}",
                    entry=e.id,
                    field=f"{name}.{arm}",
                )
    if isinstance(e, DigitisedCurve):
        limit = population.n.get(e.arm)
        if limit is not None and e.n_risk[0] > limit:
            raise EvidenceError(
                f"{e.n_risk[0]} at risk at time {e.risk_times[0]:g} exceeds the "
                f"{population.name} population's {limit} in arm {e.arm!r}",
                entry=e.id,
                field="n_risk[0]",
            )


def _check_monotone_survival(entries: list[Entry]) -> None:
    series: dict[tuple[str, str, str], list[tuple[float, float, str]]] = defaultdict(list)
    for e in entries:
        if isinstance(e, SurvivalEstimate) and e.method == "kaplan_meier":
            for arm, s in e.survival.items():
                series[(e.endpoint, e.population, arm)].append((e.time_months, s, e.id))
    for (endpoint, population, arm), points in series.items():
        points.sort()
        for (t0, s0, _id0), (t1, s1, id1) in itertools.pairwise(points):
            if s1 > s0 + _SURVIVAL_TOLERANCE:
                raise EvidenceError(
                    f"{endpoint} survival in arm {arm!r} ({population}) rises from "
                    f"{s0:g} at {t0:g} months to {s1:g} at {t1:g} months",
                    entry=id1,
                    field=f"survival.{arm}",
                )


def _check_monotone_events(entries: list[Entry]) -> None:
    series: dict[tuple[str, str, str, float], list[tuple[float, float, str]]] = defaultdict(list)
    for e in entries:
        if isinstance(e, LandmarkEvents):
            for arm, d in e.events.items():
                series[(e.endpoint, e.population, arm, e.n[arm])].append(
                    (e.time_months, d, e.id)
                )
    for (endpoint, population, arm, _n), points in series.items():
        points.sort()
        for (t0, d0, _id0), (t1, d1, id1) in itertools.pairwise(points):
            if d1 < d0:
                raise EvidenceError(
                    f"cumulative {endpoint} events in arm {arm!r} ({population}) fall from "
                    f"{d0:g} by {t0:g} months to {d1:g} by {t1:g} months",
                    entry=id1,
                    field=f"events.{arm}",
                )


def _counts_by_time(e: Entry) -> tuple[float, Mapping[str, float], Mapping[str, float]] | None:
    """Return a count entry's time, events and ``n`` by arm; ``None`` without a time."""
    if isinstance(e, LandmarkEvents):
        return float(e.time_months), e.events, e.n
    if isinstance(e, Proportion) and e.time_months is not None:
        return float(e.time_months), e.count, e.n
    return None


def _check_nested_events(entries: list[Entry]) -> None:
    """Refuse counts of an endpoint's events above those of an endpoint containing them.

    See :data:`_NESTED_EVENTS`; counts among different ``n`` describe different patients
    and are not compared.
    """
    for subset, superset, inner, outer, why in _NESTED_EVENTS:
        for e in entries:
            part = _counts_by_time(e) if e.endpoint == subset else None
            if part is None:
                continue
            for other in entries:
                whole = _counts_by_time(other) if other.endpoint == superset else None
                if (whole is None or other.population != e.population
                        or whole[0] < part[0]):
                    continue
                for arm, count in part[1].items():
                    if (arm in whole[1] and whole[2].get(arm) == part[2].get(arm)
                            and count > whole[1][arm]):
                        later = "" if whole[0] == part[0] else f" by {whole[0]:g} months"
                        raise EvidenceError(
                            f"{inner} ({count:g}) by {part[0]:g} months exceed {outer} "
                            f"({whole[1][arm]:g}){later} in arm {arm!r} (entry "
                            f"{other.id!r}): {why}",
                            entry=e.id, field=f"{_count_field(e)}.{arm}",
                        )


def _count_field(e: Entry) -> str:
    return "events" if isinstance(e, LandmarkEvents) else "count"
