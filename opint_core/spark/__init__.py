"""Scale-out: the heavy scan as a Spark job (spark-submit to YARN on analytix, or local mode).

    errors = load_errors_spark(archive, selection, stream="fts", master="yarn")
    analysis = analyse_spark(archive, selection, stream="fts", master="local[2]")

The driver side (this package, minus ``job.py``) never imports pyspark: it resolves the selection
with opint's own Archive (the same days and files as the local loader), writes a job spec
(``spec.py``: the files per part, the fields, the failure filter and the masking rules generated
from opint's definitions), runs ``spark-submit job.py --spec …`` as a subprocess and follows its
progress (``runner.py``), then reads the small result back (``result.py``): per template the
counts per hour and per value of every column, first/last time and the most frequent raw
messages, for the selected days and, in the same scan, the baseline days of the trends.

The templates are clustered here with ``cluster_masked`` (the same template and category steps
as ``cluster``), so the templates, category keys and counts equal the local path's.

The ErrorTables handed downstream are the compact tables of ``result.py``: each row stands for
``count`` failures, and clustering, Insight, trends and reports weight every count by it, so local
memory grows with the number of templates and values, not of failures. ``expand=True`` (tests and
benchmarks only) returns one row per failure instead.
"""
from __future__ import annotations

import datetime as dt
import getpass
import os
import shutil
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import urlsplit

from opint_core.archive import DEFAULT_ARCHIVE, Archive, DaySource
from opint_core.loader import ErrorTable, LoadCancelled, LoadReport, Progress
from opint_core.selection import Selection
from opint_core.spark.result import (
    PartResult, compact_table, expand_table, expansion, file_reports, parse_rows, read_result,
)
from opint_core.spark.runner import (
    DEFAULT_MASTER, INSTALL_REMEDY, LOCAL_MASTER, SparkError, find_spark_submit, is_local,
    spark_available,
)
from opint_core.spark.spec import DEFAULT_SAMPLES, build_spec

__all__ = [
    "DEFAULT_MASTER", "INSTALL_REMEDY", "LOCAL_MASTER", "Part", "SparkError", "SparkRun",
    "analyse_spark", "analysis_of", "errors_of", "find_spark_submit", "load_errors_spark", "plan", "run_parts",
    "spark_available",
]


@dataclass
class Part:
    """What the job counts on its own: the files of some days of one stream."""

    name: str
    stream: str
    sources: list[DaySource]
    selection: str                  # the LoadReport's description
    samples: int = DEFAULT_SAMPLES  # raw messages kept per template


@dataclass
class SparkRun:
    """One job: its parts and, for each, the result read back."""

    archive: Archive
    master: str
    parts: list[Part]
    results: list[PartResult]
    done: dict = field(default_factory=dict)
    seconds: float = 0.0


def _file_uri(archive: Archive, path: str) -> str:
    """A path of the archive filesystem as Spark reads it (Hadoop paths: not percent-encoded)."""
    if "://" in archive.uri:
        parts = urlsplit(archive.uri)
        if parts.scheme in ("hdfs", "viewfs"):
            return f"{parts.scheme}://{parts.netloc}{path}"
    return "file://" + os.path.abspath(path)


def _is_local_archive(uri: str) -> bool:
    return "://" not in uri or uri.startswith("file:")


def _default_out(master: str, work: Path, run_id: str) -> str:
    if is_local(master):
        return "file://" + str(work / "out")
    return f"hdfs:///user/{getpass.getuser()}/opint/{run_id}"


def baseline_sources(archive: Archive, stream: str, sources: list[DaySource]) -> list[DaySource]:
    """The baseline days of opint_core.insight.load_baseline: as many days just before, those the
    archive has."""
    from opint_core.insight.trend import baseline_selection

    days = sorted({s.day for s in sources if s.day})
    if not days:
        return []
    sel = baseline_selection(days)
    present = set(archive.days_present(stream))
    want = [sel.first + dt.timedelta(days=k) for k in range((sel.last - sel.first).days + 1)]
    return [archive.day_source(stream, d) for d in want if d in present]


