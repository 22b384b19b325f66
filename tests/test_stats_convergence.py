"""Vectorised R-hat, bulk ESS and ranks against ArviZ and SciPy, the estimators they copy."""

from __future__ import annotations

import arviz as az
import numpy as np
import pytest
from scipy.stats import rankdata

from bayes_scot.stats.convergence import (
    average_ranks,
    batch_ess_bulk,
    batch_rhat,
    batch_rhat_ess,
)


def _chains(seed: int) -> np.ndarray:
    """Autocorrelated chains, some with a shifted chain (R-hat well above 1)."""
    rng = np.random.default_rng(seed)
    x = 0.1 * np.cumsum(rng.normal(size=(12, 4, 250)), axis=-1) + rng.normal(size=(12, 4, 250))
    x[:4, 0] += 1.0
    return x


def test_rhat_equals_arviz() -> None:
    x = _chains(0)
    expected = [float(az.rhat(x[i])) for i in range(len(x))]
    np.testing.assert_allclose(batch_rhat(x), expected, rtol=1e-12)
    assert batch_rhat(x)[:4].min() > 1.05  # the shifted chains are detected


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_ess_bulk_equals_arviz(seed: int) -> None:
    # The same estimator, truncation and last-lag rule as ArviZ; only the FFT length
    # differs, so the two agree to rounding.
    rng = np.random.default_rng(seed)
    x = np.concatenate([
        _chains(seed),
        rng.normal(size=(3, 4, 250)),                                  # no autocorrelation
        np.cumsum(rng.normal(size=(3, 4, 250)), axis=-1),              # strong
        np.repeat(rng.normal(size=(3, 4, 125)), 2, axis=-1),           # lag-1 pairs
        -np.cumprod(np.full((3, 4, 250), -1.0), axis=-1) + rng.normal(0, 0.1, (3, 4, 250)),
    ])
    expected = np.array([float(az.ess(x[i], method="bulk")) for i in range(len(x))])
    np.testing.assert_allclose(batch_ess_bulk(x), expected, rtol=1e-9)


def test_constant_draws_have_no_diagnostics() -> None:
    x = np.ones((2, 4, 100))
    assert np.isnan(batch_ess_bulk(x)).all()


def test_average_ranks_equal_scipy_with_ties_and_nan() -> None:
    # Rounded draws tie often; ranks of integers are exact, so equality is to the bit.
    rng = np.random.default_rng(4)
    x = np.round(rng.normal(size=(30, 200)), 1)
    x[2, 7] = np.nan
    np.testing.assert_array_equal(average_ranks(x), rankdata(x, axis=-1, method="average"))
    assert np.isnan(average_ranks(x)[2]).all()
    assert not np.isnan(average_ranks(x)[3]).any()
    y = rng.normal(size=(3, 4, 50))  # no ties
    np.testing.assert_array_equal(average_ranks(y), rankdata(y, axis=-1))


def test_rhat_and_ess_from_one_ranking_equal_each_alone() -> None:
    x = _chains(5)
    rhat, ess = batch_rhat_ess(x)
    np.testing.assert_array_equal(rhat, batch_rhat(x))
    np.testing.assert_array_equal(ess, batch_ess_bulk(x))


def test_diagnose_equals_arviz_over_every_element() -> None:
    # diagnose() runs the batch estimators over every element of every variable; the
    # worst R-hat and ESS must be ArviZ's, with constant elements skipped.
    from bayes_scot.fitting import diagnose

    rng = np.random.default_rng(4)
    chains = _chains(5)
    curve = np.stack([np.ones((4, 250)), *chains[4:7]], axis=-1)  # element 0 constant
    posterior = {
        "mu": chains[0],
        "beta": np.moveaxis(chains[7:10], 0, -1),
        "curve": curve,
        "flat": np.full((4, 250), 2.0),
        "noise": rng.normal(size=(4, 250, 2, 3)),
    }
    idata = az.from_dict(posterior=posterior,
                         sample_stats={"diverging": np.zeros((4, 250), dtype=bool)})
    varying = idata.posterior[["mu", "beta", "curve", "noise"]]
    with np.errstate(divide="ignore", invalid="ignore"):
        rhat, ess = az.rhat(varying), az.ess(varying, method="bulk")
    rhat_values = np.concatenate([np.ravel(rhat[v].values) for v in varying.data_vars])
    ess_values = np.concatenate([np.ravel(ess[v].values) for v in varying.data_vars])
    found = diagnose(idata)
    assert found.rhat_max == pytest.approx(np.nanmax(rhat_values[np.isfinite(rhat_values)]),
                                           rel=1e-12)
    assert found.rhat_max > 1.05  # the shifted chain of mu
    finite = np.isfinite(ess_values) & (ess_values < 4 * 250)  # ArviZ gives n for constants
    assert found.ess_bulk_min == pytest.approx(ess_values[finite].min(), rel=1e-9)
    assert found.divergences == 0
