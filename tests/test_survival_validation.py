"""The one-endpoint survival model against patient-level answers, one evidence route at a time.

Two randomised trials whose patient-level data lifelines ships (GBSG-2: tamoxifen vs
none, 686 women, 299 recurrences or deaths over 7 years; Rossi: financial aid vs none,
432 released prisoners, 114 arrests in 52 weeks) are reduced to what a paper publishes
(tests/_published.py): landmark counts, Kaplan-Meier estimates with numbers at risk or
confidence intervals, digitised curves with risk tables, a reported Cox hazard ratio.
Each is fitted under the reference prior (normal, SD 1 on the log hazard ratio: about
a 1.5% change in the posterior SD at these data) and compared with lifelines'
patient-level Cox and Kaplan-Meier fits of the same patients.

Tolerances and why:

- posterior median log HR within 0.10 of the Cox estimate: the published summaries
  hold less than the patients' exact times (landmarks keep only counts by each time,
  effective sample sizes approximate the Kaplan-Meier variance) and the model's HR is
  an event-weighted average of interval effects, not Cox's partial-likelihood estimate;
  0.10 is under a Cox SE on both trials (0.125, 0.190);
- 95% interval width 0.80-1.25 times the Cox interval: what the reduced data can and
  cannot tell apart; the estimated-structure failure this guards against was 2-3 times;
- P(HR < 1) within 0.05 of the normal approximation Phi(-b / se) of the Cox fit;
- survival difference at the horizon within 0.05 of Kaplan-Meier's, with the
  Kaplan-Meier difference inside the 95% interval (a handful of constant-hazard
  intervals cannot follow every step of a Kaplan-Meier curve);
- every fit passes the diagnostics gate (R-hat <= 1.01, bulk ESS >= 400, no divergences).

Each fit is one compile and 4 chains x 1000 draws with BlackJAX (seed fixed).
"""

from __future__ import annotations

import math

import _published as published
import numpy as np
import pytest
from scipy.stats import norm

from bayes_scot.builders.survival import survival_model
from bayes_scot.fitting import SamplerSettings, compile_model, diagnose

pytestmark = pytest.mark.slow

SETTINGS = SamplerSettings(draws=1000, tune=1000, chains=4, target_accept=0.9,
                           backend="blackjax")
SEED = 20240611


def _routes():
    gbsg2, rossi = published.gbsg2(), published.rossi()
    months = [12.0, 24.0, 36.0, 48.0, 60.0]
    return {
        "rossi landmark counts": (rossi, published.landmark_counts(rossi, [3.0, 6.0, 9.0,
                                                                           11.9])),
        "rossi KM with CIs": (rossi, published.km_estimates(rossi, [3.0, 6.0, 9.0, 11.9],
                                                            with_ci=True)),
        "gbsg2 KM with numbers at risk": (gbsg2, published.km_estimates(gbsg2, months)),
        "gbsg2 digitised curves": (gbsg2, published.digitised_curves(
            gbsg2, [0.0, 12.0, 24.0, 36.0, 48.0, 60.0, 72.0])),
        "gbsg2 reported HR": (gbsg2, published.reported_hr(gbsg2)),
    }


@pytest.fixture(scope="module")
def fits():
    out = {}
    for name, (data, trial) in _routes().items():
        model = survival_model(trial)
        compiled = compile_model(model.model, backend="blackjax", key=model.structure_key)
        idata = compiled.sample(model.prior_data(model.prior_grid()["reference"]),
                                settings=SETTINGS, seed=SEED)
        free = sorted(rv.name for rv in model.model.free_RVs)
        out[name] = (data, model, idata, diagnose(idata, var_names=free), compiled)
    return out


ROUTES = list(_routes())


@pytest.mark.parametrize("route", ROUTES)
def test_fit_passes_the_gate(fits, route):
    diagnostics = fits[route][3]
    assert diagnostics.passed, diagnostics


@pytest.mark.parametrize("route", ROUTES)
def test_hazard_ratio_agrees_with_patient_level_cox(fits, route):
    data, model, idata, *_ = fits[route]
    b, se = data.cox()
    headline = next(e for e in model.estimands(idata) if e.estimand == "hazard_ratio_common")
    log_hr = np.log(headline.draws.ravel())
    lower, median, upper = np.quantile(log_hr, [0.025, 0.5, 0.975])
    assert abs(median - b) < 0.10
    assert 0.80 <= (upper - lower) / (2 * 1.959964 * se) <= 1.25
    assert abs(headline.p_superior() - norm.cdf(-b / se)) < 0.05


@pytest.mark.parametrize("route", [r for r in ROUTES if "HR" not in r])
def test_survival_difference_at_the_horizon_agrees_with_kaplan_meier(fits, route):
    data, model, idata, *_ = fits[route]
    horizon = model.estimand_times[-1]
    rows = {e.estimand: e for e in model.estimands(idata)}
    draws = rows[f"survival_difference_{horizon:g}"].draws.ravel()
    km = [data.kaplan_meier(arm, [horizon])[0][0] for arm in data.arms]
    lower, median, upper = np.quantile(draws, [0.025, 0.5, 0.975])
    assert abs(median - (km[0] - km[1])) < 0.05
    assert lower < km[0] - km[1] < upper


def test_informative_priors_move_the_hazard_ratio_as_a_normal_update(fits):
    """Skeptical, optimistic and pessimistic priors on the endpoint-level log HR.

    The closed-form answer is the normal-normal update of the patient-level Cox estimate
    (b, se) with the same prior N(m, s^2): precision-weighted mean, SD
    (1/se^2 + 1/s^2)^-1/2. The tolerances are those of the reference-prior comparison.
    """
    data, model, _, _, compiled = fits["gbsg2 KM with numbers at risk"]
    grid = model.prior_grid()
    names = ["skeptical_strong", "optimistic_moderate", "pessimistic_weak"]
    posteriors = compiled.sample_many({n: model.prior_data(grid[n]) for n in names},
                                      settings=SETTINGS, seed=SEED)
    b, se = data.cox()
    free = sorted(rv.name for rv in model.model.free_RVs)
    for name in names:
        idata = posteriors[name]
        assert diagnose(idata, var_names=free).passed
        prior = grid[name]
        precision = 1 / se**2 + 1 / prior.sd**2
        mean = (b / se**2 + prior.mean / prior.sd**2) / precision
        headline = next(e for e in model.estimands(idata)
                        if e.estimand == "hazard_ratio_common")
        log_hr = np.log(headline.draws.ravel())
        assert abs(np.median(log_hr) - mean) < 0.10
        assert abs(headline.p_superior() - norm.cdf(-mean * math.sqrt(precision))) < 0.05
