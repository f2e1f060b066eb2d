"""Read one archive part file into ErrorTable rows, whatever state it is in.

Fast path: the file streamed through gunzip into pyarrow.json with an explicit schema, block by
block (the decompressed text is never whole in memory). If anything is off (damaged gzip, malformed
line, a line that does not start an object, wrong type, a line longer than a block, bytes that are
not UTF-8), the careful path reads the whole file: pyarrow.json on the decompressed bytes, else line
by line, keeping every good record and counting what it dropped or repaired (a line nested deeper
than Python's json recurses is a skipped line). A corrupt or truncated gzip keeps everything before
the damage. A file that cannot be read at all is marked ``unreadable``: its day is not cached.
"""
from __future__ import annotations

import json
import zlib
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.json as pj

from opint_core.load.records import RAW_SCHEMAS, to_tables

BLOCK_SIZE = 4 << 20  # bytes per pyarrow.json block; a longer line sends the file to the slow path
_GZIP_MAGIC = b"\x1f\x8b"
_OPEN_BRACE, _NEWLINE = ord("{"), ord("\n")


@dataclass
class FileReport:
    """What happened to one file: records read, failures kept, and why anything was dropped or repaired."""

    path: str
    records: int = 0
    failures: int = 0
    skipped: Counter = field(default_factory=Counter)   # reason -> records dropped
    repaired: Counter = field(default_factory=Counter)  # reason -> records kept after a fix
    problem: str | None = None                          # file-level damage (unreadable, corrupt gzip)
    unreadable: bool = False   # could not be read (permissions, I/O): may read fine next time, so never cached

    @property
    def clean(self) -> bool:
        return not (self.skipped or self.repaired or self.problem)

    def describe(self) -> str:
        parts = [self.problem] if self.problem else []
        parts += [f"{n} skipped: {why}" for why, n in sorted(self.skipped.items())]
        parts += [f"{n} repaired: {why}" for why, n in sorted(self.repaired.items())]
        return "; ".join(parts)

    def to_dict(self) -> dict:
        return {"path": self.path, "records": self.records, "failures": self.failures,
                "skipped": dict(self.skipped), "repaired": dict(self.repaired), "problem": self.problem,
                "unreadable": self.unreadable}

    @classmethod
    def from_dict(cls, d: dict) -> "FileReport":
        return cls(d["path"], d["records"], d["failures"], Counter(d["skipped"]), Counter(d["repaired"]),
                   d["problem"], d.get("unreadable", False))


def read_part_file(fs, path: str, stream: str) -> tuple[pa.Table, FileReport]:
    """The failures of one part file (ERROR_SCHEMA) and what happened to it."""
    table, _, report = read_part(fs, path, stream, traffic=False)
    return table, report


def read_part(fs, path: str, stream: str, traffic: bool = True) -> tuple[pa.Table, pa.Table, FileReport]:
    """(the failures of one part file, ERROR_SCHEMA; its traffic, TRAFFIC_SCHEMA with its keys
    dictionary-encoded (``traffic.plain_traffic`` makes them strings), empty unless ``traffic``; what
    happened to it)."""
    report = FileReport(path)
    raw = _parse_streaming(fs, path, stream)
    if raw is None:
        raw = _read_carefully(fs, path, stream, report)
        if raw is None:
            table, _, traffic = to_tables(stream, RAW_SCHEMAS[stream].empty_table(), traffic)
            return table, traffic, report
    report.records = raw.num_rows + sum(report.skipped.values())  # parsed rows + lines dropped before
    no_data = raw.column("data").null_count
    if no_data:
        report.skipped["record without a 'data' object"] += no_data
    table, repaired, traffic = to_tables(stream, raw, traffic)
    report.repaired.update(repaired)
    report.failures = table.num_rows
    missing = table.column("message").null_count
    if missing:
        report.repaired["failure without an error message"] += missing
    return table, traffic, report


