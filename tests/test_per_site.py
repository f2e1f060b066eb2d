"""The per-site figures of the core (issue 14 point 1): each site's attempts, failures and rates in and out,
its categories and incidents, its worst category and timeline; a site's categories counted at the site; the
rows of a category at a site. Expected figures are counted independently from the ErrorTable and its
traffic with pandas, never written down."""
import dataclasses

import numpy as np
import pandas as pd
import pyarrow.compute as pc
import pytest

import opint_core as core
from opint_core.load.schema import UNKNOWN


@pytest.fixture(scope="module")
def frame(sample_analysis):
    """One row per failure: category, source, destination (nulls as UNKNOWN), failures it stands for."""
    table = sample_analysis.errors.table
    weights = table.column("count").to_numpy() if "count" in table.column_names else np.ones(table.num_rows, int)
    return pd.DataFrame({
        "group": np.asarray(sample_analysis.clustering.category_of),
        "src": pc.fill_null(table.column("src_site"), UNKNOWN).to_pylist(),
        "dst": pc.fill_null(table.column("dst_site"), UNKNOWN).to_pylist(),
        "w": weights,
    })


@pytest.fixture(scope="module")
def figures(sample_analysis):
    return {s.site: s for s in core.site_figures(sample_analysis.insight, sample_analysis.incidents)}


def _at(frame: pd.DataFrame, site: str) -> pd.DataFrame:
    """The failures at a site on either side, each once."""
    return frame[(frame.src == site) | (frame.dst == site)]


def test_every_site_of_the_failures_and_the_traffic_has_one_row(sample_analysis, frame, figures):
    traffic = sample_analysis.errors.traffic
    expected = set(frame.src) | set(frame.dst) | set(pc.fill_null(traffic.column("src_site"), UNKNOWN).to_pylist()) \
        | set(pc.fill_null(traffic.column("dst_site"), UNKNOWN).to_pylist())
    assert set(figures) == expected
    listed = core.site_figures(sample_analysis.insight, sample_analysis.incidents)
    assert len(listed) == len(figures)
    assert [s.failures for s in listed] == sorted((s.failures for s in listed), reverse=True)


def test_failures_in_and_out_are_the_error_tables_and_attempts_the_traffics(sample_analysis, frame, figures):
    out = frame.groupby("src").w.sum()
    into = frame.groupby("dst").w.sum()
    rates = sample_analysis.insight.rates
    assert rates is not None
    for site, s in figures.items():
        assert s.failures_out == int(out.get(site, 0)) and s.failures_in == int(into.get(site, 0)), site
        assert (s.attempts_out, s.attempts_in) == (rates.at("src_site", site)[0], rates.at("dst_site", site)[0])
        # the failures counted in the traffic are the ErrorTable's
        assert (s.failures_out, s.failures_in) == (rates.at("src_site", site)[1], rates.at("dst_site", site)[1])
        if s.attempts_out:
            assert s.rate_out == pytest.approx(s.failures_out / s.attempts_out)
        if s.attempts_in:
            assert s.rate_in == pytest.approx(s.failures_in / s.attempts_in)
    assert sum(s.failures_out for s in figures.values()) == int(frame.w.sum())


def test_categories_worst_category_incidents_and_timeline_per_site(sample_analysis, frame, figures):
    for site, s in figures.items():
        here = _at(frame, site)
        per_category = here.groupby("group").w.sum()
        assert s.categories == len(per_category), site
        if len(per_category):
            top = per_category.max()
            assert s.worst == int(per_category[per_category == top].index.min())
            assert s.worst_failures == int(top)
        else:
            assert s.worst is None and s.worst_failures == 0
        assert s.incidents == sum(site in (i.site, i.other_site) for i in sample_analysis.incidents)
        assert len(s.timeline) == sample_analysis.insight.nbins
        assert sum(s.timeline) == int(here.w.sum())   # every failure there is in one bin
    assert sum(s.incidents for s in figures.values()) >= len(sample_analysis.incidents)
    assert any(s.incidents for s in figures.values())


