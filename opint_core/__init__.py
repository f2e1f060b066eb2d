"""opint core: archive access, loading, clustering, insight, triage store and reports.

This package never imports textual or rich; the public API is what this module exports. The
layers (each imports only those below it; import-linter checks it, see pyproject.toml):

    pipeline                       picks the backend of a Request, then cluster, insight, trends
    report                         shift reports (markdown, JSON, CSV)
    insight | spark | triage       breakdowns and trends | the Spark backend | annotations
    clustering                     templates and categories
    load                           the archive, the local backend, ErrorTable, Request
    sites | causes                 the site-name table | the causes-and-actions knowledge base
    errors | stages | atomic | first_match   the error base, stage labels, atomic file writes, regex passes
"""
from opint_core.atomic import write_atomic
from opint_core.causes import Cause, CauseBase, CauseBaseError, default_cause_base
from opint_core.clustering import Category, Clustering, cluster
from opint_core.config import Config, ConfigError, config_path, load_config
from opint_core.demo import demo_archive
from opint_core.errors import LoadCancelled, OpintError
from opint_core.insight import Insight, Trends, sort_categories, sparkline, trend
from opint_core.load import (
    DEFAULT_ARCHIVE, ERROR_COLUMNS, ERROR_SCHEMA, STREAMS, Archive, ArchiveError, ErrorTable, FileReport,
    LoadReport, Request, Selection, SelectionError, load_baseline, load_errors, open_archive_fs, parse_date, today_utc,
    top_values,
)
from opint_core.incidents import Incident, IncidentNotFound, find_incident, incident_rows
from opint_core.pipeline import Analysis, analyse, analyse_errors, load_request, run
from opint_core.report import incident_lines, render_incidents_json, render_incidents_markdown
from opint_core.ticket import TicketDraft, ticket_draft
from opint_core.report import FORMATS as REPORT_FORMATS
from opint_core.report import SORTS as REPORT_SORTS
from opint_core.report import Report, build_report, render as render_report
from opint_core.sample_archive import write_sample_archive
from opint_core.sites import SiteTable, SiteTableError, default_site_table
from opint_core.spark import SparkError, load_errors_spark, spark_available
from opint_core.stages import STAGES, stage_label
from opint_core.triage import (CARRY_OVER_THRESHOLD, STATUSES, Annotation, Inherited, StoreError, TriageStore,
                               UnknownKey, apply_merges, carry_over, default_store_dir, resolve_key)

__all__ = [
    "CARRY_OVER_THRESHOLD", "apply_merges", "carry_over", "default_store_dir",
    "Analysis", "Annotation", "Archive", "ArchiveError", "Category", "Clustering", "Config", "ConfigError",
    "DEFAULT_ARCHIVE", "ERROR_COLUMNS", "ERROR_SCHEMA", "ErrorTable", "FileReport", "Inherited", "Insight",
    "LoadCancelled", "LoadReport", "OpintError", "Request", "STAGES", "run", "stage_label", "REPORT_FORMATS",
    "REPORT_SORTS", "Report", "STATUSES", "STREAMS", "Selection", "SelectionError", "today_utc", "StoreError", "TriageStore", "UnknownKey", "resolve_key",
    "Trends", "analyse", "analyse_errors", "build_report", "cluster", "config_path", "demo_archive",
    "load_baseline", "load_config", "load_errors", "load_request", "open_archive_fs", "parse_date",
    "render_report", "sort_categories", "sparkline", "top_values", "trend", "write_atomic", "write_sample_archive",
    "SparkError", "load_errors_spark", "spark_available", "SiteTable", "SiteTableError", "default_site_table",
    "Incident", "IncidentNotFound", "find_incident", "incident_rows", "incident_lines", "render_incidents_json",
    "render_incidents_markdown", "TicketDraft", "ticket_draft",
    "Cause", "CauseBase", "CauseBaseError", "default_cause_base",
]
