"""The baseline of a report for its trends: the same number of days just before the report's days
(a day -> the day before; a week -> the week before), those of them the archive has.

``baseline_days`` is the one list of baseline days; the local backend reads them with the loader
(``load_baseline``), the Spark backend scans them in the same job as the selection."""
from __future__ import annotations

import datetime as dt
import os
import threading

import pyarrow as pa
import pyarrow.compute as pc

from opint_core.load.archive import Archive
from opint_core.load.loader import load_errors
from opint_core.load.request import Progress
from opint_core.load.selection import Selection
from opint_core.load.table import ErrorTable, LoadReport
from opint_core.load.traffic import combine_traffic


def _days_of(report_days) -> list[dt.date]:
    if hasattr(report_days, "report"):
        days = list(report_days.report.days or [])
        if not days and len(report_days):
            t = report_days.table.column("time")
            lo, hi = pc.min(t).as_py(), pc.max(t).as_py()
            if lo is not None:
                days = [lo.date(), hi.date()]
        return sorted(set(days))
    return sorted(set(report_days))


def baseline_selection(report_days) -> Selection:
    """The same number of days just before the report's days (a day -> the day before; a week ->
    the week before). ``report_days``: dates, or the report's ErrorTable."""
    days = _days_of(report_days)
    if not days:
        raise ValueError("the report covers no days: a baseline needs the report's days")
    first, last = days[0], days[-1]
    n = (last - first).days + 1
    return Selection.range(first - dt.timedelta(days=n), first - dt.timedelta(days=1))


def baseline_days(archive: Archive, stream: str, report_days) -> list[dt.date]:
    """The days of ``baseline_selection(report_days)`` that the archive has (a folder, final or
    .tmp), oldest first."""
    sel = baseline_selection(report_days)
    present = set(archive.days_present(stream))
    window = (sel.first + dt.timedelta(days=k) for k in range((sel.last - sel.first).days + 1))
    return [d for d in window if d in present]


def load_baseline(report, archive=None, *, stream: str | None = None, use_cache: bool = True,
                  cache_dir: str | os.PathLike | None = None, progress: Progress | None = None,
                  cancel: threading.Event | None = None) -> ErrorTable | None:
    """Load the baseline of a report through the normal loader and its day cache.

    ``report``: the report's ErrorTable (its archive, stream and days are used), or its days.
    Days of the baseline window that the archive does not have are left out; returns None when it
    has none of them. The returned ErrorTable's ``report.days`` are the days actually loaded.
    """
    rep = getattr(report, "report", None)
    stream = stream or (rep.stream if rep is not None else "fts")
    archive = archive if archive is not None else (rep.archive if rep is not None else None)
    if archive is None:
        raise ValueError("load_baseline needs the archive (or the report's ErrorTable)")
    arch = archive if isinstance(archive, Archive) else Archive(archive)
    want = baseline_days(arch, stream, report)
    if not want:
        return None
    runs: list[list[dt.date]] = []
    for d in want:
        if runs and (d - runs[-1][-1]).days == 1:
            runs[-1].append(d)
        else:
            runs.append([d])
    tables, traffic, merged = [], [], LoadReport(arch.uri, stream, f"baseline {baseline_selection(report).describe()}")
    for run in runs:
        et = load_errors(arch, Selection.range(run[0], run[-1]), stream=stream, use_cache=use_cache,
                         cache_dir=cache_dir, progress=progress, cancel=cancel)
        tables.append(et.table)
        traffic.append(et.traffic)
        merged.days += et.report.days
        merged.final = merged.final and et.report.final
        merged.files += et.report.files
        merged.empty_files += et.report.empty_files
        merged.cached_days += et.report.cached_days
        merged.seconds += et.report.seconds
        merged.duplicates += et.report.duplicates
    return ErrorTable(pa.concat_tables(tables), merged, combine_traffic(traffic))
