"""load_errors on real files in the archive layout: selections, both streams, bad data, the cache."""
import datetime as dt
import gzip
import os
import zlib

import pytest

from archive_factory import day_dir, fts_record, lines, rucio_record, write_part
from opint_core.load.filesystem import ArchiveError
from opint_core.load.loader import load_errors
from opint_core.load.schema import ERROR_SCHEMA
from opint_core.load.selection import Selection

D1, D2, D3 = dt.date(2025, 11, 22), dt.date(2025, 11, 23), dt.date(2025, 11, 24)


def fts_day(root, day, n_fail=3, n_ok=2, tmp=False, tag=None, index=0):
    tag = tag or str(day)
    recs = [fts_record(f"failure {tag} #{i}") for i in range(n_fail)] + [fts_record(flag=1) for _ in range(n_ok)]
    recs.append(fts_record("aborted", flag=-1))
    return write_part(day_dir(root, "fts", day, tmp), lines(recs), index=index, gz=not tmp)


@pytest.fixture
def archive(tmp_path):
    root = tmp_path / "archive"
    fts_day(root, D1, n_fail=1)
    fts_day(root, D2, n_fail=2)
    fts_day(root, D3, n_fail=3, tmp=True)
    return root


def load(root, selection=None, tmp_path=None, **kw):
    kw.setdefault("cache_dir", os.path.join(str(root), "..", "cache"))
    return load_errors(str(root), selection, **kw)


def messages(et):
    return sorted(et.table.column("message").to_pylist())


# --- selections ---------------------------------------------------------------------------------

def test_default_is_the_latest_day_and_tmp_days_count(archive):
    et = load(archive)
    assert et.report.days == [D3] and not et.report.final
    assert messages(et) == [f"failure {D3} #{i}" for i in range(3)]
    assert et.table.schema == ERROR_SCHEMA


def test_one_day_in_every_accepted_form(archive):
    for form in ("2025-11-23", "23.11.2025", "23/11/2025"):
        assert messages(load(archive, Selection.day(form))) == [f"failure {D2} #0", f"failure {D2} #1"]


def test_inclusive_range_and_last_n(archive):
    rng = load(archive, Selection.range(D1, D2))
    assert rng.report.days == [D1, D2] and len(rng) == 3
    last = load(archive, Selection.last_days(2))
    assert last.report.days == [D2, D3] and len(last) == 5


def test_paths_file(archive, tmp_path):
    part = next((archive / "project/monitoring/archive/fts/raw/complete/2025/11/22").iterdir())
    listing = tmp_path / "paths.txt"
    listing.write_text(f"# yesterday's first part\n  {part}  \n\n"
                       f"file://{archive}/project/monitoring/archive/fts/raw/complete/2025/11/23\n")
    et = load(archive, Selection.from_paths_file(listing))
    assert len(et) == 3 and et.report.days == [D1, D2]


def test_missing_day_is_an_error_naming_the_day(archive):
    with pytest.raises(ArchiveError, match="2025-11-20"):
        load(archive, Selection.day("2025-11-20"))


def test_empty_day_folder_is_an_error_not_zero_errors(archive):
    empty = day_dir(archive, "fts", dt.date(2025, 11, 21))
    (empty / "part-00000-x-c000.json.gz").write_bytes(b"")  # only a zero-size file
    with pytest.raises(ArchiveError, match="no data files"):
        load(archive, Selection.day("2025-11-21"))


def test_missing_archive_is_an_error(tmp_path):
    with pytest.raises(ArchiveError):
        load(tmp_path / "nowhere")


# --- streams ------------------------------------------------------------------------------------

