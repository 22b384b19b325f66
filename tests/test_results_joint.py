"""Joint probabilities of superiority: exact values on constructed draws."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from bayes_scot.results import PriorFit, count_distribution, joint_probabilities
from bayes_scot.stats.estimands import EstimandDraws


@dataclass(frozen=True)
class Diag:
    rhat_max: float = 1.0
    ess_bulk_min: float = 1000.0
    divergences: int = 0


def est(endpoint: str, values: np.ndarray, *, superior: str = "higher",
        mcid: float | None = None) -> EstimandDraws:
    return EstimandDraws(endpoint=endpoint, estimand="d", label=endpoint,
                         draws=values.reshape(2, -1), null=0.0, superior=superior, mcid=mcid)


# Eight joint draws of three estimands; superior (> 0, or < 0 for "c") marked by hand:
#       draw:   1   2   3   4   5   6   7   8
A = np.array([1., 1., 1., 1., -1, -1, 1., 1.])   # superior in 6/8
B = np.array([1., 1., -1, -1, 1., -1, 1., 1.])   # superior in 5/8
C = np.array([-1, -1, -1, 1., 1., 1., 1., -1])   # "lower" is superior: 4/8
# successes per draw: 3 3 2 1 1 0 2 3 -> P(all 3) = 3/8, P(>=2) = 5/8, P(any) = 7/8.


def one_fit(prior: str = "reference") -> PriorFit:
    return PriorFit(family="survival", prior=prior, diagnostics=Diag(), estimands=(
        est("a", A), est("b", B), est("c", C, superior="lower")))


def test_within_one_fit_uses_joint_draws() -> None:
    table = joint_probabilities([one_fit()], ["a:d", "b:d", ("c", "d")])
    assert list(table.event) == ["any", "at_least", "all"]
    assert list(table.probability) == [7 / 8, 5 / 8, 3 / 8]
    assert table.basis.str.startswith("joint posterior draws of the survival fit").all()


def test_an_estimand_without_data_is_named_in_the_basis() -> None:
    import dataclasses

    fit = one_fit()
    no_data = dataclasses.replace(fit.estimands[1], attrs={"no_data": True})
    fit = dataclasses.replace(fit, estimands=(fit.estimands[0], no_data, fit.estimands[2]))
    table = joint_probabilities([fit], ["a:d", "b:d", ("c", "d")])
    assert list(table.probability) == [7 / 8, 5 / 8, 3 / 8]  # the draws are the draws
    assert table.basis.str.contains("no data of their own").all()
    assert table.basis.str.contains("b:d").all()
    assert not table.basis.str.contains("a:d").any()


def test_across_fits_assumes_independence_and_says_so() -> None:
    other = PriorFit(family="longitudinal", prior="reference", diagnostics=Diag(),
                     estimands=(est("c", C, superior="lower"),))
    survival = PriorFit(family="survival", prior="reference", diagnostics=Diag(),
                        estimands=(est("a", A), est("b", B)))
    table = joint_probabilities([survival, other], ["a:d", "b:d", "c:d"])
    # Within survival: counts per draw (a, b) = 2 2 1 1 1 0 2 2 -> pmf (1/8, 3/8, 4/8);
    # c is superior with probability 1/2, independently.
    pmf_ab = np.array([1, 3, 4]) / 8
    pmf = np.convolve(pmf_ab, [0.5, 0.5])
    assert table.probability.tolist() == pytest.approx([pmf[1:].sum(), pmf[2:].sum(), pmf[3]])
    assert table.basis.str.contains("taken as independent").all()


def test_each_prior_separately() -> None:
    table = joint_probabilities([one_fit("reference"), one_fit("skeptical_strong")], ["a:d"])
    assert list(table.prior) == ["reference", "skeptical_strong"]
    assert list(table.event) == ["all", "all"]
    assert table.probability.tolist() == [0.75, 0.75]


def test_mcid_threshold() -> None:
    fit = PriorFit(family="survival", prior="reference", diagnostics=Diag(), estimands=(
        est("a", np.array([0.5, 0.05, 0.3, 0.0, 0.2, 0.2, -0.1, 0.4]), mcid=0.1),))
    table = joint_probabilities([fit], ["a:d"], threshold="mcid")
    assert table.probability.tolist() == [5 / 8]
    with pytest.raises(ValueError, match="no MCID"):
        joint_probabilities([one_fit()], ["a:d"], threshold="mcid")


def test_count_distribution_matches_brute_force() -> None:
    rng = np.random.default_rng(3)
    g1 = rng.random((2, 50)) < 0.6
    g2 = rng.random((1, 40)) < 0.3
    pmf = count_distribution([g1, g2])
    # brute force over all pairs of samples, the definition of independence
    totals = g1.sum(0)[:, None] + g2.sum(0)[None, :]
    brute = np.bincount(totals.ravel(), minlength=4) / totals.size
    assert pmf == pytest.approx(brute, abs=1e-12)


@pytest.mark.parametrize(
    ("keys", "message"),
    [([], "at least one"), (["a:d", "a:d"], "repeat"), (["nope"], "endpoint:estimand"),
     (["z:d"], "no fit")],
)
def test_bad_selections(keys: list[str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        joint_probabilities([one_fit()], keys)
