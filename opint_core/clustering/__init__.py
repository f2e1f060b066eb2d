"""Clustering of error messages into templates and categories.

``cluster(messages)`` works per distinct string, never per row:

1. factorise the raw messages (pyarrow ``dictionary_encode`` or ``pandas.factorize``);
2. mask each distinct string once (``masking``) and merge masked strings that share their
   structure (``templates``): these are the *templates*;
3. group templates that a shifter triages as one problem (``categories``): strip wrappers and
   prefixes, map known causes to a canonical issue, merge near-identical remainders within blocks;
4. map ids back to rows with numpy indexing.
"""
from __future__ import annotations

import gc
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
import pyarrow as pa

from opint_core.clustering.categories import DEFAULT_SIMILARITY, categorize
from opint_core.clustering.keys import category_key
from opint_core.clustering.mask_batch import mask_many
from opint_core.clustering.masking import EMPTY_PATTERN, mask
from opint_core.clustering.templates import merge_templates
from opint_core.load.codes import factorize_column
from opint_core.load.schema import TEMPLATE, row_weights

__all__ = ["cluster", "cluster_masked", "cluster_table", "Clustering", "Category", "DEFAULT_SIMILARITY", "category_key",
           "mask"]


@dataclass(frozen=True)
class Category:
    key: str                    # stable id: "c" + 12 hex of blake2b(normalised pattern)
    pattern: str                # canonical pattern, variables as <*>
    count: int                  # number of messages
    templates: tuple[int, ...]  # member template ids, most frequent first


@dataclass
class Clustering:
    template_of: np.ndarray          # int32 per message: template id
    category_of: np.ndarray          # int32 per message: index into categories
    templates: list[str]             # pattern per template id
    template_counts: np.ndarray      # int64 messages per template
    template_category: np.ndarray    # int32 category index of each template
    categories: list[Category]       # sorted by count descending, ties by key
    distinct_of: np.ndarray | None = None          # int32 per message: index into distinct_messages
    distinct_messages: list[str] | None = None     # the distinct raw strings

    def __len__(self) -> int:
        return int(self.template_of.shape[0])

    def take(self, rows: np.ndarray, weights: np.ndarray | None = None) -> Clustering:
        """The clustering of some of its table's rows (e.g. one site's), with the same templates and
        categories: template counts are those rows' own (``weights``: the table's row weights), while each
        ``Category.count`` stays the whole table's."""
        template_of = self.template_of[rows]
        counts = np.bincount(template_of, weights=None if weights is None else weights[rows],
                             minlength=len(self.templates)).astype(np.int64)
        return replace(self, template_of=template_of, category_of=self.category_of[rows], template_counts=counts,
                       distinct_of=None if self.distinct_of is None else self.distinct_of[rows])


def _as_text(x) -> str:
    if x is None:
        return ""
    if isinstance(x, str):
        return x
    if isinstance(x, (bytes, bytearray)):
        return bytes(x).decode("utf-8", "replace")
    try:
        if x != x:  # NaN from pandas
            return ""
    except Exception:  # noqa: BLE001 - odd objects: fall back to their text
        pass
    return str(x)


def _factorize(messages) -> tuple[np.ndarray, list[str]]:
    """(codes int32 per message with -1 for null/empty, distinct non-empty strings)."""
    if isinstance(messages, (pa.Array, pa.ChunkedArray)):
        codes, values = factorize_column(messages)
        uniq = values.to_pylist()
    else:
        if isinstance(messages, (pd.Series, pd.Index)):
            values = messages.to_numpy(dtype=object, na_value=None)
        elif isinstance(messages, np.ndarray):
            values = messages.astype(object, copy=False)
        else:
            # a plain Python dict beats pandas.factorize on a list of str (no object-array copy,
            # cached str hashes); None and other non-str values become text or null below
            if not isinstance(messages, list):
                messages = list(messages)
            ids: dict = {}
            setd = ids.setdefault
            codes = np.fromiter((setd(m, len(ids)) for m in messages), dtype=np.int64,
                                count=len(messages))
            uniq = list(ids)
            codes, uniq = _drop_nulls(codes, uniq)
            return codes.astype(np.int32, copy=False), [_as_text(u) for u in uniq]
        c, u = pd.factorize(values, use_na_sentinel=True)
        codes = c.astype(np.int32, copy=False)
        uniq = list(u)
    uniq = [_as_text(u) for u in uniq]
    return codes, uniq


