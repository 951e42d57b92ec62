"""Mutual peer rating (互评): schemes, impartial selection, reliability and a bench.

Modules: :mod:`~evalkit.peer.data` (input and ballot validity), :mod:`~evalkit.peer.schemes`
(registry of scoring schemes), :mod:`~evalkit.peer.selection` (top-k and impartial
mechanisms), :mod:`~evalkit.peer.reliability` (ICC, Krippendorff's α, rater diagnostics,
reciprocity), :mod:`~evalkit.peer.simulate` and :mod:`~evalkit.peer.bench` (the scheme
bench), :mod:`~evalkit.peer.source` (the ``peer`` source of ``evaluate``),
:mod:`~evalkit.peer.plots` (charts and the unit-report section).
"""

from evalkit.peer import demo as _demo  # noqa: F401  (registers the demo tables)
from evalkit.peer.plots import PeerSection, bench_chart, report_section
from evalkit.peer.reliability import icc_oneway, kripp_alpha, rater_diagnostics, reciprocity
from evalkit.peer.schemes import SCHEMES, Design, additive_fit, check_design
from evalkit.peer.selection import SELECTIONS, impartiality_violations
from evalkit.peer.source import (  # importing registers the source
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
