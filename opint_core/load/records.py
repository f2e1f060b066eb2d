"""Per stream: the JSON fields read from the archive, which records are failures, and how they map to
the ErrorTable columns. Everything here is vectorised over Arrow arrays."""
from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from collections import Counter
from functools import cache as once   # a column used by several others is computed once

from opint_core.load.schema import (ENCODED_COLUMNS, ERROR_SCHEMA, PLAIN_ERROR_SCHEMA, TIME_MAX_MS, TIME_MIN_MS,
                                   TRAFFIC_KEYS, TRAFFIC_SCHEMA)
from opint_core.load.traffic import count_traffic_encoded

_S, _I = pa.string(), pa.int64()

# Only the fields we use: an explicit schema makes pyarrow skip the other ~60 columns cheaply.
RAW_SCHEMAS = {
    "fts": pa.schema([
        ("data", pa.struct([
            ("t__error_message", _S), ("t_error_code", _S), ("t_final_transfer_state", _S),
            ("t_final_transfer_state_flag", _I), ("tr_error_category", _S), ("tr_error_scope", _S),
            ("t_failure_phase", _S), ("src_hostname", _S), ("dst_hostname", _S),
            ("src_site_name", _S), ("dst_site_name", _S), ("vo", _S), ("activity", _S),
            ("tr_timestamp_complete", _I), ("f_size", _I), ("tr_id", _S),
            ("file_metadata", pa.struct([("src_rse", _S), ("dst_rse", _S), ("activity", _S)])),
        ])),
        ("metadata", pa.struct([("timestamp", _I)])),
    ]),
    "rucio": pa.schema([
        ("data", pa.struct([
            ("event_type", _S), ("reason", _S), ("src_rse", _S), ("dst_rse", _S), ("rse", _S),
            ("src_url", _S), ("dst_url", _S), ("url", _S), ("activity", _S), ("vo", _S),
            ("created_at", _S), ("file_size", _I), ("bytes", _I), ("request_id", _S),
        ])),
        ("metadata", pa.struct([("timestamp", _I)])),
    ]),
}

_HOST_OF_URL = r"^[A-Za-z][A-Za-z0-9+.-]*://(?:[^@/]*@)?(?P<host>\[[^\]]*\]|[^:/?#]+)"
_L0_WRAPPER = r"^(?P<scope>SOURCE|DESTINATION|TRANSFER|GENERAL_FAILURE|STAGING|ARCHIVING) \[(?P<code>\d+)\]"
_ISO_TIME = r"^(?P<date>\d{4}-\d{2}-\d{2})[ T](?P<time>\d{2}:\d{2}:\d{2})(?:\.(?P<frac>\d{1,9}))?"


def is_failure(stream: str, raw: pa.Table) -> pa.Array:
    """FTS: t_final_transfer_state_flag == 0 (Error). Rucio: event types ending in 'failed'."""
    data = raw.column("data")
    if stream == "fts":
        flag = pc.struct_field(data, "t_final_transfer_state_flag")
        return pc.fill_null(pc.equal(flag, 0), False)
    event = pc.struct_field(data, "event_type")
    return pc.fill_null(pc.match_substring_regex(event, r"failed$"), False)


def _blank_to_null(arr):
    return pc.if_else(pc.equal(arr, ""), pa.scalar(None, arr.type), arr)


# a CMS RSE is its site's name, sometimes with a storage suffix: T1_US_FNAL_Disk -> T1_US_FNAL, while
# T2_UK_London_IC is a site of its own (stopping at the first "_" would make it T2_UK_London)
_CMS_SITE = r"^(?P<site>T[0-3]_[A-Z]{2}_[A-Za-z0-9_-]+?)(?:_(?:Disk|Tape|Temp|Test|MSS|Buffer|Export|Ceph))?$"


# an ATLAS-style RSE is its site's name and a space token after the last "_" (SWT2_CPB_DATADISK -> SWT2_CPB)
_RSE_SITE = r"^(?P<site>.+?)(?:_[^_]*)?$"


def site_of_rse(rse):
    """THE site derivation from an RSE (the pipeline then names it by the site table): the CMS site of a
    CMS RSE (T1_US_FNAL_Disk -> T1_US_FNAL), else the RSE without its space token (BNL-OSG2_DATADISK ->
    BNL-OSG2)."""
    cms = _blank_to_null(pc.struct_field(pc.extract_regex(rse, _CMS_SITE), "site"))
    return pc.coalesce(cms, _blank_to_null(pc.struct_field(pc.extract_regex(rse, _RSE_SITE), "site")))


def _per_distinct(fn, arr):
    """``fn(arr)`` computed once per distinct value: a day has millions of records but a few hundred RSEs."""
    arr = arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr
    encoded = pc.dictionary_encode(arr)
    return pc.take(fn(encoded.dictionary), encoded.indices)


