"""Records/s of the local path and of the Spark job in local mode, on the same days.

    .venv/bin/python benchmarks/bench_spark.py [--days 3] [--scale 3] [--archive DIR] [--master 'local[2]']

Writes a sample archive (``--days`` final days plus the .tmp day; ``--scale 3`` is ~90,000 FTS
records a day) or reuses ``--archive``, then runs, on the final days (``--from/--to``):

  - local load: ``load_errors(..., use_cache=False)`` -- read, filter, map (no clustering);
  - local analyse: ``analyse(..., with_trends=False)`` -- load + cluster + insight;
  - spark job: ``load_errors_spark(..., master)`` -- spark-submit, the job, the result read back;
    also the job's own seconds (after the JVM and the session are up);
  - spark analyse: ``analyse_spark(..., with_trends=False)`` -- the job, clustering and insight here.

Each in its own process; Spark with its default settings (no test tuning). Prints seconds and
records/s (records read, successes included), and checks that both paths find the same templates
and counts. On two cores Spark local mode is not expected to win: it pays off on a cluster, for
weeks and months (see the README).
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time

END = dt.date(2026, 11, 20)


def contender(kind: str, root: str, first: str, last: str, master: str) -> dict:
    import opint_core as core

    sel = core.Selection.range(first, last)
    started = time.perf_counter()
    job_seconds = None
    if kind == "local-load":
        et = core.load_errors(root, sel, stream="fts", use_cache=False)
        records, failures, templates = et.report.records, len(et), None
    elif kind == "local-analyse":
        a = core.analyse(root, sel, stream="fts", use_cache=False, with_trends=False)
        records, failures = a.report.records, len(a.errors)
        templates = [a.clustering.templates, a.clustering.template_counts.tolist()]
    elif kind == "spark-load":
        from opint_core.spark import errors_of, run_parts

        run = run_parts(root, master=master, selection=sel, stream="fts")
        et, _ = errors_of(run, 0, cluster=False)
        records, failures, templates = et.report.records, len(et), None
        job_seconds = run.done.get("seconds")
    else:
        a = core.analyse_spark(root, sel, stream="fts", master=master, with_trends=False)
        records, failures = a.report.records, len(a.errors)
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
    parser.add_argument("--contender", nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.contender:
        print(json.dumps(contender(*args.contender)))
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
    for kind in ("local-load", "local-analyse", "spark-load", "spark-analyse"):
        r = results[kind] = run(kind, root, first, last, args.master)
        note = f"job itself {r['job_seconds']:.1f} s ({r['records'] / r['job_seconds']:,.0f} records/s)" \
            if r.get("job_seconds") else ""
        print(f"{kind:<16}{r['seconds']:>9.1f}{r['records']:>11,}{r['records'] / r['seconds']:>12,.0f}"
              f"{r['failures']:>10,}  {note}", flush=True)
    same = results["local-analyse"]["templates"] == results["spark-analyse"]["templates"]
    print(f"\nsame templates and counts in both paths: {same}")
    ratio = results["spark-load"]["seconds"] / results["local-load"]["seconds"]
    print(f"spark-load / local-load time: {ratio:.1f}x  (local mode on {os.cpu_count()} CPUs: the JVM start and the "
          "per-stage overhead dominate small inputs)")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
