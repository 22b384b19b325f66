"""Simulation-based calibration on the conjugate normal model, where posteriors are exact.

The conjugate model needs no sampler, so these tests check the rank machinery itself:
ranks of a correct computation are uniform (the verdict passes), and a study whose data
are simulated under a different prior than the one fitted is flagged.
"""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.figure import Figure

from bayes_scot.calibration import (
    ecdf_band,
    normal_normal_sbc,
    rank_statistics,
    thin_draws,
    uniformity,
    uniformity_table,
)
from bayes_scot.calibration.figures import plot_ecdf_difference

# A skeptical prior on a log hazard ratio and the SE of a trial with about 60 events.
PRIOR = (0.0, 0.355)
SE = 0.26


def test_ranks_count_draws_below_the_truth() -> None:
    draws = np.array([[[0.1], [0.5], [0.9]], [[-1.0], [-2.0], [-3.0]]])
    assert rank_statistics(np.array([[0.6], [0.0]]), draws).tolist() == [[2], [3]]


def test_ranks_check_shapes() -> None:
    with pytest.raises(ValueError, match="do not match"):
        rank_statistics(np.zeros(3), np.zeros((4, 10)))


def test_thinning_keeps_evenly_spaced_draws() -> None:
    draws = np.arange(20.0).reshape(1, 20)
    assert thin_draws(draws, 5)[0].tolist() == [0.0, 5.0, 10.0, 14.0, 19.0]


def test_band_has_its_simultaneous_coverage() -> None:
    # The band is built so that uniform ranks leave it with probability alpha; check on
    # fresh uniform samples (500 of them: the share's Monte Carlo SD is about 0.01, so
    # 0.05 +/- 0.035 is a 3.5-SD window).
    band = ecdf_band(100, 99)
    rng = np.random.default_rng(7)
    rejected = np.mean(
        [not uniformity(rng.integers(0, 100, 100), 99).calibrated for _ in range(500)]
    )
    assert abs(rejected - 0.05) < 0.035
    assert 0 < band.gamma < 0.05  # a simultaneous band is wider than a pointwise one
    assert np.all(band.lower <= band.z)
    assert np.all(band.upper >= band.z)


def test_sbc_of_the_conjugate_model_passes() -> None:
    truth, draws = normal_normal_sbc(*PRIOR, SE, simulations=400, draws=99, seed=1)
    result = uniformity(rank_statistics(truth, draws), 99, quantity="log_hr")
    # Seed fixed: the verdict is reproducible; with exact posteriors the p-value is a
    # uniform draw, and this seed's is not in the 5% rejection region.
    assert result.calibrated
    assert result.p_value > 0.05


@pytest.mark.parametrize(
    "data_prior",
    [(0.4, 0.355), (0.0, 0.9), (0.0, 0.1)],
    ids=["shifted", "wider", "narrower"],
)
def test_sbc_flags_data_simulated_under_another_prior(data_prior: tuple[float, float]) -> None:
    # Truth from a shifted, a wider or a narrower prior than the one fitted: a bias, a
    # frown and a smile in the ranks; each departure is large enough that 400
    # simulations detect it far beyond the 5% level (p-values below 0.001 at this seed).
    truth, draws = normal_normal_sbc(
        *PRIOR, SE, simulations=400, draws=99, seed=1, data_prior=data_prior
    )
    result = uniformity(rank_statistics(truth, draws), 99, quantity="log_hr")
    assert not result.calibrated
    assert result.p_value < 0.01


def test_uniformity_table_and_figure() -> None:
    truth, draws = normal_normal_sbc(*PRIOR, SE, simulations=100, draws=49, seed=3)
    good = uniformity(rank_statistics(truth, draws), 49, quantity="fitted prior")
    truth, draws = normal_normal_sbc(
        *PRIOR, SE, simulations=100, draws=49, seed=3, data_prior=(0.8, 0.355)
    )
    bad = uniformity(rank_statistics(truth, draws), 49, quantity="other prior")
    table = uniformity_table([good, bad])
    assert table["verdict"].tolist() == ["calibrated", "miscalibrated"]
    fig = plot_ecdf_difference([good, bad])
    assert isinstance(fig, Figure)
    assert len(fig.axes) == 2
    assert fig.axes[1].get_title() == "other prior: miscalibrated"


def test_uniformity_rejects_ranks_out_of_range() -> None:
    with pytest.raises(ValueError, match="must lie in"):
        uniformity(np.array([0, 5, 11]), 10)
