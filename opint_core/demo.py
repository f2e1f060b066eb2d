"""The built-in sample archive behind `--demo`: generated once per day into the user cache dir."""
from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

from opint_core.cache import default_cache_dir


DEMO_DAYS, DEMO_SEED = 7, 2026


def demo_archive(progress=None, *, today: dt.date | None = None) -> str:
    """Path of the demo archive, ending today (its last day in DD.tmp), written on first use."""
    today = today or dt.datetime.now(dt.timezone.utc).date()
    base = default_cache_dir() / "demo-archive"
    marker = base / "READY"
    if marker.exists() and marker.read_text().strip() == str(today):
        return str(base)
    if base.exists():
        shutil.rmtree(base)
    base.mkdir(parents=True)
    from opint_core.sample_archive import write_sample_archive  # only when the demo is first used

    write_sample_archive(base, days=DEMO_DAYS, seed=DEMO_SEED, end=today, progress=progress)
    marker.write_text(str(today))
    return str(base)
