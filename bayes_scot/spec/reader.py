"""Read an analysis specification (TOML) into an :class:`~bayes_scot.spec.AnalysisSpec`.

:func:`load_spec` reads and checks a file strictly: an unknown key, a value of the wrong
type, a missing trial file or an unknown option raises :class:`~bayes_scot.errors.SpecError`
naming the file and the key, in one line.
"""

from __future__ import annotations

import dataclasses
import importlib
import math
import types
import typing
from collections.abc import Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from bayes_scot.conventions import DEFAULT_SEED, MAX_SEED
from bayes_scot.errors import EvidenceError, SpecError
from bayes_scot.files import parse_toml, read_input
from bayes_scot.fitting.settings import BACKENDS, sampler_size_problem
from bayes_scot.spec import records
from bayes_scot.spec.records import (
    DEFAULT_SPEC,
    AnalysisSpec,
    CalibrationSpec,
    CustomPrior,
    FamilySpec,
    JointSpec,
    McidOverride,
    PriorScale,
    SamplerSpec,
    TrialSpec,
)
from bayes_scot.stats.estimands import mcid_problem
from bayes_scot.stats.priors import DEFAULT_GRID_NAMES

__all__ = ["list_specs", "load_spec", "spec_path"]


def _packaged() -> Any:
    """Return the folder of specifications installed with the package."""
    return resources.files("bayes_scot") / "specs"


# -- loading ----------------------------------------------------------------------------
def list_specs() -> tuple[str, ...]:
    """Names of the specifications shipped with the package, the default first."""
    names = sorted(
        p.name.removesuffix(".toml")
        for p in _packaged().iterdir()
        if p.name.endswith(".toml")
    )
    return tuple(sorted(names, key=lambda n: n != DEFAULT_SPEC))


def spec_path(name_or_path: str | Path | None = None) -> Path:
    """Resolve a specification name or path to a file.

    Parameters
    ----------
    name_or_path : str or path-like, optional
        A shipped specification's name (``"scot_pp"``), a path to a TOML file, or
        ``None`` for :data:`DEFAULT_SPEC`.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    SpecError
        If the file does not exist.
    """
    if name_or_path is None:
        name_or_path = DEFAULT_SPEC
    text = str(name_or_path)
    candidate = Path(text).expanduser()
    if candidate.suffix != ".toml" and "/" not in text and "\\" not in text:
        packaged = _packaged() / f"{text}.toml"
        if packaged.is_file():
            return Path(str(packaged))
        if not _exists(candidate, text):
            raise SpecError(
                f"no such specification; shipped: {', '.join(list_specs())}, or give a path "
                "to a .toml file",
                file=text,
            )
    if not _exists(candidate, text):
        raise SpecError("specification file not found", file=text)
    return candidate  # a folder, device or FIFO is refused when read (read_input)


def _exists(path: Path, text: str) -> bool:
    try:
        return path.exists()
    except (OSError, ValueError) as err:  # an embedded NUL byte, an overlong name
        raise SpecError(f"not a usable path ({err})", file=text) from None


def load_spec(name_or_path: str | Path | None = None) -> AnalysisSpec:
    """Read and check an analysis specification.

    Parameters
    ----------
    name_or_path : str or path-like, optional
        A shipped specification's name, a path to a TOML file, or ``None`` for the
        default (:data:`DEFAULT_SPEC`, SCOT intention to treat).

    Returns
    -------
    AnalysisSpec

    Raises
    ------
    SpecError
        In one line, naming the file and the key: unreadable or invalid TOML, an unknown
        key, a value of the wrong type or out of range, a trial that is not shipped or
        whose file is missing, an unknown model option.

    Examples
    --------
    >>> from bayes_scot.spec import load_spec
    >>> spec = load_spec()
    >>> spec.name, spec.trials[0].name, spec.trials[0].population
    ('scot_itt', 'scot', 'itt')
    """
    path = spec_path(name_or_path)
    where = str(name_or_path) if name_or_path is not None else f"{DEFAULT_SPEC} (shipped)"
    try:
        raw = read_input(path, what="specification file")
    except EvidenceError as err:
        raise SpecError(err.message, file=where) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise SpecError("not a UTF-8 text file", file=where) from None
    try:
        data = parse_toml(text)
    except EvidenceError as err:
        raise SpecError(err.message, file=where) from None
    return _read_spec(data, file=where, base=path.parent, text=text, path=str(path))


