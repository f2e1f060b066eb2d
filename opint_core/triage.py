"""Triage memory: annotations of categories, kept as append-only JSON-lines journals.

Store layout
------------
A store directory holds one journal per user, ``<user>.jsonl``. The default is the user's own data
dir (``$OPINT_DATA_DIR/triage``, else ``platformdirs.user_data_dir("opint")/triage``); a team
shares a directory on EOS/AFS (``store =`` in the config, or ``--store DIR``). There is no
database and no lock: SQLite and ``flock`` are unreliable on those filesystems, and a journal is
only ever written by its own user.

Journal line format (version 1): one line is one change event, and one event may set several
fields of one category at once (so a dialog's "label + status" is saved together or not at all)::

    {"v":1,"key":"c0123456789ab","set":{"label":"disk full","status":"known"},
     "pattern":"... <*> ...","author":"alice","time":"2026-11-20T08:15:02.123456+00:00",
     "seq":17,"w":"3fa9c2d1"}

- ``set`` holds the changed fields: ``label``, ``status``, ``ticket``, ``notes``, ``merge_into``
  (the category this one belongs to; ``null`` un-merges). ``null`` clears a field.
- ``pattern`` is the category's pattern when the change was made: it lets a category of another
  day, with another key, inherit the annotation by similarity (``carry_over``). The latest
  recorded pattern of a key counts, so a writer records it with the key's first change in its
  journal (and again if it differs) and leaves it out of later changes: patterns are most of a
  line's bytes, and so of the time to read a journal.
- ``time`` is UTC with microseconds; ``seq`` counts the writer's changes and ``w`` identifies the
  writer (one random id per process and store), so the order of changes is total and depends only
  on the lines, not on file order: the latest ``(time, author, w, seq)`` of each field wins (equal
  stamps, only possible in a corrupt journal, are ordered by content). A writer stamps a change
  after every change of that key it has read, so it wins even when a teammate's clock is ahead.

Appending: every change is ONE ``os.write`` of one complete line to a file descriptor opened with
``O_APPEND``, then ``fsync``. Writers in different processes therefore never interleave inside a
line (the kernel serialises appends to a local file), and a crash can tear at most the line being
written. A torn line is skipped with a warning when reading; the next append starts with a newline
when the file does not end with one, so it never glues onto the fragment (a reader also recovers
a change glued after a fragment, and ignores the blank line two racing writers may leave). Nothing
already written is ever rewritten, truncated or removed. On EOS/AFS, appends from two *hosts* to
one file are not atomic: one journal per user confines that to one person's two simultaneous
sessions on different machines.

Reading folds every ``*.jsonl`` journal of the directory; ``reload()`` then reads only what was
appended. Lines and fields written by a newer version are kept (unknown fields in
``Annotation.extra``, other lines in ``TriageStore.unknown_events``) and never dropped from disk.
"""
from __future__ import annotations

import datetime as dt
import errno
import gc
import getpass
import json
import os
import re
import secrets
import stat
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import Path
from typing import Any, NamedTuple

import platformdirs

from opint_core.errors import OpintError

__all__ = [
    "Annotation", "CARRY_OVER_THRESHOLD", "Change", "FORMAT_VERSION", "Inherited", "STATUSES", "StoreError",
    "TriageStore", "apply_merges", "carry_over", "current_user", "default_store_dir", "pattern_similarity",
]

FORMAT_VERSION = 1
STATUSES = ("new", "investigating", "ticketed", "known", "resolved", "ignored")
ANNOTATION_FIELDS = ("label", "status", "ticket", "notes")
MERGE_FIELD = "merge_into"

#: Default similarity (0..100, ``pattern_similarity``: rapidfuzz's Indel ratio over the patterns'
#: words) from which a category inherits the annotation, or merge, of a similar recorded pattern.
#: Measured on the 203 ground-truth templates of the fts-10k sample (82 issues), matching each
#: template to its most similar other one: at >= 90, 77 match and 75 of them are the same issue
#: (the 2 others: "Broken pipe" vs "ClosedChannelException" after the same long gridftp text);
#: at 85, 101 match but 10 are wrong; at 92 and above none is wrong but 12 fewer match.
#: Word-level beats character-level here: rapidfuzz's token_sort_ratio at 90 matches 79 with 9
#: wrong ("[3011] No such file" vs "[3012] failed tpc" differ by few characters but by 3 words).
#: Inherited annotations are always shown as such, with their similarity and source.
CARRY_OVER_THRESHOLD = 90.0

_KNOWN_MEMBERS = frozenset(("v", "key", "set", "pattern", "author", "time", "seq", "w"))
_PATTERN = "\x00pattern"    # the per-key slot of the latest pattern (never a field name)
_USER_RE = re.compile(r"[A-Za-z0-9_@+][A-Za-z0-9._@+-]*")


class StoreError(OpintError):
    """The triage store cannot be used as asked; the message names the path and what to do."""

    def __init__(self, message: str, path: str | os.PathLike | None = None):
        super().__init__(message)
        self.path = Path(path) if path is not None else None


class Change(NamedTuple):
    """Who changed a field, and when (UTC ISO time)."""
    author: str
    time: str


