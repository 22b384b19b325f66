"""Read a trial file (TOML) into a validated :class:`~bayes_scot.evidence.Trial`.

The format is documented in ``docs/trial-file-format.md`` and shown by the shipped
``template.toml``. Reading is strict, every table's shape checked by
:mod:`bayes_scot.schema` (the checker of specifications too): a misspelt key, a value of
the wrong type, a missing field, bad TOML, an empty, binary or missing file, and every
rule of the evidence layer raise :class:`~bayes_scot.errors.EvidenceError` naming the
file, the entry (its ``id``, or ``table[index]`` when it has none) and the field.
Nothing else escapes from :func:`read_trial_file`: an unexpected failure is reported as
an ``EvidenceError`` too, so the command line never shows a traceback. A digitised
curve is checked here as numbers; whether the survival model can reconstruct patients
from it (it starts at survival 1, does not rise beyond digitisation noise, agrees with
its risk table) is checked by :func:`bayes_scot.stats.reconstruction.check_curves`, a
layer above, which ``bayes-scot validate`` and :func:`bayes_scot.reanalyse` run before
any model is built.
"""

from __future__ import annotations

import csv
import hashlib
import math
import os
import re
import typing
from functools import cache
from pathlib import Path
from typing import Any

import msgspec

from bayes_scot.errors import EvidenceError
from bayes_scot.evidence import (
    ALL_POPULATIONS,
    ENTRY_KINDS,
    POOLED,
    Arm,
    DigitisedCurve,
    Endpoint,
    Entry,
    Population,
    Source,
    Trial,
    validate_entries,
)
from bayes_scot.evidence.endpoints import check_redeclared
from bayes_scot.files import parse_toml, read_input
from bayes_scot.schema import Finite, NonEmpty, Table, convert, struct_from_dataclass

__all__ = [
    "EXTERNAL_FILE",
    "SHIPPED_TRIALS",
    "TEMPLATE_FILE",
    "TRIALS_DIR",
    "list_trials",
    "load_trial",
    "read_trial_file",
    "resolve_trial_path",
]

TRIALS_DIR: Path = Path(__file__).resolve().parent / "trials"
"""Folder of the trial files shipped with the package."""

EXTERNAL_FILE: Path = Path(__file__).resolve().parent / "external.toml"
"""The shipped external-evidence file (see :func:`bayes_scot.data.load_external`)."""

TEMPLATE_FILE: Path = Path(__file__).resolve().parent / "template.toml"
"""The documented template: every kind of entry, with simulated numbers."""

SHIPPED_TRIALS: tuple[str, ...] = ("scot", "astis", "assist")
"""Names of the shipped trials, in the order :func:`list_trials` gives them."""


#: Months per unit of a trial file's ``time_unit`` (a year of 365.25 days, 12 months).
TIME_UNITS: dict[str, float] = {"days": 12.0 / 365.25, "weeks": 7.0 * 12.0 / 365.25,
                                "months": 1.0, "years": 12.0}
_TIME_FIELDS = ("time_months", "window_months", "times", "risk_times")
MAX_SHORT_LABEL = 40
"""Most characters of an arm's ``short_label``, which every result label repeats."""
MAX_ENDPOINT_LABEL = 200
"""Most characters of a declared endpoint's ``label``, which every result label repeats."""
_ENDPOINT_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_FIXED_TABLES = ("trial", "arms", "populations", "sources", "endpoints")


# -- the shape of a trial file's tables (checked by bayes_scot.schema) ------------------
class _TrialTable(Table):
    name: NonEmpty
    title: NonEmpty
    citation: NonEmpty
    registration: NonEmpty | None = None
    design: NonEmpty | None = None
    time_unit: NonEmpty | None = None


class _ArmTable(Table):
    label: NonEmpty
    role: NonEmpty
    regimen: NonEmpty | None = None
    short_label: NonEmpty | None = None


class _PopulationTable(Table):
    label: NonEmpty
    n: dict[str, Any]
    definition: str = ""
    source: Any = None


class _SourceTable(Table):
    citation: NonEmpty


class _Source(Table):
    locator: NonEmpty
    tag: NonEmpty
    ref: NonEmpty | None = None
    citation: NonEmpty | None = None
    note: str = ""


class _EndpointTable(Table):
    label: NonEmpty
    kind: NonEmpty
    better: NonEmpty
    unit: NonEmpty | None = None


#: String fields that may be empty.
_MAY_BE_EMPTY = ("assumption", "comparator")

