"""Read an analysis specification (TOML) into an :class:`~bayes_scot.spec.AnalysisSpec`.

:func:`load_spec` reads and checks a file strictly: an unknown key, a value of the wrong
type, a missing trial file or an unknown option raises :class:`~bayes_scot.errors.SpecError`
naming the file and the key, in one line.
"""

from __future__ import annotations

import dataclasses
import difflib
import fnmatch
import importlib
import re
from collections.abc import Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta

from bayes_scot.conventions import DEFAULT_SEED, MAX_SEED
from bayes_scot.errors import EvidenceError, SpecError
from bayes_scot.evidence import ALL_POPULATIONS, Endpoint, Trial
from bayes_scot.evidence.endpoints import ENDPOINTS
from bayes_scot.files import parse_toml, read_input
from bayes_scot.fitting.settings import BackendName, sampler_size_problem
from bayes_scot.schema import Finite, Positive, Table, convert, struct_from_dataclass
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


# -- the shape of a specification (checked by bayes_scot.schema) -------------------------
_Count = Annotated[int, Meta(ge=1)]


class _Analysis(Table):
    name: Annotated[str, Meta(pattern=r"\S")]  # not empty, not only spaces
    title: str | None = None
    description: str = ""
    seed: Annotated[int, Meta(ge=0, le=MAX_SEED)] = DEFAULT_SEED


class _Trial(Table):
    name: str = ""
    path: str = ""
    population: str = "itt"
    assumptions: tuple[str, ...] = ()


class _Sampler(Table):
    """Sampler settings; a key left out keeps its value in the table it replaces."""

    draws: _Count | None = None
    tune: Annotated[int, Meta(ge=0)] | None = None
    chains: _Count | None = None
    target_accept: Annotated[float, Meta(gt=0.0, lt=1.0)] | None = None
    backend: BackendName | None = None
    max_treedepth: Annotated[int, Meta(ge=1, le=20)] | None = None


class _Priors(Table):
    grid: tuple[str, ...] = DEFAULT_GRID_NAMES
    reference: str | None = None


class _Limits(Table):
    strong: Finite | None = None
    moderate: Finite | None = None
    weak: Finite | None = None


class _Scale(Table):
    design_effect: Finite
    benefit: Literal["lower", "higher"]
    reference_sd: Finite
    mcid: Finite | None = None
    measure: str = ""
    neutral_limits: _Limits | None = None


class _Custom(Table):
    mean: Finite
    sd: Positive
    statement: str = ""
    label: str = ""


class _Family(Table):
    enabled: bool = True
    trials: tuple[str, ...] | None = None
    endpoints: tuple[str, ...] = ()
    estimands: tuple[str, ...] = ()
    options: dict[str, Any] = msgspec.field(default_factory=dict)
    priors: _Scale | None = None
    effect_priors: dict[str, _Scale] = msgspec.field(default_factory=dict)
    custom_priors: dict[str, _Custom] = msgspec.field(default_factory=dict)
    population: str = ""
    external: tuple[str, ...] = ()
    assumptions: tuple[str, ...] = ()
    sampler: dict[str, Any] = msgspec.field(default_factory=dict)


class _Composite(_Family):
    model_based: bool = True


class _Mcid(Table):
    value: Finite
    source: str


class _Joint(Table):
    estimands: tuple[str, ...] = ()
    threshold: Literal["null", "mcid"] = "null"


class _Calibration(Table):
    scheduler: str = ""
    workers: Annotated[int, Meta(ge=0)] | None = None
    simulations: _Count | None = None
    # A list given must hold something (left out, the defaults apply).
    hazard_ratios: Annotated[tuple[Positive, ...], Meta(min_length=1)] = ()
    priors: Annotated[tuple[str, ...], Meta(min_length=1)] = ()
    threshold: Annotated[float, Meta(gt=0.0, lt=1.0)] | None = None


