"""evalkit: rigorous, reproducible performance evaluation of government units."""

__version__ = "0.1.0"
