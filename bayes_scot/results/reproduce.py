"""Reproduce the paper: every published number beside its posterior predictive summary.

Each model family's builder returns, for one fit, a frame with one row per published
number that the model used or can predict, the posterior predictive median and central
interval of the same statistic, and whether the published value falls outside. This
module collects those frames across families into one table and checks their shape.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from bayes_scot.results.fits import PriorFit

__all__ = ["BUILDER_REPRODUCE_COLUMNS", "REPRODUCE_COLUMNS", "reproduce_table"]

BUILDER_REPRODUCE_COLUMNS: tuple[str, ...] = (
    "trial",
    "entry",
    "endpoint",
    "population",
    "arm",
    "time_months",
    "statistic",
    "published",
    "median",
    "lower",
    "upper",
    "outside",
)
"""Columns every builder's ``reproduce(idata)`` frame has."""

REPRODUCE_COLUMNS: tuple[str, ...] = ("family", "prior", *BUILDER_REPRODUCE_COLUMNS)
"""Columns of :func:`reproduce_table`, in order."""


def reproduce_table(fits: Iterable[PriorFit]) -> pd.DataFrame:
    """Stack the reproduce-the-paper frames of the given fits.

    Parameters
    ----------
    fits : iterable of PriorFit
        Fits whose ``reproduce`` frame was computed (others are skipped).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`REPRODUCE_COLUMNS` (plus any extra columns a builder adds, after
        them). ``outside`` is True when the published value lies outside the posterior
        predictive central interval at
        :data:`~bayes_scot.conventions.CREDIBLE_LEVEL`.

    Raises
    ------
    ValueError
        If a builder's frame lacks one of :data:`BUILDER_REPRODUCE_COLUMNS`.
    """
    frames = []
    for f in fits:
        if f.reproduce is None:
            continue
        missing = [c for c in BUILDER_REPRODUCE_COLUMNS if c not in f.reproduce.columns]
        if missing:
            raise ValueError(
                f"the {f.family} reproduce-the-paper frame lacks columns {', '.join(missing)}"
            )
        frame = f.reproduce.copy()
        frame.insert(0, "prior", f.prior)
        frame.insert(0, "family", f.family)
        frames.append(frame)
    if not frames:
        return pd.DataFrame(columns=list(REPRODUCE_COLUMNS))
    df = pd.concat(frames, ignore_index=True)
    extra = [c for c in df.columns if c not in REPRODUCE_COLUMNS]
    df["outside"] = df["outside"].astype(bool)
    return df[list(REPRODUCE_COLUMNS) + extra]
