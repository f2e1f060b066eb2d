"""Trend scoring at the edges of every threshold, baseline mapping rules, and the baseline loader.

Expected numbers are worked out by hand from the formula of opint_core.insight.trend (written out in
the comments), never copied from the code's output. Clusterings are made by hand so that the
category grouping does not depend on the clustering heuristics.
"""
from __future__ import annotations

import datetime as dt
import importlib
import math

import numpy as np
import pyarrow as pa
import pytest

from archive_factory import day_dir, fts_record, lines, rucio_record, write_part
from opint_core import Category, Clustering
from opint_core.clustering import category_key, cluster_table
from opint_core.insight import Insight, score_counts, trend
from opint_core.insight.trend import Trend, Trends, map_baseline, map_templates
from opint_core.load import ErrorTable, LoadReport, load_baseline
from opint_core.load.schema import ERROR_SCHEMA

UTC = dt.timezone.utc
DAY = dt.date(2026, 11, 20)
T0 = dt.datetime(2026, 11, 20, tzinfo=UTC)
LN2 = math.log(2)
T = importlib.import_module("opint_core.insight.trend")   # the module (the package exports the function)


# ------------------------------------------------------------------------------------------ helpers
def clus(cats) -> Clustering:
    """A Clustering from [(category pattern, [(template, count), ...]), ...], ids in the given order."""
    templates, tcounts, tcat, categories = [], [], [], []
    for c, (pattern, members) in enumerate(cats):
        ids = []
        for tp, n in members:
            ids.append(len(templates))
            templates.append(tp)
            tcounts.append(n)
            tcat.append(c)
        categories.append(Category(category_key(pattern), pattern, sum(n for _, n in members), tuple(ids)))
    tcounts = np.asarray(tcounts, dtype=np.int64)
    tcat = np.asarray(tcat, dtype=np.int32)
    template_of = np.repeat(np.arange(len(templates)), tcounts).astype(np.int32)
    return Clustering(template_of=template_of, category_of=tcat[template_of], templates=templates,
                      template_counts=tcounts, template_category=tcat, categories=categories)


def rows_of(cl: Clustering, start=T0) -> pa.Table:
    """One row per message of a hand-made clustering (the template text as the message)."""
    msgs = [cl.templates[t] for t in cl.template_of.tolist()]
    cols = {name: [None] * len(msgs) for name in ERROR_SCHEMA.names}
    cols["message"] = msgs
    cols["stream"] = ["fts"] * len(msgs)
    cols["time"] = [start + dt.timedelta(seconds=i) for i in range(len(msgs))]
    return pa.table({f.name: pa.array(cols[f.name], f.type) for f in ERROR_SCHEMA}, schema=ERROR_SCHEMA)


def mk(count=10, *, new=False, rising=False, falling=False, score=0.0, expected=10.0, new_template_rows=0) -> Trend:
    return Trend(count=count, baseline_count=0 if new else 10, expected=0.0 if new else expected, new=new,
                 ratio=None if new else 1.0, log2_ratio=score, score=score, z=0.0, rising=rising,
                 falling=falling, new_template_rows=new_template_rows)


# ---------------------------------------------------------------------------- score_counts: values
def test_constants_are_the_documented_ones():
    assert (T.Z, T.RISE, T.MIN_COUNT) == (2.0, 0.5, 10)
    assert (T.COVER_SHARE, T.MIN_LITERAL) == (0.5, 10)
    assert T.ORDERS == ("new", "rising", "falling", "score", "rise")


def test_score_counts_exact_values_worked_out_by_hand():
    x = [900, 0, 3, 40, 1]
    b = [300, 40, 9, 2, 40]
    e, ratio, lfc, score, z, rising, falling = score_counts(x, b)
    # 900 vs 300: lfc = log2(900.5 / 300.5) = 1.583361; se = sqrt(1/900.5 + 1/300.5) / ln 2 = 0.096113
    #   score = 1.583361 - 2 * 0.096113 = 1.391135 (the module doc's "300 -> 900 scores 1.4")
    # 0 vs 40 (fell to zero): lfc = log2(0.5 / 40.5) = -log2(81) = -6.339850
    #   se = sqrt(1/0.5 + 1/40.5) / ln 2 = 2.052835; score = -(6.339850 - 4.105670) = -2.234181
    # 3 vs 9: lfc = log2(3.5 / 9.5) = -1.440573 < 2 se = 2 * 0.902091: inside the noise, 0
    # 40 vs 2: lfc = log2(40.5 / 2.5) = 4.017922; se = sqrt(1/40.5 + 1/2.5) / ln 2 = 0.940181 -> 2.137561
    # 1 vs 40 (near zero): lfc = log2(1.5 / 40.5) = -log2(27) = -4.754888
    #   se = sqrt(1/1.5 + 1/40.5) / ln 2 = 1.199571; score = -(4.754888 - 2.399142) = -2.355745
    assert e.tolist() == [300, 40, 9, 2, 40]
    assert lfc == pytest.approx([1.583361, -4 * math.log2(3), -1.440573, 4.017922, -3 * math.log2(3)], abs=1e-6)
    assert score == pytest.approx([1.391135, -2.234181, 0.0, 2.137561, -2.355745], abs=1e-6)
    assert ratio == pytest.approx([3.0, 0.0, 1 / 3, 20.0, 1 / 40])
    # Anscombe: 2 (sqrt(x + 3/8) - sqrt(e + 3/8)); 3 vs 9: 2 (sqrt(27/8) - sqrt(75/8)) = -sqrt(6)
    assert z[2] == pytest.approx(-math.sqrt(6))
    assert z[0] == pytest.approx(2 * (math.sqrt(900.375) - math.sqrt(300.375)))
    assert z[1] == pytest.approx(2 * (math.sqrt(0.375) - math.sqrt(40.375)))
    assert rising.tolist() == [True, False, False, True, False]
    assert falling.tolist() == [False, True, False, False, True]      # to zero, and to near zero


def test_score_counts_baseline_scale_uses_the_scaled_expectation_but_the_raw_noise():
    # x = 100, b = 400, scale 0.5: e = 200; lfc = log2(100.5 / 200.5) = -0.996407
    # se counts the baseline's own rows: sqrt(1/100.5 + 1/400.5) / ln 2 = 0.160957 (with e: 0.174...)
    # score = -(0.996407 - 0.321913) = -0.674493; ratio 100 / 200 = 0.5
    e, ratio, lfc, score, z, rising, falling = score_counts([100], [400], scale=0.5)
    assert e[0] == 200.0 and ratio[0] == 0.5
    assert lfc[0] == pytest.approx(math.log2(100.5 / 200.5))
    assert score[0] == pytest.approx(-0.674493, abs=1e-6)
    assert z[0] == pytest.approx(2 * (math.sqrt(100.375) - math.sqrt(200.375)))
    assert falling[0] and not rising[0]
    # scale 2 (a baseline half as long as the window): expected doubles, the same 100 rows now is a ratio of 1
    e, ratio, lfc, score, *_ = score_counts([100], [50], scale=2.0)
    assert e[0] == 100.0 and ratio[0] == 1.0 and lfc[0] == 0.0 and score[0] == 0.0


