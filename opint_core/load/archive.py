"""The MONIT archive: where each stream's days live, and which files a selection means.

Layout: <root>/project/monitoring/archive/<fts/raw/complete | rucio/raw/events>/YYYY/MM/DD/part-*.json.gz,
with days not yet compacted in DD.tmp/ (not final: never cached as such).
"""
from __future__ import annotations

import datetime as dt
import posixpath
import re
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

import pyarrow.fs as pafs

from opint_core.load.filesystem import ArchiveError, check_listing, open_archive_fs, scheme_of
from opint_core.load.selection import Selection

STREAM_DIRS = {
    "fts": "project/monitoring/archive/fts/raw/complete",
    "rucio": "project/monitoring/archive/rucio/raw/events",
}
DEFAULT_ARCHIVE = "hdfs://analytix"
PATH_LIST_SCHEMES = ("file", "hdfs", "viewfs")   # URIs a path list may hold: the filesystems of archives

_DAY_DIR = re.compile(r"^(\d{2})(\.tmp)?$")
_DAY_IN_PATH = re.compile(r"/(\d{4})/(\d{2})/(\d{2})(\.tmp)?(?=/|$)")


@dataclass(frozen=True)
class SourceFile:
    path: str
    size: int
    mtime_ns: int | None


@dataclass
class DaySource:
    """The files of one day of one stream; final unless some come from a DD.tmp folder."""

    day: dt.date | None
    files: list[SourceFile] = field(default_factory=list)
    final: bool = True
    empty_files: list[str] = field(default_factory=list)

    def signature(self) -> list[list]:
        return [[f.path, f.size, f.mtime_ns] for f in sorted(self.files, key=lambda f: f.path)]