def _drop_nulls(codes: np.ndarray, uniq: list) -> tuple[np.ndarray, list]:
    """Map null-like distinct values (None, NaN) to code -1."""
    bad = [i for i, u in enumerate(uniq) if u is None or (isinstance(u, float) and u != u)]
    if not bad:
        return codes, uniq
    keep = np.ones(len(uniq), dtype=bool)
    keep[bad] = False
    remap = np.full(len(uniq), -1, dtype=np.int64)
    remap[keep] = np.arange(int(keep.sum()))
    return remap[codes], [u for i, u in enumerate(uniq) if keep[i]]


def _factorize_list(items: list[str]) -> tuple[np.ndarray, list[str]]:
    ids: dict[str, int] = {}
    out = np.empty(len(items), dtype=np.int32)
    setd = ids.setdefault
    for i, s in enumerate(items):
        out[i] = setd(s, len(ids))
    return out, list(ids)


def cluster(messages, weights=None, *, similarity: float = DEFAULT_SIMILARITY) -> Clustering:
    """Group messages into templates and categories; see the module docstring.

    ``messages``: a list of str, a pandas Series or a pyarrow string array (nulls allowed).
    ``weights``: optional per-message counts (> 0), when a message stands for several failures.
    ``similarity``: 0..1, how alike two causes must be to share a category (higher: more
    categories).  Templates do not depend on it.
    """
    # the work allocates millions of small objects and no cycles: the cyclic collector would only
    # rescan the caller's large lists again and again
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _cluster(messages, similarity, weights)
    finally:
        if gc_was_enabled:
            gc.enable()


def cluster_table(table, *, similarity: float = DEFAULT_SIMILARITY) -> Clustering:
    """The clustering of an ErrorTable's rows (or an Arrow table's): ``cluster`` of the messages,
    or for a compact table (the Spark path: ``template`` and ``count`` columns, see
    opint_core.load.schema) ``cluster_masked`` of its templates, each row weighted by its ``count``."""
    table = getattr(table, "table", table)
    weights = row_weights(table)
    if TEMPLATE in table.column_names:
        return cluster_masked(table.column(TEMPLATE), weights, messages=table.column("message"),
                              similarity=similarity)
    return cluster(table.column("message"), weights, similarity=similarity)


