#!/usr/bin/env python3
"""A realistic full day end to end: load, cluster and report, uncached and cached, seconds and peak RSS.

    .venv/bin/python benchmarks/bench_full_day.py [--scale 143] [--scratch DIR]

Writes one day of >= 4,000,000 FTS records (about a third failures; DOMAIN §5: 4.4 M attempts and 1.2 M
failures a day) with the sample-archive writer into --scratch (reused when an earlier run finished it),
then runs ``opint report --format json`` on that day in its own process, once reading the archive
(``--no-cache``), once writing the day cache and once from the cache.  Each run is wrapped by a small
process that reports the CLI's wall time and CPU time and peak RSS (``getrusage(RUSAGE_CHILDREN)``), so
every figure is that run's own.  Targets on a 2-core machine: <= 30 s uncached, <= 3 s cached, <= 1.5 GB peak RSS.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)
DAY = dt.date(2026, 11, 20)          # a Friday: weekday volume
DAY_DIR = f"project/monitoring/archive/fts/raw/complete/{DAY:%Y/%m/%d}"
DONE_MARK = "generated.json"        # written last: a scratch dir without it is regenerated
TARGETS = {"uncached": 30.0, "cached": 3.0}
TARGET_RSS_MB = 1536


def measure(cmd: list[str], env: dict) -> dict:
    """Run ``cmd`` and report its wall seconds, CPU seconds (the fairer figure on a shared machine) and
    peak RSS (this wrapper has no other children)."""
    started = time.perf_counter()
    done = subprocess.run(cmd, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode:
        raise SystemExit(f"{' '.join(cmd)} failed ({done.returncode}):\n{done.stderr[-2000:]}")
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {"seconds": seconds, "cpu": usage.ru_utime + usage.ru_stime, "peak_mb": usage.ru_maxrss / 1024}


def report_cmd(archive: Path, out: Path, store: Path, cached: bool) -> list[str]:
    cmd = [sys.executable, "-m", "opint_tui.cli", "--archive", str(archive), "--date", DAY.isoformat(),
           "--store", str(store)]
    return cmd + ([] if cached else ["--no-cache"]) + ["report", "--format", "json", "-o", str(out)]


def run_wrapped(kind: str, scratch: Path) -> dict:
    """One end-to-end run in a fresh wrapper process, so its RUSAGE_CHILDREN is this run's alone."""
    out = subprocess.run([sys.executable, __file__, "--wrapped", kind, str(scratch)],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def wrapped(kind: str, scratch: Path) -> dict:
    env = dict(os.environ, OPINT_CACHE_DIR=str(scratch / "cache"), OPINT_CONFIG=str(scratch / "no-config.toml"),
               PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    out = scratch / f"report-{kind}.json"
    result = measure(report_cmd(scratch / "archive", out, scratch / "store", kind != "uncached"), env)
    report = json.loads(out.read_text(encoding="utf-8"))
    result["categories"] = len(report.get("categories", []))
    return result


def ensure_day(scratch: Path, scale: float) -> dict:
    """The generated day's facts, writing it first unless an earlier run finished it at this scale."""
    mark = scratch / DONE_MARK
    if mark.exists():
        facts = json.loads(mark.read_text(encoding="utf-8"))
        if facts.get("scale") == scale:
            print(f"reusing the day in {scratch} (written in {facts['seconds']:.1f} s)")
            return facts
    import shutil

    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    started = time.perf_counter()
    from opint_core.sample_archive import write_sample_archive

    # today=False: a finished, compacted day (every part gzipped), which the cached run can cache
    write_sample_archive(scratch / "archive", days=1, seed=7, scale=scale, end=DAY, streams=("fts",), today=False)
    seconds = time.perf_counter() - started
    files = [p for p in (scratch / "archive" / DAY_DIR).iterdir()]
    facts = {"scale": scale, "seconds": seconds, "files": len(files),
             "bytes": sum(p.stat().st_size for p in files)}
    mark.write_text(json.dumps(facts), encoding="utf-8")
    return facts


def day_facts(scratch: Path) -> dict:
    """Records, failures, distinct messages, templates and the seconds of each analysis stage of the
    day, in this process from the cache the runs wrote (the same steps as the cached run)."""
    os.environ["OPINT_CACHE_DIR"] = str(scratch / "cache")
    from opint_core import Selection, analyse

    a = analyse(str(scratch / "archive"), Selection.day(DAY), stream="fts")
    return {"records": a.errors.report.records, "failures": a.errors.failures,
            "distinct": len(a.clustering.distinct_messages), "templates": len(a.clustering.templates),
            "timings": a.timings}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scale", type=float, default=143.0, help="sample-archive scale (143 ≈ 4.05 M FTS records)")
    ap.add_argument("--scratch", default=os.path.join("/tmp", "opint-bench-full-day"),
                    help="scratch directory for the day, its cache and the reports (reused when present)")
    ap.add_argument("--wrapped", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.wrapped:
        print(json.dumps(wrapped(args.wrapped[0], Path(args.wrapped[1]))))
        return 0

    scratch = Path(args.scratch)
    facts = ensure_day(scratch, args.scale)
    results = {"uncached": run_wrapped("uncached", scratch), "first load (writes cache)": run_wrapped("first", scratch),
               "cached": run_wrapped("cached", scratch)}
    day = day_facts(scratch)
    print(f"day {DAY}: {day['records']:,} FTS records, {day['failures']:,} failures, {day['distinct']:,} distinct "
          f"messages, {day['templates']:,} templates; {facts['files']} files, {facts['bytes'] / 1e6:.0f} MB "
          f"compressed; written in {facts['seconds']:.1f} s ({day['records'] / facts['seconds']:,.0f} records/s)")
    print("stages from the cache, in one process: "
          + ", ".join(f"{stage} {seconds:.1f} s" for stage, seconds in day["timings"].items()))
    print(f"cpu cores: {os.cpu_count()}, load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"\n{'end to end (load, cluster, report)':<36} {'seconds':>8} {'target':>7} {'cpu s':>6} {'peak MB':>8}"
          f" {'target':>7} {'categories':>10}")
    for name, r in results.items():
        target = TARGETS.get(name)
        target_s = f"<= {target:.0f}" if target else "-"
        print(f"{name:<36} {r['seconds']:8.1f} {target_s:>7} {r['cpu']:6.1f} {r['peak_mb']:8.0f}"
              f" {'<= ' + str(TARGET_RSS_MB):>7} {r['categories']:>10}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
