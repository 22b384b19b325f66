"""The report folder of a calibration or operating-characteristics study.

Beside the study's store (``study.json``, ``chunks/``) the folder receives ``index.html``,
``report.md``, ``summary.json`` and ``figures/``. They are assembled in a staging folder
and moved in when all are written, ``summary.json`` last, so a folder with a
``summary.json`` holds a complete report; an error leaves no partial report behind.
"""

from __future__ import annotations

import base64
import html
import io
import json
import math
import os
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
from matplotlib.figure import Figure

__all__ = ["SCHEMA_VERSION", "write_study_report"]

SCHEMA_VERSION = "calibration-1"
"""Version of the calibration ``summary.json`` layout (docs/user-guide/calibration.md)."""

_ORDER = ("figures", "index.html", "report.md", "summary.json")


def _markdown_table(frame: pd.DataFrame) -> str:
    def cell(v: Any) -> str:
        if isinstance(v, float):
            return "" if math.isnan(v) else f"{v:.3g}"
        return str(v)

    head = "| " + " | ".join(map(str, frame.columns)) + " |"
    rule = "|" + "|".join("---" for _ in frame.columns) + "|"
    rows = ["| " + " | ".join(cell(v) for v in row) + " |" for row in frame.itertuples(False)]
    return "\n".join([head, rule, *rows])


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=120)
    return buffer.getvalue()


def _json_ready(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Mapping):
        return {str(k): _json_ready(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_ready(v) for v in value]
    if hasattr(value, "item"):
        return _json_ready(value.item())
    return value


def write_study_report(
    out: str | os.PathLike[str],
    *,
    title: str,
    paragraphs: Sequence[str],
    tables: Mapping[str, pd.DataFrame],
    figures: Mapping[str, Figure],
    summary: Mapping[str, Any],
) -> Path:
    """Write the report files of a study into its folder.

    Parameters
    ----------
    out : path-like
        The study's folder (holding its store).
    title : str
    paragraphs : sequence of str
        Plain-text paragraphs (escaped in HTML).
    tables : mapping of str to pandas.DataFrame
        Heading -> table.
    figures : mapping of str to matplotlib.figure.Figure
        File stem -> figure; saved as ``figures/<stem>.png`` and embedded in the HTML.
    summary : mapping
        The JSON summary (``schema_version`` is added).

    Returns
    -------
    pathlib.Path
        The folder.
    """
    folder = Path(out).expanduser().absolute()
    folder.mkdir(parents=True, exist_ok=True)
    staging = folder / ".report.partial"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    try:
        (staging / "figures").mkdir()
        images = {}
        for stem, figure in figures.items():
            png = _png(figure)
            (staging / "figures" / f"{stem}.png").write_bytes(png)
            images[stem] = base64.b64encode(png).decode("ascii")
        md = [f"# {title}", "", *[p + "\n" for p in paragraphs]]
        body = [f"<h1>{html.escape(title)}</h1>",
                *[f"<p>{html.escape(p)}</p>" for p in paragraphs]]
        for heading, table in tables.items():
            md += [f"## {heading}", "", _markdown_table(table), ""]
            body += [f"<h2>{html.escape(heading)}</h2>",
                     table.to_html(index=False, float_format=lambda v: f"{v:.3g}",
                                   na_rep="", escape=True)]
        for stem in figures:
            md += [f"![{stem}](figures/{stem}.png)", ""]
            body.append(f'<img alt="{html.escape(stem)}" '
                        f'src="data:image/png;base64,{images[stem]}">')
        (staging / "report.md").write_text("\n".join(md) + "\n", encoding="utf-8")
        page = ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                f"<title>{html.escape(title)}</title></head><body>\n"
                + "\n".join(body) + "\n</body></html>\n")
        (staging / "index.html").write_text(page, encoding="utf-8")
        document = {"schema_version": SCHEMA_VERSION, **_json_ready(dict(summary))}
        (staging / "summary.json").write_text(
            json.dumps(document, indent=2, allow_nan=False) + "\n", encoding="utf-8")
        (folder / "summary.json").unlink(missing_ok=True)
        for name in _ORDER:
            target = folder / name
            if target.is_dir():
                shutil.rmtree(target)
            os.replace(staging / name, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return folder
