"""Likelihood pieces for longitudinal summaries (bayes_scot.likelihood.longitudinal).

The closed-form check: with a normal prior on a linear trajectory and a known within-patient
correlation the posterior is exactly normal, so its mode and inverse Hessian must equal the
conjugate update, and, as the prior widens, the generalised-least-squares estimate and its
standard errors (bayes_scot.stats.gls).
"""

import numpy as np
import pymc as pm
import pytensor
import pytensor.tensor as pt
import pytest
from scipy.special import ndtri

from bayes_scot.evidence import EffectEstimate, SlopeSummary, Source, VisitSummary
from bayes_scot.likelihood.longitudinal import (
    add_discounted_estimates,
    add_visit_means,
    effect_estimate_se,
    slope_observations,
    visit_summary_se,
)
from bayes_scot.stats.gls import (
    ar1_correlation,
    compound_symmetry_correlation,
    conjugate_normal_update,
    gls_fit,
    overlap_fraction,
    visit_covariance,
)

SOURCE = Source(citation="Simulated for tests", locator="test", tag="reported")
TIMES_YEARS = np.array([0.0, 0.5, 1.0, 2.0, 3.0, 4.5])
N = np.array([34.0, 33, 31, 30, 28, 25])  # monotone dropout
SD = np.array([16.0, 15.5, 15.0, 15.5, 16.0, 17.0])
Y = np.array([74.1, 75.2, 72.9, 70.4, 69.8, 61.5])  # simulated visit means
DESIGN = np.column_stack([np.ones_like(TIMES_YEARS), TIMES_YEARS])


def scot_fvc_slopes(**changes):
    fields = {
        "id": "pp_fvc_slope", "endpoint": "fvc", "population": "pp", "source": SOURCE,
        "slope_per_year": {"hsct": 0.77, "cyc": -3.70}, "n": {"hsct": 33, "cyc": 34},
        "p_value": 0.004,
    }
    fields.update(changes)
    return SlopeSummary(**fields)


def test_scot_fvc_slope_standard_errors_follow_from_the_p_value():
    obs = slope_observations(scot_fvc_slopes(), experimental="hsct", control="cyc")
    se_diff = 4.47 / ndtri(1 - 0.004 / 2)  # = 1.553: published difference over z
    assert obs.arms == ("hsct", "cyc")
    assert obs.values == (0.77, -3.70)
    # The derived arm SEs must reproduce the contrast's SE exactly...
    assert np.hypot(*obs.se) == pytest.approx(se_diff, rel=1e-12)
    # ...and scale as 1/sqrt(n) (equal between-patient SD of slopes in both arms).
    assert obs.se[0] / obs.se[1] == pytest.approx(np.sqrt(34 / 33), rel=1e-12)
    assert "p-value" in obs.note


def test_slope_contrast_alone_when_arm_sizes_are_unknown():
    obs = slope_observations(scot_fvc_slopes(n=None), experimental="hsct", control="cyc")
    assert obs.arms == ()
    assert obs.difference == pytest.approx(4.47)
    assert obs.difference_se == pytest.approx(4.47 / ndtri(0.998))


def test_reported_arm_slope_standard_errors_are_used_as_given():
    obs = slope_observations(scot_fvc_slopes(se={"hsct": 1.0, "cyc": 1.2}),
                             experimental="hsct", control="cyc")
    assert obs.se == (1.0, 1.2)


def test_slope_without_any_precision_gives_nothing():
    entry = scot_fvc_slopes(p_value=None)
    assert slope_observations(entry, experimental="hsct", control="cyc") is None


def test_visit_summary_standard_error_sources():
    base = {"id": "v", "endpoint": "haq_di", "population": "itt", "source": SOURCE,
            "time_months": 12, "statistic": "change", "mean": {"hsct": -0.6, "cyc": -0.1}}
    assert visit_summary_se(VisitSummary(**base, se={"hsct": 0.1, "cyc": 0.2}), "cyc") == 0.2
    from_sd = VisitSummary(**base, sd={"hsct": 0.5, "cyc": 0.6}, n={"hsct": 25, "cyc": 36})
    assert visit_summary_se(from_sd, "hsct") == pytest.approx(0.1)
    from_ci = VisitSummary(**base, lower={"hsct": -0.8, "cyc": -0.3},
                           upper={"hsct": -0.4, "cyc": 0.1})
    assert visit_summary_se(from_ci, "hsct") == pytest.approx(0.2 / ndtri(0.975))
    assert visit_summary_se(VisitSummary(**base, p_value=0.01), "hsct") is None


def test_effect_estimate_standard_error_from_p_value():
    entry = EffectEstimate(id="e", endpoint="mrss", population="x", source=SOURCE,
                           statistic="change_difference", estimate=-7.0, p_value=0.02,
                           time_months=60)
    assert effect_estimate_se(entry) == pytest.approx(7.0 / ndtri(0.99))


# Small PyTensor graphs: the Python linker compiles them in seconds and needs no BLAS.
FAST = {"mode": "FAST_COMPILE"}


