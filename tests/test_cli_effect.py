"""``bayes-scot effect``."""

from __future__ import annotations

import io
import json

import pandas as pd
import pytest

from bayes_scot.cli import main
from bayes_scot.stats.normal_normal import reanalyse_effect
from bayes_scot.stats.priors import DEFAULT_GRID_NAMES

ASTIS_EFS = ["--hr", "0.34", "--lower", "0.16", "--upper", "0.74"]


def test_table_output(capsys):
    assert main(["effect", *ASTIS_EFS, "--mcid", "0.8"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("HR: log HR -1.079, SE 0.3907 (from the 95% confidence interval)")
    assert "MCID 0.8" in out[0]
    assert out[1].split() == ["prior", "distribution", "median", "lower", "upper",
                              "p_benefit", "prior_p_benefit", "p_mcid", "prior_p_mcid",
                              "p_harm"]
    assert [line.split()[0] for line in out[2:-1]] == list(DEFAULT_GRID_NAMES)
    # Each prior's distribution on the log HR, so a name is never read as another grid's.
    assert out[2].split()[1:3] == ["N(0,", "10)"]
    assert out[-1].startswith("Priors: normal on the log HR (mean, SD)")


def test_csv_output_matches_the_library(capsys):
    assert main(["effect", *ASTIS_EFS, "--format", "csv"]) == 0
    table = pd.read_csv(io.StringIO(capsys.readouterr().out))
    expected = reanalyse_effect(0.34, 0.16, 0.74)
    assert list(table["prior"]) == list(expected["prior"])
    pd.testing.assert_series_equal(table["median"], expected["median"], rtol=1e-12)


def test_json_output_with_a_p_value(capsys):
    assert main(["effect", "--hr", "0.34", "--p-value", "0.006", "--format", "json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["likelihood"]["se_source"] == "p_value"
    assert payload["likelihood"]["mcid"] is None
    assert payload["priors"][0]["p_mcid"] is None  # NaN becomes null, valid JSON
    assert len(payload["priors"]) == 13


def test_a_p_value_beside_the_interval_is_a_check_and_the_interval_is_used(capsys):
    # HR 0.62 (0.40 to 0.97) implies P = 0.034: P = 0.04 agrees, as in reanalyse_effect.
    interval = ["effect", "--hr", "0.62", "--lower", "0.40", "--upper", "0.97",
                "--format", "json"]
    assert main(interval) == 0
    alone = json.loads(capsys.readouterr().out)
    assert main([*interval, "--p-value", "0.04"]) == 0
    checked = json.loads(capsys.readouterr().out)
    assert checked["likelihood"]["se_source"] == "ci"
    assert checked == alone


def test_a_p_value_beside_the_se_is_a_check_and_the_se_is_used(capsys):
    # HR 0.62 with SE 0.2 on the log scale implies P = 0.017: P = 0.02 agrees.
    se = ["effect", "--hr", "0.62", "--se", "0.2", "--format", "json"]
    assert main(se) == 0
    alone = json.loads(capsys.readouterr().out)
    assert main([*se, "--p-value", "0.02"]) == 0
    checked = json.loads(capsys.readouterr().out)
    assert checked["likelihood"]["se_source"] == "se"
    assert checked == alone


def test_user_priors_and_mean_difference(capsys):
    assert main(["effect", *ASTIS_EFS, "--prior", "flat=0,10", "--prior", "sk=0,0.2"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines[2:-1]] == ["flat", "sk"]
    assert main(["effect", "--md", "-0.57", "--se", "0.13", "--benefit", "lower",
                 "--mcid", "0.14", "--format", "csv"]) == 0
    table = pd.read_csv(io.StringIO(capsys.readouterr().out))
    assert table.loc[0, "p_benefit"] > 0.99


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--hr", "0.34", "--lower", "0.74", "--upper", "0.16"], "exceeds upper"),
        (["--hr", "0.34"], "confidence interval, a standard error or a p-value"),
        (["--hr", "0.34", "--p-value", "1.5"], "p-value"),
        (["--md", "-0.5", "--se", "0.2"], "benefit"),
        # Beside an interval, a p-value or SE is a check, refused when it disagrees.
        (["--hr", "0.62", "--lower", "0.40", "--upper", "0.97", "--p-value", "0.5"],
         "field 'p_value': 0.5 contradicts the interval"),
        (["--hr", "0.62", "--lower", "0.40", "--upper", "0.97", "--se", "0.5"],
         "field 'se': 0.5 disagrees"),
        # Beside an SE, a p-value is the same check against that SE (HR 0.62 with SE 0.2
        # implies P = 0.017).
        (["--hr", "0.62", "--se", "0.2", "--p-value", "0.5"],
         "field 'p_value': 0.5 contradicts the log-scale SE 0.2"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(capsys, argv, message):
    assert main(["effect", *argv]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert err.count("\n") == 1
    assert "Traceback" not in err


def test_malformed_prior_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as info:
        main(["effect", "--hr", "0.34", "--prior", "bad"])
    assert info.value.code == 2
    assert "NAME=MEAN,SD" in capsys.readouterr().err