def _read_spec(
    data: Mapping[str, Any], *, file: str, base: Path, text: str, path: str
) -> AnalysisSpec:
    if not data:
        raise SpecError("the specification is empty", file=file)
    allowed = {"analysis", "trials", "sampler", "priors", "mcids", "joint", "calibration",
               *records.FAMILIES}
    _no_unknown(data, allowed, file, "")
    analysis = _table(data, "analysis", file, required=True)
    _no_unknown(analysis, {"name", "title", "description", "seed"}, file, "analysis")
    name = _check_str(_required(analysis, "name", file, "analysis"), file, "analysis.name")
    title = _check_str(analysis.get("title", name), file, "analysis.title")
    description = _check_str(analysis.get("description", ""), file, "analysis.description")
    seed = _check_int(analysis.get("seed", DEFAULT_SEED), file, "analysis.seed", 0,
                      maximum=MAX_SEED)

    trials = _read_trials(data.get("trials"), file, base)
    trial_names = [t.name for t in trials]

    sampler_table = _table(data, "sampler", file)
    sampler = _read_sampler(sampler_table, file)

    priors_table = _table(data, "priors", file)
    _no_unknown(priors_table, {"grid", "reference"}, file, "priors")
    grid = _check_str_list(priors_table.get("grid", list(DEFAULT_GRID_NAMES)), file,
                           "priors.grid")
    if not grid:
        raise SpecError("must name at least one prior", file=file, field="priors.grid")
    if len(set(grid)) != len(grid):
        raise SpecError("names a prior twice", file=file, field="priors.grid")
    reference = _check_str(priors_table.get("reference", grid[0]), file, "priors.reference")
    if reference not in grid:
        raise SpecError(f"{reference!r} is not in priors.grid", file=file,
                        field="priors.reference")

    families = []
    for family in records.FAMILIES:
        if family in data:
            spec = _read_family(family, _table(data, family, file), file, trial_names)
            if spec is not None:
                families.append(spec)
    if not families:
        raise SpecError(
            f"no model family to run: add a [{'], ['.join(records.FAMILIES)}] table",
            file=file,
        )
    for f in families:
        for prior in grid:
            if prior not in DEFAULT_GRID_NAMES and prior not in f.custom_priors:
                raise SpecError(
                    f"prior {prior!r} is not a grid prior and the {f.family} family defines "
                    f"no custom prior of that name ([{f.family}.custom_priors.{prior}])",
                    file=file, field="priors.grid",
                )

    mcids = _read_mcids(_table(data, "mcids", file), file)
    joint_table = _table(data, "joint", file)
    _no_unknown(joint_table, {"estimands", "threshold"}, file, "joint")
    joint_estimands = _check_str_list(joint_table.get("estimands", []), file, "joint.estimands")
    for i, key in enumerate(joint_estimands):
        endpoint, sep, estimand = key.partition(":")
        if not (sep and endpoint and estimand):
            raise SpecError(f"{key!r} is not of the form 'endpoint:estimand'", file=file,
                            field=f"joint.estimands[{i}]")
        if not any(f.selects(endpoint, estimand) for f in families):
            raise SpecError(
                f"{key!r} is not reported by any family: " + "; ".join(
                    f"{f.family} reports {_selection(f)}" for f in families
                ), file=file, field=f"joint.estimands[{i}]",
            )
    threshold = _check_choice(joint_table.get("threshold", "null"), ("null", "mcid"), file,
                              "joint.threshold")
    return AnalysisSpec(
        name=name,
        title=title,
        description=description,
        seed=seed,
        trials=trials,
        families=tuple(families),
        priors=tuple(grid),
        reference_prior=reference,
        mcids=mcids,
        joint=JointSpec(estimands=tuple(joint_estimands), threshold=threshold),  # type: ignore[arg-type]
        sampler=sampler,
        calibration=_read_calibration(_table(data, "calibration", file), file, grid),
        path=path,
        text=text,
    )