@dataclass(frozen=True)
class Annotation:
    """The folded state of one category's annotation.

    ``author`` and ``time`` are those of the latest change to any annotation field; ``changes`` has
    them per field (label, status, ticket, notes and any unknown field). ``extra`` holds fields
    written by a newer opint, latest value each, untouched. ``status`` is ``"new"`` until set.
    """
    key: str
    pattern: str | None = None
    label: str | None = None
    status: str = "new"
    ticket: str | None = None
    notes: str | None = None
    author: str | None = None
    time: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)
    changes: Mapping[str, Change] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        """True when nothing is (any longer) annotated: no label, ticket, notes, extra; status new."""
        return not (self.label or self.ticket or self.notes or self.extra) and self.status in ("new", None)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able form (reports, scripts)."""
        d = {"key": self.key, "pattern": self.pattern, "label": self.label, "status": self.status,
             "ticket": self.ticket, "notes": self.notes, "author": self.author, "time": self.time}
        if self.extra:
            d["extra"] = dict(self.extra)
        return d


@dataclass(frozen=True)
class Inherited:
    """The annotation a category gets: its own (``exact``), or a similar pattern's (inherited).

    ``similarity`` is 100.0 for an exact key match, else the rapidfuzz score (0..100) between the
    category's pattern and ``annotation.pattern``; ``source_key`` is the annotated category's key.
    """
    key: str
    source_key: str
    similarity: float
    annotation: Annotation

    @property
    def exact(self) -> bool:
        return self.source_key == self.key

    @property
    def inherited(self) -> bool:
        return self.source_key != self.key


# --------------------------------------------------------------------------------------------------
# locations and identity

def default_store_dir() -> Path:
    """The personal store: ``$OPINT_DATA_DIR/triage``, else the platform user data dir + ``/triage``."""
    base = os.environ.get("OPINT_DATA_DIR") or platformdirs.user_data_dir("opint")
    return Path(base) / "triage"


def current_user() -> str:
    """``$USER``, else what ``getpass`` finds (LOGNAME, the password database)."""
    user = os.environ.get("USER")
    if not user:
        try:
            user = getpass.getuser()
        except Exception:  # noqa: BLE001 - getpass raises KeyError/OSError when nothing is known
            user = None
    if not user:
        raise StoreError("cannot tell who you are (no $USER and no password entry): set the USER "
                         "environment variable, or pass user= to TriageStore")
    return user


# --------------------------------------------------------------------------------------------------
# folding

def _utc_now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="microseconds")


def _after(time: str) -> str:
    """The canonical time one microsecond after ``time``."""
    t = dt.datetime.fromisoformat(time) + dt.timedelta(microseconds=1)
    return t.astimezone(dt.timezone.utc).isoformat(timespec="microseconds")


def _canonical_time(time: str) -> str | None:
    """``time`` as ``YYYY-MM-DDTHH:MM:SS.ffffff+00:00`` (so that string order is time order)."""
    try:
        t = dt.datetime.fromisoformat(time.replace("Z", "+00:00") if time.endswith("Z") else time)
    except (ValueError, TypeError, AttributeError):
        return None
    if t.tzinfo is None:
        t = t.replace(tzinfo=dt.timezone.utc)
    return t.astimezone(dt.timezone.utc).isoformat(timespec="microseconds")


_EXTRA = "\x01"             # slot prefix of a newer version's top-level members (kept in extra)


def _normalize(ev, default_author: str):
    """``ev`` as a clean change (canonical time; author, w, seq and set present with their types),
    or None when it cannot be used. Odd but usable members are repaired, never guessed beyond that."""
    if not isinstance(ev, dict):
        return None
    key, changes, time = ev.get("key"), ev.get("set"), ev.get("time")
    if changes is None:
        changes = {}
    if not isinstance(key, str) or not key or not isinstance(changes, dict) or not isinstance(time, str):
        return None
    time = _canonical_time(time)
    if time is None:
        return None
    author, writer, seq = ev.get("author"), ev.get("w"), ev.get("seq")
    clean = dict(ev)
    clean.update(key=key, set=changes, time=time, author=author if isinstance(author, str) else default_author,
                 w=writer if isinstance(writer, str) else "", seq=seq if type(seq) is int else 0)
    if not isinstance(clean.get("pattern", ""), str):
        del clean["pattern"]
    return clean


class _Fold:
    """Per category key: slot -> the winning (latest) change event for that slot.

    Slots are the ``set`` field names, ``_PATTERN``, and ``_EXTRA + name`` for unknown top-level
    members. The order of changes is their stamp ``(time, author, w, seq)``, so the result is a
    pure function of the set of lines, whatever the file order; folding a change twice is harmless.
    """

    __slots__ = ("state", "unknown_events")

    def __init__(self) -> None:
        self.state: dict[str, dict[str, dict]] = {}
        self.unknown_events: list[dict] = []

    def fold(self, events: list) -> list:
        """Fold parsed lines; those that are not clean changes are returned instead (for
        ``_normalize`` and ``apply``).

        A journal is appended in time order (and several are sorted into time order first), so
        nearly every change is later than all before it and simply overwrites: one assignment per
        changed field, no comparison. A change not later than the latest so far (same
        microsecond, or another process's clock) goes through ``apply``'s full stamp comparison
        instead, so any order gives the same result.
        Every check here is a cheap type or length test of what the fold touches anyway.
        """
        odd: list = []
        state = self.state
        get = state.get
        fromkeys = dict.fromkeys
        is_known = _KNOWN_MEMBERS.issuperset
        latest = ""
        for e in events:
            try:
                k = e["key"]
                t = e["time"]
                ch = e["set"]
                if (type(k) is not str or type(ch) is not dict or len(t) != 32 or not t.endswith("+00:00")  # canonical
                        or not k or type(e["author"]) is not str or not is_known(e)):
                    odd.append(e)
                    continue
            except (KeyError, TypeError):
                odd.append(e)
                continue
            if t <= latest:  # not after everything folded so far: the whole stamp decides
                if "pattern" in e and type(e["pattern"]) is not str:
                    odd.append(e)
                else:
                    self.apply(e)
                continue
            latest = t
            rec = get(k)
            if rec is None:
                state[k] = rec = fromkeys(ch, e)
            else:
                for name in ch:
                    rec[name] = e
            if "pattern" in e:
                if type(e["pattern"]) is str:
                    rec[_PATTERN] = e
                else:
                    odd.append(e)  # folded again, cleaned, by apply(): harmless
        return odd

    def apply(self, e: dict) -> None:
        """Fold one clean change (from ``_normalize`` or the writer) by comparing stamps."""
        rec = self.state.setdefault(e["key"], {})
        stamp = _stamp_of(e)
        slots = list(e["set"])
        if "pattern" in e:
            slots.append(_PATTERN)
        slots.extend(_EXTRA + name for name in e.keys() - _KNOWN_MEMBERS)
        for slot in slots:
            cur = rec.get(slot)
            if cur is None or _wins(e, cur, stamp):
                rec[slot] = e

    def merge(self, other: _Fold) -> None:
        """Fold another fold's winners into this one (an incremental read), comparing stamps."""
        state = self.state
        for key, rec in other.state.items():
            mine = state.get(key)
            if mine is None:
                state[key] = rec
                continue
            for slot, e in rec.items():
                cur = mine.get(slot)
                if cur is None:
                    mine[slot] = e
                else:
                    t, cur_t = e["time"], cur["time"]
                    if cur_t < t or (cur_t == t and _wins(e, cur)):
                        mine[slot] = e
        self.unknown_events.extend(other.unknown_events)


def _wins(e: dict, cur: dict, stamp: tuple | None = None) -> bool:
    """Whether change ``e`` is not older than ``cur``; equal stamps (only in a corrupt or hand-made
    journal) are ordered by content, so the result never depends on the order of reading."""
    stamp = stamp or _stamp_of(e)
    cur_stamp = _stamp_of(cur)
    return cur_stamp < stamp or (cur_stamp == stamp and _content(cur) <= _content(e))


def _content(e: dict) -> str:
    return json.dumps(e, sort_keys=True, default=repr)


def _stamp_of(e: dict) -> tuple:
    """The order of changes: (time, author, writer id, seq); an odd writer id or seq counts as empty."""
    w, seq = e.get("w", ""), e.get("seq", 0)
    return (e["time"], e["author"], w if type(w) is str else "", seq if type(seq) is int else 0)


def _slot_value(slot: str, e: dict):
    if slot == _PATTERN:
        return e["pattern"]
    if slot[:1] == _EXTRA:
        return e[slot[1:]]
    return e["set"][slot]


def _is_newer(ev) -> bool:
    v = ev.get("v") if isinstance(ev, dict) else None
    return isinstance(v, int) and not isinstance(v, bool) and v > FORMAT_VERSION


_new_tuple = tuple.__new__


def _annotation(key: str, rec: dict) -> Annotation | None:
    """The Annotation of one folded key, or None when only merges/patterns were recorded."""
    values: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    changes: dict[str, Change] = {}
    latest = None
    for slot, e in rec.items():
        if slot == _PATTERN or slot == MERGE_FIELD:
            continue
        top_level = slot[:1] == _EXTRA
        name = slot[1:] if top_level else slot
        value = _slot_value(slot, e)
        if name in ANNOTATION_FIELDS and not top_level and (value is None or isinstance(value, str)):
            values[name] = value
        else:
            extra[name] = value
        changes[name] = _new_tuple(Change, (e["author"], e["time"]))  # Change(...) without its slow __new__
        if latest is None or _stamp_of(latest) < _stamp_of(e):
            latest = e
    if latest is None:
        return None
    p = rec.get(_PATTERN)
    return Annotation(key=key, pattern=p["pattern"] if p is not None else None, label=values.get("label"),
                      status=values.get("status") or "new", ticket=values.get("ticket"),
                      notes=values.get("notes"), author=latest["author"], time=latest["time"], extra=extra,
                      changes=changes)


# --------------------------------------------------------------------------------------------------
# reading one journal

_TORN_HINT = ("it is left as it is (the next change starts on a new line); delete it by hand only "
              "if you are sure nobody needs it")


def _parse_lines(lines: list[bytes], journal: _Journal, first: int) -> list[tuple[int, Any]]:
    """Per-line parse (the slow path): (line number, parsed object), a warning for every bad line."""
    out = []
    for n, line in enumerate(lines, first):
        if not line.strip():
            continue
        try:
            ev = json.loads(line)
        except (ValueError, RecursionError):
            ev = None
        if isinstance(ev, dict):
            out.append((n, ev))
            continue
        recovered = _recover(line)
        if recovered is not None:
            journal.warn(n, "the start of this line is a fragment of an interrupted write and was skipped; "
                            "the change after it was read")
            out.append((n, recovered))
        else:
            journal.warn(n, f"not a valid JSON change line (garbage, or an interrupted write); skipped. "
                            f"{_TORN_HINT}")
    return out


def _recover(line: bytes):
    """A complete change glued after a torn fragment (``fragment{"v":...}``): the change, or None."""
    at = line.rfind(b'{"v":')
    if at <= 0:
        return None
    try:
        ev = json.loads(line[at:])
    except (ValueError, RecursionError):
        return None
    return ev if isinstance(ev, dict) else None


@dataclass(eq=False)
class _Journal:
    """What has been read of one journal: up to ``offset`` (the end of its last complete line),
    with the warnings about those lines; and, for the read in progress, its new parsed lines."""
    path: Path
    identity: tuple[int, int] | None = None   # (st_dev, st_ino): another file under the name means re-read all
    offset: int = 0
    lines: int = 0
    warnings: list[str] = field(default_factory=list)        # about complete lines: kept across reads
    tail_warnings: list[str] = field(default_factory=list)   # about the unterminated last line: this read only
    events: list = field(default_factory=list)               # this read: parsed lines (None for a blank one)
    line_numbers: list[int] | None = None                    # this read: their line numbers (None: in order)
    blank_lines: bool = False                                # this read: events has None placeholders

    def line_of(self, i: int) -> int:
        return self.line_numbers[i] if self.line_numbers is not None else self.lines - self._new_lines + i + 1

    _new_lines: int = 0

    def warn(self, line: int, message: str) -> None:
        (self.warnings if line <= self.lines else self.tail_warnings).append(f"{self.path}:{line}: {message}")


def _read_journal(path: Path, known: _Journal | None) -> _Journal | None:
    """Read what is new in one journal since ``known`` (all of it when None): its parsed lines and
    a warning for each line that is not JSON, naming the file and line. Never raises; None when
    the journal is no longer the file ``known`` read (replaced, or shorter): read everything again."""
    j = _Journal(path)
    try:
        # O_NONBLOCK: a FIFO or device named like a journal must not hang the read
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
        with open(fd, "rb") as f:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode):
                if known is not None and known.identity is not None:
                    return None
                j.tail_warnings.append(f"{path}: not a regular file; skipped. Move it out of the store directory")
                return j
            j.identity = (st.st_dev, st.st_ino)
            if known is not None and known.identity is not None:
                if known.identity != j.identity or st.st_size < known.offset:
                    return None
                j.offset, j.lines, j.warnings = known.offset, known.lines, list(known.warnings)
                f.seek(j.offset)
            data = f.read()
    except OSError as e:
        if known is not None and known.identity is not None:
            return None  # it was read before: its changes must go, so read everything again
        j.tail_warnings.append(f"{path}: cannot read this journal ({e.strerror or e}); its annotations are not "
                               f"shown. Check its permissions (its owner can run: chmod a+r {path})")
        return j
    cut = data.rfind(b"\n") + 1
    body, tail = data[:cut], data[cut:]  # tail: an unterminated last line, normally empty
    del data
    first = j.lines + 1
    n_lines = body.count(b"\n")
    j.offset += cut
    j.lines += n_lines
    j._new_lines = n_lines
    events = None
    if n_lines:
        buf = bytearray(b"[")
        buf += body
        if body[:1] == b"\n" or b"\n\n" in body:
            # blank lines (two writers racing over the no-glue newline): null placeholders, so that
            # element i is still line first + i
            j.blank_lines = True
            buf[1:1] = b"null" if body[:1] == b"\n" else b""
            while b"\n\n" in buf:
                buf = buf.replace(b"\n\n", b"\nnull\n")
        buf[-1] = 0x5D  # "]" for the last newline, "," for the others: the lines as one JSON array
        try:  # one C call for all the lines; any bad line sends us to the per-line parse
            events = json.loads(buf.replace(b"\n", b","))
        except (ValueError, RecursionError):
            events = None
        del buf
        if events is not None and len(events) != n_lines:
            events = None
        if events is None:
            numbered = _parse_lines(body.split(b"\n")[:-1], j, first)
            events = [ev for _, ev in numbered]
            j.line_numbers = [n for n, _ in numbered]
    else:
        events = []
    if tail.strip():  # read again next time: it may be a line being written right now
        n = j.lines + 1
        try:
            ev = json.loads(tail)
        except (ValueError, RecursionError):
            ev = None
        if not isinstance(ev, dict):
            ev = _recover(tail)
            j.warn(n, "the start of the last line is a fragment of an interrupted write and was skipped; "
                      "the change after it was read" if ev is not None else
                      f"the last line is incomplete (its writer was interrupted mid-write, or is writing it "
                      f"now); skipped. {_TORN_HINT}")
        if ev is not None:  # complete but for its newline: a change like any other
            if j.line_numbers is None:
                j.line_numbers = list(range(first, first + len(events)))
            events.append(ev)
            j.line_numbers.append(n)
    j.events = events
    return j