def _document_shape() -> type[Table]:
    """Return the shape of a document: fixed tables, an optional table per family."""
    fields: list[tuple[str, Any] | tuple[str, Any, Any]] = [
        ("analysis", _Analysis),
        ("trials", Annotated[list[_Trial], Meta(min_length=1)]),
        ("sampler", dict[str, Any], msgspec.field(default_factory=dict)),
        ("priors", _Priors, msgspec.field(default_factory=_Priors)),
        ("mcids", dict[str, _Mcid], msgspec.field(default_factory=dict)),
        ("joint", _Joint, msgspec.field(default_factory=_Joint)),
        ("calibration", _Calibration, msgspec.field(default_factory=_Calibration)),
    ]
    fields += [(name, _Composite if name == "composite" else _Family, None)
               for name in records.FAMILIES]
    shape: Any = msgspec.defstruct("Specification", fields, bases=(Table,), kw_only=True)
    return shape


def _read_spec(
    data: Mapping[str, Any], *, file: str, base: Path, text: str, path: str
) -> AnalysisSpec:
    if not data:
        raise SpecError("the specification is empty", file=file)
    doc: Any = convert(data, _document_shape(), where="the specification", error=SpecError,
                       file=file)
    trials, contents = _read_trials(doc.trials, file, base)
    trial_names = [t.name for t in trials]
    sampler = read_sampler(doc.sampler, file)
    grid = list(doc.priors.grid)
    if not grid:
        raise SpecError("must name at least one prior", file=file, field="priors.grid")
    if len(set(grid)) != len(grid):
        raise SpecError("names a prior twice", file=file, field="priors.grid")
    reference = doc.priors.reference if doc.priors.reference is not None else grid[0]
    if reference not in grid:
        raise SpecError(f"{reference!r} is not in priors.grid", file=file,
                        field="priors.reference")
    families = [
        _read_family(name, getattr(doc, name), file, trial_names, base)
        for name in records.FAMILIES
        if getattr(doc, name) is not None and getattr(doc, name).enabled
    ]
    if not families:
        raise SpecError(
            f"no model family to run: add a [{'], ['.join(records.FAMILIES)}] table",
            file=file,
        )
    declared = {name for t in contents.values() for name in t.endpoints}
    for f in families:
        _check_endpoints(f, {*ENDPOINTS, *declared}, file)
        _check_option_endpoints(f, {*ENDPOINTS, *declared}, file)
        for trial in f.trials if f.population else ():
            _check_population(f.population, tuple(contents[trial].populations), file,
                              f"{f.family}.population")
        for prior in grid:
            if prior not in DEFAULT_GRID_NAMES and prior not in f.custom_priors:
                raise SpecError(
                    f"prior {prior!r} is not a grid prior and the {f.family} family defines "
                    f"no custom prior of that name ([{f.family}.custom_priors.{prior}])",
                    file=file, field="priors.grid",
                )
    _check_joint(doc.joint, families, file)
    spec = AnalysisSpec(
        name=doc.analysis.name,
        title=doc.analysis.title if doc.analysis.title is not None else doc.analysis.name,
        description=doc.analysis.description,
        seed=doc.analysis.seed,
        trials=trials,
        families=tuple(families),
        priors=tuple(grid),
        reference_prior=reference,
        mcids=_read_mcids(doc.mcids, file, {name: endpoint for t in contents.values()
                                             for name, endpoint in t.endpoints.items()},
                          families),
        joint=JointSpec(estimands=doc.joint.estimands, threshold=doc.joint.threshold),
        sampler=sampler,
        calibration=_read_calibration(doc.calibration, file, grid),
        path=path,
        text=text,
    )
    for f in families:
        _check_family_options(spec, f, contents, file)
    return spec


def _check_family_options(spec: AnalysisSpec, family: FamilySpec,
                          contents: Mapping[str, Trial], file: str) -> None:
    """Build a family's options with its [mcids] values, and check their sides now.

    An ``[mcids]`` value that contradicts an option is refused by
    :meth:`AnalysisSpec.family_options`; the survival hazard ratios (design and margin,
    from the options or ``[mcids]``) must lie on the benefit side of 1 of the endpoint
    the family models, which the builder would otherwise find only when it starts.
    """
    try:
        options = spec.family_options(family, contents.get(family.trials[0]))
        better = _survival_better(options, family, contents)
        if better is not None:
            options.benefit_hazard_ratios(better)
    except SpecError:
        raise
    except EvidenceError as err:
        name = err.field or ""
        in_options = name.split(".")[0] in family.options
        field = (f"{family.family}.options.{name}" if in_options or not name
                 else "mcids")
        raise SpecError(err.message if in_options or not name else
                        f"{name} (from [mcids]): {err.message}", file=file,
                        field=field) from None


