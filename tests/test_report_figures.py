"""Rendering a report figure to PNG: one draw, cropped as ``savefig(bbox_inches="tight")``.

The figures here are SIMULATED shapes and normal densities; nothing below is trial data.
"""

from __future__ import annotations

import io

import numpy as np
import pytest
from matplotlib.figure import Figure
from PIL import Image

from bayes_scot import plots
from bayes_scot.report.png import DPI, crop, render_png


def _pixels(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGBA")).astype(int)


def _savefig(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, bbox_inches="tight",
                   metadata={"Software": None})
    return buffer.getvalue()


def _constrained() -> Figure:
    return plots.plot_prior_posterior((0.0, 0.355), (-0.9, 0.3), label="log hazard ratio",
                                      ratio=True, title="reference prior")


def _spilling() -> Figure:
    """A text placed right of the axes, past the figure's edge."""
    figure = Figure(figsize=(4.0, 3.0))
    ax = figure.add_subplot()
    ax.plot([0.0, 1.0], [0.0, 1.0])
    ax.text(1.3, 0.5, "beyond the edge", transform=ax.transAxes)
    return figure


def test_crop_cuts_inside_and_fills_outside() -> None:
    pixels = np.arange(4 * 5 * 2).reshape(4, 5, 2)  # 4 rows, 5 columns, 2 channels
    inside = crop(pixels, left=1, bottom=1, width=3, height=2, fill=np.array([-1, -1]))
    # bottom 1 from the lower edge: rows 1..2 counted from the top
    assert np.array_equal(inside, pixels[1:3, 1:4])
    over = crop(pixels, left=-1, bottom=-1, width=7, height=6, fill=np.array([-1, -2]))
    assert over.shape == (6, 7, 2)
    assert np.array_equal(over[1:5, 1:6], pixels)
    for frame in (over[0], over[-1], over[:, 0], over[:, -1]):
        assert np.array_equal(np.unique(frame[..., 1]), [-2])


def test_png_has_the_size_and_picture_of_a_tight_savefig() -> None:
    old = _pixels(_savefig(_constrained()))
    new = _pixels(render_png(_constrained()))
    assert new.shape == old.shape
    # The crop's corner is rounded to a whole pixel, so antialiased edges may move by
    # under half a pixel: most pixels are equal and the rest differ a little on average.
    # A whole-pixel shift or a missing element (a legend row: about 10% of the pixels
    # differ by 255) fails both bounds.
    difference = np.abs(new - old)
    assert (difference.max(axis=-1) > 0).mean() < 0.08
    assert difference.mean() < 4.0


def test_png_redraws_a_figure_that_spills_past_its_edge() -> None:
    """A crop can only show what was drawn inside the figure: such a figure is saved by
    savefig as before, and shows the text past its edge."""
    figure = _spilling()
    width_px = figure.get_size_inches()[0] * DPI
    new = _pixels(render_png(figure))
    assert np.array_equal(new, _pixels(_savefig(_spilling())))
    assert new.shape[1] > width_px


@pytest.mark.parametrize("layout", [None, "constrained"])
def test_png_is_a_png_at_the_report_resolution(layout: str | None) -> None:
    figure = Figure(figsize=(3.0, 2.0), layout=layout)
    figure.add_subplot().plot([0, 1], [1, 0])
    image = Image.open(io.BytesIO(render_png(figure)))
    assert image.format == "PNG"
    assert round(image.info["dpi"][0]) == DPI
    assert "Software" not in image.info
