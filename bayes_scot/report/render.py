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
from bayes_scot.report.figures import RenderedFigure
from bayes_scot.results import ESS_BULK_MIN, RHAT_MAX

__all__ = ["context", "environment", "render_html", "render_markdown", "summary_html"]


def _number(value: Any, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return str(value)
    value = float(value)
    if value == 0:
        return "0"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.{digits}g}"


def _probability(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{float(value):.3f}"


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
    env.filters["md"] = _md
    env.filters["code"] = _code
    return env


def _rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return frame.to_dict(orient="records") if not frame.empty else []


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
        Plain values and lists of row dictionaries; no formatting is done here.
    """
    table = reanalysis.table()
    reference = reanalysis.reference_prior
    main = table[table["prior"] == reference] if len(table) else table
    provenance = dict(reanalysis.provenance)
    return {
        "spec": reanalysis.spec,
        "provenance": provenance,
        "packages": provenance.get("packages", {}),
        "input_data": provenance.get("data", {}),
        "level": f"{CREDIBLE_LEVEL:.0%}",
        "rhat_max": RHAT_MAX,
        "ess_bulk_min": ESS_BULK_MIN,
        "reference": reference,
        "priors": list(reanalysis.priors),
        "main_rows": _rows(main),
        "all_rows": _rows(table),
        "flagged_rows": _rows(table[table["flagged"]]) if len(table) else [],
        "joint_rows": _rows(reanalysis.joint_probabilities()),
        "diagnostic_rows": _rows(reanalysis.diagnostics()),
        "reproduce_rows": _rows(reanalysis.reproduce()),
        "psens_rows": _rows(reanalysis.power_scaling()),
        "assumptions": list(reanalysis.assumptions),
        "figures": [
            {"name": f.name, "title": f.title, "caption": f.caption, "file": f.file,
             "data_uri": "data:image/png;base64," + base64.b64encode(f.png).decode("ascii")}
            for f in figures
        ],
        "notes": list(notes),
    }


def render_html(ctx: dict[str, Any]) -> str:
    """Render ``index.html`` from a :func:`context`."""
    return environment().get_template("index.html").render(**ctx)


def render_markdown(ctx: dict[str, Any]) -> str:
    """Render ``report.md`` from a :func:`context`."""
    return environment().get_template("report.md").render(**ctx)


def summary_html(reanalysis: Any) -> str:
    """Render the compact HTML shown for a :class:`~bayes_scot.Reanalysis` in a notebook."""
    return environment().get_template("summary.html").render(**context(reanalysis))
