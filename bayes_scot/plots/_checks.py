"""Input checks shared by the figures: one ``ValueError`` naming what is wrong, before drawing."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "CURVE_COLUMNS",
    "PUBLISHED_COLUMNS",
    "TABLE_COLUMNS",
    "check_band",
    "check_frame",
    "contrasts",
    "select",
    "select_table",
]


TABLE_COLUMNS = ("endpoint", "estimand", "prior", "median", "lower", "upper", "p_superior")
CURVE_COLUMNS = ("arm", "endpoint", "time_months", "median", "lower", "upper")
PUBLISHED_COLUMNS = ("kind", "endpoint", "arm", "time_months", "statistic", "value")


def check_frame(
    frame: Any, required: Sequence[str], what: str, *, numeric: Sequence[str] = ()
) -> pd.DataFrame:
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"{what} must be a pandas DataFrame, not {type(frame).__name__}")
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise ValueError(
            f"{what} is missing the column(s) {', '.join(missing)}; "
            f"expected at least {', '.join(required)}"
        )
    for column in numeric:
        values = pd.to_numeric(frame[column], errors="coerce")
        if values.isna().any():
            raise ValueError(f"{what}: column {column!r} must be numeric and complete; "
                             f"{int(values.isna().sum())} value(s) are missing or not numbers")
    return frame.reset_index(drop=True)


def select(df: pd.DataFrame, column: str, wanted: Sequence[str] | None, what: str,
           ) -> pd.DataFrame:
    if wanted is not None:
        if isinstance(wanted, str):
            wanted = [wanted]
        elif isinstance(wanted, Mapping) or not isinstance(
                wanted, Sequence | set | frozenset | pd.Index | np.ndarray | pd.Series):
            raise TypeError(f"{what}: {column}s must be a name or a list of names, not "
                            f"{type(wanted).__name__}")
        unknown = [w for w in wanted if w not in set(df[column])]
        if unknown:
            raise ValueError(f"{what}: no rows with {column} {', '.join(map(repr, unknown))}; "
                             f"available: {', '.join(map(str, dict.fromkeys(df[column])))}")
        df = df[df[column].isin(wanted)]
        order = {w: i for i, w in enumerate(wanted)}
        df = df.iloc[np.argsort([order[v] for v in df[column]], kind="stable")]
    if df.empty:
        raise ValueError(f"{what} has no rows to plot")
    return df


def contrasts(table: Any, what: str) -> pd.DataFrame:
    """Return the rows of a results table that compare the arms: those with a P(superior).

    A descriptive row (one arm's survival) has no P(superior) by design; the figures of
    P(superior) leave it out.
    """
    frame = check_frame(table, TABLE_COLUMNS, what)
    return frame[frame["p_superior"].notna()]


def select_table(
    table: pd.DataFrame,
    *,
    priors: Sequence[str] | None,
    endpoints: Sequence[str] | None,
    estimands: Sequence[str] | None,
    what: str,
) -> pd.DataFrame:
    df = check_frame(contrasts(table, f"{what}: table"), TABLE_COLUMNS, f"{what}: table",
                     numeric=("median", "lower", "upper", "p_superior"))
    df = select(df, "endpoint", endpoints, f"{what}: table")
    df = select(df, "estimand", estimands, f"{what}: table")
    df = select(df, "prior", priors, f"{what}: table")
    duplicated = df.duplicated(["endpoint", "estimand", "prior"])
    if duplicated.any():
        row = df[duplicated].iloc[0]
        raise ValueError(f"{what}: table has more than one row for endpoint "
                         f"{row['endpoint']!r}, estimand {row['estimand']!r}, prior "
                         f"{row['prior']!r}")
    p = df["p_superior"].astype(float)
    if ((p < 0) | (p > 1)).any():
        raise ValueError(f"{what}: p_superior must lie in [0, 1]")
    check_band(df, f"{what}: table")
    return df


def check_band(df: pd.DataFrame, what: str, *, low: float | None = None,
               high: float | None = None) -> None:
    median, lower, upper = (df[c].astype(float) for c in ("median", "lower", "upper"))
    # Medians and limits are summaries of the same draws; allow rounding in stored tables.
    tolerance = 1e-9 * np.maximum(1.0, np.abs(median))
    bad = (lower > median + tolerance) | (upper < median - tolerance)
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise ValueError(f"{what}: row {i} has lower {lower.iloc[i]:g}, median "
                         f"{median.iloc[i]:g}, upper {upper.iloc[i]:g}; the interval must "
                         "contain the median")
    if low is not None and high is not None:
        outside = pd.concat([lower < low, upper > high, median < low, median > high],
                            axis=1).any(axis=1)
        if outside.any():
            raise ValueError(f"{what}: values must lie in [{low:g}, {high:g}] "
                             "(survival as a proportion, not a percentage)")
