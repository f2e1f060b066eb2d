"""Insight: where, when and which values, for every category of a clustered ErrorTable at once.

Everything per row is numpy over integer codes, computed once for the whole table:

- each dimension column (sites, hosts, RSEs, VO, activity, error code) is dictionary-encoded by
  pyarrow into int codes (null = one extra code), and ``np.bincount`` over the combined code
  ``group * (values + 1) + value`` counts every (category, value) pair in one pass; the top values
  of every category come from one ``argpartition`` of that matrix (a sort-based ``np.unique`` when
  the matrix would be too large);
- timelines are one ``bincount`` over ``group * bins + bin``;
- the rows of each category are one stable argsort of the category ids (a radix sort on 16-bit
  ids), so the drill-down of one category only touches its own rows;
- messages are handled per distinct string (slot values, samples), never per row.

A compact table (a ``count`` column: the Spark path, see opint_core.load.schema) is used as is: every
count above is a sum of the rows' ``count`` (``np.bincount`` weights) -- group counts, shares,
timelines, top values, drill-down and distinct-message counts are failures, not rows. What indexes
rows stays per row (the order/starts of each group's rows; first/last seen are min/max over rows).
Without a ``count`` column nothing is weighted.
"""
from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass, field
from typing import Mapping, NamedTuple, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from opint_core.insight.rates import Rates, SiteCount, category_site_failures
from opint_core.insight.slots import SlotAligner
from opint_core.load.codes import factorize_column
from opint_core.load.schema import DAY_MS, HOUR_MS, TIME_MAX_MS, TIME_MIN_MS, row_weights

DIMENSIONS = ("src_site", "dst_site", "src_host", "dst_host", "src_rse", "dst_rse", "vo", "activity",
              "error_code", "event_type")
OVERVIEW_DIMENSIONS = ("src_site", "dst_site")
LEVELS = ("category", "template")

# bin widths tried in order: the first that gives at most MAX_BINS bins over the window wins
BIN_WIDTHS_MS = tuple(h * HOUR_MS for h in (1, 2, 3, 4, 6, 8, 12, 24, 48, 72, 96, 168))
MAX_BINS = 48

EVENT_TYPES = 10   # event types listed per category in the report (Rucio has about ten)

# a dense (groups x values) count matrix is used up to this many cells, np.unique above it
_DENSE_CELLS = 4_000_000
_NAT = np.iinfo(np.int64).min


class ValueCount(NamedTuple):
    value: str
    count: int
    share: float          # of the category's failures


class TemplateCount(NamedTuple):
    template: int         # template id in the Clustering
    pattern: str
    count: int
    share: float


class MessageCount(NamedTuple):
    message: str
    count: int
    template: int


@dataclass(frozen=True)
class SlotValues:
    """The values one ``<*>`` of a template takes, most frequent first."""

    position: int                 # 0-based index of the wildcard in the template
    values: list[ValueCount]      # share: of the aligned failures of the template
    distinct: int                 # number of distinct values seen


@dataclass(frozen=True)
class TemplateSlots:
    template: int
    pattern: str
    count: int                    # failures of the template
    aligned: int                  # failures whose message was aligned with the pattern
    exact: bool                   # False when only the most frequent distinct messages were aligned
    slots: list[SlotValues]


@dataclass(frozen=True)
class CategoryFigures:
    """What every view of a category starts with: which one, how many failures, when."""

    index: int
    key: str
    pattern: str
    count: int
    share: float
    first_seen: dt.datetime | None
    last_seen: dt.datetime | None
    timeline: tuple[int, ...]


@dataclass(frozen=True)
class CategorySummary(CategoryFigures):
    """One overview row."""

    top_src_sites: list[ValueCount]
    top_dst_sites: list[ValueCount]
    merged_into: int | None = None   # index of the category this one is shown in (manual merges)


@dataclass(frozen=True)
class CategoryDetail(CategoryFigures):
    """Everything the drill-down of one category shows."""

    bin_edges: tuple[dt.datetime, ...]
    top: dict[str, list[ValueCount]]        # dimension -> most frequent non-null values
    nulls: dict[str, int]                   # dimension -> failures without a value
    distinct: dict[str, int]                # dimension -> number of distinct non-null values
    templates: list[TemplateCount]
    messages: list[MessageCount]            # the most frequent distinct raw messages
    distinct_messages: int
    slots: list[TemplateSlots] = field(default_factory=list)


class TopValues(NamedTuple):
    """Top values of one dimension for every group: row g holds group g's values, best first."""

    codes: np.ndarray       # (groups, k) int32 codes into `dictionary`, -1 = no value
    counts: np.ndarray      # (groups, k) int64 failures
    nulls: np.ndarray       # (groups,) failures with a null value
    distinct: np.ndarray    # (groups,) distinct non-null values
    dictionary: list[str]


