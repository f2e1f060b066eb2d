"""Records/s of the local path and of the Spark job in local mode, on the same days.

    .venv/bin/python benchmarks/bench_spark.py [--days 3] [--scale 3] [--archive DIR] [--master 'local[2]']

Writes a sample archive (``--days`` final days plus the .tmp day; ``--scale 3`` is ~90,000 FTS
records a day) or reuses ``--archive``, then runs, on the final days (``--from/--to``):

  - local load: ``load_errors(..., use_cache=False)`` -- read, filter, map (no clustering);
  - local analyse: ``analyse(..., with_trends=False)`` -- load + cluster + insight;
  - spark job: ``load_errors_spark(..., master)`` -- spark-submit, the job, the result read back;
    also the job's own seconds (after the JVM and the session are up);
  - spark analyse: ``analyse(..., spark_master=master, with_trends=False)`` -- the job, clustering and
    insight here.

Each in its own process; Spark with its default settings (no test tuning). Prints seconds and
records/s (records read, successes included), and checks that both paths find the same templates
and counts. On two cores Spark local mode is not expected to win: it pays off on a cluster, for
weeks and months (see the README).

Then local memory, from the spark-load job's result (saved, not run again): clustering and insight
of the compact table (what the Spark path uses: a row per template and value, weighted by its
``count``) and of the same table expanded to one row per failure (``errors_of(expand=True)``), each
in its own process: rows, failures, the Arrow table's MB and the process's peak RSS (and its growth
over the imports).
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import pickle
import resource
import subprocess
import sys
import tempfile
import time

END = dt.date(2026, 11, 20)


def peak_rss_mb() -> float:
    """This process's peak RSS: VmHWM (ru_maxrss would carry the forking parent's peak over exec)."""
    try:
        with open("/proc/self/status") as f:
            return next(int(line.split()[1]) for line in f if line.startswith("VmHWM:")) / 1024
    except (OSError, StopIteration):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024   # KB on Linux


def memory(kind: str, root: str, saved: str) -> dict:
    """Cluster and insight of the saved job result, compact or expanded to one row per failure."""
    # the imports are part of the baseline, not of the table
    import opint_core
    import opint_core.insight
    import opint_core.pipeline  # noqa: F401
    from opint_core.load.archive import Archive
    from opint_core.pipeline import analyse_loaded
    from opint_core.spark import SparkRun, tables_of

    with open(saved, "rb") as f:
        master, parts, results = pickle.load(f)
    before = peak_rss_mb()
    started = time.perf_counter()
    a = analyse_loaded(tables_of(SparkRun(Archive(root), master, parts, results), 0, None,
                                 expand=kind == "memory-expanded"), with_trends=False)
    a.insight.prepare()   # what the drill-down computes: codes of every dimension, distinct messages
    return {"rows": len(a.errors), "failures": a.errors.failures, "mb": a.errors.table.nbytes / 1e6,
            "peak": peak_rss_mb(), "growth": peak_rss_mb() - before, "seconds": time.perf_counter() - started}


def contender(kind: str, root: str, first: str, last: str, master: str, saved: str) -> dict:
    import opint_core as core

    sel = core.Selection.range(first, last)
    started = time.perf_counter()
    job_seconds = None
    if kind == "local-load":
        et = core.load_errors(root, sel, stream="fts", use_cache=False)
        records, failures, templates = et.report.records, len(et), None
    elif kind == "local-analyse":
        a = core.analyse(root, sel, stream="fts", use_cache=False, with_trends=False)
        records, failures = a.report.records, a.errors.failures
        templates = [a.clustering.templates, a.clustering.template_counts.tolist()]
    elif kind == "spark-load":
        from opint_core.spark import errors_of, run_parts

        run = run_parts(root, master=master, selection=sel, stream="fts")
        et = errors_of(run, 0)
        records, failures, templates = et.report.records, et.failures, None
        job_seconds = run.done.get("seconds")
        with open(saved, "wb") as f:   # for the memory contenders
            pickle.dump((master, run.parts, run.results), f)
    else:
        a = core.analyse(root, sel, stream="fts", spark_master=master, with_trends=False)
        records, failures = a.report.records, a.errors.failures
        templates = [a.clustering.templates, a.clustering.template_counts.tolist()]
    return {"seconds": time.perf_counter() - started, "records": records, "failures": failures,
            "templates": templates, "job_seconds": job_seconds}


def run(kind: str, *args: str) -> dict:
    out = subprocess.run([sys.executable, __file__, "--contender", kind, *args], capture_output=True, text=True)
    if out.returncode:
        sys.stderr.write(out.stderr[-3000:])
        raise SystemExit(f"{kind} failed")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--days", type=int, default=3, help="final days to compare (default 3)")
    parser.add_argument("--scale", type=float, default=3.0, help="sample-archive volume (1.0: ~30k FTS/day)")
    parser.add_argument("--archive", help="reuse this archive (its last --days final days)")
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--contender", nargs=6, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.contender:
        kind, root, *_, saved = args.contender
        print(json.dumps(memory(kind, root, saved) if kind.startswith("memory") else contender(*args.contender)))
        return 0
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
    import opint_core as core

    if not core.spark_available():
        raise SystemExit("Spark is not available: pip install 'pyspark==3.5.*' (and Java 17)")
    root = args.archive
    if root is None:
        root = os.path.join(tempfile.mkdtemp(prefix="opint-bench-spark-"), "archive")
        t = time.perf_counter()
        core.write_sample_archive(root, days=args.days + 1, seed=5, scale=args.scale, end=END)
        print(f"sample archive: {args.days + 1} days at scale {args.scale} in {time.perf_counter() - t:.1f} s: {root}")
    days = [d for d in core.Archive(root).days_present("fts")][-(args.days + 1):-1]
    first, last = str(days[0]), str(days[-1])
    print(f"days {first} .. {last} (fts), Spark master {args.master}, {os.cpu_count()} CPUs\n")
    print(f"{'contender':<16}{'seconds':>9}{'records':>11}{'records/s':>12}{'failures':>10}  notes")
    results = {}
    saved = os.path.join(tempfile.mkdtemp(prefix="opint-bench-spark-run-"), "run.pickle")
    for kind in ("local-load", "local-analyse", "spark-load", "spark-analyse"):
        r = results[kind] = run(kind, root, first, last, args.master, saved)
        note = f"job itself {r['job_seconds']:.1f} s ({r['records'] / r['job_seconds']:,.0f} records/s)" \
            if r.get("job_seconds") else ""
        print(f"{kind:<16}{r['seconds']:>9.1f}{r['records']:>11,}{r['records'] / r['seconds']:>12,.0f}"
              f"{r['failures']:>10,}  {note}", flush=True)
    same = results["local-analyse"]["templates"] == results["spark-analyse"]["templates"]
    print(f"\nsame templates and counts in both paths: {same}")
    ratio = results["spark-load"]["seconds"] / results["local-load"]["seconds"]
    print(f"spark-load / local-load time: {ratio:.1f}x  (local mode on {os.cpu_count()} CPUs: the JVM start and the "
          "per-stage overhead dominate small inputs)")

    print("\nlocal memory of the Spark path, cluster + insight of the job's result (each in its own process):")
    print(f"{'table':<10}{'rows':>11}{'failures':>11}{'Arrow MB':>10}{'peak RSS MB':>13}{'growth MB':>11}{'seconds':>9}")
    for kind, name in (("memory-compact", "compact"), ("memory-expanded", "expanded")):
        m = results[kind] = run(kind, root, first, last, args.master, saved)
        print(f"{name:<10}{m['rows']:>11,}{m['failures']:>11,}{m['mb']:>10.1f}{m['peak']:>13.0f}{m['growth']:>11.0f}"
              f"{m['seconds']:>9.1f}", flush=True)
    c, e = results["memory-compact"], results["memory-expanded"]
    print(f"compact / expanded: rows {c['rows'] / e['rows']:.3f}x, Arrow bytes {c['mb'] / e['mb']:.3f}x, "
          f"RSS growth {c['growth'] / max(e['growth'], 1e-9):.2f}x (the same {c['failures']:,} failures)")
    return 0 if same and c["failures"] == e["failures"] else 1


if __name__ == "__main__":
    sys.exit(main())
