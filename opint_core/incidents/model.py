"""The Incident: one category failing at one site (source or destination side) or on one link."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace

STATUSES = ("new", "rising", "ongoing")   # the order of the incidents list
SIDE_NAMES = ("source", "destination", "link", "unknown")


@dataclass(frozen=True)
class Incident:
    group: int                   # the category's index in the Insight
    key: str                     # the category key
    pattern: str
    site: str                    # the site (a link: its source)
    side: str                    # source | destination | link | unknown
    other_site: str | None       # a link's destination
    onset: dt.datetime | None    # first hour of the change (UTC)
    end: dt.datetime | None      # when it stopped; None while it lasts to the end of the data
    failures: int                # of the category at the site on that side (or on the link), whole window
    attempts: int                # at the site on that side (or on the link)
    failure_rate: float
    grid_rate: float             # the category's rate at the other sites on that side
    baseline_rate: float | None  # the site's own rate for the category over the baseline days
    baseline_failures: int
    baseline_attempts: int
    status: str                  # new | rising | ongoing
    score: float                 # -log10 of the binomial tail against the grid rate (strength)
    hourly: tuple[int, ...] = ()  # failures per hour of the window
    cause: object | None = field(default=None, compare=False)   # the knowledge base's Cause, when one matches

    @property
    def title(self) -> str:
        where = f"{self.site} → {self.other_site}" if self.side == "link" else f"{self.site} ({self.side})"
        return f"{where}: {self.pattern}"

    def order_key(self) -> tuple:
        """New first, then rising, then ongoing; within each, the most failures first."""
        return (STATUSES.index(self.status), -self.failures, self.key, self.site, self.other_site or "")

    def with_cause(self, cause) -> "Incident":
        return replace(self, cause=cause)

    def to_dict(self) -> dict:
        """The report's JSON object of the incident."""
        cause = self.cause
        return {
            "key": self.key, "pattern": self.pattern, "site": self.site, "side": self.side,
            "other_site": self.other_site,
            "onset": _iso(self.onset), "end": _iso(self.end),
            "failures": self.failures, "attempts": self.attempts, "failure_rate": round(self.failure_rate, 6),
            "baseline_rate": None if self.baseline_rate is None else round(self.baseline_rate, 6),
            "grid_rate": round(self.grid_rate, 6), "status": self.status,
            "cause": getattr(cause, "title", None), "cause_id": getattr(cause, "id", None),
            "action": getattr(cause, "action", None) or "unknown cause: look at the messages",
            "check": getattr(cause, "check", None), "hourly": list(self.hourly),
        }


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value is not None else None
