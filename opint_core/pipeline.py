"""The whole way from an archive selection to something a shifter can triage: load, cluster, insight,
trends.

The one place that knows both backends: a Request with ``spark_master`` is read by the Spark job
(``opint_core.spark.SparkBackend``), any other in this process (``opint_core.load.LocalBackend``).
Both hand back tables (``Loaded``: the failures and those of the baseline days); what follows is
the same for both. The app and the CLI run the same steps with the same progress callback:
progress(stage, done, total), stages as in ``opint_core.stages``.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from opint_core.clustering import Clustering, cluster_table
from opint_core.errors import LoadCancelled
from opint_core.causes import CauseBase, default_cause_base
from opint_core.incidents import Incident, detect, with_new_messages
from opint_core.insight import Insight, Trends, trend
from opint_core.load import (
    DEFAULT_ARCHIVE, Backend, ErrorTable, LoadReport, Loaded, LocalBackend, Progress, Request, Selection,
)
from opint_core.load.scope import ScopeError, scope_baseline, scope_errors, vos_present
from opint_core.sites import SiteTable, default_site_table
from opint_core.sites.naming import canonical_sites
from opint_core.spark import SparkBackend


@dataclass
class Analysis:
    errors: ErrorTable
    clustering: Clustering
    insight: Insight | None = None
    trends: Trends | None = None
    timings: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # what went wrong beside the main load
    vo: tuple[str, ...] = ()   # the scope: the VOs analysed (empty: every VO)
    vos_present: list[tuple[str, int]] = field(default_factory=list)  # every VO of the selection, failures
    incidents: list[Incident] | None = None   # None: not detected (no insight)
    baseline: ErrorTable | None = field(default=None, repr=False)   # the baseline days' failures and traffic

    @property
    def report(self) -> LoadReport:
        return self.errors.report


def backend_for(request: Request) -> Backend:
    """The Spark job on ``request.spark_master`` when it is set, else this process."""
    if request.spark_master and request.vo:
        # The job's compact table couples each column's counts per template, not the records: rows
        # of one VO would carry the sites and hours of others, so it cannot be scoped afterwards.
        raise ScopeError(f"a VO scope ({', '.join(request.vo)}) cannot be combined with the Spark job yet: "
                         f"its per-template counts are not split by VO",
                         "drop --spark (the local loader scopes the day), or drop --vo / the config's vo "
                         "setting (--vo all) to read every VO with Spark")
    return SparkBackend(request.spark_master) if request.spark_master else LocalBackend()


def scope_loaded(loaded: Loaded, vos: tuple[str, ...]) -> Loaded:
    """``loaded`` (the whole days, as the backend read and cached them) scoped to ``vos`` before
    anything is clustered: the selection, and the baseline days the same way."""
    if vos:
        loaded.errors = scope_errors(loaded.errors, vos)
        loaded.baseline = scope_baseline(loaded.baseline, vos)
    return loaded


def named_sites(errors: ErrorTable | None, sites: SiteTable | None) -> ErrorTable | None:
    """``errors`` (failures and traffic) with sites in WLCG names (``opint_core.sites.naming``)."""
    if errors is None:
        return None
    sites = sites or default_site_table()
    return ErrorTable(canonical_sites(errors.table, sites), errors.report, canonical_sites(errors.traffic, sites))


def shaped(loaded: Loaded, request: Request) -> Loaded:
    """What the backend read, as the analysis wants it: sites named by the request's site table, then
    scoped to its VOs (the selection and the baseline days alike)."""
    loaded.errors = named_sites(loaded.errors, request.sites)
    loaded.baseline = named_sites(loaded.baseline, request.sites)
    return scope_loaded(loaded, request.vo)


def load_request(request: Request, *, progress: Progress | None = None,
                 cancel: threading.Event | None = None) -> ErrorTable:
    """The failures a request selects (scoped to its VOs), read by its backend (no baseline): a
    compact table (rows weighted by ``count``) from the Spark job."""
    return shaped(backend_for(request).load(request, progress=progress, cancel=cancel), request).errors


def run(request: Request, *, progress: Progress | None = None, cancel: threading.Event | None = None,
        with_insight: bool = True, with_trends: bool = True) -> Analysis:
    """Load (the selection, and its baseline days for the trends), cluster, break down and compare
    with the baseline, through the backend of the request."""
    started = time.perf_counter()
    loaded = backend_for(request).load(request, progress=progress, cancel=cancel,
                                       with_baseline=with_insight and with_trends)
    if cancel is not None and cancel.is_set():
        raise LoadCancelled()
    present = vos_present(loaded.errors.table)   # of the whole selection: what the scope may choose from
    analysis = analyse_loaded(shaped(loaded, request), progress=progress, cancel=cancel,
                              with_insight=with_insight, with_trends=with_trends,
                              load_seconds=time.perf_counter() - started, causes=request.causes)
    analysis.vo, analysis.vos_present = request.vo, present
    return analysis


def analyse(archive=DEFAULT_ARCHIVE, selection: Selection | None = None, *, stream: str = "fts",
            use_cache: bool = True, spark_master: str | None = None, vo: tuple[str, ...] = (),
            sites: SiteTable | None = None, **options) -> Analysis:
    """``run`` of the request these arguments describe (the short form for scripts and tests)."""
    request = Request(archive, selection or Selection.latest(), stream, use_cache, spark_master, vo, sites)
    return run(request, **options)


def analyse_errors(errors: ErrorTable, *, progress: Progress | None = None,
                   cancel: threading.Event | None = None, with_insight: bool = True,
                   with_trends: bool = True, use_cache: bool = True, sites: SiteTable | None = None) -> Analysis:
    """The analysis of failures loaded already: sites named, cluster, insight, and trends against the
    preceding days, read here through the local loader (none for a path list)."""
    loaded = Loaded(named_sites(errors, sites))
    if with_insight and with_trends and errors.report.days:
        baseline, loaded.notes = LocalBackend().baseline(errors, use_cache=use_cache, progress=progress,
                                                         cancel=cancel)
        loaded.baseline = named_sites(baseline, sites)
    return analyse_loaded(loaded, progress=progress, cancel=cancel, with_insight=with_insight,
                          with_trends=with_trends)


def analyse_loaded(loaded: Loaded, *, progress: Progress | None = None, cancel: threading.Event | None = None,
                   with_insight: bool = True, with_trends: bool = True,
                   load_seconds: float | None = None, causes: CauseBase | None = None) -> Analysis:
    """Cluster, then insight, then trends against ``loaded.baseline`` (none for a path list: it has
    no days); never loads. A compact (Spark) table is clustered by its templates, weighted."""
    errors = loaded.errors
    notify = progress or (lambda stage, done, total: None)
    timings = {"load": errors.report.seconds if load_seconds is None else load_seconds}
    notify("cluster", 0, 1)
    started = time.perf_counter()
    clustering = cluster_table(errors.table)
    timings["cluster"] = time.perf_counter() - started
    notify("cluster", 1, 1)
    if cancel is not None and cancel.is_set():
        raise LoadCancelled()
    insight = trends = None
    if with_insight:
        notify("insight", 0, 1)
        started = time.perf_counter()
        # the ErrorTable: its days fix the timeline window; its traffic gives the rates
        insight = Insight(errors, clustering, traffic=errors.traffic)
        timings["insight"] = time.perf_counter() - started
        notify("insight", 1, 1)
    if insight is not None and with_trends and errors.report.days:
        started = time.perf_counter()
        trends = trend(insight, loaded.baseline)
        timings["trend"] = time.perf_counter() - started
    incidents = None
    if insight is not None:
        started = time.perf_counter()
        incidents = find_incidents(insight, errors.traffic, loaded.baseline, trends, causes)
        timings["incidents"] = time.perf_counter() - started
    return Analysis(errors, clustering, insight, trends, timings, list(loaded.notes), incidents=incidents,
                    baseline=loaded.baseline)


def find_incidents(insight, traffic, baseline, trends, causes: CauseBase | None = None) -> list[Incident]:
    """The incidents step of an analysis: detection, never-seen messages made new, known causes."""
    incidents = detect(insight, traffic, baseline=baseline,
                       baseline_groups=trends.baseline_groups if trends is not None else None)
    incidents = with_new_messages(incidents, insight, trends)
    return with_causes(incidents, causes or default_cause_base())


def with_causes(incidents: list[Incident], causes: CauseBase) -> list[Incident]:
    """Each incident with the known cause of its category's pattern (one vectorised pass)."""
    found = causes.match([i.pattern for i in incidents]) if incidents else []
    return [i.with_cause(c) if c is not None else i for i, c in zip(incidents, found)]
