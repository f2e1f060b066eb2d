"""Per site: where the failures of a load are, site by site, on either side of a transfer (issue 14).

    figures = site_figures(insight, incidents)      # one SiteFigures per site, most failures first
    sort_sites(figures, "rate")                     # or "failures", "incidents"
    site_categories(insight, "FZK-LCG2")            # the categories failing there, counted there
    site_rows(insight, "FZK-LCG2", group=g)         # row indices: the category's failures at the site

A site's failures are counted from the ErrorTable (weighted by ``count``), as source and as destination;
its attempts come from the traffic (``Insight.rates``; None without traffic). A failure whose source and
destination are the same site counts once in the site's categories, hours and totals of the categories
("at the site") but on each side in the side's figures. A missing site is "(unknown)", like any other
site. Everything is computed per distinct site and per (category, site) pair, never per row in Python.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from opint_core.insight.rates import rate
from opint_core.load.schema import UNKNOWN

SIDE_COLUMNS = {"source": "src_site", "destination": "dst_site"}
SITE_ORDERS = ("rate", "failures", "incidents")


@dataclass(frozen=True)
class SiteFigures:
    """One site of a load: its attempts and failures out (as source) and in (as destination), how many
    categories fail there and how many incidents are there, the category with the most failures there
    (``worst``: its group index, None without failures) and its failures at the site per timeline bin."""

    site: str
    attempts_out: int | None     # None: no traffic was counted
    failures_out: int
    attempts_in: int | None
    failures_in: int
    categories: int
    incidents: int
    worst: int | None
    worst_failures: int
    timeline: tuple[int, ...]

    @property
    def failures(self) -> int:
        return self.failures_out + self.failures_in

    @property
    def rate_out(self) -> float | None:
        return None if self.attempts_out is None else rate(self.failures_out, self.attempts_out)

    @property
    def rate_in(self) -> float | None:
        return None if self.attempts_in is None else rate(self.failures_in, self.attempts_in)

    @property
    def worst_rate(self) -> float | None:
        """The worse of the two sides' rates (a site whose every incoming transfer fails is broken, however
        well it serves as a source); None when neither side has attempts."""
        rates = [r for r in (self.rate_out, self.rate_in) if r is not None]
        return max(rates) if rates else None


@dataclass(frozen=True)
class SiteCategory:
    """One category's failures at one site: as source, as destination, and at the site at all (a failure
    from the site to itself counts once there), with the site's attempts on each side."""

    group: int
    key: str
    pattern: str
    as_source: int
    as_destination: int
    at_site: int
    attempts_out: int | None
    attempts_in: int | None

    @property
    def rate_out(self) -> float | None:
        return None if self.attempts_out is None else rate(self.as_source, self.attempts_out)

    @property
    def rate_in(self) -> float | None:
        return None if self.attempts_in is None else rate(self.as_destination, self.attempts_in)


def _site_codes(insight, names: list[str]) -> dict[str, np.ndarray]:
    """Per side, every row's site as an index into ``names`` (a missing column or value: UNKNOWN)."""
    index = {name: i for i, name in enumerate(names)}
    out = {}
    for side, column in SIDE_COLUMNS.items():
        if column in insight.table.column_names:
            codes, dictionary = insight.codes(column)
            # once per distinct site: its index in names; the null code (len(dictionary)) is UNKNOWN
            lookup = np.array([index[v] for v in dictionary] + [index[UNKNOWN]], dtype=np.int64)
            out[side] = lookup[codes]
        else:
            out[side] = np.full(insight.nrows, index[UNKNOWN], dtype=np.int64)
    return out


def _site_names(insight) -> list[str]:
    """Every site of the load: of its failures (either side, UNKNOWN for a missing one) and of its traffic."""
    names: set[str] = set()
    for column in SIDE_COLUMNS.values():
        if column in insight.table.column_names:
            codes, dictionary = insight.codes(column)
            names.update(dictionary)
            if codes.shape[0] and (codes == len(dictionary)).any():
                names.add(UNKNOWN)
        elif insight.nrows:
            names.add(UNKNOWN)
    if insight.rates is not None:
        names.update(s.site for s in insight.rates.sites())
    names.add(UNKNOWN)   # the lookups need it; dropped below when nothing is there
    return sorted(names)


def _weights(insight) -> np.ndarray:
    return np.ones(insight.nrows, dtype=np.int64) if insight.weights is None else insight.weights


