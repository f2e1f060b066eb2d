"""Loading speed: opint's loader against a bare pyarrow.json.read_json of the same files, and the cache.

    .venv/bin/python benchmarks/bench_load.py [--scale 34] [--archive DIR] [--repeat 2]

Generates one day of >= 1,000,000 FTS records (about a third failures) with the sample-archive writer
(or reuses --archive), then runs each contender in its own process (so peak memory is its own) and
prints seconds, records/s, peak RSS and the ratios:
  - bare read_json: pyarrow.json.read_json(path) on every file, one after the other, with the explicit
    schema of the fields we use (inferring the schema fails on these records: see contender());
  - opint uncached: load_errors(..., use_cache=False), all the work (failures filtered, columns mapped,
    the traffic of every record counted);
  - opint uncached, no traffic: the same with with_traffic=False, to measure what counting the traffic
    costs (target: uncached <= 1.1x this);
  - opint first load: the same, writing the day cache;
  - opint cached: the second load of that day.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import gzip
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DAY = dt.date(2026, 11, 20)


def contender(kind: str, root: str, cache: str) -> dict:
    import pyarrow.json as pj

    from opint_core import Selection, load_errors

    started = time.perf_counter()
    if kind == "bare":
        # Schema inference fails on real-shaped FTS records (file_metadata is null in some, an object in
        # others), so the bare read gets the same explicit schema of the fields we use: the least work
        # pyarrow can do to read these files, with nothing filtered or mapped.
        from opint_core.load.records import RAW_SCHEMAS

        options = pj.ParseOptions(explicit_schema=RAW_SCHEMAS["fts"], unexpected_field_behavior="ignore")
        base = Path(root, "project/monitoring/archive/fts/raw/complete", f"{DAY:%Y/%m/%d}")
        records = sum(pj.read_json(str(p), parse_options=options).num_rows
                      for p in sorted(base.iterdir()) if p.stat().st_size)
        failures = None
    else:
        et = load_errors(root, Selection.day(DAY), stream="fts", use_cache=kind not in ("uncached", "no-traffic"),
                         cache_dir=cache, with_traffic=kind != "no-traffic")
        records, failures = et.report.records, et.failures
        if kind == "cached":
            assert et.report.cached_days == [DAY], "the cached run did not read the cache"
    seconds = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_SELF)
    # CPU seconds of the whole process: the fairer figure when the machine is shared
    return {"seconds": seconds, "cpu": usage.ru_utime + usage.ru_stime, "records": records, "failures": failures,
            "peak_mb": usage.ru_maxrss / 1024}


def run(kind: str, root: str, cache: str) -> dict:
    out = subprocess.run([sys.executable, __file__, "--contender", kind, root, cache],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def make_archive(root: str, scale: float) -> None:
    from opint_core.sample_archive import write_sample_archive

    started = time.perf_counter()
    write_sample_archive(root, days=1, seed=7, scale=scale, end=DAY, streams=("fts",))
    # The writer puts the current day in DD.tmp; make it a finished day so that it can be cached.
    base = Path(root, "project/monitoring/archive/fts/raw/complete", f"{DAY:%Y/%m}")
    tmp = base / f"{DAY:%d}.tmp"
    if tmp.exists():
        tmp.rename(base / f"{DAY:%d}")
    # ... and compacted like MONIT's final days: every part file gzipped, no empty ones.
    for part in (base / f"{DAY:%d}").iterdir():
        if part.suffix == ".json":
            if part.stat().st_size:
                with open(part, "rb") as src, gzip.open(f"{part}.gz", "wb", compresslevel=6) as dst:
                    shutil.copyfileobj(src, dst, 1 << 20)
            part.unlink()
    print(f"generated the archive in {time.perf_counter() - started:.1f} s")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scale", type=float, default=34.0, help="sample-archive scale (34 ≈ 1M FTS records)")
    ap.add_argument("--archive", help="reuse an archive written by an earlier run")
    ap.add_argument("--repeat", type=int, default=2, help="runs per contender; the best is kept")
    ap.add_argument("--contender", nargs=3, help=argparse.SUPPRESS)
    ap.add_argument("--make-archive", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.contender:
        print(json.dumps(contender(*args.contender)))
        return 0
    if args.make_archive:
        make_archive(args.make_archive, args.scale)
        return 0

    work = tempfile.mkdtemp(prefix="opint-bench-load-")
    root = args.archive or os.path.join(work, "archive")
    if not args.archive:
        # in its own process: a contender's peak RSS (ru_maxrss) starts from that of the process that
        # started it, so this one must stay small
        subprocess.run([sys.executable, __file__, "--make-archive", root, "--scale", str(args.scale)], check=True)
    files = list(Path(root, "project/monitoring/archive/fts/raw/complete", f"{DAY:%Y/%m/%d}").iterdir())
    size = sum(p.stat().st_size for p in files)
    print(f"archive: {root}: {len(files)} files, {size / 1e6:.0f} MB compressed, cpu cores: {os.cpu_count()}")

    def best(kind, cache):
        runs = [run(kind, root, cache) for _ in range(args.repeat)]
        return min(runs, key=lambda r: r["seconds"])

    results = {"bare read_json": best("bare", "-"), "opint uncached": best("uncached", os.path.join(work, "c0")),
               "opint uncached, no traffic": best("no-traffic", os.path.join(work, "c0"))}
    first_cache = os.path.join(work, "c1")
    results["opint first load (writes cache)"] = run("first", root, first_cache)
    results["opint cached"] = best("cached", first_cache)

    bare = results["bare read_json"]["seconds"]
    uncached = results["opint uncached"]["seconds"]
    print(f"\n{'contender':<32} {'seconds':>8} {'cpu s':>7} {'records/s':>11} {'failures':>10} {'peak MB':>8}")
    for name, r in results.items():
        fails = f"{r['failures']:,}" if r["failures"] is not None else "-"
        print(f"{name:<32} {r['seconds']:8.2f} {r['cpu']:7.2f} {r['records'] / r['seconds']:11,.0f} {fails:>10}"
              f" {r['peak_mb']:8.0f}")
    print(f"\nrecords in the day: {results['opint uncached']['records']:,}")
    print(f"opint uncached / bare read_json: {uncached / bare:.2f}x  (target <= 1.5x)")
    no_traffic = results["opint uncached, no traffic"]["seconds"]
    print(f"opint uncached with traffic / without: {uncached / no_traffic:.2f}x  (target <= 1.1x); in cpu seconds "
          f"{results['opint uncached']['cpu'] / results['opint uncached, no traffic']['cpu']:.2f}x")
    print(f"opint cached is {uncached / results['opint cached']['seconds']:.1f}x faster than uncached  (target >= 10x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
