"""Figures: each function returns a Figure with the expected panels, lines and labels.

All inputs here are SIMULATED (made-up tables and draws of the right shape); no number
below is trial data. The Agg backend is forced so the tests run headless.
"""

from __future__ import annotations

from types import SimpleNamespace

import matplotlib
import matplotlib.text

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_hex
from matplotlib.figure import Figure

from bayes_scot import plots
from bayes_scot.conventions import CREDIBLE_LEVEL

PRIORS = ["reference", "skeptical_moderate", "optimistic_weak"]
LEVEL_TEXT = f"{CREDIBLE_LEVEL:.0%}"


@pytest.fixture
def table() -> pd.DataFrame:
    """A SIMULATED superiority table: two estimands on different scales x three priors."""
    rows = []
    for endpoint, estimand, label, median, half in (
        ("efs", "survival_difference_54", "EFS at 54 months, HSCT minus CYC", 0.15, 0.12),
        ("os", "hazard_ratio_12_24", "OS hazard ratio, 12-24 months", 0.7, 0.3),
    ):
        for k, prior in enumerate(PRIORS):
            rows.append({
                "endpoint": endpoint, "estimand": estimand, "prior": prior,
                "median": median + 0.01 * k, "lower": median - half, "upper": median + half,
                "p_superior": 0.80 + 0.05 * k, "p_mcid": 0.5, "label": label,
                "flagged": prior == "optimistic_weak" and endpoint == "os",
            })
    return pd.DataFrame(rows)


@pytest.fixture
def curves() -> pd.DataFrame:
    """SIMULATED posterior S(t) summaries: exponential curves with a multiplicative band."""
    times = np.linspace(0.0, 72.0, 25)
    rows = []
    for endpoint, rate in (("efs", 0.010), ("os", 0.006)):
        for arm, ratio in (("hsct", 0.6), ("cyc", 1.0)):
            s = np.exp(-rate * ratio * times)
            rows += [{"arm": arm, "endpoint": endpoint, "time_months": t, "median": v,
                      "lower": v**1.3, "upper": v**0.8} for t, v in zip(times, s, strict=True)]
    return pd.DataFrame(rows)


@pytest.fixture
def published() -> pd.DataFrame:
    """SIMULATED rows in the layout of Trial.to_frame()."""
    base = {"population": "itt", "source": "simulated", "tag": "reported"}
    rows = [
        {"kind": "landmark_events", "id": "e54", "endpoint": "efs", "arm": "hsct",
         "time_months": 54.0, "statistic": "events", "value": 9.0},
        {"kind": "landmark_events", "id": "e54", "endpoint": "efs", "arm": "hsct",
         "time_months": 54.0, "statistic": "n", "value": 36.0},
        {"kind": "landmark_events", "id": "e54", "endpoint": "efs", "arm": "cyc",
         "time_months": 54.0, "statistic": "events", "value": 18.0},
        {"kind": "landmark_events", "id": "e54", "endpoint": "efs", "arm": "cyc",
         "time_months": 54.0, "statistic": "n", "value": 40.0},
        {"kind": "landmark_events", "id": "e54", "endpoint": "efs", "arm": None,
         "time_months": 54.0, "statistic": "p_value", "value": 0.05},
        {"kind": "survival_estimates", "id": "s72", "endpoint": "os", "arm": "hsct",
         "time_months": 72.0, "statistic": "survival", "value": 0.8},
        {"kind": "survival_estimates", "id": "s72", "endpoint": "os", "arm": "cyc",
         "time_months": 72.0, "statistic": "survival", "value": 0.6},
        {"kind": "visit_summaries", "id": "v12", "endpoint": "haq_di", "arm": "hsct",
         "time_months": 12.0, "statistic": "change", "value": -0.5},
        {"kind": "visit_summaries", "id": "v12", "endpoint": "haq_di", "arm": "hsct",
         "time_months": 12.0, "statistic": "sd", "value": 0.6},
    ]
    return pd.DataFrame([{**base, **r} for r in rows])


@pytest.fixture
def trajectories() -> pd.DataFrame:
    """SIMULATED change-from-baseline trajectories for two endpoints."""
    rows = []
    for endpoint, slope in (("haq_di", -0.01), ("fvc", 0.05)):
        for arm, factor in (("hsct", 1.0), ("cyc", 0.2)):
            for t in (0.0, 12.0, 24.0, 54.0):
                m = slope * factor * t
                rows.append({"endpoint": endpoint, "arm": arm, "time_months": t, "median": m,
                             "lower": m - 0.3, "upper": m + 0.3, "statistic": "change"})
    return pd.DataFrame(rows)


