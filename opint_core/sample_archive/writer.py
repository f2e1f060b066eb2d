"""The writer: plans the days and part files of each stream, generates and renders them, writes them (gzip on a
thread pool), and sums up what it wrote."""
from __future__ import annotations

import datetime as dt
import os
import time
import zlib
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable, Iterable

import numpy as np

from opint_core.load.archive import STREAM_DIRS
from opint_core.sample_archive.columns import _stable_uuid
from opint_core.sample_archive.days import _concat, _day_ms, _day_volume, _gen_fts_day, _gen_rucio_day, _take
from opint_core.sample_archive.incidents import SampleSummary, _count_incidents, _incidents
from opint_core.sample_archive.render import _GROUP_OF_EVENT, _fts_chunks, _lines_bytes, _rucio_chunks
from opint_core.sample_archive.templates import _FAILED_EVENTS
from opint_core.sample_archive.world import _World

FTS_PER_DAY = 30_000
RUCIO_PER_DAY = 20_000
_GZIP_LEVEL = 2      # as fast as level 1 on these records (longer matches), and 8 % smaller
_MS_DAY = 86_400_000
_MAX_WORKERS = 4


def _n_parts(n: int, base: int, rng) -> int:
    return max(4, int(round(5 * np.sqrt(n / base * 1.4)))) + int(rng.integers(0, 3))