def _read_calibration(table: Mapping[str, Any], file: str, grid: list[str]) -> CalibrationSpec:
    keys = {"scheduler", "workers", "simulations", "hazard_ratios", "priors", "threshold"}
    _no_unknown(table, keys, file, "calibration")
    where = "calibration."
    ratios = table.get("hazard_ratios", [])
    if not isinstance(ratios, list):
        raise SpecError("must be an array of numbers", file=file, field=where + "hazard_ratios")
    for i, r in enumerate(ratios):
        if _check_float(r, file, f"{where}hazard_ratios[{i}]") <= 0:
            raise SpecError("must be positive", file=file, field=f"{where}hazard_ratios[{i}]")
    priors = _check_str_list(table.get("priors", []), file, where + "priors")
    for i, name in enumerate(priors):
        if name not in grid:
            raise SpecError(f"{name!r} is not in priors.grid", file=file,
                            field=f"{where}priors[{i}]")
    threshold = table.get("threshold")
    if threshold is not None and not 0.0 < _check_float(threshold, file,
                                                         where + "threshold") < 1.0:
        raise SpecError("must be between 0 and 1", file=file, field=where + "threshold")
    return CalibrationSpec(
        scheduler=_check_str(table.get("scheduler", ""), file, where + "scheduler"),
        workers=None if "workers" not in table else _check_int(
            table["workers"], file, where + "workers", 0),
        simulations=None if "simulations" not in table else _check_int(
            table["simulations"], file, where + "simulations", 1),
        hazard_ratios=tuple(float(r) for r in ratios),
        priors=tuple(priors),
        threshold=None if threshold is None else float(threshold),
    )


def _read_trials(value: Any, file: str, base: Path) -> tuple[TrialSpec, ...]:
    if value is None:
        raise SpecError("is required: at least one [[trials]] table", file=file, field="trials")
    if not isinstance(value, list) or not value:
        raise SpecError("must be an array of tables ([[trials]])", file=file, field="trials")
    shipped = _shipped_trials()
    trials = []
    for i, table in enumerate(value):
        where = f"trials[{i}]"
        if not isinstance(table, dict):
            raise SpecError("must be a table", file=file, field=where)
        _no_unknown(table, {"name", "path", "population", "assumptions"}, file, where)
        path = _check_str(table.get("path", ""), file, f"{where}.path")
        name = _check_str(table.get("name", Path(path).stem if path else ""), file,
                          f"{where}.name")
        if not name:
            raise SpecError("give the trial's name or path", file=file, field=f"{where}.name")
        if path:
            resolved = (base / path).expanduser()
            if not resolved.is_file():
                raise SpecError(f"trial file {path!r} not found (relative to the spec)",
                                file=file, field=f"{where}.path")
            path = str(resolved.resolve())
        elif shipped is not None and name not in shipped:
            raise SpecError(
                f"no shipped trial {name!r}; shipped: {', '.join(shipped)} "
                "(or give path = 'your_trial.toml')",
                file=file, field=f"{where}.name",
            )
        population = _check_str(table.get("population", "itt"), file, f"{where}.population")
        assumptions = _check_str_list(table.get("assumptions", []), file, f"{where}.assumptions")
        trials.append(TrialSpec(name=name, path=path, population=population,
                                assumptions=tuple(assumptions)))
    names = [t.name for t in trials]
    if len(set(names)) != len(names):
        raise SpecError("two trials share a name", file=file, field="trials")
    return tuple(trials)


def _shipped_trials() -> tuple[str, ...] | None:
    """Names of the shipped trials, or None when the data layer cannot list them."""
    try:
        data = importlib.import_module("bayes_scot.data")
        return tuple(data.list_trials())
    except (ImportError, AttributeError):
        return None


