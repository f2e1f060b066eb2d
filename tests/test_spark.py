"""The Spark path in Spark local mode (issue 7): one spark-submit of the job covers the equivalence
with the local path (both streams, a day with its baseline and a two-day range) and the masking
of a fuzz corpus; one more runs `opint report --spark` end to end.

Skipped only where pyspark or Java is missing and CI is not set; in CI they fail instead."""
from __future__ import annotations

import json
import os
import sys
from collections import Counter

import pytest
from pyarrow.fs import LocalFileSystem

import opint_core as core
from opint_core.clustering import cluster, cluster_table
from opint_core.clustering.masking import mask
from opint_core.load.archive import Archive, DaySource, SourceFile
from opint_core.load.reader import read_part_file
from opint_core.pipeline import analyse_loaded, shaped
from opint_core.spark import Part, errors_of, plan, run_parts, spark_available, tables_of

sys.path.insert(0, os.path.dirname(__file__))
from spark_helpers import (  # noqa: E402
    SPARK_END, TEST_CONF, assert_same_analysis, assert_same_report, assert_same_reports, fuzz_messages,
    write_damaged_fts, write_fts_failures,
)

pytestmark = pytest.mark.spark


def require_spark() -> None:
    if spark_available():
        return
    why = ("the Spark tests need pyspark 3.5 and Java 17 (./run-tests installs pyspark: pip install "
           "'.[test,spark]')")
    if os.environ.get("CI"):
        pytest.fail("CI must run the Spark tests, but " + why)
    pytest.skip(why)


@pytest.fixture(scope="session")
def spark_archive(tmp_path_factory):
    require_spark()
    root = tmp_path_factory.mktemp("spark") / "archive"
    core.write_sample_archive(root, days=2, seed=7, scale=0.1, end=SPARK_END)
    return str(root)


@pytest.fixture(scope="session")
def fuzz_file(spark_archive, tmp_path_factory):
    seeds = []
    for stream in core.STREAMS:
        et = core.load_errors(spark_archive, core.Selection.latest(), stream=stream, use_cache=False)
        seeds += sorted({m for m in et.messages.to_pylist() if m})
    messages = fuzz_messages(seeds, n=3000)
    path = tmp_path_factory.mktemp("fuzz") / "part-00000-fuzz-c000.json.gz"
    write_fts_failures(path, messages, start_ms=1_795_000_000_000)
    return str(path), messages


@pytest.fixture(scope="session")
def damaged_file(spark_archive, tmp_path_factory):
    path = tmp_path_factory.mktemp("damaged") / "part-00000-damaged-c000.json.gz"
    write_damaged_fts(path)
    return str(path)


@pytest.fixture(scope="session")
def spark_job(spark_archive, fuzz_file, damaged_file):
    """One job, parts: fts latest day + baseline, rucio latest day + baseline, fts 2-day range,
    fuzz, damaged."""
    archive = Archive(spark_archive)
    parts = (plan(archive, core.Selection.latest(), stream="fts", with_baseline=True)
             + plan(archive, core.Selection.latest(), stream="rucio", with_baseline=True)
             + plan(archive, core.Selection.last_days(2), stream="fts", with_baseline=False))
    path, messages = fuzz_file
    fuzz = DaySource(day=None, files=[SourceFile(path, os.path.getsize(path), None)])
    parts.append(Part("fuzz", "fts", [fuzz], "fuzz", samples=len(messages)))
    damaged = DaySource(day=None, files=[SourceFile(damaged_file, os.path.getsize(damaged_file), None)])
    parts.append(Part("damaged", "fts", [damaged], "damaged"))
    seen = []
    run = run_parts(archive, parts, master="local[2]", conf=TEST_CONF,
                    progress=lambda stage, done, total: seen.append((stage, done, total)))
    return run, seen


