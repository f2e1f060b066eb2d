"""The traffic table (issue 12): every attempt read, counted per hour and key, next to the failures.

Checked against counts made independently from the raw part files (gzip + json), on the sample
archive and on hand-made files (real gzip part files in the archive layout)."""
from __future__ import annotations

import collections
import datetime as dt
import gzip
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyarrow.fs import LocalFileSystem

from archive_factory import FTS_DIR, RUCIO_DIR, day_dir, fts_record, lines, rucio_record, write_part
from conftest import SAMPLE_END
from hostile.archives import CASES, archive_line, build_case
from opint_core import Selection, load_errors
from opint_core.load.reader import read_part
from opint_core.load.schema import TRAFFIC_SCHEMA, UNKNOWN

DAY = dt.date(2025, 11, 24)
FINAL_SAMPLE_DAY = SAMPLE_END - dt.timedelta(days=1)   # the sample's last day is still in DD.tmp: never cached
NOON_MS = 1763985600000   # 2025-11-24 12:00 UTC


def raw_records(root, stream: str, days) -> list[dict]:
    """The 'data' objects of every record of the days, read with gzip and json alone."""
    base = Path(root, FTS_DIR if stream == "fts" else RUCIO_DIR)
    found = []
    for day in days:
        for folder in base.glob(f"{day:%Y/%m/%d}*"):
            for part in sorted(folder.iterdir()):
                if part.name.startswith(("_", ".")) or not part.stat().st_size:
                    continue
                opener = gzip.open if part.name.endswith(".gz") else open
                with opener(part, "rt", encoding="utf-8") as f:
                    found += [json.loads(line)["data"] for line in f if line.strip()]
    return found


def is_raw_failure(stream: str, data: dict) -> bool:
    if stream == "fts":
        return data.get("t_final_transfer_state_flag") == 0
    return (data.get("event_type") or "").endswith("failed")


def traffic_by(traffic: pa.Table, column: str) -> dict:
    """{value of ``column``: (attempts, failures)} summed over the rest of the keys."""
    grouped = traffic.group_by(column).aggregate([("attempts", "sum"), ("failures", "sum")]).to_pylist()
    return {row[column]: (row["attempts_sum"], row["failures_sum"]) for row in grouped}


def raw_by(records: list[dict], stream: str, key) -> dict:
    counts = collections.defaultdict(lambda: [0, 0])
    for data in records:
        c = counts[key(data) or UNKNOWN]
        c[0] += 1
        c[1] += is_raw_failure(stream, data)
    return {k: tuple(v) for k, v in counts.items()}


@pytest.mark.parametrize("stream", ["fts", "rucio"])
def test_sample_archive_traffic_matches_the_raw_files(sample_root, stream):
    days = [SAMPLE_END - dt.timedelta(days=1), SAMPLE_END]
    errors = load_errors(sample_root, Selection.range(*days), stream=stream, use_cache=False)
    records = raw_records(sample_root, stream, days)
    traffic = errors.traffic

    assert traffic.schema == TRAFFIC_SCHEMA
    attempts, failures = pc.sum(traffic.column("attempts")).as_py(), pc.sum(traffic.column("failures")).as_py()
    assert attempts == len(records) == errors.report.records - errors.report.skipped - errors.report.duplicates
    assert failures == errors.failures == sum(is_raw_failure(stream, d) for d in records) - errors.report.duplicates
    assert traffic_by(traffic, "vo") == raw_by(records, stream, lambda d: d.get("vo"))
    state = "t_final_transfer_state" if stream == "fts" else "event_type"
    assert traffic_by(traffic, "event_type") == raw_by(records, stream, lambda d: d.get(state))


def test_traffic_sites_are_the_error_tables_sites(sample_root):
    """Per source site, the failures counted in traffic are the ErrorTable's failures at that site."""
    errors = load_errors(sample_root, Selection.day(SAMPLE_END), use_cache=False)
    site_failures = {site: f for site, (_, f) in traffic_by(errors.traffic, "src_site").items() if f}
    table_sites = collections.Counter(s or UNKNOWN for s in errors.table.column("src_site").to_pylist())
    assert site_failures == dict(table_sites)


