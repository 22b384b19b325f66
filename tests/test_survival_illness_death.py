"""Closed forms of the illness-death process against the matrix exponential and simulation."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.linalg import expm

from bayes_scot.errors import EvidenceError
from bayes_scot.stats.illness_death import (
    STATES,
    TRANSITIONS,
    event_free_survival,
    exp_difference_ratio,
    overall_survival,
    restricted_mean_survival,
    simulate_illness_death,
    simulate_paths,
    state_probabilities,
    transition_matrix,
)

EDGES = np.array([0.0, 3.0, 12.0, 24.0, 54.0, 72.0])
# Hazards per month of a plausible arm: early transplant deaths, later organ failure.
HAZARDS = np.array(
    [
        [0.004, 0.010, 0.020],
        [0.006, 0.002, 0.015],
        [0.005, 0.002, 0.012],
        [0.004, 0.003, 0.010],
        [0.003, 0.004, 0.010],
    ]
)


def _generator(h):
    return np.array([[-(h[0] + h[1]), h[0], h[1]], [0.0, -h[2], h[2]], [0.0, 0.0, 0.0]])


def _expm_states(hazards, edges, t):
    p = np.array([1.0, 0.0, 0.0])
    for k in range(len(edges) - 1):
        lo, hi = edges[k], edges[k + 1] if k < len(edges) - 2 else np.inf
        if t <= lo:
            break
        p = p @ expm(_generator(hazards[k]) * (min(t, hi) - lo))
    return p


def test_names_are_in_axis_order():
    assert STATES == ("event_free", "alive_after_failure", "dead")
    assert TRANSITIONS == ("organ_failure", "death_event_free", "death_after_failure")


def test_state_probabilities_match_matrix_exponential():
    times = np.array([0.0, 1.5, 3.0, 7.0, 12.0, 30.0, 48.0, 54.0, 72.0, 90.0])
    ours = state_probabilities(HAZARDS, EDGES, times)
    reference = np.array([_expm_states(HAZARDS, EDGES, t) for t in times])
    # both are exact up to floating-point error of expm (Pade approximation, ~1e-15)
    np.testing.assert_allclose(ours, reference, atol=1e-13)
    np.testing.assert_allclose(ours.sum(axis=-1), 1.0, atol=1e-15)


def test_transition_matrix_matches_expm():
    for h in HAZARDS:
        np.testing.assert_allclose(transition_matrix(h, 9.0), expm(_generator(h) * 9.0),
                                   atol=1e-14)


@pytest.mark.parametrize("gap", [0.0, 1e-14, 1e-9, 1e-6, 1e-3])
def test_exp_difference_ratio_is_stable_when_rates_coincide(gap):
    a, t = 0.02, 30.0
    b = a + gap
    # exact value: t e^{-a t} (1 - gap t/2 + (gap t)^2/6 - ...), evaluated with mpmath-free
    # high-order series (gap t <= 0.03, so 10 terms give relative error < 1e-20)
    x = gap * t
    series = sum((-x) ** j / np.prod(np.arange(2, j + 2)) for j in range(10))
    expected = t * np.exp(-a * t) * series
    assert exp_difference_ratio(a, b, t) == pytest.approx(expected, rel=1e-13)
    assert exp_difference_ratio(b, a, t) == pytest.approx(expected, rel=1e-13)


def test_exp_difference_ratio_with_distant_rates():
    a, b, t = 0.5, 0.001, 40.0
    assert exp_difference_ratio(a, b, t) == pytest.approx(
        (np.exp(-a * t) - np.exp(-b * t)) / (b - a), rel=1e-14
    )


def test_transition_matrix_equals_the_closed_forms_to_the_bit() -> None:
    # The propagation step reuses its two exponentials for exp_difference_ratio; the
    # result must be the public formulas' to the bit, equal rates and NaN included.
    rng = np.random.default_rng(11)
    h = rng.gamma(2.0, 0.02, size=(200, 3))
    h[:20, 2] = h[:20, 0] + h[:20, 1]  # a == h3 exactly
    h[20] = 0.0
    h[21, 0] = np.nan
    h[22, 2] = np.nan
    for d in (0.0, 1.5, 30.0):
        a = h[:, 0] + h[:, 1]
        matrix = transition_matrix(h, d)
        np.testing.assert_array_equal(matrix[:, 0, 0], np.exp(-a * d))
        np.testing.assert_array_equal(
            matrix[:, 0, 1], 0.0 * np.exp(-h[:, 2] * d)
            + h[:, 0] * exp_difference_ratio(a, h[:, 2], d))


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.floats(1e-6, 0.3), min_size=15, max_size=15),
    st.floats(0.0, 100.0),
)
def test_overall_survival_never_below_event_free(values, t):
    hazards = np.asarray(values).reshape(5, 3)
    efs = event_free_survival(hazards, EDGES, [t])
    os_ = overall_survival(hazards, EDGES, [t])
    assert np.all(os_ >= efs)
    assert np.all((efs >= 0) & (os_ <= 1))


def test_batched_hazards_broadcast():
    batch = np.stack([HAZARDS, 2 * HAZARDS])[None]  # (1, 2, K, 3)
    out = state_probabilities(batch, EDGES, [12.0, 54.0])
    assert out.shape == (1, 2, 2, 3)
    np.testing.assert_allclose(out[0, 1], state_probabilities(2 * HAZARDS, EDGES, [12.0, 54.0]))


def test_rmst_against_fine_trapezoid():
    grid = np.linspace(0.0, 54.0, 200_001)
    for endpoint, fun in (("efs", event_free_survival), ("os", overall_survival)):
        curve = fun(HAZARDS, EDGES, grid)
        reference = np.trapezoid(curve, grid)
        # trapezoid error with step 2.7e-4 months is below 1e-8 months
        assert restricted_mean_survival(HAZARDS, EDGES, 54.0, endpoint=endpoint) == (
            pytest.approx(reference, abs=1e-7)
        )


@pytest.mark.parametrize("endpoint", ["efs", "os"])
def test_rmst_of_several_horizons_in_one_pass_equals_each_alone(endpoint):
    # Horizons on boundaries cut the same pieces as each horizon alone: equal to the bit.
    batch = np.stack([HAZARDS, 1.5 * HAZARDS])  # (2, K, 3)
    together = restricted_mean_survival(batch, EDGES, [54.0, 72.0, 12.0], endpoint=endpoint)
    assert together.shape == (2, 3)
    for i, tau in enumerate((54.0, 72.0, 12.0)):
        alone = restricted_mean_survival(batch, EDGES, tau, endpoint=endpoint)
        np.testing.assert_array_equal(together[:, i], alone)
    # A horizon inside an interval adds a cut; the others move only by rounding.
    cut = restricted_mean_survival(batch, EDGES, [60.0, 72.0], endpoint=endpoint)
    np.testing.assert_allclose(cut[:, 1], together[:, 1], rtol=1e-13)
    np.testing.assert_array_equal(
        cut[:, 0], restricted_mean_survival(batch, EDGES, 60.0, endpoint=endpoint))
    with pytest.raises(EvidenceError, match="horizon"):
        restricted_mean_survival(batch, EDGES, [54.0, -1.0])


def test_rmst_of_constant_hazard_has_closed_form():
    h = np.tile([0.01, 0.02, 0.05], (5, 1))
    rate = 0.03
    assert restricted_mean_survival(h, EDGES, 72.0) == pytest.approx(
        (1 - np.exp(-rate * 72.0)) / rate, rel=1e-12
    )


def _expm_overall_rmst(hazards, edges, tau):
    """OS RMST from the matrix exponential: the top-right block of exp([[Q d, I d], [0, 0]])
    is the integral of exp(Q s) over [0, d] (Van Loan 1978), one piece at a time."""
    p, total = np.eye(3), np.zeros((3, 3))
    for k in range(len(edges) - 1):
        lo = edges[k]
        hi = tau if k == len(edges) - 2 else min(edges[k + 1], tau)
        if hi <= lo:
            break
        block = np.zeros((6, 6))
        block[:3, :3] = _generator(hazards[k]) * (hi - lo)
        block[:3, 3:] = np.eye(3) * (hi - lo)
        m = expm(block)
        total, p = total + p @ m[:3, 3:], p @ m[:3, :3]
    return total[0, 0] + total[0, 1]


def _hazards_with_exit_rates(exit_event_free, exit_after_failure):
    """Hazards whose exit rates from states 0 and 1 are the given ones in every interval."""
    h = np.empty((5, 3))
    h[:, 0] = 0.4 * exit_event_free
    h[:, 1] = 0.6 * exit_event_free
    h[:, 2] = exit_after_failure
    return h


@pytest.mark.parametrize(
    ("label", "hazards"),
    [
        ("plausible", HAZARDS),
        # equal exit rates: the closed form's removable singularity
        ("equal rates", _hazards_with_exit_rates(0.02, 0.02)),
        ("rates 1e-12 apart", _hazards_with_exit_rates(0.02, 0.02 + 1e-12)),
        # either side of the switch between the difference quotient and its series
        # (|a - b| d = 0.05 max(1, min(a, b) d); d = 54 - 24 = 30 months here)
        ("just inside the series", _hazards_with_exit_rates(0.02, 0.02 + 0.0499 / 30)),
        ("just outside the series", _hazards_with_exit_rates(0.02, 0.02 + 0.0501 / 30)),
        ("fast rates, near each other", _hazards_with_exit_rates(0.5, 0.51)),
        ("no organ failure", np.tile([0.0, 0.01, 0.03], (5, 1))),
        ("no death after failure", np.tile([0.01, 0.01, 0.0], (5, 1))),
        ("no events", np.zeros((5, 3))),
    ],
)
def test_overall_rmst_matches_the_matrix_exponential(label, hazards):
    # Both are exact up to rounding: 1e-12 relative leaves room for scipy's expm (about
    # 1e-14) and the closed form's cancellation-free branches (about 1e-14).
    for tau in (12.0, 54.0, 60.0, 72.0, 90.0):
        assert restricted_mean_survival(hazards, EDGES, tau, endpoint="os") == pytest.approx(
            _expm_overall_rmst(hazards, EDGES, tau), rel=1e-12, abs=1e-12
        ), (label, tau)


def test_overall_rmst_matches_the_matrix_exponential_on_random_hazards():
    # Log hazards spread by SD 3 around plausible values: rates from about 1e-6 to 10 per
    # month, so that rate x duration ranges over [1e-5, 300]; tolerance as above.
    rng = np.random.default_rng(20180104)
    draws = np.exp(rng.normal(np.log([0.005, 0.003, 0.02]), 3.0, size=(200, 5, 3)))
    ours = restricted_mean_survival(draws, EDGES, [54.0, 72.0], endpoint="os")
    reference = np.array([[_expm_overall_rmst(h, EDGES, tau) for tau in (54.0, 72.0)]
                          for h in draws])
    np.testing.assert_allclose(ours, reference, rtol=1e-12)


def test_simulation_matches_closed_form_state_probabilities():
    rng = np.random.default_rng(20180104)
    n = 200_000
    sim = simulate_illness_death(HAZARDS, EDGES, n, rng, horizon=72.0)
    for t in (3.0, 12.0, 54.0, 72.0):
        event_free = np.mean(sim["efs_months"] >= t) if t < 72.0 else np.mean(~sim["efs_event"])
        dead = np.mean(sim["death_months"] <= t)
        expected = state_probabilities(HAZARDS, EDGES, [t])[0]
        # Monte Carlo SE of a proportion near 0.5 with n = 2e5 is about 0.0011; allow 4 SE.
        assert event_free == pytest.approx(expected[0], abs=0.0045)
        assert dead == pytest.approx(expected[2], abs=0.0045)


def test_simulated_patients_are_internally_consistent():
    sim = simulate_illness_death(HAZARDS * 3, EDGES, 5_000, np.random.default_rng(1))
    failed = sim["organ_failure_months"].notna()
    assert (sim.loc[failed, "efs_months"] == sim.loc[failed, "organ_failure_months"]).all()
    both = failed & sim["death_months"].notna()
    assert (sim.loc[both, "death_months"] >= sim.loc[both, "organ_failure_months"]).all()
    assert (sim["os_months"] >= sim["efs_months"]).all()
    assert (sim["os_months"] <= 72.0).all()
    assert sim["efs_event"].sum() >= sim["os_event"].sum() - both.sum()


def test_batched_simulation_follows_each_draws_own_hazards():
    """Draw d of a batch has the state probabilities of hazards[d] (closed form).

    Three hazard sets (baseline, tripled, halved), 100 000 patients each: the Monte Carlo
    SE of a proportion is at most 0.0016, and the tolerance is 4 SE.
    """
    hazards = np.stack([HAZARDS, HAZARDS * 3.0, HAZARDS * 0.5])
    paths = simulate_paths(hazards, EDGES, 100_000, np.random.default_rng(11), 54.0)
    assert paths["efs_months"].shape == (3, 100_000)
    for d in range(3):
        expected = state_probabilities(hazards[d], EDGES, [54.0])[0]
        assert np.mean(~paths["efs_event"][d]) == pytest.approx(expected[0], abs=0.0064)
        assert np.mean(paths["os_event"][d]) == pytest.approx(expected[2], abs=0.0064)


def test_simulation_is_reproducible():
    a = simulate_illness_death(HAZARDS, EDGES, 50, np.random.default_rng(7))
    b = simulate_illness_death(HAZARDS, EDGES, 50, np.random.default_rng(7))
    assert a.equals(b)


@pytest.mark.parametrize(
    ("hazards", "edges", "field"),
    [
        (HAZARDS, [1.0, 3.0, 12.0, 24.0, 54.0, 72.0], "boundaries"),
        (HAZARDS[:4], EDGES, "hazards"),
        (-HAZARDS, EDGES, "hazards"),
    ],
)
def test_bad_grids_raise_evidence_errors(hazards, edges, field):
    with pytest.raises(EvidenceError) as err:
        state_probabilities(hazards, edges, [1.0])
    assert err.value.field == field


def _numpy_inversion(rates, edges, start, target):
    """The definition the compiled kernel keeps: one whole-array pass per interval."""
    n_int = rates.shape[-1]
    out = np.full(np.shape(start), np.inf)
    remaining = target.copy()
    with np.errstate(invalid="ignore"):
        for k in range(n_int):
            rate = rates[..., k]
            positive = rate > 0
            safe_rate = np.where(positive, rate, 1.0)
            lo = np.maximum(edges[k], start)
            hi = edges[k + 1] if k < n_int - 1 else np.inf
            active = (start < hi) & np.isinf(out)
            length = np.where(active, hi - np.where(active, lo, 0.0), 0.0)
            mass = rate * length
            mass = np.where(np.isnan(mass), np.inf, mass)
            hit = active & (remaining <= mass) & positive
            out = np.where(hit, lo + remaining / safe_rate, out)
            remaining = np.where(active & ~hit, remaining - mass, remaining)
    return out


def test_compiled_inversion_of_the_cumulative_hazard_equals_the_numpy_definition_to_the_bit():
    """Event times from the compiled kernel equal the whole-array NumPy definition exactly,
    including the awkward cases: all-zero and partly zero rates (never reached: inf),
    infinite rates, clocks that never start (inf) or start after the last boundary, and
    targets beyond every interval's mass. Simulated inputs, fixed seed."""
    from bayes_scot.stats.illness_death_kernel import invert_cumulative

    rng = np.random.default_rng(20180104)
    draws, patients = 300, 50
    edges = np.array([0.0, 6.0, 12.0, 24.0, 36.0, 72.0])
    rates = np.exp(rng.normal(np.log(0.02), 1.5, (draws, len(edges) - 1)))
    rates[:10] = 0.0
    rates[10:20, 2:] = 0.0
    rates[20:25, 1] = np.inf
    start = np.where(rng.uniform(size=(draws, patients)) < 0.4,
                     rng.uniform(0.0, 90.0, (draws, patients)), 0.0)
    start[:, :5] = np.inf
    start[:, 5:8] = edges[2]  # on a boundary
    target = rng.exponential(size=(draws, patients)) * rng.choice([1.0, 50.0], (draws, patients))
    compiled = invert_cumulative(rates, edges, start, target)
    expected = _numpy_inversion(rates[:, None, :], edges, start, target)
    assert np.isinf(expected).any()
    assert np.isfinite(expected).any()
    np.testing.assert_array_equal(compiled, expected)


def test_inversion_kernel_names_bad_shapes():
    from bayes_scot.stats.illness_death_kernel import invert_cumulative

    with pytest.raises(ValueError, match="rates \\(draw, interval\\)"):
        invert_cumulative(np.ones((2, 3)), np.array([0.0, 1.0]), np.zeros((2, 4)),
                          np.ones((2, 4)))
