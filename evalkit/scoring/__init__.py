"""Scoring: data treatment, scoring methods, missing-value policies, and ``prepare``.

The scoring rules of Chinese practice (:mod:`evalkit.scoring.practice`) register into the
same ``SCORING`` registry; importing this package registers them.
"""

from evalkit.scoring import practice as _practice  # noqa: F401  (registers its methods)
