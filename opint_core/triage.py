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
  day, with another key, inherit the annotation by similarity (``carry_over``).
- ``time`` is UTC with microseconds; ``seq`` counts the writer's changes and ``w`` identifies the
  writer (one random id per process and store), so the order of changes is total and depends only
  on the lines, not on file order: the latest ``(time, author, w, seq)`` of each field wins.

Appending: every change is ONE ``os.write`` of one complete line to a file descriptor opened with
``O_APPEND``, then ``fsync``. Writers in different processes therefore never interleave inside a
line (the kernel serialises appends to a local file), and a crash can tear at most the line being
written. A torn line is skipped with a warning when reading; the next append starts with a newline
when the file does not end with one, so it never glues onto the fragment. Nothing already written
is ever rewritten, truncated or removed.

Reading folds every ``*.jsonl`` journal of the directory. Lines and fields written by a newer
version are kept (unknown fields in ``Annotation.extra``) and never dropped from disk.
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
from operator import itemgetter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import platformdirs

__all__ = [
    "Annotation", "CARRY_OVER_THRESHOLD", "Change", "FORMAT_VERSION", "Inherited", "STATUSES", "StoreError",
    "TriageStore", "apply_merges", "carry_over", "current_user", "default_store_dir",
]

FORMAT_VERSION = 1
STATUSES = ("new", "investigating", "ticketed", "known", "resolved", "ignored")
ANNOTATION_FIELDS = ("label", "status", "ticket", "notes")
MERGE_FIELD = "merge_into"

#: Default similarity (rapidfuzz 0..100, ``token_sort_ratio`` of the two patterns) above which a new
#: category inherits the annotation of an annotated pattern. 90 keeps inheritance to patterns that
#: differ by a word or a wildcard (a shifted prefix, one more ``<*>``): on the 203 ground-truth
#: templates of the fts-10k sample, the nearest other template at >= 90 is the same issue in
#: nearly every case, while at 80 different issues of one protocol start to match. Inherited
#: annotations are always shown as such, with their similarity and source.
CARRY_OVER_THRESHOLD = 90.0

_KNOWN_MEMBERS = frozenset(("v", "key", "set", "pattern", "author", "time", "seq", "w"))
_PATTERN = "\x00pattern"    # the per-key slot of the latest pattern (never a field name)
_USER_RE = re.compile(r"[A-Za-z0-9_@+][A-Za-z0-9._@+-]*")
_CANONICAL_TIME_LEN = len("2026-01-01T00:00:00.000000+00:00")


class StoreError(Exception):
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
        """Fold parsed lines into an empty state; the ones that are not clean changes are returned
        (for ``_normalize`` and ``apply``) instead.

        Sort by time (journals are appended in time order: the sort merges sorted runs), then a
        later change simply overwrites: one ``dict.update`` per change, no comparisons. Only
        changes with the same time as the one before (rare) go through ``apply``'s full stamp
        comparison. Every check here is a cheap type or length test of what the fold touches anyway.
        """
        odd: list = []
        try:
            events.sort(key=_time_of)
        except (KeyError, TypeError):  # some line lacks a time, or it is not a string
            timed = []
            for e in events:
                (timed if type(e) is dict and type(e.get("time")) is str else odd).append(e)
            events = timed
            events.sort(key=_time_of)
        state = self.state
        get = state.get
        fromkeys = dict.fromkeys
        known = _KNOWN_MEMBERS
        previous = None
        for e in events:
            k = e.get("key")
            t = e["time"]
            ch = e.get("set")
            if (type(k) is not str or type(ch) is not dict or len(t) != 32 or t[26:] != "+00:00"
                    or not k or not known.issuperset(e) or type(e.get("author")) is not str):
                odd.append(e)
                continue
            if t == previous:  # same time as the change before: the rest of the stamp decides
                if "pattern" in e and type(e["pattern"]) is not str:
                    odd.append(e)
                else:
                    self.apply(e)
                continue
            previous = t
            rec = get(k)
            if rec is None:
                state[k] = rec = fromkeys(ch, e)
            else:
                rec.update(fromkeys(ch, e))
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
            if cur is None or _stamp_of(cur) <= stamp:
                rec[slot] = e


