"""Inputs: reading and checking every table an evaluation reads (the one validation layer)."""