def _survival_better(options: Any, family: FamilySpec,
                     contents: Mapping[str, Trial]) -> Literal["higher", "lower"] | None:
    """Return the survival-scale ``better`` of the endpoint(s) the survival family models.

    ``"lower"`` when the event is wanted, ``"higher"`` when it harms; None unless every
    modelled endpoint agrees. A binary endpoint counts when the options name it.
    """
    if family.family != "survival" or not hasattr(options, "benefit_hazard_ratios"):
        return None
    chosen = getattr(options, "endpoint", None)
    betters: set[str] = set()
    for name in family.trials:
        trial = contents.get(name)
        if trial is None:
            continue
        endpoints = ({chosen} if chosen else
                     {e.endpoint for e in trial.entries})
        for endpoint in endpoints:
            known = trial.endpoints.get(endpoint, ENDPOINTS.get(endpoint))
            # On the survival scale: a binary endpoint's ``better`` speaks of the
            # proportion with the event, so it is read through ``event_wanted``.
            if known is not None and (known.kind == "time_to_event" or (
                    known.kind == "binary" and endpoint == chosen)):
                betters.add("lower" if known.event_wanted else "higher")
    if len(betters) == 1:
        return "lower" if betters == {"lower"} else "higher"
    return None


def _check_joint(joint: _Joint, families: Sequence[FamilySpec], file: str) -> None:
    for i, key in enumerate(joint.estimands):
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


def _read_calibration(table: _Calibration, file: str, grid: list[str]) -> CalibrationSpec:
    for i, name in enumerate(table.priors):
        if name not in grid:
            raise SpecError(f"{name!r} is not in priors.grid", file=file,
                            field=f"calibration.priors[{i}]")
    return CalibrationSpec(
        scheduler=table.scheduler, workers=table.workers, simulations=table.simulations,
        hazard_ratios=table.hazard_ratios, priors=table.priors, threshold=table.threshold,
    )


def _read_trials(tables: Sequence[_Trial], file: str,
                 base: Path) -> tuple[tuple[TrialSpec, ...], dict[str, Trial]]:
    """Return the trials and, by trial name, what each trial file holds."""
    shipped = _shipped_trials()
    trials = []
    contents = {}
    for i, table in enumerate(tables):
        where = f"trials[{i}]"
        name, path = table.name, table.path
        if not (name or path):
            raise SpecError("give the trial's name or path", file=file, field=f"{where}.name")
        if path:
            path = _resolve_file(path, base, file, f"{where}.path")
        elif shipped is not None and name not in shipped:
            raise SpecError(
                f"no shipped trial {name!r}; shipped: {', '.join(shipped)} "
                "(or give path = 'your_trial.toml')",
                file=file, field=f"{where}.name",
            )
        content = _trial_content(path or name, file, where)
        _check_population(table.population, tuple(content.populations), file,
                          f"{where}.population")
        trials.append(TrialSpec(name=name or content.name, path=path,
                                population=table.population,
                                assumptions=table.assumptions))
        contents[trials[-1].name] = content
    names = [t.name for t in trials]
    if len(set(names)) != len(names):
        raise SpecError("two trials share a name", file=file, field="trials")
    return tuple(trials), contents


def _resolve_file(path: str, base: Path, file: str, field: str) -> str:
    """Return the absolute path of a trial file named relative to the specification."""
    resolved = (base / path).expanduser()
    try:
        is_file = resolved.is_file()
        exists = is_file or resolved.exists()
    except (OSError, ValueError) as err:  # an overlong name, an embedded NUL byte
        reason = getattr(err, "strerror", None) or str(err)
        raise SpecError(f"trial file {path[:80]!r}{'...' if len(path) > 80 else ''} is "
                        f"not a usable path ({reason})", file=file, field=field) from None
    if not is_file:
        what = ("is a folder, not a trial file" if resolved.is_dir() else
                "is not a regular file" if exists else
                "not found (relative to the spec)")
        raise SpecError(f"trial file {path!r} {what}", file=file, field=field)
    return str(resolved.resolve())


