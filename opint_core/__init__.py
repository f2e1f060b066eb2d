"""opint core: archive access, loading, clustering, insight, triage store and reports.

This package never imports textual or rich; the public API is what this module exports.
"""
from opint_core.archive import DEFAULT_ARCHIVE, Archive
from opint_core.archive_fs import ArchiveError, open_archive_fs
from opint_core.clustering import Category, Clustering, cluster
from opint_core.config import Config, ConfigError, config_path, load_config
from opint_core.demo import demo_archive
from opint_core.insight import Insight, Trends, load_baseline, sparkline, trend
from opint_core.loader import ErrorTable, LoadReport, load_errors, top_values
from opint_core.errors import LoadCancelled, OpintError
from opint_core.pipeline import Analysis, Request, analyse, analyse_errors, run
from opint_core.stages import STAGES, stage_label
from opint_core.reader import FileReport
from opint_core.report import FORMATS as REPORT_FORMATS
from opint_core.report import SORTS as REPORT_SORTS
from opint_core.report import Report, build_report, render as render_report, write_atomic
from opint_core.sample_archive import write_sample_archive
from opint_core.schema import ERROR_COLUMNS, ERROR_SCHEMA, STREAMS
from opint_core.selection import Selection, SelectionError, parse_date
from opint_core.spark import SparkError, analyse_spark, load_errors_spark, spark_available
from opint_core.triage import (CARRY_OVER_THRESHOLD, STATUSES, Annotation, Inherited, StoreError, TriageStore,
                               apply_merges, carry_over, default_store_dir)

__all__ = [
    "CARRY_OVER_THRESHOLD", "apply_merges", "carry_over", "default_store_dir",
    "Analysis", "Annotation", "Archive", "ArchiveError", "Category", "Clustering", "Config", "ConfigError",
    "DEFAULT_ARCHIVE", "ERROR_COLUMNS", "ERROR_SCHEMA", "ErrorTable", "FileReport", "Inherited", "Insight",
    "LoadCancelled", "LoadReport", "OpintError", "Request", "STAGES", "run", "stage_label", "REPORT_FORMATS", "REPORT_SORTS", "Report", "STATUSES", "STREAMS",
    "Selection", "SelectionError", "StoreError", "TriageStore", "Trends", "analyse", "analyse_errors",
    "build_report", "cluster", "config_path", "demo_archive", "load_baseline", "load_config", "load_errors",
    "open_archive_fs", "parse_date", "render_report", "sparkline", "top_values", "trend", "write_atomic",
    "write_sample_archive",
    "SparkError", "analyse_spark", "load_errors_spark", "spark_available",
]
