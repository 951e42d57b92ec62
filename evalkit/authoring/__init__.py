"""Authoring an evaluation: from an office's own workbook to a spec that runs.

Modules, bottom to top: :mod:`~evalkit.authoring.catalogue` (an office's indicator catalogue
read as indicators, perspectives, categories and weights), :mod:`~evalkit.authoring.template`
(the data template workbook), :mod:`~evalkit.authoring.schema` (the spec's JSON Schema),
:mod:`~evalkit.authoring.spectext` (the commented spec), :mod:`~evalkit.authoring.init`
(``evalkit init``), :mod:`~evalkit.authoring.preflight` (the summary ``validate`` and
``run`` print before anything is published) and :mod:`~evalkit.authoring.api` (the one-call
Python API behind ``evalkit.run`` and ``evalkit.report``).
"""