#: The curve's coordinates may come from ``curve_file`` and ``risk_file`` instead.
_CURVE_COORDINATES = ("times", "survival", "risk_times", "n_risk")


_ENTRY_SHAPES: dict[type[Entry], type[Table]] = {}


def _entry_shape(cls: type[Entry]) -> type[Table]:
    """Return the shape of one entry kind: its record's fields, numbers finite.

    Whole-number fields are checked as finite numbers here and as whole by the record,
    which is given the value as written.
    """
    if cls in _ENTRY_SHAPES:
        return _ENTRY_SHAPES[cls]
    hints = typing.get_type_hints(cls)
    fields: dict[str, Any] = {name: NonEmpty for name, hint in hints.items()
                              if hint is str and name not in _MAY_BE_EMPTY}
    fields.update({name: Any for name, hint in hints.items() if hint is Source})
    _ENTRY_SHAPES[cls] = struct_from_dataclass(
        cls, replace={int: Finite, float: Finite}, fields=fields,
        optional=_CURVE_COORDINATES if cls is DigitisedCurve else (),
    )
    return _ENTRY_SHAPES[cls]


@cache
def _document_shape() -> type[Table]:
    """Return the top level's shape: the fixed tables and the entry kinds' arrays."""
    fields = [(name, Any, None) for name in (*_FIXED_TABLES, *ENTRY_KINDS)]
    shape: Any = msgspec.defstruct("TrialFile", fields, bases=(Table,), kw_only=True)
    return shape


def _written_as_is(hint: Any) -> bool:
    """Whether a field's value goes to its record as written (whole numbers, arm maps)."""
    text = str(hint)
    return "int" in text or "Mapping" in text

#: Kinds whose entries may carry the ``default`` source tag (package conventions such as
#: an MCID without a disease-specific source). Every other entry is reported or derived.
_DEFAULT_TAG_KINDS = frozenset({"mcids"})

#: Extra keys of ``[[km_curves]]`` entries: CSV files holding the coordinates.
_CURVE_FILE_KEYS = ("curve_file", "risk_file")

#: Fields holding survival proportions, per kind; a value above 1 is almost always a
#: percentage typed by mistake, and the error says so.
_SURVIVAL_FIELDS = {"survival_estimates": ("survival", "lower", "upper"),
                    "km_curves": ("survival",)}


# -- public functions -----------------------------------------------------------------
def list_trials() -> tuple[str, ...]:
    """Return the names of the trials shipped with the package.

    Returns
    -------
    tuple of str
        ``("scot", "astis", "assist")``; each loads with :func:`load_trial`.
    """
    return tuple(name for name in SHIPPED_TRIALS if (TRIALS_DIR / f"{name}.toml").is_file())


def resolve_trial_path(name_or_path: str | os.PathLike[str]) -> Path:
    """Turn a shipped trial's name or a path into the path of a trial file.

    Parameters
    ----------
    name_or_path : str or path-like
        ``"scot"``, ``"astis"``, ``"assist"`` (any case), or a path to a TOML file.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    EvidenceError
        If the argument is neither a shipped name nor an existing file.
    """
    if isinstance(name_or_path, str) and name_or_path.strip().lower() in SHIPPED_TRIALS:
        return TRIALS_DIR / f"{name_or_path.strip().lower()}.toml"
    if not isinstance(name_or_path, str | os.PathLike):
        raise EvidenceError(
            f"expected a trial name or a path, not {type(name_or_path).__name__}",
            field="name_or_path",
        )
    path = Path(name_or_path)
    try:
        exists = path.exists()
    except (OSError, ValueError) as err:  # e.g. an embedded NUL byte or an overlong name
        raise EvidenceError(f"not a usable path ({err})", field="name_or_path") from None
    if exists:
        return path
    if isinstance(name_or_path, str) and path.suffix == "" and len(path.parts) == 1:
        raise EvidenceError(
            f"unknown trial {name_or_path!r}; shipped trials: {', '.join(SHIPPED_TRIALS)} "
            "(or give the path of a trial file)",
            field="name_or_path",
        )
    raise EvidenceError("file not found", file=str(path))


