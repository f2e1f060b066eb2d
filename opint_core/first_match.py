"""Which rule of an ordered list of regular expressions first matches each of many texts.

The clustering's known causes and the causes knowledge base both ask this of thousands of templates
against tens of rules. Asking it one text and one rule at a time is templates × rules Python
``re.search`` calls (1.37 M on a 27 k-template day); here each rule runs once over all the texts not
yet matched (``pyarrow.compute.match_substring_regex``: RE2, one linear scan in C++), in rule order, so
the first rule still wins.

RE2 and Python's ``re`` agree on such patterns for ASCII text (their ``\\w``/``\\b`` and case folding
differ only beyond ASCII), so texts with other characters take the one-at-a-time path with ``re``.
Both paths search case-insensitively; the compiled rules must carry ``re.IGNORECASE``.
"""
from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc


def first_match_indices(texts: Sequence[str], rules: Sequence[re.Pattern]) -> list[int]:
    """For each text, the index in ``rules`` of the first rule whose pattern is found in it, or -1."""
    rule_of = np.full(len(texts), -1, dtype=np.int64)
    ascii_rows: list[int] = []
    for i, text in enumerate(texts):
        if text.isascii():
            ascii_rows.append(i)
        else:
            rule_of[i] = first_match_one(text, rules)
    rows = np.asarray(ascii_rows, dtype=np.int64)
    batch = pa.array([texts[i] for i in ascii_rows], type=pa.large_string())
    for rule, rx in enumerate(rules):
        if not len(rows):
            break
        hit = pc.match_substring_regex(batch, rx.pattern, ignore_case=True).to_numpy(zero_copy_only=False)
        if hit.any():
            rule_of[rows[hit]] = rule
            rows, batch = rows[~hit], batch.filter(pa.array(~hit))   # matched texts are done
    return rule_of.tolist()


def first_match_one(text: str, rules: Sequence[re.Pattern]) -> int:
    """The reference: one text, one rule at a time."""
    for rule, rx in enumerate(rules):
        if rx.search(text):
            return rule
    return -1


def re2_problem(pattern: str) -> str | None:
    """Why RE2 (the vectorised path) rejects ``pattern``, or None when it compiles."""
    try:
        pc.match_substring_regex(pa.array([""], pa.large_string()), pattern, ignore_case=True)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as e:
        return str(e).splitlines()[0] if str(e) else type(e).__name__
    return None