def test_score_counts_z_parameter():
    # z = 0: the score is the plain log2 fold change; z = 1: one standard error off
    lfc = math.log2(40.5 / 2.5)
    se = math.sqrt(1 / 40.5 + 1 / 2.5) / LN2
    for z in (0.0, 1.0, 2.0, 3.5):
        s = score_counts([40], [2], z=z)[3][0]
        assert s == pytest.approx(max(0.0, lfc - z * se))
    assert score_counts([40], [2], z=5.0)[3][0] == 0.0      # 4.018 - 5 * 0.940 < 0: no score at all
    assert score_counts([2], [40], z=0.0)[3][0] == pytest.approx(-math.log2(40.5 / 2.5))


def test_ratio_edges():
    # nan exactly when there is no baseline row; one baseline row is enough for a ratio
    e, ratio, *_ = score_counts([5, 5, 0, 7], [0, 1, 0, 4])
    assert np.isnan(ratio[0]) and np.isnan(ratio[2])
    assert ratio[1] == 5.0 and ratio[3] == pytest.approx(7 / 4)
    # a baseline scaled to nothing (scale 0): e = 0, the ratio falls back to x / 1, never inf
    e, ratio, lfc, *_ = score_counts([3], [5], scale=0.0)
    assert e[0] == 0.0 and ratio[0] == 3.0 and lfc[0] == pytest.approx(math.log2(7))
    # an expectation below one row still divides: 3 / 0.5 = 6
    e, ratio, *_ = score_counts([3, 3], [1, 4], scale=0.5)
    assert e.tolist() == [0.5, 2.0] and ratio.tolist() == [6.0, 1.5]


# ------------------------------------------------------------------------- thresholds on both sides
def test_rise_threshold_both_sides_with_the_defaults():
    # b = 100: x = 181 -> lfc = log2(181.5/100.5) = 0.852774, se = sqrt(1/181.5 + 1/100.5)/ln 2 = 0.179382
    #   score = 0.852774 - 0.358764 = 0.494011 < 0.5; x = 182 -> 0.860701 - 2 * 0.179206 = 0.502288 >= 0.5
    e, ratio, lfc, score, z, rising, falling = score_counts([181, 182], [100, 100])
    assert score[0] == pytest.approx(0.494011, abs=1e-6) and score[1] == pytest.approx(0.502288, abs=1e-6)
    assert rising.tolist() == [False, True] and not falling.any()
    # falling side, b = 100: x = 50 -> -(0.992840 - 2 * 0.248848) = -0.495144 (not falling),
    #   x = 49 -> -(1.021695 - 2 * 0.250515) = -0.520664 (falling)
    e, ratio, lfc, score, z, rising, falling = score_counts([50, 49], [100, 100])
    assert score[0] == pytest.approx(-0.495144, abs=1e-6) and score[1] == pytest.approx(-0.520664, abs=1e-6)
    assert falling.tolist() == [False, True] and not rising.any()


def test_rise_threshold_is_inclusive_on_both_sides():
    s_up = float(score_counts([182], [100])[3][0])
    s_down = float(score_counts([49], [100])[3][0])
    assert s_up > 0 > s_down
    # exactly at the threshold: rising / falling; a hair above it: not
    assert score_counts([182], [100], rise=s_up)[5][0]
    assert not score_counts([182], [100], rise=np.nextafter(s_up, 1.0))[5][0]
    assert score_counts([49], [100], rise=-s_down)[6][0]
    assert not score_counts([49], [100], rise=np.nextafter(-s_down, 1.0))[6][0]
    # a stable category (score 0) is neither, even with the threshold at 0 for a tiny positive score
    _, _, _, score, _, rising, falling = score_counts([100], [100])
    assert score[0] == 0.0 and not rising[0] and not falling[0]


def test_min_count_edge_of_rising_counts_rows_now():
    # b = 1, scale 0.01 (e = 0.01): x = 10 -> lfc = log2(10.5 / 0.51) = 4.363748, se = 1.259287,
    #   score 1.845173; x = 9 -> log2(9.5 / 0.51) = 4.219358, se = 1.267545, score 1.684268.
    # Both score far above 0.5: only min_count (10 rows now) decides.
    e, ratio, lfc, score, z, rising, falling = score_counts([9, 10], [1, 1], scale=0.01)
    assert score == pytest.approx([1.684268, 1.845173], abs=1e-6)
    assert rising.tolist() == [False, True]
    # the same with an explicit min_count, at and one below the count
    assert score_counts([40], [2], min_count=40)[5][0]
    assert not score_counts([40], [2], min_count=41)[5][0]
    # the baseline size does not count for rising: 40 rows now vs 2 before rises with min_count 40
    assert score_counts([40], [2], min_count=3)[5][0]


def test_min_count_edge_of_falling_counts_the_expected_rows():
    # x = 0, b = 80, scale 0.5: e = 40; lfc = log2(0.5/40.5) = -6.339850, se = sqrt(2 + 1/80.5)/ln 2
    # = 2.046607 -> score -2.246636. Falling needs e >= min_count: 40 yes, 41 no (b = 80 would say yes)
    _, _, _, score, _, _, falling = score_counts([0], [80], scale=0.5, min_count=40)
    assert score[0] == pytest.approx(-6.339850 + 2 * 2.046607, abs=1e-5) and falling[0]
    assert not score_counts([0], [80], scale=0.5, min_count=41)[6][0]
    # e = 40 at the default min_count: falling; the rows now (0) do not matter
    assert score_counts([0], [40])[6][0]
    # z = 0 (score = lfc, about -4.4): e = 9.99 (just below the default 10) is not falling, e = 10 is
    _, _, _, s, _, _, f = score_counts([0, 0], [999, 1000], scale=0.01, z=0.0)
    assert (s < -0.5).all() and f.tolist() == [False, True]


