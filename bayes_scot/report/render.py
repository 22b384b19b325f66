"""Render a reanalysis with the Jinja2 templates of ``bayes_scot/report/templates``.

HTML templates are rendered with autoescaping on, so every user-supplied text (a
specification's title, a trial's assumption, an estimand's label) is escaped. Markdown
has no escaping of its own; the ``md`` filter escapes the characters that would let text
become HTML, emphasis or a table cell break, and the ``code`` filter makes text safe inside
a code span.
"""

from __future__ import annotations

import base64
import math
from collections.abc import Sequence
from functools import cache
from typing import Any

import jinja2
import pandas as pd

from bayes_scot.conventions import CREDIBLE_LEVEL
from bayes_scot.report import headline, numbers
from bayes_scot.report.figures import RenderedFigure
from bayes_scot.report.summary import data_warnings, samplers
from bayes_scot.results import ESS_BULK_MIN, RHAT_MAX

__all__ = ["context", "environment", "render_html", "render_markdown", "samplers",
           "summary_html"]


def _number(value: Any, digits: int | None = None) -> str:
    """Write a number of no known kind (counts, published values): :func:`numbers.generic`."""
    return numbers.generic(value)


def _probability(value: Any) -> str:
    return numbers.probability(value)


#: Column headings of tables written column by column (the priors table).
HEADINGS: dict[str, str] = {"prior_p_superior": "Prior P(superior)",
                            "prior_p_mcid": "Prior P(> MCID)"}


def _heading(column: str) -> str:
    """Return a column's heading: ``"prior_p_mcid"`` reads "Prior P(> MCID)"."""
    return HEADINGS.get(column, column.replace("_", " ").capitalize())


def _blank(value: Any) -> str:
    """Text of a value, empty for a missing one (``None`` or NaN)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value)


def _code(value: Any) -> str:
    """Text for inside a Markdown code span: no backticks, one line."""
    return " ".join(("" if value is None else str(value)).replace("`", "'").split())


def _md(value: Any) -> str:
    text = "" if value is None else str(value)
    for char, escaped in (("\\", "\\\\"), ("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"),
                          ("|", "\\|"), ("*", "\\*"), ("`", "\\`")):
        text = text.replace(char, escaped)
    return " ".join(text.split())


@cache
def environment() -> jinja2.Environment:
    """Return the Jinja2 environment of the report templates (HTML autoescaped)."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("bayes_scot.report", "templates"),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html",),
                                            default_for_string=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["num"] = _number
    env.filters["prob"] = _probability
    env.filters["est"] = numbers.estimate
    env.filters["rhat"] = numbers.rhat
    env.filters["count"] = numbers.count
    env.filters["counted"] = numbers.counted
    env.filters["blank"] = _blank
    env.filters["heading"] = _heading
    env.filters["md"] = _md
    env.filters["code"] = _code
    return env


def _rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return frame.to_dict(orient="records") if not frame.empty else []


def constant_summary(reanalysis: Any) -> list[dict[str, Any]]:
    """One row per fixed prior scale: its value and the result that depends on it most.

    From :meth:`~bayes_scot.Reanalysis.constant_sensitivity` (empty for a reanalysis
    without it): ``family``, ``option``, ``value``, the ``endpoint`` and ``estimand`` of
    the largest ``sensitivity``, and how many of the ``estimands`` it is
    ``informative`` for.
    """
    method = getattr(reanalysis, "constant_sensitivity", None)
    frame = method() if callable(method) else pd.DataFrame()
    rows = []
    for (family, option), group in frame.groupby(["family", "option"], sort=False):
        ranked = group.sort_values("sensitivity", ascending=False, na_position="last")
        top = ranked.iloc[0]
        rows.append({"family": family, "option": option, "value": float(top["value"]),
                     "endpoint": top["endpoint"], "estimand": top["estimand"],
                     "sensitivity": float(top["sensitivity"]),
                     "informative": int(group["informative"].sum()),
                     "estimands": len(group)})
    return rows


def _optional(table: pd.DataFrame, *columns: str) -> bool:
    """Whether the table has every column, with at least one value."""
    return all(c in table.columns and table[c].notna().any() for c in columns)


def _figure(f: RenderedFigure) -> dict[str, Any]:
    return {"name": f.name, "title": f.title, "caption": f.caption, "file": f.file,
            "data_uri": "data:image/png;base64," + base64.b64encode(f.png).decode("ascii")}


