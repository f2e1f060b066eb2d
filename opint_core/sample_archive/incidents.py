"""The public result types (``SampleSummary``, ``Incident``) and the bookkeeping of the planted incidents."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from opint_core.sample_archive.columns import _fts_sanitize
from opint_core.sample_archive.days import _take
from opint_core.sample_archive.render import _Ctx
from opint_core.sample_archive.templates import (_ERRNO_CATEGORY, _FAILED_EVENTS, _NEW_MARKER, _NEW_TPL,
                                                 _OUTAGE_MARKER, _OUTAGE_TPL, _RUCIO_ONLY, _STABLE_TPL, _TEMPLATES)
from opint_core.sample_archive.topology import _DAVS, _SRM

@dataclass
class Incident:
    """A planted pattern that the analysis should find.

    ``marker`` is a substring of every planted message; ``example`` is one full FTS message.  ``counts`` holds
    the planted records per stream (FTS: records with ``t_final_transfer_state_flag`` 0); ``daily_counts``
    (stable_category only) the FTS count per day, by ``tr_timestamp_complete``.
    """
    kind: str                      # site_outage | new_error | stable_category
    description: str
    category: str                  # FTS tr_error_category
    error_code: str                # FTS t_error_code
    template: str                  # key in FTS_TEMPLATES
    marker: str
    example: str
    site: str | None = None
    rse: str | None = None
    host: str | None = None        # FTS dst_hostname
    side: str | None = None        # dst
    day: dt.date | None = None
    hours: tuple[int, int] | None = None   # [start, end) UTC hours
    counts: dict[str, int] = field(default_factory=dict)
    daily_counts: dict[dt.date, int] = field(default_factory=dict)


@dataclass
class SampleSummary:
    """What :func:`write_sample_archive` wrote.  Failures: FTS flag 0; Rucio event types ending in "failed"."""
    root: Path
    days: list[dt.date]
    tmp_day: dt.date | None        # the DD.tmp day (today), None when every day is finished
    files: list[Path]
    records: dict[str, int]
    failures: dict[str, int]
    aborts: dict[str, int]
    records_per_day: dict[str, dict[dt.date, int]]
    failures_per_day: dict[str, dict[dt.date, int]]
    incidents: list[Incident]
    fts_template_counts: dict[str, int]     # template key -> FTS records (Error and Abort)
    rucio_reason_counts: dict[str, int]     # template key -> Rucio failure events
    seconds: float
    bytes_written: int

    def incident(self, kind: str) -> Incident:
        for inc in self.incidents:
            if inc.kind == kind:
                return inc
        raise KeyError(kind)

    @property
    def records_per_second(self) -> float:
        return sum(self.records.values()) / self.seconds if self.seconds else 0.0


def _count_incidents(b, stream, day, w, inc_counts, stable_daily, examples, tpl_counts):
    tpl = b["tpl"]
    failed = tpl >= 0
    if stream == "rucio":
        failed &= np.isin(b["ev"], _FAILED_EVENTS)
    keys = [t.key for t in _TEMPLATES] + [r[0] for r in _RUCIO_ONLY]
    ids, cnt = np.unique(tpl[failed], return_counts=True)
    for i, c in zip(ids, cnt):
        tpl_counts[keys[i]] = tpl_counts.get(keys[i], 0) + int(c)
    inc_counts["site_outage"][stream] += int(((tpl == _OUTAGE_TPL) & (b["dst"] == w.outage_ep)).sum())
    inc_counts["new_error"][stream] += int((tpl == _NEW_TPL).sum())
    if stream == "fts":
        stable_daily[day] = int((tpl == _STABLE_TPL).sum())
        for kind, t in (("site_outage", _OUTAGE_TPL), ("new_error", _NEW_TPL), ("stable_category", _STABLE_TPL)):
            rows = np.flatnonzero((tpl == t) & ((b["dst"] == w.outage_ep) if t == _OUTAGE_TPL else True))
            if kind not in examples and len(rows):
                examples[kind] = _Ctx(w, _take(b, rows[:1])).messages(raw=False)[0].as_py()


def _incidents(w, streams, inc_counts, stable_daily, examples, day_list) -> list[Incident]:
    def incident(kind: str, t: int, **fields) -> Incident:
        """An Incident with what its template gives: category, error code, key and an example message."""
        tpl = _TEMPLATES[t]
        example = examples[kind] if kind in examples else _fts_sanitize(tpl.text)
        return Incident(kind=kind, category=_ERRNO_CATEGORY[tpl.errno], error_code=str(tpl.errno), template=tpl.key,
                        example=example, **fields)

    def at_destination(kind: str, t: int, ep: int, proto: int, day, hours, **fields) -> Incident:
        """An incident planted at one destination endpoint (its host for ``proto``)."""
        return incident(kind, t, site=w.site[ep], rse=w.rse[ep], host=w.hosts[ep * 4 + proto], side="dst", day=day,
                        hours=hours, counts={s: inc_counts[kind][s] for s in streams}, **fields)

    out_ep, new_ep = w.outage_ep, w.new_ep
    stable = _ERRNO_CATEGORY[_TEMPLATES[_STABLE_TPL].errno]
    return [
        at_destination(
            "site_outage", _OUTAGE_TPL, out_ep, _SRM, w.outage_day, w.outage_hours, marker=_OUTAGE_MARKER,
            description=f"{w.site[out_ep]} ({w.rse[out_ep]}) out of space as a destination, "
                        f"{w.outage_day} {w.outage_hours[0]:02d}:00-{w.outage_hours[1]:02d}:00 UTC"),
        at_destination(
            "new_error", _NEW_TPL, new_ep, _DAVS, w.new_day, w.new_hours, marker=_NEW_MARKER,
            description=f"new error on the last day only: bearer tokens rejected by {w.site[new_ep]} "
                        f"({w.rse[new_ep]}) from {w.new_hours[0]:02d}:00 UTC"),
        incident(
            "stable_category", _STABLE_TPL, description=f"{stable} has the same FTS count every day",
            marker="Destination file exists and overwrite is not enabled",
            counts={"fts": sum(stable_daily.values())} if "fts" in streams else {},
            daily_counts=dict(stable_daily)),
    ]