def _fold_journals(fold: _Fold, journals: list[_Journal]) -> None:
    """Fold the new lines of every journal; odd lines are cleaned and folded one by one, or named
    in a warning. One journal is folded in file order; several are merged into time order first
    (each is already in time order: the sort merges sorted runs)."""
    everything: list = []
    for j in journals:
        everything += [e for e in j.events if e is not None] if j.blank_lines else j.events
    if sum(1 for j in journals if j.events) > 1:
        try:
            everything.sort(key=_time_of)
        except (KeyError, TypeError):  # a line without a time, or not a change at all: those last
            everything.sort(key=_time_or_last)
    odd = fold.fold(everything)
    del everything
    if odd:
        odd_ids = {id(e) for e in odd}
        for j in journals:
            default_author = j.path.name[:-len(".jsonl")]
            for i, ev in enumerate(j.events):
                if id(ev) not in odd_ids:
                    continue
                clean = _normalize(ev, default_author)
                if clean is not None:
                    fold.apply(clean)
                elif _is_newer(ev):
                    fold.unknown_events.append(ev)  # a newer version's kind of line: kept, not ours to judge
                else:
                    j.warn(j.line_of(i), f"not a triage change (no usable key, set or time); skipped. {_TORN_HINT}")
    for j in journals:
        j.events, j.line_numbers = [], None  # only what was read is kept, not the lines


