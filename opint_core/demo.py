"""The built-in sample archive behind `--demo`: generated once per day into the user cache dir.
OPINT_DEMO_SCALE (default 1: about 30,000 FTS and 20,000 Rucio records a day) sets its volume."""
from __future__ import annotations

import datetime as dt
import os
import shutil

from opint_core.load.cache import default_cache_dir
from opint_core.sample_archive import write_sample_archive

DEMO_DAYS, DEMO_SEED = 7, 2026


def demo_archive(progress=None, *, today: dt.date | None = None) -> str:
    """Path of the demo archive, ending today (its last day in DD.tmp), written on first use."""
    today = today or dt.datetime.now(dt.timezone.utc).date()
    base = default_cache_dir() / "demo-archive"
    scale = float(os.environ.get("OPINT_DEMO_SCALE") or 1.0)
    marker = base / "READY"
    stamp = f"{today} scale={scale}"
    if marker.exists() and marker.read_text().strip() == stamp:
        return str(base)
    if base.exists():
        shutil.rmtree(base)
    base.mkdir(parents=True)
    write_sample_archive(base, days=DEMO_DAYS, seed=DEMO_SEED, scale=scale, end=today, progress=progress)
    marker.write_text(stamp)
    return str(base)
