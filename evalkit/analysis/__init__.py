"""Analyses composed after an evaluation: uncertainty of ranks, history across periods."""
