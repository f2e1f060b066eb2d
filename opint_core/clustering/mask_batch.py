"""``mask()`` of many distinct messages at once: the same result, a fraction of the time.

A match of the masking regex crosses a space only in a few constructs (DNs with spaces,
``Jun 17 20:55:06``, ``1024 bytes (1.0 KB)``, ``HTTP/1.1 KB``, ``at=2019-10-07 12:00:00``), and only
numeric-looking tokens depend on their neighbours (codes kept after ``HTTP``/``error``, before
``End``, ``[3011] No such file``).  Every other token masks the same alone as in its message.  So:

1. split the messages into tokens and factorise the tokens (pyarrow, vectorised);
2. mask each *distinct* token once in Python; a token that needs its neighbours is resolved once
   per distinct (previous, token, next) triple; a message holding a token that may start a
   match across a space is masked whole, as ``mask()`` does;
3. put the masked tokens back together per message (pyarrow ``binary_join``).

Across the distinct messages of a day most tokens repeat, so only new variable values cost a regex
run, and no Python code runs per message.  Messages that are not printable ASCII (control
characters, other whitespace, non-ASCII letters) or longer than ``MAX_CHARS`` take a per-message
path with the same token rules.
"""
from __future__ import annotations

import re

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from opint_core.clustering.masking import (
    _MASK_RE, _sub, EMPTY_PATTERN, MAX_CHARS, WILDCARD, collapse_wildcards, mask, mask_normalized, normalize,
)