@pytest.mark.parametrize("stream,index", [("fts", 0), ("rucio", 2)])
def test_same_as_local_path_with_trends(spark_archive, spark_job, stream, index):
    run, _ = spark_job
    local = core.analyse(spark_archive, core.Selection.latest(), stream=stream, use_cache=False)
    spark = analyse_loaded(shaped(tables_of(run, index, index + 1), core.Request()))   # as run() does
    assert spark.trends is not None and spark.trends.known and spark.trends.baseline_days
    assert spark.errors.weights is not None and len(spark.errors) < spark.errors.failures   # compact
    summary = assert_same_analysis(local, spark)
    assert_same_report(local, spark)
    assert summary["templates"] > 50 and summary["failures"] > 300
    print(f"\n{stream}: {summary} equal in the Spark path")


def test_same_as_local_path_range_without_baseline(spark_archive, spark_job):
    run, _ = spark_job
    local = core.analyse(spark_archive, core.Selection.last_days(2), stream="fts", use_cache=False)
    spark = analyse_loaded(shaped(tables_of(run, 4, None), core.Request()))   # as run() does
    assert len(spark.errors.report.days) == 2
    assert_same_analysis(local, spark)


def test_report_counts_equal(spark_archive, spark_job):
    run, _ = spark_job
    local = core.analyse(spark_archive, core.Selection.latest(), stream="fts", use_cache=False)
    spark = analyse_loaded(shaped(tables_of(run, 0, 1), core.Request()))
    lr, sr = core.build_report(local), core.build_report(spark)
    assert sr.failures == lr.failures == len(local.errors) and sr.categories_total == lr.categories_total
    assert [(c.key, c.count, c.share, c.first_seen, c.last_seen, c.trend) for c in sr.categories] == \
        [(c.key, c.count, c.share, c.first_seen, c.last_seen, c.trend) for c in lr.categories]
    report = assert_same_report(local, spark)      # the JSON report, top sites up to ties
    assert report["failures"] == sum(c["count"] for c in report["categories"])


def test_compact_and_expanded_analyses_are_identical(spark_job):
    """The compact table and its expansion to one row per failure: the same rows in the same order,
    so every figure is equal, ties and samples included."""
    run, _ = spark_job
    compact, full = analyse_loaded(tables_of(run, 0, 1)), analyse_loaded(tables_of(run, 0, 1, expand=True))
    assert len(full.errors) == full.errors.failures == compact.errors.failures > len(compact.errors)
    ci, fi = compact.insight, full.insight
    assert ci.summaries() == fi.summaries()
    assert ci.report_fields(compact.trends) == fi.report_fields(full.trends)
    for g in range(len(ci)):
        assert ci.detail(g) == fi.detail(g), g
    reports = [core.build_report(a) for a in (compact, full)]
    for r in reports:
        r.generated = "now"
    assert core.render_report(reports[0], "json") == core.render_report(reports[1], "json")


def test_sampled_messages_are_exact(spark_archive, spark_job):
    """Per template the job keeps the most frequent raw messages, with their exact counts."""
    run, _ = spark_job
    local = core.load_errors(spark_archive, core.Selection.latest(), stream="fts", use_cache=False)
    per_masked: dict[str, Counter] = {}
    for m in local.messages.to_pylist():
        per_masked.setdefault(mask(m), Counter())[m or ""] += 1
    result = run.results[0]
    assert set(result.messages) == set(per_masked)
    for masked, top in result.messages.items():
        want = sorted(per_masked[masked].items(), key=lambda p: (-p[1], p[0]))[:len(top)]
        assert top == want
        assert len(top) == min(run.parts[0].samples, len(per_masked[masked]))


def test_job_masks_like_python_re(spark_job, fuzz_file):
    """Java regex for ASCII text, Python's re for the rest: every template is mask(message)."""
    run, _ = spark_job
    _, messages = fuzz_file
    result = run.results[5]
    pairs = [(m, t) for t, msgs in result.messages.items() for m, _ in msgs]
    assert sorted(m for m, _ in pairs) == sorted(messages)
    wrong = [(m, t, mask(m)) for m, t in pairs if t != mask(m)]
    assert not wrong, wrong[:5]
    assert any(not m.isascii() for m, _ in pairs)       # the Python path was exercised
    assert run.done["masked_in_python"] > 0