def test_attempts_per_hour_and_site_are_counted(tmp_path):
    d = day_dir(tmp_path, "fts", DAY)
    hour = 3_600_000
    records = ([fts_record(flag=1, when_ms=NOON_MS + 10) for _ in range(5)]
               + [fts_record(flag=0, when_ms=NOON_MS + 20) for _ in range(2)]
               + [fts_record(flag=1, when_ms=NOON_MS + hour + 5, src_rse="T1_DE_KIT_Disk")])
    write_part(d, lines(records))
    traffic = load_errors(tmp_path, Selection.day(DAY), use_cache=False).traffic.to_pylist()
    noon = dt.datetime(2025, 11, 24, 12, tzinfo=dt.timezone.utc)
    counts = {(r["hour"], r["event_type"], r["src_site"], r["dst_site"], r["src_host"], r["vo"]):
              (r["attempts"], r["failures"]) for r in traffic}
    assert counts == {
        (noon, "Ok", "SITEA", "SITEB", "se1.example.org", "atlas"): (5, 0),
        (noon, "Error", "SITEA", "SITEB", "se1.example.org", "atlas"): (2, 2),
        (noon + dt.timedelta(hours=1), "Ok", "T1_DE_KIT", "SITEB", "se1.example.org", "atlas"): (1, 0),
    }


def test_records_without_site_or_vo_count_as_unknown(tmp_path):
    d = day_dir(tmp_path, "fts", DAY)
    records = [fts_record(flag=1, vo="", src_rse="", dst_rse=None, src=""),
               fts_record(flag=0, vo=None, file_metadata=None, activity=None, tr_timestamp_complete=None),
               fts_record(flag=1)]
    write_part(d, lines(records))
    errors = load_errors(tmp_path, Selection.day(DAY), use_cache=False)
    traffic = errors.traffic
    assert traffic_by(traffic, "vo") == {UNKNOWN: (2, 1), "atlas": (1, 0)}
    assert traffic_by(traffic, "src_site") == {UNKNOWN: (2, 1), "SITEA": (1, 0)}
    assert traffic_by(traffic, "src_host") == {UNKNOWN: (1, 0), "se1.example.org": (2, 1)}
    assert traffic_by(traffic, "activity") == {UNKNOWN: (1, 1), "Production Input": (2, 0)}
    # a record whose only time is MONIT's keeps that hour; none at all would be a null hour
    assert None not in traffic.column("hour").to_pylist()


def test_a_record_without_data_is_not_an_attempt(tmp_path):
    d = day_dir(tmp_path, "fts", DAY)
    payload = lines([fts_record(flag=1), fts_record(flag=0)]) + b'{"metadata": {"timestamp": 1}}\n'
    write_part(d, payload)
    errors = load_errors(tmp_path, Selection.day(DAY), use_cache=False)
    assert errors.report.records == 3 and errors.report.skipped == 1
    assert traffic_by(errors.traffic, "vo") == {"atlas": (2, 1)}


def test_a_failure_read_twice_counts_once_in_traffic_too(tmp_path):
    d = day_dir(tmp_path, "fts", DAY)
    failure, success = fts_record(flag=0), fts_record(flag=1)
    write_part(d, lines([failure, success]), index=0)
    write_part(d, lines([failure]), index=1)   # a compaction re-run wrote it again
    errors = load_errors(tmp_path, Selection.day(DAY), use_cache=False)
    assert errors.report.duplicates == 1
    assert traffic_by(errors.traffic, "vo") == {"atlas": (2, 1)}
    assert errors.failures == 1


@pytest.mark.parametrize("use_cache", [False, True])
def test_rucio_events_count_per_event_type_and_rse(tmp_path, use_cache):
    d = day_dir(tmp_path, "rucio", DAY)
    records = ([rucio_record(event_type="transfer-done", reason=None) for _ in range(3)]
               + [rucio_record(event_type="transfer-failed")]
               + [rucio_record(event_type="transfer-submitted", reason=None)]
               + [rucio_record(event_type="transfer-submission_failed")]
               + [rucio_record(event_type="deletion-done", rse="SITEC_SCRATCHDISK", src_rse=None, dst_rse=None,
                               url="root://se3.example.org//x", reason=None)]
               + [rucio_record(event_type="deletion-failed", rse="SITEC_SCRATCHDISK", src_rse=None, dst_rse=None)])
    write_part(d, lines(records))
    for _ in range(2 if use_cache else 1):   # the second load of a cached run reads the cache
        errors = load_errors(tmp_path, Selection.day(DAY), stream="rucio", use_cache=use_cache)
    assert errors.report.cached_days == ([DAY] if use_cache else [])
    assert traffic_by(errors.traffic, "event_type") == {
        "transfer-done": (3, 0), "transfer-failed": (1, 1), "transfer-submitted": (1, 0),
        "transfer-submission_failed": (1, 1), "deletion-done": (1, 0), "deletion-failed": (1, 1)}
    deletions = errors.traffic.filter(pc.starts_with(errors.traffic.column("event_type"), "deletion"))
    assert set(deletions.column("dst_rse").to_pylist()) == {"SITEC_SCRATCHDISK"}
    assert set(deletions.column("dst_site").to_pylist()) == {"SITEC"}
    assert set(deletions.column("src_site").to_pylist()) == {UNKNOWN}
    assert traffic_by(deletions, "dst_host") == {"se3.example.org": (1, 0), "se2.example.org": (1, 1)}


