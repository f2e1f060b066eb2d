"""Small vectorised helpers: hex ids and numbers as string arrays, low-cardinality columns (``_Cat``), and
``_render``, which joins literals and columns element-wise into one string per row (JSON pieces: ``_obj``)."""
from __future__ import annotations

import hashlib
import json
import re
from typing import Callable, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

_TF = ("false", "true")
_HEXC = np.frombuffer(b"0123456789abcdef", np.uint8)
_HEXU = np.frombuffer(b"0123456789ABCDEF", np.uint8)


def _hex(b: np.ndarray, upper: bool = False) -> np.ndarray:
    """(n, k) uint8 -> (n, 2k) ASCII hex digits."""
    digits = _HEXU if upper else _HEXC
    out = np.empty((b.shape[0], b.shape[1] * 2), np.uint8)
    out[:, 0::2] = digits[b >> 4]
    out[:, 1::2] = digits[b & 15]
    return out


def _fixed(chars: np.ndarray) -> pa.Array:
    """(n, w) ASCII bytes -> pa.string array, zero-copy."""
    chars = np.ascontiguousarray(chars)
    n, w = chars.shape
    offsets = np.arange(0, (n + 1) * w, w, dtype=np.int32)
    return pa.Array.from_buffers(pa.string(), n, [None, pa.py_buffer(offsets), pa.py_buffer(chars)])


def _uuid(b16: np.ndarray, upper: bool = False) -> pa.Array:
    h = _hex(b16, upper)
    out = np.empty((h.shape[0], 36), np.uint8)
    out[:, 0:8], out[:, 9:13], out[:, 14:18], out[:, 19:23], out[:, 24:36] = (
        h[:, 0:8], h[:, 8:12], h[:, 12:16], h[:, 16:20], h[:, 20:32])
    out[:, [8, 13, 18, 23]] = ord("-")
    return _fixed(out)


def _hex32(b16: np.ndarray) -> pa.Array:
    return _fixed(_hex(b16))


def _hex8(u32: np.ndarray) -> pa.Array:
    b = np.ascontiguousarray(u32.astype(">u4")).view(np.uint8).reshape(-1, 4)
    return _fixed(_hex(b))


def _num(a) -> pa.Array:
    """Numbers as decimal strings (JSON literals)."""
    return pc.cast(pa.array(np.asarray(a)), pa.string())


def _pad(a: np.ndarray, width: int) -> pa.Array:
    return pc.utf8_lpad(_num(a), width=width, padding="0")


class _Cat:
    """A low-cardinality string column: ``codes`` into ``cats`` (JSON-safe strings)."""
    __slots__ = ("codes", "cats")

    def __init__(self, codes, cats: Sequence[str]):
        self.codes = np.asarray(codes, np.int64)
        self.cats = cats

    def take(self, rows: np.ndarray) -> "_Cat":
        return _Cat(self.codes[rows], self.cats)


def _flatten(pieces, out: list) -> list:
    for p in pieces:
        if isinstance(p, list):
            _flatten(p, out)
        else:
            out.append(p)
    return out


_JOIN_FANIN = 8


def _unique(codes: np.ndarray, space: int) -> tuple[np.ndarray, np.ndarray]:
    """np.unique(codes, return_inverse=True) for codes in [0, space); a bitmap when the space is small."""
    if space > 4 * len(codes) + 65536:
        u, inv = np.unique(codes, return_inverse=True)
        return u, inv.reshape(-1)
    present = np.zeros(space, bool)
    present[codes] = True
    u = np.flatnonzero(present)
    remap = np.cumsum(present) - 1
    return u, remap[codes]


