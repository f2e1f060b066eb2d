"""Trend of each category against a baseline window: new, rising, falling.

Baseline: a table of the days just before the report's days, as many as the report has
(``opint_core.load.baseline``: read by the local loader, or a compact table of the Spark path, its
rows weighted by ``count``; every baseline count is failures). ``trend`` never loads: it is handed
that table. Its messages are clustered on their own (``cluster_table``) unless its clustering is
handed too, and mapped into today's categories:

1. by category key (the key is a function of the canonical pattern, stable across days);
2. then template by template: an identical template pattern, else a today's template whose
   wildcards cover the baseline template (or the reverse).

Score: a conservative log2 fold change. With x rows now, b rows in the baseline and the baseline
scaled to the length of the current window (e = b * scale)::

    lfc   = log2((x + 0.5) / (e + 0.5))
    se    = sqrt(1 / (x + 0.5) + 1 / (b + 0.5)) / ln 2      (Poisson counts, delta method)
    score = sign(lfc) * max(0, |lfc| - Z * se)               (Z = 2)

so a change only scores when it stands out of its own counting noise: 3 -> 9 scores 0, 300 -> 900
scores 1.4, and a large stable category (50,000 vs 48,000) scores ~0 although its Poisson z-score
would be large. ``rising``: score >= 0.5 and at least ``min_count`` rows now; ``falling``:
score <= -0.5 and at least ``min_count`` expected. ``new``: no baseline row at all; ``ratio`` is
x / e (None when new). The Anscombe z-score (2 (sqrt(x+3/8) - sqrt(e+3/8))) is reported as ``z``.

Templates are mapped too (identical pattern, else covering), so that a known category holding a
template the baseline does not have lists it in ``new_templates``: the clustering may file a new
error under a known problem, and the shifter still wants to see it. With an Insight built at
``level="template"`` the trends are per template.
"""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import asdict, dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from opint_core.clustering import Clustering, cluster_table
from opint_core.clustering.masking import WILDCARD
from opint_core.clustering.templates import wildcard_pattern, wildcard_regex
from opint_core.insight.core import Insight
from opint_core.insight.orders import Ranked, sort_categories
from opint_core.insight.slots import align_one
from opint_core.load.schema import DAY_MS, failures
from opint_core.load.table import ErrorTable

Z = 2.0
RISE = 0.5
MIN_COUNT = 10
ORDERS = ("new", "rising", "falling", "score", "rise")   # Trends.order: those of opint_core.insight.orders


@dataclass(frozen=True)
class Trend:
    count: int                  # rows now
    baseline_count: int         # baseline rows mapped to this category
    expected: float             # baseline scaled to the current window's length
    new: bool                   # no baseline row at all (with a baseline available)
    ratio: float | None         # count / expected; None when new or without a baseline
    log2_ratio: float           # log2((count + 0.5) / (expected + 0.5))
    score: float                # conservative log2 fold change (see module doc)
    z: float                    # Anscombe z-score
    rising: bool
    falling: bool
    matched_by: str | None = None   # "key", "template", "pattern" or None (nothing matched)
    known: bool = True              # False when there was no baseline to compare with
    new_templates: tuple[int, ...] = ()   # member templates absent from the baseline, biggest first
    new_template_rows: int = 0            # rows of those templates (a new error inside a known category)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["new_templates"] = list(d["new_templates"])
        for k in ("expected", "log2_ratio", "score", "z"):
            d[k] = round(float(d[k]), 4)
        if d["ratio"] is not None:
            d["ratio"] = round(float(d["ratio"]), 4)
        return d


