"""Reading hostile and unlucky archives (issue 18): every case of ``hostile.archives`` loads with the
figures it must report, and a report of it renders; then, per class, what was broken before: JSON
nested too deep, times outside the years 1-9999 (the loader, insight, the report and the app), the
``--last`` range, a file that cannot be read (never cached), URI schemes in a path list, duplicate
transfers (the local loader, the cache, ``opint load``, the Spark job), and a Hypothesis fuzz of
the record mapping on real part files."""
from __future__ import annotations

import datetime as dt
import gzip
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyarrow.fs import LocalFileSystem

import opint_core as core
from archive_factory import day_dir, fts_record, lines, write_part
from hostile.archives import (
    CASES, DAY, ESCAPES, INT64_MAX, INT64_MIN, NESTED_TOO_DEEP, NOON_MS, TIME_MAX_MS, TIME_MIN_MS, TIME_OUT_OF_RANGE,
    archive_line, build_case, fts, tr_id,
)
from opint_core.clustering import cluster_table
from opint_core.errors import OpintError
from opint_core.insight import Insight
from opint_core.load import Loaded
from opint_core.load.archive import Archive
from opint_core.load.reader import BLOCK_SIZE, read_part_file
from opint_core.load.schema import ERROR_SCHEMA
from opint_core.load.selection import Selection, SelectionError
from opint_core.pipeline import analyse_loaded
from opint_tui.cli import main

UTC = dt.timezone.utc
MAX_LAST_DAYS = 3660   # --last: ten years of days


def load(case, **kw) -> core.ErrorTable:
    kw.setdefault("use_cache", False)
    return core.load_errors(case.uri, case.selection, stream=case.stream, **kw)


def repaired_by_reason(report) -> Counter:
    total = Counter()
    for f in report.files:
        total.update(f.repaired)
    return total


def times_by_message(et) -> dict[str, dt.datetime | None]:
    return {r["message"]: r["time"] for r in et.table.select(["message", "time"]).to_pylist()}


# --------------------------------------------------------------------------------------------------
# the corpus

@pytest.mark.parametrize("name", sorted(CASES))
def test_every_case_loads_with_its_figures_and_reports(name, tmp_path):
    case = build_case(name, tmp_path / "archive")
    et = load(case)
    r = et.report
    assert (et.failures, r.failures) == (case.failures, case.failures)
    assert r.skipped_by_reason() == case.skipped
    assert repaired_by_reason(r) == case.repaired
    assert sum(f.problem is not None for f in r.files) == case.problems
    assert r.duplicates == case.duplicates
    analysis = analyse_loaded(Loaded(et))
    report = core.build_report(analysis)
    for fmt in ("md", "json", "csv"):
        assert core.render_report(report, fmt)
    assert report.failures == case.failures


def test_escape_sequences_stay_data_in_the_table(tmp_path):
    """The loader keeps what the archive holds; making it visible is the terminal's gate."""
    case = build_case("terminal-escapes", tmp_path / "archive")
    row = load(case).table.to_pylist()[0]
    assert ESCAPES in row["message"] and ESCAPES in row["error_category"] and ESCAPES in row["src_site"]
    assert [ESCAPES in f.path for f in load(case).report.files] == [True]


# --------------------------------------------------------------------------------------------------
# 1. nesting too deep

def test_nesting_too_deep_is_a_skipped_line_and_the_rest_loads(tmp_path):
    case = build_case("deep-json", tmp_path / "archive")
    et = load(case)
    [f] = et.report.files
    assert f.skipped == Counter({NESTED_TOO_DEEP: 1, "malformed JSON line": 1})
    assert (f.records, f.failures) == (5, 2) and f.problem is None
    assert sorted(et.messages.to_pylist()) == ["a", "b"]
    assert f"1 skipped: {NESTED_TOO_DEEP}" in f.describe()


def test_a_deep_value_read_as_text_is_a_skipped_line_too(tmp_path):
    """A value of the wrong type is kept as its JSON text: nested deep enough, writing that text
    recurses past the limit too (json.dumps), where reading it did not."""
    folder = day_dir(tmp_path / "a", "fts", DAY)
    depth = sys.getrecursionlimit() - 60      # json.loads manages; json.dumps, further down, does not
    deep = (b'{"data": {"t_final_transfer_state_flag": 0, "t__error_message": ' + b"[" * depth + b"]" * depth
            + b"}}\n")
    path = write_part(folder, lines([fts("fine", tr_id(1))]) + deep + b"{bad\n")
    table, report = read_part_file(LocalFileSystem(), str(path), "fts")
    assert table.column("message").to_pylist()[0] == "fine"
    assert report.records == 3 and report.skipped["malformed JSON line"] == 1
    assert report.failures + report.skipped[NESTED_TOO_DEEP] == 2      # kept as text, or skipped: never raises


