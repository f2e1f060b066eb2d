"""The whole way from an archive selection to something a shifter can triage: load, cluster, insight.

The app and the CLI run the same steps with the same progress callback: progress(stage, done, total),
stages "list", "files", "cluster", "insight".
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from opint_core.archive import DEFAULT_ARCHIVE
from opint_core.clustering import Clustering, cluster_table
from opint_core.errors import LoadCancelled
from opint_core.loader import ErrorTable, Progress, load_errors
from opint_core.selection import Selection


@dataclass(frozen=True)
class Request:
    """What to load: the archive (a pyarrow filesystem URI or a path), the days, the stream, whether
    the day cache may be used, and the backend (``spark_master`` set: the Spark job on that master;
    else this process)."""

    archive: str = DEFAULT_ARCHIVE
    selection: Selection = field(default_factory=Selection.latest)
    stream: str = "fts"
    use_cache: bool = True
    spark_master: str | None = None


@dataclass
class Analysis:
    errors: ErrorTable
    clustering: Clustering
    insight: object | None = None
    trends: object | None = None
    timings: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # what went wrong beside the main load

    @property
    def report(self):
        return self.errors.report


def analyse_errors(errors: ErrorTable, *, progress: Progress | None = None,
                   cancel: threading.Event | None = None, with_insight: bool = True,
                   with_trends: bool = True, use_cache: bool = True) -> Analysis:
    """Cluster, then insight, then trends against the preceding days (skipped for path lists)."""
    notify = progress or (lambda stage, done, total: None)
    timings = {"load": errors.report.seconds}
    notify("cluster", 0, 1)
    started = time.perf_counter()
    clustering = cluster_table(errors.table)   # a compact (Spark) table: its templates, weighted
    timings["cluster"] = time.perf_counter() - started
    notify("cluster", 1, 1)
    if cancel is not None and cancel.is_set():
        raise LoadCancelled()
    insight = None
    if with_insight:
        from opint_core.insight import Insight

        notify("insight", 0, 1)
        started = time.perf_counter()
        insight = Insight(errors, clustering)  # the ErrorTable: its days fix the timeline window
        timings["insight"] = time.perf_counter() - started
        notify("insight", 1, 1)
    trends, notes = None, []
    if insight is not None and with_trends and errors.report.days:
        from opint_core.insight import load_baseline, trend

        notify("baseline", 0, 1)
        started = time.perf_counter()
        try:
            baseline = load_baseline(errors, use_cache=use_cache, progress=progress, cancel=cancel)
        except LoadCancelled:
            raise
        except Exception as e:  # noqa: BLE001 - a missing baseline must not cost the day itself
            baseline = None
            notes.append(f"no trends: the baseline days could not be loaded ({e})")
        trends = trend(insight, baseline)
        timings["trend"] = time.perf_counter() - started
        notify("baseline", 1, 1)
    return Analysis(errors, clustering, insight, trends, timings, notes)


def run(request: Request, *, progress: Progress | None = None, cancel: threading.Event | None = None,
        with_insight: bool = True, with_trends: bool = True) -> Analysis:
    """Load, cluster, break down and compare with the baseline days; with ``spark_master`` the
    archive is read by the Spark job on that master (``analyse_spark``) instead of here."""
    if request.spark_master:
        from opint_core.spark import analyse_spark

        return analyse_spark(request.archive, request.selection, stream=request.stream,
                             master=request.spark_master, progress=progress, cancel=cancel,
                             with_insight=with_insight, with_trends=with_trends)
    errors = load_errors(request.archive, request.selection, stream=request.stream, use_cache=request.use_cache,
                         progress=progress, cancel=cancel)
    if cancel is not None and cancel.is_set():
        raise LoadCancelled()
    return analyse_errors(errors, progress=progress, cancel=cancel, with_insight=with_insight,
                          with_trends=with_trends, use_cache=request.use_cache)


def analyse(archive=DEFAULT_ARCHIVE, selection: Selection | None = None, *, stream: str = "fts",
            use_cache: bool = True, spark_master: str | None = None, **options) -> Analysis:
    """``run`` of the request these arguments describe (the short form for scripts and tests)."""
    request = Request(archive, selection or Selection.latest(), stream, use_cache, spark_master)
    return run(request, **options)
