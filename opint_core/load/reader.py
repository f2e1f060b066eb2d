"""Read one archive part file into ErrorTable rows, whatever state it is in.

Fast path: the file streamed through gunzip into pyarrow.json with an explicit schema, block by
block (the decompressed text is never whole in memory). If anything is off (damaged gzip, malformed
line, wrong type, a line longer than a block, bytes that are not UTF-8), the careful path reads the
whole file: pyarrow.json on the decompressed bytes, else line by line, keeping every good record and
counting what it dropped or repaired. A corrupt or truncated gzip keeps everything before the damage.
"""
from __future__ import annotations

import json
import zlib
from collections import Counter
from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.json as pj

from opint_core.load.records import RAW_SCHEMAS, to_error_table

BLOCK_SIZE = 4 << 20  # bytes per pyarrow.json block; a longer line sends the file to the slow path
_GZIP_MAGIC = b"\x1f\x8b"


@dataclass
class FileReport:
    """What happened to one file: records read, failures kept, and why anything was dropped or repaired."""

    path: str
    records: int = 0
    failures: int = 0
    skipped: Counter = field(default_factory=Counter)   # reason -> records dropped
    repaired: Counter = field(default_factory=Counter)  # reason -> records kept after a fix
    problem: str | None = None                          # file-level damage (unreadable, corrupt gzip)

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
                "skipped": dict(self.skipped), "repaired": dict(self.repaired), "problem": self.problem}

    @classmethod
    def from_dict(cls, d: dict) -> "FileReport":
        return cls(d["path"], d["records"], d["failures"], Counter(d["skipped"]), Counter(d["repaired"]),
                   d["problem"])


def read_part_file(fs, path: str, stream: str) -> tuple[pa.Table, FileReport]:
    report = FileReport(path)
    raw = _parse_streaming(fs, path, stream)
    if raw is None:
        raw = _read_carefully(fs, path, stream, report)
        if raw is None:
            return to_error_table(stream, RAW_SCHEMAS[stream].empty_table()), report
    report.records = raw.num_rows + sum(report.skipped.values())  # parsed rows + lines dropped before
    no_data = raw.column("data").null_count
    if no_data:
        report.skipped["record without a 'data' object"] += no_data
    table = to_error_table(stream, raw)
    report.failures = table.num_rows
    missing = table.column("message").null_count
    if missing:
        report.repaired["failure without an error message"] += missing
    return table, report


def _parse_streaming(fs, path: str, stream: str) -> pa.Table | None:
    """The common case: a sound file, gunzipped and parsed block by block, so that a thread never
    holds the whole decompressed text. None when anything is off: the careful path decides."""
    try:
        with fs.open_input_file(path) as f:
            gzipped = f.read(2) == _GZIP_MAGIC
            f.seek(0)
            source = pa.CompressedInputStream(f, "gzip") if gzipped else f
            batches = pj.open_json(source, read_options=pj.ReadOptions(block_size=BLOCK_SIZE),
                                   parse_options=_parse_options(stream))
            table = batches.read_all()
        table.validate(full=True)  # pyarrow.json does not check UTF-8; this does
    except (OSError, EOFError, pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    return table


def _read_carefully(fs, path: str, stream: str, report: FileReport) -> pa.Table | None:
    """The whole file in memory: survives damaged gzip, bad lines and bad bytes, and says so."""
    try:
        with fs.open_input_stream(path, compression=None) as f:  # we gunzip: to survive damage
            blob = f.read()
    except OSError as e:
        report.problem = f"cannot read the file ({e}); its records are missing from this load"
        return None
    text = _decompress(blob, report) if blob[:2] == _GZIP_MAGIC else blob
    del blob   # the compressed and the decompressed bytes need not live together
    raw = _parse_fast(text, stream)
    return raw if raw is not None else _parse_slow(text, stream, report)


def _decompress(blob: bytes, report: FileReport) -> bytes:
    """gunzip all members; on damage keep the complete lines decompressed so far."""
    out, data = [], blob
    while data:
        d = zlib.decompressobj(wbits=31)
        try:
            out.append(d.decompress(data))
        except zlib.error as e:
            report.problem = f"corrupt gzip data ({e}): kept the records before the damage"
            break
        if not d.eof:
            report.problem = "truncated gzip file: kept the records before the cut"
            break
        data = d.unused_data
        if data and data[:2] != _GZIP_MAGIC:
            report.problem = f"{len(data)} bytes of trailing garbage after the gzip data were ignored"
            break
    text = out[0] if len(out) == 1 else b"".join(out)   # one member: no copy
    del out
    if report.problem and text and not text.endswith(b"\n"):
        cut = text.rfind(b"\n") + 1
        if text[cut:].strip():
            report.skipped["line cut by the damage"] += 1
        text = text[:cut]
    return text


def _parse_options(stream: str) -> pj.ParseOptions:
    return pj.ParseOptions(explicit_schema=RAW_SCHEMAS[stream], unexpected_field_behavior="ignore")


def _parse_fast(text: bytes, stream: str) -> pa.Table | None:
    try:
        table = pj.read_json(pa.BufferReader(text), read_options=pj.ReadOptions(block_size=BLOCK_SIZE),
                             parse_options=_parse_options(stream))
        table.validate(full=True)  # pyarrow.json does not check UTF-8; this does
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    return table


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
        except ValueError:
            report.skipped["malformed JSON line"] += 1
            continue
        if not isinstance(record, dict):
            report.skipped["JSON line that is not an object"] += 1
            continue
        rows.append({fld.name: _coerce(record.get(fld.name), fld.type, fld.name, report) for fld in schema})
    return pa.Table.from_pylist(rows, schema=schema)


def _coerce(value, typ: pa.DataType, name: str, report: FileReport):
    """A JSON value as the schema type; a value that cannot be converted becomes null (counted)."""
    if value is None:
        return None
    if pa.types.is_struct(typ):
        if not isinstance(value, dict):
            report.repaired[f"'{name}' is not an object"] += 1
            return None
        return {fld.name: _coerce(value.get(fld.name), fld.type, f"{name}.{fld.name}", report) for fld in typ}
    if pa.types.is_string(typ):
        if isinstance(value, str):
            return value
        if isinstance(value, (bool, int, float)):
            return json.dumps(value)
        report.repaired[f"wrong type for '{name}'"] += 1
        return json.dumps(value)
    if pa.types.is_integer(typ):
        if isinstance(value, bool):
            return int(value)
        if isinstance(value, int) and -(2**63) <= value < 2**63:
            return value
        if isinstance(value, float) and value.is_integer() and abs(value) < 2**63:
            return int(value)
        if isinstance(value, str):
            try:
                return int(value.strip())
            except ValueError:
                pass
        report.repaired[f"wrong type for '{name}'"] += 1
        return None
    return value