def test_a_category_falling_to_zero_or_near_zero_is_falling_in_a_trend():
    base = clus([("Permission denied", [("Permission denied for <*>", 40)]),
                 ("Checksum mismatch", [("Checksum mismatch adler32 <*>", 25)]),
                 ("Quota exceeded", [("Disk quota exceeded on <*>", 30)])])
    now = clus([("Permission denied", [("Permission denied for <*>", 1)]),
                ("Quota exceeded", [("Disk quota exceeded on <*>", 30)])])
    tr = trend(now, rows_of(base), baseline_clustering=base)
    near, flat = tr[0], tr[1]
    assert (near.count, near.baseline_count, near.expected) == (1, 40, 40.0)
    assert near.falling and not near.rising and not near.new and near.ratio == pytest.approx(1 / 40)
    assert near.score == pytest.approx(-2.355745, abs=1e-6)           # worked out above for 1 vs 40
    assert not flat.falling and not flat.rising and flat.score == 0.0 and flat.ratio == 1.0
    # the category that fell to zero is not a row of today's trends: it is gone, with its baseline rows
    assert tr.gone == [(category_key("Checksum mismatch"), "Checksum mismatch", 25)]
    assert tr.unmatched_rows == 25 and tr.baseline_rows == 95
    assert tr.order("falling")[0] == 0


# ----------------------------------------------------------------------------------- Trends.order
def test_order_new():
    # the one "new" order of opint_core.insight.orders (the overview, the report and Trends.order):
    # most failures of never-seen messages first -- a new category's count, a known one's rows of
    # new templates -- then by score, then by count, then by index
    items = [
        mk(5, new=True),                        # 0: new, small
        mk(20, new=True),                       # 1: new, big
        mk(50, new_template_rows=10),           # 2: known, 10 fresh rows
        mk(50, new_template_rows=9, rising=True, score=2.0),   # 3: 9 fresh rows
        mk(50, new_template_rows=30),           # 4: known, more fresh rows than any new category has
        mk(50, rising=True, score=1.0),         # 5: rising, no fresh rows
        mk(50, score=3.0),                      # 6: higher score, no fresh rows
        mk(50),                                 # 7: tie with 8, index order
        mk(50),                                 # 8
        mk(20, new=True, rising=True, score=1.0),   # 9: new, as big as 1, higher score
    ]
    assert Trends(items).order("new") == [4, 9, 1, 2, 3, 0, 6, 5, 7, 8]
    # min_count decides rising and falling, not which rows count as never seen
    assert Trends(items, min_count=31).order("new") == [4, 9, 1, 2, 3, 0, 6, 5, 7, 8]


def test_order_new_known_categories_by_fresh_rows_not_by_count():
    items = [mk(90, new_template_rows=10), mk(10, new_template_rows=30), mk(500, rising=True, score=3.0),
             mk(1000), mk(5, rising=True, score=4.0)]
    assert Trends(items).order("new") == [1, 0, 4, 2, 3]
    # a single fresh row goes before rising categories without any
    items = [mk(50, rising=True, score=2.0), mk(50, new_template_rows=1), mk(50)]
    assert Trends(items).order("new") == [1, 0, 2]


def test_order_new_more_fresh_rows_first():
    items = [mk(50, score=1.0, rising=True), mk(50, new_template_rows=9), mk(50, new_template_rows=10)]
    assert Trends(items).order("new") == [2, 1, 0]


def test_order_rising_falling_score_with_ties():
    items = [
        mk(5, rising=True, score=1.0),      # 0
        mk(50, rising=True, score=1.0),     # 1: same score, more rows
        mk(8, rising=False, score=4.0),     # 2: scored but not rising (few rows)
        mk(50, rising=True, score=2.0),     # 3
        mk(50, falling=True, score=-1.0, expected=50.0),    # 4
        mk(50, falling=True, score=-1.0, expected=100.0),   # 5: same score, more expected
        mk(50, falling=True, score=-2.0, expected=10.0),    # 6
        mk(50, falling=False, score=-3.0, expected=9.0),    # 7: scored but not falling
        mk(50, rising=True, score=1.0),     # 8: full tie with 1: index order
    ]
    tr = Trends(items)
    assert tr.order("rising")[:4] == [3, 1, 8, 0]
    assert tr.order("rising")[4:] == [2, 4, 5, 6, 7]       # the others by score, then rows, then index
    assert tr.order() == tr.order("rising")                # the default
    assert tr.order("falling")[:3] == [6, 5, 4]
    assert tr.order("falling")[3:] == [7, 0, 1, 8, 3, 2]   # by score ascending, ties: expected desc, index
    assert tr.order("score") == [2, 3, 1, 8, 0, 4, 5, 6, 7]


def test_order_falling_ties_on_expected_then_index():
    items = [mk(1, falling=True, score=-1.0, expected=20.0), mk(1, falling=True, score=-1.0, expected=30.0),
             mk(1, falling=True, score=-1.0, expected=20.0)]
    assert Trends(items).order("falling") == [1, 0, 2]


def test_order_score_ties_on_count_then_index():
    items = [mk(5, score=1.0), mk(7, score=1.0), mk(7, score=1.0), mk(1, score=1.5)]
    assert Trends(items).order("score") == [3, 1, 2, 0]
    items = [mk(5, rising=True, score=1.0), mk(7, rising=True, score=1.0), mk(7, rising=True, score=1.0)]
    assert Trends(items).order("rising") == [1, 2, 0]


ORDERS_BAD = ("", "Rising", "count", "news")


def test_order_rejects_an_unknown_order():
    tr = Trends([mk()])
    for by in ORDERS_BAD:
        with pytest.raises(ValueError, match="new, rising, falling, score"):
            tr.order(by)
    for by in T.ORDERS:
        assert tr.order(by) == [0]


def test_trends_container_and_to_dict():
    t = Trend(count=3, baseline_count=7, expected=3.123456, new=False, ratio=0.960613, log2_ratio=-0.0123456,
              score=-0.00004, z=1.99996, rising=False, falling=False, matched_by="key", new_templates=(4, 2),
              new_template_rows=6)
    tr = Trends([t, mk(1)])
    assert len(tr) == 2 and tr[0] is t and list(tr) == [t, tr[1]]
    d = t.to_dict()
    assert d["new_templates"] == [4, 2] and isinstance(d["new_templates"], list)
    assert (d["expected"], d["ratio"], d["log2_ratio"], d["score"], d["z"]) == (3.1235, 0.9606, -0.0123, -0.0, 2.0)
    assert d["matched_by"] == "key" and d["known"] is True and d["new_template_rows"] == 6
    assert mk(new=True).to_dict()["ratio"] is None
    assert (tr.scale, tr.baseline_rows, tr.unmatched_rows, tr.gone, tr.known, tr.level, tr.min_count) == \
        (1.0, 0, 0, [], True, "category", 10)


# -------------------------------------------------------------------- mapping: identical and scoped
def test_map_templates_identical_pattern_wins_across_keys():
    cur = clus([("A", [("Disk quota exceeded on <*>", 5)]), ("B", [("No such file <*>", 3)])])
    base = clus([("other", [("No such file <*>", 4), ("Disk quota exceeded on <*>", 2)])])
    tmap, how = map_templates(cur, base)
    assert tmap.tolist() == [1, 0] and how == ["template", "template"]


