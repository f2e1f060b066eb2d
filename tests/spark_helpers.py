"""Shared by the Spark tests and benchmarks/bench_spark.py: a fuzz corpus for the masking, what
the job returns for a local table (without Spark), and how to compare a Spark analysis with the
local one."""
from __future__ import annotations

import datetime as dt
import gzip
import json
import random
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
import pyarrow as pa

SPARK_END = dt.date(2026, 11, 20)
# A fast start for short local jobs (C1 JIT only, no code generation, no adaptive plans):
# the results do not depend on these, only the seconds.
TEST_CONF = {"spark.driver.extraJavaOptions": "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC",
             "spark.sql.codegen.wholeStage": "false", "spark.sql.adaptive.enabled": "false"}

_PIECES = ["HTTP ", "HTTP/1.1 ", "error ", "errno ", "errno=", "errno: ", "[70] ", "451", "500-", " End.",
           "curl error (56)", "0x1f", "2019-10-07T12:00:01Z", "12:00:01", "Jun 17 20:55:06 2005", "at:Jun 17 20:55:06",
           "1024 bytes (1.0 KB)", "/DC=ch/DC=cern/CN=x y", "root://a.b.ch:1094//x", "[2001:db8::1]:1094", "<1 sec",
           "-1", "+3", "v1.2.3", "abc_-42", "deadbeef", "=true", "a@b.cern.ch", "~/x", "../y", "C:\\x\\y",
           "80x25", "1s0ms", "ffffffff", "2001:db8::1", "se.cern.ch:8443", "10.0.0.1/24:80", "<*>", "<*><*>"]
_ALPHABET = "abcXYZ0123456789 ./:-_[]()<>=+@#,;'\"\\|{}~*$%&!?^`\t"
# Unicode: accents, other scripts, Unicode digits (\d in Python), Python-only whitespace, controls
_UNICODE = ["Opération non permise", "Datei für Überprüfung", "ファイル 12345 なし", "٣٤٥٦ digits",
            "１２３４ fullwidth", "nbsp\xa0between", "line\u2028sep", "em\u2003space", "ctrl\x01\x1fchars",
            "tab\tand\nnewline",
            "e\u0301 combining 42", "²³ superscripts 77", "Ångström 1.5ms", "naïve path /tmp/é/1"]


def fuzz_messages(seeds: list[str], n: int = 3000, seed: int = 1) -> list[str]:
    """Real messages with pieces inserted, glued or dropped: where masking rules meet."""
    rnd = random.Random(seed)
    out = set(seeds) | set(_UNICODE)
    while len(out) < n:
        toks = rnd.choice(seeds).split(" ")
        for _ in range(rnd.randint(1, 4)):
            r, pos = rnd.random(), rnd.randrange(len(toks) + 1)
            if r < 0.45:
                toks.insert(pos, rnd.choice(_PIECES))
            elif r < 0.6:
                toks.insert(pos, rnd.choice(_UNICODE))
            elif r < 0.85:
                toks.insert(pos, "".join(rnd.choice(_ALPHABET) for _ in range(rnd.randint(1, 8))))
            elif toks:
                toks.pop(min(pos, len(toks) - 1))
        out.add(rnd.choice([" ", "", "  "]).join(toks))
    return sorted(out)


def write_fts_failures(path: Path, messages: list[str], start_ms: int) -> None:
    """A part file of FTS failures carrying ``messages`` (one record each)."""
    lines = [json.dumps({"data": {"t__error_message": m, "t_final_transfer_state_flag": 0,
                                  "tr_timestamp_complete": start_ms + 1000 * i, "t_error_code": str(i % 7)},
                         "metadata": {"timestamp": start_ms + 1000 * i}})
             for i, m in enumerate(messages)]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode("utf-8")))


