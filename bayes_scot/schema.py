"""The one checker of parsed TOML: trial files and analysis specifications alike.

Each reader states the shape of its tables as :class:`Table` classes (msgspec structs,
see `msgspec's documentation <https://jcristharif.com/msgspec/structs.html>`_) and
hands a parsed document, or one table of it, to :func:`convert`. msgspec checks the
types, the unknown and the missing keys and the bounds (``Annotated[int, Meta(ge=1)]``)
and names the first problem with a path (``$.trials[1].path``); :func:`convert` turns
that into one :class:`~bayes_scot.errors.EvidenceError` (or the reader's subclass, e.g.
:class:`~bayes_scot.errors.SpecError`) in the package's words: the field as a dotted
path (``trials[1].path``, ``events.cyc``), what was expected and what was found ("must
be a number, not a string", "must be a finite number, not NaN (not a number)"), and
for a misspelt key the closest known one ("did you mean 'count'?").

Rules that need more than one value (a reference prior in the grid, events not above
the number at risk) stay with the readers and the evidence records.

Like :mod:`bayes_scot.errors`, this module is importable from every layer.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import re
import sys
import types
import typing
from collections.abc import Mapping, Sequence
from typing import Annotated, Any

import msgspec

from bayes_scot.errors import EvidenceError

__all__ = [
    "Finite",
    "NonEmpty",
    "Positive",
    "Table",
    "convert",
    "describe",
    "struct_from_dataclass",
]

_LARGEST = sys.float_info.max

Finite = Annotated[float, msgspec.Meta(ge=-_LARGEST, le=_LARGEST)]
"""A finite number (NaN and the infinities are refused by name)."""

Positive = Annotated[float, msgspec.Meta(gt=0.0, le=_LARGEST)]
"""A finite number above 0."""

NonEmpty = Annotated[str, msgspec.Meta(pattern=r"\S")]
"""A string with at least one character that is not white space."""


class Table(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Base of the table shapes: unknown keys are refused, fields are keyword-only."""


def describe(value: Any) -> str:
    """Name a TOML value's type with its article: "an array", "a table", "NaN".

    Parameters
    ----------
    value : object
        A value of a parsed TOML document.

    Returns
    -------
    str
    """
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN (not a number)" if math.isnan(value) else f"{value} (infinite)"
    return {dict: "a table", list: "an array", str: "a string", bool: "a boolean",
            int: "an integer", float: "a number"}.get(type(value), type(value).__name__)


def convert(
    value: Any,
    schema: Any,
    *,
    where: str,
    error: type[EvidenceError] = EvidenceError,
    file: str | None = None,
    prefix: str = "",
    missing_hint: str = "",
) -> Any:
    """Check a parsed TOML value against a schema and return it converted.

    Parameters
    ----------
    value : object
        A table (or any value) of a parsed TOML document.
    schema : type
        A :class:`Table` subclass or any type msgspec converts to.
    where : str
        Name of ``value``'s table in messages (``"[analysis]"``, ``"[[proportions]]"``).
    error : type, default EvidenceError
        The exception raised (:class:`~bayes_scot.errors.SpecError` for specifications).
    file : str, optional
        The file, named in the message.
    prefix : str, optional
        Dotted path of ``value`` in its document (``"survival.options."``), prepended to
        the field named in the message.
    missing_hint : str, optional
        Added after "missing required field in <where>".

    Returns
    -------
    object
        An instance of ``schema``.

    Raises
    ------
    EvidenceError
        Of class ``error``, in one line naming ``file`` and the field.
    """
    try:
        return msgspec.convert(value, schema, strict=True)
    except msgspec.ValidationError as err:
        message, field = _explain(str(err), value, schema, where, prefix, missing_hint)
        raise error(message, file=file, field=f"{prefix}{field}" if field else
                    prefix.rstrip(".") or None) from None