def test_map_templates_scoped_to_the_category_of_the_same_key():
    # the baseline category's key exists today: its templates are looked for in that category only,
    # even though another category today would cover them
    cur = clus([("Permission denied", [("Token rejected by <*>", 5)]),
                ("Elsewhere", [("Permission denied for user <*> on <*>", 9)])])
    base = clus([("Permission denied", [("Permission denied for user alice on se1", 4)])])
    tmap, how = map_templates(cur, base)
    assert tmap.tolist() == [-1] and how == [None]
    # under another key the same baseline template is found among all templates
    base2 = clus([("Nowhere today", [("Permission denied for user alice on se1", 4)])])
    tmap, how = map_templates(cur, base2)
    assert tmap.tolist() == [1] and how == ["pattern"]


def test_map_templates_scoped_cover_token_by_token_and_by_literal_search():
    cur = clus([("Permission denied", [("Permission denied for user <*> on <*>", 9),
                                       ("Token rejected by <*>", 5), ("open <*> failed", 1)])])
    base = clus([("Permission denied", [("Permission denied for user alice on se1", 4),      # token by token
                                        ("Token rejected by se2 invalid audience", 2),         # literal search
                                        ("open /x failed", 1),                                 # token by token
                                        ("Something unrelated entirely", 3)])])
    tmap, how = map_templates(cur, base)
    assert tmap.tolist() == [0, 1, 2, -1]
    assert how == ["pattern", "pattern", "pattern", None]
    # the reverse: the baseline generalised more than today
    cur = clus([("Permission denied", [("Permission denied for user bob on se1", 3),
                                       ("Token rejected by se2 x y", 2)])])
    base = clus([("Permission denied", [("Permission denied for user <*> on <*>", 4), ("Token rejected by <*>", 1)])])
    tmap, how = map_templates(cur, base)
    assert tmap.tolist() == [0, 1] and how == ["pattern", "pattern"]


def test_covers_rules():
    assert T._token_cover("open <*> failed", "open /x failed")
    assert T._token_cover("open /x failed", "open <*> failed")
    assert T._token_cover("open a<*> failed", "open a1 failed")
    assert not T._token_cover("open a<*> failed", "open b1 failed")
    assert not T._token_cover("open <*> failed", "open /x failed now")       # token counts differ
    assert not T._token_cover("open x failed", "open y failed")
    assert not T._token_cover("open b1 failed", "open a<*> failed")         # the wildcard side is checked
    assert not T._token_cover("open <*> failed", "open /x worked")          # every token, after a wildcard
    assert not T._token_cover("open /x worked", "open <*> failed")
    assert not T._token_cover("open x failed", "open x worked")
    assert T._token_cover("TRANSFER  <*> failed", "TRANSFER  /x failed")    # tokens split on single spaces
    assert not T._token_cover("TRANSFER <*> failed", "TRANSFER  /x failed")
    assert T._covers("open <*> failed", "open /x y failed")                  # literal search, a general
    assert T._covers("open /x y failed", "open <*> failed")                  # literal search, b general
    assert not T._covers("open <*> failed", "close /x y failed")
    assert not T._covers("close /x y failed", "open <*> failed")
    # without a wildcard, a prefix is not a cover
    assert not T._covers("open x and more", "open x")
    assert not T._covers("open x", "open x and more")


# ------------------------------------------------------------------- mapping: unscoped cover rules
def _unscoped(current_templates, baseline_templates):
    """Map baseline templates (each its own category, keys unknown today) onto current ones."""
    cur = clus([(f"now {i}", [(p, n)]) for i, (p, n) in enumerate(current_templates)])
    base = clus([(f"before {i}", [(p, 1)]) for i, p in enumerate(baseline_templates)])
    return map_templates(cur, base)


def test_cover_returns_minus_one_for_no_cover():
    cur = clus([("now", [("abcdefghij <*>", 3), ("zzzzzzzzzz 12", 1)])])
    got = T._cover(cur, [0, 1], ["abcdefghij 12", "nothing alike", "zzzzzzzzzz <*>"])
    assert got.tolist() == [0, -1, 1]
    # only the candidates given are considered
    assert T._cover(cur, [1], ["abcdefghij 12"]).tolist() == [-1]


def test_a_cover_found_by_a_current_template_is_final():
    # "abcdefghij <*>" (rare) covers "abcdefghij 12<*>"; the reverse search would have found the more
    # frequent "abcdefghij 12 xyz", but a template matched once is not searched again
    tmap, _ = _unscoped([("abcdefghij <*>", 1), ("abcdefghij 12 xyz", 5)], ["abcdefghij 12<*>"])
    assert tmap.tolist() == [0]
    tmap, _ = _unscoped([("abcdefghij 12 xyz", 5)], ["abcdefghij 12<*>"])
    assert tmap.tolist() == [0]


def test_patterns_that_cannot_cover_do_not_stop_the_reverse_search():
    tmap, _ = _unscoped([("abcdefghij 12", 1)], ["no wildcard here at all", "abcdefghi <*>", "abcdefghij <*>"])
    assert tmap.tolist() == [-1, -1, 0]


def test_min_literal_edge_of_a_covering_template():
    # literal text of "abcdefghi <*>" is 9 characters (below MIN_LITERAL): covers nothing
    tmap, how = _unscoped([("abcdefghi <*>", 1)], ["abcdefghi xyz"])
    assert tmap.tolist() == [-1] and how == [None]
    # 10 characters: covers
    tmap, how = _unscoped([("abcdefghij <*>", 1)], ["abcdefghij xyz"])
    assert tmap.tolist() == [0] and how == ["pattern"]


def test_min_literal_edge_of_a_covering_baseline_template():
    # the reverse direction: the baseline template has the wildcard
    tmap, _ = _unscoped([("abcdefghi xyz", 1)], ["abcdefghi <*>"])
    assert tmap.tolist() == [-1]
    tmap, how = _unscoped([("abcdefghij xyz", 1)], ["abcdefghij <*>"])
    assert tmap.tolist() == [0] and how == ["pattern"]


def test_cover_share_edge():
    # "abcdefghij <*>" keeps 10 literal characters; it may cover a template of up to 20 (10 >= 0.5 * 20)
    tmap, _ = _unscoped([("abcdefghij <*>", 1)], ["abcdefghij 123456789", "abcdefghij 1234567890"])
    assert tmap.tolist() == [0, -1]
    # the reverse direction, the same share
    tmap, _ = _unscoped([("abcdefghij 123456789", 1)], ["abcdefghij <*>"])
    assert tmap.tolist() == [0]
    tmap, _ = _unscoped([("abcdefghij 1234567890", 1)], ["abcdefghij <*>"])
    assert tmap.tolist() == [-1]


