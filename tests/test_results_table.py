"""The superiority table from synthetic draws: exact probabilities, order, the gate."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest

from bayes_scot.results import (
    TABLE_COLUMNS,
    PriorFit,
    flag_reasons,
    reproduce_table,
    superiority_table,
)
from bayes_scot.stats.estimands import EstimandDraws


@dataclass(frozen=True)
class Diag:
    rhat_max: float = 1.001
    ess_bulk_min: float = 2000.0
    divergences: int = 0


def well_mixed(values: np.ndarray, chains: int = 4, seed: int = 0) -> np.ndarray:
    """Shuffle fixed values into (chain, draw) so the chains are exchangeable."""
    rng = np.random.default_rng(seed)
    return rng.permutation(values).reshape(chains, -1)


def difference(
    values: np.ndarray, *, mcid: float | None = 0.1, name: str = "d54"
) -> EstimandDraws:
    return EstimandDraws(
        endpoint="efs",
        estimand=name,
        label="EFS at 54 months, HSCT minus CYC",
        draws=well_mixed(values),
        null=0.0,
        superior="higher",
        mcid=mcid,
        mcid_source="test",
        unit="proportion",
    )


def hazard_ratio(values: np.ndarray) -> EstimandDraws:
    return EstimandDraws(
        endpoint="os",
        estimand="hr",
        label="OS hazard ratio",
        draws=well_mixed(values, seed=1),
        null=1.0,
        superior="lower",
        mcid=0.8,
    )


# 4000 draws: 1000 below 0, 1000 in [0, 0.1), 2000 above 0.1: exact tail probabilities.
DIFF = np.concatenate([np.full(1000, -0.05), np.full(1000, 0.05), np.full(2000, 0.2)])
# 4000 draws of a ratio: 3000 below 1 (of which 1000 below 0.8), 1000 above 1.
RATIO = np.concatenate([np.full(1000, 0.5), np.full(2000, 0.9), np.full(1000, 1.3)])


def test_exact_probabilities_and_columns() -> None:
    fit = PriorFit(
        family="survival",
        prior="reference",
        estimands=(difference(DIFF), hazard_ratio(RATIO)),
        diagnostics=Diag(),
    )
    table = superiority_table([fit])
    assert tuple(table.columns) == TABLE_COLUMNS
    d, hr = table.iloc[0], table.iloc[1]
    assert (d.p_superior, d.p_mcid, d.p_harm) == (0.75, 0.5, 0.25)
    assert (hr.p_superior, hr.p_mcid, hr.p_harm) == (0.75, 0.25, 0.25)
    assert d["median"] == pytest.approx(0.125)  # halfway between the 2000th and 2001st draw
    assert d.mcid == 0.1
    assert d.unit == "proportion"
    assert d.evidence == "trial"
    assert not table["flagged"].any()
    assert (table["flag_reason"] == "").all()


def test_without_mcid_p_mcid_is_nan() -> None:
    fit = PriorFit(family="survival", prior="reference",
                   estimands=(difference(DIFF, mcid=None),), diagnostics=Diag())
    row = superiority_table([fit]).iloc[0]
    assert np.isnan(row.p_mcid)
    assert np.isnan(row.mcid)


def test_rows_ordered_by_estimand_then_given_prior_order() -> None:
    fits = [
        PriorFit(family="survival", prior=p, estimands=(difference(DIFF), hazard_ratio(RATIO)),
                 diagnostics=Diag())
        for p in ("skeptical_strong", "reference")
    ]
    table = superiority_table(fits, priors=["reference", "skeptical_strong"])
    assert list(zip(table.estimand, table.prior, strict=True)) == [
        ("d54", "reference"), ("d54", "skeptical_strong"),
        ("hr", "reference"), ("hr", "skeptical_strong"),
    ]


@pytest.mark.parametrize(
    ("diag", "reason"),
    [
        (Diag(rhat_max=1.05), "R-hat 1.050 > 1.01"),
        (Diag(ess_bulk_min=120.0), "bulk ESS 120 < 400"),
        (Diag(divergences=3), "3 divergent transitions"),
    ],
)
def test_fit_failing_the_gate_flags_every_row(diag: Diag, reason: str) -> None:
    fit = PriorFit(family="survival", prior="reference",
                   estimands=(difference(DIFF), hazard_ratio(RATIO)), diagnostics=diag)
    table = superiority_table([fit])
    assert table["flagged"].all()
    assert (table["flag_reason"] == reason).all()
    assert not fit.passed


def test_estimand_with_stuck_chain_is_flagged_although_fit_passed() -> None:
    draws = well_mixed(np.random.default_rng(2).normal(size=4000))
    draws[0] += 3.0  # one chain sits elsewhere: R-hat far above 1.01
    e = EstimandDraws(endpoint="efs", estimand="d54", label="x", draws=draws, null=0.0,
                      superior="higher")
    table = superiority_table([PriorFit(family="survival", prior="reference",
                                        estimands=(e,), diagnostics=Diag())])
    assert table.loc[0, "flagged"]
    assert table.loc[0, "flag_reason"].startswith("R-hat")


def test_flag_reasons_nan_is_not_a_failure() -> None:
    assert flag_reasons(rhat=float("nan"), ess_bulk=float("nan"), divergences=0) == []
    assert flag_reasons(rhat=1.0, ess_bulk=1000, divergences=1) == ["1 divergent transition"]


def test_duplicate_estimand_in_a_fit_is_refused() -> None:
    with pytest.raises(ValueError, match="twice"):
        PriorFit(family="survival", prior="reference",
                 estimands=(difference(DIFF), difference(DIFF)), diagnostics=Diag())


def test_empty_table_has_the_columns() -> None:
    assert tuple(superiority_table([]).columns) == TABLE_COLUMNS


def test_reproduce_table_stacks_and_checks_columns() -> None:
    frame = pd.DataFrame([{
        "trial": "scot", "entry": "itt_efs_54", "endpoint": "efs", "population": "itt",
        "arm": "hsct", "time_months": 54.0, "statistic": "events", "published": 10.0,
        "median": 11.0, "lower": 6.0, "upper": 16.0, "outside": False,
    }])
    fit = PriorFit(family="survival", prior="reference", estimands=(), diagnostics=Diag(),
                   reproduce=frame)
    table = reproduce_table([fit])
    assert list(table.columns[:3]) == ["family", "prior", "trial"]
    assert table.loc[0, "published"] == 10.0
    bad = PriorFit(family="survival", prior="reference", estimands=(), diagnostics=Diag(),
                   reproduce=frame.drop(columns="outside"))
    with pytest.raises(ValueError, match="outside"):
        reproduce_table([bad])


def test_descriptive_estimand_has_no_probabilities() -> None:
    e = EstimandDraws(endpoint="efs", estimand="survival_hsct_54", label="EFS, HSCT",
                      draws=well_mixed(np.linspace(0.6, 0.9, 4000)), null=float("nan"),
                      superior="higher")
    row = superiority_table([PriorFit(family="survival", prior="reference", estimands=(e,),
                                      diagnostics=Diag())]).iloc[0]
    assert np.isnan(row.p_superior)
    assert np.isnan(row.p_harm)
    assert row["median"] == pytest.approx(0.75)  # linspace is symmetric about 0.75
