"""The world: endpoints, lookup tables, error sources and incident plan (a function of the seed)."""
from __future__ import annotations

import datetime as dt
import hashlib

import numpy as np

from opint_core.sample_archive.columns import _TF, _compile, _fts_sanitize
from opint_core.sample_archive.plants import plan_plants
from opint_core.sample_archive.templates import _ERRNO_CATEGORY, _NF, _R_INDEX, _RUCIO_ONLY, _S, _TEMPLATES, _Tpl
from opint_core.sample_archive.topology import (_ACTIVITIES, _DAVS, _DN_PREFIX, _EP_TABLE, _FAMILY_PROTOS,
                                                _FTS_INSTANCES, _GSIFTP, _IMPL_PROTOS, _PROTO_W, _PROTOS, _ROOT,
                                                _SRM, _VO_W, _VOS)

_STATE_P = (0.64, 0.33, 0.03)       # an FTS record's final state: Ok, Error (failure), Abort
_STABLE_SHARE = 240 / 30_000        # the stable category's records per FTS record (days._gen_fts_day)


class _World:
    def __init__(self, seed: int, days: list[dt.date]):
        self.seed = seed
        rng = np.random.default_rng([seed, 0xC0FFEE])
        E = _EP_TABLE
        self.n_ep = n = len(E)
        self.rse = [e[0] for e in E]
        self.site = [e[1] for e in E]
        self.ep_vo = np.array([_VOS.index(e[2]) for e in E])
        self.ep_tape = np.array([e[3] == "TAPE" for e in E])
        self.ep_impl = [e[4] for e in E]
        self.ep_locale = [e[10] for e in E]
        self.ep_w = np.array([float(e[9]) for e in E])
        self.support = np.zeros((n, 4), bool)
        for i, e in enumerate(E):
            protos = _IMPL_PROTOS[e[4]]
            if not e[6]:
                protos = tuple(p for p in protos if p != _SRM)
            self.support[i, list(protos)] = True
        # per (endpoint, protocol): host, host:port, URL prefix of the storage area
        hosts, prefixes = [], []
        for e in E:
            host, srm, dport, path = e[5], e[6], e[7], e[8]
            spath = path if path.startswith("/") else "/" + path
            srm_host = srm.split(":")[0] if srm else host
            hosts += [srm_host, host, host, host]
            prefixes += [f"srm://{srm}/srm/managerv2?SFN={spath}" if srm else f"srm://{host}:8443{spath}",
                         f"gsiftp://{host}:2811{spath}", f"root://{host}:1094/{path}", f"davs://{host}:{dport}{spath}"]
        self.hosts = hosts
        self.prefixes = prefixes
        self.ses = [f"{_PROTOS[k % 4]}://{h}" for k, h in enumerate(hosts)]
        self.srms = [e[6] or f"{e[5]}:8443" for e in E]
        self.srm_prefixes = [prefixes[4 * i] for i in range(n)]
        self.paths = [e[8] if e[8].startswith("/") else "/" + e[8] for e in E]
        self.davs_ports = [str(e[7]) for e in E]
        self.rses = list(self.rse)
        self.sites = list(self.site)
        self.types = [e[3] for e in E]
        self.rse_ids = [hashlib.md5(e[0].encode()).hexdigest() for e in E]
        # srm_space_token_dst by (endpoint, is_srm)
        self.space_tokens = []
        for e in E:
            tok_name = ("ATLAS" + e[0].split("_", 1)[1]) if e[2] == "atlas" and e[3] == "DISK" and "_" in e[0] else ""
            self.space_tokens += ["", tok_name]
        # per-site variable parts: space-token ids, pool IPv6 addresses, DNs (12 values per endpoint)
        tok = [str(int(x)) for x in rng.integers(10_000, 60_000_000, size=n)]
        self.tokens = tok
        ipv6, dn, dn_alias = [], [], []
        for i, e in enumerate(E):
            hh = hashlib.md5(e[1].encode()).digest()
            base = f"2001:{hh[0] << 8 | hh[1]:x}:{hh[2] << 8 | hh[3]:x}:{hh[4]:x}"
            domain = e[5].split(".", 1)[1] if "." in e[5] else e[5]
            prefix = _DN_PREFIX[e[11]]
            for k in range(12):
                ipv6.append(f"{base}::{hh[5 + k % 8]:x}:{k + 1:x}")
                dn_alias.append(f"{prefix}pool{k + 11:02d}.{domain}")
            dn.append(prefix + e[5])
        self.ipv6s, self.dns, self.dn_aliases = ipv6, dn, dn_alias
        # FTS instances
        self.fts_vo = np.array([_VOS.index(f[0]) for f in _FTS_INSTANCES])
        self.fts_endpnts = [f[1] for f in _FTS_INSTANCES]
        nodes = []
        for f in _FTS_INSTANCES:
            nodes.append([f[2].format(k + 1) for k in range(f[3])])
        width = max(len(x) for x in nodes)
        self.fts_nodes_n = np.array([len(x) for x in nodes])
        self.fts_nodes = [x[k % len(x)] for x in nodes for k in range(width)]
        self.fts_node_width = width
        self.fts_by_vo = []
        for v in range(len(_VOS)):
            idx = np.flatnonzero(self.fts_vo == v)
            w = np.array([_FTS_INSTANCES[i][4] for i in idx])
            self.fts_by_vo.append((idx, w / w.sum()))
        # candidate endpoints per (vo, protocol) for the "other side" of a transfer
        self.cand: dict[tuple[int, int], tuple[np.ndarray, np.ndarray]] = {}
        for v in range(len(_VOS)):
            for p in range(4):
                idx = np.flatnonzero((self.ep_vo == v) & self.support[:, p] & ~self.ep_tape)
                if len(idx) == 0:
                    idx = np.flatnonzero(self.ep_vo == v)
                w = self.ep_w[idx]
                self.cand[(v, p)] = (idx, w / w.sum())
        self.vo_eps = []
        for v in range(len(_VOS)):
            idx = np.flatnonzero(self.ep_vo == v)
            self.vo_eps.append((idx, self.ep_w[idx] / self.ep_w[idx].sum()))
        self.site_id = np.array([sorted(set(self.site)).index(s) for s in self.site])
        # best common protocol per endpoint pair (fallback when the drawn one is unsupported)
        pref = (_DAVS, _ROOT, _GSIFTP, _SRM)
        self.best = np.full((n, n), _DAVS, np.int64)
        for a in range(n):
            for b in range(n):
                for p in pref:
                    if self.support[a, p] and self.support[b, p]:
                        self.best[a, b] = p
                        break
        self._side_traffic()
        self.plants = plan_plants(self, rng, days)
        # (c) the stable category: jitter of +-2 % around a fixed count
        self.stable_jitter = {d: float(rng.uniform(-0.02, 0.02)) for d in days}
        self._build_sources(rng)
        self._ok_traffic()
        self.tpl_fts_pieces = [_compile(_fts_sanitize(t.text)) for t in _TEMPLATES]
        self.tpl_raw_pieces = [_compile(t.text) for t in _TEMPLATES] + [_compile(r[3]) for r in _RUCIO_ONLY]
        l0 = []
        for t in _TEMPLATES:
            l0.append("" if t.phase == _S else f"{'STAGING' if t.tape else t.scope} [{t.errno}] ")
        self.l0_texts = l0 + [""] * len(_RUCIO_ONLY) + [""]
        # per-template columns, indexed by template (len(_TEMPLATES) = success)
        self.tpl_codes = [str(t.errno) for t in _TEMPLATES] + ["0"]
        self.tpl_categories = [_ERRNO_CATEGORY[t.errno] for t in _TEMPLATES] + [""]
        self.tpl_scopes = [t.scope for t in _TEMPLATES] + [""]
        self.tpl_phases = [t.phase for t in _TEMPLATES] + [""]
        self.tpl_recoverable = [_TF[t.recoverable] for t in _TEMPLATES] + ["false"]
        # activities: one table for all VOs
        self.act_names, offs = [], []
        for v in _VOS:
            offs.append(len(self.act_names))
            self.act_names += [a[0] for a in _ACTIVITIES[v]]
        self.act_offset = np.array(offs)
        self.act_staging, self.act_t0tape = len(self.act_names), len(self.act_names) + 1
        self.act_names += ["Staging", "T0 Tape"]
        self.has_l0 = np.array([bool(x) for x in l0] + [False] * len(_RUCIO_ONLY))

    # error sources: (template, endpoint with the problem, protocol) with a weight
    def _compatible(self, t: _Tpl) -> np.ndarray:
        ok = np.zeros(self.n_ep, bool)
        fam = _FAMILY_PROTOS[t.family]
        for i in range(self.n_ep):
            if not self.support[i, list(fam)].any():
                continue
            if t.impl and self.ep_impl[i] not in t.impl:
                continue
            if t.tape != bool(self.ep_tape[i]):
                continue
            if t.locale and self.ep_locale[i] != t.locale:
                continue
            if t.vo and _VOS[self.ep_vo[i]] not in t.vo:
                continue
            ok[i] = True
        return np.flatnonzero(ok)

    def _side_traffic(self):
        """The expected share of all transfers per (endpoint, protocol), as source and as destination, from the
        transfer model of ``days._transfers``: background failures are spread in proportion to it, so that no
        site's failure rate stands out by accident (same-site pairs, redrawn there, are simply left out)."""
        n = self.n_ep
        self.traffic = {"src": np.zeros((n, 4)), "dst": np.zeros((n, 4))}
        for v in range(len(_VOS)):
            idx, p = self.vo_eps[v]
            pair = np.outer(p, p) * (self.site_id[idx][:, None] != self.site_id[idx][None, :])
            pair *= _VO_W[v] / pair.sum()
            sup = self.support[idx]
            best = self.best[np.ix_(idx, idx)]
            for q in range(4):
                proto = np.where(sup[:, q][:, None] & sup[:, q][None, :], q, best)
                for r in range(4):
                    m = pair * (_PROTO_W[q] * (proto == r))
                    self.traffic["src"][idx, r] += m.sum(1)
                    self.traffic["dst"][idx, r] += m.sum(0)

    def _sources_for(self, ti: int, t: _Tpl, exclude=()) -> list[tuple[int, int, int, float]]:
        """(template, endpoint, protocol, weight) of a background template: at every compatible endpoint, in
        proportion to its traffic on the template's side and protocols (sites in ``exclude`` left out)."""
        eps = [e for e in self._compatible(t) if self.site[e] not in exclude]
        side = self.traffic[t.side]
        cells = [(int(e), q) for e in eps for q in _FAMILY_PROTOS[t.family] if self.support[e, q] and side[e, q] > 0]
        if not cells:
            return []
        total = sum(side[e, q] for e, q in cells)
        return [(ti, e, q, t.weight * side[e, q] / total) for e, q in cells]

    def _build_sources(self, rng):
        err, abort = [], []
        planted_at = {}     # template -> sites where it is planted: no background there
        for p in self.plants:
            planted_at.setdefault(p.template, set()).update(
                {self.site[p.ep]} | ({self.site[p.other]} if p.other >= 0 else set()))
        for ti, t in enumerate(_TEMPLATES):
            if t.special in ("new", "standing"):
                continue
            srcs = self._sources_for(ti, t, exclude=planted_at.get(ti, ()))
            if t.special == "stable":
                self.stable_src = self._as_arrays(srcs)
            elif t.state == "Abort":
                abort += srcs
            else:
                err += srcs
        self.err_src = self._as_arrays(err)
        self.abort_src = self._as_arrays(abort)
        atlas = self.ep_vo[self.err_src[1]] == 0
        self.err_src_atlas = tuple(a[atlas] for a in self.err_src[:3]) + (
            self.err_src[3][atlas] / self.err_src[3][atlas].sum(),)
        # Rucio deletion failures: each reason at a few ATLAS disk RSEs
        dels = []
        disk = np.flatnonzero((self.ep_vo == 0) & ~self.ep_tape)
        for ri, r in enumerate(_RUCIO_ONLY):
            if r[2] != "deletion":
                continue
            eps = np.array([e for e in disk if self.support[e, list(r[4])].any()])
            k = min(len(eps), 1 if r[0] == "del_421_busy" else 4)
            chosen = rng.choice(eps, size=k, replace=False, p=self.ep_w[eps] / self.ep_w[eps].sum())
            share = 1.0 / np.arange(1, k + 1) ** 1.1
            for e, s in zip(chosen, share / share.sum()):
                q = [p for p in (_DAVS, _ROOT, _GSIFTP, _SRM) if p in r[4] and self.support[e, p]][0]
                dels.append((_NF + ri, int(e), q, r[1] * s))
        self.del_src = self._as_arrays(dels)
        self.stage_rows = [(_R_INDEX[r[0]], r[1]) for r in _RUCIO_ONLY if r[2] == "staging"]
        self.submit_rows = [(_R_INDEX[r[0]], r[1]) for r in _RUCIO_ONLY if r[2] == "submission"]

    def _ok_traffic(self):
        """Weights of the successful FTS transfers per VO and side: each endpoint's traffic less its expected
        failures, so that its attempts (successes and failures) follow its traffic and its failure rate for each
        problem is the grid's, whatever the problems its storage can have (why: a big site must not look
        healthier or sicker than the grid just because fewer templates fit its storage)."""
        fail = {"src": np.zeros(self.n_ep), "dst": np.zeros(self.n_ep)}
        for share, (t, e, q, p) in ((_STATE_P[1], self.err_src), (_STATE_P[2], self.abort_src),
                                    (_STABLE_SHARE, self.stable_src)):
            on_src = np.array([_TEMPLATES[x].side == "src" for x in t])
            np.add.at(fail["src"], e[on_src], share * p[on_src])
            np.add.at(fail["dst"], e[~on_src], share * p[~on_src])
            for k in range(len(t)):        # the other end, drawn as days._other_side draws it
                idx, pw = self.cand[(int(self.ep_vo[e[k]]), int(q[k]))]
                fail["dst" if on_src[k] else "src"][idx] += share * p[k] * pw
        ok = {s: np.clip(self.traffic[s].sum(1) - fail[s], 1e-9, None) for s in fail}
        self.ok_eps, vo_w = [], []
        for v in range(len(_VOS)):
            idx = np.flatnonzero(self.ep_vo == v)
            want_s, want_d = ok["src"][idx] / ok["src"][idx].sum(), ok["dst"][idx] / ok["dst"][idx].sum()
            # days._transfers redraws same-site pairs, which thins big sites: find the weights whose redrawn
            # pairs have the wanted ends (iterative proportional fitting)
            diff = self.site_id[idx][:, None] != self.site_id[idx][None, :]
            ps, pd = want_s.copy(), want_d.copy()
            for _ in range(30):
                pair = np.outer(ps, pd) * diff
                pair /= pair.sum()
                ps = ps * want_s / pair.sum(1)
                ps /= ps.sum()
                pair = np.outer(ps, pd) * diff
                pair /= pair.sum()
                pd = pd * want_d / pair.sum(0)
                pd /= pd.sum()
            self.ok_eps.append((idx, ps, pd))
            vo_w.append(ok["src"][idx].sum())
        self.ok_vo_w = np.array(vo_w) / sum(vo_w)

    @staticmethod
    def _as_arrays(srcs):
        t = np.array([s[0] for s in srcs], np.int64)
        e = np.array([s[1] for s in srcs], np.int64)
        q = np.array([s[2] for s in srcs], np.int64)
        w = np.array([s[3] for s in srcs], float)
        return t, e, q, w / w.sum()
