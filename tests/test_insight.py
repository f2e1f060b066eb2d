"""Insight on small hand-made tables: exact counts, top values, timelines, slots, trends."""
from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from opint_core import Category, Clustering, Selection, cluster
from opint_core.clustering import category_key, cluster_table
from opint_core.clustering.masking import mask
from opint_core.insight import (
    Insight, align_one, choose_bins, report_fields, score_counts, sparkline, template_regex, trend,
)
from opint_core.insight.core import top_k_by_group
from opint_core.insight.slots import align_many
from opint_core.load.baseline import baseline_selection
from opint_core.load.schema import ERROR_SCHEMA

UTC = dt.timezone.utc
DAY = dt.date(2026, 11, 20)
T0 = dt.datetime(2026, 11, 20, tzinfo=UTC)


def make_table(rows: list[dict]) -> pa.Table:
    cols = {name: [r.get(name) for r in rows] for name in ERROR_SCHEMA.names}
    return pa.table({f.name: pa.array(cols[f.name], f.type) for f in ERROR_SCHEMA}, schema=ERROR_SCHEMA)


def make_clustering(messages: list[str | None], templates: list[str], template_of: list[int],
                    template_category: list[int], patterns: list[str]) -> Clustering:
    """A Clustering with exactly the given ids (templates and categories numbered by the caller)."""
    template_of = np.asarray(template_of, dtype=np.int32)
    template_category = np.asarray(template_category, dtype=np.int32)
    tcounts = np.bincount(template_of, minlength=len(templates)).astype(np.int64)
    categories = []
    for c, p in enumerate(patterns):
        members = tuple(int(t) for t in np.flatnonzero(template_category == c))
        categories.append(Category(category_key(p), p, int(tcounts[list(members)].sum()), members))
    distinct: dict[str, int] = {}
    distinct_of = np.array([distinct.setdefault(m or "", len(distinct)) for m in messages], dtype=np.int32)
    return Clustering(template_of=template_of, category_of=template_category[template_of], templates=templates,
                      template_counts=tcounts, template_category=template_category, categories=categories,
                      distinct_of=distinct_of, distinct_messages=list(distinct))


@pytest.fixture
def small():
    """12 rows, 2 categories (3 templates), hours 0..5, some null sites."""
    spec = [  # (message, template, hour, src_site, dst_site, dst_host)
        ("Connection timed out to se1.a.org:1094", 0, 0, "CERN", "BNL", "se1.a.org"),
        ("Connection timed out to se1.a.org:1094", 0, 0, "CERN", "BNL", "se1.a.org"),
        ("Connection timed out to se2.b.org:1094", 0, 1, "CERN", "FNAL", "se2.b.org"),
        ("Connection timed out to se1.a.org:1094", 0, 1, None, "BNL", "se1.a.org"),
        ("Connection timed out to se3.c.org:1094", 0, 2, "DESY", "BNL", "se3.c.org"),
        ("Connection refused by se1.a.org:1094", 1, 2, "DESY", "BNL", "se1.a.org"),
        ("Connection refused by se1.a.org:1094", 1, 5, "DESY", None, "se1.a.org"),
        ("No such file /data/x/1.root", 2, 3, "INFN", "CERN", None),
        ("No such file /data/x/2.root", 2, 3, "INFN", "CERN", None),
        ("No such file /data/x/1.root", 2, 4, None, "CERN", None),
        ("No such file /data/y/3.root", 2, 4, "INFN", "DESY", None),
        ("No such file /data/x/1.root", 2, 5, "INFN", "CERN", None),
    ]
    rows = [dict(time=T0 + dt.timedelta(hours=h, minutes=(7 * i) % 60), stream="fts", message=m, src_site=s, dst_site=d,
                 dst_host=hh, vo="atlas", error_code="110" if t == 0 else ("111" if t == 1 else "2"))
            for i, (m, t, h, s, d, hh) in enumerate(spec)]
    table = make_table(rows)
    cl = make_clustering([r[0] for r in spec], ["Connection timed out to <*>", "Connection refused by <*>",
                                                "No such file <*>"],
                         [r[1] for r in spec], [0, 0, 1], ["Connection <*>", "No such file <*>"])
    return table, cl