def _texts(fig: Figure) -> list[str]:
    return [t.get_text() for t in fig.findobj(matplotlib.text.Text)]


def _legend_labels(fig: Figure) -> list[str]:
    return [t.get_text() for legend in fig.legends for t in legend.get_texts()] + [
        t.get_text() for ax in fig.axes if ax.get_legend() for t in ax.get_legend().get_texts()
    ]


# -- forest plot -------------------------------------------------------------------------
def test_superiority_has_one_panel_per_estimand_and_one_row_per_prior(table):
    fig = plots.plot_superiority(table)
    assert isinstance(fig, Figure)
    assert len(fig.axes) == 2
    assert [ax.get_title(loc="left") for ax in fig.axes] == [
        "EFS at 54 months, HSCT minus CYC", "OS hazard ratio, 12-24 months"]
    for ax in fig.axes:
        # Priors read top to bottom in table order.
        ticks = sorted(zip(ax.get_yticks(), [t.get_text() for t in ax.get_yticklabels()],
                           strict=True), reverse=True)
        assert [name for _, name in ticks] == PRIORS


def test_superiority_annotates_p_superior_and_flags(table):
    fig = plots.plot_superiority(table)
    texts = _texts(fig)
    assert {"0.80", "0.85"} <= set(texts)
    assert "0.90 †" in texts  # the flagged OS row under the optimistic prior
    assert "0.90" in texts  # the unflagged EFS row with the same probability
    assert any("diagnostics gate" in label for label in _legend_labels(fig))
    assert any(LEVEL_TEXT in t for t in texts)


def test_superiority_uses_a_log_axis_and_null_one_for_ratios(table):
    fig = plots.plot_superiority(table)
    efs, os_ = fig.axes
    assert efs.get_xscale() == "linear"
    assert os_.get_xscale() == "log"
    null_lines = [line for line in os_.get_lines() if line.get_linestyle() == "--"]
    assert null_lines[0].get_xdata()[0] == pytest.approx(1.0)


def test_superiority_selects_and_orders_priors(table):
    fig = plots.plot_superiority(table, priors=["optimistic_weak", "reference"],
                                 estimands=["survival_difference_54"])
    (ax,) = fig.axes
    ticks = sorted(zip(ax.get_yticks(), [t.get_text() for t in ax.get_yticklabels()],
                       strict=True), reverse=True)
    assert [name for _, name in ticks] == ["optimistic_weak", "reference"]


def test_superiority_colours_by_prior_family(table):
    fig = plots.plot_superiority(table, estimands=["survival_difference_54"])
    colours = {to_hex(line.get_color()) for line in fig.axes[0].get_lines()}
    assert to_hex(plots.PRIOR_FAMILY_COLOURS["skeptical"]) in colours
    assert to_hex(plots.PRIOR_FAMILY_COLOURS["optimistic"]) in colours


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda t: t.drop(columns="p_superior"), "missing the column"),
        (lambda t: pd.concat([t, t.iloc[[0]]]), "more than one row"),
        (lambda t: t.assign(lower=t["median"] + 1), "must contain the median"),
        (lambda t: t.assign(p_superior=1.5), r"\[0, 1\]"),
        (lambda t: t.assign(median=np.nan), "numeric and complete"),
        (lambda t: t.iloc[0:0], "no rows to plot"),
    ],
)
def test_superiority_rejects_bad_tables(table, change, message):
    with pytest.raises(ValueError, match=message):
        plots.plot_superiority(change(table))


def test_superiority_rejects_unknown_prior_and_non_frames(table):
    with pytest.raises(ValueError, match=r"'flat'.*available: reference"):
        plots.plot_superiority(table, priors=["flat"])
    with pytest.raises(TypeError, match="DataFrame"):
        plots.plot_superiority(table.to_dict("records"))