_time_of = itemgetter("time")


def _time_or_last(e) -> str:
    t = e.get("time") if type(e) is dict else None
    return t if type(t) is str else "\U0010ffff"


# --------------------------------------------------------------------------------------------------
# the store

class TriageStore:
    """Annotations and merges of categories, read from and appended to a store directory.

    ``directory``: the store; None for the personal default (``default_store_dir()``). A team
    directory on EOS/AFS is fine: each user appends only to ``<user>.jsonl``.
    ``user``: whose journal to append to and the author of the changes; default ``current_user()``.

    Reading is lazy and cached: ``annotations()`` and ``merges()`` fold all journals on first use;
    ``reload()`` reads again (to see teammates' changes). Changes made through this object are
    applied to the cached state too. Reading never raises for a bad store: problems are in
    ``warnings`` (each names the file, and the line where there is one). Writing raises
    ``StoreError`` naming the path and what to do; bad values raise ``ValueError``.
    """

    def __init__(self, directory: str | os.PathLike | None = None, *, user: str | None = None):
        default = default_store_dir()
        self.directory = Path(directory).expanduser() if directory is not None else default
        self.personal = _same_path(self.directory, default)
        self.user = user if user is not None else current_user()
        if not _USER_RE.fullmatch(self.user) or len(self.user) > 200:
            raise StoreError(f"the user name {self.user!r} cannot name a journal file: use letters, "
                             f"digits and . _ @ + - only (set USER, or pass user=)", self.directory)
        self.journal = self.directory / f"{self.user}.jsonl"
        self.warnings: list[str] = []
        self.unknown_events: list[dict] = []
        self._fold: _Fold | None = None
        self._annotations: dict[str, Annotation] | None = None
        self._dirty: set[str] | None = None  # keys whose Annotation is stale; None: all
        self._writer = ""
        self._pid = -1
        self._seq = 0
        self._last_time = ""
        self._patterns_written: dict[str, str] = {}
        self._lock = threading.Lock()  # the app reloads in a worker thread while the UI may write
        self._reload_lock = threading.Lock()
        self._written_during_reload: list[dict] | None = None
        self._journal_reads: dict[str, _Journal] = {}

    @classmethod
    def from_config(cls, config=None, store: str | os.PathLike | None = None, *, user: str | None = None):
        """The store to use: ``store`` (``--store``), else ``config.store``, else the personal one."""
        directory = store if store else getattr(config, "store", None)
        return cls(directory or None, user=user)

    def __repr__(self) -> str:
        return f"TriageStore({str(self.directory)!r}, user={self.user!r})"

    # ---- reading ----------------------------------------------------------------------------------

    def reload(self, *, full: bool = False) -> None:
        """Read the journals again (teammates' changes); ``warnings`` then describes the store.

        Only what was appended since the last read is read and folded in, unless a journal was
        replaced, shortened or removed (or ``full``): then everything is read again.
        """
        with self._reload_lock:
            self._reload(full)

    def _reload(self, full: bool) -> None:
        warnings: list[str] = []
        paths = self._journals(warnings)
        known = {} if full or self._fold is None else self._journal_reads
        if known and not known.keys() <= {p.name for p in paths}:
            known = {}  # a journal went away: its changes must go too
        gc_was_enabled = gc.isenabled()
        gc.disable()  # parsing creates ~4 containers per change and none is garbage: the collector only costs
        try:
            while True:
                if not known:
                    with self._lock:
                        self._written_during_reload = []
                reads = [_read_journal(p, known.get(p.name)) for p in paths]
                if all(j is not None for j in reads):
                    break
                known = {}  # a journal is not the file we read before: read everything again
            batch = _Fold()
            _fold_journals(batch, reads)
        finally:
            if gc_was_enabled:
                gc.enable()
        with self._lock:
            if known:
                self._fold.merge(batch)
                self._changed(batch.state)
            else:  # changes this object wrote meanwhile (another thread) may be missing from the read
                for event in self._written_during_reload or ():
                    batch.apply(event)
                self._written_during_reload = None
                self._fold = batch
                self._changed(None)
        self._journal_reads = {j.path.name: j for j in reads}
        for j in reads:
            warnings += j.warnings
            warnings += j.tail_warnings
        self.warnings = sorted(warnings, key=_warning_order)  # by journal, then line
        self.unknown_events = self._fold.unknown_events

    def _journals(self, warnings: list[str]) -> list[Path]:
        d = self.directory
        try:
            names = os.listdir(d)
        except FileNotFoundError:
            if not self.personal:
                warnings.append(f"{d}: the triage store does not exist yet; it will be created by the "
                                f"first annotation (check the path if you expected a team store there)")
            return []
        except NotADirectoryError:
            warnings.append(f"{d}: the triage store path is a file, not a directory; no annotations "
                            f"are read. Point --store / the config's store = at a directory")
            return []
        except OSError as e:
            warnings.append(f"{d}: cannot list the triage store ({e.strerror or e}); no annotations are "
                            f"read. Ask for read access, or use another store (--store DIR)")
            return []
        return [d / n for n in sorted(names) if n.endswith(".jsonl") and not n.startswith(".")]

    def _loaded(self) -> _Fold:
        if self._fold is None:
            self.reload()
        return self._fold

    def annotations(self) -> dict[str, Annotation]:
        """Every annotated category key -> its folded Annotation (cleared ones included, ``empty``).

        The dict is built once per change of the store (only the changed keys are rebuilt) and
        shared between calls: do not modify it.
        """
        state = self._loaded().state
        with self._lock:
            dirty, self._dirty = self._dirty, set()
            if dirty is None or self._annotations is None:
                out = {}
                for key, rec in state.items():
                    a = _annotation(key, rec)
                    if a is not None:
                        out[key] = a
                self._annotations = out
            elif dirty:
                out = dict(self._annotations)
                for key in dirty:
                    a = _annotation(key, state[key]) if key in state else None
                    if a is None:
                        out.pop(key, None)
                    else:
                        out[key] = a
                self._annotations = out
            return self._annotations

    def _changed(self, keys) -> None:
        """Keys whose annotation must be rebuilt (None: all); call with the lock held."""
        if keys is None or self._dirty is None:
            self._dirty = None
        else:
            self._dirty.update(keys)

    def get(self, key: str) -> Annotation | None:
        return self.annotations().get(key)

    def merges(self) -> dict[str, str]:
        """Manual merges in force: child category key -> the key it belongs to."""
        return {k: p for k, p in self.merge_records().items() if p is not None}

    def patterns(self) -> dict[str, str]:
        """The latest recorded pattern of every key the store knows (annotated or merged)."""
        return {k: rec[_PATTERN]["pattern"] for k, rec in self._loaded().state.items() if _PATTERN in rec}

    def merge_records(self) -> dict[str, str | None]:
        """Every key with a merge record: child -> parent, or None when it was un-merged."""
        out = {}
        for key, rec in self._loaded().state.items():
            e = rec.get(MERGE_FIELD)
            if e is not None:
                parent = e["set"][MERGE_FIELD]
                out[key] = parent if isinstance(parent, str) and parent and parent != key else None
        return out

    def carry_over(self, categories, *, threshold: float = CARRY_OVER_THRESHOLD) -> dict[str, Inherited]:
        """``carry_over(categories, self.annotations(), threshold=threshold)``."""
        return carry_over(categories, self.annotations(), threshold=threshold)

    def apply_merges(self, categories, *, threshold: float = CARRY_OVER_THRESHOLD) -> dict[str, str]:
        """``apply_merges`` with this store's merge records and patterns (merges carry over too)."""
        return apply_merges(categories, self.merge_records(), patterns=self.patterns(), threshold=threshold)

    # ---- writing ----------------------------------------------------------------------------------

    def annotate(self, key: str, *, pattern: str | None = None, label: str | None = None,
                 status: str | None = None, ticket: str | None = None, notes: str | None = None) -> None:
        """Record a change to ``key``'s annotation: every field given (not None) is set, ``""`` clears it.

        ``pattern`` (the category's pattern now) should always be given: it is what lets other
        days' categories inherit this annotation.
        """
        _check_key(key)
        changes: dict[str, Any] = {}
        if label is not None:
            changes["label"] = _one_line("label", label)
        if status is not None:
            s = status.strip().lower() if isinstance(status, str) else status
            if s == "":
                changes["status"] = None
            elif s not in STATUSES:
                raise ValueError(f"status {status!r} is not one of: {', '.join(STATUSES)}")
            else:
                changes["status"] = s
        if ticket is not None:
            changes["ticket"] = _one_line("ticket", ticket)
        if notes is not None:
            if not isinstance(notes, str):
                raise ValueError(f"notes must be text, got {notes!r}")
            changes["notes"] = notes if notes.strip() else None
        if not changes:
            raise ValueError("nothing to annotate: give a label, status, ticket or notes")
        self._write(key, changes, pattern)

    def merge(self, child_key: str, into_key: str, *, pattern: str | None = None) -> None:
        """Record that category ``child_key`` belongs to ``into_key`` (``pattern``: the child's pattern)."""
        _check_key(child_key)
        _check_key(into_key)
        if child_key == into_key:
            raise ValueError(f"cannot merge category {child_key} into itself")
        merges = self.merges()
        seen, cur = {into_key}, into_key
        while cur in merges:
            cur = merges[cur]
            if cur == child_key:
                raise ValueError(f"cannot merge {child_key} into {into_key}: {into_key} already belongs to "
                                 f"{child_key}; un-merge it first")
            if cur in seen:
                break
            seen.add(cur)
        self._write(child_key, {MERGE_FIELD: into_key}, pattern)

    def unmerge(self, child_key: str) -> None:
        """Record that ``child_key`` no longer belongs to another category."""
        _check_key(child_key)
        self._write(child_key, {MERGE_FIELD: None}, None)

    def _stamp(self, key: str) -> tuple[str, str, int]:
        """(time, writer id, seq) of a new change: its time is after every change of ``key`` this
        store has seen and after its own previous change, so a change made after seeing another
        one wins over it even when the other writer's clock is ahead."""
        pid = os.getpid()
        if pid != self._pid:  # a forked copy of this object is another writer
            self._pid, self._writer, self._seq = pid, secrets.token_hex(4), 0
        self._seq += 1
        floor = self._last_time
        if self._fold is not None:
            rec = self._fold.state.get(key)
            if rec:
                seen = max(e["time"] for e in rec.values())
                if seen > floor:
                    floor = seen
        now = _utc_now()
        if floor and now <= floor:
            now = _after(floor)
        self._last_time = now
        return now, self._writer, self._seq

    def _write(self, key: str, changes: dict, pattern: str | None) -> None:
        if pattern is not None and not isinstance(pattern, str):
            raise ValueError(f"pattern must be text, got {pattern!r}")
        time, writer, seq = self._stamp(key)
        event = {"v": FORMAT_VERSION, "key": key, "set": changes}
        if pattern is not None and not self._pattern_recorded(key, pattern):
            event["pattern"] = pattern
        event.update(author=self.user, time=time, seq=seq, w=writer)
        try:
            line = json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        except UnicodeEncodeError:  # lone surrogates: escaped, still valid JSON
            line = json.dumps(event, separators=(",", ":")).encode("ascii")
        self._append(line + b"\n")
        if "pattern" in event:
            self._patterns_written[key] = pattern
        with self._lock:
            if self._fold is not None:
                self._fold.apply(event)
                self._changed((key,))
            if self._written_during_reload is not None:
                self._written_during_reload.append(event)

    def _pattern_recorded(self, key: str, pattern: str) -> bool:
        """Whether our own journal already records ``pattern`` as ``key``'s latest pattern: then a
        change need not repeat it (patterns are most of a line's bytes, so of the time to read it)."""
        if self._patterns_written.get(key) == pattern:
            return True
        if self._fold is not None:
            e = self._fold.state.get(key, {}).get(_PATTERN)
            return e is not None and e["pattern"] == pattern and e["author"] == self.user
        return False

    def _append(self, line: bytes) -> None:
        path = self.journal
        self._ensure_directory()
        fd, created = self._open_journal()
        try:
            try:
                size = os.fstat(fd).st_size
                if size and os.pread(fd, 1, size - 1) != b"\n":
                    line = b"\n" + line  # never glue onto a torn last line
                written = os.write(fd, line)
                if written != len(line):
                    raise StoreError(f"only {written} of {len(line)} bytes of the change reached {path} "
                                     f"(disk full or over quota?): the change is NOT saved; free some "
                                     f"space and make it again (the partial line is skipped when reading)",
                                     path)
                os.fsync(fd)
            except OSError as e:
                raise StoreError(_write_error(path, e, self), path) from None
        finally:
            os.close(fd)
        if created:
            _fsync_directory(self.directory)

    def _open_journal(self) -> tuple[int, bool]:
        path = self.journal
        flags = os.O_RDWR | os.O_APPEND | getattr(os, "O_CLOEXEC", 0)
        for _ in range(5):
            try:
                fd = os.open(path, flags)
            except FileNotFoundError:
                pass
            except OSError as e:
                raise StoreError(_write_error(path, e, self), path) from None
            else:
                if not stat.S_ISREG(os.fstat(fd).st_mode):
                    os.close(fd)
                    raise StoreError(f"{path} is not a regular file: move it away so that the journal "
                                     f"can be created", path)
                return fd, False
            try:
                fd = os.open(path, flags | os.O_CREAT | os.O_EXCL, self._journal_mode())
            except FileExistsError:
                continue  # created by our other process meanwhile: open that one
            except OSError as e:
                raise StoreError(_write_error(path, e, self), path) from None
            if self.personal:
                try:
                    os.fchmod(fd, 0o600)  # exactly, whatever the umask
                except OSError:
                    pass
            return fd, True
        raise StoreError(f"cannot open {path}: it keeps appearing and disappearing; check the store", path)

    def _journal_mode(self) -> int:
        """0600 in the personal store; in a team store as readable as the directory (never writable
        by others), so teammates can read each other's journals."""
        if self.personal:
            return 0o600
        try:
            dir_mode = os.stat(self.directory).st_mode
        except OSError:
            return 0o600
        return 0o600 | (dir_mode & 0o044)

    def _ensure_directory(self) -> None:
        d = self.directory
        if d.is_dir():
            return
        try:
            if self.personal:
                os.makedirs(d, mode=0o700, exist_ok=True)
            else:  # a team store: never invent its parents (an unmounted EOS path, a typo)
                os.mkdir(d)
        except FileExistsError:
            if not d.is_dir():
                raise StoreError(f"the triage store {d} is a file, not a directory: point --store (or "
                                 f"store = in the config) at a directory", d) from None
        except FileNotFoundError:
            raise StoreError(f"cannot create the triage store {d}: its parent directory {d.parent} does not "
                             f"exist. Check the path (is EOS/AFS mounted?) or create it", d) from None
        except OSError as e:
            raise StoreError(f"cannot create the triage store {d}: {e.strerror or e}. Create it yourself, or "
                             f"use another store (--store DIR, or store = in the config)", d) from None