def test_fts_keeps_only_failures_and_maps_columns(archive):
    et = load(archive, Selection.day(D1))
    row = et.table.to_pylist()[0]
    assert row["stream"] == "fts" and row["error_code"] == "110"
    assert row["error_category"] == "CONNECTION_TIMED_OUT" and row["scope"] == "TRANSFER"
    assert row["src_host"] == "se1.example.org" and row["dst_rse"] == "SITEB_DATADISK"
    assert row["src_site"] == "SITEA" and row["dst_site"] == "SITEB"
    assert row["time"] == dt.datetime(2025, 11, 24, 16, 0, tzinfo=dt.timezone.utc)
    assert row["vo"] == "atlas" and row["file_size"] == 1234 and row["activity"] == "Production Input"


def test_fts_site_name_wins_over_rse_prefix(tmp_path):
    root = tmp_path / "a"
    write_part(day_dir(root, "fts", D1), lines([fts_record(src_site_name="CERN-PROD", file_metadata=None)]))
    row = load(root).table.to_pylist()[0]
    assert row["src_site"] == "CERN-PROD" and row["dst_site"] is None and row["src_rse"] is None


def test_rucio_keeps_failure_event_types(tmp_path):
    root = tmp_path / "a"
    recs = [rucio_record(request_id="abc"),
            rucio_record("File Not Found", event_type="deletion-failed", rse="SITEC_SCRATCHDISK",
                         url="root://se3.example.org:1094//x", src_rse=None, dst_rse=None),
            rucio_record("ok", event_type="transfer-done"),
            rucio_record("queued", event_type="transfer-queued"),
            rucio_record("no submit", event_type="transfer-submission_failed", created_at="1764000000")]
    write_part(day_dir(root, "rucio", D1), lines(recs))
    et = load(root, stream="rucio")
    rows = {r["event_type"]: r for r in et.table.to_pylist()}
    assert set(rows) == {"transfer-failed", "deletion-failed", "transfer-submission_failed"}
    tf = rows["transfer-failed"]
    assert tf["scope"] == "TRANSFER" and tf["error_code"] == "70"
    assert tf["src_host"] == "se1.example.org" and tf["dst_host"] == "se2.example.org"
    assert tf["time"] == dt.datetime(2025, 11, 24, 12, 0, 1, 123000, tzinfo=dt.timezone.utc)
    assert tf["file_size"] == 99 and tf["transfer_id"] == "abc"
    deletion = rows["deletion-failed"]
    assert deletion["dst_rse"] == "SITEC_SCRATCHDISK" and deletion["dst_site"] == "SITEC"
    assert deletion["dst_host"] == "se3.example.org" and deletion["error_code"] is None
    assert rows["transfer-submission_failed"]["time"] == dt.datetime(2025, 11, 24, 16, 0, tzinfo=dt.timezone.utc)


# --- bad data -----------------------------------------------------------------------------------

@pytest.fixture
def day_with(tmp_path):
    """A day with one clean file (2 failures) plus whatever bad file the test writes."""
    root = tmp_path / "a"
    folder = day_dir(root, "fts", D1)
    write_part(folder, lines([fts_record("good A"), fts_record("good B"), fts_record(flag=1)]), index=0)
    return root, folder


def bad_report(et):
    (report,) = [f for f in et.report.files if not f.clean]
    return report


