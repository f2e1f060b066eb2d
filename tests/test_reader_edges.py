"""read_part_file accounting, exactly: hand-built part files (real gzip bytes, real files, no mocks).

``records`` counts every non-blank line, skipped ones included; ``failures`` only the failures kept;
``skipped`` / ``repaired`` name each reason with its exact count. Damaged gzip is built so that the
point of damage is known: the compressor is sync-flushed there, so the bytes before it decompress to
exactly the text before it, and nothing after.
"""
from __future__ import annotations

import json
import zlib
from collections import Counter

import pyarrow.fs as pafs
import pytest

from archive_factory import fts_record, lines, rucio_record
from opint_core.load.reader import FileReport, read_part_file
from opint_core.load.schema import ERROR_SCHEMA

FS = pafs.LocalFileSystem()

NO_DATA = "record without a 'data' object"
NO_MESSAGE = "failure without an error message"
CUT = "line cut by the damage"
MALFORMED = "malformed JSON line"
NOT_OBJECT = "JSON line that is not an object"
NON_UTF8 = "non-UTF-8 bytes replaced by U+FFFD"
TRUNCATED = "truncated gzip file: kept the records before the cut"


def gz(text: bytes) -> bytes:
    """One complete gzip member."""
    c = zlib.compressobj(6, zlib.DEFLATED, 31)
    return c.compress(text) + c.flush()


def gz_cut(before: bytes, after: bytes = b"") -> bytes:
    """A gzip member of ``before + after`` cut right after ``before`` (mid-member: no final block,
    no trailer). The cut bytes are a prefix of the whole member."""
    c = zlib.compressobj(6, zlib.DEFLATED, 31)
    head = c.compress(before) + c.flush(zlib.Z_SYNC_FLUSH)
    whole = head + c.compress(after) + c.flush()
    assert whole.startswith(head) and len(whole) > len(head)
    return head


def read(tmp_path, blob: bytes, stream: str = "fts", name: str = "part-00000-x-c000.json.gz"):
    path = tmp_path / name
    path.write_bytes(blob)
    table, report = read_part_file(FS, str(path), stream)
    assert table.schema == ERROR_SCHEMA and report.path == str(path)
    return table, report


def msgs(table) -> list:
    return table.column("message").to_pylist()


def counts(report: FileReport) -> tuple:
    return report.records, report.failures, dict(report.skipped), dict(report.repaired), report.problem


# The hand-built day: 6 lines, 3 failures (f1, f2 and one without a message), 1 line without data.
SIX = lines([
    fts_record("f1"),                                      # failure
    fts_record(flag=1),                                    # success: a record, not a failure
    fts_record("f2"),                                      # failure
    {"metadata": {"timestamp": 1764000000000}},            # no data: counted, skipped
    fts_record("aborted", flag=-1),                        # abort: a record, not a failure
    {"data": {"t_final_transfer_state_flag": 0}},          # failure without a message: kept, repaired
])
SIX_COUNTS = (6, 3, {NO_DATA: 1}, {NO_MESSAGE: 1})
HALF = json.dumps(fts_record("f3")).encode()[:60]          # the start of a 7th line


# --------------------------------------------------------------------------------------------------
# the same records on every path

def test_fast_path_sound_gzip(tmp_path):
    table, report = read(tmp_path, gz(SIX))
    assert counts(report) == SIX_COUNTS + (None,)
    assert msgs(table) == ["f1", "f2", None] and not report.clean


def test_fast_path_plain_text(tmp_path):
    table, report = read(tmp_path, SIX, name="part-00000-x-c000.json")
    assert counts(report) == SIX_COUNTS + (None,)
    assert msgs(table) == ["f1", "f2", None]


def test_careful_path_truncated_at_a_line_end(tmp_path):
    # cut exactly after the 6th newline: nothing is cut in a line, every record is kept
    table, report = read(tmp_path, gz_cut(SIX, lines([fts_record("f3")])))
    assert counts(report) == SIX_COUNTS + (TRUNCATED,)
    assert msgs(table) == ["f1", "f2", None]