def _read_sampler(
    table: Mapping[str, Any], file: str, *, where: str = "sampler",
    base: SamplerSpec | None = None,
) -> SamplerSpec:
    """Read a sampler table; keys it does not set keep their value in ``base``."""
    base = base if base is not None else SamplerSpec()
    _no_unknown(table, {f.name for f in dataclasses.fields(SamplerSpec)}, file, where)
    draws = _check_int(table.get("draws", base.draws), file, f"{where}.draws", 1)
    tune = _check_int(table.get("tune", base.tune), file, f"{where}.tune", 0)
    chains = _check_int(table.get("chains", base.chains), file, f"{where}.chains", 1)
    target_accept = _check_float(table.get("target_accept", base.target_accept), file,
                                 f"{where}.target_accept")
    if not 0.0 < target_accept < 1.0:
        raise SpecError(f"must be in (0, 1), not {target_accept!r}", file=file,
                        field=f"{where}.target_accept")
    backend = _check_choice(table.get("backend", base.backend), BACKENDS, file,
                            f"{where}.backend")
    max_treedepth = _check_int(table.get("max_treedepth", base.max_treedepth), file,
                               f"{where}.max_treedepth", 1)
    if max_treedepth > 20:
        raise SpecError(f"must be at most 20, not {max_treedepth!r}", file=file,
                        field=f"{where}.max_treedepth")
    problem = sampler_size_problem(draws, tune, chains)
    if problem is not None:
        raise SpecError(problem[1], file=file, field=f"{where}.{problem[0]}")
    return SamplerSpec(draws=draws, tune=tune, chains=chains, target_accept=target_accept,
                       backend=backend, max_treedepth=max_treedepth)  # type: ignore[arg-type]


def _read_family(
    family: str, table: Mapping[str, Any], file: str, trial_names: Sequence[str]
) -> FamilySpec | None:
    allowed = {"enabled", "trials", "endpoints", "estimands", "options", "priors",
               "effect_priors", "custom_priors", "population", "external", "assumptions",
               "sampler"}
    if family == "composite":
        allowed.add("model_based")
    _no_unknown(table, allowed, file, family)
    if not _check_bool(table.get("enabled", True), file, f"{family}.enabled"):
        return None
    trials = _check_str_list(table.get("trials", list(trial_names)), file, f"{family}.trials")
    for i, name in enumerate(trials):
        if name not in trial_names:
            raise SpecError(f"{name!r} is not one of the [[trials]] ({', '.join(trial_names)})",
                            file=file, field=f"{family}.trials[{i}]")
    if not trials:
        raise SpecError("must name at least one trial", file=file, field=f"{family}.trials")
    endpoints = _check_str_list(table.get("endpoints", []), file, f"{family}.endpoints")
    estimands = _check_str_list(table.get("estimands", []), file, f"{family}.estimands")
    options = _read_options(family, _table(table, "options", file, prefix=family), file)
    priors_table = _table(table, "priors", file, prefix=family)
    priors = _read_scale(priors_table, file, f"{family}.priors") if priors_table else None
    effect_priors = {
        name: _read_scale(_as_table(value, file, f"{family}.effect_priors.{name}"), file,
                          f"{family}.effect_priors.{name}")
        for name, value in _table(table, "effect_priors", file, prefix=family).items()
    }
    custom = {}
    for name, value in _table(table, "custom_priors", file, prefix=family).items():
        where = f"{family}.custom_priors.{name}"
        t = _as_table(value, file, where)
        _no_unknown(t, {"mean", "sd", "statement", "label"}, file, where)
        mean = _check_float(_required(t, "mean", file, where), file, f"{where}.mean")
        sd = _check_float(_required(t, "sd", file, where), file, f"{where}.sd")
        if sd <= 0:
            raise SpecError(f"must be positive, not {sd!r}", file=file, field=f"{where}.sd")
        custom[name] = CustomPrior(
            mean=mean, sd=sd,
            statement=_check_str(t.get("statement", ""), file, f"{where}.statement"),
            label=_check_str(t.get("label", ""), file, f"{where}.label"),
        )
    population = _check_str(table.get("population", ""), file, f"{family}.population")
    external = _check_str_list(table.get("external", []), file, f"{family}.external")
    for i, source in enumerate(external):
        trial, sep, pop = source.partition(":")
        if source != "external" and not (sep and trial and pop):
            raise SpecError(
                f"{source!r} is neither 'external' nor '<trial>:<population>'",
                file=file, field=f"{family}.external[{i}]",
            )
        shipped = _shipped_trials()
        if sep and shipped is not None and trial not in shipped:
            raise SpecError(f"no shipped trial {trial!r}; shipped: {', '.join(shipped)}",
                            file=file, field=f"{family}.external[{i}]")
    assumptions = _check_str_list(table.get("assumptions", []), file,
                                  f"{family}.assumptions")
    model_based = _check_bool(table.get("model_based", True), file, f"{family}.model_based")
    sampler_table = _table(table, "sampler", file, prefix=family)
    checked = _read_sampler(sampler_table, file, where=f"{family}.sampler")
    return FamilySpec(family=family, trials=tuple(trials), endpoints=tuple(endpoints),
                      estimands=tuple(estimands), options=options, priors=priors,
                      effect_priors=effect_priors, custom_priors=custom,
                      population=population, external=tuple(external),
                      assumptions=tuple(assumptions), model_based=model_based,
                      sampler={key: getattr(checked, key) for key in sampler_table})


