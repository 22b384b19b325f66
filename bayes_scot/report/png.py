"""A figure rendered to PNG bytes: drawn once, cropped as ``savefig(bbox_inches="tight")``."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["DPI", "Outcome", "crop", "render", "render_png"]

DPI = 110
"""Resolution of the report's figures, dots per inch."""

METADATA: dict[str, Any] = {"Software": None}
"""PNG text chunks: none, not even matplotlib's version, so one run gives the same bytes."""

Outcome = bytes | ValueError | KeyError
"""A figure's PNG bytes, or the error that left it out."""


def render(draw: Callable[[], Any]) -> Outcome:
    """Draw one figure and render it to PNG, or return the error that leaves it out.

    Parameters
    ----------
    draw : callable
        Returns a :class:`matplotlib.figure.Figure`.

    Returns
    -------
    bytes or ValueError or KeyError
        The PNG (:func:`render_png`), or the error a plotting function raises for input
        it cannot draw (an empty selection, a missing column). Any other error
        propagates.
    """
    try:
        figure = draw()
    except (ValueError, KeyError) as err:
        return err
    return render_png(figure)


def render_png(figure: Any) -> bytes:
    """Render ``figure`` to PNG at :data:`DPI`, cropped to its tight bounding box.

    The picture is the one ``figure.savefig(..., bbox_inches="tight")`` writes, drawn
    once instead of twice: with a layout engine, ``savefig`` lays the figure out in one
    draw and renders it in another, and the tight crop moves the origin for the second.
    Here the figure is laid out and rendered in one draw, and the crop (its tight bounding
    box padded by ``savefig.pad_inches``) is cut from the rendered pixels, padded with the
    figure's face colour where it reaches past the figure's edge; the crop's corner is
    rounded to the nearest pixel and its size truncated as ``savefig`` truncates it. A
    figure with an artist past its own edge (which only a redraw can show) is saved by
    ``savefig`` as before.
    """
    import matplotlib as mpl
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.colors import to_rgba

    figure.set_dpi(DPI)
    canvas = FigureCanvasAgg(figure)
    canvas.draw()
    tight = figure.get_tightbbox(canvas.get_renderer())
    width, height = figure.get_size_inches()
    pad = mpl.rcParams["savefig.pad_inches"]
    buffer = io.BytesIO()
    if (tight is None or isinstance(pad, str) or tight.x0 < 0 or tight.y0 < 0
            or tight.x1 > width or tight.y1 > height):
        figure.savefig(buffer, format="png", dpi=DPI, bbox_inches="tight",
                       metadata=METADATA)
        return buffer.getvalue()
    pixels = np.asarray(canvas.buffer_rgba())
    box = tight.padded(float(pad))
    image = crop(pixels, left=round(box.x0 * DPI), bottom=round(box.y0 * DPI),
                  width=int(box.width * DPI + 1e-8), height=int(box.height * DPI + 1e-8),
                  fill=np.round(np.multiply(to_rgba(figure.get_facecolor()), 255)))
    mpl.image.imsave(buffer, image, format="png", origin="upper", dpi=DPI,
                     metadata=METADATA)
    return buffer.getvalue()


def crop(pixels: np.ndarray, *, left: int, bottom: int, width: int, height: int,
          fill: np.ndarray) -> np.ndarray:
    """Cut a box out of an image (rows from the top), filling what lies outside it.

    Parameters
    ----------
    pixels : numpy.ndarray
        Shape ``(row, column, channel)``, the first row at the top.
    left, bottom : int
        Pixel coordinates of the box's lower-left corner, from the image's lower-left
        corner (may be negative).
    width, height : int
        Size of the box in pixels.
    fill : numpy.ndarray
        One value per channel for the part of the box outside the image.

    Returns
    -------
    numpy.ndarray
        Shape ``(height, width, channel)``.
    """
    rows, columns = pixels.shape[:2]
    out = np.empty((height, width, pixels.shape[2]), dtype=pixels.dtype)
    out[...] = fill.astype(pixels.dtype)
    top = rows - (bottom + height)  # the box's first row, counted from the image's top
    r0, r1 = max(top, 0), min(top + height, rows)
    c0, c1 = max(left, 0), min(left + width, columns)
    if r0 < r1 and c0 < c1:
        out[r0 - top:r1 - top, c0 - left:c1 - left] = pixels[r0:r1, c0:c1]
    return out