def _same_path(a: Path, b: Path) -> bool:
    try:
        return os.path.abspath(a) == os.path.abspath(b) or (a.exists() and b.exists() and os.path.samefile(a, b))
    except OSError:
        return False


def _write_error(path: Path, e: OSError, store: TriageStore) -> str:
    reason = e.strerror or str(e)
    if e.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        what = (f"the triage store {store.directory} is not writable for {store.user}: ask for write "
                f"access, or use another store (--store DIR, or store = in the config)")
    elif e.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", -1)):
        what = "the disk is full or you are over quota: free some space and make the change again"
    else:
        what = "check the store directory and make the change again"
    return f"cannot save the change to {path}: {reason}. The change is NOT saved; {what}. Nothing saved before was changed."


_WARNING_LINE_RE = re.compile(r"^(.*?\.jsonl):(\d+): ")


def _warning_order(warning: str) -> tuple[str, int]:
    m = _WARNING_LINE_RE.match(warning)
    return (m.group(1), int(m.group(2))) if m else (warning.split(": ", 1)[0], 0)


def _fsync_directory(directory: Path) -> None:
    """Make a new journal's directory entry durable; best effort (not every filesystem allows it)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _check_key(key) -> None:
    if not isinstance(key, str) or not key.strip() or "\n" in key or "\r" in key:
        raise ValueError(f"a category key must be a non-empty one-line string, got {key!r}")


def _one_line(name: str, value) -> str | None:
    if not isinstance(value, str):
        raise ValueError(f"{name} must be text, got {value!r}")
    value = value.strip()
    if any(c in value for c in "\n\r\x00"):
        raise ValueError(f"{name} must be a single line: {value!r}")
    return value or None


# --------------------------------------------------------------------------------------------------
# carry-over and merges

def _categories(categories) -> list:
    return list(getattr(categories, "categories", categories))


def pattern_similarity(a: str, b: str) -> float:
    """The carry-over similarity of two patterns, 0..100: rapidfuzz's Indel ratio over their words."""
    from rapidfuzz import fuzz
    return float(fuzz.ratio(a.split(), b.split()))


