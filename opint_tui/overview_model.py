"""The rows of the overview, filtered and sorted; pure Python so that it is fast to test and to reuse.

A row is a category (or, at template level, a template). Filtering is fuzzy over pattern, label and
sites (rapidfuzz, one vectorised pass per term); sorting by count, trend, new or label (the orders
of the core, ``core.sort_categories``; "trend" is the core's "rise": new, then rising by factor).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from rapidfuzz import fuzz, process

import opint_core as core

SORTS = ("count", "trend", "new", "label")
CORE_ORDERS = {"trend": "rise"}   # the app's name of an order -> its name in the core
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
    site_names: str = ""            # every name of those sites (experiment names, hosts): filtered, not shown
    timeline: tuple = ()
    new: bool = False
    new_templates: int = 0          # rows of templates never seen in the baseline (inside a known category)
    trend_score: float = 0.0
    ratio: float | None = None      # failures / usual failures (the baseline's); None when new or unknown
    rising: bool = False
    trend_words: tuple = ()         # core.trend_words: "new", "×6.3", "new msg"; () flat or unknown
    trend_known: bool = False       # there was a baseline to compare with

    @property
    def haystack(self) -> str:
        return f"{self.pattern} {self.label} {self.sites} {self.site_names}".lower()

    # what the orders of the core (core.sort_categories) read
    @property
    def score(self) -> float:
        return self.trend_score

    @property
    def new_rows(self) -> int:
        return self.new_templates


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
    """The rows in one of SORTS, as the core defines it (the report sorts the same way)."""
    return core.sort_categories(rows, CORE_ORDERS.get(order, order), reverse)
