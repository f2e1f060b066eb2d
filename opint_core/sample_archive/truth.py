"""The planted truth of a sample archive's day, in the format of the scoring tool
``../shared/tools/incident_eval.py``::

    {"day": "YYYY-MM-DD",
     "planted": [{"id", "kind", "site", "side", "onset_hour", "end_hour", "text", "other_site"?}, ...],
     "not_incidents": [the big healthy site],
     "chronic": {"site", "text"}}

Sites are WLCG names as the pipeline shows them (``opint_core.sites``: ``PIC`` -> ``pic``, ``BNL-OSG2`` ->
``BNL-ATLAS``); sides are ``source``, ``destination`` or ``link`` (a link's ``site`` is its source,
``other_site`` its destination). ``end_hour`` is exclusive (24: until the end of the day).
"""
from __future__ import annotations

import datetime as dt

from opint_core.sites import default_site_table

_SIDES = {"dst": "destination", "src": "source", "link": "link"}
_DAILY = ("standing_problem", "stable_category")     # every day: not a finding of one day


def incident_truth(summary, day: dt.date, sites=None) -> dict:
    """The truth of ``day`` for ``summary`` (a ``SampleSummary``); ``sites``: a ``SiteTable`` (default: shipped)."""
    table = sites if sites is not None else default_site_table()

    def wlcg(name: str | None) -> str | None:
        return None if name is None else (table.canonical(name) or name)

    planted = []
    for inc in summary.incidents:
        if inc.kind in _DAILY or inc.day != day:
            continue
        entry = {"id": f"P{len(planted) + 1}", "kind": inc.kind, "site": wlcg(inc.site), "side": _SIDES[inc.side],
                 "onset_hour": inc.hours[0], "end_hour": inc.hours[1], "text": inc.marker}
        if inc.other_site is not None:
            entry["other_site"] = wlcg(inc.other_site)
        planted.append(entry)
    chronic = next((i for i in summary.incidents if i.kind == "standing_problem"), None)
    truth = {"day": day.isoformat(), "planted": planted, "not_incidents": [wlcg(summary.big_site)]}
    if chronic is not None:
        truth["chronic"] = {"site": wlcg(chronic.site), "text": chronic.marker}
    return truth
