"""The prior-sensitivity heat map: P(superior) of each estimand under each prior."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from bayes_scot.plots._checks import select_table
from bayes_scot.plots._style import PROBABILITY_CMAP, probability_text, styled, wrap

__all__ = ["plot_prior_sensitivity"]


def plot_prior_sensitivity(
    table: pd.DataFrame,
    *,
    estimands: Sequence[str] | None = None,
    endpoints: Sequence[str] | None = None,
    priors: Sequence[str] | None = None,
    title: str | None = None,
) -> Figure:
    """Heat map of P(superior) for each estimand (rows) under each prior (columns).

    A row that keeps one colour across the columns is robust to the prior; a row that
    changes colour says the data alone do not settle the question. Each cell is labelled
    with its probability; a dagger marks cells flagged by the diagnostics gate.

    Parameters
    ----------
    table : pandas.DataFrame
        :meth:`bayes_scot.Reanalysis.table`, or any frame with the columns ``endpoint,
        estimand, prior, median, lower, upper, p_superior`` (``label`` and ``flagged``
        are used when present). Rows without a P(superior) (one arm's survival) are left
        out.
    estimands, endpoints : sequence of str, optional
        Keep only these estimand names or endpoints (default: all, in table order).
    priors : sequence of str, optional
        Columns to show, in this order (default: all, in table order).
    title : str, optional
        Figure title.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ValueError
        If a column is missing, a selection matches nothing, a probability lies outside
        [0, 1], or a (endpoint, estimand, prior) row is duplicated.
    """
    df = select_table(table, priors=priors, endpoints=endpoints, estimands=estimands,
                      what="plot_prior_sensitivity")
    prior_order = list(dict.fromkeys(df["prior"]))
    keys = list(dict.fromkeys(zip(df["endpoint"], df["estimand"], strict=True)))
    values = np.full((len(keys), len(prior_order)), np.nan)
    flags = np.zeros_like(values, dtype=bool)
    row_of = {key: i for i, key in enumerate(keys)}
    col_of = {p: j for j, p in enumerate(prior_order)}
    labels: dict[tuple[str, str], str] = {}
    for record in df.to_dict("records"):
        key = (record["endpoint"], record["estimand"])
        i, j = row_of[key], col_of[record["prior"]]
        values[i, j] = record["p_superior"]
        flags[i, j] = bool(record.get("flagged", False))
        label = record.get("label")
        labels.setdefault(key, str(label) if isinstance(label, str) and label
                          else f"{key[0]}: {key[1]}")
    # A label's detail after ";" is in the table; the row keeps the name, wrapped, and
    # each row is as tall as its longest label so labels never overprint each other.
    wrapped = {k: wrap(labels[k].split(";", 1)[0], 52) for k in keys}
    lines = max(w.count("\n") + 1 for w in wrapped.values())
    with styled(grid=False):
        width = max(5.0, 0.55 * len(prior_order) + 3.8)
        height = max(2.2, max(0.34, 0.14 * lines + 0.06) * len(keys) + 1.6)
        fig = Figure(figsize=(width, height), layout="constrained")
        ax = fig.add_subplot()
        image = ax.imshow(np.ma.masked_invalid(values), cmap=PROBABILITY_CMAP, vmin=0.0,
                          vmax=1.0, aspect="auto")
        for i in range(values.shape[0]):
            for j in range(values.shape[1]):
                if np.isnan(values[i, j]):
                    continue
                dark = abs(values[i, j] - 0.5) > 0.3
                # Inside its cell, so the layout need not measure it: one label per
                # cell is hundreds of texts, and measuring them was most of the layout.
                ax.text(j, i, probability_text(values[i, j]) + ("†" if flags[i, j] else ""),
                        ha="center", va="center", fontsize=7,
                        color="white" if dark else "black", in_layout=False)
        ax.set_xticks(range(len(prior_order)), prior_order, rotation=90)
        ax.set_yticks(range(len(keys)), [wrapped[k] for k in keys])
        ax.tick_params(length=0)
        for spine in ax.spines.values():
            spine.set_visible(False)
        colourbar = fig.colorbar(image, ax=ax, shrink=0.9, pad=0.02)
        colourbar.set_label("P(superior)")
        ax.set_xlabel("prior" + ("    († failed the diagnostics gate)" if flags.any() else ""))
        if title:
            fig.suptitle(title)
    return fig