def _best_matches(queries: list[str], choices: list[str], threshold: float) -> list[tuple[int, float] | None]:
    """For each query pattern, (index of the most similar choice, similarity) when >= threshold, else None.

    Similarity is rapidfuzz's ``fuzz.ratio`` over the patterns' *words* (a word-level Indel
    similarity: the share of words the two have in common, in order; ``<*>`` is a word). All
    scores come from ``process.cdist`` (C, all cores) in row blocks that bound memory; ties go to
    the first choice, so callers order choices by preference.
    """
    import numpy as np
    from rapidfuzz import fuzz, process

    out: list[tuple[int, float] | None] = [None] * len(queries)
    if not queries or not choices:
        return out
    q_words = [q.split() for q in queries]
    c_words = [c.split() for c in choices]
    block = max(1, 4_000_000 // len(c_words))  # a score matrix of at most ~16 MB at a time
    for start in range(0, len(q_words), block):
        scores = process.cdist(q_words[start:start + block], c_words, scorer=fuzz.ratio,
                               score_cutoff=threshold, dtype=np.float32, workers=-1)
        best = scores.argmax(axis=1)
        top = scores[np.arange(scores.shape[0]), best]
        for row in np.flatnonzero(top >= threshold).tolist():
            out[start + row] = (int(best[row]), round(float(top[row]), 1))
    return out


def carry_over(categories, annotations: Mapping[str, Annotation] | TriageStore, *,
               threshold: float = CARRY_OVER_THRESHOLD) -> dict[str, Inherited]:
    """The annotation each category gets: category key -> Inherited (categories with none are absent).

    ``categories``: a Clustering, or an iterable of objects with ``key`` and ``pattern``.
    ``annotations``: ``store.annotations()`` (or the store itself).
    An exact key match always wins, even a cleared annotation (someone reset it on purpose).
    Otherwise the category inherits the non-empty annotation whose recorded pattern is the most
    similar to its own, when the similarity (``pattern_similarity``) is >= ``threshold``; ties go
    to the most recently changed annotation, then the smaller key.
    """
    if isinstance(annotations, TriageStore):
        annotations = annotations.annotations()
    result: dict[str, Inherited] = {}
    pending = []
    for c in _categories(categories):
        a = annotations.get(c.key)
        if a is not None:
            result[c.key] = Inherited(c.key, c.key, 100.0, a)
        elif c.pattern:
            pending.append(c)
    sources = [a for a in annotations.values() if a.pattern and not a.empty]
    if not pending or not sources:
        return result
    sources.sort(key=lambda a: a.key)
    sources.sort(key=lambda a: a.time or "", reverse=True)  # the first best wins: the newest
    matches = _best_matches([c.pattern for c in pending], [a.pattern for a in sources], threshold)
    for c, m in zip(pending, matches):
        if m is not None:
            a = sources[m[0]]
            result[c.key] = Inherited(c.key, a.key, m[1], a)
    return result


def apply_merges(categories, merges: Mapping[str, str | None], *, patterns: Mapping[str, str] | None = None,
                 threshold: float = CARRY_OVER_THRESHOLD) -> dict[str, str]:
    """Category key -> effective key (the category it is shown in), for every given category.

    ``merges``: child key -> parent key, as ``store.merges()``; a ``None`` parent records an
    explicit un-merge (``store.merge_records()``), which keeps that category from inheriting a merge.
    A category is folded into its parent, the parent into its own parent and so on, stopping at
    the last one present in ``categories``: a parent absent today folds nothing.

    With ``patterns`` (``store.patterns()``: the recorded pattern of each merged key) merges carry
    over like annotations: a merged key absent today stands for the present category with the
    most similar pattern (>= ``threshold``), as a child (unless that category has a merge record
    of its own) and as a parent. Merge cycles (teammates merging both ways) resolve to the
    smallest present key of the cycle. To fold counts: ``total[mapping[c.key]] += c.count``.
    """
    cats = _categories(categories)
    keys = [c.key for c in cats]
    present = set(keys)
    alias: dict[str, tuple[str, float]] = {}  # absent key -> (most similar present key, similarity)
    if patterns:
        absent = sorted({k for pair in merges.items() for k in pair
                         if k and k not in present and isinstance(patterns.get(k), str) and patterns[k]})
        if absent:
            by_pattern = [c for c in cats if c.pattern]
            found = _best_matches([patterns[k] for k in absent], [c.pattern for c in by_pattern], threshold)
            for k, m in zip(absent, found):
                if m is not None:
                    alias[k] = (by_pattern[m[0]].key, m[1])
    parent_of: dict[str, str | None] = {k: merges[k] for k in keys if k in merges}
    inherited: dict[str, tuple[float, str, str]] = {}  # present key -> (similarity, absent child, parent)
    for child in sorted(merges):
        parent = merges[child]
        if child in present or child not in alias or parent is None:
            continue
        target, similarity = alias[child]
        if target in parent_of:
            continue  # the category's own merge record wins
        cur = inherited.get(target)
        if cur is None or similarity > cur[0]:
            inherited[target] = (similarity, child, parent)
    for target, (_, _, parent) in inherited.items():
        parent_of[target] = parent

    def parent(k: str) -> str | None:
        p = parent_of.get(k) if k in present else merges.get(k)
        if p is not None and p not in present and p in alias:
            p = alias[p][0]
        return p

    out: dict[str, str] = {}
    for k in keys:
        path, index, cur, last_present = [k], {k: 0}, k, k
        while True:
            p = parent(cur)
            if p is None:
                out[k] = last_present
                break
            if p in index:  # a cycle: every member resolves to the same, smallest present key
                cycle = [x for x in path[index[p]:] if x in present]
                out[k] = min(cycle) if cycle else last_present
                break
            index[p] = len(path)
            path.append(p)
            if p in present:
                last_present = p
            cur = p
    return out
