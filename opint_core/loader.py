"""load_errors(): the failures of a stream for a selection of days, as one ErrorTable."""
from __future__ import annotations

import datetime as dt
import os
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pyarrow as pa

from opint_core.archive import DEFAULT_ARCHIVE, Archive
from opint_core.cache import DayCache
from opint_core.codes import factorize_column
from opint_core.errors import LoadCancelled
from opint_core.reader import FileReport, read_part_file
from opint_core.schema import ERROR_SCHEMA, STREAMS, row_weights
from opint_core.schema import failures as table_failures
from opint_core.selection import Selection

Progress = Callable[[str, int, int], None]




@dataclass
class LoadReport:
    archive: str
    stream: str
    selection: str
    days: list[dt.date] = field(default_factory=list)
    final: bool = True
    files: list[FileReport] = field(default_factory=list)
    empty_files: list[str] = field(default_factory=list)
    cached_days: list[dt.date] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def records(self) -> int:
        return sum(f.records for f in self.files)

    @property
    def failures(self) -> int:
        return sum(f.failures for f in self.files)

    @property
    def skipped(self) -> int:
        return sum(sum(f.skipped.values()) for f in self.files)

    @property
    def repaired(self) -> int:
        return sum(sum(f.repaired.values()) for f in self.files)

    def problems(self) -> list[FileReport]:
        """Files with anything skipped, repaired or damaged, worst first."""
        bad = [f for f in self.files if not f.clean]
        return sorted(bad, key=lambda f: (f.problem is None, -sum(f.skipped.values()), f.path))

    def skipped_by_reason(self) -> Counter:
        total = Counter()
        for f in self.files:
            total.update(f.skipped)
        return total


@dataclass
class ErrorTable:
    """The loaded failures (`table`, columns documented in opint_core.schema) and how the load went.

    A row is one failure, or in a compact table (a ``count`` column, the Spark path) ``count``
    failures: ``len()`` is the number of rows (what clusterings and indices refer to), ``failures``
    the number of failures (what a shifter is told)."""

    table: pa.Table
    report: LoadReport

    def __len__(self) -> int:
        return self.table.num_rows

    @property
    def weights(self) -> np.ndarray | None:
        """Failures per row (int64), or None when every row is one failure."""
        return row_weights(self.table)

    @property
    def failures(self) -> int:
        return table_failures(self.table)

    @property
    def messages(self) -> pa.ChunkedArray:
        return self.table.column("message")


def load_errors(archive: str | Archive = DEFAULT_ARCHIVE, selection: Selection | None = None, *,
                stream: str = "fts", use_cache: bool = True, cache_dir: str | os.PathLike | None = None,
                progress: Progress | None = None, cancel: threading.Event | None = None,
                workers: int | None = None, spark_master: str | None = None) -> ErrorTable:
    """Load the failures of `stream` for `selection` (default: the latest day in the archive).

    Raises ArchiveError for archive problems (unreachable HDFS, missing or empty day) and
    SelectionError for a bad selection; bad data inside files never raises, it is reported per file.
    With ``spark_master`` the Spark job on that master reads the archive (``load_errors_spark``):
    a compact table, its rows weighted by ``count``.
    """
    if stream not in STREAMS:
        raise ValueError(f"unknown stream {stream!r}: choose one of {', '.join(STREAMS)}")
    if spark_master:
        from opint_core.spark import load_errors_spark

        return load_errors_spark(archive, selection, stream=stream, master=spark_master, progress=progress,
                                 cancel=cancel)
    started = time.perf_counter()
    selection = selection or Selection.latest()
    archive = archive if isinstance(archive, Archive) else Archive(archive)
    notify = progress or (lambda stage, done, total: None)
    sources = archive.resolve(stream, selection)
    notify("list", len(sources), len(sources))
    report = LoadReport(archive.uri, stream, selection.describe(),
                        days=[s.day for s in sources if s.day], final=all(s.final for s in sources))
    for s in sources:
        report.empty_files += s.empty_files

    cache = DayCache(archive.uri, stream, cache_dir) if use_cache else None
    parts: dict[int, list[tuple[pa.Table, FileReport]]] = {}
    to_read: list[tuple[int, str]] = []
    for i, source in enumerate(sources):
        hit = cache.get(source.day, source.signature()) if cache and source.final and source.day else None
        if hit:
            table, file_dicts = hit
            reports = [FileReport.from_dict(d) for d in file_dicts]
            parts[i] = [(table, None)] + [(None, r) for r in reports]
            report.cached_days.append(source.day)
        else:
            parts[i] = []
            to_read += [(i, f.path) for f in source.files]

    total = len(to_read)
    notify("files", 0, total)
    if to_read:
        done = 0
        lock = threading.Lock()

        def read(item):
            nonlocal done
            if cancel is not None and cancel.is_set():
                raise LoadCancelled()
            i, path = item
            result = read_part_file(archive.fs, path, stream)
            with lock:
                done += 1
                notify("files", done, total)
            return i, result

        with ThreadPoolExecutor(max_workers=workers or min(8, 2 * (os.cpu_count() or 2))) as pool:
            for i, result in pool.map(read, to_read):
                parts[i].append(result)
        if cancel is not None and cancel.is_set():
            raise LoadCancelled()

    tables = []
    for i, source in enumerate(sources):
        day_tables = [t for t, _ in parts[i] if t is not None]
        day_reports = [r for _, r in parts[i] if r is not None]
        report.files += day_reports
        day_table = pa.concat_tables(day_tables) if day_tables else ERROR_SCHEMA.empty_table()
        if cache and source.final and source.day and source.day not in report.cached_days:
            cache.put(source.day, source.signature(), day_table, [r.to_dict() for r in day_reports])
        tables.append(day_table)
    table = pa.concat_tables(tables) if tables else ERROR_SCHEMA.empty_table()
    report.seconds = time.perf_counter() - started
    return ErrorTable(table, report)


def top_values(table: pa.Table, column: str, n: int = 10) -> list[tuple[str, int]]:
    """The n most frequent non-null values of a column, with their failures (``count`` summed in a
    compact table)."""
    if not table.num_rows:
        return []
    codes, values = factorize_column(table.column(column))
    weights = row_weights(table)
    present = codes >= 0
    counts = np.bincount(codes[present], weights=None if weights is None else weights[present],
                         minlength=len(values)).astype(np.int64)
    pairs = [(v, int(c)) for v, c in zip(values.to_pylist(), counts.tolist()) if c]
    return sorted(pairs, key=lambda p: (-p[1], p[0]))[:n]