def _render(pieces: list, n: int) -> pa.Array:
    """Concatenate literals, _Cat columns and string arrays element-wise.

    Each run of literals and categoricals becomes one dictionary lookup (np.unique over the combined codes), so
    that binary_join_element_wise only sees arrays: it joins arrays ~2.5x faster than scalar pieces.
    """
    if n == 0:
        return pa.array([], pa.string())
    arrays: list[pa.Array] = []
    codes = None
    table = [""]

    def flush():
        nonlocal codes, table
        if codes is not None:
            arrays.append(pa.array(table, pa.string()).take(pa.array(codes)))
        elif table[0]:
            arrays.append(pa.repeat(pa.scalar(table[0], pa.string()), n))
        codes, table = None, [""]

    for p in _flatten(pieces, []):
        if isinstance(p, str):
            if p:
                table = [t + p for t in table]
        elif isinstance(p, _Cat):
            m, cats = len(p.cats), p.cats
            u, inv = _unique(p.codes if codes is None else codes * m + p.codes, (len(table) if codes is not None else 1) * m)
            if codes is None:
                t0 = table[0]
                table = [t0 + cats[x] for x in u.tolist()]
            else:
                table = [table[x // m] + cats[x % m] for x in u.tolist()]
            codes = inv.reshape(-1)
        else:
            flush()
            arrays.append(p)
    flush()
    if not arrays:
        return pa.repeat(pa.scalar("", pa.string()), n)
    # binary_join_element_wise slows down with many arguments: join in small groups, then the groups
    while len(arrays) > 1:
        arrays = [a[0] if len(a) == 1 else pc.binary_join_element_wise(*a, "")
                  for a in (arrays[i:i + _JOIN_FANIN] for i in range(0, len(arrays), _JOIN_FANIN))]
    return arrays[0]


def _sub(value, rows: np.ndarray):
    """The rows of a column value (array, _Cat, literal or a list of those)."""
    if isinstance(value, str):
        return value
    if isinstance(value, _Cat):
        return value.take(rows)
    if isinstance(value, list):
        return [_sub(v, rows) for v in value]
    return value.take(pa.array(rows))


def _scatter(groups: np.ndarray, build: Callable[[int, np.ndarray], pa.Array]) -> pa.Array:
    """Build a string array group by group (build(g, rows)) and put each value back at its row."""
    n = len(groups)
    chunks, positions = [], []
    for g in np.unique(groups):
        rows = np.flatnonzero(groups == g)
        chunks.append(build(int(g), rows))
        positions.append(rows)
    if not chunks:
        return pa.array([], pa.string())
    allc = pa.concat_arrays(chunks)
    inv = np.empty(n, np.int64)
    inv[np.concatenate(positions)] = np.arange(n)
    return allc.take(pa.array(inv))


def _jesc(s: str) -> str:
    return json.dumps(s)[1:-1]


def _obj(fields: list[tuple[str, str, object]]) -> list:
    """JSON object pieces from (key, kind, value), keys sorted like Spark writes them.

    kind "s": a string (str literal, or JSON-safe pieces: array, _Cat or a list of pieces); "r": raw JSON
    pieces; "c": a Python constant.
    """
    out: list = ["{"]
    for i, (key, kind, val) in enumerate(sorted(fields, key=lambda f: f[0])):
        sep = "," if i else ""
        if kind == "s":
            if isinstance(val, str):
                out.append(f'{sep}"{key}":"{_jesc(val)}"')
            else:
                out += [f'{sep}"{key}":"', val, '"']
        elif kind == "r":
            out += [f'{sep}"{key}":', val]
        else:
            out.append(f'{sep}"{key}":{json.dumps(val)}')
    out.append("}")
    return out


def _stable_uuid(*parts) -> str:
    h = hashlib.sha256(":".join(map(str, parts)).encode()).hexdigest()
    return f"{h[0:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) % 4]}{h[17:20]}-{h[20:32]}"


_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def _compile(text: str) -> list:
    """'a {x} b' -> ['a ', ('x',), ' b']"""
    out: list = []
    pos = 0
    for m in _PLACEHOLDER.finditer(text):
        if m.start() > pos:
            out.append(text[pos:m.start()])
        out.append((m.group(1),))
        pos = m.end()
    if pos < len(text):
        out.append(text[pos:])
    return out


def _fts_sanitize(text: str) -> str:
    # FTS3 msg-ifce removes newlines, ' and " from t__error_message
    return text.replace("\n", "").replace("'", "").replace('"', "")
