"""Failure rates: a failure count set against the attempts it is one of, from the traffic table
(``opint_core.load.traffic``). "920 failures at FZK-LCG2" reads as an outage out of 1,000 attempts
and as a normal day out of 200,000.

Three views, all vectorised over the traffic's rows (a group-by per view, once per load):

- per site and side: attempts and failures with the site as source (out) and as destination (in);
- per link (source site -> destination site);
- per category and site on one side: the category's failures at the site (counted by Insight over
  its groups, so manual merges count where they are merged) / the site's attempts on that side.

What counts as an attempt: an event that ends one. Every FTS "complete" record does (its
``event_type`` is the final state: Ok, Error, Abort...). A Rucio event type is
``<request type>-<state>``; the events that end an attempt are ``*-done``, ``*-failed`` (transfer,
stage-in, deletion), ``transfer-submission_failed`` (the submission to FTS failed: that attempt ends
there, and the loader counts it a failure) and ``deletion-not-found`` (the file was gone: a deletion
that ended without failing). ``transfer-queued`` and ``transfer-submitted`` are steps of an attempt
whose end comes as another event: counted as attempts they would count each transfer twice, so
they are left out of every rate and reported beside it (``Rates.steps``). A record without an event
type counts as an attempt (nothing read is dropped), and so does every failure whatever its type,
so that a rate is always failures of attempts / attempts and the failures of the rates are the
ErrorTable's failures. Sites are the traffic's: a record without a site counts at "(unknown)",
like any other site.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from opint_core.load.codes import key_sums
from opint_core.load.schema import UNKNOWN

# FTS final states have no "-"; Rucio's '<request type>-<state>' end an attempt in these states
ATTEMPT_EVENT_TYPES = r"^[^-]*$|(done|failed|-not-found)$"
SIDES = {"src_site": "out", "dst_site": "in"}   # the dimension of a side -> how the report names it


def rate(failures: int, attempts: int) -> float | None:
    """failures / attempts, None without attempts (no rate, rather than a made-up 0 or 100 %)."""
    return failures / attempts if attempts > 0 else None


def is_attempt(traffic: pa.Table) -> pa.ChunkedArray:
    """Which traffic rows count as attempts (see the module docstring): by event type, and every
    row with failures."""
    # once per distinct type (a dozen), not per row
    types = pc.dictionary_encode(pc.fill_null(traffic.column("event_type"), UNKNOWN).combine_chunks())
    ends = pc.match_substring_regex(types.dictionary, ATTEMPT_EVENT_TYPES, ignore_case=True)
    return pc.or_(pc.take(ends, types.indices), pc.greater(traffic.column("failures"), 0))


@dataclass(frozen=True)
class SiteRate:
    """One site's attempts and failures as a source (out) and as a destination (in)."""

    site: str
    attempts_out: int
    failures_out: int
    attempts_in: int
    failures_in: int

    @property
    def failure_rate_out(self) -> float | None:
        return rate(self.failures_out, self.attempts_out)

    @property
    def failure_rate_in(self) -> float | None:
        return rate(self.failures_in, self.attempts_in)

    def to_dict(self) -> dict:
        return {"site": self.site, "attempts_out": self.attempts_out, "failures_out": self.failures_out,
                "attempts_in": self.attempts_in, "failures_in": self.failures_in,
                "failure_rate_out": self.failure_rate_out, "failure_rate_in": self.failure_rate_in}


class LinkRate(NamedTuple):
    src_site: str
    dst_site: str
    attempts: int
    failures: int

    @property
    def rate(self) -> float | None:
        return rate(self.failures, self.attempts)


class SiteCount(NamedTuple):
    """A category's failures at one site on one side, against the site's attempts on that side."""

    site: str
    count: int
    attempts: int | None   # None: no traffic to count them
    rate: float | None


def _sums(table: pa.Table, keys: list[str]) -> pa.Table:
    return table.group_by(keys, use_threads=False).aggregate([("attempts", "sum"), ("failures", "sum")])