# --------------------------------------------------------------------------------------------------
# 2. times outside the years 1-9999

def test_wild_fts_times_are_nulled_or_replaced_and_counted(tmp_path):
    case = build_case("wild-times-fts", tmp_path / "archive")
    et = load(case)
    noon = dt.datetime(2025, 11, 24, 12, tzinfo=UTC)
    assert times_by_message(et) == {
        "int64 max": None, "int64 min": None, "year 10000": noon, "before year 1": noon, "no own time": None,
        "last ms of 9999": dt.datetime(9999, 12, 31, 23, 59, 59, 999000, tzinfo=UTC),
        "first ms of year 1": dt.datetime(1, 1, 1, tzinfo=UTC), "wild MONIT time unused": noon, "plain": noon}
    [f] = et.report.files
    assert f.repaired == Counter({TIME_OUT_OF_RANGE: 5}) and f"5 repaired: {TIME_OUT_OF_RANGE}" in f.describe()


def test_wild_rucio_times_are_nulled_or_replaced_and_counted(tmp_path):
    case = build_case("wild-times-rucio", tmp_path / "archive")
    et = load(case)
    noon = dt.datetime(2025, 11, 24, 12, tzinfo=UTC)
    times = times_by_message(et)
    assert times["year 0"] == noon and times["no created_at"] is None and times["unreadable created_at"] == noon
    assert times["wild MONIT time unused"] == noon
    assert times["last second of 9999"] == dt.datetime(9999, 12, 31, 23, 59, 59, 999000, tzinfo=UTC)
    assert repaired_by_reason(et.report) == Counter({TIME_OUT_OF_RANGE: 2})


def test_cached_day_reports_the_same_repairs(tmp_path):
    case = build_case("wild-times-fts", tmp_path / "archive")
    first = load(case, use_cache=True, cache_dir=tmp_path / "cache")
    second = load(case, use_cache=True, cache_dir=tmp_path / "cache")
    assert second.report.cached_days == [DAY] and second.table.equals(first.table)
    assert repaired_by_reason(second.report) == Counter({TIME_OUT_OF_RANGE: 5})


@pytest.mark.parametrize("fmt", ["md", "json", "csv"])
def test_report_of_wild_times_renders(tmp_path, fmt, capsys):
    case = build_case("wild-times-fts", tmp_path / "archive")
    out = tmp_path / f"report.{fmt}"
    assert main(["report", "--archive", case.uri, "--no-cache", "--date", str(DAY), "--format", fmt,
                 "-o", str(out), "--store", str(tmp_path / "store")]) == 0
    assert out.stat().st_size > 0


def insight_of(times: list) -> Insight:
    """Insight of a table made without the loader (times as given: ms or None), one category."""
    n = len(times)
    cols = {f.name: pa.nulls(n, f.type) for f in ERROR_SCHEMA}
    cols["time"] = pa.array(times, pa.int64()).cast(pa.timestamp("ms", tz="UTC"))
    cols["message"] = pa.array(["TRANSFER timed out"] * n)
    table = pa.table(cols, schema=ERROR_SCHEMA)
    return Insight(table, cluster_table(table))


@pytest.mark.parametrize("times", [
    [INT64_MAX, NOON_MS], [INT64_MIN + 1, NOON_MS], [TIME_MAX_MS + 1, TIME_MIN_MS - 1, NOON_MS],
    [TIME_MAX_MS, TIME_MIN_MS], [TIME_MAX_MS], [INT64_MAX, None],
], ids=["int64-max", "int64-min", "just-outside", "the-limits", "last-ms", "nothing-usable"])
def test_insight_never_raises_on_odd_times(times):
    ins = insight_of(times)
    outside = sum(t is not None and not TIME_MIN_MS <= t <= TIME_MAX_MS for t in times)
    assert ins.missing_time == outside + times.count(None)
    fields = ins.report_fields()
    ins.timeline_meta()
    detail = ins.detail(0)
    assert all(e is not None for e in detail.bin_edges) and int(ins.timelines.sum()) == len(times) - ins.missing_time
    usable = [t for t in times if t is not None and TIME_MIN_MS <= t <= TIME_MAX_MS]
    assert (fields[0]["first_seen"] is None) == (not usable)
    core.trend(ins, ins)


