"""Provenance tables: every shipped number beside its source, for the documentation."""

from __future__ import annotations

from typing import Literal

import pandas as pd

from bayes_scot.errors import EvidenceError
from bayes_scot.evidence import FRAME_COLUMNS, Trial

__all__ = ["PROVENANCE_COLUMNS", "provenance_table"]

PROVENANCE_COLUMNS: dict[str, tuple[str, ...]] = {
    "entry": ("trial", "population", "kind", "id", "endpoint", "reports", "citation",
              "locator", "tag", "note", "assumption"),
    "value": ("trial", *(c for c in FRAME_COLUMNS if c != "source"), "citation", "locator"),
}
"""Columns of :func:`provenance_table` for each ``per`` option."""


def provenance_table(trial: Trial, *, per: Literal["entry", "value"] = "entry") -> pd.DataFrame:
    """Tabulate where every number of a trial (or of the external evidence) comes from.

    Parameters
    ----------
    trial : Trial
        A loaded trial, e.g. ``load_trial("scot", population="all")``, or
        :func:`~bayes_scot.data.load_external`.
    per : {"entry", "value"}, default "entry"
        ``"entry"``: one row per entry, with a one-line description of what it reports
        (the form for a documentation page); ``"value"``: one row per number, as
        :meth:`Trial.to_frame` with the source split into citation and locator.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`PROVENANCE_COLUMNS` ``[per]``. ``tag`` is ``reported`` (printed in
        the source), ``derived`` (arithmetic on reported numbers, shown in ``note``) or
        ``default`` (a package convention, never trial data).

    Examples
    --------
    >>> from bayes_scot.data import load_trial, provenance_table
    >>> table = provenance_table(load_trial("assist", population="all"))
    >>> sorted(table["tag"].unique())
    ['derived', 'reported']
    """
    if per == "entry":
        rows = [
            {
                "trial": trial.name,
                "population": e.population,
                "kind": e.kind,
                "id": e.id,
                "endpoint": e.endpoint,
                "reports": e.describe(),
                "citation": e.source.citation,
                "locator": e.source.locator,
                "tag": e.source.tag,
                "note": e.source.note,
                "assumption": e.assumption,
            }
            for e in trial.entries
        ]
        return pd.DataFrame(rows, columns=list(PROVENANCE_COLUMNS["entry"]))
    if per == "value":
        rows = []
        for e in trial.entries:
            for row in e.rows():
                row = {k: v for k, v in row.items() if k != "source"}
                rows.append({"trial": trial.name, **row, "citation": e.source.citation,
                             "locator": e.source.locator})
        return pd.DataFrame(rows, columns=list(PROVENANCE_COLUMNS["value"]))
    raise EvidenceError(f"per must be 'entry' or 'value', not {per!r}", field="per")
