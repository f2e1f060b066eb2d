"""The rows of the overview, filtered and sorted; pure Python so that it is fast to test and to reuse.

A row is a category (or, at template level, a template). Filtering is fuzzy over pattern, label and
sites (rapidfuzz, one vectorised pass per term); sorting by count, trend, new or label.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from rapidfuzz import fuzz, process

SORTS = ("count", "trend", "new", "label")
LEVELS = ("category", "template")
FILTER_CUTOFF = 80  # partial_ratio a term needs against a row's text


@dataclass
class Row:
    index: int             # category (or template) index in the Clustering
    key: str               # category key (template level: the key of its category)
    pattern: str
    count: int
    share: float
    label: str = ""
    status: str = ""
    inherited: float | None = None  # similarity when the annotation was carried over from another key
    sites: str = ""
    timeline: tuple = ()
    new: bool = False
    new_templates: int = 0          # rows of templates never seen in the baseline (inside a known category)
    trend_score: float = 0.0
    ratio: float | None = None

    @property
    def haystack(self) -> str:
        return f"{self.pattern} {self.label} {self.sites}".lower()


def filter_rows(rows: list[Row], query: str) -> list[Row]:
    """Rows matching every whitespace-separated term of the query (substring, else fuzzy)."""
    terms = query.lower().split()
    if not terms or not rows:
        return list(rows)
    hay = [r.haystack for r in rows]
    keep = np.ones(len(rows), dtype=bool)
    for term in terms:
        exact = np.fromiter((term in h for h in hay), dtype=bool, count=len(hay))
        if len(term) >= 4:
            scores = process.cdist([term], hay, scorer=fuzz.partial_ratio, score_cutoff=FILTER_CUTOFF)[0]
            exact |= scores > 0
        keep &= exact
    return [r for r, k in zip(rows, keep) if k]


def sort_rows(rows: list[Row], order: str, reverse: bool = False) -> list[Row]:
    if order == "trend":
        key = lambda r: (-r.trend_score, -r.count, r.key)  # noqa: E731
    elif order == "new":
        # most rows of never-seen messages first: new categories and new kinds inside known ones
        key = lambda r: (-(r.count if r.new else r.new_templates), -r.trend_score, -r.count, r.key)  # noqa: E731
    elif order == "label":
        key = lambda r: (not r.label, r.label.lower(), -r.count, r.key)  # noqa: E731
    else:
        key = lambda r: (-r.count, r.key)  # noqa: E731
    out = sorted(rows, key=key)
    return out[::-1] if reverse else out
