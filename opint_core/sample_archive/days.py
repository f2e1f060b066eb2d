"""Day generation: every random choice as numpy arrays (a "batch": dict of equal-length arrays)."""
from __future__ import annotations

import datetime as dt

import numpy as np

from opint_core.sample_archive.plants import Plant
from opint_core.sample_archive.templates import (_EV, _F, _NF, _P, _R_INDEX, _RUCIO_EVENTS, _RUCIO_ONLY, _S,
                                                 _TEMPLATES, _TPL_INDEX, _X)
from opint_core.sample_archive.topology import _ACTIVITIES, _DAVS, _PROTO_W, _ROOT, _SRM, _VO_W, _VOS
from opint_core.sample_archive.world import _STATE_P, _World

_HOUR_W = np.array([0.45, 0.42, 0.42, 0.45, 0.52, 0.62, 0.8, 0.98, 1.12, 1.22, 1.28, 1.3,
                    1.3, 1.3, 1.3, 1.28, 1.22, 1.12, 1.0, 0.9, 0.8, 0.7, 0.6, 0.5])
_HOUR_P = _HOUR_W / _HOUR_W.sum()


def _day_ms(day: dt.date) -> int:
    return int(dt.datetime(day.year, day.month, day.day, tzinfo=dt.timezone.utc).timestamp() * 1000)


def _times(rng, day: dt.date, n: int, hours: tuple[int, int] | None = None) -> np.ndarray:
    if hours is None:
        h = rng.choice(24, size=n, p=_HOUR_P)
    else:
        lo, hi = hours
        w = _HOUR_W[lo:hi]
        h = lo + rng.choice(hi - lo, size=n, p=w / w.sum())
    return _day_ms(day) + h * 3_600_000 + rng.integers(0, 3_600_000, size=n)


def _day_volume(base: int, scale: float, day: dt.date, seed: int) -> int:
    rng = np.random.default_rng([seed, day.toordinal(), base])
    weekday = (1.0, 1.02, 1.04, 1.01, 0.97, 0.84, 0.8)[day.weekday()]
    return max(1, int(round(base * scale * weekday * (1 + rng.uniform(-0.04, 0.04)))))