def test_progress_and_file_reports(spark_job, spark_archive):
    run, seen = spark_job
    stages = [s for s, _, _ in seen]
    assert stages[0] == "list" and "spark" in stages and "spark-result" in stages
    assert any(s == "spark-scan" and total > 0 for s, _, total in seen)
    errors = errors_of(run, 0)
    local = core.load_errors(spark_archive, core.Selection.latest(), stream="fts", use_cache=False)
    by_path = {f.path: (f.records, f.failures) for f in local.report.files}
    assert {f.path: (f.records, f.failures) for f in errors.report.files} == by_path


def test_compact_rows_stand_for_the_failures(spark_job):
    run, _ = spark_job
    compact = errors_of(run, 0)                      # the default: compact
    clustering = cluster_table(compact)
    expanded = errors_of(run, 0, expand=True)
    n = compact.table.column("count").to_numpy()
    assert int(n.sum()) == compact.failures == len(expanded) and len(compact) < len(expanded)
    assert int(clustering.template_counts.sum()) == len(expanded) and len(clustering) == len(compact)
    assert "count" not in expanded.table.column_names and expanded.failures == len(expanded)


def test_cli_report_with_spark(spark_archive, tmp_path, monkeypatch):
    """`opint report --spark` end to end (a second spark-submit): same JSON as the local report,
    sample messages aside."""
    from opint_tui.cli import main

    conf_dir = tmp_path / "spark-conf"
    conf_dir.mkdir()
    (conf_dir / "spark-defaults.conf").write_text("".join(f"{k} {v}\n" for k, v in TEST_CONF.items()))
    monkeypatch.setenv("SPARK_CONF_DIR", str(conf_dir))
    out_local, out_spark = tmp_path / "local.json", tmp_path / "spark.json"
    args = ["report", "--archive", spark_archive, "--source", "rucio", "--format", "json", "--store",
            str(tmp_path / "store")]
    assert main(args + ["-o", str(out_local)]) == 0
    assert main(args + ["--spark", "--spark-master", "local[2]", "-o", str(out_spark)]) == 0
    a, b = json.loads(out_local.read_text()), json.loads(out_spark.read_text())
    assert b["failures"] == a["failures"] == sum(c["count"] for c in a["categories"])
    assert_same_reports(a, b)


def test_damaged_file_reads_like_the_local_reader(spark_job, damaged_file):
    """Wrong types, non-objects, malformed lines, no data, no message, non-UTF-8 bytes."""
    run, _ = spark_job
    table, local = read_part_file(LocalFileSystem(), damaged_file, "fts")
    errors = errors_of(run, 6)
    clustering = cluster_table(errors)
    (got,) = errors.report.files
    assert (got.path, got.records, got.failures) == (local.path, local.records, local.failures) == (
        damaged_file, 14, 10)
    assert sum(got.skipped.values()) == sum(local.skipped.values())
    for why in ("non-UTF-8 bytes replaced by U+FFFD", "failure without an error message"):
        assert got.repaired[why] == local.repaired[why] == 1
    ref = cluster(table.column("message"))
    assert clustering.templates == ref.templates
    assert clustering.template_counts.tolist() == ref.template_counts.tolist()
    assert any("\ufffd" in t for t in clustering.templates)
    for col in ("time", "error_code", "error_category", "src_host", "src_rse", "dst_rse", "src_site", "dst_site",
                "vo", "activity", "scope", "phase", "event_type"):
        got_values = Counter()
        for value, n in zip(errors.table.column(col).to_pylist(), errors.weights.tolist()):
            got_values[value] += n      # a compact row stands for `count` failures
        assert got_values == Counter(table.column(col).to_pylist()), col


@pytest.mark.parametrize("stream,index,selection", [("fts", 0, core.Selection.latest()),
                                                    ("rucio", 2, core.Selection.latest()),
                                                    ("fts", 4, core.Selection.last_days(2))])
def test_traffic_same_as_local(spark_archive, spark_job, stream, index, selection):
    """Issue 12: the traffic table (every attempt per hour and key) comes out of the job exactly as
    the local loader counts it."""
    run, _ = spark_job
    local = core.load_errors(spark_archive, selection, stream=stream, use_cache=False)
    spark = errors_of(run, index)
    assert local.traffic.num_rows > 50
    assert spark.traffic.equals(local.traffic)
    assert spark.traffic.column("failures").to_numpy().sum() == spark.failures == local.failures
