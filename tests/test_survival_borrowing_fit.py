"""Fits of the survival model with borrowing across trials (SCOT, ASTIS, ASSIST).

The structural tests in ``test_survival_model.py`` build the borrowing model without
sampling it. This module fits it by MCMC under the reference prior, next to the
SCOT-alone model, and checks that

* the borrowing fit converges (R-hat, divergences, bulk ESS of the free parameters);
* :func:`~bayes_scot.results.borrowing_table` compares both fits on the EFS
  and OS contrasts at 54 months, and borrowing does not widen the interval of SCOT's EFS
  survival difference at 54 months;
* the posterior is indexed by the trials that carry survival data (SCOT, ASTIS; ASSIST
  is dropped) and the between-trial SD is positive;
* at the sampler settings of the shipped ``scot_borrowing`` spec (one BlackJAX batch of
  13 priors x 4 chains x 1000 draws), every fit of the prior grid passes the gate.

Cost: two model structures are compiled once each by module fixtures and each is
sampled once with 2 chains x 500 draws (about 2 s each). On a 2-core machine the
three-trial structure took about 75 s of numba compilation with a cold disk cache; the
SCOT-alone structure, shared with ``test_survival_fits.py``, took 4.6 s from the cache.
The module takes about 1.5 minutes with a cold compilation cache and about 20 s when the
compiled log densities are already cached on disk.

Measured at seed 20180104 (and, for the spread, seeds 1-7 with the same settings):
borrowing fit R-hat max 1.011 (1.009-1.016 over the eight seeds), bulk ESS min 266
(225-426), 0 divergences at every seed; SCOT-alone fit R-hat max 1.012, bulk ESS min
321, 0 divergences. Width ratio (borrowed over alone) of the 95% interval of SCOT's EFS
survival difference at 54 months 0.941 (0.884-0.969); of the OS difference 0.852
(0.852-0.998).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from bayes_scot import _compat
from bayes_scot.builders.survival import SurvivalModel
from bayes_scot.data import load_trial
from bayes_scot.fitting import SamplerSettings, compile_model, diagnose
from bayes_scot.results import borrowing_table
from bayes_scot.spec import load_spec

pytestmark = pytest.mark.slow

SEED = 20180104
# A reduced run: the shipped analyses use 4 chains x 1000 draws.
QUICK = SamplerSettings(draws=500, tune=500, chains=2,
                        target_accept=SurvivalModel.recommended_target_accept)

# The shipped 4 x 1000 fits are gated at R-hat <= 1.01. With 2 chains x 500 draws the
# R-hat estimate itself is noisier: the borrowing fit measured 1.009-1.016 over eight
# seeds, and 1.028 at the same seed with kernels compiled afresh (rounding differences
# send the chains elsewhere). 1.05 still flags chains that fail to mix (R-hat > 1.1)
# without failing on the noise of a short run.
RHAT_LIMIT = 1.05
# 0 divergences were measured at every seed; up to 5 of the 1000 post-warm-up draws
# (0.5%) tolerates an isolated divergence in the funnel of the between-trial SD near
# zero, while a systematic geometry problem gives tens.
MAX_DIVERGENCES = 5
# Bulk ESS min measured 225-426 over eight seeds; 100 is the usual floor below which
# R-hat and interval endpoints are unreliable for a 2-chain run.
ESS_BULK_FLOOR = 100.0
# Borrowed over alone interval width for SCOT's EFS difference at 54 months: measured
# 0.88-0.97 over eight seeds. 1.05 allows for the Monte Carlo error of two 95% interval
# widths from a few hundred effective draws each (a few per cent) while still failing
# if borrowing made the estimate clearly less precise.
WIDTH_RATIO_LIMIT = 1.05


@pytest.fixture(scope="module")
def borrowed(scot_all, scot_survival):
    trials = [scot_all, load_trial("astis", population="all"),
              load_trial("assist", population="all")]
    return SurvivalModel(trials, options=dataclasses.replace(scot_survival["itt"],
                                                             borrowing="exchangeable"))


@pytest.fixture(scope="module")
def alone(scot_all, scot_survival):
    return SurvivalModel(scot_all, options=scot_survival["itt"])


def _fit(model):
    compiled = compile_model(model.model, key=model.structure_key)
    return compiled.sample(model.prior_data(model.prior_grid()["reference"]),
                           settings=QUICK, seed=SEED)


@pytest.fixture(scope="module")
def borrowed_fit(borrowed):
    return _fit(borrowed)


@pytest.fixture(scope="module")
def alone_fit(alone):
    return _fit(alone)


@pytest.fixture(scope="module")
def table(alone, alone_fit, borrowed, borrowed_fit):
    return borrowing_table(alone, alone_fit, borrowed, borrowed_fit).set_index(
        ["endpoint", "estimand"]
    )


@pytest.mark.parametrize(("model", "fit"), [("borrowed", "borrowed_fit"),
                                            ("alone", "alone_fit")])
def test_fits_converge(model, fit, request):
    """Both fits mix: the width comparison below is only meaningful if they do."""
    surv = request.getfixturevalue(model)
    free = [rv.name for rv in surv.model.free_RVs]
    checks = diagnose(request.getfixturevalue(fit), var_names=free)
    assert checks.rhat_max <= RHAT_LIMIT, checks
    assert checks.divergences <= MAX_DIVERGENCES, checks
    assert checks.ess_bulk_min >= ESS_BULK_FLOOR, checks


def test_borrowing_table_has_the_54_month_contrasts(table):
    for endpoint in ("efs", "os"):
        for estimand in ("survival_difference_54", "rmst_difference_54"):
            row = table.loc[(endpoint, estimand)]
            assert row["alone_lower"] < row["alone_median"] < row["alone_upper"]
            assert row["borrowed_lower"] < row["borrowed_median"] < row["borrowed_upper"]
            assert np.isfinite(row["width_ratio"])
            assert row["width_ratio"] > 0
    # arm-level survival is not a contrast and is not compared
    assert not table.index.get_level_values("estimand").str.startswith("survival_hsct").any()


def test_borrowing_does_not_widen_scot_efs_difference_at_54_months(table):
    """ASTIS's counts inform the common log hazard ratio that SCOT's effect shares.

    Measured width ratio 0.941 at the module seed (0.884-0.969 over eight seeds).
    """
    row = table.loc[("efs", "survival_difference_54")]
    assert row["width_ratio"] <= WIDTH_RATIO_LIMIT, row
    width_alone = row["alone_upper"] - row["alone_lower"]
    width_borrowed = row["borrowed_upper"] - row["borrowed_lower"]
    np.testing.assert_allclose(row["width_ratio"], width_borrowed / width_alone)


def test_posterior_is_indexed_by_trials_with_survival_data(borrowed_fit):
    posterior = _compat.get_group(borrowed_fit, "posterior")
    # ASSIST reports no survival data and is dropped from the model
    assert list(posterior.coords["trial"].values) == ["scot", "astis"]
    assert posterior["trial_log_hr"].dims[-1] == "trial"
    assert posterior["survival_efs"].sizes["trial"] == 2


def test_heterogeneity_sd_draws_are_positive(borrowed, borrowed_fit):
    assert "heterogeneity_raw" in {rv.name for rv in borrowed.model.free_RVs}
    posterior = _compat.get_group(borrowed_fit, "posterior")
    tau = posterior["heterogeneity_sd"].values
    assert tau.shape == (QUICK.chains, QUICK.draws)
    assert np.all(np.isfinite(tau))
    assert np.all(tau > 0)
    # the deterministic is the half-normal draw times the configured scale
    np.testing.assert_allclose(
        tau, posterior["heterogeneity_raw"].values * borrowed.options.heterogeneity_scale
    )


def test_shipped_borrowing_grid_passes_the_gate(borrowed):
    """The shipped spec's survival settings give a converged fit under every prior.

    The gate is the report's: R-hat <= 1.01, bulk ESS >= 400, no divergences, on the free
    parameters. Measured: R-hat at most 1.0085, bulk ESS at least 993.
    """
    spec = load_spec("scot_borrowing")
    family = spec.family("survival")
    assert family.trials == ("scot", "astis", "assist")
    settings = family.sampler_settings(spec.sampler)
    compiled = compile_model(borrowed.model, key=borrowed.structure_key)
    grid = borrowed.prior_grid()
    fits = compiled.sample_many(
        {name: borrowed.prior_data(prior) for name, prior in grid.items()},
        settings=settings.to_settings(), seed=spec.seed,
    )
    free = [rv.name for rv in borrowed.model.free_RVs]
    for name, idata in fits.items():
        checks = diagnose(idata, var_names=free)
        assert checks.rhat_max <= 1.01, (name, checks)
        assert checks.ess_bulk_min >= 400, (name, checks)
        assert checks.divergences == 0, (name, checks)
