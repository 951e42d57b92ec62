"""Demo tables of the task ledger (temporary shim: the generator still lives in the source)."""

import evalkit.sources.tasks.ledger  # noqa: F401