@dataclass
class Trends:
    """Trend of every current category (indexable by category index), and what the baseline was."""

    items: list[Trend]
    scale: float = 1.0
    baseline_rows: int = 0                   # baseline failures (rows of a compact table summed)
    baseline_days: list[dt.date] = field(default_factory=list)
    unmatched_rows: int = 0                  # baseline failures of problems absent now
    gone: list[tuple[str, str, int]] = field(default_factory=list)   # (key, pattern, count), absent now
    known: bool = True
    level: str = "category"
    min_count: int = MIN_COUNT
    # per baseline row, the index of today's group it was mapped to (-1: none), e.g. for per-site
    # comparisons (opint_core.incidents); None without a baseline
    baseline_groups: np.ndarray | None = field(default=None, repr=False, compare=False)

    def __getitem__(self, i: int) -> Trend:
        return self.items[i]

    def __len__(self) -> int:
        return len(self.items)

    def __iter__(self):
        return iter(self.items)

    def order(self, by: str = "rising") -> list[int]:
        """Category indices in a trend order of ``opint_core.insight.orders``: "new" (most failures
        of never-seen messages first: new categories and new templates inside known ones, then by
        score), "rising" (rising first, by score), "falling", "score" (plain score descending) or "rise"
        (new first, then the rising ones by their factor ``ratio``, then by score)."""
        if by not in ORDERS:
            raise ValueError(f"unknown trend order {by!r}: choose one of {', '.join(ORDERS)}")
        rows = [Ranked(t.count, i, new=t.new, new_rows=t.new_template_rows, score=t.score, rising=t.rising,
                       falling=t.falling, expected=t.expected, ratio=t.ratio) for i, t in enumerate(self.items)]
        return [r.key for r in sort_categories(rows, by)]