class Rates:
    """The attempts and failures of one load per site (each side) and per link; see the module
    docstring for what counts as an attempt. ``Rates.of(traffic)`` is None for a load without
    traffic (an ErrorTable made by hand, a backend that does not count it): no rates rather than
    rates against zero attempts.

    Invariants: the out-attempts of all sites, their in-attempts and the attempts of all links each
    sum to ``attempts``, and their failures to ``failures``; ``failures`` equals the failures of the
    traffic (the ErrorTable's)."""

    def __init__(self, traffic: pa.Table):
        traffic = traffic.select(["event_type", "src_site", "dst_site", "attempts", "failures"])   # what rates read
        counted = is_attempt(traffic)
        attempts = traffic.filter(counted)
        self.attempts = int(pc.sum(attempts.column("attempts")).as_py() or 0)
        self.failures = int(pc.sum(attempts.column("failures")).as_py() or 0)
        steps = _sums(traffic.filter(pc.invert(counted)), ["event_type"]).to_pylist()
        # events left out of the rates (queued, submitted), most frequent first
        self.steps: list[tuple[str, int]] = sorted(((r["event_type"] or UNKNOWN, r["attempts_sum"]) for r in steps),
                                                   key=lambda p: (-p[1], p[0]))
        self._sides = {dim: self._per_site(attempts, dim) for dim in SIDES}
        self._attempts = attempts
        self._links: list[LinkRate] | None = None   # on first use: a day has tens of thousands of links

    @classmethod
    def of(cls, traffic: pa.Table | None) -> "Rates | None":
        if traffic is None or traffic.num_rows == 0:
            return None
        return cls(traffic)

    @staticmethod
    def _per_site(attempts: pa.Table, dim: str) -> dict[str, tuple[int, int]]:
        sums = _sums(attempts, [dim])
        return {s or UNKNOWN: (a, f) for s, a, f in zip(sums.column(dim).to_pylist(),
                                                        sums.column("attempts_sum").to_pylist(),
                                                        sums.column("failures_sum").to_pylist())}

    def at(self, dim: str, site: str | None) -> tuple[int, int]:
        """(attempts, failures) of a site on the side of ``dim`` ("src_site" or "dst_site"); a
        missing site (None) is "(unknown)"; (0, 0) for a site without traffic."""
        return self._sides[dim].get(UNKNOWN if site is None else site, (0, 0))

    def attempts_at(self, dim: str, sites: list[str | None]) -> np.ndarray:
        """The attempts of each site on the side of ``dim`` (int64, 0 for a site without traffic)."""
        side = self._sides[dim]
        return np.array([side.get(UNKNOWN if s is None else s, (0, 0))[0] for s in sites], dtype=np.int64)

    def site_count(self, dim: str, site: str | None, count: int) -> SiteCount:
        """``count`` failures at ``site`` on the side of ``dim``, with the site's attempts and the rate."""
        attempts = self.at(dim, site)[0]
        return SiteCount(UNKNOWN if site is None else site, count, attempts, rate(count, attempts))

    def site(self, name: str) -> SiteRate:
        (ao, fo), (ai, fi) = self.at("src_site", name), self.at("dst_site", name)
        return SiteRate(name, ao, fo, ai, fi)

    def sites(self) -> list[SiteRate]:
        """Every site of the traffic, most failures (out + in) first, then by name."""
        names = set(self._sides["src_site"]) | set(self._sides["dst_site"])
        rows = [self.site(n) for n in names]
        return sorted(rows, key=lambda s: (-(s.failures_out + s.failures_in), s.site))

    def links(self) -> list[LinkRate]:
        """Every source -> destination site pair of the traffic, most failures first, then by names."""
        if self._links is None:   # computed twice by two threads at worst: the same list
            sums = _sums(self._attempts, ["src_site", "dst_site"])
            links = [LinkRate(s or UNKNOWN, d or UNKNOWN, a, f) for s, d, a, f in zip(
                sums.column("src_site").to_pylist(), sums.column("dst_site").to_pylist(),
                sums.column("attempts_sum").to_pylist(), sums.column("failures_sum").to_pylist())]
            self._links = sorted(links, key=lambda link: (-link.failures, link.src_site, link.dst_site))
        return self._links


def category_site_failures(groups: np.ndarray, ngroups: int, codes: np.ndarray, dictionary: list[str],
                           weights: np.ndarray | None, rates: Rates, dim: str) -> pa.Table:
    """The failures of every group at every site of one side (only the pairs that have any), with the
    site's attempts on that side and the rate: columns group, site, failures, attempts, rate (null
    without attempts). ``codes``: the rows' site codes into ``dictionary``, ``len(dictionary)`` for
    no site (counted at "(unknown)"); ``weights``: failures per row (None: one each)."""
    stride = len(dictionary) + 1
    combined = groups.astype(np.int64) * stride + codes
    cells, failures = key_sums(combined, weights, ngroups * stride)
    group, site = cells // stride, cells % stride
    names = dictionary + [UNKNOWN]
    attempts = rates.attempts_at(dim, names)[site]
    failures = failures.astype(np.int64)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = failures / attempts
    return pa.table({
        "group": pa.array(group, pa.int64()),
        "site": pa.array(names, pa.string()).take(pa.array(site, pa.int64())),
        "failures": pa.array(failures, pa.int64()),
        "attempts": pa.array(attempts, pa.int64()),
        "rate": pa.array(ratio, pa.float64(), mask=attempts == 0),
    })
