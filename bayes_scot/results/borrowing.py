"""The target trial fitted alone beside the same trial fitted with other trials.

Borrowing across trials (``SurvivalOptions.borrowing``) sharpens or shifts the target
trial's estimands; :func:`borrowing_table` reads both fits' draws and puts each contrast
side by side, with the ratio of interval widths.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from bayes_scot.conventions import CREDIBLE_LEVEL
from bayes_scot.errors import EvidenceError

__all__ = ["borrowing_table"]


def borrowing_table(
    alone: Any,
    alone_idata: Any,
    borrowed: Any,
    borrowed_idata: Any,
    *,
    level: float = CREDIBLE_LEVEL,
) -> pd.DataFrame:
    """Compare the target trial's estimands fitted alone and with borrowing.

    Parameters
    ----------
    alone : SurvivalModel
        A model of the target trial only (any builder with ``target`` and
        ``estimands()``).
    alone_idata : arviz.InferenceData
        Its posterior.
    borrowed : SurvivalModel
        A model of the same target trial with further trials.
    borrowed_idata : arviz.InferenceData
        Its posterior.
    level : float, default :data:`~bayes_scot.conventions.CREDIBLE_LEVEL`

    Returns
    -------
    pandas.DataFrame
        One row per contrast estimand present in both fits: ``endpoint, estimand,
        label, alone_median, alone_lower, alone_upper, borrowed_median, borrowed_lower,
        borrowed_upper, width_ratio`` (borrowed over alone interval width: below 1 means
        the other trials sharpened the estimate), ``shift`` (borrowed minus alone
        median), ``no_data`` (the target trial holds no evidence of its own on the
        endpoint, in either fit: the row is a prediction through the model, not the
        trial's evidence) and ``extrapolated`` (beyond the target trial's last datum).

    Raises
    ------
    EvidenceError
        If the two models have different target trials.
    """
    if alone.target.name != borrowed.target.name:
        raise EvidenceError(
            f"target trials differ: {alone.target.name!r} vs {borrowed.target.name!r}",
            field="trials",
        )
    alpha = (1.0 - level) / 2.0
    quantiles = [alpha, 0.5, 1.0 - alpha]

    def summaries(model: Any, idata: Any) -> dict[tuple[str, str], Any]:
        return {
            (e.endpoint, e.estimand): (e.label, np.quantile(e.draws, quantiles),
                                       bool(e.attrs.get("no_data", False)),
                                       bool(e.attrs.get("extrapolated", False)))
            for e in model.estimands(idata)
            if e.attrs.get("contrast", True)
        }

    first, second = summaries(alone, alone_idata), summaries(borrowed, borrowed_idata)
    rows = []
    for key, (label, (lo_a, med_a, hi_a), no_data_a, beyond_a) in first.items():
        if key not in second:
            continue
        _, (lo_b, med_b, hi_b), no_data_b, beyond_b = second[key]
        rows.append({
            "endpoint": key[0], "estimand": key[1], "label": label,
            "alone_median": med_a, "alone_lower": lo_a, "alone_upper": hi_a,
            "borrowed_median": med_b, "borrowed_lower": lo_b, "borrowed_upper": hi_b,
            "width_ratio": (hi_b - lo_b) / (hi_a - lo_a) if hi_a > lo_a else np.nan,
            "shift": med_b - med_a,
            "no_data": no_data_a or no_data_b, "extrapolated": beyond_a or beyond_b,
        })  # fmt: skip
    return pd.DataFrame(rows)


