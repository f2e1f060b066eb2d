"""Hostile and unlucky archives: real gzip part files in the MONIT layout, one named case per class of
issue 18 that concerns reading the archive (and the classes that already held up), each with the
figures the loader must report for it; plus Hypothesis strategies of arbitrary records and lines
for the fuzz of the record mapping.

    case = build_case("deep-json", tmp_path / "archive")
    et = load_errors(case.uri, case.selection, stream=case.stream, use_cache=False)
    assert et.failures == case.failures and et.report.skipped_by_reason() == case.skipped

- ``CASES``: name -> builder. Classes that failed before issue 18: ``deep-json`` (a line nested
  deeper than Python's json recurses, in a file that also has a malformed line), ``wild-times-fts``
  and ``wild-times-rucio`` (times outside the years 1-9999, at the int64 limits),
  ``duplicates-fts`` and ``duplicates-rucio`` (the same transfer read twice: a compaction re-run, a
  repeated record, a record in the neighbouring day's DD.tmp); ``unreadable`` (a day whose file the
  test makes unreadable). Classes that held up: ``deep-json-alone``, ``damaged-gzip``, ``bad-json``,
  ``non-utf8``, ``missing-fields``, ``terminal-escapes`` (escape sequences in the data and in a file
  name: the loader keeps them as data; showing them is the terminal's gate, opint_tui.safe).
- ``json_value``, ``record``, ``archive_line``: strategies of JSON values of any type, of records
  with any fields (the ones opint reads among them) and of lines (records, JSON that is no object,
  bytes that are no JSON).
"""
from __future__ import annotations

import datetime as dt
import gzip
import json
import shutil
import zlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from hypothesis import strategies as st

from archive_factory import day_dir, fts_record, lines, rucio_record, write_part
from opint_core.load.records import RAW_SCHEMAS
from opint_core.load.selection import Selection

DAY = dt.date(2025, 11, 24)
NEXT_DAY = DAY + dt.timedelta(days=1)
NOON_MS = int(dt.datetime(2025, 11, 24, 12, tzinfo=dt.timezone.utc).timestamp() * 1000)
INT64_MAX, INT64_MIN = 2**63 - 1, -(2**63)

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
TIME_MIN_MS = (dt.datetime(1, 1, 1, tzinfo=dt.timezone.utc) - _EPOCH) // dt.timedelta(milliseconds=1)
TIME_MAX_MS = (dt.datetime.max.replace(tzinfo=dt.timezone.utc) - _EPOCH) // dt.timedelta(milliseconds=1)

# what the loader says (the user-facing reasons of FileReport.skipped and .repaired)
NESTED_TOO_DEEP = "JSON line nested too deep"
TIME_OUT_OF_RANGE = "time outside the years 1-9999: the record's other time used, or none"
MALFORMED = "malformed JSON line"
NOT_AN_OBJECT = "JSON line that is not an object"
NO_DATA = "record without a 'data' object"
NO_MESSAGE = "failure without an error message"
NON_UTF8 = "non-UTF-8 bytes replaced by U+FFFD"
CUT = "line cut by the damage"

ESCAPES = "\x1b]52;c;aGFja2Vk\x07\x1b[2J\x1b[?1049l\x9b31m"   # clipboard write, clear, leave alt screen, C1 CSI


@dataclass
class HostileArchive:
    """An archive written by a case, and what a load of ``selection`` must report."""

    name: str
    root: Path
    stream: str
    days: tuple[dt.date, ...]
    failures: int                                   # failures loaded, each transfer once
    skipped: Counter = field(default_factory=Counter)   # reason -> lines, over the load
    repaired: Counter = field(default_factory=Counter)  # reason -> records, over the load
    duplicates: int = 0
    problems: int = 0                               # files with file-level damage
    victim: Path | None = None                      # ``unreadable``: the file the test takes away

    @property
    def uri(self) -> str:
        return str(self.root)

    @property
    def selection(self) -> Selection:
        return Selection.range(self.days[0], self.days[-1])


def fts(message: str, transfer: str | None, *, when_ms: int = NOON_MS, meta_ms: int | None = None, **extra) -> dict:
    """An FTS failure of transfer ``transfer`` (its tr_id; None: a record without one)."""
    rec = fts_record(message, when_ms=when_ms, **extra)
    rec["data"]["tr_id"] = transfer if transfer is not None else ""
    rec["metadata"]["timestamp"] = when_ms if meta_ms is None else meta_ms
    return rec


