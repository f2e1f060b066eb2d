"""A category whose message is huge (50 MB by default), printed (not asserted):

1. load + cluster of the archive holding it, against the same archive with a 1 KB message instead
   (is clustering on load the bottleneck? the masker cuts messages before masking);
2. opening its detail (enter until the detail is drawn), against opening the detail of a 1 KB message in
   the same app: the target is under 1 s (issue 18: it took minutes at 830 MB before);
3. paging it: p (the pager's first frame) and end (its last page), each against a cursor move;
4. the peak memory of the process.

    .venv/bin/python benchmarks/bench_big_message.py [--size 50000000]
"""
from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import gzip
import json
import os
import random
import resource
import tempfile
import time
from pathlib import Path

DAY = dt.date(2026, 11, 20)
SMALL = 1_000


def message(size: int, seed: int) -> str:
    """``size`` characters of error-message-like ASCII (hosts, paths, numbers), with some escapes."""
    rng = random.Random(seed)
    words = ["TRANSFER", "error", "gsiftp://se.example.org:2811/atlas/rucio/", "0x1f3a", "timeout", "\x1b[2J",
             "Connection", "reset", "by", "peer", "DESTINATION", "checksum"]
    piece = " ".join(rng.choice(words) for _ in range(2_000))
    return (piece * (size // len(piece) + 1))[:size]


def write_archive(root: Path, big: int, small: int) -> None:
    """One day: 3 failures with a ``big``-character message, 3 with a ``small`` one (two categories)."""
    day = root / "project/monitoring/archive/fts/raw/complete" / f"{DAY:%Y/%m/%d}"
    day.mkdir(parents=True, exist_ok=True)

    def record(text: str, n: int) -> bytes:
        data = {"t__error_message": text, "t_error_code": "110", "t_final_transfer_state": "Error",
                "t_final_transfer_state_flag": 0, "tr_error_category": "CONNECTION", "tr_error_scope": "TRANSFER",
                "t_failure_phase": "TRANSFER", "src_hostname": "se1.example.org", "dst_hostname": "se2.example.org",
                "vo": "atlas", "activity": "Production", "tr_timestamp_complete": 1795651200000 + n,
                "tr_id": f"job-{n}"}
        return json.dumps({"data": data, "metadata": {"timestamp": 1795651200000 + n}}).encode() + b"\n"

    payload = b"".join(record(message(big, 1), n) for n in range(3))
    payload += b"".join(record("SOURCE " + message(small, 2), n) for n in range(3, 6))
    (day / "part-00000-0000-c000.json.gz").write_bytes(gzip.compress(payload, compresslevel=1))


def analyse(root: Path):
    import opint_core as core

    started = time.perf_counter()
    analysis = core.analyse(str(root), use_cache=False)
    return analysis, time.perf_counter() - started


async def timed(pilot, key: str, done) -> float:
    """Seconds from pressing ``key`` until ``done()`` holds and the app is idle (the frame is drawn)."""
    started = time.perf_counter()
    await pilot.press(key)
    while not done():
        await pilot.pause(0.001)
    await pilot.wait_for_scheduled_animations()
    return time.perf_counter() - started


async def in_the_app(analysis, big: int) -> None:
    import opint_core as core
    from opint_tui.app import OpintApp
    from opint_tui.screens.detail import DetailScreen
    from opint_tui.screens.pager import PagerScreen

    app = OpintApp(core.Request("bench", core.Selection.latest()), analysis=analysis)
    async with app.run_test(size=(160, 48)) as pilot:
        while not app.overview.shown:
            await pilot.pause(0.01)
        insight = app.insight_for("category")
        rows = {len(insight.detail(r.index).messages[0].message) <= SMALL + 10: i   # True: the small one
                for i, r in enumerate(app.overview.shown)}
        seconds = {}
        for name, small in (("1 KB", True), (f"{big:,} characters", False)):
            app.overview.table.move_cursor(row=rows[small])
            await pilot.pause()
            seconds[name] = await timed(pilot, "enter", lambda: isinstance(app.screen, DetailScreen)
                                        and app.screen.query(".section-messages")
                                        and app.screen.query_one(".section-messages").region.height > 0)
            if small:
                await pilot.press("escape")
        move = await timed(pilot, "down", lambda: True)
        pager_open = await timed(pilot, "p", lambda: isinstance(app.screen, PagerScreen)
                                 and app.screen.scroller.virtual_size.height > 1)
        pager_end = await timed(pilot, "end", lambda: app.screen.scroller.scroll_offset.y
                                == app.screen.scroller.max_scroll_y)
    small_s, big_s = seconds.values()
    print(f"open detail, 1 KB message           {small_s * 1000:8.1f} ms")
    print(f"open detail, {big:,}-character message {big_s * 1000:8.1f} ms  ({big_s / small_s:.1f}x the 1 KB one; "
          f"target < 1 s)")
    print(f"a cursor move in the detail         {move * 1000:8.1f} ms")
    print(f"p: the pager's first frame          {pager_open * 1000:8.1f} ms  ({pager_open / move:.1f}x a move)")
    print(f"end: the pager's last page          {pager_end * 1000:8.1f} ms  ({pager_end / move:.1f}x a move)")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", type=int, default=50_000_000, help="characters of the huge message")
    args = ap.parse_args()
    os.environ.setdefault("OPINT_CACHE_DIR", tempfile.mkdtemp(prefix="opint-bench-big-cache-"))
    base = Path(tempfile.mkdtemp(prefix="opint-bench-big-"))
    write_archive(base / "big", args.size, SMALL)
    write_archive(base / "small", SMALL, SMALL)
    small_analysis, small_s = analyse(base / "small")
    analysis, big_s = analyse(base / "big")
    print(f"load + cluster, two 1 KB messages     {small_s:6.2f} s")
    print(f"load + cluster, with a {args.size:,}-character one {big_s:6.2f} s  ({big_s / small_s:.1f}x); stages: "
          + ", ".join(f"{k} {v:.2f} s" for k, v in analysis.timings.items()))
    asyncio.run(in_the_app(analysis, args.size))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory of the process          {peak:8.0f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