def test_counts_share_and_top_sites_are_exact(small):
    table, cl = small
    ins = Insight(table, cl, days=[DAY])
    assert ins.counts.tolist() == [7, 5]
    assert ins.shares.tolist() == pytest.approx([7 / 12, 5 / 12])
    # category 0: src CERN 3, DESY 3, null 1 -> tie broken by first appearance; dst BNL 5, FNAL 1, null 1
    assert [(v.value, v.count) for v in ins.top("src_site", 0)] == [("CERN", 3), ("DESY", 3)]
    assert [(v.value, v.count) for v in ins.top("dst_site", 0)] == [("BNL", 5), ("FNAL", 1)]
    assert ins.top("dst_site", 0)[0].share == pytest.approx(5 / 7)
    assert [(v.value, v.count) for v in ins.top("dst_site", 1)] == [("CERN", 4), ("DESY", 1)]
    tv = ins.top_values("src_site")
    assert tv.nulls.tolist() == [1, 1] and tv.distinct.tolist() == [2, 1]
    tv = ins.top_values("dst_host")
    assert tv.nulls.tolist() == [0, 5] and tv.distinct.tolist() == [3, 0]
    assert ins.top("dst_host", 1) == []          # a category whose hosts are all null
    s = ins.summaries(top=1)
    assert [x.count for x in s] == [7, 5]
    assert [(v.value, v.count) for v in s[1].top_src_sites] == [("INFN", 4)]


def test_hourly_timeline_first_last_seen(small):
    table, cl = small
    ins = Insight(table, cl, days=[DAY])
    assert ins.nbins == 24 and ins.bin_timedelta() == dt.timedelta(hours=1)
    assert ins.bin_edges[0] == np.datetime64("2026-11-20T00:00")
    assert ins.bin_edges[-1] == np.datetime64("2026-11-21T00:00")
    assert ins.timeline(0)[:6].tolist() == [2, 2, 2, 0, 0, 1] and ins.timeline(0)[6:].sum() == 0
    assert ins.timeline(1)[:6].tolist() == [0, 0, 0, 2, 2, 1]
    assert ins.timelines.sum() == 12
    assert ins.first_seen(0) == T0
    assert ins.last_seen(0) == T0 + dt.timedelta(hours=5, minutes=42)
    assert ins.first_seen(1) == T0 + dt.timedelta(hours=3, minutes=49)


def test_window_from_the_data_without_days(small):
    table, cl = small
    ins = Insight(table, cl)
    assert ins.bin_start == int(T0.timestamp() * 1000) and ins.nbins == 6
    assert ins.timelines.sum() == 12


@pytest.mark.parametrize("days, width_h, nbins", [(1, 1, 24), (2, 1, 48), (3, 2, 36), (7, 4, 42), (14, 8, 42),
                                                   (30, 24, 30), (90, 48, 45), (365, 192, 46)])
def test_choose_bins(days, width_h, nbins):
    start = int(T0.timestamp() * 1000)
    first, width, n = choose_bins(start, start + days * 86_400_000)
    assert (width, n) == (width_h * 3_600_000, nbins)
    assert first == start          # a UTC midnight stays the first edge
    # an odd start: edges on whole hours (midnights for daily bins), the window covered
    odd = start + 5 * 3_600_000 + 1234
    first, width, n = choose_bins(odd, odd + days * 86_400_000)
    assert n <= 48 and first <= odd and first + width * n >= odd + days * 86_400_000
    assert first % min(width, 86_400_000) == 0


def test_records_outside_the_window_go_to_the_edge_bins(small):
    table, cl = small
    ins = Insight(table, cl, window=(T0 + dt.timedelta(hours=1), T0 + dt.timedelta(hours=4)))
    assert ins.nbins == 3 and ins.outside_window == 6
    assert ins.timelines.sum() == 12
    assert ins.timeline(0).tolist() == [4, 2, 1]