def load_trial(name_or_path: str | os.PathLike[str], population: str = "itt") -> Trial:
    """Load a trial: a shipped one by name, or any trial file by path.

    Parameters
    ----------
    name_or_path : str or path-like
        ``"scot"``, ``"astis"`` or ``"assist"``, or the path of a trial file in the
        documented format (``docs/trial-file-format.md``).
    population : str, default "itt"
        Keep only the entries of this population; ``"all"`` keeps every population, and
        only such a trial switches to another population later
        (:meth:`Trial.with_population`; a one-population view refuses to).

    Returns
    -------
    Trial
        Validated evidence with provenance; ``trial.content_hash`` is the SHA-256 of the
        file's bytes.

    Raises
    ------
    EvidenceError
        For any problem with the name, the file or its content, naming the file, the entry
        and the field. Whether a digitised curve suits the survival model's
        reconstruction is checked a layer above
        (:func:`bayes_scot.stats.reconstruction.check_curves`, which ``bayes-scot
        validate`` and :func:`bayes_scot.reanalyse` run before any model is built).

    Examples
    --------
    >>> from bayes_scot.data import load_trial
    >>> scot = load_trial("scot")
    >>> scot.n("hsct"), scot.n("cyc")
    (36, 39)
    >>> load_trial("scot", population="pp").n("hsct")
    33
    """
    path = resolve_trial_path(name_or_path)
    trial = read_trial_file(path, allow_default_tag=_is_external_file(path))
    if population == ALL_POPULATIONS:
        return trial
    if not isinstance(population, str):
        raise EvidenceError("population must be a string", file=trial.path, field="population")
    return trial.with_population(population)


def read_trial_file(path: str | os.PathLike[str], *, allow_default_tag: bool = False) -> Trial:
    """Read and validate one trial file, keeping every population.

    Parameters
    ----------
    path : str or path-like
        The TOML file.
    allow_default_tag : bool, default False
        Accept the ``default`` source tag on ``[[mcids]]`` entries (the package's own
        external-evidence file, :data:`EXTERNAL_FILE`, does; trial data are always
        reported or derived).

    Returns
    -------
    Trial
        With ``population="all"``.

    Raises
    ------
    EvidenceError
        Naming the file, the entry and the field.
    """
    file = str(path)
    try:
        return _TrialReader(Path(path), allow_default_tag=allow_default_tag).read()
    except EvidenceError as err:
        raise err.located(file=file) from None
    except Exception as err:  # a failure no rule anticipated: still one line, no traceback
        raise EvidenceError(
            f"could not read the trial file ({type(err).__name__}: {err})", file=file
        ) from err


def _is_external_file(path: Path) -> bool:
    try:
        return path.resolve() == EXTERNAL_FILE
    except OSError:
        return False


def _in_months(values: dict[str, Any], factor: float) -> dict[str, Any]:
    """Return an entry's field values with every time converted to months.

    ``factor`` is months per unit of the file's ``time_unit``. The conversion comes
    before the entry is made, so that its checks (times within
    :data:`~bayes_scot.evidence.entries.base.MAX_TIME_MONTHS`, ordered, within the
    follow-up) see months whatever unit the file writes.
    """
    if factor == 1.0:
        return values
    changes: dict[str, Any] = {}
    for name in _TIME_FIELDS:
        value = values.get(name)
        if isinstance(value, tuple | list):
            changes[name] = tuple(float(v) * factor for v in value)
        elif value is not None:
            changes[name] = float(value) * factor
    return {**values, **changes}


