"""The evaluation spec: its schema, how it is parsed, and the scorecard tree.

:func:`from_dict` and :func:`read_yaml` check syntax, schema and structure;
:func:`evalkit.validate.load_spec` adds every method's own checks.
"""

from evalkit.spec.parse import from_dict, read_yaml
from evalkit.spec.schema import Spec
from evalkit.spec.tree import Tree

__all__ = ["Spec", "Tree", "from_dict", "read_yaml"]