def test_detail_exact(small):
    table, cl = small
    ins = Insight(table, cl, days=[DAY])
    d = ins.detail(0)
    assert d.count == 7 and d.key == category_key("Connection <*>")
    assert [(v.value, v.count) for v in d.top["dst_site"]] == [("BNL", 5), ("FNAL", 1)]
    assert d.nulls["src_site"] == 1 and d.nulls["dst_site"] == 1 and d.distinct["dst_host"] == 3
    assert [(v.value, v.count) for v in d.top["error_code"]] == [("110", 5), ("111", 2)]
    assert [(t.template, t.count) for t in d.templates] == [(0, 5), (1, 2)]
    assert d.distinct_messages == 4
    assert [(m.message, m.count) for m in d.messages] == [
        ("Connection timed out to se1.a.org:1094", 3), ("Connection refused by se1.a.org:1094", 2),
        ("Connection timed out to se2.b.org:1094", 1), ("Connection timed out to se3.c.org:1094", 1)]
    assert d.timeline == tuple(ins.timeline(0).tolist()) and len(d.bin_edges) == 25
    slots = {s.template: s for s in d.slots}
    assert [(v.value, v.count) for v in slots[0].slots[0].values] == [
        ("se1.a.org:1094", 3), ("se2.b.org:1094", 1), ("se3.c.org:1094", 1)]
    assert slots[0].aligned == 5 and slots[0].exact and slots[0].slots[0].distinct == 3
    assert [(v.value, v.count) for v in slots[1].slots[0].values] == [("se1.a.org:1094", 2)]
    d1 = ins.detail(1, messages=2)
    assert [(m.message, m.count) for m in d1.messages] == [("No such file /data/x/1.root", 3),
                                                            ("No such file /data/x/2.root", 1)]
    assert d1.distinct_messages == 3
    assert [(v.value, v.count) for v in d1.slots[0].slots[0].values] == [
        ("/data/x/1.root", 3), ("/data/x/2.root", 1), ("/data/y/3.root", 1)]
    with pytest.raises(IndexError):
        ins.detail(2)


def test_detail_without_distinct_index_in_the_clustering(small):
    table, cl = small
    cl.distinct_of, cl.distinct_messages = None, None
    d = Insight(table, cl).detail(1)
    assert [(m.message, m.count) for m in d.messages][0] == ("No such file /data/x/1.root", 3)
    assert d.slots[0].slots[0].values[0].count == 3


def test_slot_budget_marks_inexact(small):
    table, cl = small
    ins = Insight(table, cl)
    ts = ins.slots(0, budget=1)
    assert not ts[0].exact and ts[0].aligned == 3
    assert [(v.value, v.count) for v in ts[0].slots[0].values] == [("se1.a.org:1094", 3)]
    full = ins.slots(0, budget=None)
    assert full[0].exact and full[0].aligned == 5


def test_template_level(small):
    table, cl = small
    ins = Insight(table, cl, level="template")
    assert ins.counts.tolist() == [5, 2, 5]
    assert [(v.value, v.count) for v in ins.top("dst_site", 1)] == [("BNL", 1)]
    assert ins.detail(2).templates[0].pattern == "No such file <*>"


def test_merges_fold_counts(small):
    table, cl = small
    k0, k1 = cl.categories[0].key, cl.categories[1].key
    ins = Insight(table, cl, merges={k1: k0})
    assert ins.counts.tolist() == [12, 0] and ins.merged_into == {1: 0}
    assert [t.template for t in ins.detail(0).templates] == [0, 2, 1]
    assert ins.summary(1).merged_into == 0
    assert trend(ins, table).items[0].baseline_count == 12     # the baseline folds the same way


def test_merge_chains_are_followed():
    msgs = ["alpha failed on se1.a.org", "beta failed on se1.a.org", "gamma failed on se1.a.org"] * 2
    table = _table(msgs)
    cl = make_clustering(msgs, ["alpha failed on <*>", "beta failed on <*>", "gamma failed on <*>"],
                         [0, 1, 2] * 2, [0, 1, 2], ["alpha", "beta", "gamma"])
    k = [c.key for c in cl.categories]
    ins = Insight(table, cl, merges={k[2]: k[1], k[1]: k[0]})
    assert ins.counts.tolist() == [6, 0, 0] and ins.merged_into == {1: 0, 2: 0}


def test_empty_table():
    table = ERROR_SCHEMA.empty_table()
    cl = cluster(table.column("message"))
    ins = Insight(table, cl)
    assert len(ins) == 0 and ins.summaries() == [] and ins.report_fields() == []
    assert ins.nbins == 0 and ins.timelines.shape == (0, 0)
    tr = trend(ins, table)
    assert len(tr) == 0


def test_single_row_and_null_everything():
    table = make_table([dict(time=None, message=None, stream="fts")])
    cl = cluster(table.column("message"))
    ins = Insight(table, cl)
    assert ins.counts.tolist() == [1] and ins.missing_time == 1
    assert ins.first_seen(0) is None and ins.timelines.sum() == 0
    d = ins.detail(0)
    assert d.top["src_site"] == [] and d.nulls["src_site"] == 1
    assert d.messages[0].count == 1
    fields = ins.report_fields()
    assert fields[0]["top_src_sites"] == [] and fields[0]["first_seen"] is None
    json.dumps(fields)