def site_figures(insight, incidents=()) -> list[SiteFigures]:
    """One SiteFigures per site of the load (its failures' and its traffic's), most failures first, then by
    name. ``incidents``: the load's incidents (anything with ``site`` and ``other_site``); an incident on a
    link counts at both its sites."""
    names = _site_names(insight)
    nsites = len(names)
    codes = _site_codes(insight, names)
    w = _weights(insight)
    src, dst = codes["source"], codes["destination"]
    failures_out = np.bincount(src, weights=w, minlength=nsites).astype(np.int64)
    failures_in = np.bincount(dst, weights=w, minlength=nsites).astype(np.int64)
    # "at the site": the source's rows, and the destination's when it is another site (each row once)
    other = dst != src
    at_site = np.concatenate([src, dst[other]])
    at_rows = np.concatenate([np.arange(insight.nrows), np.flatnonzero(other)])
    at_w = w[at_rows]
    groups = insight.groups.astype(np.int64)[at_rows]
    # per (category, site) pair: failures at the site
    pairs, inverse = np.unique(groups * nsites + at_site, return_inverse=True)
    pair_failures = np.bincount(inverse.reshape(-1), weights=at_w, minlength=pairs.shape[0]).astype(np.int64)
    pair_group, pair_site = pairs // nsites, pairs % nsites
    positive = pair_failures > 0
    categories = np.bincount(pair_site[positive], minlength=nsites)
    # the worst category of each site: most failures there, then the lowest group index
    by_site = np.lexsort((pair_group, -pair_failures, pair_site))
    firsts = by_site[np.r_[True, pair_site[by_site][1:] != pair_site[by_site][:-1]]] if pairs.shape[0] else by_site
    worst = np.full(nsites, -1, dtype=np.int64)
    worst_failures = np.zeros(nsites, dtype=np.int64)
    worst[pair_site[firsts]] = pair_group[firsts]
    worst_failures[pair_site[firsts]] = pair_failures[firsts]
    # timeline per site, in the Insight's bins (records outside the window go to the edge bins, as there)
    nb = int(insight.nbins)
    timelines = np.zeros((nsites, nb), dtype=np.int64)
    if nb and at_rows.shape[0]:
        times = insight.times[at_rows]
        valid = times != np.iinfo(np.int64).min
        if valid.any():
            b = np.clip((times[valid] - insight.bin_start) // insight.bin_width, 0, nb - 1)
            timelines = np.bincount(at_site[valid] * nb + b, weights=at_w[valid],
                                    minlength=nsites * nb).astype(np.int64).reshape(nsites, nb)
    per_incident: dict[str, int] = {}
    for incident in incidents or ():
        for name in {incident.site, getattr(incident, "other_site", None)} - {None}:
            per_incident[name] = per_incident.get(name, 0) + 1
    rates = insight.rates
    out = []
    for i, name in enumerate(names):
        attempts_out = attempts_in = None
        if rates is not None:
            attempts_out, attempts_in = rates.at("src_site", name)[0], rates.at("dst_site", name)[0]
        if name == UNKNOWN and not (failures_out[i] or failures_in[i] or attempts_out or attempts_in):
            continue   # no failure or attempt without a site: no "(unknown)" row
        out.append(SiteFigures(
            site=name, attempts_out=attempts_out, failures_out=int(failures_out[i]), attempts_in=attempts_in,
            failures_in=int(failures_in[i]), categories=int(categories[i]), incidents=per_incident.get(name, 0),
            worst=None if worst[i] < 0 else int(worst[i]), worst_failures=int(worst_failures[i]),
            timeline=tuple(int(x) for x in timelines[i])))
    return sort_sites(out, "failures")


def sort_sites(figures: list[SiteFigures], order: str) -> list[SiteFigures]:
    """``figures`` in one of SITE_ORDERS: the worse side's rate (no rate last), failures, or incidents;
    ties by failures, then by name."""
    if order not in SITE_ORDERS:
        raise ValueError(f"unknown site order {order!r}: choose one of {', '.join(SITE_ORDERS)}")
    if order == "rate":
        key = lambda s: (s.worst_rate is None, -(s.worst_rate or 0.0), -s.failures, s.site)  # noqa: E731
    elif order == "incidents":
        key = lambda s: (-s.incidents, -s.failures, s.site)  # noqa: E731
    else:
        key = lambda s: (-s.failures, s.site)  # noqa: E731
    return sorted(figures, key=key)


def _side_mask(insight, column: str, site: str) -> np.ndarray:
    """Which rows have ``site`` in ``column`` (a null is UNKNOWN); decided once per distinct value."""
    if column not in insight.table.column_names:
        return np.full(insight.nrows, site == UNKNOWN)
    codes, dictionary = insight.codes(column)
    hit = np.array([v == site for v in dictionary] + [site == UNKNOWN], dtype=bool)
    return hit[codes]


def site_rows(insight, site: str, *, side: str | None = None, group: int | None = None) -> np.ndarray:
    """Row indices (ascending) of the failures at ``site``: on ``side`` ("source", "destination"), or on
    either (None); of one category (``group``) or of all."""
    if side is None:
        mask = _side_mask(insight, "src_site", site) | _side_mask(insight, "dst_site", site)
    elif side in SIDE_COLUMNS:
        mask = _side_mask(insight, SIDE_COLUMNS[side], site)
    else:
        raise ValueError(f"unknown side {side!r}: source, destination or None for either")
    if group is not None:
        mask &= insight.groups == group
    return np.flatnonzero(mask)


def site_categories(insight, site: str) -> list[SiteCategory]:
    """The categories with failures at ``site``, with their failures there as source, as destination and
    at all; most failures at the site first, then by group index."""
    w = _weights(insight)
    src = _side_mask(insight, "src_site", site)
    dst = _side_mask(insight, "dst_site", site)
    groups, n = insight.groups, insight.ngroups
    as_source = np.bincount(groups[src], weights=w[src], minlength=n).astype(np.int64)
    as_destination = np.bincount(groups[dst], weights=w[dst], minlength=n).astype(np.int64)
    either = src | dst
    at_site = np.bincount(groups[either], weights=w[either], minlength=n).astype(np.int64)
    present = np.flatnonzero(at_site > 0)
    present = present[np.lexsort((present, -at_site[present]))]
    rates = insight.rates
    attempts_out = attempts_in = None
    if rates is not None:
        attempts_out, attempts_in = rates.at("src_site", site)[0], rates.at("dst_site", site)[0]
    return [SiteCategory(group=int(g), key=insight.keys[g], pattern=insight.patterns[g],
                         as_source=int(as_source[g]), as_destination=int(as_destination[g]),
                         at_site=int(at_site[g]), attempts_out=attempts_out, attempts_in=attempts_in)
            for g in present.tolist()]
