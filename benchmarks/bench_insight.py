"""Insight speed: the overview of every category and the drill-down of one, on 1,000,000 rows.

    .venv/bin/python benchmarks/bench_insight.py [--rows 1000000] [--categories 1000] [--repeat 3]
    .venv/bin/python benchmarks/bench_insight.py --archive DIR [--date YYYY-MM-DD | --last N]   # load + cluster()

Synthetic by default: a table in the ErrorTable schema with `--rows` rows over one day, messages drawn
(long-tailed) from ~`--distinct` distinct strings of ~2.5 templates per category (hosts, paths and
numbers in the variable parts), 150 sites, 600 hosts, 400 RSEs; its Clustering is built directly from
the generator's own template/category ids, so that exactly `--categories` categories exist.
Prints:
  - overview: Insight(...) = counts, shares, hourly timelines, first/last seen and the top source and
    destination sites of every category (target: < 1 s for 1M rows and 1,000 categories);
  - every dimension for all categories (the other 7 top-value tables);
  - prepare(): encoding all dimensions and the distinct-message index (done once, in a worker);
  - detail(i) of the largest, a median and a small category, first call (slots aligned) and again;
  - peak memory: the process's peak RSS growth during the overview, and overall.
Nothing is asserted.
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import statistics
import sys
import time

import numpy as np
import pyarrow as pa

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

DAY = dt.date(2026, 11, 20)

PHRASES = [
    "TRANSFER [{c}] DESTINATION OVERWRITE srm-ifce err: Communication error on send, err: [SE][srmRm][] httpg://{h}:8446/srm/managerv2: CGSI-gSOAP running on {w} reports Error reading token data header: Connection closed",
    "TRANSFER error during TRANSFER phase: [ERROR] Copy failed with mode 3rd pull, with error: Transfer failed: failure: Connection timed out {h} {p}",
    "SOURCE [{c}] Result HTTP 404 : File not found  after 1 attempts davs://{h}:443{p}",
    "DESTINATION [{c}] SRM_EXCEED_ALLOCATION space token {t} is full: {p}",
    "TRANSFER [{c}] globus_ftp_client: the server responded with an error 451 Checksum mismatch {x} != {y}",
    "SOURCE CHECKSUM [{c}] Source and destination checksums do not match {x} != {y} for {p}",
    "TRANSFER [{c}] TRANSFER  Operation timed out after {n} seconds on {h}",
]
WORDS = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet", "kilo",
         "lima", "mike", "november", "oscar", "papa", "quebec", "romeo", "sierra", "tango", "uniform"]


def synthetic(rows: int, ncat: int, ndistinct: int, seed: int = 1):
    """(pa.Table in the ErrorTable schema, Clustering) with exactly ncat categories."""
    from opint_core import Category, Clustering
    from opint_core.clustering import category_key
    from opint_core.load.schema import ERROR_SCHEMA

    rng = np.random.default_rng(seed)
    # templates: a phrase + a category-specific word pair; 1..4 templates per category
    ntmpl_per = rng.integers(1, 5, ncat)
    tcat = np.repeat(np.arange(ncat), ntmpl_per)
    ntmpl = tcat.shape[0]
    templates, fmts = [], []
    for t in range(ntmpl):
        c = int(tcat[t])
        j = t - int(np.searchsorted(tcat, c))          # rank within the category: same across seeds
        phrase = PHRASES[c % len(PHRASES)]
        tag = f"{WORDS[c % len(WORDS)]} {WORDS[(c // len(WORDS)) % len(WORDS)]} {c} case {WORDS[j]}"
        fmt = f"[{tag}] {phrase}".replace("{c}", str(c % 97 + 3))
        fmts.append(fmt)
        templates.append(fmt.replace("{h}", "<*>").replace("{p}", "<*>").replace("{x}", "<*>")
                         .replace("{y}", "<*>").replace("{n}", "<*>").replace("{t}", "<*>").replace("{w}", "<*>"))
    # distinct messages, long-tailed over templates
    tw = 1.0 / np.arange(1, ntmpl + 1) ** 0.8
    dtmpl = rng.choice(ntmpl, ndistinct, p=tw / tw.sum())
    dtmpl[:ntmpl] = np.arange(ntmpl)       # every template has at least one message
    hosts = [f"se{i:03d}.{WORDS[i % 21]}.example.org" for i in range(600)]
    texts = []
    hv = rng.integers(0, 600, ndistinct)
    for i in range(ndistinct):
        texts.append(fmts[dtmpl[i]].format(
            h=hosts[hv[i]], w=hosts[(hv[i] * 7) % 600], p=f"/atlas/rucio/data26/{i % 977:03d}/file.{i}.root",
            x=f"{(i * 2654435761) % 2**32:08x}", y=f"{(i * 40503) % 2**32:08x}", n=str(100 + i % 900),
            t=f"ATLAS{WORDS[i % 21].upper()}DISK"))
    # rows: distinct messages drawn with a long tail, template order kept by count
    dw = 1.0 / np.arange(1, ndistinct + 1) ** 0.9
    ids = rng.choice(ndistinct, rows, p=dw / dw.sum())
    ids[:ndistinct] = np.arange(ndistinct)[:rows]
    # ids -> template/category, renumbered most frequent first as cluster() does
    tcount = np.bincount(dtmpl[ids], minlength=ntmpl)
    torder = np.lexsort((np.arange(ntmpl), -tcount))
    trank = np.empty(ntmpl, dtype=np.int32)
    trank[torder] = np.arange(ntmpl)
    ccount = np.bincount(tcat, weights=tcount, minlength=ncat).astype(np.int64)
    keys = [category_key(f"synthetic category {c}") for c in range(ncat)]   # the same problem, any seed
    corder = sorted(range(ncat), key=lambda c: (-int(ccount[c]), keys[c]))
    crank = np.empty(ncat, dtype=np.int32)
    crank[np.asarray(corder)] = np.arange(ncat)
    template_of = trank[dtmpl[ids]]
    template_category = crank[tcat[torder]]
    category_of = template_category[template_of]
    members = [[] for _ in range(ncat)]
    for t, c in enumerate(template_category.tolist()):
        members[c].append(t)
    categories = [Category(keys[c], templates[np.flatnonzero(tcat == c)[0]], int(ccount[c]),
                           tuple(members[crank[c]])) for c in corder]
    clustering = Clustering(template_of=template_of.astype(np.int32), category_of=category_of.astype(np.int32),
                            templates=[templates[t] for t in torder], template_counts=tcount[torder].astype(np.int64),
                            template_category=template_category.astype(np.int32), categories=categories,
                            distinct_of=ids.astype(np.int32), distinct_messages=texts)

    sites = np.array([f"SITE{i:03d}" for i in range(150)], dtype=object)
    start_ms = int(dt.datetime(DAY.year, DAY.month, DAY.day, tzinfo=dt.timezone.utc).timestamp() * 1000)
    # daily rhythm: more failures in the European afternoon
    hour = rng.choice(24, rows, p=(1 + 0.5 * np.sin((np.arange(24) - 9) / 24 * 2 * np.pi)) / 24)
    times = start_ms + hour * 3_600_000 + rng.integers(0, 3_600_000, rows)
    src = rng.zipf(1.6, rows) % 150
    dst = (rng.zipf(1.4, rows) + category_of) % 150
    null_src = rng.random(rows) < 0.02
    host_of = lambda s: pa.array(np.array([hosts[i * 4 % 600] for i in range(150)], dtype=object)[s])
    rse_of = np.array([f"SITE{i // 3:03d}_{('DATADISK', 'SCRATCHDISK', 'TAPE')[i % 3]}" for i in range(450)], dtype=object)
    vos = np.array(["atlas", "cms", "lhcb", "alice", "dteam"], dtype=object)
    acts = np.array([f"Activity {w}" for w in WORDS], dtype=object)
    codes = np.array([str(c) for c in (2, 5, 13, 17, 22, 28, 70, 110, 111, 113, 121, 122, 125)], dtype=object)
    msg = pa.array(texts, pa.string()).take(pa.array(ids))
    cols = {
        "time": pa.array(times, pa.timestamp("ms", tz="UTC")),
        "stream": pa.array(np.full(rows, "fts", dtype=object)),
        "message": msg,
        "error_code": pa.array(codes[(category_of + rng.integers(0, 2, rows)) % len(codes)]),
        "error_category": pa.nulls(rows, pa.string()), "event_type": pa.array(np.full(rows, "Error", dtype=object)),
        "scope": pa.nulls(rows, pa.string()), "phase": pa.nulls(rows, pa.string()),
        "src_host": host_of(src), "dst_host": host_of(dst),
        "src_rse": pa.array(rse_of[src * 3 + rng.integers(0, 3, rows)]),
        "dst_rse": pa.array(rse_of[dst * 3 + rng.integers(0, 3, rows)]),
        "src_site": pa.array(sites[src], mask=null_src), "dst_site": pa.array(sites[dst]),
        "vo": pa.array(vos[rng.zipf(2.0, rows) % 5]), "activity": pa.array(acts[rng.zipf(1.5, rows) % 21]),
        "file_size": pa.array(rng.integers(1, 5 * 2**30, rows)), "transfer_id": pa.nulls(rows, pa.string()),
    }
    table = pa.table([cols[f.name].cast(f.type) for f in ERROR_SCHEMA], schema=ERROR_SCHEMA)
    return table, clustering


def from_archive(root: str, date: str | None, last: int | None = None):
    from opint_core import Selection, cluster, load_errors
    sel = Selection.last_days(last) if last else Selection.day(date) if date else Selection.latest()
    t0 = time.perf_counter()
    et = load_errors(root, sel, stream="fts")
    t1 = time.perf_counter()
    cl = cluster(et.table.column("message"))
    print(f"loaded {len(et):,} rows in {t1 - t0:.2f} s, clustered in {time.perf_counter() - t1:.2f} s")
    return et, cl


def _rss_mb(field: str) -> float:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def _reset_peak() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--categories", type=int, default=1000)
    ap.add_argument("--distinct", type=int, default=200_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--archive")
    ap.add_argument("--date")
    ap.add_argument("--last", type=int, help="with --archive: the last N days")
    args = ap.parse_args()

    from opint_core.insight import DIMENSIONS, Insight

    t0 = time.perf_counter()
    if args.archive:
        table, clustering = from_archive(args.archive, args.date, args.last)
    else:
        table, clustering = synthetic(args.rows, args.categories, args.distinct)
        print(f"synthetic table: {table.num_rows:,} rows, {len(clustering.categories):,} categories, "
              f"{len(clustering.templates):,} templates, {len(clustering.distinct_messages):,} distinct messages "
              f"(built in {time.perf_counter() - t0:.1f} s)")
    n = len(clustering)
    print(f"machine: {os.cpu_count()} cpus, numpy {np.__version__}, pyarrow {pa.__version__}")

    rss_before = _rss_mb("VmRSS")
    peak_reset = _reset_peak()
    times = []
    for _ in range(args.repeat):
        s = time.perf_counter()
        insight = Insight(table, clustering)
        times.append(time.perf_counter() - s)
    peak = _rss_mb("VmHWM") if peak_reset else float("nan")
    print(f"overview  (counts, share, {insight.nbins} timeline bins, first/last seen, top src/dst sites of "
          f"{insight.ngroups:,} categories, {n:,} rows): best {min(times) * 1000:.0f} ms, "
          f"median {statistics.median(times) * 1000:.0f} ms over {args.repeat}")
    s = time.perf_counter()
    rows = insight.summaries()
    print(f"summaries() -> {len(rows):,} overview rows: {(time.perf_counter() - s) * 1000:.0f} ms")

    s = time.perf_counter()
    for dim in DIMENSIONS:
        insight.top_values(dim)
    print(f"top values of all {len(DIMENSIONS)} dimensions for every category: {(time.perf_counter() - s) * 1000:.0f} ms")
    s = time.perf_counter()
    insight.prepare()
    print(f"prepare() (dimension codes, distinct-message index; once, in a worker): {(time.perf_counter() - s) * 1000:.0f} ms")

    counts = insight.counts
    nonzero = np.flatnonzero(counts)
    picks = {"largest": int(nonzero[0]), "median": int(nonzero[len(nonzero) // 2]), "smallest": int(nonzero[-1])}
    for name, g in picks.items():
        s = time.perf_counter()
        d = insight.detail(g)
        first = time.perf_counter() - s
        s = time.perf_counter()
        insight.detail(g)
        again = time.perf_counter() - s
        slots = sum(len(ts.slots) for ts in d.slots)
        print(f"detail({g}) {name}: {d.count:,} rows, {d.distinct_messages:,} distinct messages, "
              f"{len(d.templates)} templates, {slots} slots: first {first * 1000:.1f} ms, again {again * 1000:.1f} ms")
    if not args.archive:
        base_table, base_cl = synthetic(args.rows, args.categories, args.distinct, seed=2)
        keep = base_cl.category_of % 50 != 7                      # 2% of the categories are new today
        from opint_core import Clustering
        # (a baseline with rows dropped: its Clustering is sliced alongside)
        idx = np.flatnonzero(keep)
        base_table = base_table.take(pa.array(idx))
        tc = np.bincount(base_cl.template_of[idx], minlength=len(base_cl.templates))
        from opint_core import Category
        cats = [Category(c.key, c.pattern, int(tc[list(c.templates)].sum()), c.templates) for c in base_cl.categories]
        base_cl = Clustering(base_cl.template_of[idx], base_cl.category_of[idx], base_cl.templates, tc,
                             base_cl.template_category, cats, base_cl.distinct_of[idx], base_cl.distinct_messages)
        from opint_core.insight import trend
        s = time.perf_counter()
        tr = trend(insight, base_table, baseline_clustering=base_cl)
        print(f"trend vs a clustered baseline of {base_table.num_rows:,} rows (mapping {len(base_cl.templates):,} "
              f"templates, scoring): {(time.perf_counter() - s) * 1000:.0f} ms; {sum(t.new for t in tr)} new, "
              f"{sum(t.rising for t in tr)} rising, {sum(t.falling for t in tr)} falling, "
              f"{sum(bool(t.new_templates) for t in tr)} with new templates")
    print(f"peak RSS growth during the overview: {peak - rss_before:.0f} MB (RSS {rss_before:.0f} MB before); "
          f"process peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