def _trial_content(name_or_path: str, file: str, where: str,
                   field: str | None = None) -> Trial:
    """Read a trial file now (every population), or say its first problem.

    A trial file is read again by the reanalysis; reading it here refuses a bad one
    before anything else is done, and lets ``[[trials]]`` name a file by ``path`` alone.
    """
    from bayes_scot.data import read_trial_file, resolve_trial_path

    try:
        trial = read_trial_file(resolve_trial_path(name_or_path))
    except EvidenceError as err:
        raise SpecError(str(err), file=file, field=field or (
            f"{where}.path" if "/" in name_or_path else f"{where}.name")) from None
    return trial


def _read_external(source: str, base: Path, file: str, field: str) -> str:
    """Check one source of a family's ``external`` list, read its file, and resolve it.

    ``"external"`` is the shipped external evidence; ``"<trial>:<population>"`` a
    population of a shipped trial; ``"<file>.toml"`` a file of external evidence in the
    trial-file format (every population), and ``"<file>.toml:<population>"`` one
    population of such a file, each relative to the specification. Returns the source
    with any file's path made absolute.
    """
    if source == "external":
        return source
    head, population = records.external_parts(source)
    if source.endswith(":"):
        raise SpecError(f"{source!r} names no population after ':'; give "
                        "'<file>.toml' for every population of a file, or "
                        "'<file>.toml:<population>'", file=file, field=field)
    if head.endswith(".toml"):
        path = _resolve_file(head, base, file, field)
        content = _trial_content(path, file, field, field)
        resolved = path
    else:
        if not (head and population):
            raise SpecError(
                f"{source!r} is neither 'external', '<trial>:<population>', "
                "'<file>.toml' nor '<file>.toml:<population>'", file=file, field=field)
        shipped = _shipped_trials()
        if shipped is not None and head not in shipped:
            raise SpecError(f"no shipped trial {head!r}; shipped: {', '.join(shipped)} "
                            "(or give a trial file, '<file>.toml:<population>')",
                            file=file, field=field)
        content = _trial_content(head, file, field, field)
        resolved = head
    if population:
        _check_population(population, tuple(content.populations), file, field)
        return f"{resolved}:{population}"
    return resolved


def _check_population(population: str, declared: Sequence[str], file: str,
                      field: str) -> None:
    """Refuse a population the trial file does not declare, naming those it does."""
    if population != ALL_POPULATIONS and population not in declared:
        raise SpecError(
            f"unknown population {population!r}; the trial file declares "
            f"{', '.join(map(repr, declared))} (or 'all' for every population)",
            file=file, field=field,
        )


def _shipped_trials() -> tuple[str, ...] | None:
    """Names of the shipped trials, or None when the data layer cannot list them."""
    try:
        data = importlib.import_module("bayes_scot.data")
        return tuple(data.list_trials())
    except (ImportError, AttributeError):
        return None


def read_sampler(
    table: Mapping[str, Any], file: str, *, where: str = "sampler",
    base: SamplerSpec | None = None,
) -> SamplerSpec:
    """Read a sampler table; keys it does not set keep their value in ``base``."""
    checked = convert(table, _Sampler, where=f"[{where}]", error=SpecError, file=file,
                      prefix=f"{where}.")
    changes = {k: v for k in table if (v := getattr(checked, k)) is not None}
    sampler = dataclasses.replace(base if base is not None else SamplerSpec(), **changes)
    problem = sampler_size_problem(sampler.draws, sampler.tune, sampler.chains)
    if problem is not None:
        raise SpecError(problem[1], file=file, field=f"{where}.{problem[0]}")
    return sampler


def _check_external_overlap(external: Sequence[str], family: str, file: str) -> None:
    """Refuse a source of external evidence named twice, or with a population of it.

    A file named whole holds every population of it; its numbers, or one population's,
    would count twice in the family's discounted evidence.
    """
    for i, source in enumerate(external):
        head, population = records.external_parts(source)
        for j, other in enumerate(external[:i]):
            other_head, other_population = records.external_parts(other)
            whole = not population or not other_population
            if source == other or (head == other_head and head.endswith(".toml")
                                   and whole):
                raise SpecError(
                    f"overlaps external[{j}] ({other!r}): its evidence would count "
                    "twice; name each source once", file=file,
                    field=f"{family}.external[{i}]")


