"""Mutual peer rating (互评): schemes, impartial selection, reliability and a bench.

Modules, in pipeline order: :mod:`~evalkit.sources.peer.config` (the ``sources.peer`` section
and its checks), :mod:`~evalkit.sources.peer.data` (input and ballot validity),
:mod:`~evalkit.sources.peer.schemes` (one registry of scoring schemes, by family: means,
rater-bias models, pairwise; and the design checks), :mod:`~evalkit.sources.peer.source` (the
``peer`` source of ``evaluate``), :mod:`~evalkit.sources.peer.reliability` (ICC,
Krippendorff's α, rater diagnostics, reciprocity), :mod:`~evalkit.sources.peer.plots` (charts
and the unit-report section). Beside it: :mod:`~evalkit.sources.peer.selection` (top-k and
impartial mechanisms), :mod:`~evalkit.sources.peer.simulate` and
:mod:`~evalkit.sources.peer.bench` (the scheme bench).
"""

from evalkit.sources.peer.plots import PeerSection, bench_chart, report_section
from evalkit.sources.peer.reliability import icc_oneway, kripp_alpha, rater_diagnostics, reciprocity
from evalkit.sources.peer.schemes import SCHEMES, Design, additive_fit, check_design
from evalkit.sources.peer.selection import SELECTIONS, impartiality_violations
from evalkit.sources.peer.source import (  # importing registers the source
    compare_schemes,
    peer_source,
    rank_agreement,
    score_matrix,
)

__all__ = [
    "SCHEMES", "SELECTIONS", "Design", "PeerSection", "additive_fit", "bench_chart",
    "check_design", "compare_schemes", "icc_oneway", "impartiality_violations",
    "kripp_alpha", "peer_source", "rank_agreement", "rater_diagnostics", "reciprocity",
    "report_section", "score_matrix",
]