def test_careful_path_truncated_mid_line_drops_and_counts_the_partial_line(tmp_path):
    table, report = read(tmp_path, gz_cut(SIX + HALF, json.dumps(fts_record("f3")).encode()[60:] + b"\n"))
    # 6 whole lines + the cut 7th: 7 records, the 7th skipped; f3 is NOT kept
    assert counts(report) == (7, 3, {NO_DATA: 1, CUT: 1}, {NO_MESSAGE: 1}, TRUNCATED)
    assert msgs(table) == ["f1", "f2", None]


def test_careful_path_truncated_after_blank_space_counts_no_cut_line(tmp_path):
    table, report = read(tmp_path, gz_cut(SIX + b"   ", b"more\n"))
    assert counts(report) == SIX_COUNTS + (TRUNCATED,)


def test_careful_path_truncated_mid_first_line_keeps_nothing(tmp_path):
    table, report = read(tmp_path, gz_cut(HALF, b"rest\n"))
    assert counts(report) == (1, 0, {CUT: 1}, {}, TRUNCATED) and table.num_rows == 0


def test_slow_path_malformed_and_non_object_lines_among_good_ones(tmp_path):
    text = SIX[:SIX.index(b"\n") + 1] + b"not json at all\n" + SIX[SIX.index(b"\n") + 1:] + b"[1, 2]\n\n  \n" \
        + b'"just a string"\n'
    table, report = read(tmp_path, gz(text))
    # 6 records + 1 malformed + 2 JSON values that are not objects; blank lines are not records
    assert counts(report) == (9, 3, {NO_DATA: 1, MALFORMED: 1, NOT_OBJECT: 2}, {NO_MESSAGE: 1}, None)
    assert msgs(table) == ["f1", "f2", None]


def test_slow_path_plain_text_file(tmp_path):
    table, report = read(tmp_path, SIX + b"{broken\n", name="part-00000-x-c000.json")
    assert counts(report) == (7, 3, {NO_DATA: 1, MALFORMED: 1}, {NO_MESSAGE: 1}, None)
    assert msgs(table) == ["f1", "f2", None]


def test_slow_path_truncated_mid_line_with_a_malformed_line_before(tmp_path):
    table, report = read(tmp_path, gz_cut(b"{oops\n" + SIX + HALF, b"x\n"))
    assert counts(report) == (8, 3, {NO_DATA: 1, CUT: 1, MALFORMED: 1}, {NO_MESSAGE: 1}, TRUNCATED)
    assert msgs(table) == ["f1", "f2", None]


def test_blank_lines_are_not_records_on_the_fast_path(tmp_path):
    table, report = read(tmp_path, gz(b"\n" + SIX + b"\n\n"))
    assert counts(report) == SIX_COUNTS + (None,)


def test_a_last_line_without_a_newline_is_a_record(tmp_path):
    table, report = read(tmp_path, gz(SIX[:-1]))
    assert counts(report) == SIX_COUNTS + (None,)


def test_a_last_line_without_a_newline_is_a_record_on_the_slow_path(tmp_path):
    table, report = read(tmp_path, gz(b"{bad\n" + SIX[:-1]))
    assert counts(report) == (7, 3, {NO_DATA: 1, MALFORMED: 1}, {NO_MESSAGE: 1}, None)
    assert msgs(table) == ["f1", "f2", None]


# --------------------------------------------------------------------------------------------------
# gzip damage

def test_exact_records_kept_from_a_truncated_gzip_of_many_lines(tmp_path):
    body = lines([fts_record(f"early {i}") for i in range(300)])
    half = json.dumps(fts_record("early 300")).encode()
    table, report = read(tmp_path, gz_cut(body + half[:100], half[100:] + b"\n"))
    assert counts(report) == (301, 300, {CUT: 1}, {}, TRUNCATED)
    assert msgs(table) == [f"early {i}" for i in range(300)]


def test_concatenated_members_the_last_one_truncated(tmp_path):
    first = lines([fts_record("m1 a"), fts_record("m1 b", flag=1)])
    second = lines([fts_record("m2 a")]) + HALF
    table, report = read(tmp_path, gz(first) + gz_cut(second, b"rest\n"))
    # member 1: 2 records; member 2: 1 record + 1 cut line
    assert counts(report) == (4, 2, {CUT: 1}, {}, TRUNCATED)
    assert msgs(table) == ["m1 a", "m2 a"]