@pytest.fixture(scope="module")
def laplace():
    """Posterior mode and inverse Hessian of one model holding both correlation structures."""
    rho, prior_sd = 0.7, 1e3
    with pytensor.config.change_flags(**FAST), pm.Model():
        betas = {}
        for correlation in ("ar1", "cs"):
            betas[correlation] = pm.Normal(f"beta_{correlation}", 0.0, prior_sd, shape=2)
            add_visit_means(
                f"fvc_means_{correlation}", pt.dot(DESIGN, betas[correlation]), Y,
                SD / np.sqrt(N), times_years=TIMES_YEARS, rho=rho, correlation=correlation,
                overlap=overlap_fraction(N),
            )
        point = pm.find_MAP(progressbar=False, seed=1, maxeval=20000)
        out = {}
        for correlation, beta in betas.items():
            # Hessian of log p (negative definite); its negated inverse is the covariance.
            hessian = pm.find_hessian(point, vars=[beta], negate_output=False)
            out[correlation] = (point[f"beta_{correlation}"], -np.linalg.inv(hessian))
    return prior_sd, out


@pytest.mark.slow
@pytest.mark.parametrize("correlation", ["ar1", "cs"])
def test_posterior_equals_conjugate_update_and_gls(laplace, correlation):
    prior_sd, results = laplace
    mode, posterior_cov = results[correlation]
    corr = (ar1_correlation(TIMES_YEARS, 0.7) if correlation == "ar1"
            else compound_symmetry_correlation(TIMES_YEARS.size, 0.7))
    cov = visit_covariance(SD / np.sqrt(N), corr, overlap_fraction(N))
    exact = conjugate_normal_update(np.zeros(2), np.eye(2) * prior_sd**2, Y, DESIGN, cov)
    # Linear-Gaussian model: the posterior is exactly normal, so its mode and inverse
    # Hessian are exact; the tolerances are the optimiser's convergence.
    np.testing.assert_allclose(mode, exact.estimate, rtol=1e-4)
    np.testing.assert_allclose(posterior_cov, exact.covariance, rtol=1e-5)
    # With a prior SD ~1000x the standard errors, the posterior is the GLS fit to within
    # (SE / prior SD)^2 ~ 1e-6 relative.
    gls = gls_fit(Y, DESIGN, cov)
    np.testing.assert_allclose(mode, gls.estimate, rtol=1e-4)
    np.testing.assert_allclose(np.sqrt(np.diag(posterior_cov)), gls.se, rtol=1e-4)
    # A wrong covariance would be caught: ignoring the correlation changes the standard
    # errors by more than 5%, far beyond the tolerance above.
    independent = gls_fit(Y, DESIGN, np.diag(np.diag(cov)))
    assert np.all(np.abs(independent.se / gls.se - 1) > 0.05)


@pytest.fixture(scope="module")
def potentials():
    """Discounted-evidence potentials for several methods and weights, compiled once."""
    cases = [("power", 0.4), ("power", 0.0), ("mixture", 1.0), ("mixture", 0.0),
             ("mixture", 0.5)]
    with pytensor.config.change_flags(**FAST), pm.Model() as model:
        mean = pm.Data("mean", np.array([-0.2]))
        terms = [
            add_discounted_estimates(f"ext_{i}", mean, np.array([-0.57]), np.array([0.13]),
                                     np.array([w]), method=method, vague_se=1.4)
            for i, (method, w) in enumerate(cases)
        ]
        fn = model.compile_fn(terms, inputs=[], point_fn=False)

    def evaluate(theta):
        pm.set_data({"mean": np.array([theta])}, model=model)
        return dict(zip(cases, (float(v) for v in fn()), strict=True))

    return evaluate


def _normal_logpdf(x, mu, sd):
    return -0.5 * np.log(2 * np.pi * sd**2) - 0.5 * ((x - mu) / sd) ** 2


@pytest.mark.slow
def test_power_prior_equals_an_inflated_standard_error(potentials):
    # a0 * log N(y; theta, s) differs from log N(y; theta, s / sqrt(a0)) by a constant in
    # theta: compare differences between two values of theta.
    near, far = potentials(-0.2), potentials(-0.9)
    sd = 0.13 / np.sqrt(0.4)
    expected = _normal_logpdf(-0.57, -0.2, sd) - _normal_logpdf(-0.57, -0.9, sd)
    assert near[("power", 0.4)] - far[("power", 0.4)] == pytest.approx(expected, rel=1e-10)
    assert near[("power", 0.0)] == 0.0


@pytest.mark.slow
def test_mixture_weight_moves_between_informative_and_vague(potentials):
    values = potentials(-0.2)
    full, none = values[("mixture", 1.0)], values[("mixture", 0.0)]
    assert full == pytest.approx(_normal_logpdf(-0.57, -0.2, 0.13), rel=1e-10)
    assert none == pytest.approx(_normal_logpdf(-0.57, -0.2, 1.4), rel=1e-10)
    expected = np.log(0.5 * np.exp(full) + 0.5 * np.exp(none))
    assert values[("mixture", 0.5)] == pytest.approx(expected, rel=1e-10)