def _parse_streaming(fs, path: str, stream: str) -> pa.Table | None:
    """The common case: a sound file, gunzipped and parsed block by block, so that a thread never
    holds the whole decompressed text. None when anything is off: the careful path decides."""
    try:
        with fs.open_input_file(path) as f:
            gzipped = f.read(2) == _GZIP_MAGIC
            f.seek(0)
            source = pa.CompressedInputStream(f, "gzip") if gzipped else f
            # no threads inside a file: the loader reads files in parallel, and pyarrow's own read-ahead
            # would hold several blocks per file in memory at once
            batches = pj.open_json(pa.PythonFile(_ObjectLines(source), mode="r"),
                                   read_options=pj.ReadOptions(block_size=BLOCK_SIZE, use_threads=False),
                                   parse_options=_parse_options(stream))
            table = batches.read_all()
        table.validate(full=True)  # pyarrow.json does not check UTF-8; this does
    except (OSError, EOFError, pa.ArrowException, _NotObjectLines):
        return None
    return table


class _NotObjectLines(Exception):
    """A line starts with something else than '{': not for pyarrow.json."""


def _object_lines_only(chunk, at_line_start: bool) -> bool:
    """Whether every line that starts in ``chunk`` (bytes or a buffer) starts with '{' (or is blank).

    pyarrow.json (26) kills the process (SIGSEGV) on a block whose first value is JSON null, and a
    block may start at any line: so pyarrow only ever sees lines that start an object. A check of the
    byte after each newline, vectorised: about a millisecond per 4 MB block."""
    b = np.frombuffer(chunk, np.uint8)
    if not b.shape[0]:
        return True
    if at_line_start and b[0] != _OPEN_BRACE and b[0] != _NEWLINE:
        return False
    starts = b[1:][b[:-1] == _NEWLINE]
    return not np.any((starts != _OPEN_BRACE) & (starts != _NEWLINE))


class _ObjectLines:
    """A readable stream (for pa.PythonFile) of ``source``'s bytes that raises _NotObjectLines at the
    first block where a line does not start an object (``_object_lines_only``)."""

    def __init__(self, source):
        self.source, self.at_line_start, self.closed = source, True, False

    def read(self, nbytes: int = -1):
        chunk = self.source.read_buffer(nbytes if nbytes is not None and nbytes >= 0 else None)
        if not _object_lines_only(chunk, self.at_line_start):
            raise _NotObjectLines()
        if chunk.size:
            self.at_line_start = chunk[chunk.size - 1:].to_pybytes() == b"\n"
        return chunk

    def tell(self) -> int:
        return self.source.tell()

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def writable(self) -> bool:
        return False

    def close(self) -> None:
        self.closed = True


def _read_carefully(fs, path: str, stream: str, report: FileReport) -> pa.Table | None:
    """The whole file in memory: survives damaged gzip, bad lines and bad bytes, and says so."""
    try:
        with fs.open_input_stream(path, compression=None) as f:  # we gunzip: to survive damage
            blob = f.read()
    except OSError as e:
        report.problem = f"cannot read the file ({e}); its records are missing from this load"
        report.unreadable = True
        return None
    text = _decompress(blob, report) if blob[:2] == _GZIP_MAGIC else blob
    del blob   # the compressed and the decompressed bytes need not live together
    raw = _parse_fast(text, stream)
    return raw if raw is not None else _parse_slow(text, stream, report)


def _decompress(blob: bytes, report: FileReport) -> bytes:
    """gunzip all members; on damage keep the complete lines decompressed so far."""
    out, data = [], blob
    cut_inside_a_member = False
    while data:
        d = zlib.decompressobj(wbits=31)
        try:
            out.append(d.decompress(data))
        except zlib.error as e:
            out.append(_inflate_until_damage(data))
            report.problem = f"corrupt gzip data ({e}): kept the records before the damage"
            cut_inside_a_member = True
            break
        if not d.eof:
            report.problem = "truncated gzip file: kept the records before the cut"
            cut_inside_a_member = True
            break
        data = d.unused_data
        if data and data[:2] != _GZIP_MAGIC:
            report.problem = f"{len(data)} bytes of trailing garbage after the gzip data were ignored"
            break
    text = out[0] if len(out) == 1 else b"".join(out)   # one member: no copy
    del out
    if cut_inside_a_member and text and not text.endswith(b"\n"):
        cut = text.rfind(b"\n") + 1
        if text[cut:].strip():
            report.skipped["line cut by the damage"] += 1
        text = text[:cut]
    return text


_INFLATE_STEP = 1 << 16


