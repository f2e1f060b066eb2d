"""Regenerate screenshots/*.svg: every screen of the real app on the built-in sample archive.

    .venv/bin/python -m opint_tui.screenshots [--size 120x36] [--out screenshots]
"""
from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import tempfile
from pathlib import Path

END = dt.date(2026, 11, 20)


async def shoot(out: Path, size: tuple[int, int]) -> list[Path]:
    import opint_core as core
    from opint_tui.app import OpintApp

    work = Path(tempfile.mkdtemp(prefix="opint-shots-"))
    os.environ["OPINT_CACHE_DIR"] = str(work / "cache")
    root = work / "archive"
    core.write_sample_archive(root, days=4, seed=3, scale=0.5, end=END)   # END: today, with the planted incidents
    analysis = core.analyse(str(root), core.Selection.day(END))
    analysis.timings = {k: round(v, 1) for k, v in analysis.timings.items()}
    store = core.TriageStore(work / "store", user="shifter")
    top = analysis.clustering.categories
    store.annotate(top[1].key, pattern=top[1].pattern, label="GGUS ticket open for the site", status="ticketed",
                   ticket="GGUS-168421")
    store.annotate(top[3].key, pattern=top[3].pattern, label="known: dark data cleanup", status="known")
    app = OpintApp(core.Request(str(root), core.Selection.day(END)), store=store,
                   analysis=analysis, export_dir=str(work))
    written = []

    async def save(name: str) -> None:
        await pilot.pause(0.2)
        path = out / f"{name}.svg"
        path.write_text(app.export_screenshot(title=f"opint — {name}"))
        written.append(path)

    async with app.run_test(size=size) as pilot:
        for _ in range(100):
            await pilot.pause(0.05)
            if app.overview.shown:
                break
        await save("overview")
        await pilot.press("slash", *"space")
        await save("filter")
        await pilot.press("escape", "s", "s")
        await save("sorted-by-new")
        await pilot.press("s", "s", "s", "enter")
        await save("detail")
        await pilot.press("a")
        await save("annotate")
        await pilot.press("escape", "escape", "down", "m", *"timed")
        await save("merge")
        await pilot.press("escape", "up", "t")
        await save("templates")
        await pilot.press("t", "o")
        await save("load")
        await pilot.press("escape", "e")
        await save("export")
        await pilot.press("escape", "question_mark")
        await save("help")
        await pilot.press("escape", "i")
        await save("incidents")
        await pilot.press("T")
        await save("ticket")
    return written


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", default="120x36", help="terminal size, COLSxROWS")
    ap.add_argument("--out", default=str(Path(__file__).resolve().parent.parent / "screenshots"))
    args = ap.parse_args()
    cols, rows = (int(x) for x in args.size.lower().split("x"))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for path in asyncio.run(shoot(out, (cols, rows))):
        print(path)


if __name__ == "__main__":
    main()