def _site(site_name, rse):
    """The archive's site name when set (it usually is not), else the site of the RSE (site_of_rse)."""
    from_rse = _per_distinct(site_of_rse, rse)
    if site_name is None:
        return from_rse
    return pc.coalesce(_blank_to_null(site_name), from_rse)


def _host(url):
    return _blank_to_null(pc.struct_field(pc.extract_regex(url, _HOST_OF_URL), "host"))


TIME_OUT_OF_RANGE = "time outside the years 1-9999: the record's other time used, or none"


def _outside_time_range(ms) -> pa.Array:
    return pc.or_(pc.less(ms, TIME_MIN_MS), pc.greater(ms, TIME_MAX_MS))


def _in_time_range(ms) -> pa.Array:
    return pc.if_else(_outside_time_range(ms), pa.scalar(None, pa.int64()), ms)


def failure_times(own_ms, meta_ms) -> tuple[pa.Array, pa.Array]:
    """(time of each record, whether its time was out of range): its own time (epoch ms), else
    MONIT's. A time outside the years 1-9999 counts as none -- it would overflow every later step
    that shows or bins it -- so the other time is used in its place, or none."""
    wild = pc.fill_null(_outside_time_range(pc.coalesce(own_ms, meta_ms)), False)
    times = pc.coalesce(_in_time_range(own_ms), _in_time_range(meta_ms))
    return pc.cast(times, pa.timestamp("ms", tz="UTC")), wild


def parse_times(text) -> pa.Array:
    """ISO-like strings ('2026-11-24 13:45:12.123456') or epoch seconds/ms as text -> epoch ms (int64);
    anything else -> null."""
    parts = pc.extract_regex(text, _ISO_TIME)
    stamp = pc.binary_join_element_wise(pc.struct_field(parts, "date"), pc.struct_field(parts, "time"), " ")
    seconds = pc.strptime(stamp, format="%Y-%m-%d %H:%M:%S", unit="ms", error_is_null=True)
    frac = pc.utf8_slice_codeunits(pc.binary_join_element_wise(pc.struct_field(parts, "frac"), "000", ""), 0, 3)
    parsed = pc.add(pc.cast(seconds, pa.int64()), pc.cast(_blank_to_null(frac), pa.int64()))
    digits = pc.if_else(pc.match_substring_regex(text, r"^\d{9,13}$"), text, pa.scalar(None, pa.string()))
    number = pc.cast(digits, pa.int64())
    ms = pc.if_else(pc.less(number, 10**11), pc.multiply(number, 1000), number)  # seconds or ms
    return pc.coalesce(parsed, ms)


def to_error_table(stream: str, raw: pa.Table) -> tuple[pa.Table, Counter]:
    """Failures only, mapped to ERROR_SCHEMA; and per reason, the failures whose values the mapping
    repaired."""
    table, repaired, _ = to_tables(stream, raw, traffic=False)
    return table, repaired


def to_tables(stream: str, raw: pa.Table, traffic: bool = True) -> tuple[pa.Table, Counter, pa.Table]:
    """(the failures mapped to ERROR_SCHEMA; per reason, the failures whose values the mapping
    repaired; the traffic of every record with a 'data' object, TRAFFIC_SCHEMA with its keys
    dictionary-encoded, ``count_traffic_encoded``).

    The traffic's columns are mapped for every record, the rest for the failures only: successes,
    most of the records, cost no more than what the traffic needs. ``traffic=False``: no traffic
    counted (an empty table), to measure what counting it costs."""
    if raw.column("data").null_count:   # a copy of the whole file's records: only when some lack data
        raw = raw.filter(pc.is_valid(raw.column("data")))
    failed = is_failure(stream, raw)
    if traffic:
        keys, wild = _map_records(stream, raw, _TRAFFIC_SOURCES)
        details, _ = _map_records(stream, raw.filter(failed), _DETAILS)
        failures = keys.filter(failed)
        table = pa.Table.from_arrays([(failures if name in _TRAFFIC_SOURCES else details).column(name)
                                      for name in ERROR_SCHEMA.names], schema=PLAIN_ERROR_SCHEMA)
        wild = pc.and_(wild, failed)
    else:
        table, wild = _map_records(stream, raw.filter(failed), ERROR_SCHEMA.names)
    table = encoded(table)
    wild_failures = int(pc.sum(wild).as_py() or 0)
    repaired = Counter({TIME_OUT_OF_RANGE: wild_failures} if wild_failures else {})
    return table, repaired, count_traffic_encoded(keys, failed) if traffic else TRAFFIC_SCHEMA.empty_table()


def encoded(table: pa.Table) -> pa.Table:
    """``table`` (PLAIN_ERROR_SCHEMA) in ERROR_SCHEMA: its text columns dictionary-encoded (per file: a few
    milliseconds, and the day then holds each distinct text once per file)."""
    columns = [pc.dictionary_encode(table.column(name)) if name in ENCODED_COLUMNS else table.column(name)
               for name in ERROR_SCHEMA.names]
    return pa.Table.from_arrays(columns, schema=ERROR_SCHEMA)