def _read_scale(table: Mapping[str, Any], file: str, where: str) -> PriorScale:
    _no_unknown(table, {f.name for f in dataclasses.fields(PriorScale)}, file, where)
    design_effect = _check_float(_required(table, "design_effect", file, where), file,
                                 f"{where}.design_effect")
    benefit = _check_choice(_required(table, "benefit", file, where), ("lower", "higher"), file,
                            f"{where}.benefit")
    reference_sd = _check_float(_required(table, "reference_sd", file, where), file,
                                f"{where}.reference_sd")
    mcid = table.get("mcid")
    mcid = None if mcid is None else _check_float(mcid, file, f"{where}.mcid")
    measure = _check_str(table.get("measure", ""), file, f"{where}.measure")
    limits = table.get("neutral_limits")
    if limits is not None:
        limits_table = _as_table(limits, file, f"{where}.neutral_limits")
        _no_unknown(limits_table, {"strong", "moderate", "weak"}, file, f"{where}.neutral_limits")
        limits = {k: _check_float(v, file, f"{where}.neutral_limits.{k}")
                  for k, v in limits_table.items()}
    scale = PriorScale(design_effect=design_effect, benefit=benefit,  # type: ignore[arg-type]
                       reference_sd=reference_sd, mcid=mcid, measure=measure,
                       neutral_limits=limits)
    try:
        scale.grid()
    except EvidenceError as err:
        raise SpecError(err.message, file=file,
                        field=f"{where}.{err.field}" if err.field else where) from None
    return scale


def _selection(family: FamilySpec) -> str:
    """Describe what a family reports: its endpoints and estimand patterns."""
    endpoints = ", ".join(family.endpoints) if family.endpoints else "all its endpoints"
    estimands = ", ".join(family.estimands) if family.estimands else "all estimands"
    return f"{endpoints} ({estimands})"


#: Null value and side of superiority of the estimands the shipped families report, by
#: the start of their name; ``None`` takes the side from the endpoint's ``better``.
#: MCID overrides are checked against them when the specification is read; the runner
#: checks every estimand's own null and side again (``_Runner.with_mcid``).
_ESTIMAND_SIDES: tuple[tuple[str, float, str | None], ...] = (
    ("survival_difference_", 0.0, "higher"),
    ("rmst_difference_", 0.0, "higher"),
    ("hazard_ratio_", 1.0, "lower"),
    ("change_difference_", 0.0, None),
    ("slope_difference_", 0.0, None),
    ("while_alive_net_benefit_", 0.0, "higher"),
    ("net_benefit_", 0.0, "higher"),
    ("model_net_benefit_", 0.0, "higher"),
    ("win_probability_", 0.5, "higher"),
    ("win_odds_", 1.0, "higher"),
    ("win_ratio_", 1.0, "higher"),
)