_time_of = itemgetter("time")


def _stamp_of(e: dict) -> tuple:
    """The order of changes: (time, author, writer id, seq); an odd writer id or seq counts as empty."""
    w, seq = e.get("w", ""), e.get("seq", 0)
    return (e["time"], e["author"], w if type(w) is str else "", seq if type(seq) is int else 0)


def _slot_value(slot: str, e: dict):
    if slot == _PATTERN:
        return e["pattern"]
    if slot[0] == _EXTRA:
        return e[slot[1:]]
    return e["set"][slot]


def _is_newer(ev) -> bool:
    v = ev.get("v") if isinstance(ev, dict) else None
    return isinstance(v, int) and not isinstance(v, bool) and v > FORMAT_VERSION


def _annotation(key: str, rec: dict) -> Annotation | None:
    """The Annotation of one folded key, or None when only merges/patterns were recorded."""
    values: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    changes: dict[str, Change] = {}
    latest = None
    for slot, e in rec.items():
        if slot == _PATTERN or slot == MERGE_FIELD:
            continue
        name = slot[1:] if slot[0] == _EXTRA else slot
        value = _slot_value(slot, e)
        if name in ANNOTATION_FIELDS and slot[0] != _EXTRA and (value is None or isinstance(value, str)):
            values[name] = value
        else:
            extra[name] = value
        changes[name] = Change(e["author"], e["time"])
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


def _parse_lines(lines: list[bytes], path: Path, warnings: list[str]) -> list[tuple[int, Any]]:
    """Per-line parse (the slow path): (line number, parsed object), a warning for every bad line."""
    out = []
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            ev = json.loads(line)
        except ValueError:
            ev = None
        if isinstance(ev, dict):
            out.append((n, ev))
            continue
        recovered = _recover(line)
        if recovered is not None:
            warnings.append(f"{path}:{n}: the start of this line is a fragment of an interrupted write "
                            f"and was skipped; the change after it was read")
            out.append((n, recovered))
        else:
            warnings.append(f"{path}:{n}: not a valid JSON change line (garbage, or an interrupted "
                            f"write); skipped. {_TORN_HINT}")
    return out


def _recover(line: bytes):
    """A complete change glued after a torn fragment (``fragment{"v":...}``): the change, or None."""
    at = line.rfind(b'{"v":')
    if at <= 0:
        return None
    try:
        ev = json.loads(line[at:])
    except ValueError:
        return None
    return ev if isinstance(ev, dict) else None