def _ms(value) -> int:
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.timezone.utc)
        return int(value.timestamp() * 1000)
    if isinstance(value, dt.date):
        return int(dt.datetime(value.year, value.month, value.day, tzinfo=dt.timezone.utc).timestamp() * 1000)
    if isinstance(value, np.datetime64):
        return int(value.astype("datetime64[ms]").astype(np.int64))
    return int(value)


def _datetime(ms: int) -> dt.datetime | None:
    """None for no time; a time beyond what a datetime holds (a bin edge past 9999) at its limit."""
    if ms == _NAT:
        return None
    ms = min(max(int(ms), TIME_MIN_MS), TIME_MAX_MS)
    return dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(milliseconds=ms)


def choose_bins(start_ms: int, end_ms: int, max_bins: int = MAX_BINS) -> tuple[int, int, int]:
    """(first edge, bin width, number of bins) covering [start, end): hourly for a day, coarser for
    longer windows so that there are at most ``max_bins`` bins. Edges fall on whole hours (on UTC
    midnights for widths of a day or more), so that a day shows as 24 hourly bins."""
    end_ms = max(end_ms, start_ms + 1)
    widths = list(BIN_WIDTHS_MS)
    span_days = -(-(end_ms - start_ms) // DAY_MS) + 1
    widths.append(max(8, -(-span_days // max_bins)) * DAY_MS)
    for width in widths:
        align = width if DAY_MS % width == 0 else (DAY_MS if width % DAY_MS == 0 else HOUR_MS)
        first = start_ms - start_ms % align
        nbins = -(-(end_ms - first) // width)
        if nbins <= max_bins:
            return first, width, max(1, nbins)
    first = start_ms - start_ms % DAY_MS
    width = widths[-1]
    return first, width, max(1, -(-(end_ms - first) // width))


def _as_chunked(col) -> pa.ChunkedArray:
    return col if isinstance(col, pa.ChunkedArray) else pa.chunked_array([col])


def encode_column(col) -> tuple[np.ndarray, list[str]]:
    """(int32 codes with nulls as len(dictionary), dictionary): one pass of pyarrow's hash kernel."""
    codes, values = factorize_column(col)
    codes[codes < 0] = len(values)
    return codes, values.to_pylist()


def _bincount(x: np.ndarray, weights: np.ndarray | None, minlength: int) -> np.ndarray:
    """np.bincount as int64, of rows or (with weights) of failures. Weighted sums go through
    float64: exact below 2**53 failures."""
    if weights is None:
        return np.bincount(x, minlength=minlength).astype(np.int64, copy=False)
    return np.bincount(x, weights=weights, minlength=minlength).astype(np.int64)


def _unique_counts(x: np.ndarray, weights: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """(sorted distinct values, their counts) of rows or (with weights) of failures."""
    if weights is None:
        return np.unique(x, return_counts=True)
    uniq, inverse = np.unique(x, return_inverse=True)
    return uniq, _bincount(inverse.reshape(-1), weights, uniq.shape[0])


def top_k_by_group(groups: np.ndarray, ngroups: int, codes: np.ndarray, nvalues: int, k: int, *,
                   weights: np.ndarray | None = None, dense_cells: int = _DENSE_CELLS) -> tuple:
    """Top-k value codes per group, counts descending, ties by smaller code.

    ``codes`` in 0..nvalues, where nvalues is the null code; ``weights``: failures per row (None:
    one each). Returns (codes (g,k) int32 with -1 padding, counts (g,k) int64, nulls (g,),
    distinct (g,))."""
    stride = nvalues + 1
    k = max(0, min(k, nvalues))
    out_codes = np.full((ngroups, k), -1, dtype=np.int32)
    out_counts = np.zeros((ngroups, k), dtype=np.int64)
    if ngroups == 0:
        return out_codes, out_counts, np.zeros(0, np.int64), np.zeros(0, np.int64)
    if groups.shape[0] == 0 or nvalues == 0:
        nulls = _bincount(groups, weights, ngroups) if nvalues == 0 else np.zeros(ngroups, np.int64)
        return out_codes, out_counts, nulls, np.zeros(ngroups, np.int64)
    if ngroups * stride <= dense_cells:
        combined = groups.astype(np.int64) * stride + codes
        matrix = _bincount(combined, weights, ngroups * stride).reshape(ngroups, stride)
        nulls = matrix[:, nvalues].astype(np.int64)
        counts = matrix[:, :nvalues]
        distinct = np.count_nonzero(counts, axis=1).astype(np.int64)
        if k:
            # one key orders by count, then by smaller code: exact and deterministic ties
            key = counts.astype(np.int64) * stride + (nvalues - np.arange(nvalues, dtype=np.int64))
            if k < nvalues:
                part = np.argpartition(key, nvalues - k, axis=1)[:, nvalues - k:]
            else:
                part = np.broadcast_to(np.arange(nvalues), (ngroups, nvalues))
            pkey = np.take_along_axis(key, part, axis=1)
            order = np.argsort(-pkey, axis=1, kind="stable")
            best = np.take_along_axis(part, order, axis=1)
            best_counts = np.take_along_axis(counts, best, axis=1).astype(np.int64)
            out_counts[:] = best_counts
            out_codes[:] = np.where(best_counts > 0, best, -1)
        return out_codes, out_counts, nulls, distinct
    # sparse: sort the combined codes
    combined = groups.astype(np.int64) * stride + codes
    uniq, cnt = _unique_counts(combined, weights)
    g = uniq // stride
    v = uniq - g * stride
    is_null = v == nvalues
    nulls = np.bincount(g[is_null], weights=cnt[is_null], minlength=ngroups).astype(np.int64)
    g, v, cnt = g[~is_null], v[~is_null], cnt[~is_null]
    distinct = np.bincount(g, minlength=ngroups).astype(np.int64)
    if k and g.shape[0]:
        order = np.lexsort((v, -cnt, g))
        g, v, cnt = g[order], v[order], cnt[order]
        starts = np.searchsorted(g, np.arange(ngroups))
        rank = np.arange(g.shape[0]) - starts[g]
        keep = rank < k
        out_codes[g[keep], rank[keep]] = v[keep]
        out_counts[g[keep], rank[keep]] = cnt[keep]
    return out_codes, out_counts, nulls, distinct


class Insight:
    """Breakdowns of one ErrorTable by category (or template): counts, share, top values of each
    dimension, timelines, first/last seen, and the drill-down of one category.

    Build it once per load: ``Insight(error_table, clustering)`` (or the Arrow table). The overview
    (counts, timelines, top source/destination sites) is computed in the constructor for every
    category at once; the other dimensions and the per-message structures are computed on first
    use (``prepare()`` does it up front, e.g. in a worker thread). Thread-safe for readers.

    ``level``: "category" (default) or "template" (groups are the clustering's templates).
    ``merges``: category key -> effective key (``triage.apply_merges``): rows of a merged category
    count in the category it is merged into; the merged one keeps its index with count 0.
    A ``count`` column weights every count (see the module docstring): ``total`` and ``counts``
    are failures, ``nrows`` the table's rows.
    ``days``: the days the table covers (default: from the ErrorTable's load report); they fix the
    timeline window (whole days), else the window is the span of the data.
    ``window``: (start, end) explicitly, datetimes; overrides ``days``.
    ``traffic``: every attempt of the load (TRAFFIC_SCHEMA, ``ErrorTable.traffic``; None: the
    ErrorTable's own), from which ``rates`` (``opint_core.insight.rates.Rates``) set the failures
    against their attempts; ``rates`` is None without traffic (a table made by hand).
    """

    def __init__(self, table, clustering, *, level: str = "category",
                 merges: Mapping[str, str] | None = None, days: Sequence[dt.date] | None = None,
                 window: tuple | None = None, max_bins: int = MAX_BINS, top_k: int = 5,
                 traffic: pa.Table | None = None):
        report = getattr(table, "report", None)
        self.rates = Rates.of(traffic if traffic is not None else getattr(table, "traffic", None))
        if hasattr(table, "table") and isinstance(getattr(table, "table"), pa.Table):
            table = table.table
        if not isinstance(table, pa.Table):
            raise TypeError(f"Insight needs a pyarrow Table or an ErrorTable, not {type(table).__name__}")
        if level not in LEVELS:
            raise ValueError(f"unknown level {level!r}: choose one of {', '.join(LEVELS)}")
        n = table.num_rows
        if len(clustering) != n:
            raise ValueError(f"the clustering has {len(clustering)} rows but the table has {n}: "
                             "cluster the message column of this very table")
        self.table = table
        self.clustering = clustering
        self.weights = row_weights(table)   # None: one failure per row, nothing is weighted
        self.level = level
        self.top_k = top_k
        self.days = sorted(set(days)) if days else sorted(set(getattr(report, "days", None) or []))
        # a day still being written (DD.tmp) covers only part of its window: trends scale by that
        self.final = bool(getattr(report, "final", True)) if not days else True
        self._lock = threading.RLock()
        self._aligner = SlotAligner()

        cats = clustering.categories
        self.merged_into: dict[int, int] = {}
        if level == "category":
            self.ngroups = len(cats)
            self.keys = [c.key for c in cats]
            self.patterns = [c.pattern for c in cats]
            self.group_templates: list[tuple[int, ...]] = [tuple(c.templates) for c in cats]
            groups = np.asarray(clustering.category_of, dtype=np.int32)
            if merges:
                index = {k: i for i, k in enumerate(self.keys)}
                remap = np.arange(self.ngroups, dtype=np.int32)
                for k, eff in merges.items():
                    i, j = index.get(k), index.get(eff)
                    if i is not None and j is not None and i != j:
                        remap[i] = j
                # follow chains (a child -> parent map, not yet resolved): pointer jumping; a cycle
                # (which apply_merges resolves beforehand) would stay put after ~log2(n) rounds
                for _ in range(max(1, int(np.ceil(np.log2(max(2, self.ngroups)))) + 1)):
                    nxt = remap[remap]
                    if np.array_equal(nxt, remap):
                        break
                    remap = nxt
                self.merged_into = {i: int(j) for i, j in enumerate(remap.tolist()) if i != j}
                if self.merged_into:
                    groups = remap[groups]
                    members: dict[int, list[int]] = {}
                    for i, j in self.merged_into.items():
                        members.setdefault(j, []).append(i)
                    tc = np.asarray(clustering.template_counts)
                    for j, ms in members.items():
                        ts = list(self.group_templates[j]) + [t for i in ms for t in self.group_templates[i]]
                        self.group_templates[j] = tuple(sorted(ts, key=lambda t: (-int(tc[t]), t)))
                    for i in self.merged_into:
                        self.group_templates[i] = ()
        else:
            self.ngroups = len(clustering.templates)
            self.keys = [f"t{t}" for t in range(self.ngroups)]
            self.patterns = list(clustering.templates)
            self.group_templates = [(t,) for t in range(self.ngroups)]
            groups = np.asarray(clustering.template_of, dtype=np.int32)
        self.groups = groups
        self.nrows = n
        row_counts = np.bincount(groups, minlength=self.ngroups).astype(np.int64) if n else \
            np.zeros(self.ngroups, dtype=np.int64)
        self.counts = row_counts if self.weights is None else _bincount(groups, self.weights, self.ngroups)
        self.total = int(self.counts.sum()) if self.weights is not None else n
        self.shares = self.counts / self.total if self.total else np.zeros(self.ngroups)

        # rows of each group: one stable sort of the group ids (radix sort on 16-bit ids); sliced by
        # row counts, whatever the weights
        sort_ids = groups.astype(np.uint16) if self.ngroups <= 65535 else groups
        self.order = np.argsort(sort_ids, kind="stable").astype(np.int64 if n > 2**31 - 1 else np.int32)
        self.starts = np.zeros(self.ngroups + 1, dtype=np.int64)
        np.cumsum(row_counts, out=self.starts[1:])

        self.max_bins = max_bins
        self._timeline(window, max_bins)
        self._dims: dict[str, tuple[np.ndarray, list[str]]] = {}
        self._tops: dict[tuple[str, int], TopValues] = {}
        for dim in OVERVIEW_DIMENSIONS:
            if dim in table.column_names:
                self.top_values(dim, top_k)
        self._distinct = None   # lazily: per-distinct-message structure

    # ------------------------------------------------------------------ time
    def _timeline(self, window, max_bins: int) -> None:
        n, w = self.nrows, self.weights
        if "time" in self.table.column_names and n:
            col = _as_chunked(self.table.column("time"))
            if not pa.types.is_timestamp(col.type) or col.type.unit != "ms":
                col = pc.cast(col, pa.timestamp("ms", tz="UTC"), safe=False)
            ints = pc.cast(col, pa.int64())
            if ints.null_count:
                ints = ints.fill_null(_NAT)
            t = np.asarray(ints.to_numpy(), dtype=np.int64)
            # a time no datetime can hold (the loader nulls them; a table made elsewhere may not)
            # counts as none: it would overflow the bins and first/last seen
            t = np.where((t < TIME_MIN_MS) | (t > TIME_MAX_MS), _NAT, t)
            missing = t == _NAT
            nulls = int(np.count_nonzero(missing)) if w is None else int(w[missing].sum())
            self.missing_time = nulls
        else:
            t = np.full(n, _NAT, dtype=np.int64)
            self.missing_time = self.total
        self.times = t
        valid = t != _NAT
        if window is not None:
            start, end = _ms(window[0]), _ms(window[1])
        elif self.days:
            start = _ms(self.days[0])
            end = _ms(self.days[-1]) + DAY_MS
        elif valid.any():
            tv = t[valid]
            start, end = int(tv.min()), int(tv.max()) + 1
        else:
            start = end = 0
        if start == end == 0 and not valid.any():
            self.bin_start, self.bin_width, self.nbins = 0, HOUR_MS, 0
        else:
            self.bin_start, self.bin_width, self.nbins = choose_bins(start, end, max_bins)
        self.window = (start, end)
        nb = self.nbins
        if nb:
            b = (t - self.bin_start) // self.bin_width
            outside = valid & ((b < 0) | (b >= nb))
            self.outside_window = int(np.count_nonzero(outside)) if w is None else int(w[outside].sum())
            b = np.clip(b, 0, nb - 1)   # late/early records go to the edge bins, counted above
            combined = self.groups.astype(np.int64)[valid] * nb + b[valid]
            self.timelines = _bincount(combined, None if w is None else w[valid],
                                       self.ngroups * nb).reshape(self.ngroups, nb)
        else:
            self.outside_window = 0
            self.timelines = np.zeros((self.ngroups, 0), dtype=np.int64)
        # first/last seen: min/max of each group's slice of the sorted times
        self.first_seen_ms = np.full(self.ngroups, _NAT, dtype=np.int64)
        self.last_seen_ms = np.full(self.ngroups, _NAT, dtype=np.int64)
        if n and valid.any():
            ts = t[self.order]
            nonempty = np.flatnonzero(self.starts[1:] > self.starts[:-1])   # groups with rows
            starts = self.starts[nonempty]
            hi = np.where(ts == _NAT, np.iinfo(np.int64).max, ts)
            first = np.minimum.reduceat(hi, starts)
            last = np.maximum.reduceat(ts, starts)
            first = np.where(first == np.iinfo(np.int64).max, _NAT, first)
            self.first_seen_ms[nonempty] = first
            self.last_seen_ms[nonempty] = last

    @property
    def covered_ms(self) -> int:
        """Length of time the table covers: the window, or for a day still being written (not
        final) the window up to the last record."""
        start, end = self.window
        if not self.final:
            valid = self.times[self.times != _NAT]
            if valid.shape[0]:
                end = min(end, max(start + HOUR_MS, int(valid.max()) + 1))
        return max(0, end - start)

    @property
    def bin_edges(self) -> np.ndarray:
        """nbins + 1 edges, datetime64[ms] (UTC)."""
        return (self.bin_start + self.bin_width * np.arange(self.nbins + 1, dtype=np.int64)).astype("datetime64[ms]")

    def bin_edge_datetimes(self) -> tuple[dt.datetime, ...]:
        return tuple(_datetime(int(e)) for e in self.bin_start + self.bin_width * np.arange(self.nbins + 1))

    def bin_timedelta(self) -> dt.timedelta:
        """The width of one timeline bin."""
        return dt.timedelta(milliseconds=int(self.bin_width))

    def timeline(self, g: int) -> np.ndarray:
        return self.timelines[g]

    def first_seen(self, g: int) -> dt.datetime | None:
        return _datetime(int(self.first_seen_ms[g]))

    def last_seen(self, g: int) -> dt.datetime | None:
        return _datetime(int(self.last_seen_ms[g]))

    # ------------------------------------------------------------------ dimensions
    def codes(self, dim: str) -> tuple[np.ndarray, list[str]]:
        """Per-row int codes of a dimension (nulls = len(dictionary)) and the dictionary."""
        got = self._dims.get(dim)
        if got is None:
            with self._lock:
                got = self._dims.get(dim)
                if got is None:
                    if dim not in self.table.column_names:
                        raise KeyError(f"no column {dim!r} in the table "
                                       f"(columns: {', '.join(self.table.column_names)})")
                    got = encode_column(self.table.column(dim))
                    self._dims[dim] = got
        return got

    def top_values(self, dim: str, k: int | None = None) -> TopValues:
        """The k most frequent values of a dimension for every group at once."""
        k = self.top_k if k is None else k
        for (d, kk), tv in list(self._tops.items()):
            if d == dim and kk >= k:
                return tv if kk == k else TopValues(tv.codes[:, :k], tv.counts[:, :k], tv.nulls, tv.distinct,
                                                    tv.dictionary)
        codes, dictionary = self.codes(dim)
        c, cnt, nulls, distinct = top_k_by_group(self.groups, self.ngroups, codes, len(dictionary), k,
                                                 weights=self.weights)
        tv = TopValues(c, cnt, nulls, distinct, dictionary)
        with self._lock:
            self._tops[(dim, k)] = tv
        return tv

    def top(self, dim: str, g: int, k: int | None = None) -> list[ValueCount]:
        """Top values of one dimension for group g (from the all-groups table when it holds k)."""
        k = self.top_k if k is None else k
        if any(d == dim and kk >= k for d, kk in list(self._tops)):
            tv = self.top_values(dim, k)
            return self._pairs(tv.codes[g], tv.counts[g], tv.dictionary, int(self.counts[g]))
        return self._top_rows(dim, self.rows(g), k)[0]

    def site_counts(self, dim: str, values: Sequence[ValueCount]) -> list[SiteCount]:
        """A group's top sites on one side (``dim``: "src_site" or "dst_site"), each with the
        site's attempts on that side and the failure rate; attempts and rate None without traffic."""
        if self.rates is None:
            return [SiteCount(v.value, v.count, None, None) for v in values]
        return [self.rates.site_count(dim, v.value, v.count) for v in values]

    def category_site_rates(self, dim: str) -> pa.Table | None:
        """Every group's failures at every site of one side (``dim``: "src_site" or "dst_site"),
        failures without a site at "(unknown)", against the site's attempts on that side: columns
        group, site, failures, attempts, rate (``opint_core.insight.rates.category_site_failures``);
        None without traffic."""
        if self.rates is None or dim not in self.table.column_names:
            return None
        codes, dictionary = self.codes(dim)
        return category_site_failures(self.groups, self.ngroups, codes, dictionary, self.weights, self.rates, dim)

    @staticmethod
    def _pairs(codes, counts, dictionary, total) -> list[ValueCount]:
        return [ValueCount(dictionary[int(c)], int(n), (int(n) / total) if total else 0.0)
                for c, n in zip(codes.tolist(), counts.tolist()) if c >= 0 and n > 0]

    def _top_rows(self, dim: str, rows: np.ndarray, k: int) -> tuple[list[ValueCount], int, int]:
        codes, dictionary = self.codes(dim)
        m = len(dictionary)
        sub = codes[rows]
        w = None if self.weights is None else self.weights[rows]
        total = int(rows.shape[0]) if w is None else int(w.sum())
        if m == 0 or total == 0:
            return [], total, 0
        if m <= 4 * rows.shape[0] + 1024:
            counts = _bincount(sub, w, m + 1)
            nulls = int(counts[m])
            counts = counts[:m]
            nz = np.flatnonzero(counts)
            vals, cnt = nz, counts[nz]
        else:
            vals, cnt = _unique_counts(sub, w)
            nulls = int(cnt[vals == m].sum())
            keep = vals != m
            vals, cnt = vals[keep], cnt[keep]
        order = np.lexsort((vals, -cnt))[:k]
        return self._pairs(vals[order], cnt[order], dictionary, total), nulls, int(vals.shape[0])

    def restricted(self, rows: np.ndarray) -> Insight:
        """The same groups over some of the table's rows (e.g. one incident's, at its site): counts, top
        values, timelines and messages are those rows' own; shares stay shares of the whole load, and the
        window, bins and rates are this Insight's."""
        rows = np.sort(np.asarray(rows, dtype=np.int64))
        merges = {self.keys[i]: self.keys[j] for i, j in self.merged_into.items()}
        sub = Insight(self.table.take(pa.array(rows)), self.clustering.take(rows, self.weights), level=self.level,
                      merges=merges or None, window=self.window, max_bins=self.max_bins, top_k=self.top_k)
        sub.days, sub.final, sub.rates = self.days, self.final, self.rates
        sub.shares = sub.counts / self.total if self.total else np.zeros(sub.ngroups)
        return sub

    # ------------------------------------------------------------------ groups
    def rows(self, g: int) -> np.ndarray:
        """Row indices of group g (ascending)."""
        return self.order[self.starts[g]:self.starts[g + 1]]

    def __len__(self) -> int:
        return self.ngroups

    def summary(self, g: int, top: int = 3) -> CategorySummary:
        return CategorySummary(
            index=g, key=self.keys[g], pattern=self.patterns[g], count=int(self.counts[g]),
            share=float(self.shares[g]), first_seen=self.first_seen(g), last_seen=self.last_seen(g),
            timeline=tuple(self.timelines[g].tolist()),
            top_src_sites=self.top("src_site", g, top) if "src_site" in self.table.column_names else [],
            top_dst_sites=self.top("dst_site", g, top) if "dst_site" in self.table.column_names else [],
            merged_into=self.merged_into.get(g))

    def summaries(self, top: int = 3) -> list[CategorySummary]:
        """One overview row per group, in group order (categories: count descending)."""
        cols = self.table.column_names
        tops = []
        for dim in ("src_site", "dst_site"):
            if dim in cols:
                tv = self.top_values(dim, top)
                tops.append((tv.codes.tolist(), tv.counts.tolist(), tv.dictionary))
            else:
                tops.append(None)
        counts, shares = self.counts.tolist(), self.shares.tolist()
        first, last = self.first_seen_ms.tolist(), self.last_seen_ms.tolist()
        timelines = self.timelines.tolist()
        out = []
        for g in range(self.ngroups):
            total = counts[g]
            pairs = []
            for t in tops:
                if t is None:
                    pairs.append([])
                    continue
                codes, cnts, dictionary = t
                pairs.append([ValueCount(dictionary[c], n, n / total) for c, n in zip(codes[g], cnts[g])
                              if c >= 0 and n > 0])
            out.append(CategorySummary(
                index=g, key=self.keys[g], pattern=self.patterns[g], count=total, share=shares[g],
                first_seen=_datetime(first[g]), last_seen=_datetime(last[g]), timeline=tuple(timelines[g]),
                top_src_sites=pairs[0], top_dst_sites=pairs[1], merged_into=self.merged_into.get(g)))
        return out

    # ------------------------------------------------------------------ per-message structure
    def _distinct_index(self):
        """Distinct messages: per-row ids, texts, failures of each, template of each, ids by template."""
        if self._distinct is not None:
            return self._distinct
        with self._lock:
            if self._distinct is not None:
                return self._distinct
            cl = self.clustering
            n = self.nrows
            ids = getattr(cl, "distinct_of", None)
            texts = getattr(cl, "distinct_messages", None)
            if ids is not None and texts is not None and len(ids) == n and (n == 0 or int(ids.max()) < len(texts)):
                ids = np.asarray(ids, dtype=np.int64)
                texts_list = texts
                arrow_texts = None
                nd = len(texts)
            else:
                codes, values = factorize_column(self.table.column("message"))
                arrow_texts = pa.concat_arrays([values, pa.array([""], values.type)])   # "" for nulls
                nd = len(arrow_texts)
                ids = np.where(codes < 0, nd - 1, codes).astype(np.int64)
                texts_list = None
            weight = _bincount(ids, self.weights, nd) if n else np.zeros(nd, np.int64)
            tmpl = np.full(nd, -1, dtype=np.int64)
            if n:
                tmpl[ids] = np.asarray(self.clustering.template_of, dtype=np.int64)
            used = np.flatnonzero(weight > 0)
            # distinct ids of each template, most frequent first
            order = used[np.lexsort((used, -weight[used], tmpl[used]))]
            nt = len(self.clustering.templates)
            tstarts = np.searchsorted(tmpl[order], np.arange(nt + 1))
            self._distinct = (ids, texts_list, arrow_texts, weight, tmpl, order, tstarts)
            return self._distinct

    def _texts(self, ids: np.ndarray) -> pa.Array:
        _, texts_list, arrow_texts, *_ = self._distinct_index()
        if arrow_texts is not None:
            return arrow_texts.take(pa.array(ids, pa.int64()))
        return pa.array([texts_list[i] for i in ids.tolist()], pa.string())

    def template_distinct(self, t: int) -> tuple[np.ndarray, np.ndarray]:
        """(distinct message ids of template t, their failures), most frequent first."""
        _, _, _, weight, _, order, tstarts = self._distinct_index()
        ids = order[tstarts[t]:tstarts[t + 1]]
        return ids, weight[ids]

    def messages(self, g: int, n: int = 10) -> tuple[list[MessageCount], int]:
        """The n most frequent distinct raw messages of group g, and the number of distinct ones."""
        parts = [self.template_distinct(t) + (t,) for t in self.group_templates[g]]
        if not parts:
            return [], 0
        ids = np.concatenate([p[0] for p in parts])
        w = np.concatenate([p[1] for p in parts])
        tm = np.concatenate([np.full(p[0].shape[0], p[2], dtype=np.int64) for p in parts])
        total = int(ids.shape[0])
        if total > n:
            top = np.argpartition(-w, n - 1)[:n] if n else np.zeros(0, dtype=np.int64)
        else:
            top = np.arange(total)
        top = top[np.lexsort((ids[top], -w[top]))]
        texts = self._texts(ids[top]).to_pylist()
        out = [MessageCount(s or "", int(c), int(t)) for s, c, t in zip(texts, w[top].tolist(), tm[top].tolist())]
        return out, total

    def slots(self, g: int, top: int = 10, budget: int | None = 5_000) -> list[TemplateSlots]:
        """Slot values of each template of group g. Alignment is done once per distinct message
        (cached). With a ``budget``, about that many of the group's most frequent distinct
        messages are aligned, shared by its templates (at least min(500, budget) each); ``exact``
        says whether all of a template's were. ``budget=None`` aligns them all."""
        tc = self.clustering.template_counts
        members = self.group_templates[g]
        per = None if budget is None else max(min(500, budget), budget // max(1, len(members)))
        out = []
        for t in members:
            pattern = self.clustering.templates[t]
            ids, w = self.template_distinct(t)
            res = self._aligner.values(t, pattern, ids, w, self._texts, per)
            count = int(tc[t])
            slots = [SlotValues(j, [ValueCount(v, c, c / res.aligned if res.aligned else 0.0)
                                    for v, c in vals[:top]], nd)
                     for j, (vals, nd) in enumerate(res.slots)]
            out.append(TemplateSlots(t, pattern, count, res.aligned, res.exact, slots))
        return out

    def prepare(self, dimensions: Sequence[str] = DIMENSIONS) -> None:
        """Compute up front what the drill-down uses (dimension codes, distinct messages)."""
        for dim in dimensions:
            if dim in self.table.column_names:
                self.codes(dim)
        self._distinct_index()

    # ------------------------------------------------------------------ drill-down
    def detail(self, g: int, *, top: int = 10, messages: int = 10, slots: bool = True,
               slot_budget: int | None = 5_000, dimensions: Sequence[str] = DIMENSIONS) -> CategoryDetail:
        """The drill-down of group g: touches only its own rows and distinct messages."""
        if not 0 <= g < self.ngroups:
            raise IndexError(f"no category {g}: there are {self.ngroups}")
        rows = self.rows(g)
        count = int(self.counts[g])
        tops, nulls, distinct = {}, {}, {}
        for dim in dimensions:
            if dim not in self.table.column_names:
                continue
            tops[dim], nulls[dim], distinct[dim] = self._top_rows(dim, rows, top)
        tc = self.clustering.template_counts
        templates = [TemplateCount(t, self.clustering.templates[t], int(tc[t]),
                                   int(tc[t]) / count if count else 0.0) for t in self.group_templates[g]]
        msgs, nd = self.messages(g, messages)
        return CategoryDetail(
            index=g, key=self.keys[g], pattern=self.patterns[g], count=count, share=float(self.shares[g]),
            first_seen=self.first_seen(g), last_seen=self.last_seen(g),
            timeline=tuple(self.timelines[g].tolist()), bin_edges=self.bin_edge_datetimes(),
            top=tops, nulls=nulls, distinct=distinct, templates=templates, messages=msgs,
            distinct_messages=nd, slots=self.slots(g, top, slot_budget) if slots else [])

    # ------------------------------------------------------------------ report
    def report_fields(self, trends=None, top: int = 5) -> list[dict]:
        """Per category (in category order), the JSON-ready insight fields of the report:
        ``count``, ``share``, ``first_seen``/``last_seen`` (ISO), ``timeline`` (counts per bin),
        ``top_src_sites``/``top_dst_sites`` (lists of [site, count, attempts, rate]: the category's
        failures at the site, the site's attempts on that side and count / attempts; attempts and rate
        None without traffic, rate None without attempts), ``event_types`` ([[event type, count], ...], most
        frequent first: Rucio transfer / deletion / submission failures, FTS final states) and ``trend`` (None without
        trends, else ``Trend.to_dict()``: ``new``, ``ratio`` (null when new), ``baseline_count``,
        ``expected``, ``score``, ``rising``, ``falling``, ``known``, ``new_templates`` (patterns of
        member templates absent from the baseline), ``new_template_rows`` ...). Timelines use the
        bins of ``timeline_meta()``."""
        out = []
        cols = self.table.column_names
        tops = {dim: self.top_values(dim, top) if dim in cols else None for dim in ("src_site", "dst_site")}
        events = self.top_values("event_type", EVENT_TYPES) if "event_type" in cols else None

        def sites(dim: str, g: int) -> list[list]:
            tv = tops[dim]
            if tv is None:
                return []
            return [list(s) for s in self.site_counts(dim, self._pairs(tv.codes[g], tv.counts[g], tv.dictionary, 1))]

        for g in range(self.ngroups):
            fs, ls = self.first_seen(g), self.last_seen(g)
            out.append({
                "key": self.keys[g],
                "count": int(self.counts[g]),
                "share": float(self.shares[g]),
                "first_seen": fs.isoformat() if fs else None,
                "last_seen": ls.isoformat() if ls else None,
                "timeline": self.timelines[g].tolist(),
                "top_src_sites": sites("src_site", g),
                "top_dst_sites": sites("dst_site", g),
                "event_types": [[v.value, v.count] for v in
                                self._pairs(events.codes[g], events.counts[g], events.dictionary, 1)] if events else [],
                "trend": self._trend_dict(trends[g]) if trends is not None else None,
            })
        return out

    def _trend_dict(self, t) -> dict:
        d = t.to_dict()
        d["new_templates"] = [self.clustering.templates[i] for i in t.new_templates]   # patterns, not ids
        return d

    def timeline_meta(self) -> dict:
        """The bins of every ``timeline``: first edge (ISO), bin width in seconds, number of bins."""
        start = _datetime(self.bin_start)
        return {"start": start.isoformat() if start else None, "bin_seconds": self.bin_width // 1000,
                "bins": self.nbins}


SPARK_CHARS = "▁▂▃▄▅▆▇█"


def sparkline(counts: Sequence[int], width: int | None = None) -> str:
    """Unicode block sparkline of counts (zero bins as a space); ``width`` re-bins by summing."""
    values = np.asarray(list(counts), dtype=np.float64)
    if width and values.shape[0] > width:
        edges = np.linspace(0, values.shape[0], width + 1).astype(int)
        values = np.add.reduceat(values, edges[:-1]) if values.shape[0] else values
    if not values.shape[0]:
        return ""
    top = values.max()
    if top <= 0:
        return " " * values.shape[0]
    levels = np.ceil(values / top * len(SPARK_CHARS)).astype(int) - 1
    return "".join(" " if v <= 0 else SPARK_CHARS[max(0, lv)] for v, lv in zip(values, levels))