def test_a_cached_day_gives_the_same_traffic(sample_root, tmp_path):
    first = load_errors(sample_root, Selection.day(FINAL_SAMPLE_DAY), cache_dir=tmp_path)
    again = load_errors(sample_root, Selection.day(FINAL_SAMPLE_DAY), cache_dir=tmp_path)
    assert again.report.cached_days == [FINAL_SAMPLE_DAY] and not first.report.cached_days
    assert again.traffic.equals(first.traffic)
    assert first.traffic.num_rows


def test_a_cache_of_the_format_before_traffic_is_not_used(sample_root, tmp_path):
    """A day cached before the traffic table (format 3: no traffic file) is read again, not trusted."""
    load_errors(sample_root, Selection.day(FINAL_SAMPLE_DAY), cache_dir=tmp_path)
    manifests = list(Path(tmp_path).rglob(f"{FINAL_SAMPLE_DAY}.json"))
    for manifest in manifests:
        data = json.loads(manifest.read_text())
        manifest.write_text(json.dumps(dict(data, format=3)))
    for traffic_file in Path(tmp_path).rglob("*.traffic.arrow"):
        traffic_file.unlink()
    again = load_errors(sample_root, Selection.day(FINAL_SAMPLE_DAY), cache_dir=tmp_path)
    assert manifests and not again.report.cached_days
    assert pc.sum(again.traffic.column("attempts")).as_py() == again.report.records - again.report.skipped


def test_without_traffic_the_failures_are_the_same_and_no_day_is_cached(sample_root, tmp_path):
    """with_traffic=False (to measure what counting costs): the same failures, no traffic, no cache."""
    counted = load_errors(sample_root, Selection.day(FINAL_SAMPLE_DAY), use_cache=False)
    bare = load_errors(sample_root, Selection.day(FINAL_SAMPLE_DAY), cache_dir=tmp_path, with_traffic=False)
    assert bare.table.equals(counted.table)
    assert bare.traffic.num_rows == 0 and counted.traffic.num_rows
    assert not list(Path(tmp_path).rglob("*.parquet")) and not list(Path(tmp_path).rglob("*.arrow"))


def assert_traffic_adds_up(errors) -> None:
    """Attempts: the records read less the lines skipped and the failures read twice; failures: the
    ErrorTable's."""
    r = errors.report
    assert (pc.sum(errors.traffic.column("attempts")).as_py() or 0) == r.records - r.skipped - r.duplicates
    assert (pc.sum(errors.traffic.column("failures")).as_py() or 0) == errors.failures
    assert errors.traffic.schema == TRAFFIC_SCHEMA
    for name in TRAFFIC_SCHEMA.names[1:]:   # only the hour may be null (a record without any time)
        assert errors.traffic.column(name).null_count == 0


@pytest.mark.parametrize("name", sorted(CASES))
def test_every_hostile_archive_has_traffic_that_adds_up(name, tmp_path):
    case = build_case(name, tmp_path / "archive")
    errors = load_errors(case.uri, case.selection, stream=case.stream, use_cache=False)
    assert_traffic_adds_up(errors)


@pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisWarning")   # the repr of long drawn strings
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                                                  HealthCheck.function_scoped_fixture])
@given(stream=st.sampled_from(["fts", "rucio"]), data=st.data())
def test_fuzz_any_lines_give_traffic_that_adds_up(tmp_path, stream, data):
    payload = b"\n".join(data.draw(st.lists(archive_line(stream), min_size=1, max_size=8))) + b"\n"
    path = write_part(tmp_path, payload)
    table, traffic, report = read_part(LocalFileSystem(), str(path), stream)
    assert (pc.sum(traffic.column("attempts")).as_py() or 0) == report.records - sum(report.skipped.values())
    assert (pc.sum(traffic.column("failures")).as_py() or 0) == table.num_rows == report.failures


def test_traffic_folded_file_by_file_is_the_same(sample_root, monkeypatch):
    """The loader folds the files' traffic as they come (TrafficSum): folded after every file, the same table."""
    from opint_core.load.traffic import TrafficSum

    whole = load_errors(sample_root, Selection.day(SAMPLE_END), use_cache=False)
    monkeypatch.setattr(TrafficSum, "FOLD_ROWS", 0)
    folded = load_errors(sample_root, Selection.day(SAMPLE_END), use_cache=False)
    assert len(folded.report.files) > 2
    assert folded.traffic.equals(whole.traffic)