def test_single_row_with_time():
    table = make_table([dict(time=T0 + dt.timedelta(hours=3), message="Disk quota exceeded on se9.x.org",
                             src_site="A", dst_site="B")])
    ins = Insight(table, cluster(table.column("message")))
    assert ins.nbins == 1 and ins.timelines.tolist() == [[1]]
    assert ins.summary(0).top_dst_sites[0][:2] == ("B", 1)


def test_clustering_of_another_table_is_refused(small):
    table, cl = small
    with pytest.raises(ValueError, match="rows"):
        Insight(table.slice(0, 5), cl)


def test_time_in_other_units_is_converted(small):
    table, cl = small
    t = table.set_column(0, "time", table.column("time").cast(pa.timestamp("us", tz="UTC")))
    ins = Insight(t, cl, days=[DAY])
    assert ins.timeline(1)[:6].tolist() == [0, 0, 0, 2, 2, 1]


def test_top_k_dense_and_sparse_agree_with_pandas():
    rng = np.random.default_rng(5)
    n, ng, nv = 20_000, 37, 120
    groups = rng.integers(0, ng, n).astype(np.int32)
    codes = (rng.zipf(1.3, n) % (nv + 1)).astype(np.int32)     # nv = null code
    dense = top_k_by_group(groups, ng, codes, nv, 4)
    sparse = top_k_by_group(groups, ng, codes, nv, 4, dense_cells=0)
    for a, b in zip(dense, sparse):
        assert np.array_equal(a, b)
    df = pd.DataFrame({"g": groups, "v": codes})
    valid = df[df.v < nv]
    counts = valid.groupby(["g", "v"]).size().reset_index(name="n")
    for g in range(ng):
        sub = counts[counts.g == g].sort_values(["n", "v"], ascending=[False, True]).head(4)
        k = len(sub)
        assert dense[0][g, :k].tolist() == sub.v.tolist()
        assert dense[1][g, :k].tolist() == sub.n.tolist()
        assert (dense[0][g, k:] == -1).all()
        assert dense[2][g] == int((df[df.g == g].v == nv).sum())
        assert dense[3][g] == valid[valid.g == g].v.nunique()


def test_overview_matches_a_pandas_groupby():
    rng = np.random.default_rng(11)
    n = 5_000
    sites = np.array(["A", "B", "C", "D", "E", None], dtype=object)
    msgs = np.array([f"error {k} on host{h}.x.org" for k in ("alpha", "beta", "gamma") for h in range(4)], dtype=object)
    m = msgs[rng.integers(0, len(msgs), n)]
    dst = sites[rng.integers(0, len(sites), n)]
    times = T0 + pd.to_timedelta(rng.integers(0, 86_400, n), unit="s")
    table = make_table([dict(time=t.to_pydatetime(), message=a, dst_site=b) for t, a, b in zip(times, m, dst)])
    cl = cluster(table.column("message"))
    ins = Insight(table, cl, days=[DAY])
    df = pd.DataFrame({"c": cl.category_of, "dst": dst, "h": [t.hour for t in times]})
    assert ins.counts.tolist() == df.groupby("c").size().reindex(range(len(ins)), fill_value=0).tolist()
    for g in range(len(ins)):
        sub = df[df.c == g]
        expect = sub.dst.dropna().value_counts()
        got = ins.top("dst_site", g, 5)
        assert [v.count for v in got] == expect.sort_values(ascending=False).head(5).tolist()
        assert all(expect[v.value] == v.count for v in got)
        assert ins.timeline(g).tolist() == sub.h.value_counts().reindex(range(24), fill_value=0).tolist()


def test_slot_alignment_handles_whitespace_and_failures():
    pattern = "TRANSFER [70] <*> failed: <*> (code <*>)"
    assert template_regex("no wildcard") is None
    msgs = pa.array(["TRANSFER [70]  gsiftp://h.org/p  failed: timeout (code 3)",     # gfal2 double spaces
                     "TRANSFER [70] x failed:\tfoo bar (code 4)\n",
                     "TRANSFER [70] y\u00a0failed: z (code 5)",                        # unicode space: Python pass
                     "something else entirely", None])
    values, ok = align_many(pattern, msgs)
    assert ok.tolist() == [True, True, True, False, False]
    assert values[0].to_pylist() == ["gsiftp://h.org/p", "x", "y", None, None]
    assert values[1].to_pylist() == ["timeout", "foo bar", "z", None, None]
    assert values[2].to_pylist() == ["3", "4", "5", None, None]
    assert align_one("a <*> b <*>", "a 1 b 2 b 3") == ("1", "2 b 3")
    assert align_one("<*> (<*>)", "x ()") == ("x", "")
    assert align_one("a <*> b", "c 1 b") is None