def plan(archive: Archive, selection: Selection, *, stream: str, with_baseline: bool,
         samples: int = DEFAULT_SAMPLES) -> list[Part]:
    """The parts of a selection: its days, then (for trends) their baseline days."""
    sources = archive.resolve(stream, selection)
    parts = [Part("selection", stream, sources, selection.describe(), samples)]
    if with_baseline:
        base = baseline_sources(archive, stream, sources)
        desc = f"baseline {base[0].day} .. {base[-1].day}" if base else "baseline"
        parts.append(Part("baseline", stream, base, desc, samples))
    return parts


def run_parts(archive: str | Archive, parts: list[Part] | None = None, *, master: str = DEFAULT_MASTER,
              selection: Selection | None = None, stream: str = "fts", with_baseline: bool = False,
              progress: Progress | None = None, cancel: threading.Event | None = None, out: str | None = None,
              samples: int = DEFAULT_SAMPLES, submit: str | None = None, conf: dict | None = None,
              extra_args: list[str] | tuple = (), keep_output: bool = False) -> SparkRun:
    """Run the job over ``parts`` (default: ``plan`` of ``selection``) and read its result."""
    started = time.perf_counter()
    notify = progress or (lambda stage, done, total: None)
    find_spark_submit(submit)   # before any listing: a missing Spark is the first thing to say
    archive = archive if isinstance(archive, Archive) else Archive(archive)
    if _is_local_archive(archive.uri) and not is_local(master):
        raise SparkError(f"the archive {archive.uri} is on this machine, and Spark master {master!r} runs "
                         "elsewhere: its executors cannot read it",
                         f"use --spark-master '{LOCAL_MASTER}' for a local archive, or the hdfs://analytix "
                         "archive with yarn")
    if parts is None:
        parts = plan(archive, selection or Selection.latest(), stream=stream, with_baseline=with_baseline,
                     samples=samples)
    ndays = sum(len(p.sources) for p in parts)
    notify("list", ndays, ndays)
    nfiles = sum(len(s.files) for p in parts for s in p.sources)
    run_id = f"{dt.datetime.now(dt.timezone.utc):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"
    work = Path(tempfile.mkdtemp(prefix=f"opint-spark-{run_id}-"))
    out = out or _default_out(master, work, run_id)
    spec = build_spec([{"name": p.name, "stream": p.stream, "samples": p.samples,
                        "files": [_file_uri(archive, f.path) for s in p.sources for f in s.files]} for p in parts],
                      out, name=f"opint {parts[0].stream} {parts[0].selection} ({nfiles} files)")
    from opint_core.spark.runner import run_job

    ok = False
    try:
        done = run_job(spec, work, master=master, submit=submit, conf=conf, extra_args=extra_args,
                       progress=progress, cancel=cancel)
        notify("spark-result", 0, 1)
        rows = read_result(done["out"])
        notify("spark-result", 1, 1)
        ok = True
    finally:
        if ok and not keep_output:
            shutil.rmtree(work, ignore_errors=True)
            if not out.startswith("file://"):
                _delete_output(out)
    return SparkRun(archive, master, parts, parse_rows(rows, len(parts)), done, time.perf_counter() - started)


def _delete_output(uri: str) -> None:
    """Best effort: the job's result directory on HDFS, once read."""
    try:
        from opint_core.archive_fs import open_archive_fs

        fs, path = open_archive_fs(uri)
        fs.delete_dir(path)
    except Exception:  # noqa: BLE001 - a leftover result of a few MB is no reason to fail the load
        pass