def test_cover_is_anchored_literal_and_spans_lines():
    cur = [("abcdefghij (code <*>) on se1.a.org", 1)]
    tmap, _ = _unscoped(cur, ["abcdefghij (code 5) on se1.a.org",       # parentheses and dots literal
                              "abcdefghij code 5 on se1.a.org",         # no parentheses: no match
                              "abcdefghij (code 5) on se1xaxorg",       # a dot is not any character
                              "xx abcdefghij (code 5) on se1.a.org",    # anchored at the start
                              "abcdefghij (code 5) on se1.a.org tail",  # and at the end
                              "abcdefghij (code 5\nmore) on se1.a.org"])  # a wildcard spans lines
    assert tmap.tolist() == [0, -1, -1, -1, -1, 0]


def test_the_most_frequent_covering_template_wins():
    # both cover "abcdefghij 12345"; the more frequent one (index 1) takes it, a tie goes to the first
    tmap, _ = _unscoped([("abcdefghij <*>", 2), ("abcdefghij 12<*>", 5)], ["abcdefghij 12345"])
    assert tmap.tolist() == [1]
    tmap, _ = _unscoped([("abcdefghij <*>", 5), ("abcdefghij 12<*>", 5)], ["abcdefghij 12345"])
    assert tmap.tolist() == [0]
    # the reverse direction also takes the most frequent template it covers
    tmap, _ = _unscoped([("abcdefghij 12", 2), ("abcdefghij 34", 5)], ["abcdefghij <*>"])
    assert tmap.tolist() == [1]
    tmap, _ = _unscoped([("abcdefghij 12", 5), ("abcdefghij 34", 5)], ["abcdefghij <*>"])
    assert tmap.tolist() == [0]


def test_a_template_too_short_for_one_pattern_does_not_stop_the_search():
    # the most frequent candidate keeps too little of the long pattern (10 < 0.5 * 30); a rarer,
    # longer candidate still covers it
    tmap, _ = _unscoped([("abcdefghij <*>", 9), ("abcdefghij klmnopqrst uvw <*>", 2)],
                        ["abcdefghij klmnopqrst uvw 123456"])
    assert tmap.tolist() == [1]
    # a non-covering template (no wildcard) before a covering one
    tmap, _ = _unscoped([("abcdefghij fixed text", 9), ("abcdefghij <*>", 2)], ["abcdefghij 12"])
    assert tmap.tolist() == [1]


def test_a_regex_too_large_for_re2_is_skipped_not_fatal():
    huge = "<*>".join(["a"] * 60_000)           # RE2 refuses to compile its regex
    tmap, how = _unscoped([(huge, 9), ("abcdefghij <*>", 2)], ["abcdefghij 12"])
    assert tmap.tolist() == [1] and how == ["pattern"]
    tmap, how = _unscoped([("abcdefghij 12", 2)], [huge, "abcdefghij <*>"])
    assert tmap.tolist() == [-1, 0]


# --------------------------------------------------------------------------------- map_baseline
def test_map_baseline_by_key_then_by_template():
    cur = clus([("Permission denied", [("Permission denied for <*>", 30)]),
                ("Checksum mismatch", [("Checksum mismatch adler32 <*>", 20), ("Checksum mismatch md5 <*>", 2)])])
    base_spec = [
        ("Permission denied", [("Permission denied for <*>", 5), ("Permission denied by <*>", 1)]),  # key: all 6
        ("old checksum", [("Checksum mismatch adler32 <*>", 7), ("Checksum never seen <*>", 4)]),  # 7 of 11
        ("also permission", [("Permission denied for <*>", 3)]),                                  # template
        ("gone", [("Disk quota exceeded <*>", 8)]),
        ("gone too", [("Connection reset <*>", 2)]),
    ]
    base = clus(base_spec)
    counts, how, unmatched = map_baseline(cur, base)
    assert counts.tolist() == [6 + 3, 7] and counts.dtype.kind == "i"
    assert how == ["key", "template"]              # the first way found is kept
    assert unmatched == [3, 4]
    # the other way round: the template match first, the key match adds to it
    flipped = clus([base_spec[2], base_spec[0], base_spec[1]])
    counts, how, unmatched = map_baseline(cur, flipped)
    assert counts.tolist() == [3 + 6, 7] and how == ["template", "template"] and unmatched == []
    tr = trend(cur, rows_of(base), baseline_clustering=base)
    assert [t.baseline_count for t in tr] == [9, 7] and [t.matched_by for t in tr] == ["key", "template"]
    # baseline failures not mapped: the two gone categories and the unmatched template (4)
    assert tr.unmatched_rows == 8 + 2 + 4 and tr.baseline_rows == 6 + 11 + 3 + 8 + 2
    assert tr.gone == [(category_key("gone"), "gone", 8), (category_key("gone too"), "gone too", 2)]
    # the checksum category's md5 template is absent from the baseline: a new template inside it
    assert tr[1].new_templates == (2,) and tr[1].new_template_rows == 2 and tr[0].new_templates == ()


def test_map_baseline_pattern_match_sets_matched_by_pattern():
    cur = clus([("now", [("Operation timed out after <*> seconds", 30)])])
    base = clus([("before", [("Operation timed out after 300 seconds", 12)])])
    counts, how, unmatched = map_baseline(cur, base)
    assert counts.tolist() == [12] and how == ["pattern"] and unmatched == []


def test_gone_is_sorted_by_rows_then_key():
    cur = clus([("kept", [("Permission denied for <*>", 3)])])
    names = ["gone a", "gone b", "gone d", "gone c"]
    base = clus([(n, [(f"Unrelated problem number {i} <*>", c)]) for i, (n, c) in enumerate(zip(names, [2, 5, 2, 1]))])
    tr = trend(cur, rows_of(base), baseline_clustering=base)
    keys = {n: category_key(n) for n in names}
    assert keys["gone d"] < keys["gone a"]            # the tie: key order is not the pattern order
    assert [g[0] for g in tr.gone] == [keys["gone b"], keys["gone d"], keys["gone a"], keys["gone c"]]
    assert [g[1] for g in tr.gone] == ["gone b", "gone d", "gone a", "gone c"]
    assert [g[2] for g in tr.gone] == [5, 2, 2, 1]
    assert tr.unmatched_rows == 10 and tr[0].new