# -- prior sensitivity -------------------------------------------------------------------
def test_prior_sensitivity_heat_map_holds_the_probabilities(table):
    fig = plots.plot_prior_sensitivity(table)
    ax = fig.axes[0]
    (image,) = ax.get_images()
    expected = (table.pivot_table(index="estimand", columns="prior", values="p_superior")
                .loc[["survival_difference_54", "hazard_ratio_12_24"], PRIORS].to_numpy())
    np.testing.assert_allclose(np.asarray(image.get_array()), expected)
    assert image.get_clim() == (0.0, 1.0)
    assert [t.get_text() for t in ax.get_xticklabels()] == PRIORS
    assert "0.90†" in _texts(fig)
    assert len(fig.axes) == 2  # the heat map and its colour bar
    assert fig.axes[1].get_ylabel() == "P(superior)"


def test_prior_sensitivity_selects_estimands(table):
    fig = plots.plot_prior_sensitivity(table, estimands=["hazard_ratio_12_24"])
    (image,) = fig.axes[0].get_images()
    assert np.asarray(image.get_array()).shape == (1, 3)
    with pytest.raises(ValueError, match="no rows with estimand 'rmst'"):
        plots.plot_prior_sensitivity(table, estimands=["rmst"])


def _with_one_arm(table: pd.DataFrame) -> pd.DataFrame:
    """The table with one arm's EFS under each prior: descriptive, no P(superior)."""
    arm = table[table["endpoint"] == "efs"].assign(
        estimand="survival_hsct_54", label="EFS at 54 months, HSCT", median=0.7, lower=0.6,
        upper=0.8, p_superior=np.nan, p_mcid=np.nan)
    return pd.concat([table, arm], ignore_index=True)


def test_p_superior_figures_leave_out_the_rows_of_one_arm(table):
    fig = plots.plot_superiority(_with_one_arm(table))
    assert [ax.get_title(loc="left") for ax in fig.axes] == [
        "EFS at 54 months, HSCT minus CYC", "OS hazard ratio, 12-24 months"]
    fig = plots.plot_prior_sensitivity(_with_one_arm(table))
    (image,) = fig.axes[0].get_images()
    assert np.asarray(image.get_array()).shape == (2, 3)
    headline = _with_one_arm(table).assign(null=0.0, superior="higher", mcid=0.1,
                                           unit="proportion")
    fig = plots.plot_headline(headline, estimands=[("efs", "survival_difference_54")])
    assert fig.axes[0].get_title(loc="left") == "EFS at 54 months, HSCT minus CYC"
    with pytest.raises(ValueError, match="no rows to plot"):
        plots.plot_prior_sensitivity(table.assign(p_superior=np.nan))


# -- survival ------------------------------------------------------------------------------
def _hatched(ax) -> list:
    return [c for c in ax.collections if c.get_hatch() == "///"]


def test_survival_hatches_the_bands_beyond_the_last_datum(curves):
    fig = plots.plot_survival(curves, last_datum={"efs": 54.0, "os": 72.0})
    efs, os_ = fig.axes
    hatched = _hatched(efs)
    assert len(hatched) == 2  # one band per arm
    for band in hatched:
        xs = band.get_paths()[0].vertices[:, 0]
        assert xs.min() == pytest.approx(54.0)
        assert xs.max() == pytest.approx(72.0)
    assert _hatched(os_) == []  # its data reach the end of its curves
    assert plots.survival.EXTRAPOLATED in _legend_labels(fig)
    unmarked = plots.plot_survival(curves)
    assert not any(_hatched(ax) for ax in unmarked.axes)
    assert plots.survival.EXTRAPOLATED not in _legend_labels(unmarked)
    with pytest.raises(ValueError, match="last_datum must be finite"):
        plots.plot_survival(curves, last_datum={"efs": float("nan")})


def test_survival_data_are_kaplan_meier_estimates_landmarks_or_curves(published):
    assert plots.survival.endpoints_with_survival_data(published) == ["efs", "os"]
    ratio = published.iloc[:1].assign(kind="ratios", endpoint="pfs")
    assert plots.survival.endpoints_with_survival_data(ratio) == []
    assert plots.survival.endpoints_with_survival_data(None) == []


def test_survival_draws_each_arm_in_its_colour_with_bands(curves):
    fig = plots.plot_survival(curves)
    assert len(fig.axes) == 2
    assert fig.axes[0].get_title(loc="left").startswith("Event-free survival")
    for ax in fig.axes:
        line_colours = [to_hex(line.get_color()) for line in ax.get_lines()
                        if len(line.get_xdata()) > 1]
        assert line_colours == [plots.ARM_COLOURS["hsct"], plots.ARM_COLOURS["cyc"]]
        assert len(ax.collections) == 2  # one credible band per arm
    labels = _legend_labels(fig)
    assert labels[:2] == ["HSCT", "CYC"]
    assert f"{LEVEL_TEXT} credible band" in labels