def test_sparkline():
    assert sparkline([0, 1, 2, 4, 8]) == " ▁▂▄█"
    assert sparkline([]) == "" and sparkline([0, 0]) == "  "
    assert len(sparkline(list(range(48)), width=24)) == 24


# ------------------------------------------------------------------------------------------------- trend
def test_scores_do_not_flag_noise_on_tiny_or_huge_stable_counts():
    x = np.array([9, 50_000, 900, 100, 0, 30, 5, 40])
    b = np.array([3, 48_000, 300, 10, 0, 0, 0, 200])
    e, ratio, lfc, score, z, rising, falling = score_counts(x, b)
    assert rising.tolist() == [False, False, True, True, False, True, False, False]
    assert falling.tolist() == [False, False, False, False, False, False, False, True]
    assert score[1] == pytest.approx(0.0, abs=0.1) and z[1] > 5       # Poisson z would flag it
    assert np.isnan(ratio[5]) and ratio[2] == pytest.approx(3.0)
    # a baseline twice as long is halved before comparing
    e2, ratio2, *_ = score_counts([100], [200], scale=0.5)
    assert e2[0] == 100 and ratio2[0] == pytest.approx(1.0)


def _table(messages, hour0=0, site="S"):
    return make_table([dict(time=T0 + dt.timedelta(minutes=i), message=m, dst_site=site) for i, m in enumerate(messages)])


def test_trend_new_rising_stable_and_new_template():
    stable = [f"Destination file exists and overwrite is not enabled {i}" for i in range(50)]
    rising = ["Connection timed out to se1.a.org:1094"] * 10
    base_msgs = stable + rising + ["SRM_AUTHORIZATION_FAILURE permission denied for user alice on se4.x.org"] * 20
    now_msgs = (stable[:48] + rising * 8 + ["Checksum mismatch for /d/f1 adler32 0a1b2c3d != 11223344"] * 30
                + ["SRM_AUTHORIZATION_FAILURE permission denied for user alice on se4.x.org"] * 20)
    now, base = _table(now_msgs), _table(base_msgs)
    cl = cluster(now.column("message"))
    ins = Insight(now, cl, days=[DAY])
    tr = trend(ins, base)

    def cat(marker):
        rows = [i for i, m in enumerate(now_msgs) if marker in m]
        return int(np.bincount(cl.category_of[rows]).argmax())

    new, up, flat = cat("Checksum mismatch"), cat("timed out"), cat("file exists")
    assert tr[new].new and tr[new].ratio is None and tr[new].baseline_count == 0
    assert not tr[up].new and tr[up].rising and tr[up].ratio == pytest.approx(8.0)
    assert not tr[flat].rising and not tr[flat].falling and tr[flat].ratio == pytest.approx(48 / 50)
    assert tr[flat].matched_by == "key"
    assert tr.order("new")[0] == new and tr.order("rising")[0] in (up, new)
    assert tr.baseline_rows == len(base_msgs) and tr.gone == []
    d = tr[up].to_dict()
    assert set(d) >= {"new", "ratio", "baseline_count", "score", "rising", "falling"}
    json.dumps([t.to_dict() for t in tr])
    # report fields carry the names scripts rely on
    f = report_fields(ins, tr)
    assert f[new]["trend"]["new"] is True and f[new]["trend"]["ratio"] is None
    assert f[up]["top_dst_sites"] == [["S", 80, None, None]]   # [site, count, attempts, rate]: no traffic
    json.dumps(f)


def test_trend_lists_new_templates_inside_a_known_category():
    # same category (same key) on both days, one template only today: made by hand so that the
    # category grouping does not depend on the clustering's heuristics
    msgs_base = ["Permission denied for se1.a.org"] * 5
    msgs_now = ["Permission denied for se1.a.org"] * 5 + ["Token rejected by se2.b.org: invalid audience"] * 40
    base, now = _table(msgs_base), _table(msgs_now)
    bcl = make_clustering(msgs_base, ["Permission denied for <*>"], [0] * 5, [0], ["Permission denied"])
    ccl = make_clustering(msgs_now, ["Token rejected by <*>: invalid audience", "Permission denied for <*>"],
                          [1] * 5 + [0] * 40, [0, 0], ["Permission denied"])
    ins = Insight(now, ccl)
    tr = trend(ins, base, baseline_clustering=bcl)
    assert not tr[0].new and tr[0].new_templates == (0,) and tr[0].new_template_rows == 40
    tt = trend(Insight(now, ccl, level="template"), base, baseline_clustering=bcl)
    assert tt[0].new and not tt[1].new and tt[1].matched_by == "template"