# ------------------------------------------------------------------------------------- trend()
def test_trend_of_a_clustering_counts_its_categories_and_scales_by_one():
    base = clus([("Permission denied", [("Permission denied for <*>", 100)])])
    now = clus([("Permission denied", [("Permission denied for <*>", 182)]),
                ("Brand new", [("Brand new failure <*>", 12)])])
    tr = trend(now, rows_of(base), baseline_clustering=base)
    assert tr.level == "category" and tr.scale == 1.0 and tr.known and tr.baseline_days == []
    up, new = tr[0], tr[1]
    assert (up.count, up.baseline_count, up.expected, up.ratio) == (182, 100, 100.0, 1.82)
    assert up.rising and up.score == pytest.approx(0.502288, abs=1e-6) and up.matched_by == "key"
    assert new.new and new.ratio is None and new.baseline_count == 0 and new.matched_by is None
    # a new category is scored against an expectation of 0: log2(12.5 / 0.5) - 2 sqrt(1/12.5 + 2) / ln 2
    assert new.score == pytest.approx(math.log2(25) - 2 * math.sqrt(1 / 12.5 + 2) / LN2)
    assert new.z == pytest.approx(2 * (math.sqrt(12.375) - math.sqrt(0.375)))
    assert new.new_templates == () and new.new_template_rows == 0   # only known categories list them
    # the thresholds reach score_counts: 182 rows is not enough for min_count 183, rise 0.51, z 2.1
    assert not trend(now, rows_of(base), baseline_clustering=base, min_count=183)[0].rising
    assert trend(now, rows_of(base), baseline_clustering=base, min_count=182)[0].rising
    assert not trend(now, rows_of(base), baseline_clustering=base, rise=0.51)[0].rising
    assert not trend(now, rows_of(base), baseline_clustering=base, z=2.1)[0].rising
    assert trend(now, rows_of(base), baseline_clustering=base, min_count=7).min_count == 7


def test_trend_scale_from_days_and_explicit():
    base = clus([("Permission denied", [("Permission denied for <*>", 40)])])
    now = clus([("Permission denied", [("Permission denied for <*>", 10)])])
    two_days = [DAY - dt.timedelta(days=2), DAY - dt.timedelta(days=1)]
    base_et = ErrorTable(rows_of(base, T0 - dt.timedelta(days=2)),
                         LoadReport("file:///x", "fts", "baseline", days=list(reversed(two_days)) + two_days[:1]))
    ins = Insight(rows_of(now), now, days=[DAY])
    tr = trend(ins, base_et, baseline_clustering=base)
    # one day now against two days before: e = 40 * 1/2 = 20
    assert tr.scale == 0.5 and tr.baseline_days == two_days
    assert tr[0].expected == 20.0 and tr[0].ratio == 0.5 and tr[0].baseline_count == 40
    # x = 10, b = 40, e = 20: lfc = log2(10.5/20.5), se = sqrt(1/10.5 + 1/40.5)/ln 2 -> inside the noise
    assert tr[0].log2_ratio == pytest.approx(math.log2(10.5 / 20.5)) and tr[0].score == 0.0
    assert trend(ins, base_et, baseline_clustering=base, scale=0.25)[0].expected == 10.0
    # two days now against two: 1; without days on either side: 1
    ins2 = Insight(rows_of(now), now, days=[DAY, DAY + dt.timedelta(days=1)])
    assert trend(ins2, base_et, baseline_clustering=base).scale == 1.0
    assert trend(Insight(rows_of(now), now), base_et, baseline_clustering=base).scale == 1.0
    assert trend(ins, rows_of(base), baseline_clustering=base).scale == 1.0


def test_trend_clusters_the_baseline_table_itself():
    msgs_base = ["Connection timed out to se1.a.org:1094"] * 10 + ["Disk quota exceeded on se9.x.org"] * 4
    msgs_now = ["Connection timed out to se1.a.org:1094"] * 30
    base = _messages(msgs_base)
    now = _messages(msgs_now)
    ins = Insight(now, cluster_table(now))
    tr = trend(ins, base)
    assert tr[0].baseline_count == 10 and tr[0].matched_by == "key" and tr.unmatched_rows == 4
    assert len(tr.gone) == 1 and tr.gone[0][2] == 4 and tr.baseline_rows == 14
    # the similarity reaches the baseline clustering: at 0.9 (the default) the two causes of the
    # baseline are one category (keyed on "gently"), at 0.99 two, one of them today's by key
    gently = "Zorblax quantum widget exploded while spinning the flux capacitor gently"
    quickly = "Zorblax quantum widget exploded while spinning the flux capacitor quickly"
    zbase, znow = _messages([gently] * 3 + [quickly] * 2), _messages([quickly] * 4)
    zins = Insight(znow, cluster_table(znow))
    loose, strict = trend(zins, zbase), trend(zins, zbase, similarity=0.99)
    assert (loose[0].matched_by, loose[0].baseline_count, loose.gone, loose.unmatched_rows) == ("template", 2, [], 3)
    assert (strict[0].matched_by, strict[0].baseline_count, strict.unmatched_rows) == ("key", 2, 3)
    assert [g[1:] for g in strict.gone] == [(gently, 3)]
    for sim in (0.3, 0.9):
        got = trend(ins, base, similarity=sim)
        want = trend(ins, base, baseline_clustering=cluster_table(base, similarity=sim))
        assert [t.to_dict() for t in got] == [t.to_dict() for t in want] and got.gone == want.gone


def test_trend_against_an_empty_baseline_finds_everything_new():
    now = clus([("Permission denied", [("Permission denied for <*>", 12)])])
    tr = trend(now, ERROR_SCHEMA.empty_table())
    assert tr.known and tr[0].new and tr[0].known and tr[0].ratio is None and tr[0].baseline_count == 0
    assert tr.baseline_rows == 0 and tr.gone == [] and tr.unmatched_rows == 0


def test_trend_without_baseline():
    now = clus([("Permission denied", [("Permission denied for <*>", 12)]), ("b", [("x y z <*>", 3)])])
    tr = trend(now, None, min_count=4)
    assert not tr.known and tr.min_count == 4 and tr.level == "category"
    assert tr.known is False and tr.scale == 1.0 and tr.gone == [] and tr.baseline_rows == 0
    assert [(t.count, t.new, t.ratio, t.known, t.rising, t.falling, t.matched_by) for t in tr] == \
        [(12, False, None, False, False, False, None), (3, False, None, False, False, False, None)]
    assert all((t.baseline_count, t.expected, t.log2_ratio, t.score, t.z, t.new_templates, t.new_template_rows) ==
               (0, 0.0, 0.0, 0.0, 0.0, (), 0) for t in tr)
    ins = Insight(rows_of(now), now, level="template")
    assert trend(ins, None).level == "template"


def test_trend_by_template():
    cur = clus([("Permission denied", [("Permission denied for <*>", 30), ("Permission denied by <*>", 12)]),
                ("Checksum", [("Checksum mismatch adler32 <*> != <*>", 5)])])
    base = clus([("Permission denied", [("Permission denied for <*>", 10)]),
                 ("Old checksum", [("Checksum mismatch adler32 0a1b != <*>", 4)]),
                 ("Gone", [("Disk quota exceeded on <*>", 3), ("Disk full on <*>", 6)])])
    ins = Insight(rows_of(cur), cur, level="template")
    tr = trend(ins, rows_of(base), baseline_clustering=base)
    assert tr.level == "template" and len(tr) == 3
    assert [t.baseline_count for t in tr] == [10, 0, 4]
    assert [t.matched_by for t in tr] == ["template", None, "pattern"]
    assert [t.new for t in tr] == [False, True, False]
    assert all(t.new_templates == () for t in tr)                     # per template: no members to list
    assert tr.gone == [("t3", "Disk full on <*>", 6), ("t2", "Disk quota exceeded on <*>", 3)]
    assert tr.unmatched_rows == 9 and tr.baseline_rows == 23