def test_arms_are_named_as_the_trial_names_them(curves, published):
    """Legends and numbers at risk follow the labels given; without them, ARM_LABELS."""
    names = {"hsct": "Transplant", "cyc": "Cyclophosphamide"}
    fig = plots.plot_survival(curves, published=published, n={"hsct": 36, "cyc": 39},
                              arm_labels=names)
    assert _legend_labels(fig)[:2] == ["Transplant", "Cyclophosphamide"]
    ticks = [t.get_text() for ax in fig.axes[2:] for t in ax.get_yticklabels()]
    assert set(ticks) == {"Transplant", "Cyclophosphamide"}
    other = curves.replace({"arm": {"hsct": "drug", "cyc": "placebo"}})
    assert _legend_labels(plots.plot_survival(other))[:2] == ["drug", "placebo"]


def test_survival_marks_published_landmarks_as_one_minus_events_over_n(curves, published):
    fig = plots.plot_survival(curves, published=published)
    efs, os_ = fig.axes[:2]  # the curve panels; the tables of numbers at risk follow
    squares = [line for line in efs.get_lines() if line.get_marker() == "s"
               and len(line.get_xdata())]
    values = sorted(float(line.get_ydata()[0]) for line in squares)
    assert values == pytest.approx(sorted([1 - 9 / 36, 1 - 18 / 40]))
    dots = [line for line in os_.get_lines() if line.get_marker() == "o"
            and len(line.get_xdata())]
    assert sorted(float(line.get_ydata()[0]) for line in dots) == pytest.approx([0.6, 0.8])
    labels = _legend_labels(fig)
    assert "published Kaplan-Meier" in labels
    assert "published 1 − events/n" in labels


def test_survival_rejects_percentages_and_missing_columns(curves):
    with pytest.raises(ValueError, match="proportion, not a percentage"):
        plots.plot_survival(curves.assign(median=curves["median"] * 100,
                                          upper=curves["upper"] * 100,
                                          lower=curves["lower"] * 100))
    with pytest.raises(ValueError, match=r"missing the column.*arm"):
        plots.plot_survival(curves.drop(columns="arm"))
    with pytest.raises(ValueError, match=r"missing the column.*statistic"):
        plots.plot_survival(curves, published=pd.DataFrame({"kind": ["x"]}))


# -- trajectories ----------------------------------------------------------------------------
def test_trajectories_one_panel_per_endpoint_with_direction(trajectories, published):
    fig = plots.plot_trajectories(trajectories, published=published, ncols=3)
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert len(visible) == 2
    assert "lower is better" in visible[0].get_title(loc="left")
    assert "higher is better" in visible[1].get_title(loc="left")
    assert visible[0].get_ylabel().startswith("change from baseline")
    diamonds = [line for line in visible[0].get_lines() if line.get_marker() == "D"
                and len(line.get_xdata())]
    assert [float(line.get_ydata()[0]) for line in diamonds] == [-0.5]
    assert "published" in _legend_labels(fig)


