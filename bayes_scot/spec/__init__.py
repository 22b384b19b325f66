"""Analysis specifications: the statistical analysis plan as data.

A specification is a TOML file that says, before any model is run, what the reanalysis
is: which trials and population, which model families with which options, which endpoints
and estimands are reported, the named prior grid and the scale of every prior, MCIDs,
which estimands enter joint probabilities, sampler settings and the seed. The format is
documented in ``docs/spec-format.md``; the shipped specifications (``scot_itt``, the
default, ``scot_pp`` and ``scot_borrowing``) are commented examples of every key.

- :mod:`bayes_scot.spec.records`: the frozen records (:class:`AnalysisSpec` and its
  parts);
- :mod:`bayes_scot.spec.reader`: :func:`load_spec` reads and checks a file strictly: an
  unknown key, a value of the wrong type, a missing trial file or an unknown option
  raises :class:`~bayes_scot.errors.SpecError` naming the file and the key, in one line;
- :mod:`bayes_scot.spec.overrides`: :meth:`AnalysisSpec.with_overrides` returns a
  modified copy (fewer draws, another seed, a subset of the priors, explicit priors given
  for one run) without touching the file.
"""

from bayes_scot.spec import records
from bayes_scot.spec.reader import list_specs, load_spec, spec_path
from bayes_scot.spec.records import *  # noqa: F403 (the records are the package's names)

__all__ = [*records.__all__, "list_specs", "load_spec", "spec_path"]
