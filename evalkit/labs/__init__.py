"""Helpers for the researchers' notebooks (weights lab, survey lab, peer lab)."""
