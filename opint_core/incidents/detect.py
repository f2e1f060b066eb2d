"""Incidents: one category failing at one site (as source or destination) or on one link, far above that
site's usual rate and above the rest of the grid, since some hour.

For every category and site on each side, with ``x`` failures of the category at the site out of ``n``
attempts there (the traffic), the rest of the grid's rate ``p_grid`` (among the category's peers, the
sites that had it on the baseline days, when there are ``MIN_PEERS``) and the site's own rate over the
baseline days ``p_base`` (both shrunk towards the grid's with ``PRIOR`` attempts, so that 3 failures of
4 attempts carry little weight):

- **anomalous**: at least ``MIN_FAILURES``; the binomial tail P(X >= x | n, p_grid) below ``ALPHA`` (a
  level meant for the tens of thousands of category x site tests of a day); the site's shrunk rate at
  least ``MIN_RATIO`` times the grid's and ``MIN_EXCESS`` above it. A big site at an ordinary rate
  fails the ratio, however many failures it has.
- **status** against the site's own baseline: ``new`` (the baseline days had at most ``NEW_BASE_MAX``
  such failures there and a tenth of today's rate at most; ``novelty`` also calls new an incident made
  of templates no baseline day had), ``rising`` (the same binomial test and
  ratio against the baseline rate), else ``ongoing`` -- a standing problem, reported only when it is
  glaring (``ONGOING_RATIO`` times the grid and ``ONGOING_RATE`` of the site's attempts).
- **side**: the candidates are taken strongest first. One that the accepted incidents on the other side
  explain (a source that fails to every destination makes its destinations look bad) is dropped; one
  whose failures come ``LINK_SHARE`` from one partner while the rest is ordinary is a ``link``; the
  others are ``source`` or ``destination``.
- **onset** and **end**: the hours of the maximal-sum segment of the hourly log-likelihood ratio of the
  incident's rate against the reference rate (a scan statistic); no end while it lasts to the data's
  last hour.
"""
from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pyarrow as pa

from opint_core.incidents.counts import (
    OTHER, SIDES, SiteIndex, attempt_traffic, failure_codes, hour_of, link_attempts, side_counts, traffic_hours,
)
from opint_core.incidents.model import Incident
from opint_core.load.schema import HOUR_MS

MIN_FAILURES = 10
ALPHA = 1e-6
MIN_RATIO = 3.0
MIN_EXCESS = 0.01
PRIOR = 100.0
NEW_BASE_MAX = 2
RISE_RATIO = 2.0
ONGOING_RATIO = 10.0
ONGOING_RATE = 0.05
LINK_SHARE = 0.8
MIN_PEERS = 3


def binomial_tail(x, n, p) -> np.ndarray:
    """P(X >= x) for X ~ Binomial(n, p), vectorised (1 where x <= 0)."""
    from scipy.special import bdtrc   # scipy comes with scikit-learn; imported when first needed

    x, n = np.asarray(x, dtype=np.int64), np.asarray(n, dtype=np.int64)
    n = np.maximum(n, x)
    p = np.clip(np.asarray(p, dtype=np.float64), 1e-12, 1 - 1e-12)
    return np.where(x <= 0, 1.0, bdtrc(np.maximum(x - 1, 0), n, p))


def shrunk(x, n, prior_rate, prior: float = PRIOR):
    return (np.asarray(x, dtype=np.float64) + prior * prior_rate) / (np.asarray(n, dtype=np.float64) + prior)


def anomalous(x, n, reference, *, ratio: float = MIN_RATIO, excess: float = MIN_EXCESS,
              min_failures: int = MIN_FAILURES) -> np.ndarray:
    """Which (failures, attempts) stand far above a reference rate (see the module doc)."""
    x = np.asarray(x, dtype=np.int64)
    n = np.maximum(np.asarray(n, dtype=np.int64), x)
    rate = shrunk(x, n, reference)
    return ((x >= min_failures) & (binomial_tail(x, n, reference) < ALPHA)
            & (rate >= ratio * reference) & (rate - reference >= excess))


