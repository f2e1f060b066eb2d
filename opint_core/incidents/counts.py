"""What detection counts, as arrays over one site index: failures per (category, site) on each side, the
attempts each site had on each side (the traffic), per hour and per link.

Sites of the failures, of the traffic and of the baseline days are put on one index (``SiteIndex``); a
failure without a site is the traffic's "(unknown)". Everything is a ``np.bincount`` over integer codes,
weighted by a compact table's ``count``; nothing here loops over rows.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from opint_core.load.codes import key_sums
from opint_core.load.schema import HOUR_MS, UNKNOWN, row_weights

SIDES = ("source", "destination")
SITE_COLUMN = {"source": "src_site", "destination": "dst_site"}
OTHER = {"source": "destination", "destination": "source"}
# Rucio events that only say a request was made or queued: they are not attempts that could fail
# (their failure is a "*submission_failed" event, an attempt of its own)
NOT_ATTEMPTS = r"-(submitted|queued)$"


def attempt_traffic(traffic: pa.Table) -> pa.Table:
    """The traffic rows that are attempts with an outcome (every FTS state; Rucio without submissions)."""
    if not traffic.num_rows:
        return traffic
    pending = pc.match_substring_regex(traffic.column("event_type"), NOT_ATTEMPTS)
    return traffic.filter(pc.invert(pc.fill_null(pending, False)))


def _strings(column) -> pa.ChunkedArray:
    column = column if isinstance(column, pa.ChunkedArray) else pa.chunked_array([column])
    if pa.types.is_dictionary(column.type):   # a compact (Spark) table
        column = column.cast(pa.string())
    return pc.fill_null(column, UNKNOWN)


class SiteIndex:
    """One code per site name, over every table that is counted."""

    def __init__(self, *columns):
        names: set[str] = {UNKNOWN}   # what a failure or an attempt without a site counts as
        for column in columns:
            if column is not None and len(column):
                names.update(pc.unique(_strings(column)).to_pylist())
        self.names = sorted(names)
        self._values = pa.array(self.names, pa.string())

    def __len__(self) -> int:
        return len(self.names)

    def codes(self, column) -> np.ndarray:
        """The code of each value (a null is UNKNOWN, which every index holds when a column had one)."""
        if column is None or not len(column):
            return np.zeros(0, dtype=np.int64)
        found = pc.fill_null(pc.index_in(_strings(column), value_set=self._values), self.unknown)
        return np.asarray(found.to_numpy(), dtype=np.int64)

    @property
    def unknown(self) -> int:
        return self.names.index(UNKNOWN)


@dataclass
class SideCounts:
    """Failures of each (group, site) pair on one side, sparse (only pairs that failed), and the attempts
    of each site there: memory follows the pairs seen, not groups x sites."""

    pairs: np.ndarray          # sorted int64 keys group * nsites + site
    failures: np.ndarray       # int64, per pair
    group_failures: np.ndarray  # (groups,) int64
    attempts: np.ndarray       # (sites,) int64
    nsites: int

    def lookup(self, pairs: np.ndarray) -> np.ndarray:
        """Failures of the given pair keys (0 for a pair that never failed)."""
        if not self.pairs.shape[0]:
            return np.zeros(pairs.shape[0], dtype=np.int64)
        at = np.minimum(np.searchsorted(self.pairs, pairs), self.pairs.shape[0] - 1)
        return np.where(self.pairs[at] == pairs, self.failures[at], 0)


def side_counts(groups: np.ndarray, ngroups: int, sites: np.ndarray, weights, traffic: pa.Table, side: str,
                index: SiteIndex) -> SideCounts:
    nsites = len(index)
    keep = groups >= 0
    g, s = groups[keep], sites[keep]
    w = None if weights is None else weights[keep]
    pairs, failures = key_sums(g * nsites + s, w, ngroups * nsites)
    group_failures = np.bincount(g, weights=w, minlength=ngroups).astype(np.int64)
    attempts = np.zeros(nsites, dtype=np.int64)
    if traffic.num_rows:
        codes = index.codes(traffic.column(SITE_COLUMN[side]))
        attempts = np.bincount(codes, weights=traffic.column("attempts").to_numpy(),
                               minlength=nsites).astype(np.int64)
    return SideCounts(pairs, failures, group_failures, attempts, nsites)


def hour_of(ms: np.ndarray, start_ms: int, hours: int) -> np.ndarray:
    """The hour (0..hours-1) of each time since ``start_ms``; -1 outside the window or without a time."""
    h = np.floor_divide(ms - start_ms, HOUR_MS)
    return np.where((h >= 0) & (h < hours), h, -1)


def failure_codes(table: pa.Table, groups: np.ndarray, index: SiteIndex):
    """(per-row site codes per side, row weights) of a failures table."""
    sites = {side: index.codes(table.column(col)) if col in table.column_names else
             np.full(table.num_rows, index.unknown, dtype=np.int64) for side, col in SITE_COLUMN.items()}
    return sites, row_weights(table)


def traffic_hours(traffic: pa.Table, side: str, index: SiteIndex, start_ms: int, hours: int) -> np.ndarray:
    """(sites, hours) attempts of each site on one side per hour of the window."""
    out = np.zeros((len(index), max(hours, 0)), dtype=np.int64)
    if not traffic.num_rows or hours <= 0:
        return out
    ms = pc.fill_null(pc.cast(traffic.column("hour").cast(pa.timestamp("ms", tz="UTC")), pa.int64()),
                      np.iinfo(np.int64).min)
    h = hour_of(np.asarray(ms.to_numpy(), dtype=np.int64), start_ms, hours)
    codes = index.codes(traffic.column(SITE_COLUMN[side]))
    attempts = np.asarray(traffic.column("attempts").to_numpy(), dtype=np.int64)
    ok = h >= 0
    flat = np.bincount(codes[ok] * hours + h[ok], weights=attempts[ok], minlength=len(index) * hours)
    return flat.astype(np.int64).reshape(len(index), hours)


def link_attempts(traffic: pa.Table, index: SiteIndex) -> dict[tuple[int, int], int]:
    """Attempts per (source site, destination site) code pair."""
    if not traffic.num_rows:
        return {}
    src, dst = index.codes(traffic.column("src_site")), index.codes(traffic.column("dst_site"))
    pair = src * len(index) + dst
    uniq, inverse = np.unique(pair, return_inverse=True)
    sums = np.bincount(inverse.reshape(-1), weights=traffic.column("attempts").to_numpy()).astype(np.int64)
    n = len(index)
    return {(int(p // n), int(p % n)): int(c) for p, c in zip(uniq.tolist(), sums.tolist())}