def test_a_template_generalised_differently_is_not_new():
    msgs_base = ["Permission denied for user alice on se1.a.org"] * 5
    msgs_now = ["Permission denied for user bob on se1.a.org", "Permission denied for user carol on se1.a.org",
                "Permission denied for user dave on se2.a.org"] * 5
    bcl = make_clustering(msgs_base, ["Permission denied for user alice on <*>"], [0] * 5, [0], ["Permission denied"])
    ccl = make_clustering(msgs_now, ["Permission denied for user <*> on <*>"], [0] * 15, [0], ["Permission denied"])
    tr = trend(Insight(_table(msgs_now), ccl), _table(msgs_base), baseline_clustering=bcl)
    assert tr[0].new_templates == () and tr[0].baseline_count == 5
    tt = trend(Insight(_table(msgs_now), ccl, level="template"), _table(msgs_base), baseline_clustering=bcl)
    assert not tt[0].new and tt[0].matched_by == "pattern"


def test_trend_matches_a_covering_template_when_keys_differ():
    msgs_base = ["Operation timed out after 300 seconds"] * 20
    msgs_now = ["Operation timed out after 300 seconds on se1.a.org"] * 20
    bcl = make_clustering(msgs_base, ["Operation timed out after <*> seconds"], [0] * 20, [0], ["timeout A"])
    ccl = make_clustering(msgs_now, ["Operation timed out after <*> seconds<*>"], [0] * 20, [0], ["timeout B"])
    tr = trend(Insight(_table(msgs_now), ccl), _table(msgs_base), baseline_clustering=bcl)
    assert not tr[0].new and tr[0].baseline_count == 20 and tr[0].matched_by == "pattern"
    # a bare wildcard template covers everything: it must not take unrelated problems
    ccl2 = make_clustering(msgs_now, ["<*> <*>"], [0] * 20, [0], ["anything"])
    tr2 = trend(Insight(_table(msgs_now), ccl2), _table(msgs_base), baseline_clustering=bcl)
    assert tr2[0].new and tr2.gone[0][2] == 20


def test_a_day_still_being_written_is_compared_for_the_hours_it_covers():
    from opint_core.load.table import ErrorTable, LoadReport

    # the same rate on both days (one every 3 minutes), but today is only written until 11:57
    now = make_table([dict(time=T0 + dt.timedelta(minutes=3 * i), message="Connection timed out to se1.a.org")
                      for i in range(240)])
    prev = make_table([dict(time=T0 - dt.timedelta(days=1) + dt.timedelta(minutes=3 * i),
                            message="Connection timed out to se1.a.org") for i in range(480)])
    cl = cluster(now.column("message"))
    base = ErrorTable(prev, LoadReport("file:///x", "fts", "baseline", days=[DAY - dt.timedelta(days=1)]))
    ins = Insight(ErrorTable(now, LoadReport("file:///x", "fts", "latest day", days=[DAY], final=False)), cl)
    assert ins.covered_ms == 11 * 3_600_000 + 57 * 60_000 + 1
    tr = trend(ins, base)
    assert tr.scale == pytest.approx(11.95 / 24, abs=1e-4)
    assert tr[0].ratio == pytest.approx(240 / (480 * 11.95 / 24), rel=1e-3)
    assert not tr[0].falling and not tr[0].rising
    # had the day been final, half the count would be a fall
    tr2 = trend(Insight(ErrorTable(now, LoadReport("file:///x", "fts", "a day", days=[DAY])), cl), base)
    assert tr2.scale == 1.0 and tr2[0].ratio == 0.5 and tr2[0].falling


def test_trend_without_baseline_is_unknown(small):
    table, cl = small
    tr = trend(Insight(table, cl), None)
    assert not tr.known and all(not t.new and t.ratio is None and not t.known for t in tr)
    assert Insight(table, cl).report_fields(tr)[0]["trend"]["new"] is False


def test_baseline_selection():
    assert baseline_selection([DAY]) == Selection.range(DAY - dt.timedelta(days=1), DAY - dt.timedelta(days=1))
    days = [DAY - dt.timedelta(days=k) for k in range(3)]
    assert baseline_selection(days) == Selection.range(DAY - dt.timedelta(days=5), DAY - dt.timedelta(days=3))
    with pytest.raises(ValueError):
        baseline_selection([])