def _read_family(
    family: str, table: _Family, file: str, trial_names: Sequence[str], base: Path
) -> FamilySpec:
    trials = table.trials if table.trials is not None else tuple(trial_names)
    for i, name in enumerate(trials):
        if name not in trial_names:
            raise SpecError(f"{name!r} is not one of the [[trials]] ({', '.join(trial_names)})",
                            file=file, field=f"{family}.trials[{i}]")
    if not trials:
        raise SpecError("must name at least one trial", file=file, field=f"{family}.trials")
    if table.external and not records.FAMILIES[family].external:
        takes = [name for name, f in records.FAMILIES.items() if f.external]
        raise SpecError(
            f"the {family} model takes no external evidence (only [{'], ['.join(takes)}] "
            "does); fit other trials with it by naming them in trials",
            file=file, field=f"{family}.external",
        )
    external = tuple(_read_external(source, base, file, f"{family}.external[{i}]")
                     for i, source in enumerate(table.external))
    _check_external_overlap(external, family, file)
    sampler = read_sampler(table.sampler, file, where=f"{family}.sampler")
    return FamilySpec(
        family=family, trials=trials, endpoints=table.endpoints, estimands=table.estimands,
        options=_read_options(family, table.options, file),
        priors=None if table.priors is None else _scale(table.priors, file,
                                                        f"{family}.priors"),
        effect_priors={name: _scale(scale, file, f"{family}.effect_priors.{name}")
                       for name, scale in table.effect_priors.items()},
        custom_priors={name: CustomPrior(mean=c.mean, sd=c.sd, statement=c.statement,
                                         label=c.label)
                       for name, c in table.custom_priors.items()},
        population=table.population, external=external,
        assumptions=table.assumptions, model_based=getattr(table, "model_based", True),
        sampler={key: getattr(sampler, key) for key in table.sampler},
    )


def _scale(table: _Scale, file: str, where: str) -> PriorScale:
    if where.split(".")[0] == "longitudinal" and table.benefit != "higher":
        # The longitudinal effect is standardised and direction-aligned: positive
        # favours the experimental arm whatever the endpoint's better.
        raise SpecError(
            'benefit = "lower": the longitudinal effect is direction-aligned (positive '
            "favours the experimental arm, for lower-is-better endpoints too); give "
            'benefit = "higher" with a positive design_effect and mcid',
            file=file, field=f"{where}.benefit")
    limits = None
    if table.neutral_limits is not None:
        limits = {k: v for k in ("strong", "moderate", "weak")
                  if (v := getattr(table.neutral_limits, k)) is not None}
    scale = PriorScale(design_effect=table.design_effect, benefit=table.benefit,
                       reference_sd=table.reference_sd, mcid=table.mcid,
                       measure=table.measure, neutral_limits=limits)
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


def _check_endpoints(family: FamilySpec, known: set[str], file: str) -> None:
    """Refuse a family's ``endpoints`` entry that no built-in or declared endpoint has.

    The list only filters what the family reports, so a misspelt name would silently
    leave that endpoint's results out.
    """
    for i, name in enumerate(family.endpoints):
        if name not in known:
            close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.6)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise SpecError(f"{name!r} is neither a built-in endpoint nor one the trial "
                            f"files declare{hint}", file=file,
                            field=f"{family.family}.endpoints[{i}]")


#: Estimands of each endpoint kind (the families that report them), by name start.
_KIND_PREFIXES: dict[str, tuple[str, ...]] = {
    "time_to_event": ("survival_difference_", "rmst_difference_", "hazard_ratio_"),
    "continuous": ("change_difference_", "slope_difference_"),
    "composite": ("while_alive_net_benefit_", "net_benefit_", "model_net_benefit_",
                  "win_probability_", "win_odds_", "win_ratio_", "model_win_probability_",
                  "model_win_odds_", "model_win_ratio_"),
}
#: The family that reports each endpoint kind's estimands.
_KIND_FAMILY = {"time_to_event": "survival", "continuous": "longitudinal",
                "composite": "composite"}
