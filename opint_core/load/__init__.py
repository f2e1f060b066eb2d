"""Reading the archive: everything from an archive URI and a selection of days to an ErrorTable.

    filesystem  open the archive filesystem (hdfs://, file://, a path); HDFS failures as ArchiveError
    archive     the MONIT layout: which day folders and part files a selection means
    selection   which days (latest, one day, a range, the last N days, a path list)
    reader      one part file into ErrorTable rows, whatever state the file is in
    records     the archive's records (FTS, Rucio) mapped to the ErrorTable columns
    schema      the ErrorTable columns; compact (Spark) tables and their row weights
    codes       integer codes of a string column (shared with clustering and insight)
    cache       loaded days kept as Parquet in the user cache dir
    duplicates  the same transfer read twice (compaction re-runs), counted once
    traffic     every attempt read (failures and successes) counted per hour and key
    table       ErrorTable and LoadReport
    loader      load_errors: a selection read in this process (threads, day cache)
    baseline    the baseline days of a report (one list for both backends) and load_baseline
    request     Request, Loaded and the Backend interface
    local       LocalBackend: the loader and load_baseline behind the Backend interface
    memory      the Arrow memory pool of the process (jemalloc: much faster with threads)

Nothing here imports anything of opint above it (only ``opint_core.errors`` and
``opint_core.atomic``).
"""
from opint_core.load import memory  # noqa: F401 - first: it sets the memory pool every table is made in
from opint_core.load.archive import DEFAULT_ARCHIVE, Archive, DaySource, SourceFile
from opint_core.load.baseline import baseline_days, baseline_selection, load_baseline
from opint_core.load.codes import factorize_column
from opint_core.load.filesystem import ArchiveError, open_archive_fs
from opint_core.load.loader import load_errors
from opint_core.load.local import LocalBackend
from opint_core.load.reader import FileReport
from opint_core.load.request import Backend, Loaded, Progress, Request
from opint_core.load.schema import (
    ERROR_COLUMNS, ERROR_SCHEMA, STREAMS, TRAFFIC_KEYS, TRAFFIC_SCHEMA, UNKNOWN, failures, row_weights,
)
from opint_core.load.selection import Selection, SelectionError, parse_date, today_utc
from opint_core.load.table import ErrorTable, LoadReport, top_values

__all__ = [
    "Archive", "ArchiveError", "Backend", "DEFAULT_ARCHIVE", "DaySource", "ERROR_COLUMNS", "ERROR_SCHEMA",
    "ErrorTable", "FileReport", "LoadReport", "Loaded", "LocalBackend", "Progress", "Request", "STREAMS",
    "Selection", "SelectionError", "today_utc", "SourceFile", "TRAFFIC_KEYS", "TRAFFIC_SCHEMA", "UNKNOWN", "baseline_days",
    "baseline_selection", "factorize_column", "failures", "load_baseline", "load_errors", "open_archive_fs",
    "parse_date", "row_weights", "top_values",
]
