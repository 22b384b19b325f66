"""Posterior curves as tidy frames: survival by arm and arm trajectories over visits.

The figures of a report draw curves from tidy frames with the columns ``endpoint, arm,
time_months, median, lower, upper`` (:mod:`bayes_scot.plots`). These functions summarise
a posterior variable with named dims into that layout, at the package's one credible
level.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from bayes_scot.conventions import CREDIBLE_LEVEL

__all__ = ["CURVE_COLUMNS", "summarise_curve", "survival_curves", "trajectories"]

CURVE_COLUMNS: tuple[str, ...] = ("endpoint", "arm", "time_months", "median", "lower",
                                  "upper")
"""Columns of every curve frame, in order."""


def summarise_curve(values: Any, *, time_dim: str, level: float = CREDIBLE_LEVEL) -> pd.DataFrame:
    """Median and central interval over draws of a ``(chain, draw, arm, time)`` variable.

    Parameters
    ----------
    values : xarray.DataArray
        Dims ``chain``, ``draw``, ``arm`` and ``time_dim`` (any order); the ``arm`` and
        ``time_dim`` coordinates label the rows.
    time_dim : str
        Name of the time dimension (its coordinate in months).
    level : float, default :data:`~bayes_scot.conventions.CREDIBLE_LEVEL`

    Returns
    -------
    pandas.DataFrame
        Columns ``arm, time_months, median, lower, upper``.
    """
    values = values.transpose("chain", "draw", "arm", time_dim)
    draws = np.asarray(values).reshape(-1, values.sizes["arm"], values.sizes[time_dim])
    alpha = (1.0 - level) / 2.0
    lower, median, upper = np.quantile(draws, [alpha, 0.5, 1.0 - alpha], axis=0)
    arms = [str(a) for a in values["arm"].to_numpy()]
    times = np.asarray(values[time_dim].to_numpy(), dtype=float)
    rows = [
        {"arm": arm, "time_months": float(t), "median": float(median[i, j]),
         "lower": float(lower[i, j]), "upper": float(upper[i, j])}
        for i, arm in enumerate(arms)
        for j, t in enumerate(times)
    ]
    return pd.DataFrame(rows, columns=["arm", "time_months", "median", "lower", "upper"])


def survival_curves(
    posterior: Any,
    *,
    variables: Mapping[str, str],
    trial: str | None = None,
    time_dim: str = "month",
    level: float = CREDIBLE_LEVEL,
) -> pd.DataFrame:
    """Posterior survival by arm over time, one block of rows per endpoint.

    Parameters
    ----------
    posterior : xarray.Dataset
        A posterior group holding each variable with dims ``(chain, draw, [trial,] arm,
        time_dim)``.
    variables : mapping of str to str
        Endpoint -> posterior variable, e.g. ``{"efs": "survival_efs"}``.
    trial : str, optional
        Select this trial when the variables have a ``trial`` dim (default: the first).
    time_dim : str, default "month"
    level : float, default :data:`~bayes_scot.conventions.CREDIBLE_LEVEL`

    Returns
    -------
    pandas.DataFrame
        Columns :data:`CURVE_COLUMNS`; empty when none of the variables is present.
    """
    frames = []
    for endpoint, name in variables.items():
        if name not in posterior:
            continue
        values = posterior[name]
        if "trial" in values.dims:
            values = values.sel(trial=trial) if trial is not None else values.isel(trial=0)
        frame = summarise_curve(values, time_dim=time_dim, level=level)
        frame.insert(0, "endpoint", endpoint)
        frames.append(frame)
    if not frames:
        return pd.DataFrame(columns=list(CURVE_COLUMNS))
    return pd.concat(frames, ignore_index=True)


def trajectories(
    posterior: Any,
    *,
    variable: str = "change",
    statistic: str = "change",
    time_dim: str = "visit",
    level: float = CREDIBLE_LEVEL,
) -> pd.DataFrame:
    """Posterior arm trajectories of continuous endpoints.

    Parameters
    ----------
    posterior : xarray.Dataset
        Holding ``variable`` with dims ``(chain, draw, endpoint, arm, time_dim)``.
    variable : str, default "change"
    statistic : {"change", "mean"}, default "change"
        What the values are: change from baseline or level; recorded in a column.
    time_dim : str, default "visit"
    level : float, default :data:`~bayes_scot.conventions.CREDIBLE_LEVEL`

    Returns
    -------
    pandas.DataFrame
        Columns :data:`CURVE_COLUMNS` and ``statistic``; empty when ``variable`` is
        absent.
    """
    if variable not in posterior:
        return pd.DataFrame(columns=[*CURVE_COLUMNS, "statistic"])
    values = posterior[variable]
    frames = []
    for endpoint in values["endpoint"].to_numpy():
        frame = summarise_curve(values.sel(endpoint=endpoint), time_dim=time_dim, level=level)
        frame.insert(0, "endpoint", str(endpoint))
        frames.append(frame)
    df = pd.concat(frames, ignore_index=True)
    df["statistic"] = statistic
    return df
