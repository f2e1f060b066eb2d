"""Slot values: which text each ``<*>`` of a template stands for, per distinct message.

A template is the normalised message with each variable replaced by ``<*>``. Aligning a raw message
with it is a full match of the regular expression ``literal (.*?) literal (.*?) ...`` against the
message normalised the way the masker normalises (cut at 4,096 characters, control characters to
spaces, whitespace runs collapsed, ends stripped). The match runs in pyarrow (RE2: linear time, no
catastrophic backtracking) over all distinct messages of a template at once. Messages RE2 cannot
align (e.g. unusual Unicode whitespace) get a Python pass with the masker's exact normalisation and
a linear left-to-right literal search; messages that still do not fit count as not aligned.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Callable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from opint_core.clustering.masking import MAX_CHARS, WILDCARD, normalize
from opint_core.clustering.templates import wildcard_pattern

_ARROW_WS = r"[\x00-\x1f\x7f ]{2,}|[\x00-\x1f\x7f]"
_FALLBACK_LIMIT = 2_000     # Python fallback alignments per call at most


def template_regex(pattern: str) -> str | None:
    """The RE2 pattern aligning a normalised message with a template (group ``s<j>``: the value of
    wildcard j), None without wildcards."""
    return wildcard_pattern(pattern, capture=True) if WILDCARD in pattern else None


def align_one(pattern: str, message: str | None) -> tuple[str, ...] | None:
    """Values of the wildcards of ``pattern`` in ``message`` (left-most literal search), or None."""
    text = normalize(message)
    pieces = pattern.split(WILDCARD)
    if not text.startswith(pieces[0]):
        return None
    pos = len(pieces[0])
    values = []
    for j in range(1, len(pieces)):
        lit = pieces[j]
        if j == len(pieces) - 1:
            if not text.endswith(lit) or len(text) - len(lit) < pos:
                return None
            end = len(text) - len(lit)
            values.append(text[pos:end])
            return tuple(values)
        if not lit:
            values.append("")
            continue
        at = text.find(lit, pos)
        if at < 0:
            return None
        values.append(text[pos:at])
        pos = at + len(lit)
    return tuple(values)


def _normalise_arrow(arr: pa.Array) -> pa.Array:
    if len(arr) and (pc.max(pc.utf8_length(arr)).as_py() or 0) > MAX_CHARS:
        arr = pc.utf8_slice_codeunits(arr, 0, MAX_CHARS)
    arr = pc.replace_substring_regex(arr, pattern=_ARROW_WS, replacement=" ")
    return pc.utf8_trim_whitespace(arr)


def align_many(pattern: str, messages: pa.Array) -> tuple[list[pa.Array], np.ndarray]:
    """Align raw messages with a template: one string array per wildcard (null where not aligned)
    and a boolean mask of the aligned messages."""
    nslots = pattern.count(WILDCARD)
    n = len(messages)
    if nslots == 0:
        return [], np.ones(n, dtype=bool)
    if n == 0:
        return [pa.array([], pa.string()) for _ in range(nslots)], np.zeros(0, dtype=bool)
    try:
        res = pc.extract_regex(_normalise_arrow(messages), pattern=template_regex(pattern))
        ok = np.asarray(res.is_valid().to_numpy(zero_copy_only=False), dtype=bool)
        fields = [pc.struct_field(res, [j]) for j in range(nslots)]   # null where not matched
    except pa.ArrowException:   # a pattern RE2 refuses (too large...): the Python pass only
        ok = np.zeros(n, dtype=bool)
        fields = [pa.nulls(n, pa.string()) for _ in range(nslots)]
    bad = np.flatnonzero(~ok)[:_FALLBACK_LIMIT]
    if bad.shape[0]:
        raw = messages.take(pa.array(bad, pa.int64())).to_pylist()
        fixes = {}
        for i, m in zip(bad.tolist(), raw):
            vals = align_one(pattern, m)
            if vals is not None and len(vals) == nslots:
                fixes[i] = vals
        if fixes:
            columns = [f.to_pylist() for f in fields]
            for i, vals in fixes.items():
                ok[i] = True
                for j in range(nslots):
                    columns[j][i] = vals[j]
            fields = [pa.array(c, pa.string()) for c in columns]
    return fields, ok


@dataclass(frozen=True)
class SlotResult:
    aligned: int                                   # rows aligned
    exact: bool                                    # every distinct message was aligned (or tried)
    slots: list[tuple[list[tuple[str, int]], int]] # per wildcard: (values with row counts, distinct)


class SlotAligner:
    """Aligns distinct messages with their template once, caches the values per template."""

    def __init__(self):
        self._lock = threading.Lock()
        self._cache: dict[int, tuple[int, list[list[pa.Array]], list[np.ndarray]]] = {}
        self._results: dict[tuple[int, int], SlotResult] = {}

    def values(self, t: int, pattern: str, ids: np.ndarray, weights: np.ndarray,
               texts: Callable[[np.ndarray], pa.Array], budget: int | None) -> SlotResult:
        """Slot values of template t, whose distinct messages are ``ids`` (most frequent first)
        with row counts ``weights``; ``texts(ids)`` gives their raw text."""
        total = int(ids.shape[0])
        want = total if budget is None else min(total, budget)
        with self._lock:
            done, chunks, oks = self._cache.get(t, (0, [], []))
            if done < want:
                new_ids = ids[done:want]
                values, ok = align_many(pattern, texts(new_ids))
                chunks = chunks + [values]
                oks = oks + [ok]
                done = want
                self._cache[t] = (done, chunks, oks)
            got = self._results.get((t, done))
            if got is not None:
                return got
        nslots = pattern.count(WILDCARD)
        w = weights[:done].astype(np.int64)
        ok = np.concatenate(oks) if oks else np.zeros(0, dtype=bool)
        aligned = int(w[ok].sum()) if nslots else int(weights.sum())
        slots = []
        for j in range(nslots):
            col = pa.chunked_array([c[j] for c in chunks], type=pa.string()) if chunks else \
                pa.chunked_array([], type=pa.string())
            slots.append(_weighted_counts(col, w))
        result = SlotResult(aligned, done >= total, slots)
        with self._lock:
            self._results[(t, done)] = result
        return result


def _weighted_counts(col: pa.ChunkedArray, weights: np.ndarray) -> tuple[list[tuple[str, int]], int]:
    if len(col) == 0:
        return [], 0
    enc = pc.dictionary_encode(col)
    dictionary = enc.chunk(0).dictionary.to_pylist() if enc.num_chunks else []
    m = len(dictionary)
    idx = pa.chunked_array([c.indices for c in enc.chunks], type=enc.chunk(0).indices.type)
    codes = np.asarray(idx.fill_null(m).to_numpy(), dtype=np.int64)
    counts = np.bincount(codes, weights=weights, minlength=m + 1)[:m].astype(np.int64)
    nz = np.flatnonzero(counts)
    order = nz[np.lexsort((nz, -counts[nz]))]
    return [(dictionary[i], int(counts[i])) for i in order.tolist()], int(nz.shape[0])
