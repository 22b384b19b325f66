"""The number formats of the report: fixed decimals per quantity, no exponents."""

from __future__ import annotations

import re

import pytest

from bayes_scot.report import numbers

SURVIVAL_DIFF = {"unit": "probability", "null": 0.0, "endpoint": "efs",
                 "estimand": "survival_difference_54"}
SURVIVAL_ARM = {"unit": "probability", "null": float("nan"), "endpoint": "efs",
                "estimand": "survival_hsct_54"}
HAZARD_RATIO = {"unit": "ratio", "null": 1.0, "endpoint": "efs", "estimand": "hazard_ratio_24_54"}
RMST = {"unit": "months", "null": 0.0, "endpoint": "os", "estimand": "rmst_difference_54"}
HAQ = {"unit": "points", "null": 0.0, "endpoint": "haq_di", "estimand": "change_difference_12"}
FVC = {"unit": "% predicted", "null": 0.0, "endpoint": "fvc", "estimand": "change_difference_54"}
NET_BENEFIT = {"unit": "", "null": 0.0, "endpoint": "grcs", "estimand": "net_benefit_54"}
WIN_RATIO = {"unit": "", "null": 1.0, "endpoint": "grcs", "estimand": "win_ratio_54"}


@pytest.mark.parametrize(
    ("value", "row", "expected"),
    [
        (0.1234, SURVIVAL_DIFF, "+12.3 pp"),     # percentage points, not a proportion
        (-0.000689, SURVIVAL_DIFF, "-0.1 pp"),
        (0.0004, SURVIVAL_DIFF, "0.0 pp"),        # no "+0.0" or "-0.0"
        (0.6321, SURVIVAL_ARM, "63.2%"),
        (0.712345, HAZARD_RATIO, "0.71"),
        (5.42e-05, HAZARD_RATIO, "0.00"),         # never "5.42e-05"
        (4.2049, RMST, "+4.2 months"),
        (-0.3456, HAQ, "-0.35 points"),
        (4.47, FVC, "+4.5 % predicted"),
        (0.1204, NET_BENEFIT, "+0.120"),
        (1.8349, WIN_RATIO, "1.83"),
    ],
)
def test_each_quantity_has_its_fixed_decimals(value, row, expected):
    assert numbers.estimate(value, row, unit=True) == expected


def test_values_of_one_row_share_their_decimals():
    # median, limits and MCID of one estimand are written alike, whatever their size
    texts = [numbers.estimate(v, HAZARD_RATIO) for v in (0.5, 0.123456, 1.0, 2.0)]
    assert texts == ["0.50", "0.12", "1.00", "2.00"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [(0.9999, "> 0.999"), (0.99949, "0.999"), (0.0001, "< 0.001"), (0.5, "0.500"),
     (float("nan"), "–"), (None, "–")],
)
def test_probabilities(value, expected):
    assert numbers.probability(value) == expected


@pytest.mark.parametrize(("value", "expected"),
                         [(0.9999, "1.00"), (1.0, "1.00"), (1.0149, "1.01"), (1.2, "1.20")])
def test_rhat_has_two_decimals(value, expected):
    assert numbers.rhat(value) == expected


def test_counts_are_whole_numbers_with_a_thousands_comma():
    assert numbers.count(1502.4) == "1,502"
    assert numbers.count(True) == "yes"


@pytest.mark.parametrize("value", [1e-9, -3.2e-7, 1.5e-5, 123456789.0, 0.000689, 2.5e12])
@pytest.mark.parametrize("row", [SURVIVAL_DIFF, HAZARD_RATIO, RMST, HAQ, NET_BENEFIT])
def test_no_scientific_notation(value, row):
    for text in (numbers.estimate(value, row), numbers.generic(value),
                 numbers.probability(min(abs(value), 1.0))):
        assert not re.search(r"\de[-+]?\d", text), text


def test_numbers_read_together_are_written_alike():
    """A median and its interval share their decimals: never "7 to 23.03"."""
    from bayes_scot.report.numbers import generic_alike

    assert generic_alike([12.5, 7.0, 23.03]) == ["12.50", "7.00", "23.03"]
    assert generic_alike([0.5, 0.25, 1.5]) == ["0.500", "0.250", "1.500"]
    assert generic_alike([12.0, 7.0, 23.0]) == ["12", "7", "23"]
    assert generic_alike([float("nan"), 1.0, 2.5]) == ["–", "1.00", "2.50"]
    assert generic_alike([1234.5, 2.5]) == ["1,234.50", "2.50"]
