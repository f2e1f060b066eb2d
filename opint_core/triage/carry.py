"""Carry-over and merges: which recorded annotation, or merge, a category of another day gets, by
the similarity of its pattern to the recorded ones (``pattern_similarity``)."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

import numpy as np
from rapidfuzz import fuzz, process

from opint_core.triage.model import Annotation, Inherited

#: Default similarity (0..100, ``pattern_similarity``: rapidfuzz's Indel ratio over the patterns'
#: words) from which a category inherits the annotation, or merge, of a similar recorded pattern.
#: Measured on the 203 ground-truth templates of the fts-10k sample (82 issues), matching each
#: template to its most similar other one: at >= 90, 77 match and 75 of them are the same issue
#: (the 2 others: "Broken pipe" vs "ClosedChannelException" after the same long gridftp text);
#: at 85, 101 match but 10 are wrong; at 92 and above none is wrong but 12 fewer match.
#: Word-level beats character-level here: rapidfuzz's token_sort_ratio at 90 matches 79 with 9
#: wrong ("[3011] No such file" vs "[3012] failed tpc" differ by few characters but by 3 words).
#: Inherited annotations are always shown as such, with their similarity and source.
CARRY_OVER_THRESHOLD = 90.0


class AnnotationSource(Protocol):
    """What ``carry_over`` also accepts instead of a mapping: a ``TriageStore`` (this module does not
    import the store, which imports it)."""

    def annotations(self) -> Mapping[str, Annotation]: ...


def _categories(categories) -> list:
    return list(getattr(categories, "categories", categories))


def pattern_similarity(a: str, b: str) -> float:
    """The carry-over similarity of two patterns, 0..100: rapidfuzz's Indel ratio over their words."""
    return float(fuzz.ratio(a.split(), b.split()))


def _best_matches(queries: list[str], choices: list[str], threshold: float) -> list[tuple[int, float] | None]:
    """For each query pattern, (index of the most similar choice, similarity) when >= threshold, else None.

    Similarity is rapidfuzz's ``fuzz.ratio`` over the patterns' *words* (a word-level Indel
    similarity: the share of words the two have in common, in order; ``<*>`` is a word). All
    scores come from ``process.cdist`` (C, all cores) in row blocks that bound memory; ties go to
    the first choice, so callers order choices by preference.
    """
    out: list[tuple[int, float] | None] = [None] * len(queries)
    if not queries or not choices:
        return out
    q_words = [q.split() for q in queries]
    c_words = [c.split() for c in choices]
    block = max(1, 4_000_000 // len(c_words))  # a score matrix of at most ~16 MB at a time
    for start in range(0, len(q_words), block):
        scores = process.cdist(q_words[start:start + block], c_words, scorer=fuzz.ratio,
                               score_cutoff=threshold, dtype=np.float32, workers=-1)
        best = scores.argmax(axis=1)
        top = scores[np.arange(scores.shape[0]), best]
        for row in np.flatnonzero(top >= threshold).tolist():
            out[start + row] = (int(best[row]), round(float(top[row]), 1))
    return out


def carry_over(categories, annotations: Mapping[str, Annotation] | AnnotationSource, *,
               threshold: float = CARRY_OVER_THRESHOLD) -> dict[str, Inherited]:
    """The annotation each category gets: category key -> Inherited (categories with none are absent).

    ``categories``: a Clustering, or an iterable of objects with ``key`` and ``pattern``.
    ``annotations``: ``store.annotations()`` (or the store itself).
    An exact key match always wins, even a cleared annotation (someone reset it on purpose).
    Otherwise the category inherits the non-empty annotation whose recorded pattern is the most
    similar to its own, when the similarity (``pattern_similarity``) is >= ``threshold``; ties go
    to the most recently changed annotation, then the smaller key.
    """
    if callable(getattr(annotations, "annotations", None)):  # a TriageStore
        annotations = annotations.annotations()
    result: dict[str, Inherited] = {}
    pending = []
    for c in _categories(categories):
        a = annotations.get(c.key)
        if a is not None:
            result[c.key] = Inherited(c.key, c.key, 100.0, a)
        elif c.pattern:
            pending.append(c)
    sources = [a for a in annotations.values() if a.pattern and not a.empty]
    if not pending or not sources:
        return result
    sources.sort(key=lambda a: a.key)
    sources.sort(key=lambda a: a.time or "", reverse=True)  # the first best wins: the newest
    matches = _best_matches([c.pattern for c in pending], [a.pattern for a in sources], threshold)
    for c, m in zip(pending, matches):
        if m is not None:
            a = sources[m[0]]
            result[c.key] = Inherited(c.key, a.key, m[1], a)
    return result


def apply_merges(categories, merges: Mapping[str, str | None], *, patterns: Mapping[str, str] | None = None,
                 threshold: float = CARRY_OVER_THRESHOLD) -> dict[str, str]:
    """Category key -> effective key (the category it is shown in), for every given category.

    ``merges``: child key -> parent key, as ``store.merges()``; a ``None`` parent records an
    explicit un-merge (``store.merge_records()``), which keeps that category from inheriting a merge.
    A category is folded into its parent, the parent into its own parent and so on, stopping at
    the last one present in ``categories``: a parent absent today folds nothing.

    With ``patterns`` (``store.patterns()``: the recorded pattern of each merged key) merges carry
    over like annotations: a merged key absent today stands for the present category with the
    most similar pattern (>= ``threshold``), as a child (unless that category has a merge record
    of its own) and as a parent. Merge cycles (teammates merging both ways) resolve to the
    smallest present key of the cycle. To fold counts: ``total[mapping[c.key]] += c.count``.
    """
    cats = _categories(categories)
    keys = [c.key for c in cats]
    present = set(keys)
    alias: dict[str, tuple[str, float]] = {}  # absent key -> (most similar present key, similarity)
    if patterns:
        absent = sorted({k for pair in merges.items() for k in pair
                         if k and k not in present and isinstance(patterns.get(k), str) and patterns[k]})
        if absent:
            by_pattern = [c for c in cats if c.pattern]
            found = _best_matches([patterns[k] for k in absent], [c.pattern for c in by_pattern], threshold)
            for k, m in zip(absent, found):
                if m is not None:
                    alias[k] = (by_pattern[m[0]].key, m[1])
    parent_of: dict[str, str | None] = {k: merges[k] for k in keys if k in merges}
    inherited: dict[str, tuple[float, str, str]] = {}  # present key -> (similarity, absent child, parent)
    for child in sorted(merges):
        parent = merges[child]
        if child in present or child not in alias or parent is None:
            continue
        target, similarity = alias[child]
        if target in parent_of:
            continue  # the category's own merge record wins
        cur = inherited.get(target)
        if cur is None or similarity > cur[0]:
            inherited[target] = (similarity, child, parent)
    for target, (_, _, parent) in inherited.items():
        parent_of[target] = parent

    def parent(k: str) -> str | None:
        p = parent_of.get(k) if k in present else merges.get(k)
        if p is not None and p not in present and p in alias:
            p = alias[p][0]
        return p

    out: dict[str, str] = {}
    for k in keys:
        path, index, cur, last_present = [k], {k: 0}, k, k
        while True:
            p = parent(cur)
            if p is None:
                out[k] = last_present
                break
            if p in index:  # a cycle: every member resolves to the same, smallest present key
                cycle = [x for x in path[index[p]:] if x in present]
                out[k] = min(cycle) if cycle else last_present
                break
            index[p] = len(path)
            path.append(p)
            if p in present:
                last_present = p
            cur = p
    return out