def _mcid_side(endpoint: str, estimand: str) -> tuple[float, str] | None:
    """Null and superior side of the estimands a pattern names, when they are known."""
    from bayes_scot.evidence.endpoints import ENDPOINTS

    for prefix, null, side in _ESTIMAND_SIDES:
        if estimand.startswith(prefix):
            if side is not None:
                return null, side
            known = ENDPOINTS.get(endpoint)
            return (null, known.better) if known is not None else None
    return None


def _read_mcids(table: Mapping[str, Any], file: str) -> tuple[McidOverride, ...]:
    overrides = []
    for pattern, value in table.items():
        where = f"mcids.{pattern}"
        endpoint, sep, estimand = pattern.partition(":")
        if not (sep and endpoint and estimand):
            raise SpecError("keys are 'endpoint:estimand' patterns, e.g. "
                            "\"efs:survival_difference_*\"", file=file, field=where)
        t = _as_table(value, file, where)
        _no_unknown(t, {"value", "source"}, file, where)
        mcid = _check_float(_required(t, "value", file, where), file, f"{where}.value")
        side = _mcid_side(endpoint, estimand)
        problem = None if side is None else mcid_problem(mcid, null=side[0], superior=side[1])
        if problem:
            raise SpecError(problem, file=file, field=f"{where}.value")
        overrides.append(McidOverride(
            pattern=pattern,
            value=mcid,
            source=_check_str(_required(t, "source", file, where), file, f"{where}.source"),
        ))
    return tuple(overrides)


def _read_options(family: str, table: Mapping[str, Any], file: str) -> Mapping[str, Any]:
    """Check an options table against the family's options dataclass, converting values."""
    where = f"{family}.options"
    if not table:
        return {}
    try:
        cls = records.options_class(family)
    except ImportError:
        raise SpecError(f"the {family} model is not available in this installation",
                        file=file, field=family) from None
    fields = {f.name: f for f in dataclasses.fields(cls) if f.init}
    _no_unknown(table, set(fields), file, where)
    hints = typing.get_type_hints(cls)
    values = {}
    for key, value in table.items():
        try:
            values[key] = _coerce(value, hints[key])
        except TypeError as err:
            raise SpecError(str(err), file=file, field=f"{where}.{key}") from None
    try:
        cls(**values)
    except EvidenceError as err:
        raise SpecError(err.message, file=file,
                        field=f"{where}.{err.field}" if err.field else where) from None
    except (TypeError, ValueError) as err:
        raise SpecError(str(err), file=file, field=where) from None
    return values




# -- checking helpers -------------------------------------------------------------------
def _no_unknown(table: Mapping[str, Any], allowed: set[str], file: str, where: str) -> None:
    for key in table:
        if key not in allowed:
            dotted = f"{where}.{key}" if where else key
            raise SpecError(f"unknown key; expected one of {', '.join(sorted(allowed))}",
                            file=file, field=dotted)


def _required(table: Mapping[str, Any], key: str, file: str, where: str) -> Any:
    if key not in table:
        raise SpecError("is required", file=file, field=f"{where}.{key}")
    return table[key]


def _table(table: Mapping[str, Any], key: str, file: str, *, required: bool = False,
           prefix: str = "") -> Mapping[str, Any]:
    dotted = f"{prefix}.{key}" if prefix else key
    if key not in table:
        if required:
            raise SpecError(f"is required: add a [{dotted}] table", file=file, field=dotted)
        return {}
    return _as_table(table[key], file, dotted)


def _as_table(value: Any, file: str, where: str) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise SpecError(f"must be a table, not {_type(value)}", file=file, field=where)
    return value


def _type(value: Any) -> str:
    return {bool: "a boolean", int: "an integer", float: "a number", str: "a string",
            list: "an array", dict: "a table"}.get(type(value), type(value).__name__)


