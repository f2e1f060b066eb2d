"""Which days (or files) to load: the latest day, one day, a range, the last N days, or a path list."""
from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass

from opint_core.errors import OpintError

# The forms the original OpInt loader accepted (utils/tools.py::parse_date), ISO first.
DATE_FORMATS = ("%Y-%m-%d", "%d.%m.%Y", "%d/%m/%Y")

MAX_LAST_DAYS = 3660   # --last: ten years of days at most (far more than the archive keeps)


class SelectionError(OpintError, ValueError):
    """A selection that cannot be understood: bad date, inverted range, unreadable path list."""


DATE_WORDS = {"today": 0, "yesterday": 1}
_DAYS_AGO = re.compile(r"-(\d{1,4})")


def today_utc() -> dt.date:
    """The archive's today: MONIT writes its days in UTC."""
    return dt.datetime.now(dt.timezone.utc).date()


def parse_date(text: str, today: dt.date | None = None) -> dt.date:
    """A day as people type it: YYYY-MM-DD (or DD.MM.YYYY, DD/MM/YYYY), ``today``, ``yesterday`` or ``-N``
    (N days ago, at most MAX_LAST_DAYS), against ``today`` (default: today in UTC)."""
    value = str(text).strip()
    word = value.lower()
    ago = DATE_WORDS.get(word)
    match = _DAYS_AGO.fullmatch(word)
    if match:
        ago = int(match.group(1))
        if ago > MAX_LAST_DAYS:
            raise SelectionError(f"cannot read the date {text!r}: at most {MAX_LAST_DAYS} days ago",
                                 "give a day as YYYY-MM-DD, or fewer days back")
    if ago is not None:
        return (today or today_utc()) - dt.timedelta(days=ago)
    for fmt in DATE_FORMATS:
        try:
            return dt.datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    raise SelectionError(
        f"cannot read the date {text!r}: use YYYY-MM-DD (or DD.MM.YYYY, DD/MM/YYYY), today, yesterday or -N "
        "(N days ago), e.g. 2026-11-24")


def _given(value) -> bool:
    """An option set on the command line or in a form: not None, not blank text (0 is set)."""
    return value is not None and not (isinstance(value, str) and not value.strip())


@dataclass(frozen=True)
class Selection:
    """What to load. Exactly one of the forms is set; none means the latest day in the archive."""

    first: dt.date | None = None
    last: dt.date | None = None
    last_n: int | None = None
    paths: tuple[str, ...] | None = None
    paths_file: str | None = None

    @classmethod
    def latest(cls) -> "Selection":
        return cls()

    @classmethod
    def day(cls, day: dt.date | str) -> "Selection":
        d = day if isinstance(day, dt.date) else parse_date(day)
        return cls(first=d, last=d)

    @classmethod
    def range(cls, first: dt.date | str, last: dt.date | str) -> "Selection":
        a = first if isinstance(first, dt.date) else parse_date(first)
        b = last if isinstance(last, dt.date) else parse_date(last)
        if b < a:
            raise SelectionError(f"the range {a} .. {b} is inverted: --from must not be after --to")
        return cls(first=a, last=b)

    @classmethod
    def last_days(cls, n: int) -> "Selection":
        try:
            n = int(n)
        except (TypeError, ValueError, OverflowError):   # OverflowError: int(float("inf"))
            raise SelectionError(f"--last needs a number of days, got {n!r}",
                                 f"give a whole number from 1 to {MAX_LAST_DAYS}") from None
        if not 1 <= n <= MAX_LAST_DAYS:
            bound = "at least 1 day" if n < 1 else f"at most {MAX_LAST_DAYS} days"
            raise SelectionError(f"--last needs {bound}, got {n}",
                                 f"give a number of days from 1 to {MAX_LAST_DAYS}, or a range with --from/--to")
        return cls(last_n=n)

    @classmethod
    def from_paths_file(cls, path: str | os.PathLike) -> "Selection":
        """One path per line; whitespace stripped, blank lines and '#' comments skipped."""
        try:
            with open(path, encoding="utf-8", errors="replace") as f:
                lines = f.read().splitlines()
        except OSError as e:
            raise SelectionError(f"cannot read the path list {os.fspath(path)!r}: {e.strerror or e}") from None
        paths = tuple(s for s in (line.strip() for line in lines) if s and not s.startswith("#"))
        if not paths:
            raise SelectionError(f"the path list {os.fspath(path)!r} names no paths (blank and # lines are skipped)")
        return cls(paths=paths, paths_file=os.fspath(path))

    @classmethod
    def from_options(cls, *, date=None, date_from=None, date_to=None, last=None, paths_file=None) -> "Selection":
        """The command-line form: at most one of --date, --from/--to, --last, --paths-file. An option
        is given unless it is None or blank text: ``last=0`` is given, and out of range."""
        options = {"--date": _given(date), "--from/--to": _given(date_from) or _given(date_to),
                   "--last": _given(last), "--paths-file": _given(paths_file)}
        given = [name for name, set_ in options.items() if set_]
        if len(given) > 1:
            raise SelectionError(f"choose one selection, not {' and '.join(given)}")
        if options["--date"]:
            return cls.day(date)
        if options["--from/--to"]:
            if not (_given(date_from) and _given(date_to)):
                raise SelectionError("a range needs both --from and --to")
            return cls.range(date_from, date_to)
        if options["--last"]:
            return cls.last_days(last)
        if options["--paths-file"]:
            return cls.from_paths_file(paths_file)
        return cls.latest()

    def describe(self) -> str:
        if self.paths is not None:
            return f"{len(self.paths)} paths from {self.paths_file or 'a list'}"
        if self.last_n:
            return f"last {self.last_n} day{'s' if self.last_n > 1 else ''}"
        if self.first is None:
            return "latest day"
        if self.first == self.last:
            return str(self.first)
        return f"{self.first} .. {self.last}"