def test_trend_folds_manual_merges_into_the_parent():
    cur = clus([("Permission denied", [("Permission denied for <*>", 30)]),
                ("Token rejected", [("Token rejected by <*>", 20)]),
                ("Checksum", [("Checksum mismatch adler32 <*>", 5)])])
    base = clus([("Token rejected", [("Token rejected by <*>", 8)]),
                 ("old", [("Checksum mismatch adler32 <*>", 3)])])
    keys = [c.key for c in cur.categories]
    ins = Insight(rows_of(cur), cur, merges={keys[1]: keys[0]})
    tr = trend(ins, rows_of(base), baseline_clustering=base)
    # the child's baseline moves to the parent, with how it was found
    assert [t.count for t in tr] == [50, 0, 5]
    assert [t.baseline_count for t in tr] == [8, 0, 3]
    assert tr[0].matched_by == "key" and not tr[0].new and tr[1].new
    assert tr[2].matched_by == "template"
    # the parent holds its own template, absent from the baseline: a new template with its rows
    assert tr[0].new_templates == (0,) and tr[0].new_template_rows == 30
    # a child's template absent from the baseline is a new template of the parent
    base2 = clus([("Permission denied", [("Permission denied for <*>", 8)])])
    tr3 = trend(ins, rows_of(base2), baseline_clustering=base2)
    assert tr3[0].new_templates == (1,) and tr3[0].new_template_rows == 20 and tr3[0].baseline_count == 8
    # a parent without a baseline of its own takes how its child was found
    other = trend(Insight(rows_of(cur), cur, merges={keys[2]: keys[0]}), rows_of(base), baseline_clustering=base)
    assert [t.baseline_count for t in other] == [3, 8, 0] and [t.count for t in other] == [35, 20, 0]
    assert [t.matched_by for t in other][:2] == ["template", "key"]


def test_new_templates_of_a_known_category_biggest_first():
    cur = clus([("Permission denied", [("Token rejected by <*>", 40), ("Permission denied for <*>", 20),
                                       ("Permission revoked for <*>", 7)])])
    base = clus([("Permission denied", [("Permission denied for <*>", 20)])])
    tr = trend(Insight(rows_of(cur), cur), rows_of(base), baseline_clustering=base)
    assert tr[0].new_templates == (0, 2) and tr[0].new_template_rows == 47 and not tr[0].new
    assert tr.order("new") == [0]


# ---------------------------------------------------------------------- baseline from an archive
def _messages(msgs, start=T0) -> pa.Table:
    cols = {name: [None] * len(msgs) for name in ERROR_SCHEMA.names}
    cols["message"] = list(msgs)
    cols["stream"] = ["fts"] * len(msgs)
    cols["time"] = [start + dt.timedelta(seconds=i) for i in range(len(msgs))]
    return pa.table({f.name: pa.array(cols[f.name], f.type) for f in ERROR_SCHEMA}, schema=ERROR_SCHEMA)


def _day(root, day, reasons, tmp=False):
    recs = [rucio_record(r, request_id=f"{day}-{i}", created_at=f"{day} 12:00:{i % 60:02d}.000000")
            for i, r in enumerate(reasons)]
    write_part(day_dir(root, "rucio", day, tmp=tmp), lines(recs))


@pytest.fixture
def archive(tmp_path):
    """Rucio days D-4 (3 failures), D-3 (missing), D-2 (5), D-1 (7, still being written), D (4);
    one FTS day, D-10."""
    root = tmp_path / "archive"
    write_part(day_dir(root, "fts", DAY - dt.timedelta(days=10)), lines([fts_record()]))
    _day(root, DAY - dt.timedelta(days=4), ["Disk quota exceeded on se9.x.org"] * 3)
    _day(root, DAY - dt.timedelta(days=2), ["Connection timed out to se1.a.org:1094"] * 5)
    for k in (4, 2):   # an empty part file beside each
        write_part(day_dir(root, "rucio", DAY - dt.timedelta(days=k)), b"", index=1, gz=False)
    _day(root, DAY - dt.timedelta(days=1), ["Connection timed out to se1.a.org:1094"] * 7, tmp=True)
    _day(root, DAY, ["Connection timed out to se1.a.org:1094"] * 4)
    return str(root)


def trend_for(report_table, insight, archive=None, *, use_cache=True, cache_dir=None, progress=None, cancel=None,
              **kw):
    """The baseline of ``report_table`` loaded (``trend`` itself never loads), then the trends."""
    base = load_baseline(report_table, archive, use_cache=use_cache, cache_dir=cache_dir, progress=progress,
                         cancel=cancel)
    return trend(insight, base, **kw)


def test_load_baseline_the_day_before(archive):
    from opint_core import Selection
    from opint_core.load import load_errors

    today = load_errors(archive, Selection.range(DAY, DAY), stream="rucio", use_cache=False)
    base = load_baseline(today, use_cache=False)
    assert base.report.days == [DAY - dt.timedelta(days=1)] and base.failures == 7
    assert base.report.stream == "rucio" and not base.report.final        # that day is still being written
    assert base.report.selection.startswith("baseline")
    assert len(base.report.files) == 1
    tr = trend_for(today, Insight(today, cluster_table(today)), use_cache=False)
    assert tr.baseline_rows == 7 and tr.baseline_days == [DAY - dt.timedelta(days=1)]
    assert tr[0].baseline_count == 7 and tr[0].count == 4 and tr.scale == 1.0
    # keyword arguments reach trend()
    assert trend_for(today, Insight(today, cluster_table(today)), use_cache=False, scale=0.5)[0].expected == 3.5


