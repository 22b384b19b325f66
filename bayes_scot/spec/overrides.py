"""Explicit priors given for one run: per family, on the parameter's scale or as a ratio.

Each model family puts its treatment-effect prior on its own parameter: the survival
model on a log hazard ratio, the longitudinal model on a standardised mean difference,
the composite on the net benefit (or the log win odds). A prior given as a bare
``(mean, sd)`` pair therefore means something different in each family, so it is
accepted unqualified only when the analysis runs one family; otherwise it is given per
family::

    reanalyse(priors={"survival": {"hopeful": "HR 0.7 with 5% above 1"},
                      "longitudinal": {"hopeful": (0.3, 0.2)},
                      "composite": {"hopeful": (0.1, 0.1)}})

A prior is one of

- a ``(mean, sd)`` pair on the family's parameter scale (a string ``"mean,sd"`` too);
- a statement on the ratio scale, ``"HR 0.8 with 5% below 0.5"`` (median 0.8, 5% prior
  probability below 0.5; :func:`bayes_scot.stats.priors.ratio_prior`), for a family whose
  parameter is a log ratio (survival's log HR; the composite on ``log_win_odds``);
- an :class:`~bayes_scot.stats.priors.EffectPrior` (e.g. from
  :func:`~bayes_scot.stats.priors.ratio_prior_from_interval`) or a
  :class:`~bayes_scot.spec.CustomPrior`.

Every family must get every named prior, since every family is fitted under every prior
of the run. The command line writes the same as ``--prior FAMILY.NAME=PRIOR``.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
import re
from collections.abc import Mapping, Sequence
from typing import Annotated, Any

from msgspec import Meta

from bayes_scot.conventions import MAX_SEED
from bayes_scot.errors import EvidenceError, SpecError
from bayes_scot.schema import convert
from bayes_scot.spec import records
from bayes_scot.spec.reader import read_sampler
from bayes_scot.spec.records import AnalysisSpec, CustomPrior, FamilySpec
from bayes_scot.stats.priors import DEFAULT_GRID_NAMES, EffectPrior, ratio_prior

__all__ = ["RATIO_STATEMENT", "apply_overrides", "override_priors", "parse_cli_prior",
           "parse_prior",
           "ratio_measure"]

RATIO_STATEMENT = re.compile(
    r"^\s*(?P<measure>HR|OR|RR|win odds)\s+(?P<centre>\d*\.?\d+)\s+with\s+"
    r"(?P<percent>\d*\.?\d+)\s*%\s+(?P<side>below|above)\s+(?P<threshold>\d*\.?\d+)\s*$",
    re.IGNORECASE,
)
"""``"HR 0.8 with 5% below 0.5"``: a ratio's prior median and one tail probability."""


def ratio_measure(family: FamilySpec) -> str:
    """Return the ratio a family's effect parameter is the log of ("" when it is none)."""
    if family.family == "survival":
        return "HR"
    if family.family == "composite" and family.options.get("scale") == "log_win_odds":
        return "win odds"
    return ""


def parse_prior(value: Any, *, measure: str, where: str, field: str) -> CustomPrior:
    """Turn one user-given prior into a :class:`~bayes_scot.spec.CustomPrior`.

    Parameters
    ----------
    value : pair, str, EffectPrior or CustomPrior
        See the module documentation.
    measure : str
        The family's ratio (:func:`ratio_measure`), ``""`` for a family whose parameter
        is not a log ratio.
    where, field : str
        Where the prior was given, for the error message.

    Raises
    ------
    SpecError
        One line naming the prior, for anything that is not a valid prior.
    """
    if isinstance(value, CustomPrior):
        return value
    if isinstance(value, EffectPrior):
        return CustomPrior(mean=value.mean, sd=value.sd, statement=value.statement,
                           label=value.label)
    if isinstance(value, str):
        statement = RATIO_STATEMENT.match(value)
        if statement is not None:
            return _ratio(statement, value, measure=measure, where=where, field=field)
        if "," not in value:
            raise SpecError(f"{value!r} is neither 'mean,sd' nor a ratio statement such as "
                            "'HR 0.8 with 5% below 0.5'", file=where, field=field)
        value = value.split(",")
    try:
        mean, sd = (float(x) for x in value)
    except (TypeError, ValueError):
        raise SpecError("explicit priors are (mean, sd) pairs or ratio statements such as "
                        "'HR 0.8 with 5% below 0.5'", file=where, field=field) from None
    if not (math.isfinite(mean) and math.isfinite(sd) and sd > 0):
        raise SpecError("needs a finite mean and a positive sd", file=where, field=field)
    return CustomPrior(mean=mean, sd=sd)


