"""Rendering: one part file's rows -> JSON lines (column-wise), FTS "complete" records and Rucio events."""
from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from opint_core.sample_archive.columns import (_Cat, _fixed, _hex, _hex8, _hex32, _num, _obj, _pad, _render, _scatter,
                                               _sub, _uuid)
from opint_core.sample_archive.days import _take
from opint_core.sample_archive.templates import _EV_NAMES, _RUCIO_EVENTS, _TEMPLATES
from opint_core.sample_archive.topology import _PROTOS, _SRM, _VOS
from opint_core.sample_archive.world import _World

_ATLAS_MC_SCOPES = ("mc16_13TeV", "mc20_13TeV", "mc21_13p6TeV", "mc23_13p6TeV")
_ATLAS_DATA_SCOPES = ("data18_13TeV", "data22_13p6TeV", "data23_13p6TeV", "data24_13p6TeV")
_ATLAS_DTYPES = ("EVNT", "HITS", "RDO", "AOD", "DAOD_PHYS", "DAOD_PHYSLITE", "DAOD_TOPQ1", "NTUP_PILEUP")
_ATLAS_USERS = ("jdoe", "cohm", "mlassnig", "lclissa", "agrigorieva", "tbeermann", "mbarisit", "dchristidis",
                "ftorres", "kwozniak", "pvokac", "rwalker")
_CMS_ERAS = ("RunIISummer20UL18MiniAODv2", "Run3Summer22EEMiniAODv4", "Run2023D", "Run2024F",
             "RunIISummer20UL17NanoAODv9")
_CMS_PRIMARY = ("TTToSemiLeptonic_TuneCP5_13TeV-powheg-pythia8", "DYJetsToLL_M-50_TuneCP5_13TeV-amcatnloFXFX-pythia8",
                "Muon0", "JetMET1", "EGamma1", "WJetsToLNu_TuneCP5_13TeV-madgraphMLM-pythia8")
_CMS_TIERS = ("MINIAODSIM", "NANOAODSIM", "AOD", "MINIAOD", "RAW")
_LHCB_STREAMS = ("BHADRON", "CHARM", "LEPTONIC", "TURBO", "FULL")


