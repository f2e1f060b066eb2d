"""The driver side of the Spark path: plan the parts of a job (the selected days; their baseline
days), run it (``runner.py``), read its result back (``result.py``) as compact ErrorTables, and the
``SparkBackend`` that does all of it for a Request.

Nothing here imports pyspark, clusters or analyses: it hands tables to the pipeline, as the local
backend does.
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
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from opint_core.errors import LoadCancelled
from opint_core.load.archive import DEFAULT_ARCHIVE, Archive, DaySource
from opint_core.load.baseline import baseline_days
from opint_core.load.filesystem import open_archive_fs
from opint_core.load.request import Loaded, Progress, Request
from opint_core.load.selection import Selection
from opint_core.load.table import ErrorTable, LoadReport
from opint_core.spark.result import (
    PartResult, compact_table, duplicates, expand_table, expansion, file_reports, parse_rows, read_result,
    traffic_table,
)
from opint_core.spark.runner import DEFAULT_MASTER, LOCAL_MASTER, SparkError, find_spark_submit, is_local, run_job
from opint_core.spark.spec import DEFAULT_SAMPLES, build_spec


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
    """The baseline days of ``sources`` (``opint_core.load.baseline_days``: the days the local
    backend loads too), with their files."""
    days = sorted({s.day for s in sources if s.day})
    if not days:
        return []
    return [archive.day_source(stream, d) for d in baseline_days(archive, stream, days)]


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
        fs, path = open_archive_fs(uri)
        fs.delete_dir(path)
    except Exception:  # noqa: BLE001 - a leftover result of a few MB is no reason to fail the load
        pass


def errors_of(run: SparkRun, index: int, *, expand: bool = False) -> ErrorTable:
    """The ErrorTable of one part of a run: the compact table (rows weighted by ``count``), or with
    ``expand`` one row per failure (to compare the two: tests, benchmarks)."""
    part, result = run.parts[index], run.results[index]
    table = compact_table(result, part.stream)
    if expand:
        table = expand_table(table, expansion(table.column("count").to_numpy()))
    report = LoadReport(run.archive.uri, part.stream, part.selection, days=[s.day for s in part.sources if s.day],
                        final=all(s.final for s in part.sources), files=file_reports(result), seconds=run.seconds,
                        duplicates=duplicates(result))
    for s in part.sources:
        report.empty_files += s.empty_files
    return ErrorTable(table, report, traffic_table(result))


def tables_of(run: SparkRun, index: int = 0, baseline: int | None = 1, *, expand: bool = False) -> Loaded:
    """Part ``index`` of a run and, for its trends, part ``baseline`` (None when there is no such
    part or it has no days), as the local backend loads them."""
    base = None
    if baseline is not None and baseline < len(run.parts) and run.parts[baseline].sources:
        base = errors_of(run, baseline, expand=expand)
    return Loaded(errors_of(run, index, expand=expand), base)


class SparkBackend:
    """``Backend`` running the Spark job on ``master``: one scan of the selection and, with
    ``with_baseline``, of its baseline days. ``options``: more ``run_parts`` arguments (conf,
    submit, samples ...). The day cache is not used (``request.use_cache`` does not apply)."""

    def __init__(self, master: str = DEFAULT_MASTER, **options):
        self.master = master
        self.options = options

    def load(self, request: Request, *, progress: Progress | None = None, cancel: threading.Event | None = None,
             with_baseline: bool = False) -> Loaded:
        run = run_parts(request.archive, master=self.master, selection=request.selection, stream=request.stream,
                        with_baseline=with_baseline, progress=progress, cancel=cancel, **self.options)
        if cancel is not None and cancel.is_set():
            raise LoadCancelled()
        return tables_of(run, 0, 1 if with_baseline else None)


def load_errors_spark(archive: str | Archive = DEFAULT_ARCHIVE, selection: Selection | None = None, *,
                      stream: str = "fts", master: str = DEFAULT_MASTER, progress: Progress | None = None,
                      cancel: threading.Event | None = None, **options) -> ErrorTable:
    """``load_errors`` through the Spark job: the failures of ``stream`` for ``selection`` as a
    compact table, rebuilt from the job's per-template counts (see ``result.py``): its
    ``failures``, not ``len()``, is the number of failures."""
    run = run_parts(archive, master=master, selection=selection, stream=stream, progress=progress, cancel=cancel,
                    **options)
    return errors_of(run, 0)
