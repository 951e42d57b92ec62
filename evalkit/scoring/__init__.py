"""Scoring: data treatment, scoring methods, missing-value policies, and ``prepare``."""
