"""The effect-structure sensitivity table, from simulated draws (no MCMC)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from bayes_scot.results.structure import STRUCTURE_COLUMNS, StructureFit, structure_sensitivity
from bayes_scot.stats.estimands import EstimandDraws


@dataclass(frozen=True)
class _Diagnostics:
    rhat_max: float = 1.001
    ess_bulk_min: float = 2000.0
    divergences: int = 0


def _difference(mean: float, seed: int) -> EstimandDraws:
    # Simulated draws (4 chains x 1000), not trial results.
    draws = np.random.default_rng(seed).normal(mean, 0.1, size=(4, 1000))
    return EstimandDraws(endpoint="os", estimand="survival_difference_54",
                         label="OS at 54 months, hsct minus cyc", draws=draws, null=0.0,
                         superior="higher", mcid=0.1)


def test_one_row_per_structure_with_prior_beside_posterior():
    fits = [
        StructureFit("common", [_difference(0.15, 1)], [_difference(0.0, 2)], _Diagnostics()),
        StructureFit("per_transition", [_difference(0.10, 3)], [_difference(0.0, 4)],
                     _Diagnostics(), shipped=True),
        StructureFit("independent", [_difference(0.05, 5)], [], _Diagnostics(divergences=3)),
    ]
    table = structure_sensitivity(fits, [("os", "survival_difference_54"), ("os", "absent")])
    assert tuple(table.columns) == STRUCTURE_COLUMNS
    assert table["structure"].tolist() == ["common", "per_transition", "independent"]
    assert table["shipped"].tolist() == [False, True, False]
    # P(N(m, 0.1) > 0): 0.933, 0.841, 0.691 (SE of 4000 draws at most 0.008).
    np.testing.assert_allclose(table["p_superior"], [0.933, 0.841, 0.691], atol=0.025)
    assert table["prior_p_superior"].iloc[0] == pytest.approx(0.5, abs=0.025)
    assert np.isnan(table["prior_p_superior"].iloc[2])  # no prior draws: not made up
    assert table["passed"].tolist() == [True, True, False]  # divergences fail the gate
    assert table["meaning"].str.len().gt(20).all()