def struct_from_dataclass(cls: type, *, replace: Mapping[Any, Any] | None = None,
                          fields: Mapping[str, Any] | None = None,
                          optional: Sequence[str] = ()) -> type[Table]:
    """Return a :class:`Table` with the ``__init__`` fields and annotated types of ``cls``.

    Parameters
    ----------
    cls : type
        A dataclass, e.g. a model family's options or an evidence record.
    replace : mapping, optional
        Types to check in place of others (``{int: Finite}`` accepts any finite number
        where the record itself checks that it is whole).
    fields : mapping of str to type, optional
        Types of single fields that replace their annotated (and replaced) types.
    optional : sequence of str, optional
        Fields that may be left out although the dataclass has no default for them
        (their reader fills them in or says what is missing).

    Returns
    -------
    type
        Fields with a default are optional; the defaults themselves are not used.
    """
    hints = typing.get_type_hints(cls, include_extras=True)
    shape_fields: list[tuple[str, Any] | tuple[str, Any, Any]] = []
    for f in dataclasses.fields(cls):
        if not f.init:
            continue
        hint = (fields or {}).get(f.name, _replaced(hints[f.name], replace or {}))
        required = (f.default is dataclasses.MISSING and f.name not in optional
                    and f.default_factory is dataclasses.MISSING)
        shape_fields.append((f.name, hint) if required else (f.name, hint | None, None))
    shape: Any = msgspec.defstruct(cls.__name__, shape_fields, bases=(Table,), kw_only=True)
    return shape


def _replaced(hint: Any, replace: Mapping[Any, Any]) -> Any:
    if hint in replace:
        return replace[hint]
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if not args or origin is typing.Literal or origin is Annotated:
        return hint
    new = tuple(a if a is Ellipsis else _replaced(a, replace) for a in args)
    if origin in (typing.Union, types.UnionType):
        return typing.Union[new]  # noqa: UP007 (a tuple of members)
    return origin[new] if origin is not None else hint


# -- turning msgspec's message into the package's ---------------------------------------
_MESSAGE = re.compile(r"^(?P<what>.*?)(?: - at `\$(?P<path>.*)`)?$", re.DOTALL)
_EXPECTED = {"str": "a string", "int": "a whole number", "float": "a number",
             "bool": "true or false", "array": "an array", "object": "a table"}
_COMPARISONS = {">=": "at least", "<=": "at most", ">": "above", "<": "below"}


def _explain(text: str, value: Any, schema: Any, where: str, prefix: str,
             missing_hint: str) -> tuple[str, str]:
    """Return (message, dotted field) for one msgspec validation message."""
    match = _MESSAGE.match(text)
    assert match is not None  # the pattern matches any text
    what, path = match["what"], match["path"] or ""
    tokens, found, hint = _walk(path, value, schema)
    unknown = re.fullmatch(r"Object contains unknown field `(.*)`", what, re.DOTALL)
    if unknown:
        key = unknown[1]
        allowed = [f.name for f in msgspec.structs.fields(_bare(hint))]
        close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
        table = _table_name(tokens, where, prefix)
        suggestion = (f"did you mean '{close[0]}'?" if close
                      else f"allowed in {table}: {', '.join(allowed)}")
        return f"unknown key in {table}; {suggestion}", _dotted([*tokens, key])
    missing = re.fullmatch(r"Object missing required field `(.*)`", what, re.DOTALL)
    if missing:
        table = _table_name(tokens, where, prefix)
        return (f"missing required field in {table}{missing_hint}",
                _dotted([*tokens, missing[1]]))
    return _wrong_value(what, found, hint), _dotted(tokens)


