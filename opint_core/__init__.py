"""opint core: archive access, loading, clustering, insight, triage store and reports.

This package never imports textual or rich; the public API is what this module exports.
"""
from opint_core.schema import ERROR_COLUMNS, ERROR_SCHEMA, STREAMS

__all__ = ["ERROR_COLUMNS", "ERROR_SCHEMA", "STREAMS"]
