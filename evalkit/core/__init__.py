"""Core: errors, registries, atomic writes, labels and figure primitives.

Nothing in core imports another evalkit layer.
"""