async def test_app_shows_the_detail_of_wild_times(tmp_path):
    from opint_tui.app import OpintApp
    from opint_tui.screens.detail import DetailScreen
    from waits import wait_for_screen, wait_until

    case = build_case("wild-times-fts", tmp_path / "archive")
    app = OpintApp(core.Request(case.uri, case.selection, use_cache=False),
                   store=core.TriageStore(tmp_path / "store", user="shifter"))
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.analysis is not None and app.overview.shown, "the overview")
        await pilot.press("enter")
        detail = await wait_for_screen(pilot, DetailScreen, "enter to open the detail")
        await wait_until(pilot, lambda: detail.is_mounted and app.screen is detail, "the detail shown")
        assert app.analysis.errors.failures == 9


# --------------------------------------------------------------------------------------------------
# 3. --last

@pytest.mark.parametrize("value,message", [
    (1_000_000, f"--last needs at most {MAX_LAST_DAYS} days, got 1000000"),
    (10**30, f"--last needs at most {MAX_LAST_DAYS} days, got {10**30}"),
    (0, "--last needs at least 1 day, got 0"),
    (-3, "--last needs at least 1 day, got -3"),
    ("0", "--last needs at least 1 day, got 0"),
    (float("inf"), "--last needs a number of days, got inf"),
])
def test_last_out_of_range_is_a_selection_error(value, message):
    with pytest.raises(SelectionError) as e:
        Selection.from_options(last=value)
    assert isinstance(e.value, OpintError) and str(e.value) == message
    assert f"from 1 to {MAX_LAST_DAYS}" in e.value.remedy


def test_last_within_range_and_blank_options():
    assert Selection.from_options(last=MAX_LAST_DAYS).last_n == MAX_LAST_DAYS
    assert Selection.from_options(last="", date=None) == Selection.latest()
    with pytest.raises(SelectionError, match="choose one selection, not --date and --last"):
        Selection.from_options(date="2025-11-24", last=0)


@pytest.mark.parametrize("value,message", [("1000000", f"--last needs at most {MAX_LAST_DAYS} days, got 1000000"),
                                           ("0", "--last needs at least 1 day, got 0"),
                                           ("-1", "--last needs at least 1 day, got -1")])