def score_counts(x, b, scale: float = 1.0, *, z: float = Z, rise: float = RISE, min_count: int = MIN_COUNT):
    """Vectorised scores: arrays (expected, ratio (nan when b == 0), log2_ratio, score, anscombe z,
    rising, falling) for current counts x and baseline counts b."""
    x = np.asarray(x, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    e = b * scale
    lfc = np.log2((x + 0.5) / (e + 0.5))
    se = np.sqrt(1.0 / (x + 0.5) + 1.0 / (b + 0.5)) / math.log(2)
    score = np.sign(lfc) * np.maximum(0.0, np.abs(lfc) - z * se)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(b > 0, x / np.where(e > 0, e, 1), np.nan)
    anscombe = 2.0 * (np.sqrt(x + 0.375) - np.sqrt(e + 0.375))
    rising = (score >= rise) & (x >= min_count)
    falling = (score <= -rise) & (e >= min_count)
    return e, ratio, lfc, score, anscombe, rising, falling


def _literal_len(pattern: str) -> int:
    return len(pattern.replace(WILDCARD, "").strip())


# a template covers another only if it keeps at least this share of the other's literal text (and
# MIN_LITERAL characters): a bare "<*> <*>" must not swallow every baseline problem
COVER_SHARE = 0.5
MIN_LITERAL = 10


def map_templates(current, baseline) -> tuple[np.ndarray, list[str | None]]:
    """For each baseline template, the current template it is (-1: none), and how: "template"
    (identical pattern) or "pattern" (one covers the other). ``current``/``baseline``: Clusterings.

    A baseline template whose category key exists today is looked for among that category's
    templates only (token by token, then by wildcard regex); the others among all templates."""
    cur_tmpl = {p: t for t, p in enumerate(current.templates)}
    tmap = np.full(len(baseline.templates), -1, dtype=np.int64)
    how: list[str | None] = [None] * len(baseline.templates)
    by_key = {c.key: i for i, c in enumerate(current.categories)}
    b_tcat = np.asarray(baseline.template_category)
    unscoped: list[int] = []
    for t, p in enumerate(baseline.templates):
        ct = cur_tmpl.get(p)
        if ct is not None:
            tmap[t], how[t] = ct, "template"
            continue
        i = by_key.get(baseline.categories[int(b_tcat[t])].key) if len(b_tcat) else None
        if i is None:
            unscoped.append(t)
            continue
        # within the category: a few candidates, checked in Python with linear-time searches
        cands = current.categories[i].templates
        found = next((ct for ct in cands if _covers(current.templates[ct], p)), None)
        if found is not None:
            tmap[t], how[t] = found, "pattern"
    if unscoped and len(current.templates):
        covered = _cover(current, list(range(len(current.templates))), [baseline.templates[t] for t in unscoped])
        for t, ct in zip(unscoped, covered.tolist()):
            if ct >= 0:
                tmap[t], how[t] = ct, "pattern"
    return tmap, how


def _covers(a: str, b: str) -> bool:
    """Two templates of one category are the same template generalised differently: token by
    token, or the literal text of one found in order in the other (left-most search)."""
    if _token_cover(a, b):
        return True
    return (WILDCARD in a and align_one(a, b) is not None) or (WILDCARD in b and align_one(b, a) is not None)


def _token_cover(a: str, b: str) -> bool:
    """Same tokens, except where a token of one side holds a wildcard matching the other's."""
    ta, tb = a.split(" "), b.split(" ")
    if len(ta) != len(tb):
        return False
    for x, y in zip(ta, tb):
        if x == y:
            continue
        if WILDCARD in x and wildcard_regex(x).fullmatch(y):
            continue
        if WILDCARD in y and wildcard_regex(y).fullmatch(x):
            continue
        return False
    return True


def map_baseline(current, baseline, tmap=None, thow=None) -> tuple[np.ndarray, list[str | None], list[int]]:
    """(baseline rows per current category, how each was matched, baseline categories of which
    nothing matched). Categories match by key; the templates of a baseline category without a key
    match go one by one through ``map_templates``."""
    if tmap is None:
        tmap, thow = map_templates(current, baseline)
    ncat = len(current.categories)
    counts = np.zeros(ncat, dtype=np.int64)
    how: list[str | None] = [None] * ncat
    by_key = {c.key: i for i, c in enumerate(current.categories)}
    cur_tcat = np.asarray(current.template_category)
    b_tcounts = np.asarray(baseline.template_counts)
    hit_cat = np.zeros(len(baseline.categories), dtype=bool)
    for j, cat in enumerate(baseline.categories):
        i = by_key.get(cat.key)
        if i is not None:
            counts[i] += cat.count
            how[i] = how[i] or "key"
            hit_cat[j] = True
            continue
        for t in cat.templates:
            ct = int(tmap[t])
            if ct >= 0:
                i = int(cur_tcat[ct])
                counts[i] += int(b_tcounts[t])
                how[i] = how[i] or thow[t]
                hit_cat[j] = True
    return counts, how, np.flatnonzero(~hit_cat).tolist()


def _cover(current, candidates: list[int], patterns: list[str]) -> np.ndarray:
    """For each baseline template pattern, a current template (among ``candidates``) covering it
    or covered by it, -1 if none: the most frequent candidate whose wildcard regex matches the
    pattern text, else the most frequent candidate that the pattern's own wildcard regex matches.
    Regexes run in pyarrow (RE2: linear time), one per template over the other side's texts."""
    ptexts = pa.array(patterns, pa.string())
    plit = np.array([_literal_len(p) for p in patterns], dtype=np.int64)
    matched = np.full(len(patterns), -1, dtype=np.int64)
    tcounts = np.asarray(current.template_counts)
    cands = sorted(candidates, key=lambda t: (-int(tcounts[t]), t))
    for ct in cands:
        pat = current.templates[ct]
        lit = _literal_len(pat)
        if WILDCARD not in pat or lit < MIN_LITERAL:
            continue
        left = np.flatnonzero((matched < 0) & (plit * COVER_SHARE <= lit))
        if not left.shape[0]:
            if not (matched < 0).any():
                break
            continue
        try:
            hit = pc.match_substring_regex(ptexts.take(pa.array(left)), pattern=wildcard_pattern(pat))
        except pa.ArrowException:
            continue
        hit = np.asarray(hit.to_numpy(zero_copy_only=False), dtype=bool)
        matched[left[hit]] = ct
    left = np.flatnonzero(matched < 0)
    if left.shape[0]:
        ctexts = pa.array([current.templates[t] for t in cands], pa.string())
        clit = np.array([_literal_len(current.templates[t]) for t in cands], dtype=np.int64)
        for k in left.tolist():
            pat = patterns[k]
            if WILDCARD not in pat or plit[k] < MIN_LITERAL:
                continue
            try:
                hit = pc.match_substring_regex(ctexts, pattern=wildcard_pattern(pat))
            except pa.ArrowException:
                continue
            ok = np.asarray(hit.to_numpy(zero_copy_only=False), dtype=bool) & (clit * COVER_SHARE <= plit[k])
            found = np.flatnonzero(ok)
            if found.shape[0]:
                matched[k] = int(cands[int(found[0])])     # the most frequent first
    return matched


def trend(current: Insight | Clustering, baseline: ErrorTable | pa.Table | None, *, scale: float | None = None,
          baseline_clustering: Clustering | None = None, similarity: float | None = None,
          min_count: int = MIN_COUNT, z: float = Z, rise: float = RISE) -> Trends:
    """Trend of every current category (or template) against a baseline.

    ``current``: an Insight (its level decides: categories or templates) or a Clustering
    (categories). ``baseline``: the baseline ErrorTable or Arrow table, compact or not (clustered
    here with ``cluster_table``, or pass ``baseline_clustering``); None means no baseline: every
    trend has ``known=False``, ``new=False`` and ``ratio=None``.
    ``scale``: current window length / baseline window length; by default from the days of both
    (the Insight's days and the baseline ErrorTable's report; a current day still being written
    counts up to its last record), else 1.
    A category that exists in the baseline but holds templates that do not gets them in
    ``new_templates`` (a new error the clustering files under a known problem).
    """
    clustering = getattr(current, "clustering", current)
    level = getattr(current, "level", "category")
    if level == "category":
        n = len(clustering.categories)
        counts_now = np.asarray(current.counts if hasattr(current, "counts") else
                                [c.count for c in clustering.categories], dtype=np.int64)
    else:
        n = len(clustering.templates)
        counts_now = np.asarray(clustering.template_counts, dtype=np.int64)
    if baseline is None:
        items = [Trend(int(x), 0, 0.0, False, None, 0.0, 0.0, 0.0, False, False, None, known=False)
                 for x in counts_now.tolist()]
        return Trends(items, known=False, level=level, min_count=min_count)
    report = getattr(baseline, "report", None)
    table = baseline.table if hasattr(baseline, "table") and isinstance(baseline.table, pa.Table) else baseline
    base_days = sorted(set(getattr(report, "days", None) or []))
    if scale is None:
        cur_days = getattr(current, "days", None) or []
        scale = 1.0
        if cur_days and base_days:
            covered = getattr(current, "covered_ms", None)
            scale = covered / (len(base_days) * DAY_MS) if covered else len(cur_days) / len(base_days)
    if baseline_clustering is None and table.num_rows:
        kw = {} if similarity is None else {"similarity": similarity}
        baseline_clustering = cluster_table(table, **kw)
    ntmpl = len(clustering.templates)
    gone, gone_rows = [], 0
    if baseline_clustering is not None and len(baseline_clustering.templates):
        bcl = baseline_clustering
        tmap, thow = map_templates(clustering, bcl)
        ok = tmap >= 0
        tb = np.bincount(tmap[ok], weights=np.asarray(bcl.template_counts)[ok], minlength=ntmpl).astype(np.int64)
        if level == "category":
            b, how, unmatched = map_baseline(clustering, bcl, tmap, thow)
            for i, j in (getattr(current, "merged_into", None) or {}).items():   # manual merges
                b[j] += b[i]
                b[i] = 0
                how[j] = how[j] or how[i]
            gone = [(bcl.categories[j].key, bcl.categories[j].pattern, bcl.categories[j].count) for j in unmatched]
            row_groups = _baseline_row_groups(clustering, bcl, tmap, getattr(current, "merged_into", None) or {})
        else:
            b = tb
            how = [None] * ntmpl
            for t in np.flatnonzero(ok).tolist():
                ct = int(tmap[t])
                how[ct] = how[ct] or thow[t]
            gone = [(f"t{t}", bcl.templates[t], int(bcl.template_counts[t])) for t in np.flatnonzero(~ok).tolist()]
            row_groups = tmap[np.asarray(bcl.template_of, dtype=np.int64)]
        gone_rows = int(np.asarray(bcl.template_counts).sum()) - int(b.sum())   # failures, not rows
    else:
        b, tb, how = np.zeros(n, dtype=np.int64), np.zeros(ntmpl, dtype=np.int64), [None] * n
        row_groups = np.full(table.num_rows, -1, dtype=np.int64)
    e, ratio, lfc, score, anscombe, rising, falling = score_counts(
        counts_now, b, scale, z=z, rise=rise, min_count=min_count)
    tcounts = np.asarray(clustering.template_counts, dtype=np.int64)
    members = getattr(current, "group_templates", None)
    items = []
    for i in range(n):
        new = bool(b[i] == 0)
        fresh: tuple[int, ...] = ()
        if level == "category" and not new:
            ts = members[i] if members is not None else clustering.categories[i].templates
            fresh = tuple(t for t in ts if tb[t] == 0)
        items.append(Trend(
            count=int(counts_now[i]), baseline_count=int(b[i]), expected=float(e[i]), new=new,
            ratio=None if new else float(ratio[i]), log2_ratio=float(lfc[i]), score=float(score[i]),
            z=float(anscombe[i]), rising=bool(rising[i]), falling=bool(falling[i]), matched_by=how[i],
            new_templates=fresh, new_template_rows=int(tcounts[list(fresh)].sum()) if fresh else 0))
    gone.sort(key=lambda g: (-g[2], g[0]))
    return Trends(items, scale=float(scale), baseline_rows=failures(table), baseline_days=base_days,
                  unmatched_rows=max(0, gone_rows), gone=gone, level=level, min_count=min_count,
                  baseline_groups=row_groups)


def _baseline_row_groups(current, baseline, tmap: np.ndarray, merged_into: dict[int, int]) -> np.ndarray:
    """Per baseline row, today's category (as ``map_baseline`` maps them: by key, else template by
    template; manual merges followed), -1 when nothing matched."""
    by_key = {c.key: i for i, c in enumerate(current.categories)}
    cur_tcat = np.asarray(current.template_category, dtype=np.int64)
    b_tcat = np.asarray(baseline.template_category, dtype=np.int64)
    cat_of_bcat = np.array([by_key.get(c.key, -1) for c in baseline.categories], dtype=np.int64)
    per_template = cat_of_bcat[b_tcat] if len(b_tcat) else np.zeros(0, dtype=np.int64)
    by_template = np.where(tmap >= 0, cur_tcat[np.maximum(tmap, 0)] if len(cur_tcat) else -1, -1)
    per_template = np.where(per_template >= 0, per_template, by_template)
    if merged_into:
        remap = np.arange(len(current.categories), dtype=np.int64)
        for i, j in merged_into.items():
            remap[i] = j
        per_template = np.where(per_template >= 0, remap[np.maximum(per_template, 0)], -1)
    return per_template[np.asarray(baseline.template_of, dtype=np.int64)]


# --- a trend in words and numbers (the overview's trend column, the detail's trend line) ---------------

NEW_MESSAGE = "new msg"


def factor_text(ratio: float) -> str:
    """A rise (or fall) factor in at most five characters: ×6.3, ×63, ×630, ×12k, ×99k+, ×0.4, ×0.04."""
    if ratio >= 99_500:
        return "×99k+"
    if ratio >= 999.5:
        return f"×{ratio / 1000:.0f}k"
    if ratio >= 9.95:
        return f"×{ratio:.0f}"
    if ratio >= 0.095:
        return f"×{ratio:.1f}"
    return f"×{ratio:.2f}"


def trend_words(t: Trend) -> tuple[str, ...]:
    """What a category's trend says, most telling first, each a few characters: "new" (no failure
    in the baseline days), the factor count/expected when it is rising or falling ("×6.3", "×0.2";
    see ``Trend.rising``: it stands out of its counting noise), "new msg" (a known category holding
    messages of a template the baseline never had). Nothing when flat or without a baseline."""
    if not t.known:
        return ()
    if t.new:
        return ("new",)
    words = []
    if t.ratio is not None and (t.rising or t.falling):
        words.append(factor_text(t.ratio))
    if t.new_template_rows:
        words.append(NEW_MESSAGE)
    return tuple(words)


ONSET_SIGMAS = 3.0


def onset_bin(timeline, bin_mean: float, *, sigmas: float = ONSET_SIGMAS) -> int | None:
    """The first bin of ``timeline`` whose count stands clearly above ``bin_mean``, the baseline's
    count per bin: more than twice the mean and more than ``sigmas`` Poisson deviations above it
    (sqrt of the mean, at least 1). Without a baseline (mean 0): the first bin with a failure. None
    when no bin does."""
    x = np.asarray(timeline, dtype=np.float64)
    if bin_mean <= 0:
        threshold = 0.0
    else:
        threshold = max(2.0 * bin_mean, bin_mean + sigmas * math.sqrt(max(bin_mean, 1.0)))
    hit = np.flatnonzero(x > threshold)
    return int(hit[0]) if hit.shape[0] else None


def trend_onset(insight: Insight, t: Trend, g: int) -> dt.datetime | None:
    """When group ``g`` of ``insight`` (trend ``t``) rose above its usual level: the start (UTC) of
    the first timeline bin that ``onset_bin`` finds, the baseline's expected count spread evenly over
    the window covered (hourly bins for a day). None without a baseline or when no bin stands out."""
    if not t.known or not insight.nbins:
        return None
    covered = insight.covered_ms or insight.bin_width * insight.nbins
    bin_mean = t.expected * insight.bin_width / covered if covered else 0.0
    b = onset_bin(insight.timeline(g), bin_mean)
    return None if b is None else insight.bin_edge_datetimes()[b]
