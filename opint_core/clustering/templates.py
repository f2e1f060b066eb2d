"""Template level: merge masked messages that share their structure.

Regex masking catches variables that *look* variable (numbers, hosts, paths ...). Variables that
are plain words (user names, pool names, activity names) are found from their behaviour instead:
among masked templates with the same number of tokens that agree on every token but one, a
position that takes several different values is a variable position (the usual log-parsing rule,
as in Drain, but order-independent: it is decided on the sorted set of templates, so the result
does not depend on input order).

Tokens that carry meaning stay constant even when they vary: numbers that survived masking
(protocol codes), upper-case status names (``SRM_INVALID_PATH``, ``SOURCE``, ``TRANSFER``).
"""
from __future__ import annotations

import re
from collections import defaultdict

import numpy as np

from opint_core.clustering.masking import WILDCARD

# distinct values a free-text position must take (with the rest of the template equal) before it
# is considered a variable; two values are usually a real alternative (opened/closed, Source/
# Destination), three or more words in one slot are data (user names, pool names).
MIN_VALUES = 3

_FIXED_RE = re.compile(
    r"""^[\[(]?[-+]?\d+[\])]?[:.,;]?$            # a number that survived masking: a code
      | ^[^a-z]*[A-Z]{2}[^a-z]*$                 # upper-case word: status name, scope, keyword
      | [A-Z][A-Z0-9]*_[A-Z0-9_]*[A-Z0-9]        # contains an SRM_/ERROR_ style status name
    """,
    re.VERBOSE,
)
_MAX_SPLIT_TOKENS = 400
_RUN_RE = re.compile(r"<\*>(?: <\*>)+")


def _is_fixed(token: str) -> bool:
    return WILDCARD not in token and _FIXED_RE.search(token) is not None


# the characters with a meaning in a regular expression, for Python's re and RE2 alike
_REGEX_ESCAPES = str.maketrans({c: "\\" + c for c in "\\.^$|?*+()[]{}"})


def wildcard_pattern(template: str, *, capture: bool = False) -> str:
    """The regular expression (the same text for Python's ``re`` and for RE2, which pyarrow runs)
    of every text a template stands for: its literal text as it is, each ``<*>`` any text. With
    ``capture`` each ``<*>`` is the lazy group ``s0``, ``s1`` ... (its value in a message)."""
    pieces = template.split(WILDCARD)
    body = pieces[0].translate(_REGEX_ESCAPES)
    for j, piece in enumerate(pieces[1:]):
        body += (f"(?P<s{j}>.*?)" if capture else ".*") + piece.translate(_REGEX_ESCAPES)
    return "(?s)^" + body + "$"


_RX_CACHE: dict[str, re.Pattern] = {}
_MAX_PATTERNS = 16   # wildcard tokens tried per slot: bounds the work on pathological input


def wildcard_regex(token: str) -> re.Pattern:
    """``wildcard_pattern`` of a token (or a template), compiled (cached)."""
    rx = _RX_CACHE.get(token)
    if rx is None:
        if len(_RX_CACHE) > 4096:
            _RX_CACHE.clear()
        rx = _RX_CACHE[token] = re.compile(wildcard_pattern(token))
    return rx


_NUMERIC_RE = re.compile(r"[\[(]?[-+]?\d+[\])]?[:.,;]?")
_KEY_RE = re.compile(r"[A-Za-z_][\w.\-]*[=:]")
_WORD_RE = re.compile(r"[A-Za-z][A-Za-z_\-]*[:,.;]?")


def _generalise(values: list[str], first: bool = False) -> dict[str, str]:
    """Given the different tokens found at one position (rest of the template equal), return
    the replacements to apply: value -> new token.  Empty when the position stays constant.

    The first token of a message is usually what happened (``boot``, ``Invalid``, a daemon
    name): there, plain words never become variables."""
    out: dict[str, str] = {}
    if not first and WILDCARD in values:
        # the slot is already known to hold variables: any non-numeric word there is a value
        for v in values:
            if v != WILDCARD and not _NUMERIC_RE.fullmatch(v):
                out[v] = WILDCARD
    free = [v for v in values if v not in out and not _is_fixed(v)
            and not (first and _WORD_RE.fullmatch(v))]
    if len(free) < 2:
        return out
    patterns = [v for v in free if WILDCARD in v]
    if patterns:
        # a token that already holds a variable absorbs the values it matches: `<*>` absorbs
        # any word, `(<*>)` absorbs `()` and `(root)`
        for p in sorted(patterns, key=lambda v: (v != WILDCARD, len(v), v))[:_MAX_PATTERNS]:
            rx = wildcard_regex(p)
            for v in free:
                if v != p and v not in out and rx.fullmatch(v):
                    out[v] = p
    # values of different shape ("num=3,flags=1" vs "topActivity=X") are different fields, not
    # values of one field: count distinct values per shape (the text before a = or :)
    by_shape: dict[str, list[str]] = defaultdict(list)
    for v in free:
        if v not in out:
            by_shape[_shape(v)].append(v)
    for shape, vs in by_shape.items():
        if len(vs) >= MIN_VALUES:
            new = shape + WILDCARD if shape else WILDCARD
            for v in vs:
                out[v] = new
    return {k: v for k, v in out.items() if k != v}


