"""The same failure read twice -- a compaction re-run that wrote a part file twice, a record repeated,
a day's records in a neighbouring day's DD.tmp as well (DOMAIN.md 1.3) -- counted once.

A failure is identified by its stream, ``transfer_id``, ``time`` and ``event_type``:

* FTS: ``transfer_id`` is ``tr_id``, which FTS builds (msg-ifce.cpp) as
  ``<attempt start, YYYY-MM-DD-HHMM>__<source host>__<destination host>__<file_id>__<job_id>``: the job
  and file ids of the transfer. A retry of that file in that job has the same ids but is another
  attempt, with its own start and completion time (``time``, tr_timestamp_complete in ms): it is
  kept. A copy of the record has all of them equal.
* Rucio: ``transfer_id`` is the ``request_id``; a retried request gets a new request id, and one
  request has at most one event of each type (``event_type``), at its ``created_at`` (``time``).

A failure without a transfer id is never taken for a duplicate. Vectorised: one hash grouping
of the rows that have an id.
"""
from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

IDENTITY = ("stream", "transfer_id", "time", "event_type")


def drop_duplicates(table: pa.Table) -> tuple[pa.Table, int]:
    """(``table`` with every failure once, in its first place; how many rows were dropped)."""
    n = table.num_rows
    with_id = pc.is_valid(table.column("transfer_id"))
    keyed = table.select(list(IDENTITY)).append_column("row", pa.array(np.arange(n, dtype=np.int64))) \
        .filter(with_id)
    if keyed.num_rows < 2:
        return table, 0
    first = keyed.group_by(list(IDENTITY)).aggregate([("row", "min")]).column("row_min")
    dropped = keyed.num_rows - len(first)
    if not dropped:
        return table, 0
    keep = ~np.asarray(with_id, dtype=bool)
    keep[first.to_numpy()] = True
    return table.filter(pa.array(keep)), dropped
