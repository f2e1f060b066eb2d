"""The trend in numbers (issue 14): the words of a trend, the factor's text and the onset of a rise."""
import dataclasses

import numpy as np

import opint_core as core
from opint_core.insight.trend import onset_bin


def trend(**kw) -> core.Trend:
    base = dict(count=100, baseline_count=30, expected=10.0, new=False, ratio=10.0, log2_ratio=3.3, score=2.0,
                z=5.0, rising=True, falling=False)
    base.update(kw)
    return core.Trend(**base)


def test_factor_text_stays_short():
    assert [core.factor_text(r) for r in (6.34, 9.96, 63.4, 630.0, 12_345.0, 0.41, 0.04)] == \
        ["×6.3", "×10", "×63", "×630", "×12k", "×0.4", "×0.04"]
    assert all(len(core.factor_text(r)) <= 5 for r in np.geomspace(0.01, 1e6, 200))


def test_trend_words_say_new_the_factor_or_new_msg():
    assert core.trend_words(trend(new=True, ratio=None)) == ("new",)
    assert core.trend_words(trend(ratio=6.3)) == ("×6.3",)
    assert core.trend_words(trend(ratio=0.2, rising=False, falling=True, score=-2.0)) == ("×0.2",)
    assert core.trend_words(trend(ratio=6.3, new_templates=(4,), new_template_rows=40)) == ("×6.3", core.NEW_MESSAGE)
    flat = trend(ratio=1.1, rising=False, score=0.0)
    assert core.trend_words(flat) == ()
    assert core.trend_words(dataclasses.replace(flat, new_templates=(4,), new_template_rows=3)) == (core.NEW_MESSAGE,)
    assert core.trend_words(trend(known=False, ratio=None, rising=False)) == ()


def test_onset_is_the_first_bin_clearly_above_the_baseline_mean():
    mean = 4.0
    timeline = [3, 5, 7, 8, 30, 40, 6, 35]   # 7 and 8 are within the noise of 4; 30 is not
    assert onset_bin(timeline, mean) == 4
    assert onset_bin([0, 0, 2, 9], 0.0) == 2            # without a baseline: the first failure
    assert onset_bin([4, 5, 3, 6], mean) is None        # as usual
    assert onset_bin([], mean) is None


def test_trend_onset_of_the_sample_rising_categories(sample_analysis):
    insight, trends = sample_analysis.insight, sample_analysis.trends
    rising = [g for g, t in enumerate(trends) if t.rising]
    assert rising
    hour_ms = 3_600_000
    for g in rising:
        t = trends[g]
        onset = core.trend_onset(insight, t, g)
        assert onset is not None
        b = insight.bin_edge_datetimes().index(onset)
        mean = t.expected * insight.bin_width / insight.covered_ms
        timeline = insight.timeline(g)
        assert insight.bin_width == hour_ms                 # a day: hourly bins
        assert timeline[b] > 2 * mean and all(x <= max(2 * mean, mean + 3 * max(mean, 1) ** 0.5)
                                              for x in timeline[:b])
    flat = [g for g, t in enumerate(trends) if t.known and not t.rising and not t.new]
    assert flat


def test_the_rise_order_puts_new_first_then_the_highest_factor(sample_analysis):
    trends = sample_analysis.trends
    order = trends.order("rise")
    ranks = [0 if trends[g].new else 1 if trends[g].rising else 2 for g in order]
    assert ranks == sorted(ranks)
    rising = [trends[g].ratio for g in order if trends[g].rising and not trends[g].new]
    assert len(rising) >= 2 and rising == sorted(rising, reverse=True)