def test_concatenated_sound_members_are_clean(tmp_path):
    table, report = read(tmp_path, gz(SIX) + gz(SIX) + gz(b""))
    assert counts(report) == (12, 6, {NO_DATA: 2}, {NO_MESSAGE: 2}, None)


def test_trailing_garbage_after_the_gzip_data(tmp_path):
    table, report = read(tmp_path, gz(SIX) + b"GARBAGE!")
    assert counts(report) == SIX_COUNTS + ("8 bytes of trailing garbage after the gzip data were ignored",)
    assert msgs(table) == ["f1", "f2", None]


def test_trailing_garbage_after_two_members(tmp_path):
    table, report = read(tmp_path, gz(lines([fts_record("a")])) + gz(lines([fts_record("b")])) + b"xyz")
    assert counts(report) == (2, 2, {}, {}, "3 bytes of trailing garbage after the gzip data were ignored")
    assert msgs(table) == ["a", "b"]


def test_a_second_member_with_a_bad_header_keeps_the_first(tmp_path):
    table, report = read(tmp_path, gz(SIX) + b"\x1f\x8b\x00\x00\x00\x00\x00\x00\x00\x00")
    assert report.problem == ("corrupt gzip data (Error -3 while decompressing data: unknown compression method): "
                              "kept the records before the damage")
    assert counts(report)[:4] == SIX_COUNTS
    assert msgs(table) == ["f1", "f2", None]


def test_a_corrupt_member_after_a_sound_one_keeps_its_records_before_the_damage(tmp_path):
    damaged = gz_cut(lines([fts_record("kept")]), b"x\n") + b"\x07\xff\xff\xff"  # block type 3: invalid
    table, report = read(tmp_path, gz(SIX) + damaged)
    assert report.problem == ("corrupt gzip data (Error -3 while decompressing data: invalid block type): "
                              "kept the records before the damage")
    assert counts(report)[:4] == (7, 4, {NO_DATA: 1}, {NO_MESSAGE: 1}) and msgs(table) == ["f1", "f2", None, "kept"]


def test_a_corrupt_block_keeps_the_records_before_it(tmp_path):
    damaged = gz_cut(SIX, b"x\n") + b"\x07\xff\xff\xff"  # six whole lines, then an invalid block
    table, report = read(tmp_path, damaged)
    assert counts(report)[:4] == SIX_COUNTS
    assert msgs(table) == ["f1", "f2", None]


def test_trailing_garbage_after_a_member_without_a_final_newline_keeps_its_last_line(tmp_path):
    table, report = read(tmp_path, gz(SIX[:-1]) + b"GARBAGE!")
    assert counts(report)[:4] == SIX_COUNTS


# --------------------------------------------------------------------------------------------------
# bytes and values

def test_non_utf8_bytes_are_replaced_and_counted_once_per_line(tmp_path):
    bad = lines([fts_record("MARK")]).replace(b"MARK", b"caf\xe9 \xff")
    table, report = read(tmp_path, gz(SIX + bad + bad.replace(b"caf", b"two")))
    assert counts(report) == (8, 5, {NO_DATA: 1}, {NO_MESSAGE: 1, NON_UTF8: 2}, None)
    assert msgs(table) == ["f1", "f2", None, "caf\ufffd \ufffd", "two\ufffd \ufffd"]


def test_non_utf8_bytes_in_a_plain_text_file(tmp_path):
    table, report = read(tmp_path, b'{"data": {"t_final_transfer_state_flag": 0, "t__error_message": "\xc3"}}\n',
                         name="part-00000-x-c000.json")
    assert counts(report) == (1, 1, {}, {NON_UTF8: 1}, None) and msgs(table) == ["\ufffd"]