def tr_id(file_id: int, start: str = "2025-11-24-1150", job: str = "5c2b1f0e-job") -> str:
    """FTS's tr_id: attempt start __ source host __ destination host __ file id __ job id."""
    return f"{start}__se1.example.org__se2.example.org__{file_id}__{job}"


def _write(root: Path, stream: str, day: dt.date, records_or_bytes, *, index: int = 0, tmp: bool = False) -> Path:
    payload = records_or_bytes if isinstance(records_or_bytes, bytes) else lines(records_or_bytes)
    return write_part(day_dir(root, stream, day, tmp=tmp), payload, index=index)


def deep_line(levels: int = 1200) -> bytes:
    """A failure whose unknown field ``x`` nests ``levels`` arrays: more than json.loads recurses."""
    return (b'{"data": {"t_final_transfer_state_flag": 0, "t__error_message": "deep", "x": '
            + b"[" * levels + b"]" * levels + b"}}\n")


# --------------------------------------------------------------------------------------------------
# classes that failed before issue 18

def deep_json(root: Path) -> HostileArchive:
    """Two failures, a success, a line nested 1,200 deep and a malformed line: the careful path."""
    good = lines([fts("a", tr_id(1)), fts("b", tr_id(2)), fts_record(flag=1)])
    _write(root, "fts", DAY, good + deep_line() + b'{"data": {bad\n')
    return HostileArchive("deep-json", root, "fts", (DAY,), failures=2,
                          skipped=Counter({NESTED_TOO_DEEP: 1, MALFORMED: 1}))


def wild_times_fts(root: Path) -> HostileArchive:
    """Completion times at the int64 limits and beyond year 9999, MONIT's time as the fallback; the
    limits of the years 1-9999 themselves are fine."""
    recs = [
        fts("int64 max", tr_id(1), when_ms=INT64_MAX),                    # both times wild: none
        fts("int64 min", tr_id(2), when_ms=INT64_MIN),
        fts("year 10000", tr_id(3), when_ms=TIME_MAX_MS + 1, meta_ms=NOON_MS),   # MONIT's time instead
        fts("before year 1", tr_id(4), when_ms=TIME_MIN_MS - 1, meta_ms=NOON_MS),
        fts("no own time", tr_id(5), when_ms=None, meta_ms=INT64_MAX),    # MONIT's wild: none
        fts("last ms of 9999", tr_id(6), when_ms=TIME_MAX_MS),
        fts("first ms of year 1", tr_id(7), when_ms=TIME_MIN_MS),
        fts("wild MONIT time unused", tr_id(8), meta_ms=INT64_MIN),
        fts("plain", tr_id(9)),
    ]
    _write(root, "fts", DAY, recs)
    return HostileArchive("wild-times-fts", root, "fts", (DAY,), failures=9, repaired=Counter({TIME_OUT_OF_RANGE: 5}))


def wild_times_rucio(root: Path) -> HostileArchive:
    """created_at in year 0, unreadable, as epoch ms; MONIT's timestamp at the int64 limits."""
    def rec(reason, request, created_at, meta_ms):
        r = rucio_record(reason, request_id=request, created_at=created_at)
        r["metadata"]["timestamp"] = meta_ms
        return r

    recs = [
        rec("year 0", "r1", "0000-01-01 00:00:00", NOON_MS),                 # MONIT's time instead
        rec("no created_at", "r2", None, INT64_MIN),                          # none
        rec("unreadable created_at", "r3", "10000-01-01 00:00:00", NOON_MS),  # not a time: MONIT's
        rec("wild MONIT time unused", "r4", "2025-11-24 12:00:00", INT64_MAX),
        rec("epoch ms", "r5", "9999999999999", NOON_MS),                       # year 2286: fine
        rec("last second of 9999", "r6", "9999-12-31 23:59:59.999999", NOON_MS),
    ]
    _write(root, "rucio", DAY, recs)
    return HostileArchive("wild-times-rucio", root, "rucio", (DAY,), failures=6,
                          repaired=Counter({TIME_OUT_OF_RANGE: 2}))


