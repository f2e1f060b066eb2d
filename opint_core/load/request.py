"""What to load (``Request``), what a backend hands back (``Loaded``), and the one interface of
the backends that read the archive (``Backend``): this process (``opint_core.load.local``) or the
Spark job (``opint_core.spark``). ``opint_core.pipeline`` picks one per request."""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Callable, Protocol

from opint_core.load.archive import DEFAULT_ARCHIVE
from opint_core.load.scope import parse_vos
from opint_core.load.selection import Selection
from opint_core.load.table import ErrorTable
from opint_core.causes import CauseBase
from opint_core.sites import SiteTable

Progress = Callable[[str, int, int], None]   # progress(stage, done, total); stages: opint_core.stages


@dataclass(frozen=True)
class Request:
    """What to load: the archive (a pyarrow filesystem URI or a path), the days, the stream, whether
    the day cache may be used, the backend (``spark_master`` set: the Spark job on that master;
    else this process), and the scope: the VOs whose failures are analysed (made lower case, each
    once, by ``opint_core.load.scope.parse_vos``; empty: every VO). Backends load the whole
    day (so the day cache is the unscoped day); the pipeline scopes what they return. ``sites``: the
    site table the pipeline names sites with (None: the shipped one); backends keep derived names."""

    archive: str = DEFAULT_ARCHIVE
    selection: Selection = field(default_factory=Selection.latest)
    stream: str = "fts"
    use_cache: bool = True
    spark_master: str | None = None
    vo: tuple[str, ...] = ()
    sites: SiteTable | None = field(default=None, compare=False, repr=False)
    causes: CauseBase | None = field(default=None, compare=False, repr=False)   # None: the shipped causes

    def __post_init__(self):
        object.__setattr__(self, "vo", parse_vos(self.vo))   # any case, a comma list, "all": one form


@dataclass
class Loaded:
    """What a backend read for a request: the failures of the selection, the failures of its
    baseline days (None: not asked for, or the archive has none of them), and what went wrong
    beside the main load (a baseline that could not be read costs the trends, not the day)."""

    errors: ErrorTable
    baseline: ErrorTable | None = None
    notes: list[str] = field(default_factory=list)


class Backend(Protocol):
    """Turns a Request into tables. ``with_baseline``: also the baseline days of the selection (the
    same number of days just before it, ``opint_core.load.baseline``), for the trends."""

    def load(self, request: Request, *, progress: Progress | None = None, cancel: threading.Event | None = None,
             with_baseline: bool = False) -> Loaded: ...