def _check_str(value: Any, file: str, where: str) -> str:
    if not isinstance(value, str):
        raise SpecError(f"must be a string, not {_type(value)}", file=file, field=where)
    return value


def _check_bool(value: Any, file: str, where: str) -> bool:
    if not isinstance(value, bool):
        raise SpecError(f"must be true or false, not {_type(value)}", file=file, field=where)
    return value


def _check_int(value: Any, file: str, where: str, minimum: int,
               maximum: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise SpecError(f"must be a whole number, not {_type(value)}", file=file, field=where)
    if value < minimum:
        raise SpecError(f"must be at least {minimum}, not {value}", file=file, field=where)
    if maximum is not None and value > maximum:
        shown = f"{value}" if value.bit_length() < 64 else f"about 2**{value.bit_length() - 1}"
        raise SpecError(f"must be at most {maximum}, not {shown}", file=file, field=where)
    return value


def _check_float(value: Any, file: str, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise SpecError(f"must be a number, not {_type(value)}", file=file, field=where)
    if not math.isfinite(value):
        shown = "NaN (not a number)" if math.isnan(value) else f"{value} (infinite)"
        raise SpecError(f"must be a finite number, not {shown}", file=file, field=where)
    return float(value)


def _check_choice(value: Any, choices: tuple[str, ...], file: str, where: str) -> str:
    if not isinstance(value, str) or value not in choices:
        raise SpecError(f"must be one of {', '.join(map(repr, choices))}, not {value!r}",
                        file=file, field=where)
    return value


def _check_str_list(value: Any, file: str, where: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise SpecError("must be an array of strings", file=file, field=where)
    return list(value)


def _coerce(value: Any, hint: Any) -> Any:
    """Convert a TOML value to a dataclass field's annotated type, or raise TypeError."""
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if hint is Any:
        return value
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        errors = []
        for arg in args:
            if arg is type(None):
                continue
            try:
                return _coerce(value, arg)
            except TypeError as err:
                errors.append(str(err))
        raise TypeError(errors[0] if errors else f"unexpected value {value!r}")
    if origin is Literal:
        if value not in args:
            raise TypeError(f"must be one of {', '.join(map(repr, args))}, not {value!r}")
        return value
    if hint is bool:
        if not isinstance(value, bool):
            raise TypeError(f"must be true or false, not {_type(value)}")
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"must be a whole number, not {_type(value)}")
        return value
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise TypeError(f"must be a number, not {_type(value)}")
        return float(value)
    if hint is str:
        if not isinstance(value, str):
            raise TypeError(f"must be a string, not {_type(value)}")
        return value
    if origin in (tuple, Sequence, list) or hint in (tuple, list):
        if not isinstance(value, list):
            raise TypeError(f"must be an array, not {_type(value)}")
        if origin is tuple and args and args[-1] is not Ellipsis:
            if len(args) != len(value):
                raise TypeError(f"must be an array of {len(args)} values")
            return tuple(_coerce(v, a) for v, a in zip(value, args, strict=True))
        item = args[0] if args else Any
        converted = [_coerce(v, item) for v in value]
        return converted if origin is list else tuple(converted)
    if origin in (dict, Mapping) or hint is dict:
        if not isinstance(value, dict):
            raise TypeError(f"must be a table, not {_type(value)}")
        item = args[1] if args else Any
        return {k: _coerce(v, item) for k, v in value.items()}
    if dataclasses.is_dataclass(hint) and isinstance(hint, type):
        if not isinstance(value, dict):
            raise TypeError(f"must be a table, not {_type(value)}")
        nested = typing.get_type_hints(hint)
        known = {f.name for f in dataclasses.fields(hint) if f.init}
        for k in value:
            if k not in known:
                raise TypeError(f"unknown key {k!r}; expected one of {', '.join(sorted(known))}")
        return hint(**{k: _coerce(v, nested[k]) for k, v in value.items()})
    if isinstance(hint, type):
        if not isinstance(value, hint):
            raise TypeError(f"must be {hint.__name__}, not {_type(value)}")
        return value
    return value
