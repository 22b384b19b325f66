"""The headline estimands of a reanalysis without a ``[joint]`` set: its tipping points and
priors table cover those its report shows first.

The trial is SIMULATED: one overall-survival hazard ratio (0.75, 95% CI 0.60 to 0.94),
so the one-endpoint model reports only ``os:hazard_ratio_common``, whose posterior is the
normal-normal update of the reference prior, and whose tipping SD has a closed form.
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import numpy as np
import pytest
from scipy import stats
from simulated_trial_files import RATIO, trial_header
from test_report_writer import Diag, simulated_reanalysis

from bayes_scot.reanalysis import Reanalysis, reanalyse
from bayes_scot.report.headline import headline_keys
from bayes_scot.results import PriorFit
from bayes_scot.stats.estimands import EstimandDraws

ESTIMATE, LOWER, UPPER = 0.75, 0.60, 0.94


@pytest.fixture(scope="module")
def hazard_ratio_only(tmp_path_factory: pytest.TempPathFactory) -> Reanalysis:
    """The reference fit of the SIMULATED trial, with a specification without [joint]."""
    folder: Path = tmp_path_factory.mktemp("hr_only")
    trial = folder / "trial.toml"
    trial.write_text(trial_header("sim_hr", title="SIMULATED hazard-ratio-only trial")
                     + RATIO.format(endpoint="os", estimate=ESTIMATE, lower=LOWER,
                                    upper=UPPER), encoding="utf-8")
    spec = folder / "spec.toml"
    spec.write_text(f"""
[analysis]
name = "sim_hr_only"
seed = 7
[[trials]]
path = "{trial.as_posix()}"
[priors]
grid = ["reference"]
[sampler]
draws = 1000
tune = 500
chains = 2
[survival]
""", encoding="utf-8")
    return reanalyse(spec, progress=False)


def _closed_form_tipping_sd(threshold: float) -> float:
    """Sceptical SD at which P(HR < 1) of the normal-normal update equals ``threshold``.

    Under N(0, s^2) on the log HR and the trial's estimate y with SE se, the posterior is
    N(y s^2 / (s^2 + se^2), s^2 se^2 / (s^2 + se^2)), so P(HR < 1) = Phi(-y s / (se
    sqrt(s^2 + se^2))); equal to p where s / sqrt(s^2 + se^2) = z_p se / -y.
    """
    y = math.log(ESTIMATE)
    se = (math.log(UPPER) - math.log(LOWER)) / (2 * stats.norm.ppf(0.975))
    ratio = stats.norm.ppf(threshold) * se / -y
    return se * ratio / math.sqrt(1 - ratio**2)


def test_without_joint_the_headline_is_the_hazard_ratio(hazard_ratio_only: Reanalysis) -> None:
    r = hazard_ratio_only
    assert not r.spec.joint.estimands
    assert r.headline_keys() == [("os", "hazard_ratio_common")]
    assert headline_keys(r, r.table()) == r.headline_keys()  # the report's choice


def test_without_joint_the_tipping_sd_is_the_closed_form_within_monte_carlo_error(
    hazard_ratio_only: Reanalysis,
) -> None:
    tipping = hazard_ratio_only.tipping_points()
    assert tipping[["endpoint", "estimand"]].drop_duplicates().to_numpy().tolist() == [
        ["os", "hazard_ratio_common"]]
    assert sorted(tipping["threshold"]) == [0.90, 0.95]
    for row in tipping.itertuples():
        exact = _closed_form_tipping_sd(row.threshold)
        low = row.skeptical_sd_lower if np.isfinite(row.skeptical_sd_lower) else 0.0
        high = row.skeptical_sd_upper if np.isfinite(row.skeptical_sd_upper) else math.inf
        assert np.isfinite(row.skeptical_sd)
        assert low <= exact <= high, (row.threshold, exact, low, high)


def test_without_joint_the_priors_table_implies_the_headline_estimand() -> None:
    """SIMULATED draws of trials that borrow: each prior is stated on the trials' mean,
    and, without a [joint] set, also shown on the headline (the target trial's ratio)."""
    rng = np.random.default_rng(4)
    effect = next(iter(simulated_reanalysis().fits[0].effect_priors.values()))

    def draws(estimand: str, values: np.ndarray, **attrs: object) -> EstimandDraws:
        return EstimandDraws(endpoint="efs", estimand=estimand, label=estimand,
                             draws=values, null=1.0, superior="lower", mcid=0.8,
                             attrs=attrs)

    rows = {"hazard_ratio_common": {"target_effect_of": "log_hr"},
            "hazard_ratio_mean": {"parameter": "log_hr", "across_trials": True}}
    fit = PriorFit(
        family="survival", prior="reference", diagnostics=Diag(1.0, 900, 0),
        estimands=tuple(draws(k, np.exp(rng.normal(-0.5, 0.3, (2, 400))), **a)
                        for k, a in rows.items()),
        prior_estimands=tuple(draws(k, np.exp(rng.normal(0.0, 1.0, (1, 4000))), **a)
                              for k, a in rows.items()),
        effect_priors={"log_hr": effect},
    )
    base = simulated_reanalysis()
    spec = dataclasses.replace(base.spec, joint=dataclasses.replace(base.spec.joint,
                                                                    estimands=()))
    table = Reanalysis(spec=spec, fits=[fit]).priors_table()
    assert table[["estimand", "role"]].to_numpy().tolist() == [
        ["hazard_ratio_mean", "stated"], ["hazard_ratio_common", "implied"]]
    implied = table.iloc[1]
    assert 0.4 < implied["prior_p_superior"] < 0.6  # its prior draws: N(0, 1) on the log HR