def test_corrupt_gzip_keeps_the_records_before_the_damage(day_with):
    root, folder = day_with
    blob = gzip.compress(lines([fts_record(f"early {i}", tr_id=f"early-{i}") for i in range(200)]))  # fixed bytes
    damaged = blob[:len(blob) // 2] + bytes(b ^ 0xFF for b in blob[len(blob) // 2:])
    (folder / "part-00001-x-c000.json.gz").write_bytes(damaged)
    et = load(root)
    report = bad_report(et)
    assert "gzip" in report.problem
    kept = sorted((m for m in messages(et) if m.startswith("early")), key=lambda m: int(m.split()[1]))
    # the records before the damage: a non-empty prefix, in full (no partial line kept)
    assert 0 < len(kept) < 200 and kept == [f"early {i}" for i in range(len(kept))]
    assert report.records == len(kept) + sum(report.skipped.values()) and report.failures == len(kept)
    assert "good A" in messages(et)


def test_truncated_gzip_keeps_complete_lines(day_with):
    root, folder = day_with
    # cut mid-member, inside line 451: the compressor is sync-flushed there, so the cut bytes
    # decompress to exactly 450 whole lines and the first 50 bytes of line 451
    body = lines([fts_record(f"early {i}") for i in range(450)])
    line_451 = lines([fts_record("early 450")])
    c = zlib.compressobj(6, zlib.DEFLATED, 31)
    cut = c.compress(body + line_451[:50]) + c.flush(zlib.Z_SYNC_FLUSH)
    whole = cut + c.compress(line_451[50:] + lines([fts_record(f"early {i}") for i in range(451, 500)])) + c.flush()
    assert gzip.decompress(whole).count(b"\n") == 500  # the file the cut one was
    (folder / "part-00001-x-c000.json.gz").write_bytes(cut)
    et = load(root)
    report = bad_report(et)
    assert report.problem == "truncated gzip file: kept the records before the cut"
    assert (report.records, report.failures, dict(report.skipped)) == (451, 450, {"line cut by the damage": 1})
    kept = [m for m in messages(et) if m.startswith("early")]
    assert sorted(kept) == sorted(f"early {i}" for i in range(450))  # the partial line 451 is not kept
    assert et.report.records == 451 + 3 and et.report.failures == 450 + 2


def test_concatenated_gzip_members_are_all_read(day_with):
    root, folder = day_with
    blob = b"".join(gzip.compress(lines([fts_record(f"member {m} line {i}") for i in range(300)]))
                    for m in range(3))
    (folder / "part-00001-x-c000.json.gz").write_bytes(blob)
    et = load(root)
    assert all(f.clean for f in et.report.files)
    assert sum(m.startswith("member") for m in messages(et)) == 900


def test_trailing_garbage_after_the_gzip_data_is_reported(day_with):
    root, folder = day_with
    blob = gzip.compress(lines([fts_record(f"early {i}") for i in range(100)])) + b"not gzip at all"
    (folder / "part-00001-x-c000.json.gz").write_bytes(blob)
    et = load(root)
    assert "trailing garbage" in bad_report(et).problem
    assert sum(m.startswith("early") for m in messages(et)) == 100


def test_malformed_json_lines_are_skipped_and_counted(day_with):
    root, folder = day_with
    payload = lines([fts_record("ok 1")]) + b'{"data": {"t__error_message": "half\n' + b"not json at all\n" \
        + b"[1, 2]\n" + lines([fts_record("ok 2")])
    write_part(folder, payload, index=1)
    et = load(root)
    report = bad_report(et)
    assert report.skipped == {"malformed JSON line": 2, "JSON line that is not an object": 1}
    # records: every line, the 3 skipped ones included; failures: the 2 kept
    assert (report.records, report.failures) == (5, 2)
    assert sorted(messages(et)) == ["good A", "good B", "ok 1", "ok 2"]
    assert (et.report.records, et.report.failures, et.report.skipped) == (5 + 3, 2 + 2, 3)


def test_missing_fields_give_nulls_not_errors(day_with):
    root, folder = day_with
    write_part(folder, lines([{"data": {"t_final_transfer_state_flag": 0, "t__error_message": "bare"}},
                              {"data": {"t_final_transfer_state_flag": 0}}, {"metadata": {}}]), index=1)
    et = load(root)
    rows = [r for r in et.table.to_pylist() if r["message"] in ("bare", None)]
    assert len(rows) == 2 and rows[0]["src_host"] is None and rows[0]["time"] is None
    report = bad_report(et)
    assert report.skipped == {"record without a 'data' object": 1}
    assert report.repaired == {"failure without an error message": 1}
    assert (report.records, report.failures) == (3, 2)


def test_wrong_types_are_coerced_or_nulled(day_with):
    root, folder = day_with
    write_part(folder, lines([fts_record("typed", t_error_code=70, f_size="12", tr_timestamp_complete="x"),
                              fts_record("flag as text", t_final_transfer_state_flag="0"),
                              fts_record("meta odd", file_metadata="not an object")]), index=1)
    et = load(root)
    rows = {r["message"]: r for r in et.table.to_pylist()}
    assert rows["typed"]["error_code"] == "70" and rows["typed"]["file_size"] == 12
    assert rows["typed"]["time"] == dt.datetime(2025, 11, 24, 16, 0, tzinfo=dt.timezone.utc)  # metadata fallback
    assert "flag as text" in rows and rows["meta odd"]["src_rse"] is None
    report = bad_report(et)
    assert report.repaired["wrong type for 'data.tr_timestamp_complete'"] == 1
    assert report.repaired["'data.file_metadata' is not an object"] == 1


def test_non_utf8_bytes_are_replaced(day_with):
    root, folder = day_with
    payload = lines([fts_record("MARKER")]).replace(b"MARKER", b"caf\xe9 \xff end") + lines([fts_record("clean")])
    write_part(folder, payload, index=1)
    et = load(root)
    assert "caf\ufffd \ufffd end" in messages(et) and "clean" in messages(et)
    assert bad_report(et).repaired["non-UTF-8 bytes replaced by U+FFFD"] == 1


def test_zero_size_files_are_skipped_and_listed(day_with):
    root, folder = day_with
    (folder / "part-00009-x-c000.json.gz").write_bytes(b"")
    et = load(root)
    assert len(et) == 2 and [os.path.basename(p) for p in et.report.empty_files] == ["part-00009-x-c000.json.gz"]


def test_one_megabyte_message_loads(day_with):
    root, folder = day_with
    huge = "X" * (1 << 20)
    write_part(folder, lines([fts_record(huge), fts_record("after huge")]), index=1)
    et = load(root)
    assert huge in messages(et) and "after huge" in messages(et)


def test_plain_json_files_in_tmp_days(tmp_path):
    root = tmp_path / "a"
    write_part(day_dir(root, "fts", D1, tmp=True), lines([fts_record("plain")]), gz=False)
    et = load(root)
    assert messages(et) == ["plain"] and not et.report.final


# --- cache --------------------------------------------------------------------------------------

def test_second_load_of_a_final_day_reads_the_cache(archive):
    first = load(archive, Selection.day(D2))
    second = load(archive, Selection.day(D2))
    assert first.report.cached_days == [] and second.report.cached_days == [D2]
    assert second.table.equals(first.table)
    assert second.report.records == first.report.records


def test_tmp_days_are_never_cached(archive):
    load(archive)
    assert load(archive).report.cached_days == []


def test_cache_is_invalidated_when_source_files_change(archive):
    load(archive, Selection.day(D1))
    fts_day(archive, D1, n_fail=4, tag="extra", index=1)
    again = load(archive, Selection.day(D1))
    assert again.report.cached_days == [] and len(again) == 5


def test_no_cache_bypasses_it(archive):
    load(archive, Selection.day(D1))
    assert load(archive, Selection.day(D1), use_cache=False).report.cached_days == []


def test_cache_keeps_the_file_reports(day_with):
    root, folder = day_with
    write_part(folder, lines([fts_record("ok")]) + b"garbage\n", index=1)
    first, second = load(root), load(root)
    assert second.report.cached_days == [D1]
    assert second.report.skipped == first.report.skipped == 1


def test_cancel_stops_a_load(archive):
    import threading
    from opint_core.errors import LoadCancelled
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(LoadCancelled):
        load(archive, Selection.last_days(2), cancel=cancel)


def test_cms_rses_keep_their_site_name(tmp_path):
    root = tmp_path / "a"
    write_part(day_dir(root, "fts", D1), lines([fts_record(file_metadata={"src_rse": "T1_US_FNAL_Disk",
                                                                         "dst_rse": "T2_CH_CERN"})]))
    row = load(root).table.to_pylist()[0]
    assert row["src_site"] == "T1_US_FNAL" and row["dst_site"] == "T2_CH_CERN"