def context(
    reanalysis: Any,
    *,
    figures: Sequence[RenderedFigure] = (),
    notes: Sequence[str] = (),
) -> dict[str, Any]:
    """Collect what the templates show.

    Parameters
    ----------
    reanalysis : Reanalysis
    figures : sequence of RenderedFigure, optional
    notes : sequence of str, optional

    Returns
    -------
    dict
        Plain values and lists of row dictionaries; numbers are formatted by the
        templates' filters (:mod:`bayes_scot.report.numbers`), except the headline's
        sentences and compact tables (:mod:`bayes_scot.report.headline`).
    """
    table = reanalysis.table()
    reference = reanalysis.reference_prior
    main = table[table["prior"] == reference] if len(table) else table
    provenance = dict(reanalysis.provenance)
    priors = list(reanalysis.priors)
    keys = headline.headline_keys(reanalysis, table) if len(table) else []
    prior_rows = headline.priors_frame(reanalysis)
    experimental, control = headline.arm_labels(reanalysis)
    tipping = getattr(reanalysis, "tipping_points", None)
    structure = getattr(reanalysis, "structure_sensitivity", None)
    evidence = getattr(reanalysis, "evidence_log", None)
    rendered = [_figure(f) for f in figures]
    return {
        "spec": reanalysis.spec,
        "provenance": provenance,
        "packages": provenance.get("packages", {}),
        "input_data": provenance.get("data", {}),
        "level": f"{CREDIBLE_LEVEL:.0%}",
        "rhat_max": RHAT_MAX,
        "ess_bulk_min": ESS_BULK_MIN,
        "reference": reference,
        "priors": priors,
        "arms": {"experimental": experimental, "control": control},
        "headline_keys": [f"{e}:{k}" for e, k in keys],
        "headline_short": _short_keys(keys),
        "headline_labels": [
            str(table[(table["endpoint"] == e) & (table["estimand"] == k)]["label"].iloc[0])
            for e, k in keys
        ],
        "headline_text": headline.paragraphs(reanalysis, table, keys) if keys else [],
        "headline_figure": next((f for f in rendered if f["name"] == "headline"), None),
        "prior_summary": headline.compact_priors(prior_rows, priors, table, keys),
        "prior_rows": _rows(prior_rows),
        "prior_columns": [c for c in prior_rows.columns if c != "label"],
        "has_prior_columns": _optional(table, "prior_median", "prior_p_superior"),
        "has_prior_mcid": _optional(table, "prior_p_mcid"),
        "has_drivers": _optional(table, "drivers"),
        "has_extrapolated": "extrapolated" in table.columns,
        "main_rows": _rows(main),
        "all_rows": _rows(table),
        "flagged_rows": _rows(table[table["flagged"]]) if len(table) else [],
        "joint": headline.compact_joint(reanalysis.joint_probabilities()),
        "tipping_rows": _rows(tipping()) if callable(tipping) else [],
        "structure_rows": _with_units(_rows(structure()) if callable(structure) else [],
                                      table),
        "diagnostic_rows": _rows(reanalysis.diagnostics()),
        "reproduce_rows": _written_alike(_rows(reanalysis.reproduce()),
                                         ("median", "lower", "upper")),
        "evidence_rows": _rows(evidence()) if callable(evidence) else [],
        "samplers": samplers(reanalysis),
        "psens_rows": _rows(reanalysis.power_scaling()),
        "constant_rows": constant_summary(reanalysis),
        "assumptions": _distinct(reanalysis.assumptions),
        "warnings": data_warnings(reanalysis),
        "figures": [f for f in rendered if f["name"] != "headline"],
        "notes": list(notes),
    }


#: Columns of the superiority table that say how an estimand's values are written
#: (:func:`bayes_scot.report.numbers.estimate_rule`).
UNIT_COLUMNS: tuple[str, ...] = ("unit", "null", "superior")


def _with_units(rows: list[dict[str, Any]], table: pd.DataFrame) -> list[dict[str, Any]]:
    """Give rows of another table the unit columns of the same estimand's table rows.

    The effect-structure rows carry an estimand's values but not its unit, so without
    them a survival difference would be written as a proportion (0.201) beside the same
    difference in percentage points (+20.1 pp) in the main table.
    """
    if not rows or not set(UNIT_COLUMNS) <= set(table.columns):
        return rows
    units = (table.drop_duplicates(["endpoint", "estimand"])
             .set_index(["endpoint", "estimand"])[list(UNIT_COLUMNS)]
             .to_dict(orient="index"))
    return [{**units.get((r.get("endpoint"), r.get("estimand")), {}), **r} for r in rows]


def _written_alike(rows: list[dict[str, Any]], columns: Sequence[str]) -> list[dict[str, Any]]:
    """Add ``<column>_text`` to each row: its ``columns`` written with the same decimals.

    A row whose ``statistic`` counts patients or events
    (:data:`~bayes_scot.report.numbers.COUNT_STATISTICS`) has its median and interval
    written as whole numbers (:func:`~bayes_scot.report.numbers.count_interval`); means,
    proportions and ratios keep their decimals (:func:`~bayes_scot.report.numbers.
    generic_alike`).
    """
    out = []
    for r in rows:
        values = [r.get(c) for c in columns]
        if str(r.get("statistic", "")) in numbers.COUNT_STATISTICS and tuple(columns) == (
                "median", "lower", "upper"):
            texts = numbers.count_interval(*values)
        else:
            texts = numbers.generic_alike(values)
        out.append({**r, **{f"{c}_text": t for c, t in zip(columns, texts, strict=True)}})
    return out


def _short_keys(keys: Sequence[tuple[str, str]]) -> list[str]:
    """Column labels of the headline estimands: the endpoint when it names one estimand."""
    endpoints = [e for e, _ in keys]
    return [e.upper() if endpoints.count(e) == 1 else f"{e.upper()} {k}" for e, k in keys]


def _distinct(assumptions: Sequence[str]) -> list[str]:
    """Each assumption once, even when several sources state it ("scot: X", "survival: X")."""
    seen: dict[str, str] = {}
    for a in assumptions:
        text = a.split(": ", 1)[1] if ": " in a else a
        text = text.split("': ", 1)[1] if text.startswith("entry '") and "': " in text else text
        seen.setdefault(" ".join(text.split()), a)
    return list(seen.values())


def render_html(ctx: dict[str, Any]) -> str:
    """Render ``index.html`` from a :func:`context`."""
    return environment().get_template("index.html").render(**ctx)


def render_markdown(ctx: dict[str, Any]) -> str:
    """Render ``report.md`` from a :func:`context`."""
    return environment().get_template("report.md").render(**ctx)


def summary_html(reanalysis: Any) -> str:
    """Render the compact HTML shown for a :class:`~bayes_scot.Reanalysis` in a notebook."""
    return environment().get_template("summary.html").render(**context(reanalysis))
