"""load_errors(): the failures of a stream for a selection of days, read here (threads, day cache),
as one ErrorTable."""
from __future__ import annotations

import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pyarrow as pa

from opint_core.errors import LoadCancelled
from opint_core.load.archive import DEFAULT_ARCHIVE, Archive
from opint_core.load.cache import DayCache
from opint_core.load.duplicates import split_duplicates
from opint_core.load.reader import FileReport, read_part
from opint_core.load.request import Progress
from opint_core.load.schema import ERROR_SCHEMA, STREAMS
from opint_core.load.selection import Selection
from opint_core.load.table import ErrorTable, LoadReport
from opint_core.load.traffic import TrafficSum, combine_traffic, sorted_traffic, without_duplicates


def load_errors(archive: str | Archive = DEFAULT_ARCHIVE, selection: Selection | None = None, *,
                stream: str = "fts", use_cache: bool = True, cache_dir: str | os.PathLike | None = None,
                progress: Progress | None = None, cancel: threading.Event | None = None,
                workers: int | None = None, with_traffic: bool = True) -> ErrorTable:
    """Load the failures of `stream` for `selection` (default: the latest day in the archive).

    Raises ArchiveError for archive problems (unreachable HDFS, missing or empty day) and
    SelectionError for a bad selection; bad data inside files never raises, it is reported per file.
    LoadCancelled when ``cancel`` is set while files are read. A failure read twice (the same
    transfer, ``opint_core.load.duplicates``) counts once, across the files and days of the load.
    ``with_traffic=False``: no traffic counted (``ErrorTable.traffic`` empty, no day cached), to measure
    what counting it costs.
    """
    if stream not in STREAMS:
        raise ValueError(f"unknown stream {stream!r}: choose one of {', '.join(STREAMS)}")
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

    cache = DayCache(archive.uri, stream, cache_dir) if use_cache and with_traffic else None
    # per day: (failures, report) of each file (a cached day: its table, then its reports); its traffic
    parts: dict[int, list[tuple[pa.Table | None, FileReport | None]]] = {}
    traffic_sums = {i: TrafficSum() for i in range(len(sources))}
    to_read: list[tuple[int, str]] = []
    cache_duplicates: dict[int, int] = {}   # per cached day: the failures its files held twice
    for i, source in enumerate(sources):
        hit = cache.get(source.day, source.signature()) if cache and source.final and source.day else None
        if hit:
            table, traffic, file_dicts, cache_duplicates[i] = hit
            reports = [FileReport.from_dict(d) for d in file_dicts]
            parts[i] = [(table, None)] + [(None, r) for r in reports]
            traffic_sums[i].add(traffic)
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
            result = read_part(archive.fs, path, stream, with_traffic)
            with lock:
                done += 1
                notify("files", done, total)
            return i, result

        with ThreadPoolExecutor(max_workers=workers or min(8, 2 * (os.cpu_count() or 2))) as pool:
            for i, (table, traffic, file_report) in pool.map(read, to_read):
                parts[i].append((table, file_report))
                traffic_sums[i].add(traffic)
        if cancel is not None and cancel.is_set():
            raise LoadCancelled()

    tables, traffics = [], []
    for i, source in enumerate(sources):
        day_reports = [r for _, r in parts[i] if r is not None]
        report.files += day_reports
        if i in cache_duplicates:   # a cached day: deduplicated and its traffic sorted when it was cached
            (table, _), = [p for p in parts[i] if p[0] is not None]
            traffic = traffic_sums.pop(i).total()
            report.duplicates += cache_duplicates[i]
        else:
            day_tables = [t for t, _ in parts[i] if t is not None]
            # one dictionary per text column for the day instead of one per file: each distinct text once
            table = pa.concat_tables(day_tables).unify_dictionaries() if day_tables else ERROR_SCHEMA.empty_table()
            del day_tables
            parts[i] = []   # the files' tables: their dictionaries go with them
            table, traffic, duplicates = deduplicated(table, traffic_sums.pop(i).total())
            report.duplicates += duplicates
            # a file that could not be read may read fine next time: such a day is not final yet
            complete = not any(r.unreadable for r in day_reports)
            if cache and source.final and source.day and complete:
                cache.put(source.day, source.signature(), table, traffic, [r.to_dict() for r in day_reports],
                          duplicates)
        tables.append(table)
        traffics.append(traffic)
    if len(tables) == 1:   # one day: deduplicated and sorted above
        table, traffic = tables[0], traffics[0]
    else:   # the same failure in two days' files (a day's records in its neighbour's DD.tmp)
        table = pa.concat_tables(tables) if tables else ERROR_SCHEMA.empty_table()
        table, traffic, duplicates = deduplicated(table, combine_traffic(traffics))
        report.duplicates += duplicates
    report.seconds = time.perf_counter() - started
    return ErrorTable(table, report, traffic)


def deduplicated(table: pa.Table, traffic: pa.Table) -> tuple[pa.Table, pa.Table, int]:
    """(``table`` with every failure once, its traffic without the failures dropped, in key order; how
    many were dropped). Per day first, then across days: the same rows are kept as by one pass over
    all (the first of each), and a single day -- cached as it comes out of here -- needs nothing more."""
    table, duplicates = split_duplicates(table)
    return table, sorted_traffic(without_duplicates(traffic, duplicates)), duplicates.num_rows