def _wrong_value(what: str, found: Any, hint: Any) -> str:
    """Say what is wrong with one value, from msgspec's "Expected ..." message."""
    if isinstance(found, float) and not math.isfinite(found):
        return f"must be a finite number, not {describe(found)}"
    if what.startswith("Invalid enum value"):
        choices = typing.get_args(_bare(hint))
        return f"must be one of {', '.join(map(repr, choices))}, not {found!r}"
    bound = re.fullmatch(r"Expected `(\w+)` (>=|<=|>|<) (\S+)", what)
    if bound:
        limit = bound[3]
        if bound[2] == ">" and float(limit) == 0:
            return f"must be positive, not {_shown(found)}"
        if bound[1] == "int":
            limit = f"{int(limit)}"
        return f"must be {_COMPARISONS[bound[2]]} {limit}, not {_shown(found)}"
    if re.fullmatch(r"Expected `str` (of length >= 1|matching regex .*)", what):
        return "must not be empty"
    length = re.fullmatch(r"Expected `array` of length (\d+), got (\d+)", what)
    if length:
        return f"must be an array of {length[1]} values, not {length[2]}"
    expected = re.fullmatch(r"Expected `(.+?)`, got `\w+`", what)
    if expected:
        names = [n for n in expected[1].split(" | ") if n != "null"]
        wanted = " or ".join(_EXPECTED.get(n, n) for n in names)
        return f"must be {wanted}, not {describe(found)}"
    return what[:1].lower() + what[1:]


def _shown(value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() >= 64:
        return f"about 2**{value.bit_length() - 1}"
    return f"{value!r}"


def _walk(path: str, value: Any, schema: Any) -> tuple[list[str | int], Any, Any]:
    """Follow msgspec's path through the value and the schema.

    Returns the path as keys and indices, the value found there and its type. msgspec
    writes a dictionary's key as ``[...]``; the key is found by checking each value.
    """
    tokens: list[str | int] = []
    hint = schema
    while path:
        bare = _bare(hint)
        if path.startswith("[...]"):
            key = _failing_key(value, _args(bare)[-1])
            tokens.append(key)
            value, hint, path = value[key], _args(bare)[-1], path[5:]
        elif path.startswith("["):
            close = path.index("]")
            index = int(path[1:close])
            tokens.append(index)
            items = _args(bare)
            item = items[index] if len(items) > 1 and items[-1] is not Ellipsis else items[0]
            value, hint, path = value[index], item, path[close + 1:]
        else:
            key = _key_at(path[1:], value)
            tokens.append(key)
            value, hint = value[key], _field_type(bare, key)
            path = path[1 + len(key):]
    return tokens, value, hint


def _key_at(rest: str, table: Any) -> str:
    """Return the key of ``table`` that ``rest`` starts with (the longest, if several)."""
    keys = [k for k in table
            if rest.startswith(k) and rest[len(k):len(k) + 1] in ("", ".", "[")]
    if not keys:
        raise ValueError(f"no key of the table starts {rest!r}")
    return max(keys, key=len)


def _failing_key(table: Mapping[str, Any], item: Any) -> str:
    for key, value in table.items():
        try:
            msgspec.convert(value, item, strict=True)
        except msgspec.ValidationError:
            return key
    raise ValueError("no value of the table fails its check")


def _bare(hint: Any) -> Any:
    """Return the type without ``Annotated`` metadata and without ``| None``."""
    while True:
        origin = typing.get_origin(hint)
        if origin is Annotated:
            hint = typing.get_args(hint)[0]
        elif origin in (typing.Union, types.UnionType):
            members = [a for a in typing.get_args(hint) if a is not type(None)]
            if len(members) != 1:
                return hint
            hint = members[0]
        else:
            return hint


def _args(hint: Any) -> tuple[Any, ...]:
    return typing.get_args(hint) or (Any,)


def _field_type(hint: Any, key: str) -> Any:
    if isinstance(hint, type) and issubclass(hint, msgspec.Struct):
        for f in msgspec.structs.fields(hint):
            if f.name == key:
                return f.type
    return _args(hint)[-1]


def _table_name(tokens: list[str | int], where: str, prefix: str) -> str:
    return f"[{prefix}{_dotted(tokens)}]" if tokens else where


def _dotted(tokens: list[str | int]) -> str:
    text = ""
    for token in tokens:
        text += f"[{token}]" if isinstance(token, int) else (f".{token}" if text else token)
    return text