# ------------------------------------------------------------------------------------ weighted rows
def _repeat(table: pa.Table, counts) -> pa.Table:
    """The rows of a compact table repeated ``count`` times (no count column): one per failure."""
    return table.take(pa.array(np.repeat(np.arange(table.num_rows), counts))).drop_columns(["count"])


def _with_counts(table: pa.Table, counts) -> pa.Table:
    return table.append_column("count", pa.array(counts, pa.int64()))


def assert_same_insight(a: Insight, b: Insight, dims=("src_site", "dst_site", "dst_host", "vo", "error_code")):
    """Every figure of two Insights equal, the drill-down included (a: weighted, b: per row)."""
    assert a.total == b.total and a.counts.tolist() == b.counts.tolist() and a.shares.tolist() == b.shares.tolist()
    assert np.array_equal(a.timelines, b.timelines) and (a.bin_start, a.bin_width, a.nbins) == \
        (b.bin_start, b.bin_width, b.nbins)
    assert (a.missing_time, a.outside_window) == (b.missing_time, b.outside_window)
    assert a.first_seen_ms.tolist() == b.first_seen_ms.tolist() and a.last_seen_ms.tolist() == b.last_seen_ms.tolist()
    for dim in dims:
        k = len(a.codes(dim)[1]) or 1
        x, y = a.top_values(dim, k), b.top_values(dim, k)
        assert x.codes.tolist() == y.codes.tolist() and x.counts.tolist() == y.counts.tolist(), dim
        assert x.nulls.tolist() == y.nulls.tolist() and x.distinct.tolist() == y.distinct.tolist(), dim
    assert a.summaries() == b.summaries() and a.report_fields() == b.report_fields()
    for g in range(len(a)):
        assert a.top("dst_site", g, 2) == b.top("dst_site", g, 2)
        assert a.detail(g, slot_budget=None) == b.detail(g, slot_budget=None)


def test_weighted_rows_count_as_the_failures_they_stand_for(small):
    table, _ = small
    counts = [3, 1, 2, 1, 5, 1, 1, 4, 1, 2, 1, 7]
    compact = _with_counts(table, counts)
    full = _repeat(compact, counts)
    cc = cluster(compact.column("message"), compact.column("count").to_numpy())
    cf = cluster(full.column("message"))
    assert cc.template_counts.tolist() == cf.template_counts.tolist() and len(cc) == 12 and len(cf) == 29
    for kw in ({"days": [DAY]}, {}, {"window": (T0 + dt.timedelta(hours=1), T0 + dt.timedelta(hours=4))}):
        a, b = Insight(compact, cc, **kw), Insight(full, cf, **kw)
        assert a.nrows == 12 and b.nrows == a.total == 29
        assert_same_insight(a, b)
    a = Insight(compact, cc, days=[DAY])
    assert a.timelines.sum() == 29 and a.counts.sum() == 29
    d = a.detail(int(np.argmax(a.counts)))
    assert sum(m.count for m in a.messages(d.index, 100)[0]) == d.count
    # the per-row structures still index rows: each group's slice holds its own rows
    for g in range(len(a)):
        assert (np.asarray(cc.category_of)[a.rows(g)] == g).all()
    # by template, and with a manual merge
    assert_same_insight(Insight(compact, cc, level="template"), Insight(full, cf, level="template"))
    merges = {cc.categories[1].key: cc.categories[0].key}
    m = Insight(compact, cc, merges=merges)
    assert m.counts[1] == 0 and m.counts[0] == cc.categories[0].count + cc.categories[1].count
    assert_same_insight(m, Insight(full, cf, merges=merges))


def test_weighted_missing_times_and_outside_window():
    rows = [dict(time=None, message="Connection reset by se1.a.org", src_site="A"),
            dict(time=T0 - dt.timedelta(hours=2), message="Connection reset by se1.a.org", src_site="A"),
            dict(time=T0 + dt.timedelta(hours=3), message="Connection reset by se2.b.org", src_site=None)]
    compact = _with_counts(make_table(rows), [4, 3, 2])
    full = _repeat(compact, [4, 3, 2])
    a = Insight(compact, cluster(compact.column("message"), [4, 3, 2]), days=[DAY])
    b = Insight(full, cluster(full.column("message")), days=[DAY])
    assert (a.missing_time, a.outside_window, a.timelines.sum()) == (4, 3, 5)
    assert_same_insight(a, b)