def test_missing_fields_give_nulls_on_both_paths(tmp_path):
    records = [{"data": {"t_final_transfer_state_flag": 0, "t__error_message": "bare"}},
               {"data": {"t__error_message": "no flag: not a failure"}},
               {"data": {}}, {"data": None}, {}]
    for name, blob in (("fast", gz(lines(records))), ("slow", gz(lines(records) + b"{\n"))):
        table, report = read(tmp_path, blob, name=f"{name}.json.gz")
        malformed = {MALFORMED: 1} if name == "slow" else {}
        assert counts(report) == (5 + len(malformed), 1, {NO_DATA: 2, **malformed}, {}, None), name
        [row] = table.to_pylist()
        assert row["message"] == "bare" and row["time"] is None and row["src_host"] is None, name
        assert row["error_code"] is None and row["file_size"] is None and row["stream"] == "fts", name


def coerced(tmp_path, **data):
    """One failure with ``data`` fields, read on the slow path (a malformed line forces it)."""
    rec = {"data": {"t_final_transfer_state_flag": 0, "t__error_message": "m", **data}}
    table, report = read(tmp_path, json.dumps(rec).encode() + b"\n{\n")
    assert report.skipped == Counter({MALFORMED: 1}) and report.records == 2
    return table.to_pylist(), dict(report.repaired)


@pytest.mark.parametrize("value, code, repaired", [
    ("70", "70", {}),
    (70, "70", {}),
    (1.5, "1.5", {}),
    (True, "true", {}),
    ([1, "a"], '[1, "a"]', {"wrong type for 'data.t_error_code'": 1}),
    ({"a": 1}, '{"a": 1}', {"wrong type for 'data.t_error_code'": 1}),
])
def test_slow_path_text_fields(tmp_path, value, code, repaired):
    rows, rep = coerced(tmp_path, t_error_code=value)
    assert [r["error_code"] for r in rows] == [code] and rep == repaired


@pytest.mark.parametrize("value, size", [
    (12, 12), (" 12 ", 12), ("-3", -3), (12.0, 12), (True, 1), (False, 0),
    (1000.0, 1000), (2**63 - 1, 2**63 - 1), (-(2**63), -(2**63)),
    (2**63, None), (-(2**63) - 1, None), (12.5, None), (float(2**63), None), ("x", None), ([1], None),
    ({"a": 1}, None),
])
def test_slow_path_integer_fields(tmp_path, value, size):
    rows, rep = coerced(tmp_path, f_size=value)
    assert [r["file_size"] for r in rows] == [size]
    assert rep == ({} if size is not None else {"wrong type for 'data.f_size'": 1})


def test_slow_path_repairs_are_counted_per_value(tmp_path):
    recs = [{"data": {"t_final_transfer_state_flag": 0, "t__error_message": f"m{i}", "t_error_code": [i],
                      "f_size": "big", "file_metadata": 7}} for i in range(3)]
    table, report = read(tmp_path, gz(lines(recs) + b"{\n"))
    assert counts(report) == (4, 3, {MALFORMED: 1}, {"wrong type for 'data.t_error_code'": 3,
                                                     "wrong type for 'data.f_size'": 3,
                                                     "'data.file_metadata' is not an object": 3}, None)
    assert table.column("error_code").to_pylist() == ["[0]", "[1]", "[2]"]
    assert table.column("file_size").to_pylist() == [None] * 3


def test_slow_path_structs_and_nested_names(tmp_path):
    rows, rep = coerced(tmp_path, file_metadata="not an object", src_hostname="h")
    assert rows[0]["src_rse"] is None and rows[0]["src_host"] == "h"
    assert rep == {"'data.file_metadata' is not an object": 1}
    rows, rep = coerced(tmp_path, file_metadata={"src_rse": 5, "dst_rse": ["x"]})
    assert (rows[0]["src_rse"], rows[0]["dst_rse"]) == ("5", '["x"]')
    assert rep == {"wrong type for 'data.file_metadata.dst_rse'": 1}


