"""The Spark job's result, read back and turned into ErrorTables.

The job returns, per part (the selected days; the baseline days) and per template (masked
string): the count per hour (with the first and last time in it), per value of every ErrorTable
column, and the most frequent raw messages. That is every *per-template marginal*
that the downstream code (clustering, Insight, trends, reports) looks at. Besides, per traffic key
the attempts and failures of every record: ``traffic_table``, the loader's traffic table, exact.

``compact_table`` rebuilds rows from those marginals: for each template, its counts per hour, per
source site, per error code, ... are laid end to end on one axis of ``count`` failures and cut
wherever any of them changes value (a comonotone coupling). Each row holds one value of every
column and a ``count`` of failures; for every template, the sum of ``count`` over the rows with a
given value of a column is exactly the number of its failures with that value, and the times are
hour starts (never before the template's first time), except the first and last time, which are
exact: timelines (whole-hour bins) and first/last seen come out exact. Rows are therefore *not*
records: combinations of values across columns (this source with that destination) are not
meaningful, while every count per template and column -- and so per category, a union of
templates -- is. The number of rows is at most the sum over templates of the distinct values of
each column, whatever the number of failures.

This compact table is what the Spark path hands downstream: clustering (``cluster_table``),
Insight, trends and reports weight every count by ``count`` (see opint_core.load.schema), so the
figures are those of the failures while memory follows the rows.

``message`` holds the sampled raw messages (the most frequent per template, exact counts); the
failures of other messages have a null ``message``. ``template`` is the masked string.
"""
from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

import numpy as np
import pyarrow as pa
import pyarrow.fs as pafs

from opint_core.load.filesystem import open_archive_fs
from opint_core.load.reader import FileReport
from opint_core.load.records import TIME_OUT_OF_RANGE
from opint_core.load.schema import ERROR_SCHEMA, HOUR_MS, TRAFFIC_KEYS, TRAFFIC_SCHEMA
from opint_core.load.traffic import sorted_traffic
from opint_core.spark.job import DIMENSIONS   # the job's own list: job.py imports nothing of opint


@dataclass
class PartResult:
    """The job's result for one part, by template (masked string)."""

    totals: dict[str, tuple[int, int | None, int | None]] = field(default_factory=dict)  # n, first, last time
    dims: dict[str, dict[str, list[tuple[str | None, int]]]] = field(default_factory=lambda: defaultdict(dict))
    messages: dict[str, list[tuple[str, int]]] = field(default_factory=lambda: defaultdict(list))
    files: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    traffic: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))  # key -> attempts, failures

    @property
    def failures(self) -> int:
        return sum(t[0] for t in self.totals.values())


def read_result(result_uri: str) -> list[dict]:
    """The JSON lines of the job's result directory (part-* files), on any pyarrow filesystem."""
    fs, path = open_archive_fs(result_uri)
    infos = fs.get_file_info(pafs.FileSelector(path, recursive=False))
    rows = []
    for info in sorted((i for i in infos if i.base_name.startswith("part-")), key=lambda i: i.path):
        with fs.open_input_stream(info.path, compression="detect") as f:
            for line in f.read().decode("utf-8").split("\n"):  # not splitlines: U+2028 is data
                if line.strip():
                    rows.append(json.loads(line))
    return rows


def parse_rows(rows: list[dict], nparts: int) -> list[PartResult]:
    parts = [PartResult() for _ in range(nparts)]
    for r in rows:
        p = parts[int(r["part"])]
        kind = r["kind"]
        if kind == "D":
            t, n = r["template"], int(r["n"])
            p.dims[t].setdefault(r["dim"], []).append((r.get("value"), n))
            if r["dim"] == "hour":   # every failure has one hour (or none): the template's count
                total, lo, hi = p.totals.get(t, (0, None, None))
                tmin, tmax = r.get("tmin"), r.get("tmax")
                p.totals[t] = (total + n, lo if tmin is None or (lo is not None and lo <= tmin) else tmin,
                               hi if tmax is None or (hi is not None and hi >= tmax) else tmax)
        elif kind == "M":
            p.messages[r["template"]].append((r.get("value") or "", int(r["n"])))
        elif kind == "F":
            p.files[r["value"]][r["dim"]] += int(r["n"])
        elif kind == "X":
            p.traffic[r["value"]][r["dim"]] += int(r["n"])
    for p in parts:   # the result comes in several files, in no particular order
        for msgs in p.messages.values():
            msgs.sort(key=lambda m: (-m[1], m[0]))
    return parts