def _other_side(w: _World, rng, side_ep: np.ndarray, proto: np.ndarray) -> np.ndarray:
    """Pick the other endpoint of each transfer: same VO, supports the protocol, another site."""
    out = np.empty(len(side_ep), np.int64)
    vo = w.ep_vo[side_ep]
    key = vo * 4 + proto
    for k in np.unique(key):
        rows = np.flatnonzero(key == k)
        idx, p = w.cand[(int(k) // 4, int(k) % 4)]
        pos = rng.choice(len(idx), size=len(rows), p=p)
        other = idx[pos]
        same = w.site_id[other] == w.site_id[side_ep[rows]]
        if same.any() and len(idx) > 1:
            other[same] = idx[(pos[same] + 1) % len(idx)]
        out[rows] = other
    return out


def _transfers(w: _World, rng, n: int, vo: np.ndarray | None = None, ok: bool = False):
    """Successful-looking traffic: (vo, src, dst, proto).  ``ok``: the successes of a day with failures, drawn by
    ``w.ok_eps`` so that successes and failures together follow each endpoint's traffic."""
    tables, vo_w = (w.ok_eps, w.ok_vo_w) if ok else ([(i, p, p) for i, p in w.vo_eps], _VO_W)
    if vo is None:
        vo = rng.choice(len(_VOS), size=n, p=vo_w)
    src = np.empty(n, np.int64)
    dst = np.empty(n, np.int64)
    for v in np.unique(vo):
        rows = np.flatnonzero(vo == v)
        idx, ps, pd = tables[int(v)]
        a = rng.choice(len(idx), size=len(rows), p=ps)
        b = rng.choice(len(idx), size=len(rows), p=pd)
        for _ in range(12):        # a transfer within one site is redrawn, both ends: the traffic of world.py
            same = np.flatnonzero(w.site_id[idx[a]] == w.site_id[idx[b]])
            if not len(same):
                break
            a[same] = rng.choice(len(idx), size=len(same), p=ps)
            b[same] = rng.choice(len(idx), size=len(same), p=pd)
        src[rows], dst[rows] = idx[a], idx[b]
    proto = rng.choice(4, size=n, p=_PROTO_W)
    bad = ~(w.support[src, proto] & w.support[dst, proto])
    proto[bad] = w.best[src[bad], dst[bad]]
    return vo, src, dst, proto


def _from_sources(w: _World, rng, n: int, sources) -> dict:
    t, e, q, p = sources
    k = rng.choice(len(t), size=n, p=p)
    tpl, side_ep, proto = t[k], e[k], q[k]
    other = _other_side(w, rng, side_ep, proto)
    side_is_src = np.array([_TEMPLATES[x].side == "src" if x < _NF else False for x in range(_NF + len(_RUCIO_ONLY))])
    is_src = side_is_src[tpl]
    src = np.where(is_src, side_ep, other)
    dst = np.where(is_src, other, side_ep)
    return dict(tpl=tpl, side_ep=side_ep, proto=proto, src=src, dst=dst, vo=w.ep_vo[side_ep])


def _planted(w: _World, rng, day: dt.date, n: int, stream: str, **columns) -> list[dict]:
    """The failures of the plants active on ``day`` (a share of the day's ``n`` records each, at least one), within
    their hours; column ``plant`` is the plant's index + 1 (0 for every other row)."""
    segs = []
    for pid, p in enumerate(w.plants, start=1):
        share = p.fts_share if stream == "fts" else p.rucio_share
        if (p.day is not None and p.day != day) or not share:
            continue
        segs.append(_plant_rows(w, rng, day, p, max(1, int(round(share * n))), pid, **columns))
    return segs


def _plant_rows(w: _World, rng, day: dt.date, p: Plant, k: int, pid: int, **columns) -> dict:
    """``k`` failures of plant ``p``: its endpoint on its side, the other end drawn like any transfer's (a link's
    is fixed)."""
    ep = np.full(k, p.ep)
    protos = np.full(k, p.proto)
    other = np.full(k, p.other) if p.side == "link" else _other_side(w, rng, ep, protos)
    src, dst = (other, ep) if p.side == "dst" else (ep, other)
    return _seg(k, tpl=p.template, side_ep=ep, proto=protos, src=src, dst=dst, vo=w.ep_vo[p.ep],
                C=_times(rng, day, k, p.hours), plant=pid, **columns)


def _seg(n, **kw) -> dict:
    return {k: (np.full(n, v) if np.isscalar(v) else v) for k, v in kw.items()}


def _concat(batches: list[dict]) -> dict:
    batches = [b for b in batches if b and len(next(iter(b.values())))]
    if not batches:
        return {}
    keys = batches[0].keys()
    return {k: np.concatenate([b[k] for b in batches]) for k in keys}


def _take(b: dict, rows) -> dict:
    """The rows of a batch: a copy for an index array, views for a slice."""
    return {k: v[rows] for k, v in b.items()}


def _common(w: _World, rng, b: dict) -> dict:
    """Attributes every transfer needs: DID, sizes, ids, FTS instance, randoms for placeholders."""
    n = len(b["tpl"])
    vo = b["vo"]
    # DID: name kind 0-4 ATLAS (mc, log, raw, data DAOD, user), 5 cms, 6 lhcb, 7 dteam
    kind = np.where(vo == 1, 5, np.where(vo == 2, 6, 7))
    atl = vo == 0
    kind[atl] = rng.choice(5, size=int(atl.sum()), p=[0.5, 0.1, 0.07, 0.15, 0.18])
    b["kind"] = kind
    b["task"] = rng.integers(10_000_000, 42_000_000, size=n)
    b["fno"] = rng.integers(1, 9_999, size=n) ** rng.choice([1, 1, 1, 2], size=n) % 999_999 + 1
    b["sub"] = rng.integers(0, 1 << 16, size=n)          # scope/dtype/user choices and hash dirs
    b["h12"] = rng.integers(0, 1 << 16, size=n)
    b["fid"] = rng.integers(0, 256, size=(n, 16), dtype=np.uint8)   # CMS LFN uuid / request id
    b["jid"] = rng.integers(0, 256, size=(n, 16), dtype=np.uint8)   # FTS job id / Rucio transfer id
    b["mid"] = rng.integers(0, 256, size=(n, 16), dtype=np.uint8)   # MONIT _id
    b["jid"][:, 6] = (b["jid"][:, 6] & 0x0F) | 0x50
    b["jid"][:, 8] = (b["jid"][:, 8] & 0x3F) | 0x80
    b["mid"][:, 6] = (b["mid"][:, 6] & 0x0F) | 0x40
    b["mid"][:, 8] = (b["mid"][:, 8] & 0x3F) | 0x80
    b["r1"] = rng.integers(0, 1 << 32, size=n, dtype=np.uint64).astype(np.uint32)
    b["r2"] = rng.integers(0, 1 << 32, size=n, dtype=np.uint64).astype(np.uint32)
    b["adler"] = rng.integers(0, 1 << 32, size=n, dtype=np.uint64).astype(np.uint32)
    size = np.exp(rng.normal(np.log(1.2e9), 1.6, size=n))
    b["size"] = np.clip(size, 1_000, 2.0e10).astype(np.int64)
    fts = np.empty(n, np.int64)
    for v in np.unique(vo):
        rows = np.flatnonzero(vo == v)
        idx, p = w.fts_by_vo[int(v)]
        fts[rows] = idx[rng.choice(len(idx), size=len(rows), p=p)]
    b["fts"] = fts
    b["node"] = rng.integers(0, 1 << 16, size=n) % w.fts_nodes_n[fts]
    # activity
    act = np.zeros(n, np.int64)          # index into the VO's activity list; -1 Staging, -2 T0 Tape
    for v in np.unique(vo):
        rows = np.flatnonzero(vo == v)
        acts = _ACTIVITIES[_VOS[int(v)]]
        pw = np.array([a[1] for a in acts])
        act[rows] = rng.choice(len(acts), size=len(rows), p=pw / pw.sum())
    act[w.ep_tape[b["src"]]] = -1
    act[w.ep_tape[b["dst"]] & ~w.ep_tape[b["src"]]] = -2
    b["act"] = act
    b["retry"] = rng.choice(4, size=n, p=[0.86, 0.09, 0.035, 0.015])
    return b


# Distinct failure messages grow much slower than failures: the same file fails again on the same link with the
# same text (FTS and Rucio retries, a missing file requested again).  DOMAIN.md 4.2: 10 000 failures (fts_10K) have
# 3 798 distinct raw strings, ~1.2 M failures a day ~70 000 (271 795 over 4 days of 4.7 M), i.e. distinct ~ n^0.6.
# Up to _REPEAT_FREE failures a day every failure is its own (the small archives of the tests and the demo are
# unchanged); beyond, only _REPEAT_FREE * (n / _REPEAT_FREE) ** _REPEAT_EXP of them are, the rest repeat one.
_REPEAT_FREE = 10_000
_REPEAT_EXP = 0.6
# what a repeat shares with the failure it repeats: the transfer (file, link, VO, activity, FTS server) and the
# random parts of its message; not its time, state, ids (a new attempt) or retry count
_REPEAT_FIELDS = ("side_ep", "proto", "src", "dst", "vo", "kind", "task", "fno", "sub", "h12", "fid", "r1", "r2",
                  "adler", "size", "fts", "node", "act")


def _repeat_failures(b: dict, rng) -> None:
    """Make most background failures of a big day repeats of a few (in place; DOMAIN.md 4.2, above), each
    repeating a failure of its own template; planted rows are left alone."""
    rows = np.flatnonzero((b["state"] != 0) & (b["plant"] == 0))
    n = len(rows)
    if n <= _REPEAT_FREE:
        return
    originals = _REPEAT_FREE * (n / _REPEAT_FREE) ** _REPEAT_EXP
    is_original = rng.uniform(0, 1, n) < originals / n
    tpl = b["tpl"][rows]
    source = rows.copy()
    for t in np.unique(tpl):
        mine = tpl == t
        pool = rows[mine & is_original]
        repeats = np.flatnonzero(mine & ~is_original)
        if len(pool) and len(repeats):
            source[repeats] = pool[rng.integers(0, len(pool), len(repeats))]
    for f in _REPEAT_FIELDS:
        b[f][rows] = b[f][source]


def _gen_fts_day(w: _World, day: dt.date, n: int, scale: float, rng) -> dict:
    state = rng.choice(3, size=n, p=_STATE_P)        # 0 Ok, 1 Error, 2 Abort
    segs = []
    ok = int((state == 0).sum())
    vo, src, dst, proto = _transfers(w, rng, ok, ok=True)
    segs.append(_seg(ok, tpl=-1, side_ep=-1, proto=proto, src=src, dst=dst, vo=vo, state=0,
                     C=_times(rng, day, ok), plant=0))
    for st, sources in ((1, w.err_src), (2, w.abort_src)):
        k = int((state == st).sum())
        s = _from_sources(w, rng, k, sources)
        segs.append(_seg(k, **s, state=st, C=_times(rng, day, k), plant=0))
    # the stable category: the same count every day
    k = max(0, int(round(240 * scale * (1 + w.stable_jitter[day]))))
    s = _from_sources(w, rng, k, w.stable_src)
    segs.append(_seg(k, **s, state=1, C=_times(rng, day, k), plant=0))
    segs += _planted(w, rng, day, n, "fts", state=1)
    b = _concat(segs)
    b = _common(w, rng, b)
    _repeat_failures(b, np.random.default_rng([w.seed, day.toordinal(), 3]))
    n = len(b["tpl"])
    # ---- timings (ms): prep (SRM), source checksum, transfer, destination checksum, finalisation (SRM)
    srm = b["proto"] == _SRM
    d_prep = np.where(srm, rng.gamma(1.5, 1500, n), 0).astype(np.int64)
    d_chk = rng.gamma(2.0, 120, n).astype(np.int64) + 5
    thr = np.exp(rng.normal(np.log(60e6), 0.9, n))                  # bytes/s
    d_xfer = (b["size"] / thr * 1000).astype(np.int64) + 200
    d_chkd = rng.gamma(2.0, 150, n).astype(np.int64) + 5
    d_fin = np.where(srm, rng.gamma(1.5, 600, n), 0).astype(np.int64)
    phase = np.array([{_P: 1, _X: 2, _F: 3, _S: 4}[t.phase] for t in _TEMPLATES] + [0])[b["tpl"]]
    ph = np.where(b["tpl"] < 0, 0, phase)
    frac = rng.uniform(0, 1, n)
    bytes_done = b["size"].copy()
    prep_fail = ph == 1
    xfer_fail = ph == 2
    svc_fail = ph == 4
    perf = b["tpl"] == _TPL_INDEX["gftp_perf_marker"]
    secs = np.array([360, 360, 360, 360, 180, 600, 360, 900])[b["r2"] % 8]
    d_xfer = np.where(perf, secs * 1000 + (b["r1"] % 3000), d_xfer)
    d_xfer = np.where(xfer_fail & ~perf, (d_xfer * frac).astype(np.int64) + 50, d_xfer)
    bytes_done = np.where(xfer_fail, (b["size"] * frac * np.where(perf, 0.0, 1.0)).astype(np.int64), bytes_done)
    bytes_done = np.where(prep_fail | svc_fail, 0, bytes_done)
    for arr in (d_xfer, d_chkd, d_fin):
        arr[prep_fail | svc_fail] = 0
    d_chkd[xfer_fail] = 0
    d_fin[xfer_fail] = 0
    d_chk[svc_fail] = 0
    d_prep[svc_fail] = 0
    C = b["C"]
    total = d_prep + d_chk + d_xfer + d_chkd + d_fin + 30
    S = C - total - np.where(svc_fail, rng.integers(1, 50, n), 0)
    t1 = S + d_prep
    t2 = t1 + d_chk
    t3 = t2 + d_xfer
    t4 = t3 + d_chkd
    t5 = t4 + d_fin
    z = np.zeros(n, np.int64)
    b.update(
        S=S, prep_st=np.where(srm & ~svc_fail, S, z), prep_end=np.where(srm & ~svc_fail, t1, z),
        chk_st=np.where(svc_fail, z, t1), chk_end=np.where(svc_fail, z, t2),
        tr_st=np.where(prep_fail | svc_fail, z, t2), tr_comp=np.where(prep_fail | svc_fail, z, t3),
        chkd_st=np.where(d_chkd > 0, t3, z), chkd_end=np.where(d_chkd > 0, t4, z),
        fin_st=np.where(d_fin > 0, t4, z), fin_end=np.where(d_fin > 0, t5, z),
        d_prep=d_prep, d_fin=d_fin, d_chk=d_chk, d_chkd=d_chkd, d_xfer=d_xfer, bytes=bytes_done,
        ttimeout=np.minimum(3600, 600 + b["size"] // 2_000_000),
    )
    b["ipv6"] = rng.uniform(0, 1, n) < 0.55
    b["jstate"] = np.where(b["state"] == 0, rng.choice([0, 3], size=n, p=[0.85, 0.15]),
                           np.where(b["state"] == 1, rng.choice([1, 2, 3], size=n, p=[0.7, 0.15, 0.15]), 4))
    b["multi"] = rng.uniform(0, 1, n) < 0.3
    b["oauth"] = (b["proto"] == _DAVS) & (rng.uniform(0, 1, n) < 0.12)
    b["ttype"] = rng.choice(3, size=n, p=[0.8, 0.15, 0.05])
    # MONIT: metadata.timestamp a little after completion; this decides the day directory
    delay = np.where(rng.uniform(0, 1, n) < 0.005, rng.integers(60_000, 900_000, n),
                     rng.integers(150, 6_000, n))
    b["meta_ts"] = C + delay
    b["kafka_ts"] = b["meta_ts"] + rng.integers(200, 3_000, n)
    b["part_key"] = rng.integers(0, 1 << 30, size=n)
    b["kpart"] = rng.integers(0, 20, size=n)
    return b


def _gen_rucio_day(w: _World, day: dt.date, n: int, rng) -> dict:
    p = np.array([e[1] for e in _RUCIO_EVENTS])
    ev = rng.choice(len(_RUCIO_EVENTS), size=n, p=p / p.sum())
    segs = []
    # ordinary transfer lifecycle events
    tr = np.isin(ev, [_EV[x] for x in ("transfer-queued", "transfer-submitted", "transfer-done",
                                        "transfer-submission_failed")])
    k = int(tr.sum())
    vo, src, dst, proto = _transfers(w, rng, k, vo=np.zeros(k, np.int64))
    tpl = np.full(k, -1)
    sub = ev[tr] == _EV["transfer-submission_failed"]
    rows = np.array(w.submit_rows)
    tpl[sub] = rows[rng.choice(len(rows), size=int(sub.sum()), p=rows[:, 1] / rows[:, 1].sum()), 0]
    segs.append(_seg(k, ev=ev[tr], tpl=tpl, side_ep=src, proto=proto, src=src, dst=dst, vo=vo, C=_times(rng, day, k)))
    # transfer-failed: the FTS error model restricted to ATLAS
    k = int((ev == _EV["transfer-failed"]).sum())
    s = _from_sources(w, rng, k, w.err_src_atlas)
    segs.append(_seg(k, ev=_EV["transfer-failed"], **s, C=_times(rng, day, k)))
    # staging: tape sources
    tapes = np.flatnonzero((w.ep_vo == 0) & w.ep_tape)
    for name in ("stagein-done", "stagein-failed"):
        k = int((ev == _EV[name]).sum())
        src = tapes[rng.choice(len(tapes), size=k, p=w.ep_w[tapes] / w.ep_w[tapes].sum())]
        proto = np.where(w.support[src, _SRM], _SRM, _ROOT)
        dst = _other_side(w, rng, src, proto)
        tpl = np.full(k, -1)
        if name == "stagein-failed":
            rows = np.array(w.stage_rows)
            tpl = rows[rng.choice(len(rows), size=k, p=rows[:, 1] / rows[:, 1].sum()), 0]
        segs.append(_seg(k, ev=_EV[name], tpl=tpl, side_ep=src, proto=proto, src=src, dst=dst, vo=0,
                         C=_times(rng, day, k)))
    # deletions
    disk = np.flatnonzero((w.ep_vo == 0) & ~w.ep_tape)
    for name in ("deletion-done", "deletion-not-found"):
        k = int((ev == _EV[name]).sum())
        rse = disk[rng.choice(len(disk), size=k, p=w.ep_w[disk] / w.ep_w[disk].sum())]
        proto = np.where(w.support[rse, _DAVS], _DAVS, _ROOT)
        tpl = np.full(k, -1 if name == "deletion-done" else _R_INDEX["not_found"])
        segs.append(_seg(k, ev=_EV[name], tpl=tpl, side_ep=rse, proto=proto, src=rse, dst=rse, vo=0,
                         C=_times(rng, day, k)))
    k = int((ev == _EV["deletion-failed"]).sum())
    t, e, q, pp = w.del_src
    sel = rng.choice(len(t), size=k, p=pp)
    segs.append(_seg(k, ev=_EV["deletion-failed"], tpl=t[sel], side_ep=e[sel], proto=q[sel], src=e[sel], dst=e[sel],
                     vo=0, C=_times(rng, day, k)))
    for seg in segs:
        seg["plant"] = np.zeros(len(seg["tpl"]), np.int64)
    segs += _planted(w, rng, day, n, "rucio", ev=_EV["transfer-failed"])
    b = _concat(segs)
    b = _common(w, rng, b)
    n = len(b["tpl"])
    b["l0"] = (rng.uniform(0, 1, n) < 0.6) & w.has_l0[np.maximum(b["tpl"], 0)] & (b["tpl"] >= 0)
    C = b["C"]
    b["q_at"] = C - rng.integers(60_000, 40 * 3_600_000, n)
    b["sub_at"] = C - rng.integers(5_000, 3 * 3_600_000, n)
    dur = rng.gamma(1.6, 20_000, n).astype(np.int64) + 500
    b["start_at"] = C - dur - rng.integers(100, 5_000, n)
    b["xfer_at"] = b["start_at"] + dur
    b["dur"] = dur
    b["reaper"] = rng.integers(1, 10, n)
    delay = np.where(rng.uniform(0, 1, n) < 0.02, rng.integers(60_000, 600_000, n), rng.integers(500, 30_000, n))
    b["meta_ts"] = C + delay
    b["kafka_ts"] = b["meta_ts"] + rng.integers(100, 2_000, n)
    b["part_key"] = rng.integers(0, 1 << 30, size=n)
    b["kpart"] = rng.integers(0, 12, size=n)
    b["C_us"] = C * 1000 + rng.integers(0, 1000, n)
    return b