def test_load_baseline_skips_missing_days_and_merges_runs(archive):
    days = [DAY - dt.timedelta(days=1), DAY]
    # baseline of two days: D-3 .. D-2, of which only D-2 exists
    base = load_baseline(days, archive, stream="rucio", use_cache=False)
    assert base.report.days == [DAY - dt.timedelta(days=2)] and base.failures == 5 and base.report.final
    # baseline of three days: D-5 .. D-3 -> only D-4; of four days: D-7 .. D-4 -> D-4
    three = [DAY - dt.timedelta(days=k) for k in range(3)]
    assert load_baseline(three, archive, stream="rucio", use_cache=False).report.days == [DAY - dt.timedelta(days=4)]
    # D+3 alone: baseline D+2, absent -> None
    assert load_baseline([DAY + dt.timedelta(days=3)], archive, stream="rucio", use_cache=False) is None
    # D+1 .. D+3 -> D-2 .. D: D-2, D-1 and D in one run; D+3 .. D+6 -> D-1 .. D+2
    run = [DAY + dt.timedelta(days=k) for k in (1, 2, 3)]
    base = load_baseline(run, archive, stream="rucio", use_cache=False)
    assert base.report.days == [DAY - dt.timedelta(days=2), DAY - dt.timedelta(days=1), DAY]
    assert base.failures == 5 + 7 + 4 and not base.report.final
    # a gap: D .. D+3 -> D-4 .. D-1: D-4, then D-2 and D-1 (D-3 missing): two loads, merged
    gap = [DAY + dt.timedelta(days=k) for k in range(4)]
    base = load_baseline(gap, archive, stream="rucio", use_cache=False)
    assert base.report.days == [DAY - dt.timedelta(days=4), DAY - dt.timedelta(days=2), DAY - dt.timedelta(days=1)]
    assert base.failures == 3 + 5 + 7 and len(base) == 15 and not base.report.final
    assert len(base.report.files) == 3 and base.report.seconds >= 0
    assert sorted(p.rsplit("/", 3)[-2] for p in base.report.empty_files) == ["16", "18"]   # from both loads
    assert base.report.archive == archive
    assert sorted(set(base.table.column("message").to_pylist())) == [
        "Connection timed out to se1.a.org:1094", "Disk quota exceeded on se9.x.org"]


def test_load_baseline_uses_the_day_cache_and_reports_it(archive, tmp_path):
    cache = tmp_path / "cache"
    days = [DAY + dt.timedelta(days=k) for k in range(4)]
    first = load_baseline(days, archive, stream="rucio", cache_dir=cache)
    again = load_baseline(days, archive, stream="rucio", cache_dir=cache)
    assert first.report.cached_days == [] and first.failures == again.failures == 15
    # only final days are cached: D-4 and D-2, not D-1 (still being written)
    assert again.report.cached_days == [DAY - dt.timedelta(days=4), DAY - dt.timedelta(days=2)]


def test_load_baseline_needs_an_archive_and_a_stream(archive):
    with pytest.raises(ValueError, match=r"^load_baseline needs the archive \(or the report's ErrorTable\)$"):
        load_baseline([DAY])
    # the stream defaults to fts for a list of days: no fts day before D
    assert load_baseline([DAY], archive, use_cache=False) is None
    assert load_baseline([DAY - dt.timedelta(days=9)], archive, use_cache=False).failures == 1
    assert load_baseline([DAY], archive, stream="rucio", use_cache=False).failures == 7


# ------------------------------------------------------------------------------- baseline window
def test_baseline_selection_of_dates_and_of_an_error_table():
    from opint_core import Selection
    from opint_core.load import baseline_selection

    d = lambda k: DAY + dt.timedelta(days=k)      # noqa: E731
    assert baseline_selection([d(0), d(0), d(-1)]) == Selection.range(d(-3), d(-2))      # duplicates count once
    assert baseline_selection([d(0), d(-2)]) == Selection.range(d(-5), d(-3))            # the span, unsorted
    report = LoadReport("file:///x", "fts", "days", days=[d(0), d(-1)])
    assert baseline_selection(ErrorTable(_messages(["x"]), report)) == Selection.range(d(-3), d(-2))
    # an ErrorTable without days (listed paths): the span of its times, UTC dates
    spanning = _messages(["x", "y"], start=T0 - dt.timedelta(hours=1))
    spanning = spanning.set_column(0, "time", pa.array([T0 - dt.timedelta(hours=1), T0 + dt.timedelta(days=1, hours=1)],
                                                       ERROR_SCHEMA.field("time").type))
    no_days = LoadReport("file:///x", "fts", "paths")
    assert baseline_selection(ErrorTable(spanning, no_days)) == Selection.range(d(-4), d(-2))
    one_day = _messages(["x", "y"], start=T0 + dt.timedelta(hours=5))
    assert baseline_selection(ErrorTable(one_day, no_days)) == Selection.range(d(-1), d(-1))
    # no days and no times: no baseline
    untimed = _messages(["x"]).set_column(0, "time", pa.array([None], ERROR_SCHEMA.field("time").type))
    for table in (untimed, ERROR_SCHEMA.empty_table()):
        with pytest.raises(ValueError, match=r"^the report covers no days: a baseline needs the report's days$"):
            baseline_selection(ErrorTable(table, no_days))


def test_load_baseline_takes_an_archive_object_progress_and_cancel(archive, tmp_path):
    import threading

    from opint_core.load import Archive
    from opint_core.errors import LoadCancelled

    seen = []
    base = load_baseline([DAY], Archive(archive), stream="rucio", use_cache=False,
                         progress=lambda stage, done, total: seen.append(stage))
    assert base.failures == 7 and base.report.archive == Archive(archive).uri and seen
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(LoadCancelled):
        load_baseline([DAY], archive, stream="rucio", use_cache=False, cancel=cancel)
    # the day cache is the one given, and only used when asked for
    cache = tmp_path / "cache"
    load_baseline([DAY - dt.timedelta(days=1)], archive, stream="rucio", use_cache=False, cache_dir=cache)
    assert not cache.exists() or not any(p.is_file() for p in cache.rglob("*"))
    load_baseline([DAY - dt.timedelta(days=1)], archive, stream="rucio", cache_dir=cache)
    assert any(p.is_file() for p in cache.rglob("*"))


def test_trend_for_passes_the_archive_cache_progress_and_cancel(archive, tmp_path):
    import threading

    from opint_core.errors import LoadCancelled

    # a list of days with the archive given: the fts stream, D-10 the baseline of D-9
    fts_day = [DAY - dt.timedelta(days=9)]
    now = _messages(["TRANSFER  Operation timed out"] * 2)
    ins = Insight(now, cluster_table(now))
    seen, cache = [], tmp_path / "cache"
    tr = trend_for(fts_day, ins, archive, cache_dir=cache, progress=lambda *a: seen.append(a[0]))
    assert tr.baseline_rows == 1 and tr.baseline_days == [DAY - dt.timedelta(days=10)] and seen
    assert any(p.is_file() for p in cache.rglob("*"))          # cached by default, where asked
    nocache = tmp_path / "nocache"
    assert trend_for(fts_day, ins, archive, use_cache=False, cache_dir=nocache).baseline_rows == 1
    assert not nocache.exists() or not any(p.is_file() for p in nocache.rglob("*"))
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(LoadCancelled):
        trend_for(fts_day, ins, archive, use_cache=False, cancel=cancel)