def test_slow_path_flag_as_text_and_a_data_that_is_not_an_object(tmp_path):
    text = lines([{"data": {"t_final_transfer_state_flag": "0", "t__error_message": "text flag"}},
                  {"data": {"t_final_transfer_state_flag": "zero", "t__error_message": "bad flag"}},
                  {"data": 5}, {"data": "x", "metadata": {"timestamp": "1"}}]) + b"{\n"
    table, report = read(tmp_path, gz(text))
    assert counts(report) == (5, 1, {MALFORMED: 1, NO_DATA: 2},
                              {"wrong type for 'data.t_final_transfer_state_flag'": 1, "'data' is not an object": 2},
                              None)
    assert msgs(table) == ["text flag"]


def test_rucio_stream_on_the_slow_path(tmp_path):
    text = lines([rucio_record("r1"), rucio_record("ok", event_type="transfer-done"),
                  rucio_record("r2", bytes="7")]) + b"nope\n"
    table, report = read(tmp_path, gz(text), stream="rucio")
    assert counts(report) == (4, 2, {MALFORMED: 1}, {}, None)
    assert msgs(table) == ["r1", "r2"] and table.column("file_size").to_pylist() == [99, 7]


def test_rucio_stream_on_the_fast_path(tmp_path):
    table, report = read(tmp_path, gz(lines([rucio_record("r1"), {"metadata": {}}])), stream="rucio")
    assert counts(report) == (2, 1, {NO_DATA: 1}, {}, None)


def test_an_unreadable_file_is_a_problem_with_no_records(tmp_path):
    path = tmp_path / "missing.json.gz"
    table, report = read_part_file(FS, str(path), "fts")
    assert table.num_rows == 0 and table.schema == ERROR_SCHEMA
    assert (report.records, report.failures, report.skipped, report.repaired) == (0, 0, Counter(), Counter())
    assert report.problem.startswith("cannot read the file (") and report.problem.endswith(
        "); its records are missing from this load")
    assert not report.clean


def test_an_empty_gzip_member_has_no_records(tmp_path):
    table, report = read(tmp_path, gz(b""))
    assert counts(report) == (0, 0, {}, {}, None) and report.clean


def test_a_line_longer_than_a_block_is_read_on_the_slow_path(tmp_path):
    from opint_core.load.reader import BLOCK_SIZE
    huge = "X" * (BLOCK_SIZE + 10)
    table, report = read(tmp_path, gz(lines([fts_record(huge), fts_record("after")])))
    assert counts(report) == (2, 2, {}, {}, None) and msgs(table) == [huge, "after"]


# --------------------------------------------------------------------------------------------------
# FileReport

def test_file_report_clean_describe_and_round_trip():
    r = FileReport("p")
    assert r.clean and r.describe() == ""
    r.skipped["b reason"] += 2
    r.skipped["a reason"] += 1
    r.repaired["z fix"] += 3
    assert not r.clean
    assert r.describe() == "1 skipped: a reason; 2 skipped: b reason; 3 repaired: z fix"
    r.problem = "damaged"
    assert r.describe() == "damaged; 1 skipped: a reason; 2 skipped: b reason; 3 repaired: z fix"
    r.records, r.failures = 10, 4
    d = r.to_dict()
    assert d == {"path": "p", "records": 10, "failures": 4, "skipped": {"b reason": 2, "a reason": 1},
                 "repaired": {"z fix": 3}, "problem": "damaged", "unreadable": False}
    assert json.loads(json.dumps(d)) == d and FileReport.from_dict(d) == r
    assert not FileReport("p", repaired=Counter({"x": 1})).clean
    assert not FileReport("p", problem="x").clean
    assert FileReport("p", skipped=Counter({"x": 1})).describe() == "1 skipped: x"


def test_missing_fields_on_the_careful_pyarrow_path(tmp_path):
    # a gzip cut at a line end: the careful path, where pyarrow parses the decompressed text with the
    # explicit schema; no line has any field but these two, yet every column exists (as nulls)
    recs = [{"data": {"t_final_transfer_state_flag": 0, "t__error_message": "bare"}},
            {"data": {"t_final_transfer_state_flag": 1}}]
    table, report = read(tmp_path, gz_cut(lines(recs), b"more\n"))
    assert counts(report) == (2, 1, {}, {}, TRUNCATED)
    [row] = table.to_pylist()
    assert row == {**{name: None for name in ERROR_SCHEMA.names}, "message": "bare", "stream": "fts"}
