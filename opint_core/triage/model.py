"""The shared types of the triage store: statuses, field names, and what reading a store gives.

Only the data: no reading, writing or matching here (``journal``, ``store`` and ``carry`` use these).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

FORMAT_VERSION = 1
STATUSES = ("new", "investigating", "ticketed", "known", "resolved", "ignored")
ANNOTATION_FIELDS = ("label", "status", "ticket", "notes")
MERGE_FIELD = "merge_into"
#: The time of a change whose written time no real change can have (outside the years 1-9999 in
#: UTC, or far in the future): the earliest time there is, so that every change with a real time
#: wins over it. Reading such a line counts it as repaired and warns (``TriageStore.repaired``).
UNKNOWN_TIME = "0001-01-01T00:00:00.000000+00:00"


class Change(NamedTuple):
    """Who changed a field, and when (UTC ISO time)."""
    author: str
    time: str


@dataclass(frozen=True)
class Annotation:
    """The folded state of one category's annotation.

    ``author`` and ``time`` are those of the latest change to any annotation field; ``changes`` has
    them per field (label, status, ticket, notes and any unknown field); a time is ``UNKNOWN_TIME``
    when the journal's was unusable. ``extra`` holds fields written by a newer opint, latest value
    each, untouched. ``status`` is ``"new"`` until set.
    """
    key: str
    pattern: str | None = None
    label: str | None = None
    status: str = "new"
    ticket: str | None = None
    notes: str | None = None
    author: str | None = None
    time: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)
    changes: Mapping[str, Change] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        """True when nothing is (any longer) annotated: no label, ticket, notes, extra; status new."""
        return not (self.label or self.ticket or self.notes or self.extra) and self.status in ("new", None)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able form (reports, scripts)."""
        d = {"key": self.key, "pattern": self.pattern, "label": self.label, "status": self.status,
             "ticket": self.ticket, "notes": self.notes, "author": self.author, "time": self.time}
        if self.extra:
            d["extra"] = dict(self.extra)
        return d


@dataclass(frozen=True)
class Inherited:
    """The annotation a category gets: its own (``exact``), or a similar pattern's (inherited).

    ``similarity`` is 100.0 for an exact key match, else the rapidfuzz score (0..100) between the
    category's pattern and ``annotation.pattern``; ``source_key`` is the annotated category's key.
    """
    key: str
    source_key: str
    similarity: float
    annotation: Annotation

    @property
    def exact(self) -> bool:
        return self.source_key == self.key

    @property
    def inherited(self) -> bool:
        return self.source_key != self.key
