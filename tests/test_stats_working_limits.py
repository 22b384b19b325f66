"""The normal-normal reanalysis and the risk-table reader refuse numbers out of range."""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import numpy as np
import pytest

from bayes_scot.errors import EvidenceError
from bayes_scot.stats.digitised_csv import MAX_AT_RISK, read_risk_table_csv
from bayes_scot.stats.normal_normal import (
    WORKING_LIMITS,
    normal_posterior,
    reanalyse_effect,
    reported_likelihood,
)


@pytest.mark.parametrize("se", [1e200, 1e300])
def test_normal_posterior_refuses_an_se_whose_square_overflows(se: float) -> None:
    with pytest.raises(EvidenceError, match="se"):
        normal_posterior(0.0, 1.0, 0.0, se)


def test_normal_posterior_refuses_a_prior_sd_whose_square_underflows() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(EvidenceError, match="prior_sd"):
            normal_posterior([0.0, 0.0], [1.0, 1e-300], 0.0, 1.0)


def test_normal_posterior_refuses_a_mean_that_overflows() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(EvidenceError, match="overflows"):
            normal_posterior(1e300, 1e-100, 0.0, 1.0)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"se": 1e200}, "se"),
        ({"se": 0.5e-6}, "se"),
        ({"se": 101.0}, "se"),
        ({"priors": {"a": (0.0, 1e-300)}, "se": 1.0}, "priors.a"),
        ({"priors": {"a": (1e300, 1.0)}, "se": 1.0}, "priors.a"),
        ({"priors": {"a": (100.5, 1.0)}, "se": 1.0}, "priors.a"),
    ],
)
def test_ratios_are_computed_within_the_log_scale_limits(kwargs: dict, field: str) -> None:
    with pytest.raises(EvidenceError) as err:
        reanalyse_effect(0.34, **kwargs)
    assert err.value.field == field


def test_a_ratio_estimate_beyond_the_log_scale_limits_is_refused() -> None:
    with pytest.raises(EvidenceError) as err:
        reported_likelihood(math.exp(-101.0), se=1.0)
    assert err.value.field == "estimate"


def test_the_limits_themselves_are_accepted_and_give_finite_ratios() -> None:
    low, high, reach = WORKING_LIMITS["log"]
    table = reanalyse_effect(0.34, se=high,
                             priors={"far": (reach, high), "near": (-reach, low)})
    for column in ("median", "lower", "upper"):
        values = table[column].to_numpy()
        assert np.all(np.isfinite(values))
        assert np.all(values > 0)


def test_mean_differences_use_the_natural_scale_limits() -> None:
    low, high, reach = WORKING_LIMITS["natural"]
    table = reanalyse_effect(-reach, se=high, measure="MD", benefit="lower",
                             priors={"flat": (reach, high), "sharp": (0.0, low)})
    assert np.all(np.isfinite(table["posterior_mean"]))
    with pytest.raises(EvidenceError, match="natural scale"):
        reanalyse_effect(0.5, se=high * 10, measure="MD", benefit="lower",
                         priors={"flat": (0.0, 1.0)})


@pytest.mark.parametrize("n_risk", ["1e300", f"{MAX_AT_RISK + 1}", "-1e300", "-1"])
def test_risk_table_numbers_are_checked_before_conversion(n_risk: str,
                                                          tmp_path: Path) -> None:
    path = tmp_path / "risk.csv"
    path.write_text(f"time,n_risk\n0,{n_risk}\n12,34\n", encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(EvidenceError) as err:
            read_risk_table_csv(path)
    assert err.value.field == "n_risk"
    assert f"{MAX_AT_RISK:,}" in str(err.value)


def test_risk_table_at_the_maximum_is_read(tmp_path: Path) -> None:
    path = tmp_path / "risk.csv"
    path.write_text(f"time,n_risk\n0,{MAX_AT_RISK}\n12,34\n", encoding="utf-8")
    _, n = read_risk_table_csv(path)
    assert n.tolist() == [MAX_AT_RISK, 34]
