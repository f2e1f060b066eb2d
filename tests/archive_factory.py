"""Tiny hand-made archives in the real MONIT layout, for tests that need exact control of the bytes."""
from __future__ import annotations

import datetime as dt
import gzip
import itertools
import json
from pathlib import Path

FTS_DIR = "project/monitoring/archive/fts/raw/complete"
RUCIO_DIR = "project/monitoring/archive/rucio/raw/events"

# each record made is a transfer of its own (its own FTS file id, Rucio request id), as in the
# archive: records with the same ids are one transfer read twice, counted once by the loader
_transfer_numbers = itertools.count(1)


def day_dir(root: Path, stream: str, day: dt.date, tmp: bool = False) -> Path:
    base = FTS_DIR if stream == "fts" else RUCIO_DIR
    d = Path(root) / base / f"{day:%Y}" / f"{day:%m}" / (f"{day:%d}.tmp" if tmp else f"{day:%d}")
    d.mkdir(parents=True, exist_ok=True)
    return d


def fts_record(message="TRANSFER  Operation timed out", flag=0, *, when_ms=1764000000000, src="se1.example.org",
               dst="se2.example.org", src_rse="SITEA_DATADISK", dst_rse="SITEB_DATADISK", **extra) -> dict:
    data = {
        "t__error_message": message if flag == 0 else "", "t_error_code": "110" if flag == 0 else "0",
        "t_final_transfer_state": {0: "Error", 1: "Ok", -1: "Abort"}[flag], "t_final_transfer_state_flag": flag,
        "tr_error_category": "CONNECTION_TIMED_OUT" if flag == 0 else "", "tr_error_scope": "TRANSFER",
        "t_failure_phase": "TRANSFER", "src_hostname": src, "dst_hostname": dst, "src_site_name": "",
        "dst_site_name": "", "vo": "atlas", "activity": "Production Input", "tr_timestamp_complete": when_ms,
        "f_size": 1234, "tr_id": f"2025-11-24-1200__a__b__{next(_transfer_numbers)}__job", "unused_field": {"x": [1, 2]},
        "file_metadata": {"src_rse": src_rse, "dst_rse": dst_rse, "activity": "Production Input"},
    }
    data.update(extra)
    return {"data": data, "metadata": {"producer": "fts", "timestamp": when_ms}}


def rucio_record(reason="TRANSFER [70] TRANSFER  globus_ftp_client: 421 Service busy", event_type="transfer-failed",
                 **extra) -> dict:
    data = {"event_type": event_type, "reason": reason, "src_rse": "SITEA_DATADISK", "dst_rse": "SITEB_DATADISK",
            "src_url": "gsiftp://se1.example.org:2811/a/b", "dst_url": "davs://se2.example.org:443/c/d",
            "activity": "Data Consolidation", "vo": "atlas", "created_at": "2025-11-24 12:00:01.123456",
            "bytes": 99, "request_id": f"req-{next(_transfer_numbers)}"}
    data.update(extra)
    return {"data": data, "metadata": {"producer": "rucio", "timestamp": 1764000000000}}


def lines(records) -> bytes:
    return b"".join(json.dumps(r).encode() + b"\n" for r in records)


def write_part(directory: Path, payload: bytes, index: int = 0, gz: bool = True) -> Path:
    name = f"part-{index:05d}-0000-c000.json" + (".gz" if gz else "")
    path = Path(directory) / name
    path.write_bytes(gzip.compress(payload) if gz else payload)
    return path
