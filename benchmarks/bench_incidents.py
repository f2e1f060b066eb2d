#!/usr/bin/env python3
"""What incident detection adds to the analysis of a day of >= 1,000,000 FTS records (target: < 1 s), and
how its cost grows when the sites grow tenfold.

    .venv/bin/python benchmarks/bench_incidents.py [--scale 34] [--scratch DIR] [--repeat 3]

Writes two days with the sample-archive writer (the day and its baseline day; reused when present),
analyses the latest one (load from the day cache, cluster, insight, trends) and times the incidents step
(``find_incidents``: detection, never-seen messages, known causes),
best of --repeat, next to the clustering of the same day measured in the same run. Then the same
detection on a copy of the day whose sites are split tenfold (every site name suffixed by one of ten
values, so the grid has ten times the sites and each one a tenth of the traffic).
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time

import pyarrow as pa
import pyarrow.compute as pc

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
DAY = dt.date(2026, 11, 20)


def best(fn, repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return min(times), result


def split_sites(table: pa.Table, parts: int) -> pa.Table:
    """Every site name suffixed by one of ``parts`` values (by row number): tenfold sites."""
    import numpy as np

    suffix = pa.array((np.arange(table.num_rows) % parts).astype(str)).cast(pa.string())
    for column in ("src_site", "dst_site"):
        if column in table.column_names:
            named = pc.binary_join_element_wise(pc.fill_null(table.column(column), "(unknown)"),
                                                pc.binary_join_element_wise("-", suffix, ""), "")
            table = table.set_column(table.schema.get_field_index(column), column, named)
    return table


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scale", type=float, default=34.0, help="sample-archive scale (34 ≈ 1.07 M FTS records a day)")
    ap.add_argument("--scratch", default="/tmp/opint-bench-incidents")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    os.environ["OPINT_CACHE_DIR"] = os.path.join(args.scratch, "cache")
    from opint_core import Selection, analyse, write_sample_archive
    from opint_core.incidents import detect
    from opint_core.pipeline import find_incidents
    from opint_core.load import ErrorTable

    root = os.path.join(args.scratch, "archive")
    if not os.path.exists(os.path.join(args.scratch, "done")):
        started = time.perf_counter()
        write_sample_archive(root, days=2, seed=3, scale=args.scale, end=DAY, streams=("fts",), today=False)
        open(os.path.join(args.scratch, "done"), "w").close()
        print(f"wrote the two days in {time.perf_counter() - started:.0f} s")
    analyse(root, Selection.day(DAY))   # fills the day cache: the timed runs below read it
    a = analyse(root, Selection.day(DAY))
    baseline = a.baseline
    # the analysis's whole incidents step: detection, never-seen messages, known causes
    run = lambda: find_incidents(a.insight, a.errors.traffic, baseline, a.trends)
    seconds, incidents = best(run, args.repeat)
    from opint_core.clustering import cluster_table

    cluster_s, _ = best(lambda: cluster_table(a.errors.table), 1)
    print(f"day {DAY}: {a.errors.report.records:,} records, {a.errors.failures:,} failures, "
          f"{len(a.clustering.categories)} categories, {a.errors.traffic.num_rows:,} traffic rows; "
          f"baseline {baseline.failures:,} failures" if baseline is not None else "no baseline")
    print(f"incidents (detect, novelty, causes): {seconds:.3f} s (target < 1 s), {len(incidents)} incidents; clustering the same day: "
          f"{cluster_s:.2f} s (detect / clustering = {seconds / cluster_s:.2f})")

    from opint_core.insight import Insight

    wide = ErrorTable(split_sites(a.errors.table, 10), a.errors.report, split_sites(a.errors.traffic, 10))
    wide_base = ErrorTable(split_sites(baseline.table, 10), baseline.report, split_sites(baseline.traffic, 10))
    wide_insight = Insight(wide, a.clustering)
    wide_s, wide_incidents = best(lambda: detect(wide_insight, wide.traffic, baseline=wide_base,
                                                 baseline_groups=a.trends.baseline_groups), args.repeat)
    print(f"tenfold sites: detect {wide_s:.3f} s ({wide_s / seconds:.2f}x), {len(wide_incidents)} incidents")
    return 0


if __name__ == "__main__":
    sys.exit(main())