def _shape(token: str) -> str:
    m = _KEY_RE.match(token)
    return m.group(0) if m else ""


def merge_templates(masked: list[str]) -> list[str]:
    """Map each masked template to its merged pattern (same order as ``masked``).

    ``masked`` are distinct masked strings; the result depends only on that set.
    """
    uniq = sorted(set(masked))
    by_len: dict[int, list[tuple[str, ...]]] = defaultdict(list)
    for t in uniq:
        toks = tuple(t.split(" "))
        if len(toks) <= _MAX_SPLIT_TOKENS:
            by_len[len(toks)].append(toks)
    final: dict[str, str] = {t: t for t in uniq}
    for n, group in by_len.items():
        if len(group) < 2 or n < 2:
            continue
        current = {g: g for g in group}  # original tokens -> current tokens
        _merge_block(current, n)
        for g, c in current.items():
            final[" ".join(g)] = " ".join(c)
    # variable-length lists of values ("delete <*> <*> <*>" with 2, 3, 9 items): templates that
    # only differ in the length of a run of wildcards are one template
    runs: dict[str, set[str]] = defaultdict(set)
    for t in set(final.values()):
        if _RUN_RE.search(t):
            runs[_RUN_RE.sub(WILDCARD, t)].add(t)
    collapse = {t: k for k, ts in runs.items() if len(ts) > 1 for t in ts}
    if collapse:
        final = {o: collapse.get(t, t) for o, t in final.items()}
    return [final[t] for t in masked]


_MASK64 = (1 << 64) - 1


def _cell_hash(position: int, token: str) -> int:
    return hash((position, token)) & _MASK64


def _cell_hashes(rows: list[tuple]) -> np.ndarray:
    return np.array([[_cell_hash(j, tok) for j, tok in enumerate(c)] for c in rows], dtype=np.uint64)


def _groups_of_equal(keys: np.ndarray):
    """Index arrays of the entries of ``keys`` that share their value, groups of 2 or more."""
    order = np.argsort(keys, kind="stable")
    same = keys[order[1:]] == keys[order[:-1]]
    if not same.any():
        return []
    starts = np.flatnonzero(np.concatenate(([True], ~same)))
    ends = np.append(starts[1:], len(keys))
    return [order[a:b] for a, b in zip(starts.tolist(), ends.tolist()) if b - a > 1]


def _merge_block(current: dict[tuple, tuple], n: int) -> None:
    """Merge templates of ``n`` tokens in place (``current`` maps original -> merged tokens).

    For each position i, templates equal everywhere but at i share the key
    ``sum(hash(j, tok_j)) - hash(i, tok_i)``: one vectorised pass over the templates per
    position, no pairwise comparison.  Repeats until nothing changes (a merge can enable another).
    """
    cur = sorted(set(current.values()))
    cells = _cell_hashes(cur)           # (templates, n): hash of each (position, token)
    total = cells.sum(axis=1)           # wraps around modulo 2**64, as the keys do
    for _round in range(8):
        changed = False
        for i in range(n):
            if len(cur) < 2:
                return
            repl: dict[tuple, tuple] = {}
            for rows in _groups_of_equal(total - cells[:, i]):
                # guard against hash collisions: regroup on the real key
                sub: dict[tuple, list[tuple]] = defaultdict(list)
                for r in rows.tolist():
                    c = cur[r]
                    sub[c[:i] + c[i + 1:]].append(c)
                for key, cs in sub.items():
                    if len(cs) < 2 or all(k == WILDCARD for k in key):
                        continue
                    r = _generalise(sorted({c[i] for c in cs}), first=(i == 0))
                    if r:
                        for c in cs:
                            nv = r.get(c[i])
                            if nv is not None:
                                repl[c] = c[:i] + (nv,) + c[i + 1:]
            if not repl:
                continue
            changed = True
            for g, c in current.items():
                nc = repl.get(c)
                if nc is not None:
                    current[g] = nc
            # only cell i of the replaced templates changes; merged duplicates keep one row
            for r, c in enumerate(cur):
                nc = repl.get(c)
                if nc is not None:
                    cur[r] = nc
                    cells[r, i] = _cell_hash(i, nc[i])
            keep = list({c: r for r, c in reversed(list(enumerate(cur)))}.values())
            if len(keep) < len(cur):
                keep.sort()
                cur = [cur[r] for r in keep]
                cells = cells[keep]
            total = cells.sum(axis=1)
        if not changed:
            return