# -- the reader -----------------------------------------------------------------------
class _TrialReader:
    """Turn one file's TOML document into a Trial; one instance per read."""

    def __init__(self, path: Path, *, allow_default_tag: bool) -> None:
        self.path = path
        self.file = str(path)
        self.allow_default_tag = allow_default_tag
        self.sources: dict[str, str] = {}
        self.time_unit = "months"

    # -- file level ---------------------------------------------------------------------
    def read(self) -> Trial:
        raw = self._read_bytes()
        document = self._parse(raw)
        convert(document, _document_shape(), where="the top level of the file")
        for name in ("trial", "arms", "populations"):
            if name not in document:
                raise EvidenceError(f"the file needs a [{name}] table", field=name)
        meta = self._trial_table(document["trial"])
        self.time_unit = meta.get("time_unit", "months")
        if self.time_unit not in TIME_UNITS:
            raise EvidenceError(
                f"must be one of {', '.join(TIME_UNITS)}, not {self.time_unit!r}",
                field="trial.time_unit")
        arms = self._arms(document["arms"])
        self.sources = self._sources(document.get("sources", {}))
        endpoints = self._endpoints(document.get("endpoints", {}))
        populations = self._populations(document["populations"], arms)
        entries: list[Entry] = []
        for kind, items in document.items():  # file order
            if kind in ENTRY_KINDS:
                entries.extend(self._entries(kind, items))
        validate_entries(
            entries,
            arms=[a.name for a in arms],
            populations=populations,
            endpoints=endpoints,
        )
        return Trial(
            name=meta["name"],
            title=meta["title"],
            citation=meta["citation"],
            registration=meta.get("registration", ""),
            design=meta.get("design", ""),
            arms=tuple(arms),
            populations=populations,
            entries=tuple(entries),
            endpoints=endpoints,
            time_unit=self.time_unit,
            population=ALL_POPULATIONS,
            path=self.file,
            content_hash=hashlib.sha256(raw).hexdigest(),
        )

    def _read_bytes(self) -> bytes:
        try:
            return read_input(self.path, what="trial file")
        except EvidenceError as err:
            raise EvidenceError(err.message) from None  # the caller adds the file

    def _parse(self, raw: bytes) -> dict[str, Any]:
        if b"\x00" in raw:
            raise EvidenceError("is a binary file, not a TOML trial file")
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as err:
            raise EvidenceError(
                f"is not UTF-8 text (undecodable byte at position {err.start}); "
                "is it a binary file?"
            ) from None
        if not text.strip():
            raise EvidenceError("the file is empty")
        document = parse_toml(text)
        if not document:
            raise EvidenceError("the file holds only comments; it needs [trial], [arms] "
                                "and [populations] tables")
        return document

    # -- fixed tables -------------------------------------------------------------------
    def _trial_table(self, table: Any) -> dict[str, str]:
        convert(table, _TrialTable, where="[trial]", prefix="trial.")
        return dict(table)

    def _arms(self, table: Any) -> list[Arm]:
        table = convert(table, dict[str, Any], where="[arms]", prefix="arms.")
        arms = []
        for name, spec in table.items():
            where = f"arms.{name}"
            if name == POOLED:
                raise EvidenceError(f"'{POOLED}' is reserved for both arms together",
                                    field=where)
            arm = convert(spec, _ArmTable, where=f"[{where}]", prefix=f"{where}.")
            if arm.role not in ("experimental", "control"):
                raise EvidenceError(
                    f"role must be 'experimental' or 'control', not {arm.role!r}",
                    field=f"{where}.role",
                )
            short = arm.short_label or ""
            if len(short) > MAX_SHORT_LABEL or not short.isprintable():
                raise EvidenceError(
                    f"must be one line of at most {MAX_SHORT_LABEL} characters (it names "
                    f"the arm in every label and legend), not {short!r}",
                    field=f"{where}.short_label",
                )
            arms.append(Arm(name=name, label=arm.label, role=arm.role,
                            regimen=arm.regimen or "", short_label=short))
        self._check_short_labels(arms)
        roles = [a.role for a in arms]
        if roles.count("experimental") != 1 or roles.count("control") != 1:
            raise EvidenceError(
                "declare exactly two arms, one with role = 'experimental' and one with "
                f"role = 'control' (found {', '.join(f'{a.name}: {a.role}' for a in arms)})",
                field="arms",
            )
        return sorted(arms, key=lambda a: a.role != "experimental")

    @staticmethod
    def _check_short_labels(arms: list[Arm]) -> None:
        """Refuse a short label that could name another arm, or both arms together."""
        def key(text: str) -> str:
            return text.strip().casefold()

        for arm in arms:
            if not arm.short_label:
                continue
            field = f"arms.{arm.name}.short_label"
            if key(arm.short_label) == POOLED:
                raise EvidenceError(f"'{POOLED}' names both arms together, not one arm",
                                    field=field)
            for other in arms:
                if other is arm:
                    continue
                if key(arm.short_label) in (key(other.name), key(other.display)):
                    raise EvidenceError(
                        f"{arm.short_label!r} is how results name the arm {other.name!r}; "
                        "give each arm its own short label", field=field)

    def _sources(self, table: Any) -> dict[str, str]:
        checked = convert(table, dict[str, _SourceTable], where="[sources]",
                          prefix="sources.")
        return {key: spec.citation for key, spec in checked.items()}

    def _endpoints(self, table: Any) -> dict[str, Endpoint]:
        table = convert(table, dict[str, Any], where="[endpoints]", prefix="endpoints.")
        endpoints = {}
        for name, spec in table.items():
            where = f"endpoints.{name}"
            if not _ENDPOINT_NAME.fullmatch(name):
                raise EvidenceError(
                    "an endpoint name is a letter, then letters, digits and underscores "
                    f"(specifications write 'endpoint:estimand'), not {name!r}", field=where)
            checked = convert(spec, _EndpointTable, where=f"[{where}]", prefix=f"{where}.")
            if not checked.label.isprintable() or len(checked.label) > MAX_ENDPOINT_LABEL:
                raise EvidenceError(
                    f"must be one line of at most {MAX_ENDPOINT_LABEL} characters (it names "
                    f"the endpoint in every result), not {checked.label[:60]!r}"
                    f"{'...' if len(checked.label) > 60 else ''}", field=f"{where}.label")
            try:
                endpoints[name] = Endpoint(name=name, **spec)
                check_redeclared(endpoints[name])
            except EvidenceError as err:
                raise EvidenceError(err.message, field=f"{where}.{err.field}") from None
        return endpoints

    def _populations(self, table: Any, arms: list[Arm]) -> dict[str, Population]:
        table = convert(table, dict[str, Any], where="[populations]", prefix="populations.")
        if not table:
            raise EvidenceError("declare at least one population", field="populations")
        known = {a.name for a in arms} | {POOLED}
        populations = {}
        for name, spec in table.items():
            where = f"populations.{name}"
            if name == ALL_POPULATIONS:
                raise EvidenceError(f"'{ALL_POPULATIONS}' is reserved for every population",
                                    field=where)
            population = convert(spec, _PopulationTable, where=f"[{where}]",
                                 prefix=f"{where}.")
            counts = population.n
            for arm, count in counts.items():
                if arm not in known:
                    raise EvidenceError(
                        f"unknown arm {arm!r}; declared: {', '.join(sorted(known))}",
                        field=f"{where}.n.{arm}",
                    )
                if not _is_whole(count) or count < 1:
                    raise EvidenceError(f"must be a whole number of at least 1, not {count!r}",
                                        field=f"{where}.n.{arm}")
            source = None
            if "source" in spec:
                source = self._source(spec["source"], f"{where}.source", kind="populations")
            populations[name] = Population(
                name=name, label=population.label, n={k: int(v) for k, v in counts.items()},
                definition=population.definition, source=source,
            )
        return populations

    # -- entries ------------------------------------------------------------------------
    def _entries(self, kind: str, items: Any) -> list[Entry]:
        if isinstance(items, dict):
            raise EvidenceError(
                f"write entries as an array of tables, [[{kind}]], not [{kind}]", field=kind
            )
        if not isinstance(items, list):
            raise EvidenceError(f"must be an array of tables [[{kind}]]", field=kind)
        return [self._entry(kind, i, item) for i, item in enumerate(items)]

    def _entry(self, kind: str, index: int, item: Any) -> Entry:
        label = f"{kind}[{index}]"
        if not isinstance(item, dict):
            raise EvidenceError(f"each [[{kind}]] item must be a table", entry=label)
        if isinstance(item.get("id"), str) and item["id"].strip():
            label = item["id"]
        try:
            return self._build_entry(kind, item)
        except EvidenceError as err:
            raise err.located(entry=label) from None

    def _build_entry(self, kind: str, item: dict[str, Any]) -> Entry:
        cls = ENTRY_KINDS[kind]
        if cls is DigitisedCurve:
            item = self._read_curve_files(item)
        checked = convert(item, _entry_shape(cls), where=f"[[{kind}]]",
                          missing_hint=" (template.toml shows every kind of entry)")
        hints = typing.get_type_hints(cls)
        values: dict[str, Any] = {}
        for name, value in item.items():
            if name == "source":
                values[name] = self._source(value, "source", kind=kind)
            elif _written_as_is(hints[name]):
                values[name] = tuple(value) if isinstance(value, list) else value
            else:
                values[name] = getattr(checked, name)
        for name in _SURVIVAL_FIELDS.get(kind, ()):
            _check_survival_scale(values.get(name), name)
        if cls is DigitisedCurve:
            for name in _CURVE_COORDINATES:
                if name not in values:
                    raise EvidenceError(
                        "is required (inline, or via curve_file / risk_file)", field=name
                    )
        try:
            return cls(**_in_months(values, TIME_UNITS[self.time_unit]))
        except EvidenceError as err:
            if self.time_unit == "months" or (err.field or "").split("[")[0] not in _TIME_FIELDS:
                raise
            raise EvidenceError(f"{err.message} (converted from the file's time_unit = "
                                f"{self.time_unit!r})", field=err.field) from None
        except (TypeError, ValueError) as err:
            raise EvidenceError(f"invalid entry ({err})") from None

    def _source(self, spec: Any, where: str, *, kind: str) -> Source:
        if not isinstance(spec, dict):
            raise EvidenceError(
                "must be a table such as { ref = \"nejm\", locator = \"Table 2\", "
                "tag = \"reported\" }",
                field=where,
            )
        convert(spec, _Source, where=f"[{where}]", prefix=f"{where}.")
        if ("ref" in spec) == ("citation" in spec):
            raise EvidenceError(
                "give either ref (a key of the [sources] table) or citation, not both "
                "or neither",
                field=f"{where}.ref",
            )
        if "ref" in spec:
            if spec["ref"] not in self.sources:
                known = ", ".join(self.sources) or "none declared"
                raise EvidenceError(
                    f"unknown source {spec['ref']!r}; [sources] declares: {known}",
                    field=f"{where}.ref",
                )
            citation = self.sources[spec["ref"]]
        else:
            citation = spec["citation"]
        tag = spec["tag"]
        if tag == "default" and not (self.allow_default_tag and kind in _DEFAULT_TAG_KINDS):
            raise EvidenceError(
                "trial data must be 'reported' or 'derived'; the 'default' tag is only for "
                "the package's own conventions (MCIDs without a source)",
                field=f"{where}.tag",
            )
        try:
            return Source(citation=citation, locator=spec["locator"], tag=tag,
                          note=spec.get("note", ""))
        except EvidenceError as err:
            field = err.field.replace("source.", f"{where}.", 1) if err.field else where
            raise EvidenceError(err.message, field=field) from None

    def _read_curve_files(self, item: dict[str, Any]) -> dict[str, Any]:
        """Return the entry with its CSV files read into coordinates (keys removed)."""
        files = {k: v for k, v in item.items() if k in _CURVE_FILE_KEYS}
        item = {k: v for k, v in item.items() if k not in _CURVE_FILE_KEYS}
        specs = {"curve_file": ("times", "survival"), "risk_file": ("risk_times", "n_risk")}
        for key, (time_name, value_name) in specs.items():
            if key not in files:
                continue
            for name in (time_name, value_name):
                if name in item:
                    raise EvidenceError(f"give {name} inline or {key}, not both", field=name)
            relative = convert(files[key], NonEmpty, where=key, prefix=f"{key}.")
            times, values = _read_two_column_csv(self.path.parent / relative, key)
            item[time_name] = times
            item[value_name] = values
        return item


