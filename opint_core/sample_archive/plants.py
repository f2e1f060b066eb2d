"""The plan of the planted incidents: for a seed's world and days, which site fails, how, when, how much.

One incident of each kind a shifter meets, all on the last day (what ``Selection.latest()`` and the demo
show), except the site outage, which falls on the latest finished day before it (the day a shifter reviews
in the morning, while the last day is still in ``DD.tmp``):

* ``site_outage``: a dCache ATLAS destination out of space (``SRM_EXCEED_ALLOCATION``) for a few hours;
* ``destination_failure``: a destination refuses to create directories over WebDAV (HTTP 403 on MAKE_PARENT)
  from a morning hour to the end of the day (an authorisation change at the site);
* ``source_failure``: a source answers HTTP 404 for its files, to every destination, from an onset hour to an
  end hour (a disk server down);
* ``link_failure``: TLS handshakes fail on one source -> destination pair over WebDAV, while both sites work
  with everyone else (a network device between them);
* ``new_error``: a message never seen before, bearer tokens rejected by one destination from a morning hour on;
* ``standing_problem``: one XRootD source never supports third-party copy: the same rate every day.

None of them touches the big healthy site (``BIG_SITE``), whose share of the traffic is about a quarter.
A plant's failures come on top of the day's traffic; its other ends are drawn like any transfer's.
Each plant's template is kept out of the background at the plant's site (the planted rows are exactly the
template's rows there), and its ``text`` is a substring of every planted message that no other category has.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from opint_core.sample_archive.templates import _TPL_INDEX
from opint_core.sample_archive.topology import _DAVS, _ROOT, _SRM, _VOS
from opint_core.sites import default_site_table

BIG_SITE = "CERN-PROD"      # the big healthy site: many failures at the grid's rates, never an incident


@dataclass(frozen=True)
class Plant:
    kind: str
    template: int             # index in _TEMPLATES
    text: str                 # a substring of every planted message, of no other category's
    ep: int                   # the failing endpoint (a link: its source)
    side: str                 # dst | src | link
    proto: int
    day: dt.date | None       # None: every day
    hours: tuple[int, int]    # [onset, end) UTC hours
    fts_share: float          # failures per day, as a fraction of the day's FTS records
    rucio_share: float        # ... of the day's Rucio events (transfer-failed); 0: FTS only
    other: int = -1           # a link: its destination endpoint


def plan_plants(w, rng: np.random.Generator, days: list[dt.date]) -> list[Plant]:
    """The plants of world ``w`` (a ``_World`` with endpoints, not yet error sources) over ``days``."""
    last = days[-1]
    taken = {BIG_SITE}
    # the T1s that serve several VOs are big too: a plant there would be a small change of a big rate
    names = default_site_table()
    share: dict[str, float] = {}
    for i in range(w.n_ep):
        site = names.canonical(w.site[i]) or w.site[i]
        share[site] = share.get(site, 0.0) + float(w.traffic["dst"][i].sum() / w.traffic["dst"].sum())

    def pick(ok) -> int:
        """An ATLAS disk endpoint at a site not taken yet, ``ok(endpoint)``, drawn by the seed; its site is taken."""
        cands = [i for i in range(w.n_ep) if _VOS[w.ep_vo[i]] == "atlas" and not w.ep_tape[i]
                 and w.site[i] not in taken and share[names.canonical(w.site[i]) or w.site[i]] < 0.07 and ok(i)]
        ep = cands[int(rng.integers(len(cands)))]
        taken.add(w.site[ep])
        return ep

    def morning(lo: int, hi: int) -> int:
        return int(rng.integers(lo, hi))

    plants = []
    # the outage: a dCache T1/T2 destination out of space for 4-6 hours
    outage_cands = ("TRIUMF-LCG2", "IN2P3-CC", "NDGF-T1", "SARA-MATRIX", "PIC", "MWT2", "AGLT2", "DESY-HH")
    ep = pick(lambda i: w.site[i] in outage_cands and w.rse[i].endswith("_DATADISK"))
    h0 = morning(6, 13)
    plants.append(Plant("site_outage", _TPL_INDEX["srm_exceed_allocation"], "SRM_EXCEED_ALLOCATION", ep, "dst",
                        _SRM, days[-2] if len(days) > 1 else last, (h0, h0 + int(rng.integers(4, 7))), 0.08, 0.05))
    # the new error: bearer tokens rejected by one WebDAV destination from the morning on
    ep = pick(lambda i: w.support[i, _DAVS] and w.ep_impl[i] in ("dcache", "dpm", "storm"))
    plants.append(Plant("new_error", _TPL_INDEX["token_audience_rejected"], "bearer token rejected", ep, "dst",
                        _DAVS, last, (morning(6, 11), 24), 0.03, 0.02))
    # a destination that stops letting FTS create directories (403 on MAKE_PARENT)
    ep = pick(lambda i: w.support[i, _DAVS])
    plants.append(Plant("destination_failure", _TPL_INDEX["http_make_parent_403"],
                        "DESTINATION MAKE_PARENT Result HTTP 403 : Permission refused", ep, "dst", _DAVS, last,
                        (morning(9, 14), 24), 0.03, 0.02))
    # a source whose files are gone for some hours (a disk server down)
    ep = pick(lambda i: w.support[i, _DAVS])
    h0 = morning(3, 9)
    plants.append(Plant("source_failure", _TPL_INDEX["http_404_after_attempts"],
                        "Result HTTP 404 : File not found  after 1 attempts", ep, "src", _DAVS, last,
                        (h0, h0 + int(rng.integers(5, 10))), 0.03, 0.02))
    # one link: TLS handshakes fail between two sites, each fine with everyone else
    src = pick(lambda i: w.support[i, _DAVS])
    dst = pick(lambda i: w.support[i, _DAVS])
    h0 = morning(2, 8)
    plants.append(Plant("link_failure", _TPL_INDEX["curl_35"], "curl error (35): SSL connect error", src, "link",
                        _DAVS, last, (h0, h0 + int(rng.integers(8, 14))), 0.015, 0.01, other=dst))
    # the standing problem: an XRootD source without third-party copy, every day the same
    ep = pick(lambda i: w.support[i, _ROOT] and w.ep_w[i] >= 2)
    plants.append(Plant("standing_problem", _TPL_INDEX["xrd_no_tpc_source"],
                        "Source does not support third-party-copy", ep, "src", _ROOT, None, (0, 24), 0.004, 0.003))
    return plants