# a token ending in what a code rule looks past: "[3011]", "=451" (Python re and RE2 alike)
_CTX_TAIL = r"(?:\[\d{1,5}\]|(?:^|[^\w.:/\-])\d{3})$"
_CTX_TAIL_RE = re.compile(_CTX_TAIL)
_FTP_CONT_RE = re.compile(r"\d{3}-[^\d\s]")
_BRACKET_CODE_RE = re.compile(r"\[\d{1,5}\]")
_CTX_SIGN = frozenset("[(<>+-")
_CODE_BEFORE = ("HTTP", "HTTP/1.0", "HTTP/1.1", "error")
_MONTHS = frozenset("Mon Tue Wed Thu Fri Sat Sun Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split())
_DN_START = r"/[A-Za-z][\w.]{0,30}="
_DN_START_RE = re.compile(_DN_START)
_MONTH_END_RE = re.compile(r"(?<![A-Za-z0-9])[A-Za-z]{3}$")
# a plain number followed by one of these may be a size ("1024 bytes", "3 KB"): not a bare variable
_UNIT_HEADS = "KMGTPBbk"
_UNIT_ENDS = "Bbs"     # how a size unit ends (KB, kb, bytes): "(1.0 KB)" may follow it
# the same conditions as _mask_in_window's shortcut, for pyarrow's RE2 over distinct ASCII tokens
_CODE_BEFORE_RE2 = r"(?:HTTP|HTTP/1\.[01]|error|(?i:errno:?))$"
_UNIT_AFTER_RE2 = rf"^(?:End|[{_UNIT_HEADS}])"

_FALLBACK = object()   # mask the whole message
_CONTEXT = object()    # depends on the neighbouring tokens

# below this many messages the vectorised path costs more than it saves; above _BATCH messages
# the tokens are split in batches, which bounds the memory
_MIN_BATCH = 64
_BATCH = 8192

# _may_span, _needs_context and the URL rule of the masking regex, for pyarrow's RE2 (no
# look-around) over distinct ASCII tokens; tests check that both give the same masks
_SPAN_RE2 = _DN_START + r"|(?:^|[^A-Za-z0-9])(?:" + "|".join(sorted(_MONTHS)) + ")$"
# a token that is one URL (scheme://…) and the punctuation after it, nothing the URL stops at
_URL_TOKEN_RE2 = r"^[A-Za-z][A-Za-z0-9+.\-]{1,15}://[^<>\"'`]*$"
_URL_TRAILING = ".,;:)]}"
_MONTHS_ARRAY = pa.array(sorted(_MONTHS), type=pa.large_string())


def _needs_context(tok: str) -> bool:
    """Numeric-looking tokens, and tokens ending in what a code rule looks past (``x=[100]``)."""
    c = tok[0]   # isdecimal() is what ``\d`` matches
    if c.isdecimal() or (c in _CTX_SIGN and len(tok) > 1 and tok[1].isdecimal()):
        # exceptions that mask the same in any context: FTP continuation lines ("530-globus…")
        # and bracketed IPv6 ("[2001:db8::1]:1094")
        if not (_FTP_CONT_RE.match(tok) or (c == "[" and not _BRACKET_CODE_RE.match(tok))):
            return True
    last = tok[-1]
    return (last == "]" or last.isdecimal()) and _CTX_TAIL_RE.search(tok[-12:]) is not None


def _may_span(tok: str) -> bool:
    """Whether a match may start in ``tok`` and cross the following space: a DN attribute
    (``/CN=…``) or a month name at the end (anywhere in a token: ``at:Jun 17 20:55:06``)."""
    if tok[-3:] in _MONTHS and _MONTH_END_RE.search(tok[-4:]):
        return True
    return "=" in tok and "/" in tok and _DN_START_RE.search(tok) is not None


def _mask_token(tok: str):
    """The masked token, or _CONTEXT / _FALLBACK."""
    if _may_span(tok):
        return _FALLBACK
    if _needs_context(tok):
        return _CONTEXT
    return _MASK_RE.sub(_sub, tok)


def _may_join(tok: str, nxt: str) -> bool:
    """Whether a match may run from ``tok`` over the space into ``nxt`` (other than the DNs and
    dates that _may_span finds): a size (``1.1 KB``, ``1024 bytes (1.0 KB)``) or a date and time."""
    last, first = tok[-1], nxt[:1]
    return (last.isdecimal() and (first.isdecimal() or first in _UNIT_HEADS)) or \
        (last in _UNIT_ENDS and first == "(")


def _mask_in_window(prev: str, tok: str, nxt: str):
    """Mask ``tok`` seen between its neighbours; _FALLBACK if a match crosses its edges."""
    if tok.isdecimal() and not (prev.endswith(_CODE_BEFORE) or nxt.startswith("End")
                                or prev.lower().endswith(("errno", "errno:"))
                                or nxt[:1] in _UNIT_HEADS):
        return WILDCARD   # a plain number with no code keyword or unit around it
    a = len(prev) + 1 if prev else 0
    b = a + len(tok)
    window = (prev + " " if prev else "") + tok + (" " + nxt if nxt else "")
    out, last = [], a
    for m in _MASK_RE.finditer(window):
        s, e = m.span()
        if e <= a or s >= b:
            continue
        if s < a or e > b:
            return _FALLBACK
        out.append(window[last:s])
        out.append(_sub(m))
        last = e
    out.append(window[last:b])
    return "".join(out)


def _mask_each(messages) -> list[str]:
    """The per-message path, with the same token rules and caches."""
    plain: dict[str, object] = {}
    window: dict[tuple[str, str, str], object] = {}
    out = []
    for message in messages:
        text = normalize(message)
        toks = text.split(" ") if text else []
        if not toks:
            out.append(EMPTY_PATTERN)
            continue
        res = []
        for i, t in enumerate(toks):
            r = plain.get(t)
            if r is None:
                r = plain[t] = _mask_token(t)
            if r is _CONTEXT or (i + 1 < len(toks) and _may_join(t, toks[i + 1])):
                key = (toks[i - 1] if i else "", t, toks[i + 1] if i + 1 < len(toks) else "")
                r = window.get(key)
                if r is None:
                    r = window[key] = _mask_in_window(*key)
            if r is _FALLBACK:
                break
            res.append(r)
        out.append(collapse_wildcards(" ".join(res)) if len(res) == len(toks) else mask_normalized(text))
    return out


def mask_many(messages) -> list[str]:
    """``[mask(m) for m in messages]`` for many messages (a list or a pyarrow string array)."""
    if isinstance(messages, pa.ChunkedArray):
        messages = messages.combine_chunks()
    if not isinstance(messages, pa.Array):
        messages = messages if isinstance(messages, list) else list(messages)
        if len(messages) < _MIN_BATCH:
            return _mask_each(messages)
    cache: dict[str, str] = {}
    out: list[str] = []
    for a in range(0, len(messages), _BATCH):       # bounded memory: a batch at a time
        out.extend(_mask_batch(messages[a:a + _BATCH], cache))
    return out


def _mask_batch(messages, cache: dict[str, str]) -> list[str]:
    if isinstance(messages, pa.Array):
        arr = messages if pa.types.is_large_string(messages.type) else messages.cast(pa.large_string())
    else:
        try:
            arr = pa.array(messages, type=pa.large_string())
        except (pa.ArrowException, TypeError, ValueError):   # bytes, numbers: per message
            return _mask_each(messages)
    # printable ASCII only: then " " is the only whitespace and normalize() changes nothing
    odd = _flags(pc.or_kleene(pc.match_substring_regex(arr, "[^ -~]"),
                              pc.greater(pc.binary_length(arr), MAX_CHARS)).fill_null(True))
    if not odd.any():
        return _mask_ascii(arr, cache)
    ok_rows = np.flatnonzero(~odd)
    out: list = [None] * len(arr)
    if ok_rows.size:   # a batch may hold no printable-ASCII message at all
        for i, s in zip(ok_rows.tolist(), _mask_ascii(arr.take(pa.array(ok_rows)), cache)):
            out[i] = s
    odd_rows = np.flatnonzero(odd).tolist()
    odd_messages = arr.take(pa.array(odd_rows)).to_pylist() if isinstance(messages, pa.Array) \
        else [messages[i] for i in odd_rows]
    for i, s in zip(odd_rows, _mask_each(odd_messages)):
        out[i] = s
    return out


def _flags(mask: pa.Array) -> np.ndarray:
    return np.asarray(mask.to_numpy(zero_copy_only=False), dtype=bool)


def _matches(words: pa.Array, regex: str, where: np.ndarray | None = None) -> np.ndarray:
    """RE2 search per word; with ``where``, only on those words (False elsewhere)."""
    if where is None:
        return _flags(pc.match_substring_regex(words, regex))
    out = np.zeros(len(words), dtype=bool)
    rows = np.flatnonzero(where)
    if len(rows):
        out[rows] = _flags(pc.match_substring_regex(words.take(pa.array(rows)), regex))
    return out


def _contains(words: pa.Array, text: str) -> np.ndarray:
    return _flags(pc.match_substring(words, text))


def _classify(words: pa.Array) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(may span, needs context, whole URL) per distinct ASCII token: ``_may_span``,
    ``_needs_context`` and the URL rule of the masking regex, vectorised with RE2 (a cheap
    substring test first where the regex would scan every token)."""
    month_end = _flags(pc.is_in(pc.utf8_slice_codeunits(words, -3), value_set=_MONTHS_ARRAY))
    span = _matches(words, _SPAN_RE2, where=_contains(words, "=") | month_end)
    head = _matches(words, r"^(?:\d|[\[(<>+\-]\d)")
    same_anywhere = _matches(words, r"^\d{3}-[^\d\s]", where=head) | (
        _matches(words, r"^\[", where=head) & ~_matches(words, r"^\[\d{1,5}\]", where=head))
    context = ((head & ~same_anywhere) | _matches(words, _CTX_TAIL)) & ~span
    url = _matches(words, _URL_TOKEN_RE2, where=_contains(words, "://") & ~span & ~context)
    return span, context, url


def _mask_ascii(texts: pa.Array, cache: dict[str, str]) -> list[str]:
    """The vectorised path for printable ASCII messages; ``cache``: token -> masked token."""
    nmsg = len(texts)
    lists = pc.ascii_split_whitespace(texts)
    flat = pc.list_flatten(lists)
    parent = np.asarray(pc.list_parent_indices(lists).to_numpy(), dtype=np.int64)
    # leading and trailing spaces give empty tokens: they mask to "" and the joined text is
    # stripped; as a neighbour, "" is what _mask_in_window gets for "no token"
    enc = pc.dictionary_encode(flat)
    tok_of = np.asarray(enc.indices.to_numpy(), dtype=np.int64)
    words = enc.dictionary
    tokens = words.to_pylist()

    span, context, url = _classify(words)
    table = list(tokens)
    for i in np.flatnonzero(~(span | context | url)).tolist():
        t = tokens[i]
        r = cache.get(t)
        if r is None:
            r = cache[t] = _MASK_RE.sub(_sub, t)
        table[i] = r
    for i in np.flatnonzero(url).tolist():
        # the URL rule stops before trailing punctuation, which masks to itself
        t = tokens[i]
        table[i] = WILDCARD + t[len(t.rstrip(_URL_TRAILING)):]
    fallback_msgs = np.zeros(nmsg, dtype=bool)
    fallback_msgs[parent[span[tok_of]]] = True

    # tokens that depend on their neighbours, and tokens a match may run from into the next one
    # (_may_join): plain numbers with no code keyword or unit around them are variables; the
    # others are resolved once per distinct (previous, token, next)
    slot = tok_of.copy()
    same_next = np.append(parent[1:] == parent[:-1], False)     # the next token is in the message
    next_tok = np.append(tok_of[1:], 0)
    ends_digit = _matches(words, r"\d$")
    ends_unit = _matches(words, rf"[{_UNIT_ENDS}]$")
    joins = same_next & (
        (ends_digit[tok_of] & _matches(words, rf"^[\d{_UNIT_HEADS}]")[next_tok])
        | (ends_unit[tok_of] & _matches(words, r"^\(")[next_tok]))
    pos = np.flatnonzero(context[tok_of] | (joins & ~span[tok_of]))
    if len(pos):
        prev = np.where(np.append(False, same_next[:-1])[pos], tok_of[np.maximum(pos - 1, 0)], -1)
        nxt = np.where(same_next[pos], next_tok[pos], -1)
        number = _flags(pc.ascii_is_decimal(words))
        near = np.zeros(len(tokens), dtype=bool)
        near[prev[prev >= 0]] = True
        near[nxt[nxt >= 0]] = True
        code_before = np.append(_matches(words, _CODE_BEFORE_RE2, where=near), False)
        # -1 and the empty token stand for "nothing after", which _mask_in_window treats as a unit
        unit_after = np.append(_matches(words, _UNIT_AFTER_RE2, where=near)
                               | _flags(pc.equal(pc.binary_length(words), 0)), True)
        plain_number = number[tok_of[pos]] & ~code_before[prev] & ~unit_after[nxt]
        slot[pos[plain_number]] = len(table)
        table.append(WILDCARD)
        rest = ~plain_number
        pos, prev, nxt = pos[rest], prev[rest], nxt[rest]
    if len(pos):
        width = len(tokens) + 1
        _, pair = np.unique((prev + 1) * width + tok_of[pos], return_inverse=True)
        _, first, which = np.unique(pair.reshape(-1) * width + (nxt + 1), return_index=True,
                                    return_inverse=True)
        which = which.reshape(-1)
        resolved = [_mask_in_window(tokens[p] if p >= 0 else "", tokens[t], tokens[x] if x >= 0 else "")
                    for p, t, x in zip(prev[first].tolist(), tok_of[pos[first]].tolist(),
                                       nxt[first].tolist())]
        bad = np.fromiter((r is _FALLBACK for r in resolved), dtype=bool, count=len(resolved))
        fallback_msgs[parent[pos[bad[which]]]] = True
        slot[pos] = len(table) + which
        table.extend(r if r.__class__ is str else "" for r in resolved)

    masked_tokens = pa.array(table, type=pa.large_string()).take(pa.array(slot))
    joined = pc.binary_join(pa.ListArray.from_arrays(lists.offsets, masked_tokens),
                            pa.scalar(" ", pa.large_string()))
    out = [collapse_wildcards(s) for s in pc.utf8_trim(joined, " ").to_pylist()]
    for i in np.flatnonzero(fallback_msgs).tolist():
        out[i] = mask(texts[i].as_py())
    return [s or EMPTY_PATTERN for s in out]
