"""Win statistics: exact counts against a brute-force double loop, and closed forms."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

import bayes_scot
from bayes_scot.errors import EvidenceError
from bayes_scot.stats.win import WinStatistics, kernel, win_statistics, win_statistics_draws

SEED = 20180104


def brute_force(x: np.ndarray, y: np.ndarray, hierarchy) -> tuple[list[int], list[int]]:
    """The definition, pair by pair: the reference every kernel must equal exactly."""
    wins = [0] * len(hierarchy)
    losses = [0] * len(hierarchy)
    for xi in x:
        for yj in y:
            for k, (_, better, margin) in enumerate(hierarchy):
                a, b = xi[k], yj[k]
                if math.isnan(a) or math.isnan(b):
                    continue
                diff = a - b if better == "higher" else b - a
                if diff > margin:
                    wins[k] += 1
                    break
                if diff < -margin:
                    losses[k] += 1
                    break
    return wins, losses


# -- exactness ---------------------------------------------------------------------------

# Decimal values such as 0.1, 0.2 and 0.3 make differences that round across a margin
# (0.3 - 0.1 < 0.2 in binary floating point): the kernels must round exactly as the
# pairwise definition does.
VALUES = st.sampled_from([0.0, 0.1, 0.2, 0.3, 0.7, 1.0, 1.5, 2.0, 3.0, -1.0, float("nan")])


@st.composite
def comparisons(draw):
    n_levels = draw(st.integers(1, 4))
    hierarchy = [
        (
            f"level{k}",
            draw(st.sampled_from(["lower", "higher"])),
            draw(st.sampled_from([0.0, 0.0, 0.1, 0.2, 0.5, 1.0])),
        )
        for k in range(n_levels)
    ]
    n_draws = draw(st.integers(1, 3))
    n, m = draw(st.integers(1, 6)), draw(st.integers(1, 6))
    nan_allowed = draw(st.booleans())
    values = VALUES if nan_allowed else VALUES.filter(lambda v: not math.isnan(v))
    x = np.array(draw(st.lists(values, min_size=n_draws * n * n_levels,
                               max_size=n_draws * n * n_levels))).reshape(n_draws, n, n_levels)
    y = np.array(draw(st.lists(values, min_size=n_draws * m * n_levels,
                               max_size=n_draws * m * n_levels))).reshape(n_draws, m, n_levels)
    return x, y, hierarchy


@settings(max_examples=400, deadline=None)
@given(comparisons())
def test_vectorised_counts_equal_brute_force(case) -> None:
    x, y, hierarchy = case
    result = win_statistics_draws(x, y, hierarchy)
    for d in range(x.shape[0]):
        wins, losses = brute_force(x[d], y[d], hierarchy)
        np.testing.assert_array_equal(result.wins[d], wins)
        np.testing.assert_array_equal(result.losses[d], losses)


@pytest.mark.parametrize("margins", [(0.0, 0.0, 0.0), (0.0, 0.3, 0.0), (0.2, 0.0, 0.1)])
def test_chunking_does_not_change_counts(monkeypatch, margins) -> None:
    # Continuous values rounded to a grid create ties at every level; one draw per task
    # shares the draws among threads.
    rng = np.random.default_rng(SEED)
    x = np.round(rng.normal(0.3, 1.0, size=(3, 40, 3)), 1)
    y = np.round(rng.normal(0.0, 1.0, size=(3, 35, 3)), 1)
    x[0, :5, 1] = np.nan
    hierarchy = [
        ("a", "higher", margins[0]), ("b", "lower", margins[1]), ("c", "higher", margins[2])
    ]
    expected = win_statistics_draws(x, y, hierarchy)
    monkeypatch.setattr(kernel, "DRAWS_PER_TASK", 1)
    chunked = win_statistics_draws(x, y, hierarchy)
    np.testing.assert_array_equal(chunked.wins, expected.wins)
    np.testing.assert_array_equal(chunked.losses, expected.losses)
    for d in range(3):
        wins, losses = brute_force(x[d], y[d], hierarchy)
        np.testing.assert_array_equal(expected.wins[d], wins)
        np.testing.assert_array_equal(expected.losses[d], losses)


NUMPY_KERNEL_COUNTS = Path(__file__).parent / "data" / "win_counts_numpy_kernel.npz"


@pytest.mark.parametrize("case", ["grcs", "complete_no_margin", "nan_first_margin", "tenths"])
def test_compiled_kernel_repeats_the_numpy_kernel_counts(case) -> None:
    # Counts the package's earlier NumPy kernel (grouped sorting, range search, blocked
    # pair lists) gave on these fixed inputs: GRCS-like draws with event times, margins
    # and missing values after an event; complete data without margins; missing values
    # at a first level with a margin; values on a grid of tenths. Integer counts, so the
    # compiled kernel must repeat them exactly.
    stored = np.load(NUMPY_KERNEL_COUNTS)
    hierarchy = [
        (f"level{k}", "higher" if higher else "lower", float(margin))
        for k, (higher, margin) in enumerate(
            zip(stored[f"{case}_higher"], stored[f"{case}_margins"], strict=True)
        )
    ]
    result = win_statistics_draws(stored[f"{case}_x"], stored[f"{case}_y"], hierarchy)
    np.testing.assert_array_equal(result.wins, stored[f"{case}_wins"])
    np.testing.assert_array_equal(result.losses, stored[f"{case}_losses"])
    assert stored[f"{case}_wins"].sum() > 0
    assert stored[f"{case}_losses"].sum() > 0


@pytest.mark.parametrize("margin", [0.1, 0.2, 0.3])
def test_margins_round_like_the_pairwise_definition(margin) -> None:
    # Values on a grid of tenths: many differences land within one rounding error of the
    # margin, where a threshold search on value - margin and the difference disagree.
    rng = np.random.default_rng(SEED)
    x = rng.integers(0, 12, size=(4, 60, 2)) / 10.0
    y = rng.integers(0, 12, size=(4, 55, 2)) / 10.0
    hierarchy = [("a", "higher", margin), ("b", "lower", margin)]
    result = win_statistics_draws(x, y, hierarchy)
    for d in range(4):
        wins, losses = brute_force(x[d], y[d], hierarchy)
        np.testing.assert_array_equal(result.wins[d], wins)
        np.testing.assert_array_equal(result.losses[d], losses)


def test_draws_are_independent_comparisons() -> None:
    rng = np.random.default_rng(SEED)
    x = rng.integers(0, 4, size=(5, 12, 2)).astype(float)
    y = rng.integers(0, 4, size=(5, 9, 2)).astype(float)
    hierarchy = [("a", "higher", 0.0), ("b", "lower", 0.0)]
    batched = win_statistics_draws(x, y, hierarchy)
    for d in range(5):
        one = win_statistics_draws(x[d : d + 1], y[d : d + 1], hierarchy)
        np.testing.assert_array_equal(batched.wins[d], one.wins[0])
        np.testing.assert_array_equal(batched.losses[d], one.losses[0])


# -- hand-computed examples --------------------------------------------------------------


def test_ties_and_margins_by_hand() -> None:
    # Death level: alive at 54 months holds 54. FVC with margin 5 points.
    hsct = pd.DataFrame({"death": [54.0, 54.0, 54.0, 20.0], "fvc": [80.0, 70.0, 66.0, np.nan]})
    cyc = pd.DataFrame({"death": [54.0, 54.0, 10.0], "fvc": [70.0, 74.0, np.nan]})
    result = win_statistics(hsct, cyc, [("death", "higher", 0.0), ("fvc", "higher", 5.0)])
    # Pairs (hsct i, cyc j):
    # i=0 (alive, 80): vs 70 +10 win; vs 74 +6 win; vs dead win (death level)
    # i=1 (alive, 70): vs 70 0 tie; vs 74 -4 tie (within 5); vs dead win
    # i=2 (alive, 66): vs 70 -4 tie; vs 74 -8 loss; vs dead win
    # i=3 (dead at 20): vs alive loss, loss; vs dead at 10: later death wins
    np.testing.assert_array_equal(result.wins, [4, 2])
    np.testing.assert_array_equal(result.losses, [2, 1])
    assert result.p_win == pytest.approx(6 / 12)
    assert result.p_loss == pytest.approx(3 / 12)
    assert result.p_tie == pytest.approx(3 / 12)
    assert result.win_ratio == pytest.approx(2.0)
    assert result.net_benefit == pytest.approx(0.25)
    assert result.win_odds == pytest.approx((6 + 1.5) / (3 + 1.5))


def test_difference_equal_to_margin_is_a_tie() -> None:
    e = pd.DataFrame({"v": [3.0]})
    c = pd.DataFrame({"v": [1.0]})
    assert win_statistics(e, c, [("v", "higher", 2.0)]).p_tie == 1.0
    assert win_statistics(e, c, [("v", "higher", 1.999)]).p_win == 1.0


def test_missing_value_ties_and_passes_to_next_level() -> None:
    e = pd.DataFrame({"first": [np.nan, 5.0], "second": [1.0, 1.0]})
    c = pd.DataFrame({"first": [4.0], "second": [3.0]})
    result = win_statistics(e, c, [("first", "higher", 0.0), ("second", "lower", 0.0)])
    # Patient 0: missing at level 1 -> tie; level 2: 1 < 3, lower is better -> win.
    # Patient 1: 5 > 4 -> win at level 1.
    np.testing.assert_array_equal(result.wins, [1, 1])
    assert result.p_win == 1.0


def test_lower_direction_is_the_mirror_of_higher() -> None:
    rng = np.random.default_rng(SEED)
    e = pd.DataFrame({"v": rng.normal(size=30)})
    c = pd.DataFrame({"v": rng.normal(size=25)})
    higher = win_statistics(e, c, [("v", "higher", 0.1)])
    lower = win_statistics(e, c, [("v", "lower", 0.1)])
    assert higher.p_win == lower.p_loss
    assert higher.p_tie == lower.p_tie


def test_swapping_arms_swaps_wins_and_losses() -> None:
    rng = np.random.default_rng(SEED)
    e = pd.DataFrame({"a": rng.integers(0, 3, 20), "b": rng.normal(size=20)})
    c = pd.DataFrame({"a": rng.integers(0, 3, 17), "b": rng.normal(size=17)})
    hierarchy = [("a", "higher", 0.0), ("b", "lower", 0.2)]
    forward = win_statistics(e, c, hierarchy)
    backward = win_statistics(c, e, hierarchy)
    np.testing.assert_array_equal(forward.wins, backward.losses)
    assert forward.win_odds == pytest.approx(1.0 / backward.win_odds)


# -- identities --------------------------------------------------------------------------


def test_identities_between_statistics() -> None:
    rng = np.random.default_rng(SEED)
    x = rng.integers(0, 3, size=(50, 20, 2)).astype(float)
    y = rng.integers(0, 3, size=(50, 22, 2)).astype(float)
    result = win_statistics_draws(x, y, [("a", "higher", 0.0), ("b", "higher", 0.0)])
    np.testing.assert_allclose(result.p_win + result.p_loss + result.p_tie, 1.0)
    np.testing.assert_allclose(result.net_benefit, 2 * result.win_probability - 1)
    np.testing.assert_allclose(
        result.win_odds, (1 + result.net_benefit) / (1 - result.net_benefit)
    )
    np.testing.assert_allclose(result.win_ratio, result.p_win / result.p_loss)
    # Splitting ties pulls the win odds towards 1 relative to the win ratio.
    assert np.all(np.abs(np.log(result.win_odds)) <= np.abs(np.log(result.win_ratio)) + 1e-12)
    by_level = result.by_level()
    assert by_level["p_win"].sum() == pytest.approx(np.mean(result.p_win))
    assert by_level["p_undecided_after"].iloc[-1] == pytest.approx(np.mean(result.p_tie))


def test_win_ratio_equals_win_odds_without_ties() -> None:
    rng = np.random.default_rng(SEED)
    e = pd.DataFrame({"v": rng.normal(size=40)})
    c = pd.DataFrame({"v": rng.normal(size=40)})
    result = win_statistics(e, c, [("v", "higher", 0.0)])
    assert result.p_tie == 0.0
    assert result.win_ratio == pytest.approx(result.win_odds)


def test_all_ties_give_undefined_ratio_and_unit_odds() -> None:
    e = pd.DataFrame({"v": [1.0, 1.0]})
    c = pd.DataFrame({"v": [1.0]})
    result = win_statistics(e, c, [("v", "higher", 0.0)])
    assert math.isnan(result.win_ratio)
    assert result.win_odds == 1.0
    assert result.net_benefit == 0.0


def test_result_tables() -> None:
    e = pd.DataFrame({"v": [2.0, 0.0]})
    c = pd.DataFrame({"v": [1.0]})
    result = win_statistics(e, c, [("v", "higher", 0.0)])
    series = result.to_series()
    assert list(series.index[:6]) == [
        "p_win", "p_loss", "p_tie", "win_ratio", "net_benefit", "win_odds"
    ]
    assert series["win_ratio"] == 1.0
    assert result.to_frame().shape == (1, 7)
    assert "p_win=0.5" in repr(result)
    draws = win_statistics_draws(np.zeros((4, 2, 1)), np.ones((4, 3, 1)), [("v", "higher", 0)])
    with pytest.raises(ValueError, match="to_frame"):
        draws.to_series()
    assert draws.to_frame().shape == (4, 7)
    assert "4 draws" in repr(draws)


def test_public_name_is_exported_lazily() -> None:
    assert bayes_scot.win_statistics is win_statistics


# -- closed forms ------------------------------------------------------------------------


def _u_statistic_se(a: float, q1: float, q2: float, n: int, m: int) -> float:
    """Exact SE of a Mann-Whitney proportion from the pair-overlap probabilities."""
    return math.sqrt((a * (1 - a) + (n - 1) * (q1 - a * a) + (m - 1) * (q2 - a * a)) / (n * m))


def _u_statistic_bound(p: float, n: int, m: int) -> float:
    """Upper bound on the SE of a two-sample U-statistic with a 0/1 kernel of mean p."""
    return math.sqrt(p * (1 - p) * (1 / n + 1 / m))


def test_two_normal_outcomes_match_phi() -> None:
    # X ~ N(D, s), Y ~ N(0, s): P(X > Y) = Phi(D / (s sqrt 2)). With n = m = 3000 the
    # U-statistic's SE follows from Q1 = Q2 = P(X > Y1, X > Y2), a bivariate normal
    # orthant with correlation 1/2; four SEs keep a false failure below 1 in 10^4.
    rng = np.random.default_rng(SEED)
    d_shift, s, n = 0.5, 2.0, 3000
    e = pd.DataFrame({"v": rng.normal(d_shift, s, n)})
    c = pd.DataFrame({"v": rng.normal(0.0, s, n)})
    result = win_statistics(e, c, [("v", "higher", 0.0)])
    z = d_shift / (s * math.sqrt(2))
    a = stats.norm.cdf(z)
    q = stats.multivariate_normal([0, 0], [[1, 0.5], [0.5, 1]]).cdf([z, z])
    se = _u_statistic_se(a, q, q, n, n)
    assert abs(result.p_win - a) < 4 * se
    assert result.p_tie == 0.0


def test_margin_on_normal_outcomes() -> None:
    # With margin delta: P(win) = P(X - Y > delta) = Phi((D - delta) / (s sqrt 2)),
    # P(loss) = Phi((-D - delta) / (s sqrt 2)). Tolerance: 4 SEs of the U-statistic, with
    # its variance bounded by p(1-p)(1/n + 1/m) (each projection variance is at most
    # p(1-p)), so a false failure is rarer than 1 in 10^4.
    rng = np.random.default_rng(SEED + 1)
    d_shift, s, delta, n = 0.4, 1.0, 0.3, 2500
    e = pd.DataFrame({"v": rng.normal(d_shift, s, n)})
    c = pd.DataFrame({"v": rng.normal(0.0, s, n)})
    result = win_statistics(e, c, [("v", "higher", delta)])
    scale = s * math.sqrt(2)
    p_win = stats.norm.cdf((d_shift - delta) / scale)
    p_loss = stats.norm.cdf((-d_shift - delta) / scale)
    for observed, p in ((result.p_win, p_win), (result.p_loss, p_loss)):
        assert abs(observed - p) < 4 * _u_statistic_bound(p, n, n)


def test_death_first_then_continuous() -> None:
    # Deaths by 54 months with probability pe, pc, death times uniform on (0, 54) in both
    # arms; survivors compared on a normal outcome. Closed form:
    # P(win) = (1-pe)(1-pc) Phi(D/(s sqrt 2)) + (1-pe) pc + pe pc / 2.
    rng = np.random.default_rng(SEED + 2)
    n, pe, pc, d_shift, s = 3000, 0.15, 0.30, 0.5, 1.0

    def arm(p_death: float, shift: float) -> pd.DataFrame:
        dead = rng.random(n) < p_death
        death = np.where(dead, rng.uniform(0, 54, n), 54.0)
        value = np.where(dead, np.nan, rng.normal(shift, s, n))
        return pd.DataFrame({"death": death, "fvc": value})

    result = win_statistics(
        arm(pe, d_shift), arm(pc, 0.0), [("death", "higher", 0.0), ("fvc", "higher", 0.0)]
    )
    phi = stats.norm.cdf(d_shift / (s * math.sqrt(2)))
    expected_win = (1 - pe) * (1 - pc) * phi + (1 - pe) * pc + pe * pc / 2
    expected_loss = (1 - pe) * (1 - pc) * (1 - phi) + pe * (1 - pc) + pe * pc / 2
    # Tolerance: 4 SEs, bounded as in test_margin_on_normal_outcomes.
    assert abs(result.p_win - expected_win) < 4 * _u_statistic_bound(expected_win, n, n)
    assert abs(result.p_loss - expected_loss) < 4 * _u_statistic_bound(expected_loss, n, n)
    # The death level decides the pairs with at least one death.
    by_level = result.by_level()
    decided = 1 - (1 - pe) * (1 - pc)
    observed = 1 - by_level.loc["death", "p_undecided_after"]
    assert abs(observed - decided) < 4 * _u_statistic_bound(decided, n, n)


# -- bad input ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("hierarchy", "match"),
    [
        ([], "no levels"),
        ("v", "sequence"),
        ([("v", "better", 0.0)], "direction"),
        ([("v", "higher", -1.0)], "margin"),
        ([("v", "higher", float("nan"))], "margin"),
        ([("v", "higher")], "column, 'lower' | 'higher', margin"),
        ([("v", "higher", 0.0), ("v", "lower", 0.0)], "twice"),
        ([("w", "higher", 0.0)], "no column 'w'"),
    ],
)
def test_bad_hierarchy_is_rejected(hierarchy, match) -> None:
    frame = pd.DataFrame({"v": [1.0, 2.0]})
    with pytest.raises(EvidenceError, match=match):
        win_statistics(frame, frame, hierarchy)


def test_bad_frames_are_rejected() -> None:
    good = pd.DataFrame({"v": [1.0]})
    with pytest.raises(EvidenceError, match="no patients"):
        win_statistics(good.iloc[:0], good, [("v", "higher", 0.0)])
    with pytest.raises(EvidenceError, match="numeric"):
        win_statistics(pd.DataFrame({"v": ["a"]}), good, [("v", "higher", 0.0)])
    with pytest.raises(EvidenceError, match="DataFrame"):
        win_statistics({"v": [1.0]}, good, [("v", "higher", 0.0)])  # type: ignore[arg-type]
    with pytest.raises(EvidenceError, match="draws"):
        win_statistics_draws(np.zeros((2, 3, 1)), np.zeros((3, 3, 1)), [("v", "higher", 0.0)])
    with pytest.raises(EvidenceError, match="shape"):
        win_statistics_draws(np.zeros((3, 1)), np.zeros((3, 1)), [("v", "higher", 0.0)])


def test_result_checks_its_shapes() -> None:
    with pytest.raises(ValueError, match="one entry per level"):
        WinStatistics(levels=("a",), wins=np.zeros(2), losses=np.zeros(2),
                      n_experimental=1, n_control=1)


def test_compiling_the_kernel_early_compiles_the_specialisation_counts_use() -> None:
    """``compile_kernel`` leaves the one specialisation a real count needs: counting
    afterwards (NaN levels, a margin, several draws) compiles nothing new."""
    kernel.compile_kernel()
    rng = np.random.default_rng(3)  # simulated patients, not trial data
    x = rng.normal(size=(3, 5, 2))
    x[0, 1, 1] = np.nan
    kernel.count_pairs(x, rng.normal(size=(3, 4, 2)), np.array([0.0, 0.5]))
    assert len(kernel._count_draws.signatures) == 1