def _inflate_until_damage(member: bytes) -> bytes:
    """The output of a damaged gzip member up to the damage. zlib returns nothing of a call that
    fails, so the member is inflated again in steps, and the failing step a byte at a time from a
    copy of the state before it."""
    d, pieces, view = zlib.decompressobj(wbits=31), [], memoryview(member)
    for start in range(0, len(member), _INFLATE_STEP):
        before = d.copy()
        try:
            pieces.append(d.decompress(view[start:start + _INFLATE_STEP]))
        except zlib.error:
            for i in range(start, min(start + _INFLATE_STEP, len(member))):
                try:
                    pieces.append(before.decompress(view[i:i + 1]))
                except zlib.error:
                    break
            break
    return b"".join(pieces)


def _parse_options(stream: str) -> pj.ParseOptions:
    return pj.ParseOptions(explicit_schema=RAW_SCHEMAS[stream], unexpected_field_behavior="ignore")


def _parse_fast(text: bytes, stream: str) -> pa.Table | None:
    if not _object_lines_only(text, True):   # see _object_lines_only: the slow path reads them
        return None
    try:
        table = pj.read_json(pa.BufferReader(text), read_options=pj.ReadOptions(block_size=BLOCK_SIZE),
                             parse_options=_parse_options(stream))
        table.validate(full=True)  # pyarrow.json does not check UTF-8; this does
    except pa.ArrowException:
        return None
    return table


NESTED_TOO_DEEP = "JSON line nested too deep"


def _parse_slow(text: bytes, stream: str, report: FileReport) -> pa.Table:
    schema = RAW_SCHEMAS[stream]
    rows = []
    for line in text.split(b"\n"):
        if not line.strip():
            continue
        try:
            decoded = line.decode("utf-8")
        except UnicodeDecodeError:
            decoded = line.decode("utf-8", errors="replace")
            report.repaired["non-UTF-8 bytes replaced by U+FFFD"] += 1
        try:
            record = json.loads(decoded)
        except RecursionError:   # json's decoder recurses once per level
            report.skipped[NESTED_TOO_DEEP] += 1
            continue
        except ValueError:
            report.skipped["malformed JSON line"] += 1
            continue
        if not isinstance(record, dict):
            report.skipped["JSON line that is not an object"] += 1
            continue
        repairs = Counter()   # counted only once the record is kept
        try:
            rows.append({fld.name: _coerce(record.get(fld.name), fld.type, fld.name, repairs) for fld in schema})
        except RecursionError:   # a deep value re-encoded as text (json.dumps) recurses too
            report.skipped[NESTED_TOO_DEEP] += 1
            continue
        report.repaired.update(repairs)
    return pa.Table.from_pylist(rows, schema=schema)


def _coerce(value, typ: pa.DataType, name: str, repairs: Counter):
    """A JSON value as the schema type; a value that cannot be converted becomes null (counted)."""
    if value is None:
        return None
    if pa.types.is_struct(typ):
        if not isinstance(value, dict):
            repairs[f"'{name}' is not an object"] += 1
            return None
        return {fld.name: _coerce(value.get(fld.name), fld.type, f"{name}.{fld.name}", repairs) for fld in typ}
    if pa.types.is_string(typ):
        if isinstance(value, str):
            return _encodable(value, name, repairs)
        if isinstance(value, (bool, int, float)):
            return json.dumps(value)
        repairs[f"wrong type for '{name}'"] += 1
        return json.dumps(value)   # ensure_ascii: a lone surrogate inside comes out escaped
    if pa.types.is_integer(typ):
        number = _as_int64(value)
        if number is None:
            repairs[f"wrong type for '{name}'"] += 1
        return number
    return value


def _encodable(text: str, name: str, repairs: Counter) -> str:
    """``text`` as UTF-8 can hold it: a lone surrogate (JSON's "\\ud800") becomes U+FFFD (counted)."""
    if text.isascii():
        return text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        repairs[f"lone surrogate in '{name}' replaced by U+FFFD"] += 1
        return "".join("\ufffd" if "\ud800" <= c <= "\udfff" else c for c in text)
    return text


def _as_int64(value) -> int | None:
    """A JSON value as an int64 (integers, integral floats, booleans, integer text), else None."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    elif isinstance(value, str):
        try:
            value = int(value.strip())
        except ValueError:   # not an integer, or more digits than Python converts
            return None
    if isinstance(value, int) and -(2**63) <= value < 2**63:
        return value
    return None