def onset_segment(failures: np.ndarray, attempts: np.ndarray, reference: float) -> tuple[int, int] | None:
    """(first, last) hour of the maximal-sum segment of the hourly log-likelihood ratio (rate of the
    segment vs ``reference``), refined once with the segment's own rate; None without failures."""
    failures = failures.astype(np.float64)
    attempts = np.maximum(attempts.astype(np.float64), failures)
    if failures.sum() <= 0:
        return None
    p0 = max(reference, 1e-9)
    p1 = max(failures.sum() / max(attempts.sum(), 1.0), p0 * 1.0001)
    segment = None
    for _ in range(2):
        score = failures * math.log(p1 / p0) - attempts * (p1 - p0)
        segment = _max_segment(score)
        a, b = segment
        seg_rate = failures[a:b + 1].sum() / max(attempts[a:b + 1].sum(), 1.0)
        if seg_rate <= p0:
            break
        p1 = seg_rate
    return segment


def _max_segment(score: np.ndarray) -> tuple[int, int]:
    """(first, last) index of the contiguous run with the largest sum (Kadane); ties: the earliest."""
    best, best_at = -math.inf, (0, 0)
    run, start = 0.0, 0
    for i, v in enumerate(score.tolist()):
        if run <= 0:
            run, start = v, i
        else:
            run += v
        if run > best:
            best, best_at = run, (start, i)
    return best_at


class _Candidate:
    __slots__ = ("group", "site", "side", "x", "n", "grid", "base", "base_x", "base_n", "score")

    def __init__(self, group, site, side, x, n, grid, base, base_x, base_n, score):
        self.group, self.site, self.side = group, site, side
        self.x, self.n, self.grid, self.base = x, n, grid, base
        self.base_x, self.base_n, self.score = base_x, base_n, score


