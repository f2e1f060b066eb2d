"""The local backend: the archive read in this process (``load_errors``: threads, day cache), and
the baseline days through the same loader (``load_baseline``)."""
from __future__ import annotations

import threading

from opint_core.errors import LoadCancelled
from opint_core.load.baseline import load_baseline
from opint_core.load.loader import load_errors
from opint_core.load.request import Loaded, Progress, Request
from opint_core.load.table import ErrorTable


class LocalBackend:
    """``Backend`` reading the archive here; ``cache_dir``: where the day cache lives (default: the
    user cache dir)."""

    def __init__(self, cache_dir=None):
        self.cache_dir = cache_dir

    def load(self, request: Request, *, progress: Progress | None = None, cancel: threading.Event | None = None,
             with_baseline: bool = False) -> Loaded:
        errors = load_errors(request.archive, request.selection, stream=request.stream, use_cache=request.use_cache,
                             cache_dir=self.cache_dir, progress=progress, cancel=cancel)
        if cancel is not None and cancel.is_set():
            raise LoadCancelled()
        loaded = Loaded(errors)
        if with_baseline and errors.report.days:   # a path list has no days, so no baseline
            loaded.baseline, loaded.notes = self.baseline(errors, use_cache=request.use_cache, progress=progress,
                                                          cancel=cancel)
        return loaded

    def baseline(self, errors: ErrorTable, *, use_cache: bool = True, progress: Progress | None = None,
                 cancel: threading.Event | None = None) -> tuple[ErrorTable | None, list[str]]:
        """(the baseline of ``errors``, or None; notes): a baseline that cannot be read is a note,
        not an error -- it must not cost the day itself."""
        notify = progress or (lambda stage, done, total: None)
        notify("baseline", 0, 1)
        baseline, notes = None, []
        try:
            baseline = load_baseline(errors, use_cache=use_cache, cache_dir=self.cache_dir, progress=progress,
                                     cancel=cancel)
        except LoadCancelled:
            raise
        except Exception as e:  # noqa: BLE001 - a missing baseline must not cost the day itself
            notes.append(f"no trends: the baseline days could not be loaded ({e})")
        notify("baseline", 1, 1)
        return baseline, notes