def test_cli_last_out_of_range(tmp_path, capsys, value, message):
    case = build_case("bad-json", tmp_path / "archive")
    capsys.readouterr()
    assert main(["load", "--archive", case.uri, "--no-cache", f"--last={value}"]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert f"opint: error: {message}" in err and f"from 1 to {MAX_LAST_DAYS}" in err and "Traceback" not in err


# --------------------------------------------------------------------------------------------------
# 4. a file that cannot be read

def _take_away_during_the_load(victim: Path, hideout: Path):
    """A progress callback that moves ``victim`` away once the files are listed (as an I/O error
    or a vanished file would), so that reading it fails."""
    def progress(stage, done, total):
        if stage == "list" and victim.exists():
            victim.rename(hideout)
    return progress


def test_a_file_gone_while_loading_keeps_its_day_out_of_the_cache(tmp_path):
    case = build_case("unreadable", tmp_path / "archive")
    cache, hideout = tmp_path / "cache", tmp_path / "hideout.gz"
    first = load(case, use_cache=True, cache_dir=cache, progress=_take_away_during_the_load(case.victim, hideout))
    assert first.failures == 3
    [bad] = first.report.problems()
    assert bad.problem.startswith("cannot read the file")
    hideout.rename(case.victim)                                     # back, same size and time
    second = load(case, use_cache=True, cache_dir=cache)
    assert second.report.cached_days == [] and second.failures == 5 and not second.report.problems()
    assert bad.unreadable
    third = load(case, use_cache=True, cache_dir=cache)
    assert third.report.cached_days == [DAY] and third.failures == 5


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root reads a file whatever its mode")
def test_a_file_without_read_permission_keeps_its_day_out_of_the_cache(tmp_path, capsys):
    case = build_case("unreadable", tmp_path / "archive")
    cache = tmp_path / "cache"
    os.chmod(case.victim, 0)
    try:
        first = load(case, use_cache=True, cache_dir=cache)
    finally:
        os.chmod(case.victim, 0o644)
    assert first.failures == 3 and [f.unreadable for f in first.report.problems()] == [True]
    second = load(case, use_cache=True, cache_dir=cache)
    assert second.report.cached_days == [] and second.failures == 5 and not second.report.problems()


# --------------------------------------------------------------------------------------------------
# 5. URI schemes in a path list

def test_unknown_uri_scheme_in_a_path_list_is_an_error(tmp_path, capsys):
    case = build_case("bad-json", tmp_path / "archive")
    listed = day_dir(case.root, "fts", DAY) / "part-00000-0000-c000.json.gz"
    paths = tmp_path / "paths.txt"
    paths.write_text(f"gopher://example.org{listed}\n")
    with pytest.raises(OpintError) as e:
        Archive(case.uri).resolve("fts", Selection.from_paths_file(paths))
    assert f"gopher://example.org{listed}" in str(e.value) and "file://, hdfs://, viewfs://" in str(e.value)
    capsys.readouterr()
    assert main(["load", "--archive", case.uri, "--no-cache", "--paths-file", str(paths)]) == 2
    err = "".join(capsys.readouterr().err.split())        # the console wraps long lines anywhere
    said = f"opint: error: the listed path 'gopher://example.org{listed}' has a URI scheme opint does not read"
    assert "".join(said.split()) in err and "whattodo:fixorremovethatlineofthepathlist" in err


def test_known_uri_schemes_in_a_path_list_still_read(tmp_path):
    case = build_case("bad-json", tmp_path / "my archive")
    listed = day_dir(case.root, "fts", DAY) / "part-00000-0000-c000.json.gz"
    sources = Archive(case.uri).resolve("fts", Selection(paths=(listed.as_uri(), str(listed))))
    assert [f.path for s in sources for f in s.files] == [str(listed)]    # percent-decoded, read once


# --------------------------------------------------------------------------------------------------
# 6. duplicates

def test_duplicates_are_counted_once_across_files_and_days(tmp_path):
    case = build_case("duplicates-fts", tmp_path / "archive")
    et = load(case)
    assert (et.failures, et.report.failures) == (10, 10)
    assert sum(f.failures for f in et.report.files) == 18 and et.report.duplicates == 8
    messages = Counter(et.messages.to_pylist())
    assert messages == Counter({**{f"transfer {k}": 1 for k in range(1, 5)}, "transfer 1 retried": 1,
                                "no transfer id": 4, "next day": 1})


def test_duplicates_with_a_cached_day(tmp_path):
    """The day cache holds what the files hold: the duplicates are dropped on every load."""
    case = build_case("duplicates-fts", tmp_path / "archive")
    cache = tmp_path / "cache"
    first = load(case, use_cache=True, cache_dir=cache)
    second = load(case, use_cache=True, cache_dir=cache)
    assert second.report.cached_days == [DAY]                          # the next day is a .tmp: read again
    assert second.failures == first.failures == 10
    assert second.report.duplicates == first.report.duplicates == 8


def test_rucio_duplicates_are_the_same_request_and_event(tmp_path):
    case = build_case("duplicates-rucio", tmp_path / "archive")
    et = load(case)
    assert Counter(et.messages.to_pylist())["TRANSFER [70] failed"] == 1
    assert (et.failures, et.report.duplicates) == (5, 1)


def test_opint_load_says_how_many_duplicates_were_dropped(tmp_path, capsys):
    case = build_case("duplicates-fts", tmp_path / "archive")
    capsys.readouterr()
    assert main(["load", "--archive", case.uri, "--no-cache", "--from", str(DAY), "--to",
                 str(DAY + dt.timedelta(days=1))]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "records 20 · failures 10 · skipped 0 · repaired 0 · duplicates 8 ·" in out


def test_sample_archive_transfers_are_unique_and_a_rewritten_file_is_caught(tmp_path):
    """How the identity was checked: on the sample archive (FTS tr_id built as FTS builds it,
    random job ids, retries, Rucio request ids) no two failures of two days are taken for one; a
    part file written again under another name (a compaction re-run) is caught whole."""
    root = tmp_path / "sample"
    core.write_sample_archive(root, days=2, seed=7, scale=0.05, end=dt.date(2026, 11, 20))
    for stream in core.STREAMS:
        et = core.load_errors(str(root), Selection.last_days(2), stream=stream, use_cache=False)
        assert et.failures == sum(f.failures for f in et.report.files) > 100
    before = core.load_errors(str(root), Selection.day(dt.date(2026, 11, 19)), stream="fts", use_cache=False)
    copied = max(before.report.files, key=lambda f: f.failures)
    shutil.copy(copied.path, copied.path.replace("part-", "part-rerun-"))
    after = core.load_errors(str(root), Selection.day(dt.date(2026, 11, 19)), stream="fts", use_cache=False)
    assert after.failures == before.failures
    assert sorted(map(repr, after.table.to_pylist())) == sorted(map(repr, before.table.to_pylist()))
    assert after.report.duplicates == copied.failures > 0


# --------------------------------------------------------------------------------------------------
# the Spark job: the same figures (local mode, one spark-submit)

SPARK_CASES = ("wild-times-fts", "wild-times-rucio", "duplicates-fts", "duplicates-rucio")


@pytest.fixture(scope="module")
def spark_run(tmp_path_factory):
    from opint_core.spark import plan, run_parts, spark_available
    from spark_helpers import TEST_CONF

    if not spark_available():
        if os.environ.get("CI"):
            pytest.fail("CI must run the Spark tests: pyspark 3.5 and Java 17 are missing")
        pytest.skip("the Spark tests need pyspark 3.5 and Java 17")
    cases = [build_case(name, tmp_path_factory.mktemp(name) / "archive") for name in SPARK_CASES]
    parts = [p for case in cases for p in plan(Archive(case.uri), case.selection, stream=case.stream,
                                               with_baseline=False)]
    return cases, run_parts(cases[0].uri, parts, master="local[2]", conf=TEST_CONF)


@pytest.mark.spark
@pytest.mark.parametrize("index", range(len(SPARK_CASES)), ids=SPARK_CASES)
def test_spark_job_gives_the_same_figures(spark_run, index):
    from opint_core.spark import tables_of
    from spark_helpers import assert_same_analysis

    cases, run = spark_run
    case = cases[index]
    local = load(case)
    spark = tables_of(run, index, None)
    lr, sr = local.report, spark.errors.report
    assert (sr.records, sr.failures, sr.duplicates, spark.errors.failures) == \
        (lr.records, lr.failures, lr.duplicates, local.failures) == (sr.records, case.failures, case.duplicates,
                                                                     case.failures)
    assert {f.path: (f.records, f.failures, dict(f.repaired)) for f in sr.files} == \
        {f.path: (f.records, f.failures, dict(f.repaired)) for f in lr.files}
    assert_same_analysis(analyse_loaded(Loaded(local)), analyse_loaded(spark))


# --------------------------------------------------------------------------------------------------
# 7. fuzz of the record mapping

def _read_lines(stream: str, payload: bytes, gz: bool = True):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / ("part-00000-fuzz-c000.json" + (".gz" if gz else ""))
        path.write_bytes(gzip.compress(payload, compresslevel=1) if gz else payload)
        return read_part_file(LocalFileSystem(), str(path), stream)


def _assert_accounted(stream: str, payload: bytes, table, report) -> None:
    """Every line is a record (kept, or repaired and kept) or a skipped line: none lost, none raised."""
    nonblank = sum(1 for line in payload.split(b"\n") if line.strip())
    assert report.records == nonblank and report.problem is None
    assert report.failures == table.num_rows <= report.records - sum(report.skipped.values())
    assert table.schema == ERROR_SCHEMA
    times = table.column("time").cast(pa.int64()).drop_null().to_pylist()
    assert all(TIME_MIN_MS <= t <= TIME_MAX_MS for t in times)
    table.validate(full=True)


@pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisWarning")   # the repr of long drawn strings
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(stream=st.sampled_from(core.STREAMS), data=st.data())
def test_fuzz_any_lines_are_records_skipped_or_repaired(stream, data):
    payload = b"\n".join(data.draw(st.lists(archive_line(stream), min_size=1, max_size=8))) + b"\n"
    table, report = _read_lines(stream, payload)
    _assert_accounted(stream, payload, table, report)


@pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisWarning")
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(stream=st.sampled_from(core.STREAMS), data=st.data())
def test_fuzz_good_records_with_one_bad_line_take_the_careful_path(stream, data):
    """The careful path (pyarrow on the whole text, else line by line) on the same kind of lines."""
    good = lines([fts_record(tr_id=tr_id(1))] if stream == "fts" else [core_rucio()])
    payload = good + b"\n".join(data.draw(st.lists(archive_line(stream), min_size=1, max_size=6))) + b"\n{bad\n"
    table, report = _read_lines(stream, payload, gz=False)
    _assert_accounted(stream, payload, table, report)
    assert report.skipped["malformed JSON line"] >= 1 and table.num_rows >= 1


_READ_IN_A_CHILD = """
import json, sys
from pyarrow.fs import LocalFileSystem
from opint_core.load.reader import read_part_file
table, report = read_part_file(LocalFileSystem(), sys.argv[1], "fts")
print(json.dumps([report.records, report.failures, dict(report.skipped)]))
"""


@pytest.mark.parametrize("where", ["first line", "first line of a block"])
def test_a_null_line_does_not_kill_the_reader(tmp_path, where):
    """pyarrow.json dies (SIGSEGV) on a block that starts with a JSON null: read in a child process,
    so that a crash is this test's failure, not the end of the run."""
    good = lines([fts("a", tr_id(1))])
    if where == "first line":
        payload = b"null\n" + good
    else:                                   # the last newline of the first block just before the null
        pad = BLOCK_SIZE - 2 - len(good)
        payload = good + b'{"pad": "' + b"x" * (pad - 12) + b'"}\n' + b"null\n" + good
        assert payload.index(b"null\n") == BLOCK_SIZE - 2
    path = write_part(day_dir(tmp_path / "a", "fts", DAY), payload)
    child = subprocess.run([sys.executable, "-c", _READ_IN_A_CHILD, str(path)], capture_output=True, text=True,
                           env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert child.returncode == 0, f"the reader died ({child.returncode}): {child.stderr[-500:]}"
    records, failures, skipped = json.loads(child.stdout)
    assert records == payload.count(b"\n") and failures == payload.count(b'"a"')
    padding = {"record without a 'data' object": 1} if where != "first line" else {}
    assert skipped == {"JSON line that is not an object": 1, **padding}


def core_rucio() -> dict:
    from archive_factory import rucio_record

    return rucio_record(request_id="fuzz")


def test_a_line_longer_than_a_block_with_control_characters(tmp_path):
    message = ("\x1b[2J\x00\x07" + "x" * 1000) * (BLOCK_SIZE // 1000 + 10)
    payload = lines([fts(message, tr_id(1)), fts("short", tr_id(2))])
    table, report = _read_lines("fts", payload)
    _assert_accounted("fts", payload, table, report)
    assert table.column("message").to_pylist() == [message, "short"]


def test_lone_surrogates_and_huge_numbers_are_repaired_not_raised(tmp_path):
    recs = [{"data": {"t_final_transfer_state_flag": 0, "t__error_message": "\ud800 lone", "f_size": "9" * 30,
                      "tr_timestamp_complete": 2**64}},
            {"data": {"t_final_transfer_state_flag": "0", "t__error_message": ["a", {"b": 1}]}}]
    payload = b"".join(json.dumps(r).encode() + b"\n" for r in recs)
    table, report = _read_lines("fts", payload)
    _assert_accounted("fts", payload, table, report)
    assert table.column("message").to_pylist() == ["\ufffd lone", '["a", {"b": 1}]']
    assert report.repaired == Counter({"lone surrogate in 'data.t__error_message' replaced by U+FFFD": 1,
                                       "wrong type for 'data.f_size'": 1,
                                       "wrong type for 'data.tr_timestamp_complete'": 1,
                                       "wrong type for 'data.t__error_message'": 1})


async def test_app_says_how_many_duplicates_were_dropped(tmp_path):
    from opint_tui.app import OpintApp
    from waits import Toasts, wait_until

    case = build_case("duplicates-fts", tmp_path / "archive")
    app = OpintApp(core.Request(case.uri, case.selection, use_cache=False),
                   store=core.TriageStore(tmp_path / "store", user="shifter"))
    toasts = Toasts(app)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.analysis is not None and app.overview.shown, "the overview")
        await toasts.wait_for(pilot, "read twice is counted once", "the duplicates to be told")
    assert app.analysis.errors.failures == case.failures
    told = next(m for m in toasts.messages if "duplicate" in m)
    assert told.startswith(f"{case.duplicates:,} duplicate record")
