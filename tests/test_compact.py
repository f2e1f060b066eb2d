"""The compact table of the Spark path, without Spark: rows that stand for ``count`` failures.

The job's result is computed here from a local load of the sample archive (``job_result``), rebuilt
into the compact table that the Spark path hands downstream, and analysed like any ErrorTable.
Every figure -- counts, shares, timelines, first/last seen, top values of every column, the
drill-down, sample messages, trends against a compact baseline, reports, the app's screens and the
load summary -- equals the local analysis of the same failures (up to the order of ties), and
exactly that of the compact table expanded to one row per failure."""
from __future__ import annotations

import dataclasses
import io
import os
import sys
from collections import Counter

import pytest
from rich.console import Console

import opint_core as core
from opint_core.insight import trend
from opint_core.load.baseline import load_baseline
from opint_core.load.table import ErrorTable
from opint_core.spark.result import expand_table, expansion
from opint_tui.cli import print_load_summary
from opint_tui.view import TriageState, build_rows, detail_renderables, header_text

sys.path.insert(0, os.path.dirname(__file__))
from spark_helpers import assert_same_analysis, assert_same_report, compact_errors  # noqa: E402

ALL = 10**6   # samples: every raw message of every template kept


@pytest.fixture(scope="module")
def local(sample_analysis):
    return sample_analysis, load_baseline(sample_analysis.errors, use_cache=False)


def analysed(errors: ErrorTable, baseline: ErrorTable) -> core.Analysis:
    """analyse_errors with trends against the given baseline table."""
    analysis = core.analyse_errors(errors, with_trends=False)
    analysis.trends = trend(analysis.insight, baseline)
    analysis.timings = {}
    return analysis


def expanded(errors: ErrorTable) -> ErrorTable:
    """One row per failure: the compact table expanded (as ``errors_of(expand=True)`` does)."""
    return ErrorTable(expand_table(errors.table, expansion(errors.weights)), errors.report, errors.traffic)


def test_compact_rows_stand_for_every_failure(local):
    analysis, base = local
    for errors in (analysis.errors, base):
        compact = compact_errors(errors)
        assert compact.failures == errors.failures == len(errors) and compact.weights.sum() == len(errors)
        assert len(compact) < len(errors)    # few failures per template here: on real days, far fewer
        assert len(expanded(compact)) == len(errors) and expanded(compact).weights is None


def test_same_figures_as_the_local_analysis(local):
    analysis, base = local
    compact = analysed(compact_errors(analysis.errors, ALL), compact_errors(base, ALL))
    summary = assert_same_analysis(analysis, compact)     # clustering, insight, drill-down, trends
    assert summary["failures"] > 1000 and summary["categories"] > 20
    assert compact.trends.known and compact.trends.baseline_rows == base.failures
    report = assert_same_report(analysis, compact, samples=True)
    assert report["failures"] == len(analysis.errors) == sum(c["count"] for c in report["categories"])
    li, ci = analysis.insight, compact.insight
    for g in range(len(li)):
        lm, ln = li.messages(g, ALL)
        cm, cn = ci.messages(g, ALL)
        assert ln == cn and Counter(lm) == Counter(cm), g
        ls, cs = li.slots(g, top=ALL, budget=None), ci.slots(g, top=ALL, budget=None)
        assert [(s.pattern, s.count, s.aligned) for s in ls] == [(s.pattern, s.count, s.aligned) for s in cs]
        assert [[{v.value: v.count for v in x.values} for x in s.slots] for s in ls] == \
            [[{v.value: v.count for v in x.values} for x in s.slots] for s in cs]
    reports = [core.build_report(a) for a in (analysis, compact)]
    reports[1] = dataclasses.replace(reports[1], generated=reports[0].generated)   # same second
    lines = [core.render_report(r, "md").splitlines()[2] for r in reports]
    assert lines[0] == lines[1] and lines[0].startswith(f"{len(analysis.errors):,} failures in")


def test_with_sampled_messages_only_the_samples_differ(local):
    analysis, base = local
    compact = analysed(compact_errors(analysis.errors), compact_errors(base))
    assert_same_analysis(analysis, compact)
    assert_same_report(analysis, compact)
    li, ci = analysis.insight, compact.insight
    for g in range(len(ci)):
        msgs, _ = ci.messages(g, ALL)
        assert sum(m.count for m in msgs) == ci.counts[g]    # the rest of a template under its pattern
    for t in range(len(compact.clustering.templates)):
        ids, weights = li.template_distinct(t)
        if len(ids) <= 20:
            cids, cweights = ci.template_distinct(t)
            assert Counter(zip(li._texts(ids).to_pylist(), weights.tolist())) == \
                Counter(zip(ci._texts(cids).to_pylist(), cweights.tolist())), t


def _text(renderables, width=120) -> str:
    console = Console(width=width, record=True, file=io.StringIO(), color_system=None)
    for r in renderables:
        console.print(r)
    return console.export_text()


def test_exactly_the_same_as_one_row_per_failure(local):
    """Compact and expanded have the same rows in the same order: not even ties differ."""
    analysis, base = local
    compact_errors_ = compact_errors(analysis.errors)
    compact = analysed(compact_errors_, compact_errors(base))
    full = analysed(expanded(compact_errors_), expanded(compact_errors(base)))
    ci, fi = compact.insight, full.insight
    assert (ci.nrows, fi.nrows, ci.total) == (len(compact.errors), fi.total, fi.total)
    assert ci.summaries() == fi.summaries()
    assert ci.report_fields(compact.trends) == fi.report_fields(full.trends)
    for g in range(len(ci)):
        assert ci.detail(g, slot_budget=None) == fi.detail(g, slot_budget=None), g
    assert (compact.trends.baseline_rows, compact.trends.unmatched_rows, compact.trends.gone) == \
        (full.trends.baseline_rows, full.trends.unmatched_rows, full.trends.gone)
    for fmt in core.REPORT_FORMATS:
        reports = [core.build_report(a, sort="rising") for a in (compact, full)]
        for r in reports:
            r.generated = "now"
        assert core.render_report(reports[0], fmt) == core.render_report(reports[1], fmt), fmt
    # what the app shows: the overview rows, its header, every drill-down
    triage = TriageState({})
    assert build_rows(compact, ci, triage, compact.trends) == build_rows(full, fi, triage, full.trends)
    heads = [header_text(a, "category", 10, len(a.clustering.categories), "", "count").plain for a in (compact, full)]
    assert heads[0] == heads[1] and f"{len(analysis.errors):,} failures" in heads[0]
    for g in range(len(ci)):
        texts = [_text(r for _, r in detail_renderables(a, a.insight, g, triage)) for a in (compact, full)]
        assert texts[0] == texts[1], g


def test_load_summary_counts_failures(local):
    analysis, _ = local
    outputs = []
    for et in (analysis.errors, compact_errors(analysis.errors)):
        console = Console(width=120, record=True, file=io.StringIO(), color_system=None)
        print_load_summary(console, et)
        outputs.append(console.export_text())
    assert outputs[0] == outputs[1]
    assert f"failures {len(analysis.errors):,}" in outputs[0]
