"""A digitised curve beside the Kaplan-Meier curve of its reconstructed patients."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from bayes_scot.plots._style import styled

__all__ = ["plot_reconstruction"]


def plot_reconstruction(
    reconstructions: Mapping[str, Any], *, title: str | None = None
) -> Figure:
    """Each digitised curve against the Kaplan-Meier curve of its reconstruction.

    A reconstruction that reproduces its curve poorly (a risk table of another arm or
    population, a mis-digitised axis) shows here as a gap between the two; the largest
    gap, max |dS|, is printed in each panel.

    Parameters
    ----------
    reconstructions : mapping of str to Reconstruction
        Panel label (e.g. the entry id and arm) to
        :class:`~bayes_scot.stats.reconstruction.Reconstruction`.
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ValueError
        Without a reconstruction to draw.

    References
    ----------
    .. [1] Guyot P, Ades AE, Ouwens MJ, Welton NJ. Enhanced secondary analysis of survival
       data: reconstructing the data from published Kaplan-Meier survival curves. BMC Med
       Res Methodol 2012;12:9. doi:10.1186/1471-2288-12-9
    """
    from bayes_scot.stats.kaplan_meier import kaplan_meier

    if not reconstructions:
        raise ValueError("plot_reconstruction: no reconstruction to draw")
    with styled():
        n = len(reconstructions)
        fig = Figure(figsize=(3.4 * min(n, 3), 2.8 * ((n + 2) // 3)), layout="constrained")
        for i, (label, result) in enumerate(reconstructions.items()):
            ax = fig.add_subplot((n + 2) // 3, min(n, 3), i + 1)
            ax.plot(result.curve.times, result.curve.survival, marker="o", markersize=2.5,
                    linestyle="none", color="#000000", label="digitised curve")
            km = kaplan_meier(result.ipd["time"], result.ipd["event"])
            times = np.concatenate([[0.0], km.times])
            ax.step(times, np.concatenate([[1.0], km.survival]), where="post",
                    color="#d55e00", label="Kaplan-Meier of the reconstruction")
            ax.set_ylim(0.0, 1.02)
            ax.set_xlabel("months")
            ax.set_ylabel("survival")
            ax.set_title(f"{label}\nmax |dS| = {result.max_abs_ds:.3f}", loc="left",
                         fontsize=8)
        fig.legend(*fig.axes[0].get_legend_handles_labels(), loc="outside lower center",
                   ncols=2)
        if title:
            fig.suptitle(title)
    return fig
