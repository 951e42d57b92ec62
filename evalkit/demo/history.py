"""Demo rules of the history analysis (temporary shim: the hook still lives in the analysis)."""

import evalkit.analysis.history  # noqa: F401
