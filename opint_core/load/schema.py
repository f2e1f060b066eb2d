"""The ErrorTable: one Arrow table of failed transfers/deletions, the same columns for every stream.

Columns (all nullable; strings are null when the archive has no value; every string column but
transfer_id is dictionary-encoded, ``TEXT``: see ENCODED_COLUMNS):

    time            timestamp[ms, UTC]  when the transfer/deletion finished (FTS tr_timestamp_complete,
                                        Rucio created_at; MONIT metadata.timestamp as fallback);
                                        always in the years 1..9999 (TIME_MIN_MS..TIME_MAX_MS)
    stream          string              "fts" or "rucio"
    message         string              the error text (FTS t__error_message, Rucio reason)
    error_code      string              errno as text (FTS t_error_code; Rucio: the "[N]" of the L0 wrapper)
    error_category  string              FTS tr_error_category (e.g. COMMUNICATION_ERROR_ON_SEND);
                                        Rucio: none
    event_type      string              FTS t_final_transfer_state (Error); Rucio event_type
                                        (transfer-failed, deletion-failed, ...)
    scope           string              FTS tr_error_scope; Rucio: the SCOPE of the L0 wrapper
    phase           string              FTS t_failure_phase; Rucio: none
    src_host        string              source storage host (FTS src_hostname; Rucio: host of src_url)
    dst_host        string              destination storage host (Rucio deletions: host of url)
    src_rse         string              source RSE (FTS file_metadata.src_rse; Rucio src_rse)
    dst_rse         string              destination RSE (Rucio deletions: the rse deleted from)
    src_site        string              source site: the archive's site name, else RSE.split("_")[0]
    dst_site        string              destination site, same rule
    vo              string              virtual organisation (atlas, cms, ...)
    activity        string              Rucio/FTS activity (e.g. "Production Input")
    file_size       int64               bytes
    transfer_id     string              FTS tr_id; Rucio request_id

A compact table (the Spark path, ``opint_core.spark.result``) has two more columns:

    count           int64               how many failures the row stands for (> 0)
    template        string              the masked message (``mask(message)``) of those failures

Every count of such a table is a sum of ``count``, not a number of rows: ``row_weights``,
``failures``.
"""
from __future__ import annotations

import numpy as np
import pyarrow as pa

STREAMS = ("fts", "rucio")

# The columns as the records are mapped (``opint_core.load.records``): every text a plain string.
PLAIN_ERROR_SCHEMA = pa.schema([
    ("time", pa.timestamp("ms", tz="UTC")),
    ("stream", pa.string()),
    ("message", pa.string()),
    ("error_code", pa.string()),
    ("error_category", pa.string()),
    ("event_type", pa.string()),
    ("scope", pa.string()),
    ("phase", pa.string()),
    ("src_host", pa.string()),
    ("dst_host", pa.string()),
    ("src_rse", pa.string()),
    ("dst_rse", pa.string()),
    ("src_site", pa.string()),
    ("dst_site", pa.string()),
    ("vo", pa.string()),
    ("activity", pa.string()),
    ("file_size", pa.int64()),
    ("transfer_id", pa.string()),
])

# Held dictionary-encoded: a day has millions of failures but ~10^4-10^5 distinct messages and a few
# hundred hosts, sites and RSEs, so each row costs an int32 per column instead of a copy of its text
# (a full day: ~0.3 GB instead of 1.1 GB, and its cache is read without materialising the strings).
# transfer_id is unique per failure: plain.
TEXT = pa.dictionary(pa.int32(), pa.string())
ENCODED_COLUMNS = tuple(f.name for f in PLAIN_ERROR_SCHEMA if pa.types.is_string(f.type) and f.name != "transfer_id")
ERROR_SCHEMA = pa.schema([pa.field(f.name, TEXT) if f.name in ENCODED_COLUMNS else f for f in PLAIN_ERROR_SCHEMA])

ERROR_COLUMNS = tuple(ERROR_SCHEMA.names)


# The traffic table (opint_core.load.traffic): every attempt read, failures and successes, counted
# per hour and key. A row per distinct key; string keys never null: a record without a value counts
# as UNKNOWN, never dropped.
#
#     hour        timestamp[ms, UTC]  the hour of the attempt (``time`` floored; null when it has none)
#     event_type  string              FTS t_final_transfer_state (Ok, Error, Abort...); Rucio event_type
#                                     (transfer-done, transfer-failed, transfer-submitted, deletion-done,
#                                     deletion-failed, transfer-submission_failed...): each event counts
#                                     as one attempt of its type
#     src_site, dst_site, src_host, dst_host, src_rse, dst_rse, vo, activity
#                 string              as in the ErrorTable (Rucio deletions: on the destination side)
#     attempts    int64               records read (a success read twice counts twice; a failure once)
#     failures    int64               of them failures: their sum is the ErrorTable's failures
UNKNOWN = "(unknown)"
TRAFFIC_KEYS = ("hour", "event_type", "src_site", "dst_site", "src_host", "dst_host", "src_rse", "dst_rse",
                "vo", "activity")
TRAFFIC_SCHEMA = pa.schema([("hour", pa.timestamp("ms", tz="UTC"))]
                           + [(k, pa.string()) for k in TRAFFIC_KEYS[1:]]
                           + [("attempts", pa.int64()), ("failures", pa.int64())])


COUNT = "count"
TEMPLATE = "template"

# the ``time`` column counts milliseconds (UTC)
HOUR_MS = 3_600_000
DAY_MS = 24 * HOUR_MS

# The times the ``time`` column may hold: years 1 to 9999, what a Python datetime can show. The
# loader nulls any other (counted as repaired), so that no later step overflows on a wild value.
TIME_MIN_MS = -62_135_596_800_000      # 0001-01-01T00:00:00Z
TIME_MAX_MS = 253_402_300_799_999      # 9999-12-31T23:59:59.999Z


def empty_error_table() -> pa.Table:
    return ERROR_SCHEMA.empty_table()


def row_weights(table: pa.Table) -> np.ndarray | None:
    """The failures each row stands for (int64), or None when every row is one failure."""
    if COUNT not in table.column_names:
        return None
    col = table.column(COUNT)
    if col.null_count:
        raise ValueError(f"the {COUNT!r} column has nulls: every row must say how many failures it stands for")
    return np.asarray(col.to_numpy(), dtype=np.int64)


def failures(table: pa.Table) -> int:
    """The number of failures of a table: the sum of ``count``, else its rows."""
    w = row_weights(table)
    return table.num_rows if w is None else int(w.sum())