def duplicates_fts(root: Path) -> HostileArchive:
    """One day written twice by a compaction re-run (part 0 and part 1 alike), a record repeated in a
    file, a record of the day again in the next day's DD.tmp; a retry (same job and file, another
    completion) and records without a transfer id are no duplicates.

    Files: 8 + 8 + 2 failures; duplicates: 1 in part 0, its 6 with an id in part 1, 1 in the .tmp."""
    r = [fts(f"transfer {k}", tr_id(k)) for k in range(1, 5)]
    retry = fts("transfer 1 retried", tr_id(1), when_ms=NOON_MS + 60_000)   # same start minute, later end
    no_id = fts("no transfer id", None)
    day = lines(r + [r[0], retry, no_id, no_id, fts_record(flag=1)])
    _write(root, "fts", DAY, day, index=0)
    _write(root, "fts", DAY, day, index=1)
    _write(root, "fts", NEXT_DAY, [r[1], fts("next day", tr_id(6, start="2025-11-25-0800"))], tmp=True)
    return HostileArchive("duplicates-fts", root, "fts", (DAY, NEXT_DAY), failures=18 - 8, duplicates=8)


def duplicates_rucio(root: Path) -> HostileArchive:
    """A request's failure twice; its submission failure is another event; no request id: never one."""
    failed = rucio_record("TRANSFER [70] failed", request_id="req-a")
    recs = [failed, failed, rucio_record("submission failed", event_type="transfer-submission_failed", request_id="req-a"),
            rucio_record("File Not Found", event_type="deletion-failed", request_id="req-b"),
            rucio_record("no request id", request_id=""), rucio_record("no request id", request_id="")]
    _write(root, "rucio", DAY, recs)
    return HostileArchive("duplicates-rucio", root, "rucio", (DAY,), failures=5, duplicates=1)


def unreadable(root: Path) -> HostileArchive:
    """A final day of two files; ``victim`` is the one the test makes unreadable (chmod 000, or gone
    between the listing and the read)."""
    _write(root, "fts", DAY, [fts(f"kept {k}", tr_id(k)) for k in range(3)], index=0)
    victim = _write(root, "fts", DAY, [fts(f"in the victim {k}", tr_id(10 + k)) for k in range(2)], index=1)
    return HostileArchive("unreadable", root, "fts", (DAY,), failures=5, victim=victim)


# --------------------------------------------------------------------------------------------------
# classes that held up

def deep_json_alone(root: Path) -> HostileArchive:
    """The deep line in a sound file: pyarrow parses it (its x field is not read): a failure."""
    _write(root, "fts", DAY, lines([fts("a", tr_id(1))]) + deep_line())
    return HostileArchive("deep-json-alone", root, "fts", (DAY,), failures=2)


def damaged_gzip(root: Path) -> HostileArchive:
    """A gzip member cut after its 20th line (no final block, no trailer); a sound file beside it."""
    _write(root, "fts", DAY, [fts("sound", tr_id(1))], index=0)
    z = zlib.compressobj(6, zlib.DEFLATED, 31)
    head = z.compress(lines([fts(f"before the cut {k}", tr_id(10 + k)) for k in range(20)])) + z.flush(zlib.Z_SYNC_FLUSH)
    (day_dir(root, "fts", DAY) / "part-00001-0000-c000.json.gz").write_bytes(head)
    return HostileArchive("damaged-gzip", root, "fts", (DAY,), failures=21, problems=1)


def bad_json(root: Path) -> HostileArchive:
    """Malformed lines, JSON that is no object, blank lines between good records."""
    payload = (lines([fts("a", tr_id(1))]) + b'{"data": \n' + b"[1, 2]\n" + b'"text"\n' + b"\n  \n"
               + b"\x00\x01garbage\n" + lines([fts("b", tr_id(2))]))
    _write(root, "fts", DAY, payload)
    return HostileArchive("bad-json", root, "fts", (DAY,), failures=2,
                          skipped=Counter({MALFORMED: 2, NOT_AN_OBJECT: 2}))


def non_utf8(root: Path) -> HostileArchive:
    """Latin-1 and stray bytes in a message: replaced by U+FFFD, the record kept."""
    payload = lines([fts("caf\u00e9 MARK", tr_id(1)), fts("plain", tr_id(2))]).replace(b"caf\\u00e9 MARK", b"caf\xe9 \xff")
    _write(root, "fts", DAY, payload)
    return HostileArchive("non-utf8", root, "fts", (DAY,), failures=2, repaired=Counter({NON_UTF8: 1}))


