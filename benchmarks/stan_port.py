"""What the Stan ports of ``benchmarks/stan/`` share: a patient build and a log-density check.

A port (:mod:`stan_survival`, :mod:`stan_longitudinal`) is a module with
``STAN_PROGRAM`` (the path of its Stan program), ``stan_data(builder, prior)``,
``stan_parameters(point, data)`` and ``free_parameters(builder)``.
:func:`log_density_pairs` evaluates the package's log density and the port's at the same
random points, so a test (``tests/test_bench_stan.py``) and the benchmark itself
(``bench_stan.py``, before it reports a Stan row) can tell whether the port still is the
package's model.

PyStan 3 (``import stan``) is an optional benchmark extra (``pip install .[bench]``),
never a dependency of the package.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
from scipy.special import expit

__all__ = ["as_stan_data", "build", "container_values", "log_density_pairs",
           "package_log_densities", "random_points", "same_up_to_a_constant"]


def build(port: ModuleType, data: dict[str, Any], random_seed: int) -> Any:
    """Build a port's Stan program on ``data`` with PyStan (compiling it on first use).

    httpstan gives the Stan-to-C++ translator one second and PyStan's client waits five
    minutes for the C++ build, which a loaded machine can exceed; this allows the
    translator two minutes and the build as long as it takes.

    Parameters
    ----------
    port : module
        The port (its ``STAN_PROGRAM`` path).
    data : dict
        The port's ``stan_data``.
    random_seed : int

    Returns
    -------
    stan.model.Model
    """
    import aiohttp
    import httpstan.compile
    import stan

    real = httpstan.compile.subprocess
    session = aiohttp.ClientSession

    class _Patient:
        def __getattr__(self, name: str) -> Any:
            return getattr(real, name)

        @staticmethod
        def run(*args: Any, **kwargs: Any) -> Any:
            kwargs["timeout"] = max(kwargs.get("timeout") or 0, 120)
            return real.run(*args, **kwargs)

    def patient_session(*args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("timeout", aiohttp.ClientTimeout(total=None))
        return session(*args, **kwargs)

    httpstan.compile.subprocess = _Patient()  # type: ignore[assignment]
    aiohttp.ClientSession = patient_session  # type: ignore[assignment,misc]
    try:
        program = Path(port.STAN_PROGRAM).read_text(encoding="utf-8")
        return stan.build(program, data=data, random_seed=random_seed)
    finally:
        httpstan.compile.subprocess = real
        aiohttp.ClientSession = session  # type: ignore[misc]


def as_stan_data(data: Mapping[str, Any]) -> dict[str, Any]:
    """``data`` with its arrays as nested lists, as PyStan's JSON wants them."""
    return {k: v.tolist() if isinstance(v, np.ndarray) else v for k, v in data.items()}


def container_values(model: Any, prior: Mapping[str, Any] | None = None
                     ) -> dict[str, np.ndarray]:
    """A PyMC model's data-container values, with ``prior``'s (a ``prior_data``) instead."""
    values = {v.name: np.asarray(v.get_value()) for v in model.data_vars}
    values.update({k: np.asarray(v) for k, v in (prior or {}).items()})
    return values


def random_points(model: Any, n: int, rng: np.random.Generator
                   ) -> list[tuple[dict[str, np.ndarray], dict[str, np.ndarray]]]:
    """``n`` (unconstrained value, constrained value) pairs of a PyMC model's free variables.

    Coordinates are normal with SD 0.7; log-transformed ones are shifted by -1 so that
    scale parameters stay near the scales of their priors.
    """
    initial = model.initial_point()
    points = []
    for _ in range(n):
        point, constrained = {}, {}
        for rv in model.free_RVs:
            name = model.rvs_to_values[rv].name
            draw = rng.normal(0.0, 0.7, size=initial[name].shape)
            if name.endswith("_log__"):
                draw = draw - 1.0
                constrained[rv.name] = np.exp(draw)
            elif name.endswith("_logodds__"):
                constrained[rv.name] = expit(draw)
            elif name != rv.name:
                raise ValueError(f"no Stan counterpart for the transform of {name!r}")
            else:
                constrained[rv.name] = draw
            point[name] = draw
        points.append((point, constrained))
    return points


def log_density_pairs(model: Any, port: ModuleType, data: dict[str, Any], posterior: Any,
                      *, n: int = 8, seed: int = 20180104) -> tuple[np.ndarray, np.ndarray]:
    """Evaluate the package's log density and the port's at the same ``n`` random points.

    Parameters
    ----------
    model : pymc.Model
        The package's model, its data containers set as ``data`` describes.
    port : module
        The port (its ``stan_parameters``).
    data : dict
        The port's ``stan_data`` of the same model.
    posterior : stan.model.Model
        The port built on ``data``.
    n : int, default 8
    seed : int

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        The package's log densities and the port's, both on the unconstrained scale with
        the log Jacobian of the transforms.
    """
    points = random_points(model, n, np.random.default_rng(seed))
    theirs = []
    for _, constrained in points:
        unconstrained = posterior.unconstrain_pars(port.stan_parameters(constrained, data))
        theirs.append(float(posterior.log_prob(unconstrained, adjust_transform=True)))
    return package_log_densities(model, points), np.array(theirs)


def package_log_densities(
    model: Any, points: list[tuple[dict[str, np.ndarray], dict[str, np.ndarray]]]
) -> np.ndarray:
    """The package's log density (unconstrained, with the log Jacobian) at ``points``.

    ``points`` are :func:`random_points`; the model's data containers are read as set.
    """
    logp = model.compile_logp(jacobian=True, mode="FAST_COMPILE")
    return np.array([float(logp(point)) for point, _ in points])


def same_up_to_a_constant(ours: np.ndarray, theirs: np.ndarray) -> bool:
    """Whether two log densities differ by one constant (relative 1e-8, absolute 1e-6).

    Stan drops the normalising constants of ``~`` statements, so the ports' log densities
    are the package's plus a constant; the tolerance allows for the different order of
    the double-precision arithmetic on log densities of order 100.
    """
    return bool(np.allclose(theirs - theirs[0], ours - ours[0], rtol=1e-8, atol=1e-6))
