"""Insight on the sample archive: the planted incidents are found where they were planted."""
from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pyarrow.compute as pc
import pytest

from opint_core import Selection, cluster, load_errors
from opint_core.insight import Insight, trend
from opint_core.load.baseline import baseline_selection, load_baseline
from opint_core.sample_archive import write_sample_archive

END = dt.date(2026, 11, 20)


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    root = tmp_path_factory.mktemp("sample-archive")
    # three days: the outage falls on the middle one (it has a day before it), the new error on the last
    summary = write_sample_archive(root, days=3, seed=11, scale=0.3, end=END)
    return summary, str(root), str(tmp_path_factory.mktemp("insight-cache"))


def analyse(sample, day, stream="fts", level="category"):
    summary, root, cache = sample
    et = load_errors(root, Selection.day(day), stream=stream, cache_dir=cache)
    cl = cluster(et.messages)
    ins = Insight(et, cl, level=level)
    base = load_baseline(et, cache_dir=cache)
    return et, cl, ins, base, trend(ins, base)


def rows_with(et, marker: str) -> np.ndarray:
    hit = pc.fill_null(pc.match_substring(et.messages, marker), False)
    return np.flatnonzero(np.asarray(hit.to_numpy(zero_copy_only=False)))


def main_group(groups: np.ndarray, rows: np.ndarray) -> int:
    assert rows.shape[0], "the planted messages are not in the table"
    return int(np.bincount(groups[rows]).argmax())


@pytest.mark.parametrize("stream", ["fts", "rucio"])
def test_failing_site_is_the_top_destination_of_its_category(sample, stream):
    summary, *_ = sample
    inc = summary.incident("site_outage")
    et, cl, ins, base, tr = analyse(sample, inc.day, stream)
    g = main_group(cl.category_of, rows_with(et, inc.marker))
    top = ins.top("dst_site", g)
    assert top[0].value == inc.site, f"top destinations of {cl.categories[g].pattern!r}: {top}"
    assert top[0].share > 0.5
    d = ins.detail(g)
    assert d.top["dst_site"][0].value == inc.site and d.top["dst_rse"][0].value == inc.rse
    if stream == "fts":
        assert d.top["dst_host"][0].value == inc.host
        # the outage hours hold the peak of the category's hourly timeline
        assert ins.nbins == 24
        assert inc.hours[0] <= int(np.argmax(ins.timeline(g))) < inc.hours[1]
        assert base is not None and tr[g].rising


def test_error_of_the_last_day_only_is_new(sample):
    summary, root, cache = sample
    inc = summary.incident("new_error")
    assert inc.day == summary.days[-1]
    et, cl, ins, base, tr = analyse(sample, inc.day)
    assert base.report.days == [inc.day - dt.timedelta(days=1)]
    assert baseline_selection(et) == Selection.day(inc.day - dt.timedelta(days=1))
    rows = rows_with(et, inc.marker)
    assert rows.shape[0] == inc.counts["fts"]
    g = main_group(cl.category_of, rows)
    t = main_group(cl.template_of, rows)
    # the category is new, or (when the clustering files the error under a known problem) it
    # lists the error's template as new; either way it leads the "new" order
    assert tr[g].new or t in tr[g].new_templates, tr[g]
    assert g in tr.order("new")[:2]
    assert ins.top("dst_site", g)[0].value == inc.site
    # per template, the planted error is new
    tins = Insight(et, cl, level="template")
    ttr = trend(tins, base)
    assert ttr[t].new and ttr[t].ratio is None and ttr[t].count == rows.shape[0]
    assert tins.top("dst_site", t)[0].value == inc.site
    # slot values: the host behind the token rejection is the incident's host
    values = [v.value for ts in ins.slots(g, budget=None) if ts.template == t for s in ts.slots for v in s.values]
    assert any(inc.host in v for v in values)


def test_stable_category_is_not_rising(sample):
    summary, *_ = sample
    inc = summary.incident("stable_category")
    counts = list(inc.daily_counts.values())
    assert max(counts) - min(counts) <= 0.1 * max(counts)
    for day in summary.days[1:]:
        et, cl, ins, base, tr = analyse(sample, day)
        g = main_group(cl.category_of, rows_with(et, inc.marker))
        assert not tr[g].new and not tr[g].rising and not tr[g].falling, (day, tr[g])
        assert tr[g].ratio == pytest.approx(1.0, abs=0.25)


def test_report_fields_of_a_sample_day(sample):
    summary, *_ = sample
    et, cl, ins, base, tr = analyse(sample, summary.days[-1])
    fields = ins.report_fields(tr)
    assert len(fields) == len(cl.categories)
    json.loads(json.dumps(fields))
    for f, c in zip(fields, cl.categories):
        assert f["key"] == c.key and f["count"] == c.count
        assert set(f["trend"]) >= {"new", "ratio"}
        assert (f["trend"]["ratio"] is None) == f["trend"]["new"]
        # [site, count, attempts, rate]: the site's attempts on that side hold the category's failures there
        assert all(isinstance(s, str) and isinstance(n, int) and n <= a and r == n / a
                   for s, n, a, r in f["top_src_sites"] + f["top_dst_sites"])
        assert sum(n for _, n in f["event_types"]) == f["count"]
        assert sum(f["timeline"]) == f["count"]
    assert sum(not t.known for t in tr) == 0


def test_range_of_days_gets_coarser_bins_and_a_longer_baseline(sample):
    summary, root, cache = sample
    days = summary.days[-2:]
    et = load_errors(root, Selection.range(days[0], days[-1]), cache_dir=cache)
    cl = cluster(et.messages)
    ins = Insight(et, cl)
    assert ins.nbins == 48 and ins.bin_timedelta() == dt.timedelta(hours=1)
    assert int(ins.timelines.sum()) + ins.missing_time == len(et)
    # the two days before: only the first is in the archive; it is loaded (through the day cache,
    # filled above) and scaled to the two days of the report
    assert baseline_selection(et) == Selection.range(days[0] - dt.timedelta(days=2), days[0] - dt.timedelta(days=1))
    base = load_baseline(et, cache_dir=cache)
    assert base.report.days == summary.days[:1]
    assert base.report.cached_days == summary.days[:1]
    tr = trend(ins, base)
    assert tr.scale == pytest.approx(2.0, rel=1e-3) and tr.baseline_rows == len(base)
    assert all(t.expected == pytest.approx(tr.scale * t.baseline_count) for t in tr)
    # the first day has no preceding day in the archive: no baseline, trends unknown
    first = load_errors(root, Selection.day(summary.days[0]), cache_dir=cache)
    assert load_baseline(first, cache_dir=cache) is None
    assert not trend(Insight(first, cluster(first.messages)), None).known