def detect(insight, traffic: pa.Table, *, baseline=None, baseline_groups: np.ndarray | None = None) -> list[Incident]:
    """The incidents of an analysed selection.

    ``insight``: the Insight of the failures (its groups are the categories, merges applied; its window
    fixes the hours); ``traffic``: the selection's traffic (``ErrorTable.traffic``); ``baseline``: the
    baseline days' ErrorTable (failures and traffic) and ``baseline_groups`` each of its rows' category
    today (``Trends.baseline_groups``), or None: then every incident is ``new``."""
    table = insight.table
    traffic = attempt_traffic(traffic)
    has_base = baseline is not None and baseline_groups is not None and len(baseline_groups) == baseline.table.num_rows
    base_table = baseline.table if has_base else None
    base_traffic = attempt_traffic(baseline.traffic) if has_base else None
    index = SiteIndex(*[t.column(c) for t in (table, traffic, base_table, base_traffic) if t is not None
                        for c in ("src_site", "dst_site") if c in t.column_names])
    groups = np.asarray(insight.groups, dtype=np.int64)
    ng = insight.ngroups
    sites, weights = failure_codes(table, groups, index)
    if has_base:
        base_sites, base_weights = failure_codes(base_table, baseline_groups, index)
        base_groups = np.asarray(baseline_groups, dtype=np.int64)
    start_ms, end_ms = insight.window
    hours = max(0, -(-(end_ms - start_ms) // HOUR_MS))
    row_hours = hour_of(insight.times, start_ms, hours)
    last_hour = _last_hour(traffic, index, start_ms, hours)

    candidates: list[_Candidate] = []
    for side in SIDES:
        now = side_counts(groups, ng, sites[side], weights, traffic, side, index)
        enough = now.failures >= MIN_FAILURES
        if not enough.any():
            continue
        pairs, x = now.pairs[enough], now.failures[enough]
        gi, si = pairs // now.nsites, pairs % now.nsites
        n = np.maximum(now.attempts[si], x)
        all_attempts = max(int(now.attempts.sum()), int(now.group_failures.sum()))
        grid = (now.group_failures[gi] - x + 0.5) / np.maximum(all_attempts - n, 1)
        if has_base:
            before = side_counts(base_groups, ng, base_sites[side], base_weights, base_traffic, side, index)
            bx = before.lookup(pairs)
            bn = np.maximum(before.attempts[si], bx)
            grid = _peer_grid(now, before, gi, x, n, bx > 0, grid)
        else:
            bx = bn = np.zeros_like(x)
        grid = np.clip(grid, 0.0, 1.0)
        base = shrunk(bx, bn, grid)
        hit = anomalous(x, n, grid)
        strength = -np.log10(np.maximum(binomial_tail(x, n, grid), 1e-300))
        for k in np.flatnonzero(hit).tolist():
            candidates.append(_Candidate(int(gi[k]), int(si[k]), side, int(x[k]), int(n[k]), float(grid[k]),
                                         float(base[k]) if has_base and bn[k] > 0 else None,
                                         int(bx[k]), int(bn[k]), float(strength[k])))
    if not candidates:
        return []
    partners = _partners(candidates, groups, sites, weights, len(index))
    links = link_attempts(traffic, index)
    hourly = {side: traffic_hours(traffic, side, index, start_ms, hours) for side in SIDES}

    accepted: list[tuple[_Candidate, int | None]] = []   # (candidate, partner for a link)
    explaining: dict[tuple[int, str], set[int]] = {}       # (group, side) -> sites of accepted incidents
    accepted_links: set[tuple[int, int, int]] = set()      # (group, source, destination)
    for c in sorted(candidates, key=lambda c: (-c.x, -c.score, c.group, c.site, c.side)):
        by_partner = partners[(c.group, c.site, c.side)]
        x, n = c.x, c.n
        for p in explaining.get((c.group, OTHER[c.side]), ()):   # what the other side's incidents explain
            x -= by_partner.get(p, 0)
            n -= links.get(_link(c.side, c.site, p), 0)
        if (x, n) != (c.x, c.n) and not anomalous(x, max(n, x), c.grid)[()]:
            continue
        top, top_x = max(by_partner.items(), key=lambda kv: (kv[1], -kv[0]), default=(None, 0))
        partner = None
        if top is not None and top_x >= LINK_SHARE * x:
            rest_n = n - links.get(_link(c.side, c.site, top), 0)
            if not anomalous(x - top_x, max(rest_n, x - top_x), c.grid)[()]:
                partner = top
                link = (c.group, *_link(c.side, c.site, top))
                if link in accepted_links:
                    continue   # the same link, found from its other end
                accepted_links.add(link)
        accepted.append((c, partner))
        explaining.setdefault((c.group, c.side), set()).add(c.site)
        if partner is not None:
            explaining.setdefault((c.group, OTHER[c.side]), set()).add(partner)

    out = []
    for c, partner in accepted:
        incident = _incident(c, partner, insight, index, groups, sites, weights, row_hours, hourly, links,
                             start_ms, hours, last_hour)
        if incident is not None:
            out.append(incident)
    return sorted(out, key=Incident.order_key)


def _peer_grid(now, before, gi, x, n, is_peer, grid):
    """The rest of the grid's rate among the sites that had the category on the baseline days (its peers),
    where at least ``MIN_PEERS`` other sites had it: an error only some storage implementations or
    protocols produce (``ClosedChannelException`` at dCache doors) is judged against the sites that can
    produce it, not against every site; else ``grid`` (every site's). Peers are taken from the baseline
    only, so that sites failing together today do not hide each other."""
    peer_groups, peer_sites = before.pairs // before.nsites, before.pairs % before.nsites
    ng = now.group_failures.shape[0]
    count = np.bincount(peer_groups, minlength=ng)
    attempts = np.bincount(peer_groups, weights=now.attempts[peer_sites], minlength=ng)
    failures = np.bincount(peer_groups, weights=now.lookup(before.pairs), minlength=ng)
    mine = is_peer.astype(np.int64)
    others = count[gi] - mine
    peer = (failures[gi] - x * mine + 0.5) / np.maximum(attempts[gi] - n * mine, 1)
    return np.where(others >= MIN_PEERS, peer, grid)


def _link(side: str, site: int, partner: int) -> tuple[int, int]:
    return (site, partner) if side == "source" else (partner, site)


def _partners(candidates, groups, sites, weights, nsites) -> dict[tuple[int, int, str], dict[int, int]]:
    """Per candidate, its failures by the site at the other end."""
    out: dict[tuple[int, int, str], dict[int, int]] = {}
    for side in SIDES:
        mine = [c for c in candidates if c.side == side]
        if not mine:
            continue
        keys = np.array([c.group * nsites + c.site for c in mine], dtype=np.int64)
        order = np.argsort(keys)
        row_key = groups * nsites + sites[side]
        pos = np.searchsorted(keys[order], row_key)
        pos = np.minimum(pos, len(keys) - 1)
        hit = (keys[order][pos] == row_key) & (groups >= 0)
        cand = order[pos[hit]]
        other = sites[OTHER[side]][hit]
        w = None if weights is None else weights[hit]
        counts = np.bincount(cand * nsites + other, weights=w, minlength=len(mine) * nsites).astype(np.int64)
        counts = counts.reshape(len(mine), nsites)
        for k, c in enumerate(mine):
            nz = np.flatnonzero(counts[k])
            out[(c.group, c.site, side)] = dict(zip(nz.tolist(), counts[k, nz].tolist()))
    return out


def _last_hour(traffic: pa.Table, index: SiteIndex, start_ms: int, hours: int) -> int:
    if not traffic.num_rows or hours <= 0:
        return hours - 1
    total = traffic_hours(traffic, "source", index, start_ms, hours).sum(axis=0)
    seen = np.flatnonzero(total > 0)
    return int(seen[-1]) if seen.shape[0] else hours - 1


def _incident(c: _Candidate, partner, insight, index, groups, sites, weights, row_hours, hourly, links, start_ms,
              hours, last_hour) -> Incident | None:
    mine = (groups == c.group) & (sites[c.side] == c.site)
    attempts_by_hour = hourly[c.side][c.site]
    x, n = c.x, c.n
    if partner is not None:
        mine &= sites[OTHER[c.side]] == partner
        src, dst = _link(c.side, c.site, partner)
        x = int(mine.sum()) if weights is None else int(weights[mine].sum())
        n = max(links.get((src, dst), 0), x)
        attempts_by_hour = None   # the traffic hours of one link are not kept: the site's stand in
    keep = mine & (row_hours >= 0)
    fails_by_hour = np.bincount(row_hours[keep], weights=None if weights is None else weights[keep],
                                minlength=hours).astype(np.int64)
    if attempts_by_hour is None:
        attempts_by_hour = np.maximum(hourly[c.side][c.site] * (n / max(c.n, 1)), fails_by_hour)
    status = _status(c, x, n)
    if status is None:
        return None
    # a standing problem's rate is its baseline's: its hours are those above the grid's
    reference = c.grid if status == "ongoing" else max(c.grid, c.base or 0.0)
    segment = onset_segment(fails_by_hour, attempts_by_hour, reference) if hours else None
    onset = end = None
    if segment is not None:
        onset = _at(start_ms + segment[0] * HOUR_MS)
        end = None if segment[1] >= last_hour else _at(start_ms + (segment[1] + 1) * HOUR_MS)
    site, other = index.names[c.site], (index.names[partner] if partner is not None else None)
    side = c.side
    if partner is not None:
        src, dst = _link(c.side, c.site, partner)
        site, other, side = index.names[src], index.names[dst], "link"
    return Incident(group=c.group, key=insight.keys[c.group], pattern=insight.patterns[c.group], site=site,
                    side=side, other_site=other, onset=onset, end=end, failures=x, attempts=n,
                    failure_rate=x / n if n else 0.0, grid_rate=c.grid,
                    baseline_rate=None if c.base_n == 0 else c.base_x / c.base_n,
                    baseline_failures=c.base_x, baseline_attempts=c.base_n, status=status,
                    score=c.score, hourly=tuple(fails_by_hour.tolist()))


def _status(c: _Candidate, x: int, n: int) -> str | None:
    rate = x / n if n else 0.0
    if c.base is None or (c.base_x <= NEW_BASE_MAX and c.base_x / max(c.base_n, 1) <= 0.1 * rate):
        return "new"
    if anomalous(x, n, c.base, ratio=RISE_RATIO)[()]:
        return "rising"
    if rate >= ONGOING_RATIO * c.grid and rate >= ONGOING_RATE:
        return "ongoing"
    return None


def _at(ms: int) -> dt.datetime:
    return dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(milliseconds=int(ms))