class Archive:
    """An archive URI opened once: the filesystem object and the root path inside it."""

    def __init__(self, uri: str = DEFAULT_ARCHIVE):
        self.uri = str(uri)
        self.fs, self.root = open_archive_fs(self.uri)

    def stream_dir(self, stream: str) -> str:
        if stream not in STREAM_DIRS:
            raise ValueError(f"unknown stream {stream!r}: choose one of {', '.join(STREAM_DIRS)}")
        return posixpath.join(self.root, STREAM_DIRS[stream]) if self.root else STREAM_DIRS[stream]

    def _names(self, path: str, what: str) -> list[pafs.FileInfo]:
        return check_listing(self.fs, path, what)

    def _numeric_dirs(self, path: str, what: str, width: int) -> list[str]:
        return sorted(i.base_name for i in self._names(path, what)
                      if i.type == pafs.FileType.Directory and len(i.base_name) == width
                      and i.base_name.isdigit())

    def _months(self, stream: str, newest_first: bool = False):
        """(year, month) folder names of a stream, in order; lists years and months, not files."""
        base = self.stream_dir(stream)
        years = self._numeric_dirs(base, f"the {stream} archive", 4)
        for year in reversed(years) if newest_first else years:
            months = self._numeric_dirs(posixpath.join(base, year), f"{stream} year {year}", 2)
            for month in reversed(months) if newest_first else months:
                yield year, month

    def _days_in_month(self, stream: str, year: str, month: str) -> list[dt.date]:
        """Days with a folder (DD or DD.tmp) in one month folder."""
        days = []
        for info in self._names(posixpath.join(self.stream_dir(stream), year, month), f"{stream} month {year}-{month}"):
            m = _DAY_DIR.match(info.base_name)
            if m and info.type == pafs.FileType.Directory:
                try:
                    days.append(dt.date(int(year), int(month), int(m.group(1))))
                except ValueError:
                    continue  # e.g. a stray 31 in a 30-day month
        return days

    def days_present(self, stream: str) -> list[dt.date]:
        """Every day with a folder (DD or DD.tmp), oldest first."""
        return sorted({d for year, month in self._months(stream) for d in self._days_in_month(stream, year, month)})

    def nearest_days(self, stream: str, day: dt.date, k: int = 3) -> list[dt.date]:
        """Up to ``k`` days the archive has nearest to ``day`` (oldest first), from the listings of its month
        and the months either side (three listings, not the whole archive: this runs on an error path,
        on HDFS too), else the latest day; [] when nothing can be listed."""
        days: set[dt.date] = set()
        first_of_month = day.replace(day=1)
        for shift in (-1, 0, 31):
            try:
                month = first_of_month + dt.timedelta(days=shift)
            except OverflowError:   # before year 1 or after 9999
                continue
            try:
                days.update(self._days_in_month(stream, f"{month:%Y}", f"{month:%m}"))
            except ArchiveError:
                continue
        if not days:
            try:
                days = {self.latest_day(stream)}
            except ArchiveError:
                return []
        return sorted(sorted(days, key=lambda d: (abs((d - day).days), d))[:k])

    def latest_day(self, stream: str) -> dt.date:
        """The newest day folder, found by walking down from the newest month; .tmp days count."""
        base = self.stream_dir(stream)
        for year, month in self._months(stream, newest_first=True):
            found = self._days_in_month(stream, year, month)
            if found:
                return max(found)
        raise ArchiveError(f"the {stream} archive at {self.uri} holds no day folders under {base}",
                           cause="not-found", path=base,
                           remedy="check --archive and --source; on lxplus check `hdfs dfs -ls` of that folder")

    def day_source(self, stream: str, day: dt.date) -> DaySource:
        """The files of a day (DD/ and DD.tmp/). A day with no files is an error, not 'no errors that day'."""
        month_dir = posixpath.join(self.stream_dir(stream), f"{day:%Y}", f"{day:%m}")
        what = f"{stream} day {day}"
        try:
            entries = self._names(month_dir, what)
        except ArchiveError as e:
            if e.cause != "not-found":
                raise
            entries = []
        source = DaySource(day=day)
        folders = [i for i in entries if i.type == pafs.FileType.Directory
                   and i.base_name in (f"{day:%d}", f"{day:%d}.tmp")]
        if not folders:
            nearest = self.nearest_days(stream, day)
            offer = f"the nearest days it has: {', '.join(map(str, nearest))}; " if nearest else ""
            raise ArchiveError(f"no folder for {what} in {month_dir} ({self.uri})", cause="not-found",
                               path=month_dir, remedy=f"pick a day the archive has ({offer}opint load without "
                               "--date loads the latest); on HDFS an unreachable cluster also looks like this: "
                               "check `klist`")
        for folder in sorted(folders, key=lambda i: i.base_name):
            if folder.base_name.endswith(".tmp"):
                source.final = False
            self._add_files(source, folder.path, what)
        if not source.files:
            raise ArchiveError(
                f"the folder of {what} ({', '.join(f.path for f in folders)}) lists no data files",
                cause="empty-day", path=folders[0].path,
                remedy="the day may still be being written, or the listing failed: retry later, and on lxplus "
                       "check `klist` and `hdfs dfs -ls` of that folder")
        return source

    def _add_files(self, source: DaySource, folder: str, what: str, skip: set[str] | None = None) -> None:
        """The data files of ``folder``; ``skip``: paths already taken (each added to it)."""
        for info in self._names(folder, what):
            if info.type != pafs.FileType.File or info.base_name.startswith(("_", ".")):
                continue  # _SUCCESS markers, hidden files, sub-folders
            if skip is not None:
                if info.path in skip:
                    continue
                skip.add(info.path)
            if not info.size:
                source.empty_files.append(info.path)
                continue
            mtime = info.mtime_ns if info.mtime is not None else None
            source.files.append(SourceFile(info.path, int(info.size), mtime))

    def resolve(self, stream: str, selection: Selection) -> list[DaySource]:
        """The day sources a selection means, oldest first."""
        if selection.paths is not None:
            return self._path_sources(selection.paths)
        if selection.first is None:
            latest = self.latest_day(stream)
            n = selection.last_n or 1
            days = [latest - dt.timedelta(days=k) for k in range(n - 1, -1, -1)]
        else:
            n = (selection.last - selection.first).days + 1
            days = [selection.first + dt.timedelta(days=k) for k in range(n)]
        return [self.day_source(stream, d) for d in days]

    def _path_sources(self, paths) -> list[DaySource]:
        """Explicit paths (files or folders); grouped by the day their path names, if any. A file
        listed twice (or a folder and a file in it) is read once."""
        by_day: dict[dt.date | None, DaySource] = {}
        listed: set[str] = set()
        for raw in paths:
            path = self._to_fs_path(raw)
            info = self.fs.get_file_info(path)
            day, final = _day_of_path(path)
            source = by_day.setdefault(day, DaySource(day=day))
            if not final:
                source.final = False  # unknown day or a .tmp folder: never cached as final
            if info.type == pafs.FileType.Directory:
                self._add_files(source, path, f"listed folder {raw}", skip=listed)
            elif info.type == pafs.FileType.File:
                if path in listed:
                    continue
                listed.add(path)
                if info.size:
                    mtime = info.mtime_ns if info.mtime is not None else None
                    source.files.append(SourceFile(path, int(info.size), mtime))
                else:
                    source.empty_files.append(path)
            else:
                raise ArchiveError(f"the listed path {raw!r} does not exist in {self.uri}", cause="not-found",
                                   path=path, remedy="fix or remove that line of the path list")
        return [by_day[k] for k in sorted(by_day, key=lambda d: (d is None, d or dt.date.min))]

    def _to_fs_path(self, raw: str) -> str:
        """A path-list line as a path on this filesystem: URIs lose their scheme (file:// ones their
        percent-encoding too), relative paths hang off the root."""
        scheme = scheme_of(raw)
        if scheme is not None:
            return self._uri_path(raw, scheme)
        if raw.startswith("/"):
            return raw
        return posixpath.join(self.root, raw) if self.root else raw

    def _uri_path(self, uri: str, scheme: str) -> str:
        if scheme not in PATH_LIST_SCHEMES:
            raise ArchiveError(f"the listed path {uri!r} has a URI scheme opint does not read ({scheme}://): "
                               f"a path list takes {', '.join(s + '://' for s in PATH_LIST_SCHEMES)} or plain paths",
                               cause="bad-uri", uri=uri, remedy="fix or remove that line of the path list")
        path = urlsplit(uri).path
        return unquote(path) if scheme == "file" else path   # Path.as_uri() percent-encodes


def _day_of_path(path: str) -> tuple[dt.date | None, bool]:
    """(the day a path names, whether that day is final): its deepest YYYY/MM/DD[.tmp] folder -- an
    archive may be kept under a dated folder of its own. (None, False) when it names no day."""
    matches = list(_DAY_IN_PATH.finditer(path))
    if not matches:
        return None, False
    m = matches[-1]
    try:
        return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3))), not m.group(4)
    except ValueError:
        return None, False