def test_weighted_top_values_dense_and_sparse_paths():
    rng = np.random.default_rng(3)
    n, ng, nv = 3_000, 11, 70
    groups = rng.integers(0, ng, n).astype(np.int32)
    codes = (rng.zipf(1.4, n) % (nv + 1)).astype(np.int32)
    w = rng.integers(1, 9, n).astype(np.int64)
    rep = np.repeat(np.arange(n), w)
    want = top_k_by_group(groups[rep], ng, codes[rep], nv, 6)
    for cells in (10**9, 0):   # dense count matrix, then the sort-based path
        got = top_k_by_group(groups, ng, codes, nv, 6, weights=w, dense_cells=cells)
        for x, y in zip(got, want):
            assert np.array_equal(x, y)


def test_weighted_drill_down_of_many_values_takes_the_sparse_path():
    # 2,000 distinct hosts in one category: the drill-down of the small one counts by np.unique
    rows = [dict(time=T0, message="Permission denied on se1.a.org", dst_host=f"h{i}.x.org") for i in range(2000)]
    rows += [dict(time=T0, message="No space left on device /data/1", dst_host=h)
             for h in ("h1.x.org", "h2.x.org", None, "h1.x.org")]
    counts = [1] * 2000 + [5, 2, 3, 4]
    compact = _with_counts(make_table(rows), counts)
    full = _repeat(compact, counts)
    a = Insight(compact, cluster(compact.column("message"), counts))
    b = Insight(full, cluster(full.column("message")))
    g = int(np.argmin(a.counts))
    assert a.counts[g] == 14 and len(a.codes("dst_host")[1]) > 4 * a.rows(g).shape[0] + 1024
    d = a.detail(g, slots=False)
    assert [(v.value, v.count) for v in d.top["dst_host"]] == [("h1.x.org", 9), ("h2.x.org", 2)]
    assert d.nulls["dst_host"] == 3 and d.distinct["dst_host"] == 2
    assert d == b.detail(g, slots=False)


def test_weighted_baseline_trends_like_its_failures():
    stable = [f"Destination file exists and overwrite is not enabled {i}" for i in range(5)]
    now_msgs = stable * 10 + ["Connection timed out to se1.a.org:1094"] * 80
    base_rows = stable + ["Connection timed out to se1.a.org:1094", "Disk quota exceeded on se9.x.org"]
    base_counts = [10, 9, 11, 10, 8, 10, 25]
    now = _table(now_msgs)
    ins = Insight(now, cluster(now.column("message")), days=[DAY])
    compact = _with_counts(_table(base_rows), base_counts)
    full = _repeat(compact, base_counts)
    with_template = compact.append_column("template", pa.array([mask(m) for m in base_rows], pa.string()))
    want = trend(ins, full)
    assert want.baseline_rows == 83 and want.unmatched_rows == 25 and want.gone[0][2] == 25
    for base in (compact, with_template):
        got = trend(ins, base)
        assert [t.to_dict() for t in got] == [t.to_dict() for t in want]
        assert (got.baseline_rows, got.unmatched_rows, got.gone) == (want.baseline_rows, want.unmatched_rows,
                                                                     want.gone)


def test_cluster_table_of_a_compact_table_weights_its_templates():
    msgs = ["Connection timed out to se1.a.org:1094", "Connection timed out to se2.b.org:1094", None,
            "No such file /data/x/1.root"]
    counts = [4, 2, 3, 5]
    plain = _with_counts(make_table([dict(message=m) for m in msgs]), counts)
    compact = plain.append_column("template", pa.array([mask(m) for m in msgs], pa.string()))
    ref = cluster([m for m, c in zip(msgs, counts) for _ in range(c)])
    for table in (plain, compact):
        got = cluster_table(table)
        assert got.templates == ref.templates and got.template_counts.tolist() == ref.template_counts.tolist()
        assert [(c.key, c.count) for c in got.categories] == [(c.key, c.count) for c in ref.categories]
        assert len(got) == 4


def test_error_table_failures_and_top_values_are_weighted():
    from opint_core.load.table import ErrorTable, LoadReport, top_values

    table = make_table([dict(message="x", vo=v) for v in ("atlas", "cms", None, "atlas")])
    et = ErrorTable(table, LoadReport("file:///x", "fts", "a day"))
    assert (len(et), et.failures, et.weights) == (4, 4, None)
    assert top_values(table, "vo") == [("atlas", 2), ("cms", 1)]
    compact = ErrorTable(_with_counts(table, [1, 5, 7, 1]), et.report)
    assert (len(compact), compact.failures, compact.weights.tolist()) == (4, 14, [1, 5, 7, 1])
    assert top_values(compact.table, "vo") == [("cms", 5), ("atlas", 2)]
    assert top_values(compact.table, "vo", 1) == [("cms", 5)]