def _read_journal(path: Path, warnings: list[str]) -> tuple[list, list[int] | None]:
    """The parsed lines of one journal and their line numbers (None: line i + 1); a warning for
    each line that is not JSON, naming the file and line. Never raises."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        warnings.append(f"{path}: cannot read this journal ({e.strerror or e}); its annotations are not "
                        f"shown. Check its permissions (its owner can run: chmod a+r {path})")
        return [], None
    cut = data.rfind(b"\n") + 1
    body, tail = data[:cut], data[cut:]  # tail: an unterminated last line, normally empty
    del data
    n_lines = body.count(b"\n")
    events = None
    line_numbers = None
    if n_lines:
        buf = bytearray(b"[")
        buf += body
        buf[-1] = 0x5D  # "]" for the last newline, "," for the others: the journal as one JSON array
        try:  # one C call for the whole journal; any bad line sends us to the per-line parse
            events = json.loads(buf.replace(b"\n", b","))
        except ValueError:
            events = None
        del buf
        if events is not None and len(events) != n_lines:
            events = None
        if events is None:
            numbered = _parse_lines(body.split(b"\n")[:-1], path, warnings)
            events = [ev for _, ev in numbered]
            line_numbers = [n for n, _ in numbered]
    else:
        events = []
    if tail.strip():
        n = n_lines + 1
        try:
            ev = json.loads(tail)
        except ValueError:
            ev = None
        if not isinstance(ev, dict):
            ev = _recover(tail)
            warnings.append(f"{path}:{n}: the start of the last line is a fragment of an interrupted write "
                            f"and was skipped; the change after it was read" if ev is not None else
                            f"{path}:{n}: the last line is incomplete (its writer was interrupted "
                            f"mid-write); skipped. {_TORN_HINT}")
        if ev is not None:  # complete but for its newline: a change like any other
            events.append(ev)
            if line_numbers is not None:
                line_numbers.append(n)
    return events, line_numbers


def _fold_journals(fold: _Fold, journals: list[tuple[Path, list, list[int] | None]], warnings: list[str]) -> None:
    """Fold the parsed lines of all journals at once; odd lines are cleaned and folded one by one,
    or named in a warning."""
    everything: list = []
    for _, events, _ in journals:
        everything += events
    odd = fold.fold(everything)
    del everything
    if not odd:
        return
    odd_ids = {id(e) for e in odd}
    for path, events, line_numbers in journals:
        default_author = path.name[:-len(".jsonl")]
        for i, ev in enumerate(events):
            if id(ev) not in odd_ids:
                continue
            clean = _normalize(ev, default_author)
            if clean is not None:
                fold.apply(clean)
            elif _is_newer(ev):
                fold.unknown_events.append(ev)  # a newer version's kind of line: kept, not ours to judge
            else:
                n = line_numbers[i] if line_numbers is not None else i + 1
                warnings.append(f"{path}:{n}: not a triage change (no usable key, set or time); skipped. "
                                f"{_TORN_HINT}")


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
        self._writer = ""
        self._pid = -1
        self._seq = 0
        self._last_time = ""
        self._patterns_written: dict[str, str] = {}

    @classmethod
    def from_config(cls, config=None, store: str | os.PathLike | None = None, *, user: str | None = None):
        """The store to use: ``store`` (``--store``), else ``config.store``, else the personal one."""
        directory = store if store else getattr(config, "store", None)
        return cls(directory or None, user=user)

    def __repr__(self) -> str:
        return f"TriageStore({str(self.directory)!r}, user={self.user!r})"

    # ---- reading ----------------------------------------------------------------------------------

    def reload(self) -> None:
        """Fold every journal of the directory again; ``warnings`` then describes this read."""
        fold = _Fold()
        warnings: list[str] = []
        gc_was_enabled = gc.isenabled()
        gc.disable()  # parsing creates ~4 containers per change and none is garbage: the collector only costs
        try:
            journals = [(path, *_read_journal(path, warnings)) for path in self._journals(warnings)]
            _fold_journals(fold, journals, warnings)
            del journals
        finally:
            if gc_was_enabled:
                gc.enable()
        self._fold = fold
        self._annotations = None
        self.warnings = warnings
        self.unknown_events = fold.unknown_events

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
        """Every annotated category key -> its folded Annotation (cleared ones included, ``empty``)."""
        if self._annotations is None:
            out = {}
            for key, rec in self._loaded().state.items():
                a = _annotation(key, rec)
                if a is not None:
                    out[key] = a
            self._annotations = out
        return self._annotations

    def get(self, key: str) -> Annotation | None:
        return self.annotations().get(key)

    def merges(self) -> dict[str, str]:
        """Manual merges in force: child category key -> the key it belongs to."""
        out = {}
        for key, rec in self._loaded().state.items():
            e = rec.get(MERGE_FIELD)
            if e is not None:
                parent = e["set"][MERGE_FIELD]
                if isinstance(parent, str) and parent and parent != key:
                    out[key] = parent
        return out

    def patterns(self) -> dict[str, str]:
        """The latest recorded pattern of every key the store knows (annotated or merged)."""
        return {k: rec[_PATTERN]["pattern"] for k, rec in self._loaded().state.items() if _PATTERN in rec}

    def carry_over(self, categories, *, threshold: float = CARRY_OVER_THRESHOLD) -> dict[str, Inherited]:
        """``carry_over(categories, self.annotations())``."""
        return carry_over(categories, self.annotations(), threshold=threshold)

    def apply_merges(self, categories, inherited: Mapping[str, Inherited] | None = None) -> dict[str, str]:
        """``apply_merges(categories, self.merges(), inherited)``."""
        return apply_merges(categories, self.merges(), inherited)

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
        if self._fold is not None:
            self._fold.apply(event)
            self._annotations = None

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


def carry_over(categories, annotations: Mapping[str, Annotation], *, threshold: float = CARRY_OVER_THRESHOLD,
               scorer=None) -> dict[str, Inherited]:
    """The annotation each category gets: category key -> Inherited (categories without one are absent).

    ``categories``: a Clustering, or an iterable of objects with ``key`` and ``pattern``.
    ``annotations``: ``store.annotations()`` (or the store itself).
    An exact key match always wins (even a cleared annotation: someone reset it on purpose).
    Otherwise the most similar annotated, non-empty pattern with a score >= ``threshold`` is
    inherited; ties go to the most recently annotated, then the smaller key. Scores come from
    rapidfuzz's ``token_sort_ratio`` (word order and spacing do not matter, ``<*>`` counts as a
    word), computed in C over all pairs of (unmatched category, annotated pattern) by
    ``process.cdist`` in blocks, never in a Python loop over pairs.
    """
    if isinstance(annotations, TriageStore):
        annotations = annotations.annotations()
    cats = _categories(categories)
    result: dict[str, Inherited] = {}
    pending = []
    for c in cats:
        a = annotations.get(c.key)
        if a is not None:
            result[c.key] = Inherited(c.key, c.key, 100.0, a)
        elif c.pattern:
            pending.append(c)
    sources = [a for a in annotations.values() if a.pattern and not a.empty]
    if not pending or not sources:
        return result
    import numpy as np
    from rapidfuzz import fuzz, process

    sources.sort(key=lambda a: a.key)
    sources.sort(key=lambda a: a.time or "", reverse=True)  # argmax takes the first best: the newest
    choices = [a.pattern for a in sources]
    queries = [c.pattern for c in pending]
    scorer = scorer or fuzz.token_sort_ratio
    block = max(1, 4_000_000 // len(choices))  # bounds the score matrix to ~16 MB
    for start in range(0, len(queries), block):
        scores = process.cdist(queries[start:start + block], choices, scorer=scorer,
                               score_cutoff=threshold, dtype=np.float32, workers=-1)
        best = scores.argmax(axis=1)
        top = scores[np.arange(scores.shape[0]), best]
        for row in np.flatnonzero(top >= threshold).tolist():
            c = pending[start + row]
            a = sources[int(best[row])]
            result[c.key] = Inherited(c.key, a.key, round(float(top[row]), 1), a)
    return result


def apply_merges(categories, merges: Mapping[str, str],
                 inherited: Mapping[str, Inherited] | None = None) -> dict[str, str]:
    """Category key -> effective key (the category it is shown in), for every given category.

    ``merges``: ``store.merges()`` (child -> parent). A category is folded into its parent, the
    parent into its own parent and so on, stopping at the last one present in ``categories`` (a
    parent absent today folds nothing). With ``inherited`` (``carry_over``'s result) merges also
    carry over: a category that inherited from a merged key is merged like it, and a parent key
    absent today stands for the present category that inherited from it (the most similar).
    Merge cycles (two teammates merging both ways) resolve to the smallest key of the cycle.

    To fold counts: ``for k, eff in mapping.items(): total[eff] += count[k]``.
    """
    keys = [c.key for c in _categories(categories)]
    present = set(keys)
    heir: dict[str, tuple[float, str]] = {}  # absent source key -> best present category inheriting it
    if inherited:
        for k, inh in inherited.items():
            if k in present and inh.inherited:
                cand = (inh.similarity, k)
                cur = heir.get(inh.source_key)
                if cur is None or cand[0] > cur[0] or (cand[0] == cur[0] and cand[1] < cur[1]):
                    heir[inh.source_key] = cand

    def parent(k: str) -> str | None:
        p = merges.get(k)
        if p is None and inherited and k in present:
            inh = inherited.get(k)
            if inh is not None and inh.inherited:
                p = merges.get(inh.source_key)
        if p is None:
            return None
        if p not in present and p in heir:
            p = heir[p][1]
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