def test_sorting_by_rate_failures_and_incidents(figures):
    listed = list(figures.values())
    by_rate = core.sort_sites(listed, "rate")
    rates = [s.worst_rate for s in by_rate if s.worst_rate is not None]
    assert rates == sorted(rates, reverse=True) and rates[0] == max(rates)
    assert [s.failures for s in core.sort_sites(listed, "failures")] == sorted((s.failures for s in listed),
                                                                              reverse=True)
    assert [s.incidents for s in core.sort_sites(listed, "incidents")] == sorted((s.incidents for s in listed),
                                                                                reverse=True)
    with pytest.raises(ValueError, match="unknown site order"):
        core.sort_sites(listed, "name")


def test_a_sites_categories_are_counted_at_the_site(sample_analysis, frame, figures):
    site = max(figures.values(), key=lambda s: s.categories).site
    listed = core.site_categories(sample_analysis.insight, site)
    here = _at(frame, site)
    as_source = frame[frame.src == site].groupby("group").w.sum()
    as_destination = frame[frame.dst == site].groupby("group").w.sum()
    at_site = here.groupby("group").w.sum()
    assert {c.group for c in listed} == set(at_site.index)
    assert [c.at_site for c in listed] == sorted(at_site, reverse=True)
    for c in listed:
        assert c.as_source == int(as_source.get(c.group, 0)) and c.as_destination == int(as_destination.get(c.group, 0))
        assert c.at_site == int(at_site[c.group])
        assert c.key == sample_analysis.insight.keys[c.group]
        assert c.attempts_out == figures[site].attempts_out
    assert listed[0].group == figures[site].worst


def test_site_rows_are_the_rows_at_the_site(sample_analysis, frame, figures):
    site = next(iter(figures))
    insight = sample_analysis.insight
    either = np.flatnonzero(((frame.src == site) | (frame.dst == site)).to_numpy())
    assert core.site_rows(insight, site).tolist() == either.tolist()
    assert core.site_rows(insight, site, side="source").tolist() == np.flatnonzero((frame.src == site).to_numpy()).tolist()
    g = figures[site].worst
    rows = core.site_rows(insight, site, group=g)
    assert rows.tolist() == np.intersect1d(either, np.flatnonzero(frame.group.to_numpy() == g)).tolist()
    restricted = insight.restricted(rows)
    assert int(restricted.counts[g]) == figures[site].worst_failures
    with pytest.raises(ValueError):
        core.site_rows(insight, site, side="link")


def test_a_failure_from_a_site_to_itself_counts_once_at_the_site_and_on_each_side(sample_analysis):
    table = sample_analysis.errors.table
    src = table.column("src_site")
    looped = table.set_column(table.column_names.index("dst_site"), "dst_site", src)   # every row site -> itself
    errors = dataclasses.replace(sample_analysis.errors, table=looped)   # the same traffic
    insight = core.Insight(errors, sample_analysis.clustering)
    figures = core.site_figures(insight)
    frame = pd.DataFrame({"src": pc.fill_null(src, UNKNOWN).to_pylist()})
    per_site = frame.groupby("src").size()
    for s in figures:
        assert s.failures_out == s.failures_in == int(per_site.get(s.site, 0))
        assert sum(s.timeline) == int(per_site.get(s.site, 0))   # once, not twice
        assert s.incidents == 0


def test_without_traffic_there_are_no_attempts_nor_rates(sample_analysis):
    insight = core.Insight(sample_analysis.errors.table, sample_analysis.clustering)   # a bare table: no traffic
    assert insight.rates is None
    figures = core.site_figures(insight)
    assert figures and all(s.attempts_out is None and s.rate_in is None and s.worst_rate is None for s in figures)
    assert sum(s.failures_in for s in figures) == insight.total
    assert core.sort_sites(figures, "rate")[0].failures == max(s.failures for s in figures)   # ties by failures
