"""The orders a list of categories is shown in, one definition each: the overview of the app, the
report (``opint_core.report``) and ``Trends.order`` all sort with these.

An order is a sort key over a row with these attributes (each read only by the orders that use it):

    count     failures
    key       the category key, or any other unique id: the last tie-break, for a stable order
    label     the annotation's label ("" without one)
    new       no failure of the category in the baseline at all
    new_rows  failures of its templates that the baseline does not have (a new kind of error
              inside a known category)
    score     the trend score (a conservative log2 fold change, ``opint_core.insight.trend``)
    rising, falling, expected   of the category's ``Trend``
    ratio     count / expected of the category's ``Trend`` (None when new or without a baseline)
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence, TypeVar

Row = TypeVar("Row")


def _count(r) -> tuple:
    return (-r.count, r.key)


def _new(r) -> tuple:
    # most failures of never-seen messages first (new categories, and new kinds inside known
    # ones), then by trend
    return (-(r.count if r.new else r.new_rows), -r.score, -r.count, r.key)


def _rising(r) -> tuple:
    return (not r.rising, -r.score, -r.count, r.key)


def _falling(r) -> tuple:
    return (not r.falling, r.score, -r.expected, r.key)


def _score(r) -> tuple:
    return (-r.score, -r.count, r.key)


def _rise(r) -> tuple:
    # what the overview's trend column shows, highest first: new categories (no baseline at all),
    # then the rising ones by their factor, then the rest by score (falling last)
    rank = 0 if r.new else 1 if r.rising else 2
    return (rank, -(r.ratio or 0.0) if rank == 1 else -r.score, -r.count, r.key)


def _label(r) -> tuple:
    return (not r.label, r.label.lower(), -r.count, r.key)


SORT_KEYS: dict[str, Callable[[object], tuple]] = {
    "count": _count, "new": _new, "rising": _rising, "falling": _falling, "score": _score, "rise": _rise,
    "label": _label,
}
ORDERS = tuple(SORT_KEYS)


def sort_categories(rows: Sequence[Row], order: str, reverse: bool = False) -> list[Row]:
    """``rows`` in ``order`` (one of ORDERS); ``reverse``: the same list read backwards."""
    key = SORT_KEYS.get(order)
    if key is None:
        raise ValueError(f"unknown order {order!r}: choose one of {', '.join(ORDERS)}")
    out = sorted(rows, key=key)
    return out[::-1] if reverse else out


@dataclass(frozen=True)
class Ranked:
    """A row for the orders when there is no row object to hand (``Trends.order``)."""

    count: int
    key: object
    label: str = ""
    new: bool = False
    new_rows: int = 0
    score: float = 0.0
    rising: bool = False
    falling: bool = False
    expected: float = 0.0
    ratio: float | None = None