def test_trajectories_of_every_continuous_endpoint_stay_inside_the_figure():
    """Each panel's title fits its column (three columns, as in the report), so the
    figure's tight box lies inside it and the report renders it in one draw
    (:func:`bayes_scot.report.png.render_png`)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from bayes_scot.evidence.endpoints import ENDPOINTS

    names = [name for name, e in ENDPOINTS.items() if e.kind == "continuous"]
    rows = [{"endpoint": name, "arm": arm, "time_months": t, "median": 0.0, "lower": -0.3,
             "upper": 0.3, "statistic": "change"}
            for name in names for arm in ("hsct", "cyc") for t in (0.0, 54.0)]
    fig = plots.plot_trajectories(pd.DataFrame(rows), ncols=3)
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    tight = fig.get_tightbbox(canvas.get_renderer())
    width, height = fig.get_size_inches()
    assert len(names) >= 6
    assert tight.x0 >= 0
    assert tight.y0 >= 0
    assert tight.x1 <= width
    assert tight.y1 <= height


def test_trajectories_reject_bad_ncols_and_bands(trajectories):
    with pytest.raises(ValueError, match="ncols"):
        plots.plot_trajectories(trajectories, ncols=0)
    with pytest.raises(ValueError, match="must contain the median"):
        plots.plot_trajectories(trajectories.assign(upper=trajectories["median"] - 1))


# -- prior and posterior -----------------------------------------------------------------------
def test_prior_posterior_shades_the_credible_interval():
    rng = np.random.default_rng(20180104)
    draws = rng.normal(-0.7, 0.25, size=(4, 1000))  # SIMULATED posterior of a log HR
    fig = plots.plot_prior_posterior((0.0, 0.355), draws, label="log hazard ratio",
                                     mcid=np.log(0.8))
    (ax,) = fig.axes
    labels = _legend_labels(fig)
    assert labels == ["prior", "posterior", f"posterior {LEVEL_TEXT} credible interval",
                      "no difference", "MCID"]
    band = ax.collections[1].get_paths()[0].vertices[:, 0]
    alpha = (1 - CREDIBLE_LEVEL) / 2
    lo, hi = np.quantile(draws, [alpha, 1 - alpha])
    grid_step = np.ptp(ax.get_xlim()) / 511
    # The band is drawn on a 512-point grid, so its edges sit within one grid step.
    assert band.min() == pytest.approx(lo, abs=grid_step)
    assert band.max() == pytest.approx(hi, abs=grid_step)
    assert ax.get_xlabel() == "log hazard ratio"


def test_prior_posterior_accepts_normals_and_prior_objects():
    prior = SimpleNamespace(mean=0.0, sd=0.5)  # duck-typed like stats.priors.EffectPrior
    fig = plots.plot_prior_posterior(prior, (-0.4, 0.2), label="log HR", null=None)
    ax = fig.axes[0]
    prior_line, post_line = ax.get_lines()[:2]
    x = prior_line.get_xdata()
    # Closed form: normal densities evaluated on the plotting grid.
    np.testing.assert_allclose(prior_line.get_ydata(),
                               np.exp(-0.5 * (x / 0.5) ** 2) / (0.5 * np.sqrt(2 * np.pi)))
    assert post_line.get_ydata().max() == pytest.approx(1 / (0.2 * np.sqrt(2 * np.pi)),
                                                        rel=1e-3)


@pytest.mark.parametrize(
    ("prior", "posterior", "error", "message"),
    [
        ((0.0, -1.0), [0.1, 0.2], ValueError, "positive sd"),
        ((0.0, 1.0, 2.0), [0.1, 0.2], ValueError, r"\(mean, sd\)"),
        ((0.0, 1.0), [0.1, np.nan, 0.3], ValueError, "non-finite"),
        ((0.0, 1.0), [0.1], ValueError, "at least two draws"),
        ((0.0, 1.0), [0.2, 0.2, 0.2], ValueError, "all equal"),
        ((0.0, 1.0), {"a": 1}, TypeError, "draws"),
    ],
)
def test_prior_posterior_rejects_bad_input(prior, posterior, error, message):
    with pytest.raises(error, match=message):
        plots.plot_prior_posterior(prior, posterior, label="log HR")


def test_prior_posterior_needs_a_label():
    with pytest.raises(TypeError, match="label"):
        plots.plot_prior_posterior((0.0, 1.0), (0.0, 0.5), label="")


# -- shared behaviour ---------------------------------------------------------------------------
def test_figures_never_touch_pyplot(table, curves, trajectories):
    plt.close("all")
    plots.plot_superiority(table)
    plots.plot_prior_sensitivity(table)
    plots.plot_survival(curves)
    plots.plot_trajectories(trajectories)
    plots.plot_prior_posterior((0.0, 1.0), (0.0, 0.5), label="effect")
    plots.plot_win_statistics(_win_statistics(None))
    assert plt.get_fignums() == []


def test_figures_render_with_agg(table, tmp_path):
    path = tmp_path / "forest.png"
    plots.plot_superiority(table).savefig(path, dpi=50)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_arm_colours_are_fixed_and_distinct_for_unknown_arms():
    assert plots.arm_colour("hsct") == plots.ARM_COLOURS["hsct"]
    a = plots.arm_colour("rituximab", arms=["hsct", "rituximab", "placebo"])
    b = plots.arm_colour("placebo", arms=["hsct", "rituximab", "placebo"])
    assert a != b
    assert {a, b}.isdisjoint(plots.ARM_COLOURS.values())


# -- win statistics ---------------------------------------------------------------------------
def _win_statistics(draws: int | None):
    from bayes_scot.stats.win import WinStatistics

    # SIMULATED counts of pairs decided at each level (36 x 39 = 1404 pairs).
    wins = np.array([200.0, 150.0, 120.0])
    losses = np.array([100.0, 80.0, 90.0])
    if draws is not None:
        rng = np.random.default_rng(7)
        wins = rng.poisson(wins, size=(draws, 3)).astype(float)
        losses = rng.poisson(losses, size=(draws, 3)).astype(float)
    return WinStatistics(levels=("death", "efs_event", "fvc"), wins=wins, losses=losses,
                         n_experimental=36, n_control=39)


def test_win_statistics_bars_are_shares_of_all_pairs():
    fig = plots.plot_win_statistics(_win_statistics(None), published={"hsct": 66.6, "cyc": 33.4})
    (ax,) = fig.axes
    assert [t.get_text() for t in ax.get_yticklabels()] == ["death", "efs_event", "fvc", "total"]
    hsct_bars, cyc_bars = ax.containers
    widths = [bar.get_width() for bar in hsct_bars]
    np.testing.assert_allclose(widths, np.array([200, 150, 120, 470]) / 1404)
    np.testing.assert_allclose([bar.get_width() for bar in cyc_bars],
                               -np.array([100, 80, 90, 270]) / 1404)
    assert to_hex(hsct_bars[0].get_facecolor()) == plots.ARM_COLOURS["hsct"]
    diamonds = [line for line in ax.get_lines() if line.get_marker() == "D"]
    assert sorted(float(d.get_xdata()[0]) for d in diamonds) == pytest.approx([-0.334, 0.666])
    # 470 + 270 = 740 of 1404 pairs are decided; 664 (47%) tie at every level.
    assert "tied at every level: 47%" in ax.get_xlabel()


def test_win_statistics_draws_show_credible_intervals():
    fig = plots.plot_win_statistics(_win_statistics(500))
    (ax,) = fig.axes
    assert len(ax.collections) == 2  # one set of interval lines per arm
    assert any(LEVEL_TEXT in label for label in _legend_labels(fig))


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"published": {"placebo": 50.0}}, ValueError, "unknown arm"),
        ({"published": {"hsct": 150.0}}, ValueError, r"\[0, 100\]"),
    ],
)
def test_win_statistics_rejects_bad_published(kwargs, error, message):
    with pytest.raises(error, match=message):
        plots.plot_win_statistics(_win_statistics(None), **kwargs)


def test_win_statistics_rejects_other_objects_and_impossible_counts():
    with pytest.raises(TypeError, match="WinStatistics"):
        plots.plot_win_statistics({"wins": [1]})
    bad = SimpleNamespace(levels=("death",), wins=np.array([2000.0]),
                          losses=np.array([0.0]), n_experimental=36, n_control=39)
    with pytest.raises(ValueError, match="at most the number of pairs"):
        plots.plot_win_statistics(bad)


def test_heat_map_labels_never_overprint_with_long_labels():
    from figure_checks import overlapping_texts

    long = ("Model-based GRCS net benefit at 54 months, HSCT versus CYC; survival and "
            "longitudinal draws paired, taken as independent")
    rows = [{"endpoint": "grcs", "estimand": f"model_{name}_54", "prior": prior,
             "label": f"{long} ({name})", "median": 0.1, "lower": 0.0, "upper": 0.2,
             "p_superior": 0.9}
            for name in ("net_benefit", "win_ratio", "win_odds", "p_win")
            for prior in ("reference", "skeptical_strong", "optimistic_strong")]
    fig = plots.plot_prior_sensitivity(pd.DataFrame(rows))
    assert overlapping_texts(fig) == []


def test_forest_plot_has_mcid_line_favours_sides_and_percentage_points():
    from figure_checks import overlapping_texts

    rows = pd.DataFrame([
        {"endpoint": "efs", "estimand": "survival_difference_54", "prior": p,
         "label": "EFS difference at 54 months", "median": 0.12, "lower": 0.01,
         "upper": 0.25, "p_superior": 0.97, "null": 0.0, "superior": "higher",
         "mcid": 0.1, "unit": "probability"} for p in ("reference", "skeptical_strong")])
    fig = plots.plot_superiority(rows, experimental="HSCT", control="CYC")
    assert overlapping_texts(fig) == []  # draws the figure, so tick labels exist
    texts = {t.get_text() for t in fig.findobj(matplotlib.text.Text)}
    assert {"MCID", "favours HSCT →", "← favours CYC"} <= texts
    ax = fig.axes[0]
    assert ax.get_xlabel() == "difference (percentage points)"
    assert max(np.max(line.get_xdata()) for line in ax.get_lines()) == pytest.approx(25.0)


def test_prior_posterior_on_the_ratio_scale_labels_hazard_ratios():
    fig = plots.plot_prior_posterior((0.0, 1.0), (-0.5, 0.2), label="hazard ratio",
                                     ratio=True)
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert "1" in labels
    assert all(float(x) > 0 for x in labels if x)
    assert np.isclose(ax.get_xticks(), np.log(0.5)).any()


def test_trajectory_bands_beyond_the_scale_are_cut_and_labelled_prior_driven():
    rows = pd.DataFrame([
        {"endpoint": "haq_di", "arm": arm, "time_months": t, "median": 0.0,
         "lower": -3.7, "upper": 3.0, "statistic": "change"}
        for arm in ("hsct", "cyc") for t in (0.0, 12.0, 54.0)])
    fig = plots.plot_trajectories(rows)
    ax = fig.axes[0]
    low, high = ax.get_ylim()
    assert low >= -3.0 - 0.2
    assert high <= 3.0 + 0.2
    assert any("prior-driven" in t.get_text() for t in ax.texts)
    inside = rows.assign(lower=-0.5, upper=0.5)
    assert not any("prior-driven" in t.get_text()
                   for t in plots.plot_trajectories(inside).axes[0].texts)


def test_predictive_check_places_each_number_in_its_interval():
    from figure_checks import overlapping_texts

    rows = pd.DataFrame([
        # inside: halfway between the median and the upper end -> +0.5
        {"endpoint": "efs", "arm": "hsct", "time_months": 54.0, "statistic": "events",
         "published": 12.0, "median": 10.0, "lower": 4.0, "upper": 14.0, "outside": False},
        # outside, below: beyond the lower end by half the lower half-width -> -1.5
        {"endpoint": "haq_di", "arm": None, "time_months": 12.0,
         "statistic": "change_difference", "published": -0.9, "median": -0.3,
         "lower": -0.7, "upper": 0.1, "outside": True},
    ])
    fig = plots.plot_predictive_check(rows)
    ax = fig.axes[0]
    inside, outside = ax.get_lines()[1:3]
    assert list(inside.get_xdata()) == pytest.approx([0.5])
    assert list(outside.get_xdata()) == pytest.approx([-1.5])
    assert overlapping_texts(fig) == []
    with pytest.raises(ValueError, match="no published number has an interval"):
        plots.plot_predictive_check(rows.assign(median=np.nan))


def test_hazard_ratio_over_time_steps_by_interval_on_a_log_axis():
    rows = pd.DataFrame([
        {"endpoint": e, "estimand": f"hazard_ratio_{a}_{b}", "prior": "reference",
         "median": 0.5, "lower": 0.2, "upper": 1.3, "mcid": 0.8, "extrapolated": b > 54}
        for e in ("efs", "os") for a, b in ((0, 3), (3, 12), (12, 54), (54, 72))]
        + [{"endpoint": "efs", "estimand": "hazard_ratio_common", "prior": "reference",
            "median": 0.5, "lower": 0.2, "upper": 1.3, "mcid": 0.8, "extrapolated": False}])
    fig = plots.plot_hazard_ratio_over_time(rows, experimental="HSCT", control="CYC")
    efs = fig.axes[0]
    assert efs.get_yscale() == "log"
    steps = [line for line in efs.get_lines() if to_hex(line.get_color()) == "#0072b2"]
    assert sorted(tuple(float(x) for x in line.get_xdata()) for line in steps) == [
        (0.0, 3.0), (3.0, 12.0), (12.0, 54.0), (54.0, 72.0)]  # the common HR is not a step
    assert any("extrapolated" in t.get_text() for t in fig.legends[0].get_texts())
    with pytest.raises(ValueError, match="no interval hazard ratio"):
        plots.plot_hazard_ratio_over_time(rows, prior="skeptical_strong")


# -- numbers at risk under the survival curves ---------------------------------------------
def _risk_table_rows(values: dict[str, list[int]], times: list[float]) -> pd.DataFrame:
    """SIMULATED risk table of a digitised EFS curve, in the layout of Trial.to_frame()."""
    return pd.DataFrame([
        {"kind": "km_curves", "id": f"km_{arm}", "endpoint": "efs", "arm": arm,
         "time_months": t, "statistic": "n_risk", "value": float(v), "population": "itt",
         "source": "simulated", "tag": "reported"}
        for arm, numbers in values.items() for t, v in zip(times, numbers, strict=True)
    ])


def test_survival_tables_model_implied_numbers_at_risk_at_the_ticks(curves):
    from figure_checks import overlapping_texts

    fig = plots.plot_survival(curves, n={"hsct": 36, "cyc": 39})
    assert len(fig.axes) == 4  # two curve panels, then a table under each
    efs, _os, efs_table, os_table = fig.axes
    ticks = [0.0, 12.0, 24.0, 36.0, 48.0, 60.0, 72.0]
    assert list(efs.get_xticks()) == ticks
    assert "model-implied" in efs_table.get_title(loc="left")
    numbers = {(round(t.get_position()[0]), t.get_position()[1]): t.get_text()
               for t in os_table.texts}
    # The fixture's OS curve is exp(-0.006 * ratio * t) at the ticks (on its time grid):
    # n x S(t) rounded to a whole patient, HSCT on the upper row.
    for t in ticks:
        assert numbers[(t, 1)] == f"{round(36 * np.exp(-0.006 * 0.6 * t)):.0f}"
        assert numbers[(t, 0)] == f"{round(39 * np.exp(-0.006 * t)):.0f}"
    assert overlapping_texts(fig) == []


def test_survival_prefers_the_published_risk_table_and_takes_n_from_the_landmarks(
    curves, published
):
    times = [0.0, 24.0, 48.0, 72.0]
    risk = _risk_table_rows({"hsct": [36, 30, 25, 20], "cyc": [40, 30, 20, 12]}, times)
    fig = plots.plot_survival(curves, published=pd.concat([published, risk]))
    efs, _os, efs_table, os_table = fig.axes
    assert efs_table.get_title(loc="left") == "Number at risk (published risk table)"
    assert list(efs.get_xticks()) == times  # the table's own times
    assert sorted(t.get_text() for t in efs_table.texts) == sorted(
        str(v) for v in (36, 30, 25, 20, 40, 30, 20, 12))
    # OS has no risk table: model-implied, from the landmark counts' n (36 and 40).
    assert "model-implied" in os_table.get_title(loc="left")
    at_zero = sorted(t.get_text() for t in os_table.texts if t.get_position()[0] == 0.0)
    assert at_zero == ["36", "40"]


def test_numbers_at_risk_frame_and_its_checks(curves):
    frame = plots.survival.numbers_at_risk(curves, n={"hsct": 36}, times=[0.0, 54.0])
    assert tuple(frame.columns) == plots.survival.AT_RISK_COLUMNS
    assert set(frame["arm"]) == {"hsct"}  # no n and no risk table for CYC: no numbers
    assert set(frame["source"]) == {plots.survival.MODEL_IMPLIED}
    efs = frame[(frame["endpoint"] == "efs")].set_index("time_months")["number"]
    assert efs[54.0] == round(36 * np.exp(-0.010 * 0.6 * 54.0))
    fig = plots.plot_survival(curves)
    assert len(fig.axes) == 2  # neither a risk table nor n: no table
    with pytest.raises(ValueError, match="n of arm 'cyc' must be a positive whole number"):
        plots.survival.numbers_at_risk(curves, n={"cyc": 0})
    with pytest.raises(ValueError, match="positive"):
        plots.survival.survival_ticks(0.0)
    assert plots.survival.survival_ticks(72.0) == [0, 12, 24, 36, 48, 60, 72]
    assert plots.survival.survival_ticks(18.0) == [0, 3, 6, 9, 12, 15, 18]


def test_dollar_signs_in_trial_labels_are_text_not_formulas(curves):
    """A label from a trial file with "$...$" is drawn as written, never as mathtext.

    "$\\foo$" would stop matplotlib with a parse error, and "$5 to $10" would be set in
    italics as a formula.
    """
    import io

    names = {"hsct": r"Drug $\foo$", "cyc": "Usual care ($5 to $10 a day)"}
    fig = plots.plot_survival(curves, arm_labels=names)
    fig.savefig(io.BytesIO(), format="png")
    texts = list(fig.legends[0].get_texts())
    assert [t.get_text() for t in texts[:2]] == list(names.values())
    assert not any(t.get_parse_math() for t in texts)