def _ratio(match: re.Match[str], text: str, *, measure: str, where: str,
           field: str) -> CustomPrior:
    if not measure:
        raise SpecError(f"{text!r} is a statement on a ratio scale, but this family's effect "
                        "parameter is not a log ratio: give (mean, sd) on its own scale",
                        file=where, field=field)
    try:
        prior = ratio_prior(threshold=float(match["threshold"]),
                            probability=float(match["percent"]) / 100.0,
                            centre=float(match["centre"]), side=match["side"].lower(),  # type: ignore[arg-type]
                            measure=measure)
    except EvidenceError as err:
        raise SpecError(f"{text!r}: {err.message}", file=where, field=field) from None
    return CustomPrior(mean=prior.mean, sd=prior.sd, statement=prior.statement)


def _per_family(spec: AnalysisSpec, value: Mapping[str, Any],
                where: str) -> dict[str, Mapping[str, Any]]:
    """Return ``family -> {name -> prior}``, refusing an unqualified prior when ambiguous."""
    families = [f.family for f in spec.families]
    absent = [k for k in value if k in records.FAMILIES and k not in families
              and isinstance(value[k], Mapping)]
    if absent:
        raise SpecError(f"the specification runs no {absent[0]} family (it runs "
                        f"{', '.join(families)}): its priors have nothing to apply to",
                        file=where, field=f"priors.{absent[0]}")
    keyed = [k for k in value if k in families]
    if keyed and len(keyed) == len(value) and all(isinstance(value[k], Mapping)
                                                  for k in keyed):
        return {k: value[k] for k in keyed}
    if keyed:
        raise SpecError("give every prior inside a family's mapping, e.g. "
                        "{'survival': {'hopeful': (mean, sd)}}; do not mix family names and "
                        "prior names", file=where, field="priors")
    if len(families) > 1:
        names = ", ".join(map(repr, value))
        raise SpecError(
            f"prior(s) {names} would mean something else on each family's scale "
            f"({', '.join(families)}): give them per family, e.g. "
            f"{{'survival': {{{next(iter(value))!r}: 'HR 0.8 with 5% below 0.5'}}}}",
            file=where, field="priors")
    return {families[0]: value} if families else {}


def override_priors(spec: AnalysisSpec, value: Mapping[str, Any], where: str) -> AnalysisSpec:
    """Return ``spec`` run under the explicit priors of ``value`` (see the module notes).

    Raises
    ------
    SpecError
        When an unqualified prior is ambiguous, a family lacks a named prior, or a prior
        is invalid (one line, naming the prior).
    """
    by_family = _per_family(spec, value, where)
    names = tuple(dict.fromkeys(n for priors in by_family.values() for n in priors))
    if not names:
        raise SpecError("must name at least one prior", file=where, field="priors")
    families = []
    for f in spec.families:
        given = by_family.get(f.family, {})
        missing = [n for n in names if n not in given and n not in f.custom_priors]
        if missing:
            raise SpecError(f"the {f.family} family has no prior {', '.join(missing)}; every "
                            "family is fitted under every prior of the run",
                            file=where, field=f"priors.{f.family}")
        custom = dict(f.custom_priors)
        for name, prior in given.items():
            custom[name] = parse_prior(prior, measure=ratio_measure(f), where=where,
                                       field=f"priors.{f.family}.{name}"
                                       if len(by_family) > 1 or f.family in value
                                       else f"priors.{name}")
        families.append(dataclasses.replace(f, custom_priors=custom))
    reference = spec.reference_prior if spec.reference_prior in names else names[0]
    return dataclasses.replace(spec, families=tuple(families), priors=names,
                               reference_prior=reference)


def parse_cli_prior(items: Sequence[str]) -> dict[str, dict[str, str]]:
    """Turn ``--prior FAMILY.NAME=PRIOR`` options into the per-family mapping.

    Raises
    ------
    ValueError
        For an item without ``FAMILY.NAME=``.
    """
    out: dict[str, dict[str, str]] = {}
    for item in items:
        key, sep, prior = item.partition("=")
        family, dot, name = key.strip().partition(".")
        if not (sep and dot and family and name and prior.strip()):
            raise ValueError(f"{item!r}: expected FAMILY.NAME=PRIOR, e.g. "
                             "survival.hopeful='HR 0.8 with 5% below 0.5'")
        out.setdefault(family, {})[name.strip()] = prior.strip()
    return out


def _checked(value: Any, shape: Any, where: str, field: str) -> Any:
    """Check one override with the specification's checker (:mod:`bayes_scot.schema`)."""
    return convert(value, shape, where="the overrides", error=SpecError, file=where,
                   prefix=f"{field}.")