# -- value checks ---------------------------------------------------------------------
def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(
        value
    )


def _is_whole(value: Any) -> bool:
    return _is_number(value) and float(value) == int(value)


def _check_survival_scale(mapping: Any, name: str) -> None:
    if mapping is None:
        return
    items = mapping.items() if isinstance(mapping, dict) else enumerate(mapping)
    for key, value in items:
        if _is_number(value) and value > 1:
            where = f"{name}.{key}" if isinstance(mapping, dict) else f"{name}[{key}]"
            hint = f"; write {value:g}% as {value / 100:g}" if 2 <= value <= 100 else ""
            raise EvidenceError(
                f"is {value:g}, but survival is a proportion in [0, 1]{hint}", field=where
            )


def _read_two_column_csv(path: Path, key: str) -> tuple[list[float], list[float]]:
    """Read a two-column CSV with a header row (time and value) into two lists."""
    try:
        text = read_input(path, what="CSV file").decode("utf-8-sig")
    except EvidenceError as err:
        raise EvidenceError(f"{str(path)!r}: {err.message}", field=key) from None
    except UnicodeDecodeError:
        raise EvidenceError(f"{str(path)!r}: not UTF-8 text", field=key) from None
    rows = [row for row in csv.reader(text.splitlines()) if row and any(c.strip() for c in row)]
    if len(rows) < 2:
        raise EvidenceError(f"{path} needs a header row and at least one data row", field=key)
    times, values = [], []
    for line, row in enumerate(rows[1:], start=2):
        if len(row) != 2:
            raise EvidenceError(f"{path} line {line}: expected 2 columns, found {len(row)}",
                                field=key)
        try:
            t, v = float(row[0]), float(row[1])
        except ValueError:
            raise EvidenceError(f"{path} line {line}: not a number: {row!r}",
                                field=key) from None
        times.append(t)
        values.append(int(v) if key == "risk_file" and v.is_integer() else v)
    return times, values
