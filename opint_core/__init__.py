"""opint core: archive access, loading, clustering, insight, triage store and reports.

This package never imports textual or rich; the public API is what this module exports.
"""
from opint_core.archive import DEFAULT_ARCHIVE, Archive
from opint_core.archive_fs import ArchiveError, open_archive_fs
from opint_core.clustering import Category, Clustering, cluster
from opint_core.config import Config, ConfigError, config_path, load_config
from opint_core.demo import demo_archive
from opint_core.loader import ErrorTable, LoadCancelled, LoadReport, load_errors, top_values
from opint_core.reader import FileReport
from opint_core.schema import ERROR_COLUMNS, ERROR_SCHEMA, STREAMS
from opint_core.selection import Selection, SelectionError, parse_date

__all__ = [
    "Archive", "ArchiveError", "Category", "Clustering", "cluster", "Config", "ConfigError", "DEFAULT_ARCHIVE", "ERROR_COLUMNS", "ERROR_SCHEMA", "ErrorTable",
    "FileReport", "LoadCancelled", "LoadReport", "STREAMS", "Selection", "SelectionError", "config_path",
    "demo_archive", "load_config", "load_errors", "open_archive_fs", "parse_date", "top_values",]