#: Name ends of estimands, to test a wildcard pattern against (times, intervals).
_SAMPLE_ENDS = ("common", "12", "24", "54", "72", "0", "1", "3", "6", "36", "48", "60",
                "120", "0_3", "0_12", "0_54", "3_12", "12_24", "54_72")
#: Largest magnitude of an MCID on any estimand's scale (a threshold of 1e300 is a typo).
_MAX_MCID = 1e6
_GLOB = re.compile(r"[*?\[]")


def _check_option_endpoints(family: FamilySpec, known: set[str], file: str) -> None:
    """Refuse an options table keyed by endpoint (``mcids``, ``scales``) naming none.

    A misspelt key would leave that endpoint's own value (its MCID) silently unchanged.
    """
    for option in ("mcids", "scales"):
        value = family.options.get(option)
        if not isinstance(value, Mapping):
            continue
        for name in value:
            if name not in known:
                close = difflib.get_close_matches(str(name), sorted(known), n=1, cutoff=0.6)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                raise SpecError(f"{name!r} is neither a built-in endpoint nor one the "
                                f"trial files declare{hint}", file=file,
                                field=f"{family.family}.options.{option}.{name}")


def _mcid_side(endpoint: str, estimand: str,
               declared: Mapping[str, Endpoint]) -> tuple[float, str] | None:
    """Null and superior side of the estimands a pattern names, when they are known.

    The side of a change or slope follows the endpoint's ``better``: from the built-in
    registry, else from the trial files' ``[endpoints]`` tables (``declared``); so does
    that of a survival estimand of an endpoint whose event is wanted
    (:attr:`~bayes_scot.evidence.Endpoint.event_wanted`: a time-to-event endpoint with
    ``better = "lower"``, a binary one with ``better = "higher"``; a lower survival and a
    hazard ratio above 1 then favour the experimental arm).
    """
    known = declared.get(endpoint, ENDPOINTS.get(endpoint))
    for prefix, null, side in _ESTIMAND_SIDES:
        if estimand.startswith(prefix):
            if side is None:
                return (null, known.better) if known is not None else None
            if (known is not None and known.kind in ("time_to_event", "binary")
                    and known.event_wanted):
                side = "lower" if side == "higher" else "higher"
            return null, side
    return None


def _mcid_range_problem(value: float, estimand: str) -> str | None:
    """Say why a value cannot be an MCID of an estimand of bounded scale, or None."""
    if estimand.startswith(("hazard_ratio_", "win_odds_", "win_ratio_",
                            "model_win_odds_", "model_win_ratio_")) and value <= 0:
        return f"a ratio's MCID must be positive, not {value:g}"
    if estimand.startswith(("survival_difference_", "net_benefit_",
                            "while_alive_net_benefit_", "model_net_benefit_")) \
            and not -1 < value < 1:
        return (f"a difference of proportions lies strictly between -1 and 1, "
                f"not {value:g}")
    if estimand.startswith(("win_probability_", "model_win_probability_")) \
            and not 0 < value < 1:
        return f"a probability lies strictly between 0 and 1, not {value:g}"
    return None


def _matched_estimands(
    endpoint_pattern: str, estimand_pattern: str, declared: Mapping[str, Endpoint],
    families: Sequence[FamilySpec],
) -> list[tuple[str, str]]:
    """Endpoints and example estimand names a pattern matches among what is run.

    Each endpoint that some family of the analysis reports (by its kind and the family's
    ``endpoints`` list) and that matches ``endpoint_pattern`` is paired with every
    estimand form of its kind that ``estimand_pattern`` matches (tried with
    :data:`_SAMPLE_ENDS`).
    """
    run = {f.family: f for f in families}
    found: list[tuple[str, str]] = []
    for name, endpoint in {**ENDPOINTS, **declared}.items():
        family = run.get(_KIND_FAMILY.get(endpoint.kind, ""))
        if family is None or (family.endpoints and name not in family.endpoints):
            continue
        if not fnmatch.fnmatchcase(name, endpoint_pattern):
            continue
        for prefix in _KIND_PREFIXES[endpoint.kind]:
            sample = next((prefix + end for end in _SAMPLE_ENDS
                           if fnmatch.fnmatchcase(prefix + end, estimand_pattern)), None)
            if sample is not None:
                found.append((name, sample))
    return found


