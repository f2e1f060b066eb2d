"""App responsiveness, printed (not asserted):

1. launch -> first interactive frame with data, for a sample day of >= 1,000,000 FTS records: the app is
   started headless on the archive, and we print when load+cluster+insight finished (the worker's
   result) and when the first frame with data was drawn after it (target: within 1 s of the former);
2. key-to-frame latency on an overview of 5,000 categories: cursor moves and typing a filter, each key
   timed from the press until the app is idle again with the new frame composed (target < 50 ms).

    .venv/bin/python benchmarks/bench_app.py [--archive DIR] [--scale 34] [--skip-launch]
`--archive` reuses a one-day archive (e.g. the one bench_load.py wrote; its DAY is 2026-11-20).
"""
from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import random
import statistics
import tempfile
import time

DAY = dt.date(2026, 11, 20)


async def launch(root: str) -> None:
    import opint_core as core
    from opint_tui.app import OpintApp

    os.environ.setdefault("OPINT_CACHE_DIR", tempfile.mkdtemp(prefix="opint-bench-app-cache-"))
    app = OpintApp(core.Request(root, core.Selection.day(DAY), use_cache=False),
                   store=core.TriageStore(tempfile.mkdtemp(prefix="opint-bench-store-")))
    started = time.perf_counter()
    async with app.run_test(size=(160, 48)) as pilot:
        while app.first_data_frame is None:
            await pilot.pause(0.01)
            if not app.loading and app.analysis is None and time.perf_counter() - started > 5:
                raise SystemExit("the load failed")
        a = app.analysis
        print(f"records {a.report.records:,}, failures {a.errors.failures:,}, categories "
              f"{len(a.clustering.categories):,}, templates {len(a.clustering.templates):,}")
        print("stages: " + ", ".join(f"{k} {v:.2f} s" for k, v in a.timings.items()))
        print(f"launch -> analysis ready:        {app.analysis_ready_at - started:6.2f} s")
        print(f"analysis ready -> first frame:   {app.first_data_frame - app.analysis_ready_at:6.3f} s  (target < 1 s)")
        print(f"launch -> first frame with data: {app.first_data_frame - started:6.2f} s")


def synthetic_analysis(n_categories: int = 5000, rows: int = 200_000):
    """An Analysis whose clustering has about n_categories categories (distinct random vocabularies)."""
    import pyarrow as pa

    import opint_core as core

    rng = random.Random(5)
    words = ["".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(5, 9)))
             for _ in range(4000)]
    kinds = [" ".join(rng.sample(words, 4)) for _ in range(n_categories)]
    picks = [rng.randrange(n_categories) for _ in range(rows)]
    messages = [f"ERROR {kinds[k]} on host{rng.randrange(50)}.example.org" for k in picks]
    start = int(dt.datetime(2026, 11, 20, tzinfo=dt.timezone.utc).timestamp() * 1000)
    n = len(messages)
    table = pa.table({name: pa.nulls(n, f.type) for name, f in zip(core.ERROR_SCHEMA.names, core.ERROR_SCHEMA)})
    table = table.set_column(table.schema.get_field_index("message"), "message", pa.array(messages))
    times = pa.array([start + rng.randrange(86_400_000) for _ in range(n)], pa.timestamp("ms", tz="UTC"))
    table = table.set_column(0, "time", times)
    sites = pa.array([f"SITE-{rng.randrange(80)}" for _ in range(n)])
    for col in ("src_site", "dst_site"):
        table = table.set_column(table.schema.get_field_index(col), col, sites)
    report = core.LoadReport("synthetic", "fts", "synthetic day", days=[DAY])
    errors = core.ErrorTable(table, report)
    return core.analyse_errors(errors, with_trends=False)


async def timed_keys(pilot, keys) -> list[float]:
    """Milliseconds per key: from the press until the app is idle again (pilot.press waits for that)."""
    out = []
    for key in keys:
        t0 = time.perf_counter()
        await pilot.press(key)
        await pilot.wait_for_scheduled_animations()
        out.append((time.perf_counter() - t0) * 1000)
    return out


def stats(values) -> str:
    ordered = sorted(values)
    return (f"median {statistics.median(values):6.1f} ms  p95 {ordered[int(0.95 * (len(values) - 1))]:6.1f} ms  "
            f"max {max(values):6.1f} ms")


MOVES = ["down"] * 60 + ["pagedown"] * 10 + ["up"] * 30


async def peer_latency() -> list[float]:
    """The same key presses on a bare Textual DataTable of 5,000 rows: the harness and framework floor."""
    from textual.app import App
    from textual.widgets import DataTable

    class Bare(App):
        def compose(self):
            yield DataTable()

        def on_mount(self):
            table = self.query_one(DataTable)
            table.add_columns("count", "pattern")
            table.add_rows([(str(i), f"ERROR pattern number {i}") for i in range(5000)])
            table.focus()

    app = Bare()
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause(0.2)
        return await timed_keys(pilot, MOVES)


async def latency() -> None:
    import opint_core as core
    from opint_tui.app import OpintApp

    analysis = synthetic_analysis()
    app = OpintApp(core.Request("synthetic", core.Selection.latest()),
                   store=core.TriageStore(tempfile.mkdtemp(prefix="opint-bench-store-")), analysis=analysis)
    async with app.run_test(size=(160, 48)) as pilot:
        while not app.overview.shown:
            await pilot.pause(0.01)
        print(f"overview of {len(app.overview.shown):,} categories")
        moves = await timed_keys(pilot, MOVES)
        await pilot.press("slash")
        typing = await timed_keys(pilot, list("abcde"))
        # the work behind one filter keystroke, without the harness: filter + sort + redraw of 5,000 rows
        overview = app.overview
        work = []
        for text in ("a", "ab", "abc", "e", ""):
            t0 = time.perf_counter()
            overview.filter_text = text
            overview.refresh_rows()
            work.append((time.perf_counter() - t0) * 1000)
    floor = await peer_latency()
    print(f"opint cursor moves     {stats(moves)}  ({len(moves)} keys)")
    print(f"bare DataTable moves   {stats(floor)}  (the Pilot/Textual floor, same keys)")
    print(f"opint over the floor   {statistics.median(moves) - statistics.median(floor):6.1f} ms per move "
          "(target < 50 ms key-to-frame)")
    print(f"opint filter typing    {stats(typing)}  ({len(typing)} keys)")
    print(f"filter work per key    {stats(work)}  (filter + sort + redraw, no harness)")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--archive", help="a one-day archive of DAY (bench_load.py writes one)")
    ap.add_argument("--scale", type=float, default=34.0)
    ap.add_argument("--skip-launch", action="store_true")
    args = ap.parse_args()
    if not args.skip_launch:
        root = args.archive
        if not root:
            from opint_core import write_sample_archive

            root = os.path.join(tempfile.mkdtemp(prefix="opint-bench-app-"), "archive")
            write_sample_archive(root, days=1, seed=7, scale=args.scale, end=DAY, streams=("fts",))
        asyncio.run(launch(root))
    asyncio.run(latency())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