def uri_path(uri: str) -> str:
    """The filesystem path of a file URI as Spark reports it (percent-encoded)."""
    return unquote(urlsplit(uri).path) if "://" in uri else uri


def file_reports(part: PartResult) -> list[FileReport]:
    """The job's per-file counts as the loader's FileReports (damage inside gzip is not seen)."""
    out = []
    for uri, c in sorted(part.files.items()):
        rep = FileReport(uri_path(uri), records=c["records"], failures=c["failures"])
        if c["malformed"]:
            rep.skipped["malformed JSON line"] += c["malformed"]
        if c["non_utf8"]:
            rep.repaired["non-UTF-8 bytes replaced by U+FFFD"] += c["non_utf8"]
        if c["no_data"]:
            rep.skipped["record without a 'data' object"] += c["no_data"]
        if c["no_message"]:
            rep.repaired["failure without an error message"] += c["no_message"]
        if c["time_out_of_range"]:
            rep.repaired[TIME_OUT_OF_RANGE] += c["time_out_of_range"]
        out.append(rep)
    return out


def duplicates(part: PartResult) -> int:
    """The failures of a part read more than once (the same transfer), counted once in its templates."""
    return sum(c["duplicates"] for c in part.files.values())


def traffic_table(part: PartResult) -> pa.Table:
    """The job's traffic counts of a part as the loader's traffic table (TRAFFIC_SCHEMA)."""
    keys = [json.loads(k) for k in part.traffic]
    columns = {name: [k[i] for k in keys] for i, name in enumerate(TRAFFIC_KEYS)}
    columns["hour"] = [None if h is None else int(h) * HOUR_MS for h in columns["hour"]]
    columns["attempts"] = [c["attempts"] for c in part.traffic.values()]
    columns["failures"] = [c["failures"] for c in part.traffic.values()]
    arrays = [pa.array(columns[f.name], pa.int64() if f.name == "hour" else f.type) for f in TRAFFIC_SCHEMA]
    table = pa.Table.from_arrays([a.cast(f.type) for a, f in zip(arrays, TRAFFIC_SCHEMA)], schema=TRAFFIC_SCHEMA)
    return sorted_traffic(table)


