"""The public result types (``SampleSummary``, ``Incident``) and the bookkeeping of the planted incidents."""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from opint_core.sample_archive.columns import _fts_sanitize
from opint_core.sample_archive.days import _take
from opint_core.sample_archive.render import _Ctx
from opint_core.sample_archive.plants import BIG_SITE
from opint_core.sample_archive.templates import _ERRNO_CATEGORY, _FAILED_EVENTS, _RUCIO_ONLY, _STABLE_TPL, _TEMPLATES
from opint_core.sample_archive.truth import incident_truth

@dataclass
class Incident:
    """A planted pattern that the analysis should find (see ``plants``).

    ``marker`` is a substring of every planted message (of no other category); ``example`` is one full FTS
    message.  ``site``/``rse``/``host`` are the failing endpoint's (the archive's site name: ``truth`` gives
    WLCG names), ``other_*`` a link's destination.  ``counts`` holds the planted records per stream (FTS: records
    with ``t_final_transfer_state_flag`` 0); ``daily_counts`` (stable_category, standing_problem) the FTS count
    per day, by ``tr_timestamp_complete``.
    """
    kind: str                      # site_outage | destination_failure | source_failure | link_failure | new_error
    description: str               # | standing_problem | stable_category
    category: str                  # FTS tr_error_category
    error_code: str                # FTS t_error_code
    template: str                  # key in FTS_TEMPLATES
    marker: str
    example: str
    site: str | None = None
    rse: str | None = None
    host: str | None = None        # FTS dst_hostname (src_hostname for a source or a link)
    side: str | None = None        # dst | src | link
    day: dt.date | None = None     # None: every day
    hours: tuple[int, int] | None = None   # [start, end) UTC hours
    counts: dict[str, int] = field(default_factory=dict)
    daily_counts: dict[dt.date, int] = field(default_factory=dict)
    other_site: str | None = None
    other_rse: str | None = None
    other_host: str | None = None


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
    big_site: str = BIG_SITE                # the big healthy site (archive name): no incident

    def incident(self, kind: str) -> Incident:
        for inc in self.incidents:
            if inc.kind == kind:
                return inc
        raise KeyError(kind)

    def incident_truth(self, day: dt.date | None = None, sites=None) -> dict:
        """The planted truth of ``day`` (default: the last day, the default selection) for
        ``../shared/tools/incident_eval.py``, in the WLCG site names of ``sites`` (default: the shipped table)."""
        return incident_truth(self, self.days[-1] if day is None else day, sites)

    def write_incident_truth(self, path, day: dt.date | None = None, sites=None) -> Path:
        """``incident_truth`` as a JSON file at ``path``."""
        path = Path(path)
        path.write_text(json.dumps(self.incident_truth(day, sites), indent=1) + "\n")
        return path

    @property
    def records_per_second(self) -> float:
        return sum(self.records.values()) / self.seconds if self.seconds else 0.0


def _count_incidents(b, stream, day, w, inc_counts, daily, examples, tpl_counts):
    """Add a generated day's batch ``b`` to the bookkeeping: per-template failures, per-plant counts (and FTS
    counts per day of the daily plants), one example FTS message per plant."""
    tpl = b["tpl"]
    failed = tpl >= 0
    if stream == "rucio":
        failed &= np.isin(b["ev"], _FAILED_EVENTS)
    keys = [t.key for t in _TEMPLATES] + [r[0] for r in _RUCIO_ONLY]
    ids, cnt = np.unique(tpl[failed], return_counts=True)
    for i, c in zip(ids, cnt):
        tpl_counts[keys[i]] = tpl_counts.get(keys[i], 0) + int(c)
    per_plant = np.bincount(b["plant"], minlength=len(w.plants) + 1)
    for pid, p in enumerate(w.plants, start=1):
        inc_counts[p.kind][stream] += int(per_plant[pid])
        if stream == "fts":
            if p.day is None:
                daily[p.kind][day] = int(per_plant[pid])
            rows = np.flatnonzero(b["plant"] == pid)
            if p.kind not in examples and len(rows):
                examples[p.kind] = _Ctx(w, _take(b, rows[:1])).messages(raw=False)[0].as_py()
    if stream == "fts":
        daily["stable_category"][day] = int((tpl == _STABLE_TPL).sum())


_DESCRIBE = {
    "site_outage": "{site} ({rse}) out of space as a destination, {day} {h0:02d}:00-{h1:02d}:00 UTC",
    "new_error": "new error on the last day only: bearer tokens rejected by {site} ({rse}) from {h0:02d}:00 UTC",
    "destination_failure": "{site} ({rse}) refuses to create directories (HTTP 403) as a destination, "
                           "{day} from {h0:02d}:00 UTC",
    "source_failure": "{site} ({rse}) answers HTTP 404 as a source to every destination, "
                      "{day} {h0:02d}:00-{h1:02d}:00 UTC",
    "link_failure": "TLS handshakes fail from {site} to {other} only, {day} {h0:02d}:00-{h1:02d}:00 UTC",
    "standing_problem": "{site} ({rse}) never supports third-party copy as an XRootD source: every day alike",
}


def _incidents(w, streams, inc_counts, daily, examples, day_list) -> list[Incident]:
    def incident(kind: str, t: int, **fields) -> Incident:
        """An Incident with what its template gives: category, error code, key and an example message."""
        tpl = _TEMPLATES[t]
        example = examples[kind] if kind in examples else _fts_sanitize(tpl.text)
        return Incident(kind=kind, category=_ERRNO_CATEGORY[tpl.errno], error_code=str(tpl.errno), template=tpl.key,
                        example=example, **fields)

    out = []
    for p in w.plants:
        other = p.other if p.other >= 0 else None
        h0, h1 = p.hours
        description = _DESCRIBE[p.kind].format(site=w.site[p.ep], rse=w.rse[p.ep], day=p.day, h0=h0, h1=h1,
                                               other=w.site[other] if other is not None else None)
        out.append(incident(
            p.kind, p.template, description=description, marker=p.text, site=w.site[p.ep], rse=w.rse[p.ep],
            host=w.hosts[p.ep * 4 + p.proto], side=p.side, day=p.day, hours=p.hours,
            counts={s: inc_counts[p.kind][s] for s in streams}, daily_counts=dict(daily.get(p.kind, {})),
            other_site=None if other is None else w.site[other], other_rse=None if other is None else w.rse[other],
            other_host=None if other is None else w.hosts[other * 4 + p.proto]))
    stable = _ERRNO_CATEGORY[_TEMPLATES[_STABLE_TPL].errno]
    out.append(incident(
        "stable_category", _STABLE_TPL, description=f"{stable} has the same FTS count every day",
        marker="Destination file exists and overwrite is not enabled",
        counts={"fts": sum(daily["stable_category"].values())} if "fts" in streams else {},
        daily_counts=dict(daily["stable_category"])))
    return out