def write_sample_archive(root: str | os.PathLike, *, days: int = 7, seed: int = 0, scale: float = 1.0,
                         end: dt.date | None = None, streams: Iterable[str] = ("fts", "rucio"),
                         today: bool = True,
                         progress: Callable[[str, int, int], None] | None = None) -> SampleSummary:
    """Write a sample MONIT archive under ``root`` and describe it.

    ``days`` days ending on ``end`` (default: today, UTC); the last one is the ``DD.tmp`` directory.
    ``scale`` multiplies the volume (1.0 ≈ 30 000 FTS records and 20 000 Rucio events per day).
    ``today=False`` writes the last day finished too (``DD``, every part gzipped, no empty one), as MONIT has
    it once the day is compacted: a day that can be cached, e.g. for benchmarks.
    ``progress(stage, done, total)`` is called after each file is written.
    """
    t_start = time.perf_counter()
    if int(days) < 1:
        raise ValueError(f"days must be >= 1, got {days!r}")
    if not scale > 0:
        raise ValueError(f"scale must be > 0, got {scale!r}")
    streams = tuple(dict.fromkeys(streams))
    bad = [s for s in streams if s not in STREAM_DIRS]
    if bad or not streams:
        raise ValueError(f"streams must be a non-empty subset of {tuple(STREAM_DIRS)}, got {streams!r}")
    if end is None:
        end = dt.datetime.now(dt.timezone.utc).date()
    seed = int(seed) % (1 << 63)         # numpy seeds must be non-negative
    root = Path(root)
    day_list = [end - dt.timedelta(days=k) for k in range(int(days) - 1, -1, -1)]
    w = _World(seed, day_list)
    # rewriting a day replaces it: drop the part files of earlier runs (final and .tmp) in the days we write
    for s in streams:
        for d in day_list:
            month = root / STREAM_DIRS[s] / f"{d:%Y}" / f"{d:%m}"
            for ddir in (month / f"{d:%d}", month / f"{d:%d}.tmp"):
                if ddir.is_dir():
                    for old in ddir.glob("part-*"):
                        old.unlink()
                    if not any(ddir.iterdir()):
                        ddir.rmdir()

    # plan: volumes and file counts per (stream, day), so progress can report a total
    plan = {}
    for s in streams:
        base = FTS_PER_DAY if s == "fts" else RUCIO_PER_DAY
        for d in day_list:
            n = _day_volume(base, scale, d, seed)
            prng = np.random.default_rng([seed, d.toordinal(), 7, len(s)])
            plan[(s, d)] = (n, _n_parts(n, base, prng))
    total_files = sum(p[1] + 1 + (1 if d == day_list[-1] else 0) for (s, d), p in plan.items())

    files: list[Path] = []
    records = {s: 0 for s in streams}
    failures = {s: 0 for s in streams}
    aborts = {s: 0 for s in streams}
    rpd = {s: {} for s in streams}
    fpd = {s: {} for s in streams}
    tpl_counts: dict[str, dict[str, int]] = {s: {} for s in streams}
    inc_counts = {p.kind: {s: 0 for s in streams} for p in w.plants}
    daily: dict[str, dict[dt.date, int]] = {"stable_category": {}, **{p.kind: {} for p in w.plants if p.day is None}}
    examples: dict[str, str] = {}
    nbytes = 0
    done = 0
    # threads pay off only for big parts (arrow kernels and zlib release the GIL; the glue between them doesn't)
    rows_per_part = max(n / k for n, k in plan.values())
    workers = max(1, min(_MAX_WORKERS, os.cpu_count() or 1)) if rows_per_part >= 10_000 else 1

    pending: deque = deque()

    def finish_one():
        nonlocal done, nbytes
        path, fut, stage = pending.popleft()
        if fut is not None:
            nbytes += fut.result()
        files.append(path)
        done += 1
        if progress is not None:
            progress(stage, done, total_files)

    with ThreadPoolExecutor(max_workers=workers) as pool:
        for s in streams:
            spill: dict = {}
            for di, d in enumerate(day_list):
                n, n_parts = plan[(s, d)]
                rng = np.random.default_rng([seed, d.toordinal(), 1 if s == "fts" else 2])
                b = _gen_fts_day(w, d, n, scale, rng) if s == "fts" else _gen_rucio_day(w, d, n, rng)
                # bookkeeping by generation day (timestamps), before records move between directories
                _count_incidents(b, s, d, w, inc_counts, daily, examples, tpl_counts[s])
                # records whose MONIT timestamp falls after midnight sit in the next day's directory
                next_ms = _day_ms(d) + _MS_DAY
                late = b["meta_ts"] >= next_ms
                if di == len(day_list) - 1:
                    b["meta_ts"] = np.minimum(b["meta_ts"], next_ms - 1)
                    b["kafka_ts"] = np.minimum(b["kafka_ts"], next_ms - 1)
                    late[:] = False
                carry = _take(b, np.flatnonzero(late))
                b = _concat([spill, _take(b, np.flatnonzero(~late))])
                spill = carry
                # stats by directory
                nb = len(b["tpl"])
                if s == "fts":
                    nf = int((b["state"] == 1).sum())
                    aborts[s] += int((b["state"] == 2).sum())
                else:
                    nf = int(np.isin(b["ev"], _FAILED_EVENTS).sum())
                records[s] += nb
                failures[s] += nf
                rpd[s][d] = nb
                fpd[s][d] = nf
                # files: n_parts of one Spark job, plus one file of a second job (and an empty file in .tmp)
                is_tmp = today and di == len(day_list) - 1
                ddir = root / STREAM_DIRS[s] / f"{d:%Y}" / f"{d:%m}" / (f"{d:%d}.tmp" if is_tmp else f"{d:%d}")
                ddir.mkdir(parents=True, exist_ok=True)
                stage = f"{s} {d.isoformat()}"
                part = b["part_key"] % n_parts
                part[(b["part_key"] // n_parts) % 25 == 0] = n_parts
                job_a = _stable_uuid(seed, s, d, "a")
                job_b = _stable_uuid(seed, s, d, "b")
                # one permutation: by part, then record shape (group), then time; parts and groups are slices
                group = (b["vo"] <= 1).astype(np.int64) if s == "fts" else _GROUP_OF_EVENT[b["ev"]]
                order = np.lexsort((b["meta_ts"], group, part))
                b = _take(b, order)
                bounds = np.searchsorted(part[order], np.arange(n_parts + 2))
                for k in range(n_parts + 1):
                    rows = slice(int(bounds[k]), int(bounds[k + 1]))
                    name = f"part-{k:05d}-{job_a}-c000" if k < n_parts else f"part-00000-{job_b}-c000"
                    plain = is_tmp and k % 2 == 1   # .tmp files are partly uncompressed
                    path = ddir / (name + (".json" if plain else ".json.gz"))
                    while len(pending) >= 2 * workers:
                        finish_one()
                    pending.append((path, pool.submit(_write_part, w, s, _take(b, rows), path, not plain), stage))
                if is_tmp:  # a part file the ingestion has just opened: zero bytes
                    empty = ddir / f"part-{n_parts + 1:05d}-{job_a}-c000.json"
                    empty.write_bytes(b"")
                    pending.append((empty, None, stage))
                del b, part, order, group
        while pending:
            finish_one()

    incidents = _incidents(w, streams, inc_counts, daily, examples, day_list)
    elapsed = time.perf_counter() - t_start
    return SampleSummary(
        root=root, days=day_list, tmp_day=day_list[-1] if today else None, files=files, records=records,
        failures=failures, aborts=aborts, records_per_day=rpd, failures_per_day=fpd, incidents=incidents,
        fts_template_counts=tpl_counts.get("fts", {}), rucio_reason_counts=tpl_counts.get("rucio", {}),
        seconds=elapsed, bytes_written=nbytes)


def _write_part(w: _World, stream: str, b: dict, path: Path, compress: bool) -> int:
    chunks = _fts_chunks(w, b) if stream == "fts" else _rucio_chunks(w, b)
    # gzip container with mtime 0 and no file name: identical input gives byte-identical files
    z = zlib.compressobj(_GZIP_LEVEL, zlib.DEFLATED, 31) if compress else None
    size = 0
    with open(path, "wb") as fh:
        for lines in chunks:
            data = _lines_bytes(lines)
            out = z.compress(data) if z else data
            fh.write(out)
            size += len(out)
            del lines, data, out
        if z:
            tail = z.flush()
            fh.write(tail)
            size += len(tail)
    return size