def _names(value: Any, where: str, field: str) -> list[Any]:
    """Return the names of a ``priors`` or ``families`` override as a list.

    A string (comma-separated names) or a list or tuple of names; a mapping, a set (the
    order chooses the reference prior) or a scalar is refused with one line naming the
    override, as is a name given twice.
    """
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    if isinstance(value, Mapping) or not isinstance(value, Sequence):
        raise SpecError(f"must be a name or a list or tuple of names (in order), not "
                        f"{type(value).__name__}", file=where, field=field)
    names = list(value)
    repeated = [n for i, n in enumerate(names) if n in names[:i]]
    if repeated:
        raise SpecError(f"names {repeated[0]!r} more than once", file=where, field=field)
    return names


def _plain_number(value: Any) -> Any:
    """Return a NumPy integer (``np.int64(3)``) as a Python ``int``; anything else as is."""
    if isinstance(value, numbers.Integral) and not isinstance(value, bool | int):
        return int(value)
    return value


def _override_priors(spec: AnalysisSpec, value: Any, where: str) -> AnalysisSpec:
    if isinstance(value, Mapping):
        return override_priors(spec, value, where)
    names = _checked(_names(value, where, "priors"), tuple[str, ...], where, "priors")
    if not names:
        raise SpecError("must name at least one prior", file=where, field="priors")
    for name in names:
        for f in spec.families:
            if name not in DEFAULT_GRID_NAMES and name not in f.custom_priors:
                raise SpecError(
                    f"unknown prior {name!r}; known: {', '.join(DEFAULT_GRID_NAMES)}",
                    file=where, field="priors",
                )
    reference = spec.reference_prior if spec.reference_prior in names else names[0]
    return dataclasses.replace(spec, priors=names, reference_prior=reference)


def apply_overrides(spec: AnalysisSpec, overrides: Mapping[str, Any]) -> AnalysisSpec:
    """Return ``spec`` with some settings replaced.

    The implementation of :meth:`~bayes_scot.spec.AnalysisSpec.with_overrides`, whose
    documentation lists the overrides (the keys of ``overrides``) and the errors.
    """
    where = f"{spec.path or spec.name} (override)"
    sampler_keys = {"draws", "tune", "chains", "target_accept", "backend", "max_treedepth"}
    sampler_changes = {}
    for key, value in overrides.items():
        if value is None:
            continue
        value = _plain_number(value)
        if key in sampler_keys:
            sampler_changes[key] = value
        elif key == "seed":
            seed = _checked(value, Annotated[int, Meta(ge=0, le=MAX_SEED)], where, "seed")
            spec = dataclasses.replace(spec, seed=seed)
        elif key == "title":
            spec = dataclasses.replace(spec, title=_checked(value, str, where, "title"))
        elif key == "priors":
            spec = _override_priors(spec, value, where)
        elif key == "population":
            population = _checked(value, str, where, "population")
            first = dataclasses.replace(spec.trials[0], population=population)
            families = tuple(
                dataclasses.replace(f, options={**f.options, "population": population})
                if "population" in f.options else f
                for f in spec.families
            )
            spec = dataclasses.replace(spec, trials=(first, *spec.trials[1:]),
                                       families=families)
        elif key == "families":
            names = _names(value, where, "families")
            unknown = [n for n in names if n not in {f.family for f in spec.families}]
            if unknown or not names:
                raise SpecError(
                    f"families must name some of {', '.join(f.family for f in spec.families)}",
                    file=where, field="families",
                )
            kept = tuple(spec.family(n) for n in names)
            # A joint estimand stays when a kept family reports its endpoint (a
            # family without an endpoint list reports all of its own).
            joint = tuple(
                key for key in spec.joint.estimands
                if any(not f.endpoints or key.split(":", 1)[0] in f.endpoints
                       for f in kept)
            )
            spec = dataclasses.replace(
                spec, families=kept,
                joint=dataclasses.replace(spec.joint, estimands=joint),
            )
        else:
            raise SpecError(
                "unknown override; known: backend, chains, draws, families, max_treedepth, "
                "population, priors, seed, target_accept, title, tune",
                file=where, field=key,
            )
    if sampler_changes:
        spec = dataclasses.replace(
            spec, sampler=read_sampler(sampler_changes, where, base=spec.sampler)
        )
        # An explicit override applies to every family, replacing its own setting.
        spec = dataclasses.replace(spec, families=tuple(
            dataclasses.replace(f, sampler={k: v for k, v in f.sampler.items()
                                             if k not in sampler_changes})
            for f in spec.families
        ))
    return spec