class _Ctx:
    """The string columns of one part's rows, built lazily: arrays, _Cat columns or lists of pieces."""

    def __init__(self, w: _World, b: dict):
        self.w, self.b = w, b
        self.n = len(b["tpl"])
        self._c: dict[str, object] = {}

    def __getitem__(self, name: str):
        if name not in self._c:
            self._c[name] = getattr(self, "_" + name)()
        return self._c[name]

    def _ep(self, col: str, table: list, proto: bool = False) -> _Cat:
        codes = self.b[col] * 4 + self.b["proto"] if proto else self.b[col]
        return _Cat(codes, table)

    # ---- DID and paths
    def _names(self):
        b = self.b
        sub, task, fno = b["sub"], b["task"], b["fno"]
        out: dict[int, tuple] = {}

        def build(kind, rows):
            m = len(rows)
            t8, f6 = _pad(task[rows], 8), _pad(fno[rows], 6)
            s = sub[rows]
            spath = None
            if kind in (0, 1):
                scope = _Cat(s % len(_ATLAS_MC_SCOPES), _ATLAS_MC_SCOPES)
                if kind == 0:
                    name = [_Cat((s >> 3) % len(_ATLAS_DTYPES), _ATLAS_DTYPES), ".", t8, "._", f6, ".pool.root.1"]
                else:
                    name = ["log.", t8, "._", f6, ".job.log.tgz.1"]
                spath = scope
            elif kind == 2:
                scope = _Cat(s % len(_ATLAS_DATA_SCOPES), _ATLAS_DATA_SCOPES)
                name = [scope, ".", t8, ".physics_Main.daq.RAW._lb", _pad(fno[rows] % 3000, 4), "._SFO-",
                        _Cat((s >> 4) % 8, [str(k) for k in range(1, 9)]), "._0001.data"]
                spath = scope
            elif kind == 3:
                scope = _Cat(s % len(_ATLAS_DATA_SCOPES), _ATLAS_DATA_SCOPES)
                name = ["DAOD_PHYS.", t8, "._", f6, ".pool.root.1"]
                spath = scope
            elif kind == 4:
                user = _Cat(s % len(_ATLAS_USERS), _ATLAS_USERS)
                scope = ["user.", user]
                name = ["user.", user, ".", t8, "._", f6, ".output.root"]
                spath = ["user/", user]
            elif kind == 5:
                scope = "cms"
                name = ["/store/", _Cat(s % 2, ("mc", "data")), "/", _Cat((s >> 1) % len(_CMS_ERAS), _CMS_ERAS), "/",
                        _Cat((s >> 4) % len(_CMS_PRIMARY), _CMS_PRIMARY), "/",
                        _Cat((s >> 7) % len(_CMS_TIERS), _CMS_TIERS), "/106X_v",
                        _Cat((s >> 10) % 3, ("1", "2", "3")), "/", _pad(fno[rows] % 100_000, 5), "/",
                        _uuid(b["fid"][rows], upper=True), ".root"]
            elif kind == 6:
                scope = "lhcb"
                st = (s >> 2) % len(_LHCB_STREAMS)
                name = ["/lhcb/LHCb/Collision24/", _Cat(st, _LHCB_STREAMS), ".DST/", t8, "/",
                        _pad(fno[rows] // 10_000, 4), "/", t8, "_", _pad(fno[rows], 8), "_1.",
                        _Cat(st, [x.lower() for x in _LHCB_STREAMS]), ".dst"]
            else:
                scope = "dteam"
                name = ["/dteam/fts-functional/", t8, "/testfile_", f6, ".dat"]
            name_a = _render(name, m)
            if spath is not None:
                hb = np.ascontiguousarray(b["h12"][rows].astype(">u2")).view(np.uint8).reshape(-1, 2)
                hx = _hex(hb)
                dirs = np.empty((m, 5), np.uint8)
                dirs[:, 0:2], dirs[:, 2], dirs[:, 3:5] = hx[:, 0:2], ord("/"), hx[:, 2:4]
                reldir = _render(["/", spath, "/", _fixed(dirs)], m)
                relpath = _render([reldir, "/", name_a], m)
            else:
                relpath = name_a
                reldir = pc.replace_substring_regex(name_a, pattern="/[^/]*$", replacement="")
            out[kind] = (_render([scope], m), name_a, relpath, reldir)
            return name_a

        kinds = b["kind"]
        self._c["name"] = _scatter(kinds, build)
        for j, col in ((0, "scope"), (2, "relpath"), (3, "reldir")):
            self._c[col] = _scatter(kinds, lambda k, rows, j=j: out[k][j])
        return self._c["name"]

    def _name(self):
        return self._names()

    def _scope(self):
        self._names()
        return self._c["scope"]

    def _relpath(self):
        self._names()
        return self._c["relpath"]

    def _reldir(self):
        self._names()
        return self._c["reldir"]

    # ---- endpoints
    def _src_url(self):
        return [self._ep("src", self.w.prefixes, True), self["relpath"]]

    def _dst_url(self):
        return [self._ep("dst", self.w.prefixes, True), self["relpath"]]

    def _src_host(self):
        return self._ep("src", self.w.hosts, True)

    def _dst_host(self):
        return self._ep("dst", self.w.hosts, True)

    def _src_se(self):
        return self._ep("src", self.w.ses, True)

    def _dst_se(self):
        return self._ep("dst", self.w.ses, True)

    def _src_surl(self):
        return [self._ep("src", self.w.srm_prefixes), self["relpath"]]

    def _dst_surl(self):
        return [self._ep("dst", self.w.srm_prefixes), self["relpath"]]

    def _dst_sdir(self):
        return [self._ep("dst", self.w.srm_prefixes), self["reldir"]]

    def _src_path(self):
        return [self._ep("src", self.w.paths), self["relpath"]]

    def _dst_path(self):
        return [self._ep("dst", self.w.paths), self["relpath"]]

    def _src_srm(self):
        return self._ep("src", self.w.srms)

    def _dst_srm(self):
        return self._ep("dst", self.w.srms)

    def _dst_davs_port(self):
        return self._ep("dst", self.w.davs_ports)

    def _src_dn(self):
        return self._ep("src", self.w.dns)

    def _dst_dn(self):
        return self._ep("dst", self.w.dns)

    def _side(self):
        return np.maximum(self.b["side_ep"], 0)

    def _token(self):
        return _Cat(self._side(), self.w.tokens)

    def _ipv6(self):
        return _Cat(self._side() * 12 + self.b["r1"] % 12, self.w.ipv6s)

    def _dn_alias(self):
        return _Cat(self._side() * 12 + self.b["r2"] % 12, self.w.dn_aliases)

    def _fts_endpnt(self):
        return _Cat(self.b["fts"], self.w.fts_endpnts)

    def _fts(self):
        return _Cat(self.b["fts"] * self.w.fts_node_width + self.b["node"], self.w.fts_nodes)

    def _reaper(self):
        return _Cat(self.b["reaper"], [f"rucio-daemon-prod-{k:02d}.cern.ch" for k in range(10)])

    # ---- small random variable parts
    def _dport(self):
        return _num(20000 + self.b["r1"] % 5000)

    def _secs(self):
        return _Cat(self.b["r2"] % 8, ("360", "360", "360", "360", "180", "600", "360", "900"))

    def _ck1(self):
        return _hex8(self.b["adler"])

    def _ck2(self):
        return _hex8(self.b["r1"] ^ self.b["r2"])

    def _minutes(self):
        return _num(1 + self.b["r2"] % 5000)

    def _n(self):
        return _Cat(self.b["r1"] % 6, ("1", "1", "1", "1", "2", "3"))

    def _size(self):
        return _num(self.b["size"])

    def _size2(self):
        return _num(self.b["size"] - 1 - self.b["r1"] % 65536)

    def _adler(self):
        return _hex8(self.b["adler"])

    def _job_id(self):
        return _uuid(self.b["jid"])

    def _mid(self):
        return _uuid(self.b["mid"])

    def _request_id(self):
        return _hex32(self.b["fid"])

    def _activity(self):
        b, w = self.b, self.w
        idx = np.where(b["act"] == -1, w.act_staging,
                       np.where(b["act"] == -2, w.act_t0tape, w.act_offset[b["vo"]] + b["act"]))
        return _Cat(idx, w.act_names)

    # ---- messages
    def messages(self, raw: bool) -> pa.Array:
        """Error text per row ("" where tpl < 0): FTS-sanitised, or raw (Rucio)."""
        tpl = self.b["tpl"]
        pieces_by_tpl = self.w.tpl_raw_pieces if raw else self.w.tpl_fts_pieces

        def build(t, rows):
            if t < 0:
                return pa.repeat(pa.scalar("", pa.string()), len(rows))
            return _render([p if isinstance(p, str) else _sub(self[p[0]], rows) for p in pieces_by_tpl[t]], len(rows))

        return _scatter(tpl, build)


def _ms(a) -> pa.Array:
    return _num(np.asarray(a, np.int64))


def _groups(groups: np.ndarray):
    """(group, slice) of runs of equal values: the rows of a part are sorted by group."""
    if len(groups) == 0:
        return
    starts = np.flatnonzero(np.diff(groups)) + 1
    bounds = [0, *starts.tolist(), len(groups)]
    for a, z in zip(bounds[:-1], bounds[1:]):
        yield int(groups[a]), slice(a, z)


def _fts_chunks(w: _World, b: dict):
    """The part's JSON lines, one array per group of rows sharing a record shape (rows keep their order).

    Rucio-submitted transfers (atlas, cms) carry file/job metadata objects, the others null.
    """
    for g, rows in _groups((b["vo"] <= 1).astype(np.int64)):
        yield _fts_group(w, _take(b, rows), bool(g))


def _fts_group(w: _World, b: dict, rucio: bool) -> pa.Array:
    ctx = _Ctx(w, b)
    n = ctx.n
    tpl = b["tpl"]
    failed = tpl >= 0
    NT = len(_TEMPLATES)
    tcode = np.where(failed, tpl, NT)          # per-template columns; NT = success
    S, C = b["S"], b["C"]
    srm = (b["proto"] == _SRM).astype(np.int64)
    src_host, dst_host = ctx["src_host"], ctx["dst_host"]
    job_id = ctx["job_id"]
    file_id = _num(3_000_000_000 + (b["task"] % 1000) * 1_000_000 + b["fno"] * 7 % 1_000_000)
    endpnt = ctx["fts_endpnt"]
    activity = ctx["activity"]
    size = ctx["size"]
    if rucio:
        fm = _obj([
            ("activity", "s", activity), ("adler32", "s", ctx["adler"]),
            ("dest_rse_id", "s", _Cat(b["dst"], w.rse_ids)), ("dst_rse", "s", _Cat(b["dst"], w.rses)),
            ("dst_type", "s", _Cat(b["dst"], w.types)), ("filesize", "r", size), ("name", "s", ctx["name"]),
            ("request_id", "s", ctx["request_id"]),
            ("request_type", "s", _Cat(w.ep_tape[b["src"]], ("transfer", "stagein"))),
            ("scope", "s", ctx["scope"]), ("src_rse", "s", _Cat(b["src"], w.rses)),
            ("src_rse_id", "s", _Cat(b["src"], w.rse_ids)), ("src_type", "s", _Cat(b["src"], w.types)),
            ("verify_checksum", "c", True),
        ])
        jm = _Cat(b["multi"], ('{"issuer":"rucio","multi_sources":false}', '{"issuer":"rucio","multi_sources":true}'))
        src_site = dst_site = ""
    else:
        fm = jm = "null"
        src_site, dst_site = _Cat(b["src"], w.sites), _Cat(b["dst"], w.sites)
    tr_time = np.where(b["tr_comp"] > 0, b["tr_comp"] - b["tr_st"], 0)
    op_time = C - S
    throughput = np.where(tr_time > 0, np.round(b["bytes"] / np.maximum(tr_time, 1) * 1000 / 1048576, 3), 0.0)
    overhead = b["d_prep"] + b["d_fin"]
    overhead_pct = np.round(overhead / np.maximum(op_time, 1) * 100, 4)
    start_str = pc.strftime(pa.array(S.astype("datetime64[ms]")), format="%Y-%m-%d-%H%M")
    data = _obj([
        ("activity", "s", activity),
        ("block_size", "c", 0), ("buf_size", "c", 0), ("channel_type", "c", "urlcopy"), ("chk_timeout", "c", 0),
        ("dest_srm_v", "s", _Cat(srm, ("", "2.2.0"))),
        ("dst_hostname", "s", dst_host), ("dst_se", "s", ctx["dst_se"]), ("dst_site_name", "s", dst_site),
        ("dst_url", "s", ctx["dst_url"]), ("endpnt", "s", endpnt), ("f_size", "r", size),
        ("file_id", "s", file_id), ("file_metadata", "r", fm), ("file_size", "r", size),
        ("ipver", "s", _Cat(b["ipv6"], ("ipv4", "ipv6"))),
        ("is_recoverable", "r", _Cat(tcode, w.tpl_recoverable)),
        ("job_id", "s", job_id), ("job_metadata", "r", jm),
        ("job_state", "s", _Cat(b["jstate"], ("FINISHED", "FAILED", "FINISHEDDIRTY", "ACTIVE", "CANCELED"))),
        ("log_link", "s", ["https://", endpnt, ":8449/fts3/ftsmon/#/job/", job_id]),
        ("nstreams", "c", 1), ("operation_time", "r", _ms(op_time)),
        ("protocol", "s", _Cat(b["proto"], _PROTOS)), ("remote_access", "c", True),
        ("retry", "r", _Cat(b["retry"], ("0", "1", "2", "3"))), ("retry_max", "c", 0 if rucio else 3),
        ("src_hostname", "s", src_host), ("src_se", "s", ctx["src_se"]), ("src_site_name", "s", src_site),
        ("src_srm_v", "s", _Cat(srm, ("", "2.2.0"))), ("src_url", "s", ctx["src_url"]),
        ("srm_finalization_time", "r", _ms(b["d_fin"])), ("srm_overhead_percentage", "r", _num(overhead_pct)),
        ("srm_overhead_time", "r", _ms(overhead)), ("srm_preparation_time", "r", _ms(b["d_prep"])),
        ("srm_space_token_dst", "s", _Cat(b["dst"] * 2 + srm, w.space_tokens)), ("srm_space_token_src", "c", ""),
        ("t__error_message", "s", ctx.messages(raw=False)),
        ("t_channel", "s", [src_host, "__", dst_host]),
        ("t_error_code", "s", _Cat(tcode, w.tpl_codes)),
        ("t_failure_phase", "s", _Cat(tcode, w.tpl_phases)),
        ("t_final_transfer_state", "s", _Cat(b["state"], ("Ok", "Error", "Abort"))),
        ("t_final_transfer_state_flag", "r", _Cat(b["state"], ("1", "0", "-1"))),
        ("t_timeout", "r", _num(b["ttimeout"])), ("tcp_buf_size", "c", 0), ("throughput", "r", _num(throughput)),
        ("time_srm_fin_end", "r", _ms(b["fin_end"])), ("time_srm_fin_st", "r", _ms(b["fin_st"])),
        ("time_srm_prep_end", "r", _ms(b["prep_end"])), ("time_srm_prep_st", "r", _ms(b["prep_st"])),
        ("timestamp_checksum_dest_ended", "r", _ms(b["chkd_end"])),
        ("timestamp_checksum_dest_st", "r", _ms(b["chkd_st"])),
        ("timestamp_checksum_dst_diff", "r", _ms(b["chkd_end"] - b["chkd_st"])),
        ("timestamp_checksum_src_diff", "r", _ms(b["chk_end"] - b["chk_st"])),
        ("timestamp_chk_src_ended", "r", _ms(b["chk_end"])), ("timestamp_chk_src_st", "r", _ms(b["chk_st"])),
        ("timestamp_tr_comp", "r", _ms(b["tr_comp"])), ("timestamp_tr_st", "r", _ms(b["tr_st"])),
        ("tr_bt_transfered", "r", _num(b["bytes"])),
        ("tr_error_category", "s", _Cat(tcode, w.tpl_categories)),
        ("tr_error_scope", "s", _Cat(tcode, w.tpl_scopes)),
        ("tr_id", "s", [start_str, "__", src_host, "__", dst_host, "__", file_id, "__", job_id]),
        ("tr_timestamp_complete", "r", _ms(C)), ("tr_timestamp_start", "r", _ms(S)),
        ("transfer_time", "r", _ms(tr_time)),
        ("transfer_type", "s", _Cat(b["ttype"], ("3rd pull", "3rd push", "streamed"))),
        ("user", "c", ""), ("user_dn", "c", ""), ("vo", "s", _Cat(b["vo"], _VOS)),
    ])
    meta = _obj([
        ("_id", "s", ctx["mid"]), ("event_timestamp", "r", _ms(np.where(b["tr_comp"] > 0, b["tr_comp"], C))),
        ("hostname", "s", _Cat(b["kpart"] % 3, _FTS_MONIT_HOSTS)), ("kafka_timestamp", "r", _ms(b["kafka_ts"])),
        ("partition", "s", _Cat(b["kpart"], _PARTITIONS)), ("producer", "c", "fts"),
        ("timestamp", "r", _ms(b["meta_ts"])), ("topic", "c", "fts_raw_complete"), ("type", "c", "complete"),
        ("type_prefix", "c", "raw"), ("version", "c", "006"),
    ])
    return _render(['{"data":', data, ',"metadata":', meta, "}\n"], n)


_FTS_MONIT_HOSTS = tuple(f"monit-amqsource-{h}.cern.ch" for h in ("9b83c9b3a5", "1f2e7d8c41", "c07a55e912"))
_RUCIO_MONIT_HOSTS = tuple(f"monit-kafkax-{h}.cern.ch" for h in ("0a1b2c3d4e", "5f6e7d8c9b"))
_PARTITIONS = tuple(str(k) for k in range(32))
_GROUP_OF_EVENT = np.array([{"queued": 0, "submitted": 1, "done": 2, "failed": 3, "subfail": 4, "deldone": 5,
                             "delfail": 6}[e[2]] for e in _RUCIO_EVENTS])


def _rucio_chunks(w: _World, b: dict):
    """The part's JSON lines, one array per event-type group (a group shares the sparse column set)."""
    for g, rows in _groups(_GROUP_OF_EVENT[b["ev"]]):
        yield _rucio_group(w, _take(b, rows), g)


def _rucio_group(w: _World, b: dict, g: int) -> pa.Array:
    ctx = _Ctx(w, b)
    n = ctx.n

    def sec(values):
        return pc.strftime(pa.array(values.astype("datetime64[ms]").astype("datetime64[s]")),
                           format="%Y-%m-%d %H:%M:%S")

    size = ctx["size"]
    f = [("created_at", "s", pc.strftime(pa.array(b["C_us"].astype("datetime64[us]")), format="%Y-%m-%d %H:%M:%S")),
         ("event_type", "s", _Cat(b["ev"], _EV_NAMES)), ("name", "s", ctx["name"]), ("scope", "s", ctx["scope"]),
         ("vo", "c", "atlas"), ("bytes", "r", size), ("file_size", "r", size)]
    proto = _Cat(b["proto"], _PROTOS)
    if g in (3, 4, 6):
        msg = ctx.messages(raw=True)
        if g == 3:
            msg = _render([_Cat(np.where(b["l0"], b["tpl"], len(w.l0_texts) - 1), w.l0_texts), msg], n)
        reason = pc.replace_substring(msg, "\n", "\\n")
    if g >= 5:       # deletions
        f += [("rse", "s", _Cat(b["dst"], w.rses)), ("rse_id", "s", _Cat(b["dst"], w.rse_ids)),
              ("url", "s", ctx["dst_url"]), ("protocol", "s", proto), ("duration", "r", _num(np.round(b["dur"] / 1e4, 3)))]
        if g == 6:
            f += [("reason", "s", reason)]
    else:
        f += [
            ("activity", "s", ctx["activity"]), ("checksum_adler", "s", ctx["adler"]),
            ("dst_rse", "s", _Cat(b["dst"], w.rses)), ("dst_rse_id", "s", _Cat(b["dst"], w.rse_ids)),
            ("dst_type", "s", _Cat(b["dst"], w.types)), ("src_rse", "s", _Cat(b["src"], w.rses)),
            ("src_rse_id", "s", _Cat(b["src"], w.rse_ids)), ("src_type", "s", _Cat(b["src"], w.types)),
            ("request_id", "s", ctx["request_id"]), ("retry_count", "r", _Cat(b["retry"], ("0", "1", "2", "3"))),
            ("request_type", "s", _Cat(w.ep_tape[b["src"]], ("transfer", "stagein"))),
            ("tool_id", "c", "rucio-conveyor"),
        ]
        if g == 0:
            f += [("queued_at", "s", sec(b["q_at"])), ("state", "c", "QUEUED")]
        if g in (1, 2, 3, 4):
            host = ["https://", ctx["fts_endpnt"], ":8446"]
            f += [("external_host", "s", host), ("transfer_endpoint", "s", host),
                  ("protocol", "s", proto), ("src_url", "s", ctx["src_url"]), ("dst_url", "s", ctx["dst_url"]),
                  ("submitted_at", "s", sec(b["sub_at"]))]
        if g in (1, 2, 3):
            tid = ctx["job_id"]
            f += [("transfer_id", "s", tid), ("external_id", "s", tid),
                  ("transfer_link", "s", ["https://", ctx["fts_endpnt"], ":8449/fts3/ftsmon/#/job/", tid])]
        if g in (2, 3):
            f += [("started_at", "s", sec(b["start_at"])), ("transferred_at", "s", sec(b["xfer_at"])),
                  ("duration", "r", _num(np.round(b["dur"] / 1000, 3)))]
        if g == 2:
            f += [("reason", "c", ""), ("purged_reason", "c", "")]
        if g in (3, 4):
            f += [("reason", "s", reason), ("purged_reason", "s", reason)]
    meta = _obj([
        ("_id", "s", ctx["mid"]), ("event_timestamp", "r", _ms(b["C"])),
        ("hostname", "s", _Cat(b["kpart"] % 2, _RUCIO_MONIT_HOSTS)), ("kafka_timestamp", "r", _ms(b["kafka_ts"])),
        ("partition", "s", _Cat(b["kpart"], _PARTITIONS)), ("producer", "c", "rucio"),
        ("timestamp", "r", _ms(b["meta_ts"])), ("topic", "c", "rucio_raw_events"), ("type", "c", "events"),
        ("type_prefix", "c", "raw"), ("version", "c", "001"),
    ])
    return _render(['{"data":', _obj(f), ',"metadata":', meta, "}\n"], n)


def _lines_bytes(lines: pa.Array) -> memoryview:
    off = np.frombuffer(lines.buffers()[1], np.int32, count=len(lines) + 1, offset=lines.offset * 4)
    data = lines.buffers()[2]
    return memoryview(data)[int(off[0]):int(off[-1])]