def missing_fields(root: Path) -> HostileArchive:
    """No data object, a failure with nothing but its flag, values of the wrong type."""
    recs = [{"metadata": {"timestamp": NOON_MS}},
            {"data": {"t_final_transfer_state_flag": 0}},
            fts("wrong types", tr_id(1), f_size="big", file_metadata="not an object")]
    _write(root, "fts", DAY, recs)
    return HostileArchive("missing-fields", root, "fts", (DAY,), failures=2,
                          skipped=Counter({NO_DATA: 1}),
                          repaired=Counter({NO_MESSAGE: 1, "wrong type for 'data.f_size'": 1,
                                            "'data.file_metadata' is not an object": 1}))


def terminal_escapes(root: Path) -> HostileArchive:
    """Escape sequences in a message, an error category, a host and a site, and in a file name."""
    rec = fts(f"TRANSFER {ESCAPES} failed", tr_id(1), tr_error_category=f"CAT{ESCAPES}",
              src_hostname=f"se{ESCAPES}.example.org", src_site_name=f"SITE{ESCAPES}")
    folder = day_dir(root, "fts", DAY)
    (folder / f"part-00000-{ESCAPES}-c000.json.gz").write_bytes(gzip.compress(lines([rec])))
    return HostileArchive("terminal-escapes", root, "fts", (DAY,), failures=1)


CASES: dict[str, Callable[[Path], HostileArchive]] = {
    "deep-json": deep_json,
    "wild-times-fts": wild_times_fts,
    "wild-times-rucio": wild_times_rucio,
    "duplicates-fts": duplicates_fts,
    "duplicates-rucio": duplicates_rucio,
    "unreadable": unreadable,
    "deep-json-alone": deep_json_alone,
    "damaged-gzip": damaged_gzip,
    "bad-json": bad_json,
    "non-utf8": non_utf8,
    "missing-fields": missing_fields,
    "terminal-escapes": terminal_escapes,
}


def build_case(name: str, root: Path) -> HostileArchive:
    """Write case ``name`` into a fresh archive at ``root``."""
    if Path(root).exists():
        shutil.rmtree(root)
    return CASES[name](Path(root))


# --------------------------------------------------------------------------------------------------
# strategies for the fuzz of the record mapping

_CONTROL = "".join(map(chr, range(0x20))) + "\x7f\x85\x9b\u2028\u2029\ud800\udfff\ufeff"
_texts = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=_CONTROL, max_size=10),
    st.builds(lambda c, n: c * n, st.sampled_from(["x", "\x1b", "é", "\ud83d"]), st.integers(1_000, 50_000)),
)
_numbers = st.one_of(
    st.integers(),
    st.sampled_from([INT64_MAX, INT64_MIN, INT64_MAX + 1, INT64_MIN - 1, TIME_MAX_MS + 1, TIME_MIN_MS - 1, 0, -1]),
    st.floats(allow_nan=True, allow_infinity=True),
)
_scalars = st.one_of(st.none(), st.booleans(), _numbers, _texts)
json_value = st.recursive(_scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                            st.dictionaries(st.text(max_size=8), inner, max_size=4)),
                          max_leaves=12)


def _fields_read(stream: str) -> list[str]:
    return [f.name for f in RAW_SCHEMAS[stream].field("data").type]


def record(stream: str):
    """A record with any of the fields opint reads (of any type, or missing), extra fields, and a
    failure flag or event type that is often a failure's."""
    failure = ({"t_final_transfer_state_flag": st.one_of(st.just(0), json_value)} if stream == "fts"
               else {"event_type": st.one_of(st.sampled_from(["transfer-failed", "deletion-failed"]), json_value)})
    data = st.fixed_dictionaries(failure, optional={name: json_value for name in _fields_read(stream) if name not in failure}) \
        .flatmap(lambda d: st.dictionaries(st.text(max_size=6), json_value, max_size=3).map(lambda extra: {**extra, **d}))
    return st.fixed_dictionaries({}, optional={"data": st.one_of(data, json_value),
                                               "metadata": st.one_of(st.fixed_dictionaries({"timestamp": json_value}),
                                                                     json_value)})


def archive_line(stream: str):
    """One line of a part file (no newline): a record, JSON that is no object, or bytes that are no JSON."""
    as_json = st.one_of(record(stream), json_value).map(lambda v: json.dumps(v, allow_nan=True).encode())
    broken = st.binary(max_size=60).map(lambda b: b.replace(b"\n", b" "))
    return st.one_of(as_json, as_json, as_json, broken)