def cluster_masked(masked, weights=None, *, messages=None, similarity: float = DEFAULT_SIMILARITY) -> Clustering:
    """``cluster()`` for rows whose messages are already masked (``mask()`` of each, e.g. by the
    Spark job), each row standing for ``weights[i]`` messages (default 1): the same template and
    category steps, so the same templates, keys and counts as ``cluster()`` of the messages.

    ``masked``: masked string per row (null means ``<empty>``). ``weights``: per-row counts (> 0).
    ``messages``: optional raw message per row, for ``distinct_of``/``distinct_messages`` (a row
    without one, e.g. the messages of a Spark result beyond its samples, shows its template
    pattern as its text); without it the masked strings are the distinct messages.
    """
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        mcodes, muniq = _factorize(masked)
        null_slot = len(muniq)
        muniq = muniq + [EMPTY_PATTERN]
        mcodes = np.where(mcodes < 0, null_slot, mcodes).astype(np.int64, copy=False)
        if messages is None:
            return _cluster_distinct(mcodes.astype(np.int32), muniq, list(muniq), weights, similarity)
        rcodes, runiq = _factorize(messages)
        stride = len(runiq) + 1
        pairs, codes = np.unique(mcodes * stride + (rcodes.astype(np.int64) + 1), return_inverse=True)
        dm, dr = (pairs // stride).tolist(), (pairs % stride - 1).tolist()
        # every masked string stays in the set that templates are merged from (as in cluster())
        missing = sorted(set(range(len(muniq))) - set(dm))
        distinct_masked = [muniq[i] for i in dm] + [muniq[i] for i in missing]
        texts = [runiq[r] if r >= 0 else None for r in dr] + [None] * len(missing)
        return _cluster_distinct(codes.astype(np.int32).reshape(-1), distinct_masked, texts, weights, similarity)
    finally:
        if gc_was_enabled:
            gc.enable()


def _cluster(messages, similarity: float, weights=None) -> Clustering:
    codes, uniq = _factorize(messages)
    # one extra distinct slot for nulls, so every message has a distinct id
    null_slot = len(uniq)
    distinct_messages = uniq + [""]
    codes = np.where(codes < 0, null_slot, codes).astype(np.int32, copy=False)
    masked = mask_many(uniq)
    masked.append(EMPTY_PATTERN)
    return _cluster_distinct(codes, masked, distinct_messages, weights, similarity)


def _cluster_distinct(codes: np.ndarray, masked: list[str], distinct_messages: list, weights,
                      similarity: float) -> Clustering:
    """The shared steps from masked distinct strings on: ``codes`` per row index ``masked`` (and
    ``distinct_messages``, where None stands for the template pattern); ``weights`` per row or None."""
    n = codes.shape[0]
    masked_ids, masked_uniq = _factorize_list(masked)
    merged = merge_templates(masked_uniq)
    merged_ids, merged_uniq = _factorize_list(merged)
    distinct_to_raw_tmpl = merged_ids[masked_ids]          # distinct -> unsorted template

    if weights is not None:
        weights = np.asarray(weights, dtype=np.float64)
        if weights.shape != (n,):
            raise ValueError(f"{weights.shape[0] if weights.ndim else 0} weights for {n} rows")
        if n and not (weights > 0).all():
            raise ValueError("weights must be positive: every row stands for at least one message")
    raw_counts = np.bincount(distinct_to_raw_tmpl[codes], weights=weights, minlength=len(merged_uniq)).astype(
        np.int64) if n else np.zeros(len(merged_uniq), dtype=np.int64)
    # drop templates no message uses (the null slot when there are no nulls), then order ids by
    # count descending, ties by pattern: deterministic whatever the input order
    used = np.flatnonzero(raw_counts > 0)
    order = sorted(used.tolist(), key=lambda t: (-int(raw_counts[t]), merged_uniq[t]))
    remap = np.full(len(merged_uniq), -1, dtype=np.int32)
    remap[np.asarray(order, dtype=np.int64)] = np.arange(len(order), dtype=np.int32)
    templates = [merged_uniq[t] for t in order]
    template_counts = raw_counts[np.asarray(order, dtype=np.int64)].astype(np.int64) if order else \
        np.zeros(0, dtype=np.int64)
    distinct_to_tmpl = remap[distinct_to_raw_tmpl]
    template_of = distinct_to_tmpl[codes].astype(np.int32, copy=False) if n else \
        np.zeros(0, dtype=np.int32)

    # categories over templates
    tmpl_cat_raw, cat_patterns = categorize(templates, template_counts, similarity=similarity)
    tmpl_cat_raw = np.asarray(tmpl_cat_raw, dtype=np.int64)
    ncat = len(cat_patterns)
    cat_counts = np.bincount(tmpl_cat_raw, weights=template_counts, minlength=ncat).astype(np.int64) \
        if len(templates) else np.zeros(0, dtype=np.int64)
    keys = [category_key(p) for p in cat_patterns]
    cat_order = sorted(range(ncat), key=lambda c: (-int(cat_counts[c]), keys[c]))
    cat_remap = np.empty(ncat, dtype=np.int32)
    cat_remap[np.asarray(cat_order, dtype=np.int64)] = np.arange(ncat, dtype=np.int32)
    template_category = cat_remap[tmpl_cat_raw].astype(np.int32) if len(templates) else \
        np.zeros(0, dtype=np.int32)
    members: list[list[int]] = [[] for _ in range(ncat)]
    for t, c in enumerate(template_category.tolist()):
        members[c].append(t)  # templates are already most frequent first
    categories = [Category(key=keys[c], pattern=cat_patterns[c], count=int(cat_counts[c]),
                           templates=tuple(members[i]))
                  for i, c in enumerate(cat_order)]
    category_of = template_category[template_of] if n else np.zeros(0, dtype=np.int32)
    if not order:
        distinct_messages = []
    elif any(m is None for m in distinct_messages):
        distinct_messages = [templates[distinct_to_tmpl[i]] if m is None and distinct_to_tmpl[i] >= 0 else (m or "")
                             for i, m in enumerate(distinct_messages)]
    return Clustering(
        template_of=template_of,
        category_of=category_of.astype(np.int32, copy=False),
        templates=templates,
        template_counts=template_counts,
        template_category=template_category,
        categories=categories,
        distinct_of=codes if n else np.zeros(0, dtype=np.int32),
        distinct_messages=distinct_messages,
    )