_TRAFFIC_SOURCES = ("time",) + TRAFFIC_KEYS[1:]   # the ErrorTable columns the traffic is counted by
_DETAILS = tuple(name for name in ERROR_SCHEMA.names if name not in _TRAFFIC_SOURCES)


def _map_records(stream: str, raw: pa.Table, names) -> tuple[pa.Table, pa.Array | None]:
    """Every record of ``raw`` mapped to the ERROR_SCHEMA columns ``names`` (only those computed);
    and whether its time was out of range (None when ``names`` has no time)."""
    n = raw.num_rows
    # the fields are taken chunk by chunk: combining the chunks first would copy every field of the file
    data = raw.column("data") if n else pa.array([], RAW_SCHEMAS[stream].field("data").type)
    meta_time = pc.struct_field(raw.column("metadata"), "timestamp") if n else pa.array([], _I)
    f = lambda name: pc.struct_field(data, name)  # noqa: E731
    nulls = lambda: pa.nulls(n, _S)  # noqa: E731
    if stream == "fts":
        fm = once(lambda: f("file_metadata"))
        src_rse = once(lambda: _blank_to_null(pc.struct_field(fm(), "src_rse")))
        dst_rse = once(lambda: _blank_to_null(pc.struct_field(fm(), "dst_rse")))
        timing = lambda: failure_times(f("tr_timestamp_complete"), meta_time)  # noqa: E731
        cols = {
            "message": lambda: f("t__error_message"),
            "error_code": lambda: _blank_to_null(f("t_error_code")),
            "error_category": lambda: _blank_to_null(f("tr_error_category")),
            "event_type": lambda: _blank_to_null(f("t_final_transfer_state")),
            "scope": lambda: _blank_to_null(f("tr_error_scope")),
            "phase": lambda: _blank_to_null(f("t_failure_phase")),
            "src_host": lambda: _blank_to_null(f("src_hostname")),
            "dst_host": lambda: _blank_to_null(f("dst_hostname")),
            "src_rse": src_rse, "dst_rse": dst_rse,
            "src_site": lambda: _site(f("src_site_name"), src_rse()),
            "dst_site": lambda: _site(f("dst_site_name"), dst_rse()),
            "vo": lambda: _blank_to_null(f("vo")),
            "activity": lambda: _blank_to_null(pc.coalesce(_blank_to_null(f("activity")),
                                                           pc.struct_field(fm(), "activity"))),
            "file_size": lambda: f("f_size"),
            "transfer_id": lambda: _blank_to_null(f("tr_id")),
        }
    else:
        wrapper = once(lambda: pc.extract_regex(f("reason"), _L0_WRAPPER))
        deletion = once(lambda: pc.fill_null(pc.starts_with(f("event_type"), "deletion"), False))
        src_rse = once(lambda: _blank_to_null(f("src_rse")))
        # A deletion has one place, the RSE deleted from: shown on the destination side.
        dst_field = once(lambda: _blank_to_null(f("dst_rse")))
        dst_rse = once(lambda: pc.if_else(deletion(), pc.coalesce(_blank_to_null(f("rse")), dst_field()), dst_field()))
        timing = lambda: failure_times(parse_times(f("created_at")), meta_time)  # noqa: E731
        cols = {
            "message": lambda: f("reason"),
            "error_code": lambda: _blank_to_null(pc.struct_field(wrapper(), "code")),
            "error_category": nulls,
            "event_type": lambda: _blank_to_null(f("event_type")),
            "scope": lambda: _blank_to_null(pc.struct_field(wrapper(), "scope")),
            "phase": nulls,
            "src_host": lambda: _host(f("src_url")),
            "dst_host": lambda: pc.if_else(deletion(), pc.coalesce(_host(f("url")), _host(f("dst_url"))),
                                           _host(f("dst_url"))),
            "src_rse": src_rse, "dst_rse": dst_rse,
            "src_site": lambda: _site(None, src_rse()),
            "dst_site": lambda: _site(None, dst_rse()),
            "vo": lambda: _blank_to_null(f("vo")),
            "activity": lambda: _blank_to_null(f("activity")),
            "file_size": lambda: pc.coalesce(f("file_size"), f("bytes")),
            "transfer_id": lambda: _blank_to_null(f("request_id")),
        }
    time, wild = timing() if "time" in names else (None, None)
    cols["time"] = lambda: time
    cols["stream"] = lambda: pa.repeat(pa.scalar(stream), n) if n else pa.array([], _S)
    schema = pa.schema([PLAIN_ERROR_SCHEMA.field(name) for name in names])
    arrays = [cols[name]() for name in names]
    arrays = [a.combine_chunks() if isinstance(a, pa.ChunkedArray) else a for a in arrays]
    table = pa.Table.from_arrays([pc.cast(a, fld.type) for a, fld in zip(arrays, schema)], schema=schema)
    return table, wild
