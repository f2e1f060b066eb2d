"""The whole way from an archive selection to something a shifter can triage: load, cluster, insight.

The app and the CLI run the same steps with the same progress callback: progress(stage, done, total),
stages "list", "files", "cluster", "insight".
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from opint_core.clustering import Clustering, cluster_table
from opint_core.loader import ErrorTable, LoadCancelled, Progress, load_errors
from opint_core.selection import Selection


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


def analyse(archive, selection: Selection | None = None, *, stream: str = "fts", use_cache: bool = True,
            progress: Progress | None = None, cancel: threading.Event | None = None,
            with_insight: bool = True, with_trends: bool = True, spark_master: str | None = None) -> Analysis:
    """Load, cluster, break down and compare with the baseline days; with ``spark_master`` the
    archive is read by the Spark job on that master (``analyse_spark``) instead of here."""
    if spark_master:
        from opint_core.spark import analyse_spark

        return analyse_spark(archive, selection, stream=stream, master=spark_master, progress=progress,
                             cancel=cancel, with_insight=with_insight, with_trends=with_trends)
    errors = load_errors(archive, selection, stream=stream, use_cache=use_cache, progress=progress, cancel=cancel)
    if cancel is not None and cancel.is_set():
        raise LoadCancelled()
    return analyse_errors(errors, progress=progress, cancel=cancel, with_insight=with_insight,
                          with_trends=with_trends, use_cache=use_cache)