def job_result(table: pa.Table, samples: int = 20):
    """The PartResult the Spark job returns for these failures, computed here in Python as the job
    does it: per template (``mask`` of the message), the count per hour with its first and last
    time, per value of every column, and the ``samples`` most frequent raw messages (null as "")."""
    from opint_core.clustering.masking import mask
    from opint_core.spark.result import DIMENSIONS, HOUR_MS, parse_rows

    messages = table.column("message").to_pylist()
    masked = {m: mask(m) for m in set(messages)}
    templates = [masked[m] for m in messages]
    rows = []
    hours: dict = defaultdict(lambda: [0, None, None])
    for t, x in zip(templates, table.column("time").cast(pa.int64()).to_pylist()):
        e = hours[(t, None if x is None else str(x // HOUR_MS))]
        e[0] += 1
        if x is not None:
            e[1] = x if e[1] is None else min(e[1], x)
            e[2] = x if e[2] is None else max(e[2], x)
    rows += [{"kind": "D", "part": 0, "template": t, "dim": "hour", "value": h, "n": n, "tmin": lo, "tmax": hi}
             for (t, h), (n, lo, hi) in hours.items()]
    for dim in DIMENSIONS:
        pairs = Counter(zip(templates, table.column(dim).to_pylist()))
        rows += [{"kind": "D", "part": 0, "template": t, "dim": dim, "value": v, "n": n} for (t, v), n in pairs.items()]
    per: dict = defaultdict(Counter)
    for t, m in zip(templates, messages):
        per[t][m or ""] += 1
    for t, c in per.items():
        top = sorted(c.items(), key=lambda p: (-p[1], p[0]))[:samples]
        rows += [{"kind": "M", "part": 0, "template": t, "value": m, "n": n} for m, n in top]
    return parse_rows(rows, 1)[0]


def compact_errors(errors, samples: int = 20):
    """The compact ErrorTable the Spark path gives for a local ErrorTable (same load report, and the
    same traffic: the job counts it as the loader does, test_spark checks it)."""
    from opint_core.load.table import ErrorTable
    from opint_core.spark.result import compact_table

    return ErrorTable(compact_table(job_result(errors.table, samples), errors.report.stream), errors.report,
                      errors.traffic)


# ---------------------------------------------------------------------------------- comparisons
def categories(clustering) -> list[tuple]:
    return [(c.key, c.pattern, c.count, c.templates) for c in clustering.categories]


def value_counts(insight, dim: str) -> list[dict]:
    """Every (value, count) of a column for each category, plus its nulls: exact, order-free."""
    tv = insight.top_values(dim, len(insight.codes(dim)[1]) or 1)
    out = []
    for g in range(insight.ngroups):
        pairs = {tv.dictionary[c]: int(n) for c, n in zip(tv.codes[g].tolist(), tv.counts[g].tolist()) if c >= 0}
        out.append({"values": pairs, "nulls": int(tv.nulls[g]), "distinct": int(tv.distinct[g])})
    return out


def detail_numbers(insight, g: int) -> dict:
    """The figures of a category's drill-down, order-free (all values of every dimension)."""
    d = insight.detail(g, top=10**9, messages=0, slots=False)
    return {"count": d.count, "share": d.share, "first_seen": d.first_seen, "last_seen": d.last_seen,
            "timeline": d.timeline, "nulls": d.nulls, "distinct": d.distinct,
            "top": {dim: {v.value: (v.count, v.share) for v in vs} for dim, vs in d.top.items()},
            "templates": [(t.pattern, t.count, t.share) for t in d.templates]}


def assert_same_report(local, other, samples: bool = False) -> dict:
    """The JSON reports of two analyses equal as ``assert_same_reports`` says, incidents aside.
    Returns the local one."""
    import opint_core as core
    from opint_core.report import report_dict

    a, b = (report_dict(core.build_report(x)) for x in (local, other))
    for r in (a, b):
        # incidents need each failure's site, hour and category together, which a compact table keeps
        # only per template: they are compared where the tables are whole (tests/test_incidents.py)
        r.pop("incidents")
    return assert_same_reports(a, b, samples)


def assert_same_reports(a: dict, b: dict, samples: bool = False) -> dict:
    """Two JSON reports (``report_dict``) equal, the generation time aside, top sites and event types up
    to ties and samples (when compared) up to ties (``same_top``). Returns the first one."""
    for r in (a, b):
        r.pop("generated")
    assert [c["key"] for c in a["categories"]] == [c["key"] for c in b["categories"]]
    for x, y in zip(a["categories"], b["categories"]):
        for k in ("top_src_sites", "top_dst_sites", "event_types"):
            assert same_top(x.pop(k), y.pop(k)), (x["key"], k)
        sx, sy = x.pop("samples"), y.pop("samples")
        if samples:
            assert same_top([[s["message"], s["count"]] for s in sx], [[s["message"], s["count"]] for s in sy]), x["key"]
    assert a == b
    return a


def same_top(a: list, b: list) -> bool:
    """Top lists ([value, count, ...] best first: the report's sites also carry attempts and rate) equal
    up to the order of ties, and to which of the values tied at the cut made it in (Insight breaks
    ties by first appearance in the table)."""
    a, b = [e[:2] for e in a], [e[:2] for e in b]
    if [c for _, c in a] != [c for _, c in b]:
        return False
    if not a:
        return True
    cut = a[-1][1]
    return ({v for v, c in a if c > cut} == {v for v, c in b if c > cut})


def assert_same_analysis(local, spark, dims=("src_site", "dst_site", "src_host", "dst_host", "src_rse", "dst_rse",
                                            "vo", "activity", "error_code")) -> dict:
    """Templates, categories, counts, insight and trends of the Spark path equal the local path's."""
    lc, sc = local.clustering, spark.clustering
    assert sc.templates == lc.templates
    assert sc.template_counts.tolist() == lc.template_counts.tolist()
    assert categories(sc) == categories(lc)
    assert spark.errors.failures == local.errors.failures == len(local.errors)
    lr, sr = local.errors.report, spark.errors.report
    assert (sr.days, sr.final, sr.records, sr.failures) == (lr.days, lr.final, lr.records, lr.failures)
    assert sorted(f.path for f in sr.files) == sorted(f.path for f in lr.files)
    assert sorted(sr.empty_files) == sorted(lr.empty_files)
    li, si = local.insight, spark.insight
    assert si.counts.tolist() == li.counts.tolist()
    assert (si.total, si.missing_time, si.outside_window) == (li.total, li.missing_time, li.outside_window)
    assert si.shares.tolist() == li.shares.tolist()
    assert np.array_equal(si.timelines, li.timelines)
    assert si.first_seen_ms.tolist() == li.first_seen_ms.tolist()
    assert si.last_seen_ms.tolist() == li.last_seen_ms.tolist()
    for dim in dims:
        assert value_counts(si, dim) == value_counts(li, dim), dim
    for g in range(len(li)):
        assert detail_numbers(si, g) == detail_numbers(li, g), g
    lf, sf = li.report_fields(local.trends), si.report_fields(spark.trends)
    for x, y in zip(lf, sf):
        for k in x:
            if k.startswith("top_") or k == "event_types":
                assert same_top(x[k], y[k]), (k, x[k], y[k])
            else:
                assert x[k] == y[k], (k, x[k], y[k])
    if local.trends is None:
        assert spark.trends is None
    else:
        assert [t.to_dict() for t in spark.trends] == [t.to_dict() for t in local.trends]
        assert (spark.trends.baseline_rows, spark.trends.baseline_days, spark.trends.unmatched_rows) == \
            (local.trends.baseline_rows, local.trends.baseline_days, local.trends.unmatched_rows)
    return {"failures": local.errors.failures, "templates": len(lc.templates), "categories": len(lc.categories)}


def write_damaged_fts(path: Path) -> None:
    """One part file with what the local reader copes with: values of the wrong type, objects that
    are not objects, malformed lines, a record without data, a failure without a message, bytes
    that are not UTF-8."""
    from archive_factory import fts_record, lines

    recs = [fts_record(), fts_record(flag=1), fts_record(message="string flag"), fts_record(message="float flag"),
            fts_record(message=None), fts_record(message="time as text"), fts_record(message="fm not an object"),
            fts_record(message="bool flag"), fts_record(message="metadata not an object"),
            fts_record(message="site name set", src_site_name="CERN-PROD")]
    recs[2]["data"]["t_final_transfer_state_flag"] = "0"
    recs[3]["data"]["t_final_transfer_state_flag"] = 0.0
    recs[5]["data"]["tr_timestamp_complete"] = "1764000000123"
    recs[6]["data"]["file_metadata"] = "x"
    recs[7]["data"]["t_final_transfer_state_flag"] = False
    recs[8]["metadata"] = 7
    payload = lines(recs) + b'{"data": {\n' + b"[1, 2]\n" + b'{"metadata": {"timestamp": 1}}\n'
    text = json.dumps(fts_record(message="latin-1 \u00e9 inside \u00e8"), ensure_ascii=False).encode()
    payload += text.replace("\u00e9".encode(), b"\xff\xfe") + b"\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(payload))