def _check_exact_pattern(endpoint: str, estimand: str, declared: Mapping[str, Endpoint],
                         file: str, where: str) -> None:
    """Refuse a pattern without wildcards that could match nothing (a misspelling).

    Its endpoint must be built in or declared by a trial file, and its estimand must
    start like one the package reports (``survival_difference_``, ``hazard_ratio_``...);
    otherwise the MCID would silently never apply.
    """
    known = sorted({*ENDPOINTS, *declared})
    if endpoint not in known:
        close = difflib.get_close_matches(endpoint, known, n=1, cutoff=0.6)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise SpecError(f"{endpoint!r} is neither a built-in endpoint nor one the trial "
                        f"files declare, so the pattern would never apply{hint}",
                        file=file, field=where)
    prefixes = sorted({p for group in _KIND_PREFIXES.values() for p in group})
    if not estimand.startswith(tuple(prefixes)):
        close = difflib.get_close_matches(estimand, prefixes, n=1, cutoff=0.5)
        hint = f"; did you mean {close[0]!r}...?" if close else ""
        raise SpecError(f"{estimand!r} is no estimand the package reports, so the pattern "
                        f"would never apply{hint}", file=file, field=where)


def _read_mcids(table: Mapping[str, _Mcid], file: str, declared: Mapping[str, Endpoint],
                families: Sequence[FamilySpec] = ()) -> tuple[McidOverride, ...]:
    overrides: list[McidOverride] = []
    for pattern, mcid in table.items():
        where = f"mcids.{pattern}"
        if not pattern.isprintable():
            raise SpecError("keys are one-line 'endpoint:estimand' patterns, without "
                            "control characters", file=file, field=where)
        endpoint, sep, estimand = pattern.partition(":")
        if not (sep and endpoint and estimand):
            raise SpecError("keys are 'endpoint:estimand' patterns, e.g. "
                            "\"efs:survival_difference_*\"", file=file, field=where)
        if not _GLOB.search(pattern):
            _check_exact_pattern(endpoint, estimand, declared, file, where)
        if not mcid.source.strip() or not mcid.source.isprintable():
            raise SpecError("must say where the value comes from, in one line",
                            file=file, field=f"{where}.source")
        if abs(mcid.value) > _MAX_MCID:
            raise SpecError(f"{mcid.value:g} is beyond {_MAX_MCID:g} in magnitude, on any "
                            "estimand's scale", file=file, field=f"{where}.value")
        checks = [(endpoint, estimand)]  # by the start of the estimand's name
        if _GLOB.search(pattern):
            checks += _matched_estimands(endpoint, estimand, declared, families)
        for name, example in checks:
            side = _mcid_side(name, example, declared)
            problem = _mcid_range_problem(mcid.value, example) or (
                None if side is None else mcid_problem(mcid.value, null=side[0],
                                                       superior=side[1]))
            if problem:
                about = f" (it matches {name}:{example})" if (name, example) != (
                    endpoint, estimand) else ""
                raise SpecError(problem + about, file=file, field=f"{where}.value")
        if not _GLOB.search(pattern):
            earlier = next((m for m in overrides if m.matches(endpoint, estimand)), None)
            if earlier is not None and earlier.value != mcid.value:
                raise SpecError(
                    f"never applies: the earlier pattern {earlier.pattern!r} (value "
                    f"{earlier.value:g}) matches it first; give the MCID once",
                    file=file, field=where)
        overrides.append(McidOverride(pattern=pattern, value=mcid.value, source=mcid.source))
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
    checked = convert(table, struct_from_dataclass(cls), where=f"[{where}]", error=SpecError,
                      file=file, prefix=f"{where}.")
    values = {key: getattr(checked, key) for key in table}
    try:
        cls(**values)
    except EvidenceError as err:
        raise SpecError(err.message, file=file,
                        field=f"{where}.{err.field}" if err.field else where) from None
    except (TypeError, ValueError) as err:
        raise SpecError(str(err), file=file, field=where) from None
    return values
