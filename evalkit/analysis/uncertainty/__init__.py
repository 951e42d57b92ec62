"""Uncertainty and sensitivity of rankings to weights, schemes, treatment, normalisation,
aggregation — and rank statements a unit can trust.

Researchers ask whether a ranking survives another defensible choice. This package answers
with a Monte Carlo over the uncertain choices, batched over replications and streamed in
blocks, with simultaneous rank sets (all units' ranges hold together), and with Sobol
indices (SALib) of each choice.

The model (Saisana, Saltelli & Tarantola 2005, "Uncertainty and sensitivity analysis
techniques as tools for the quality assessment of composite indicators", JRSS A 168(2);
OECD/JRC Handbook on Constructing Composite Indicators 2008, §7; COINr's
``get_sensitivity``)::

    office_u(r) = the scorecard tree aggregated bottom-up with the weights w(r), over the
                  scores of replication r's treatment × normalisation × missing variant
                  (every node by its own method, or by replication r's aggregation)
    total_u(r)  = offset_u + scale_u · office_u(r)

``w(r)`` is drawn around the nominal weights on the simplex of each set of siblings
(:mod:`~evalkit.analysis.uncertainty.sampling`: Dirichlet or COINr's percent noise, at any
levels of the tree). ``offset`` and ``scale`` carry the rest of the evaluation (other
sources' contributions, bonus − deductions; the office source's effective weight), so ranks
and grades are those of the published total, by the evaluation's own rules
(:func:`evalkit.aggregation.grades.rank_within`, :func:`evalkit.aggregation.grades.grade_matrix`).

Modules
-------
- :mod:`.problem` — :class:`UncertaintyProblem` (scores and their variants, tree, nominal
  weights, the rest of the total; canonical order);
- :mod:`.sampling` — :func:`sample_weights`, :func:`sample_local_weights`, :func:`block_rng`;
- :mod:`.coefficients` — :class:`~.coefficients.Coefficients`, the global coefficients of
  the nodes for R weight vectors (shared by every score option and aggregation);
- :mod:`.batch` — :func:`aggregate_batch` (the tree for R weight vectors, reusing the
  aggregation registry), :func:`totals_batch`, :func:`ranks_within`;
- :mod:`.ranksets` — streamed rank histograms, :func:`joint_rank_sets` (Besag et al. 1995),
  :func:`median_bands`;
- :mod:`.montecarlo` — :func:`monte_carlo` → :class:`MonteCarloResult`;
- :mod:`.variants` — the (score option, aggregation) pairs that cannot be computed, named
  before the replications;
- :mod:`.design` — the score factors of a spec's ``uncertainty`` section;
- :mod:`.sobol` — :func:`sobol_indices`;
- :mod:`.effects` — :func:`main_effects`, :func:`optimise_weights`;
- :mod:`.pipeline` — :func:`problems_from_pipeline`, :func:`rank_intervals`,
  :func:`sensitivity`, :func:`normalisation_options`;
- :mod:`.report` — :func:`unit_rank_interval`, :func:`report_section`.

Examples
--------
>>> import numpy as np, pandas as pd
>>> s = pd.DataFrame({"a": [10., 80., 50.], "b": [90., 20., 60.]}, index=["x", "y", "z"])
>>> p = UncertaintyProblem.from_weights(s, pd.Series({"a": .5, "b": .5}))
>>> mc = monte_carlo(p, 500, concentration=20)
>>> mc.summary[["unit_id", "nominal_total", "nominal_rank"]].values.tolist()
[['x', 50.0, 2], ['y', 50.0, 2], ['z', 55.0, 1]]
"""

from evalkit.analysis.uncertainty.batch import (
    NOMINAL,
    aggregate_batch,
    composite_batch,
    nominal_composite,
    ranks_within,
    totals_batch,
    totals_local,
)
from evalkit.analysis.uncertainty.design import Design, design_from_settings
from evalkit.analysis.uncertainty.effects import main_effects, optimise_weights
from evalkit.analysis.uncertainty.montecarlo import MonteCarloResult, grades_batch, monte_carlo
from evalkit.analysis.uncertainty.pipeline import (
    MC_SETTINGS,
    attach_score_variants,
    normalisation_options,
    problems_from_pipeline,
    rank_intervals,
    sensitivity,
)
from evalkit.analysis.uncertainty.problem import UncertaintyProblem, local_from_global, variant_key
from evalkit.analysis.uncertainty.ranksets import joint_coverage, joint_rank_sets, median_bands
from evalkit.analysis.uncertainty.report import report_section, unit_rank_interval
from evalkit.analysis.uncertainty.sampling import block_rng, sample_local_weights, sample_weights
from evalkit.analysis.uncertainty.sobol import sobol_indices

__all__ = [
    "MC_SETTINGS", "NOMINAL", "Design", "MonteCarloResult", "UncertaintyProblem",
    "aggregate_batch", "attach_score_variants", "block_rng", "composite_batch",
    "design_from_settings", "grades_batch", "joint_coverage", "joint_rank_sets",
    "local_from_global", "main_effects", "median_bands", "monte_carlo", "nominal_composite",
    "normalisation_options", "optimise_weights", "problems_from_pipeline", "rank_intervals",
    "ranks_within", "report_section", "sample_local_weights", "sample_weights", "sensitivity",
    "sobol_indices", "totals_batch", "totals_local", "unit_rank_interval", "variant_key",
]