def errors_of(run: SparkRun, index: int, *, expand: bool = False, cluster: bool = True):
    """(ErrorTable, Clustering or None) of one part of a run: the compact table (rows weighted by
    ``count``), or with ``expand`` one row per failure (to compare the two: tests, benchmarks)."""
    from opint_core.clustering import cluster_table

    part, result = run.parts[index], run.results[index]
    compact = compact_table(result, part.stream)
    clustering = cluster_table(compact) if cluster else None
    table = compact
    if expand:
        idx = expansion(compact.column("count").to_numpy())
        table = expand_table(compact, idx)
        if clustering is not None:
            distinct = clustering.distinct_of
            clustering = replace(clustering, template_of=clustering.template_of[idx],
                                 category_of=clustering.category_of[idx],
                                 distinct_of=distinct[idx] if distinct is not None else None)
    report = LoadReport(run.archive.uri, part.stream, part.selection, days=[s.day for s in part.sources if s.day],
                        final=all(s.final for s in part.sources), files=file_reports(result), seconds=run.seconds)
    for s in part.sources:
        report.empty_files += s.empty_files
    return ErrorTable(table, report), clustering


def analysis_of(run: SparkRun, index: int = 0, baseline: int | None = 1, *, expand: bool = False,
                with_insight: bool = True, with_trends: bool = True, progress: Progress | None = None):
    """Clustering, insight and trends of part ``index`` (its baseline: part ``baseline``), as
    ``analyse_errors`` computes them."""
    from opint_core.pipeline import Analysis

    notify = progress or (lambda stage, done, total: None)
    timings = {"load": run.seconds}
    notify("cluster", 0, 1)
    started = time.perf_counter()
    errors, clustering = errors_of(run, index, expand=expand)
    timings["cluster"] = time.perf_counter() - started
    notify("cluster", 1, 1)
    insight = trends = None
    if with_insight:
        from opint_core.insight import Insight

        notify("insight", 0, 1)
        started = time.perf_counter()
        insight = Insight(errors, clustering)
        timings["insight"] = time.perf_counter() - started
        notify("insight", 1, 1)
    if insight is not None and with_trends and errors.report.days:
        from opint_core.insight import trend

        started = time.perf_counter()
        base = base_clustering = None
        if baseline is not None and baseline < len(run.parts) and run.parts[baseline].sources:
            base, base_clustering = errors_of(run, baseline, expand=expand)
            if not len(base):
                base_clustering = None
        trends = trend(insight, base, baseline_clustering=base_clustering)
        timings["trend"] = time.perf_counter() - started
    return Analysis(errors, clustering, insight, trends, timings, [])


def load_errors_spark(archive: str | Archive = DEFAULT_ARCHIVE, selection: Selection | None = None, *,
                      stream: str = "fts", master: str = DEFAULT_MASTER, progress: Progress | None = None,
                      cancel: threading.Event | None = None, **options) -> ErrorTable:
    """``load_errors`` through the Spark job: the failures of ``stream`` for ``selection`` as a
    compact table, rebuilt from the job's per-template counts (see ``result.py``): its
    ``failures``, not ``len()``, is the number of failures."""
    run = run_parts(archive, master=master, selection=selection, stream=stream, progress=progress, cancel=cancel,
                    **options)
    return errors_of(run, 0, cluster=False)[0]


def analyse_spark(archive: str | Archive = DEFAULT_ARCHIVE, selection: Selection | None = None, *,
                  stream: str = "fts", master: str = DEFAULT_MASTER, progress: Progress | None = None,
                  cancel: threading.Event | None = None, with_insight: bool = True, with_trends: bool = True,
                  **options):
    """``analyse`` through the Spark job: one scan of the selected days and of their baseline days
    (for trends), then clustering, insight and trends here, as ``analyse_errors`` does them."""
    run = run_parts(archive, master=master, selection=selection, stream=stream, progress=progress, cancel=cancel,
                    with_baseline=with_insight and with_trends, **options)
    if cancel is not None and cancel.is_set():
        raise LoadCancelled()
    return analysis_of(run, 0, 1, with_insight=with_insight, with_trends=with_trends, progress=progress)