def _time_entries(n: int, tmin, tmax, hours: list[tuple[str | None, int]]) -> list[tuple[int | None, int]]:
    """The time marginal of one template: first and last time exact, the rest at hour starts."""
    counts = Counter()
    nulls = 0
    for value, c in hours:
        if value is None:
            nulls += c
        else:
            counts[int(value)] += c
    nonnull = n - nulls
    entries: list[tuple[int | None, int]] = []
    if nonnull >= 1 and tmin is not None:
        entries.append((int(tmin), 1))
        counts[int(tmin) // HOUR_MS] -= 1
        if nonnull >= 2 and tmax is not None:
            entries.append((int(tmax), 1))
            counts[int(tmax) // HOUR_MS] -= 1
    # the hour start, but never before the first time (same hour, so the same timeline bin):
    # first/last seen of a category -- a union of templates -- stay exact
    first = int(tmin) if tmin is not None else None
    entries += [(h * HOUR_MS if first is None else max(h * HOUR_MS, first), c)
                for h, c in sorted(counts.items()) if c > 0]
    if nulls:
        entries.append((None, nulls))
    return entries


def _entries(n: int, pairs: list[tuple[str | None, int]], *, fill_null: bool = True) -> list[tuple[str | None, int]]:
    """Values of one column for one template, nulls last; a shortfall (messages beyond the samples)
    becomes a null entry so that every column adds up to the template's count."""
    nonnull = sorted(((v, c) for v, c in pairs if v is not None and c > 0), key=lambda p: (-p[1], p[0]))
    nulls = sum(c for v, c in pairs if v is None)
    short = n - nulls - sum(c for _, c in nonnull)
    if short < 0:
        raise ValueError(f"the Spark result is inconsistent: a column adds up to more than the template's {n}")
    if fill_null:
        nulls += short
    elif short:
        raise ValueError(f"the Spark result is inconsistent: a column adds up to {n - short}, not {n}")
    return nonnull + ([(None, nulls)] if nulls else [])


def compact_table(part: PartResult, stream: str) -> pa.Table:
    """The rows of one part (see the module docstring): ERROR_SCHEMA + ``count`` + ``template``."""
    templates = sorted(part.totals)
    columns = ["time", "message", *DIMENSIONS]
    entries: dict[str, list[list]] = {c: [] for c in columns}
    sizes = []
    for t in templates:
        n, tmin, tmax = part.totals[t]
        sizes.append(n)
        dims = part.dims.get(t, {})
        entries["time"].append(_time_entries(n, tmin, tmax, dims.get("hour", [])))
        entries["message"].append(_entries(n, part.messages.get(t, []), fill_null=True))
        for c in DIMENSIONS:
            entries[c].append(_entries(n, dims.get(c, []), fill_null=False))
    if not templates:
        return _empty()
    template_ends = np.cumsum(np.asarray(sizes, dtype=np.int64))
    ends, values = {}, {}
    for c in columns:
        flat = [e for per_template in entries[c] for e in per_template]
        ends[c] = np.cumsum(np.fromiter((cnt for _, cnt in flat), dtype=np.int64, count=len(flat)))
        values[c] = [v for v, _ in flat]
        if ends[c][-1] != template_ends[-1]:
            raise ValueError(f"the Spark result is inconsistent: column {c} adds up to {ends[c][-1]}, "
                             f"not {template_ends[-1]}")
    bounds = np.unique(np.concatenate([template_ends] + [ends[c] for c in columns]))
    bounds = bounds[bounds > 0]
    starts = np.concatenate([[0], bounds[:-1]]).astype(np.int64)
    count = bounds - starts
    arrays = {"count": pa.array(count, pa.int64())}
    tidx = np.searchsorted(template_ends, starts, side="right")
    arrays["template"] = _dictionary(tidx, templates)
    for c in columns:
        idx = np.searchsorted(ends[c], starts, side="right")
        if c == "time":
            arrays[c] = pa.array(values[c], pa.int64()).take(pa.array(idx)).cast(pa.timestamp("ms", tz="UTC"))
        else:
            arrays[c] = _dictionary(idx, values[c])
    nrows = len(count)
    arrays["stream"] = _dictionary(np.zeros(nrows, dtype=np.int64), [stream])
    arrays["file_size"] = pa.nulls(nrows, pa.int64())
    arrays["transfer_id"] = pa.nulls(nrows, pa.dictionary(pa.int32(), pa.string()))
    schema = _schema()
    return pa.Table.from_arrays([arrays[name] for name in schema.names], schema=schema)


def _dictionary(indices: np.ndarray, values: list) -> pa.DictionaryArray:
    """Row i holds values[indices[i]]: a long message or template repeated over a template's rows
    is stored once."""
    return pa.DictionaryArray.from_arrays(pa.array(indices, pa.int32()), pa.array(values, pa.string()))


def _schema() -> pa.Schema:
    """ERROR_SCHEMA + count + template; string columns dictionary-encoded."""
    fields = [pa.field(f.name, pa.dictionary(pa.int32(), pa.string())) if pa.types.is_string(f.type) else f
              for f in ERROR_SCHEMA]
    return pa.schema(fields).append(pa.field("count", pa.int64())).append(
        pa.field("template", pa.dictionary(pa.int32(), pa.string())))


def _empty() -> pa.Table:
    return _schema().empty_table()


def expansion(counts) -> np.ndarray:
    """Row index of each failure: np.repeat(arange(rows), counts). Tests and benchmarks only."""
    counts = np.asarray(counts, dtype=np.int64)
    return np.repeat(np.arange(counts.shape[0], dtype=np.int64), counts)


def expand_table(table: pa.Table, index: np.ndarray) -> pa.Table:
    """One row per failure (no ``count`` column): what the compact table stands for, to compare
    the two in tests and benchmarks (downstream code weights the compact table instead). String
    columns are dictionary-encoded, so a failure costs a few bytes per column, not a copy of its
    strings."""
    cols, fields = [], []
    take = pa.array(index)
    for f in table.schema:
        if f.name == "count":
            continue
        col = table.column(f.name).combine_chunks()
        if pa.types.is_string(f.type):
            col = col.dictionary_encode()
        cols.append(col.take(take))
        fields.append(pa.field(f.name, cols[-1].type))
    return pa.Table.from_arrays(cols, schema=pa.schema(fields))

