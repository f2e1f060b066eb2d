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

A failure without a transfer id is never taken for a duplicate.

Vectorised and lean, for millions of rows: a numeric fingerprint of each identity (its time, the
length and the last bytes of its transfer id) finds the few rows that may repeat one (one sort), and
only those are grouped by their exact identity.
"""
from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

IDENTITY = ("stream", "transfer_id", "time", "event_type")
_MIX_TIME, _MIX_TAIL = np.uint64(0x9E3779B97F4A7C15), np.uint64(0xC2B2AE3D27D4EB4F)
_TAIL = 8   # bytes of the end of a transfer id in its fingerprint


def drop_duplicates(table: pa.Table) -> tuple[pa.Table, int]:
    """(``table`` with every failure once, in its first place; how many rows were dropped)."""
    kept, dropped = split_duplicates(table)
    return kept, dropped.num_rows


def split_duplicates(table: pa.Table) -> tuple[pa.Table, pa.Table]:
    """(``table`` with every failure once, in its first place; the rows dropped as read again)."""
    none = table.slice(0, 0)
    keyed = np.flatnonzero(np.asarray(pc.is_valid(table.column("transfer_id")), dtype=bool))
    if keyed.shape[0] < 2:
        return table, none
    candidates = keyed[_shared(_fingerprints(table)[keyed])]
    if not candidates.shape[0]:
        return table, none
    exact = table.select(list(IDENTITY)).take(pa.array(candidates)).append_column("row", pa.array(candidates))
    first = exact.group_by(list(IDENTITY)).aggregate([("row", "min")]).column("row_min").to_numpy()
    if candidates.shape[0] == first.shape[0]:
        return table, none
    keep = np.ones(table.num_rows, dtype=bool)
    keep[candidates] = False
    keep[first] = True
    return table.filter(pa.array(keep)), table.filter(pa.array(~keep))


def _shared(values: np.ndarray) -> np.ndarray:
    """Which of ``values`` occur more than once."""
    order = np.argsort(values, kind="stable")
    ordered = values[order]
    same = ordered[1:] == ordered[:-1]
    shared = np.zeros(values.shape[0], dtype=bool)
    shared[order[1:][same]] = True
    shared[order[:-1][same]] = True
    return shared


def _fingerprints(table: pa.Table) -> np.ndarray:
    """Per row a uint64 equal for equal identities (and, rarely, for others: they are checked)."""
    time = table.column("time").cast(pa.int64()).fill_null(np.iinfo(np.int64).min)
    lengths, tails = _length_and_tail(table.column("transfer_id"))
    with np.errstate(over="ignore"):
        return np.asarray(time, dtype=np.int64).view(np.uint64) * _MIX_TIME + tails * _MIX_TAIL + lengths


def _length_and_tail(column: pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray]:
    """Per string its length in bytes and its last 8 bytes as a uint64 (the random end of a job or
    request id), gathered from the Arrow buffers without copying the strings."""
    lengths, tails = [], []
    for chunk in column.chunks:
        n = len(chunk)
        offsets = np.frombuffer(chunk.buffers()[1], dtype=np.int32)[chunk.offset:chunk.offset + n + 1]
        starts, ends = offsets[:-1], offsets[1:]
        tail = np.zeros(n, dtype=np.uint64)
        data = chunk.buffers()[2]
        if data is not None and data.size and n:
            data = np.frombuffer(data, dtype=np.uint8)
            window = np.maximum(ends[:, None] - _TAIL + np.arange(_TAIL, dtype=np.int32), starts[:, None])
            np.minimum(window, data.shape[0] - 1, out=window)          # empty strings: masked below
            tail = np.where(ends > starts, data[window].view(np.uint64).ravel(), np.uint64(0))
        lengths.append((ends - starts).astype(np.uint64))
        tails.append(tail)
    if not lengths:
        return np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=np.uint64)
    return np.concatenate(lengths), np.concatenate(tails)
